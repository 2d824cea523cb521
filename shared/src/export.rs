//! Exports of search results (R14, R20): the intelligence product as a spreadsheet, and the
//! evidential statement, which needs its own approval.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The security classification every export carries (R14).
pub const MARKING: &str = "OFFICIAL-SENSITIVE";

/// The handling conditions printed on every intelligence export (R14, R20).
pub const HANDLING: &str = "Intelligence product, not evidence. Handle under the OFFICIAL-SENSITIVE \
conditions: keep on approved systems only; share only with those who need it for the stated purpose; \
do not forward outside the recipient's organisation without the originator's consent; destroy securely \
when no longer needed. The recipient is responsible for this data and its onward use.";

/// Most reads an evidential statement may cover.
pub const MAX_STATEMENT_READS: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Pdf,
}

impl ExportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Pdf => "pdf",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ExportFormat::Pdf => "application/pdf",
        }
    }
}

/// Who receives an export: recorded as a disclosure (R20, R21).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    /// The person or unit the data goes to.
    pub recipient: String,
    /// Whether it leaves the force (a transfer to another agency).
    #[serde(default)]
    pub transfer: bool,
}

/// An intelligence export of a search's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExport {
    pub format: ExportFormat,
    pub recipient: String,
    #[serde(default)]
    pub transfer: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("name the recipient of the export")]
    RecipientMissing,
    #[error("the recipient is longer than 200 characters")]
    RecipientTooLong,
    #[error("an evidential statement is not a spreadsheet export: ask for a statement instead")]
    StatementNotSpreadsheet,
    #[error("name between 1 and {MAX_STATEMENT_READS} reads for the statement")]
    StatementReads,
    #[error("say why the statement is needed, in 1 to 2000 characters")]
    StatementReason,
    #[error("name each read once")]
    StatementReadTwice,
}

pub fn check_recipient(recipient: &str) -> Result<(), ExportError> {
    match recipient.trim().chars().count() {
        0 => Err(ExportError::RecipientMissing),
        n if n > 200 => Err(ExportError::RecipientTooLong),
        _ => Ok(()),
    }
}

impl NewExport {
    pub fn check(&self) -> Result<(), ExportError> {
        if self.format == ExportFormat::Pdf {
            return Err(ExportError::StatementNotSpreadsheet);
        }
        check_recipient(&self.recipient)
    }
}

/// A request for an evidential statement covering some reads of a search.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewStatement {
    pub search_id: i64,
    pub read_ids: Vec<i64>,
    pub reason: String,
}

impl NewStatement {
    pub fn check(&self) -> Result<(), ExportError> {
        if self.read_ids.is_empty() || self.read_ids.len() > MAX_STATEMENT_READS {
            return Err(ExportError::StatementReads);
        }
        if self.reason.trim().is_empty() || self.reason.chars().count() > 2000 {
            return Err(ExportError::StatementReason);
        }
        let distinct: std::collections::BTreeSet<_> = self.read_ids.iter().collect();
        if distinct.len() < self.read_ids.len() {
            return Err(ExportError::StatementReadTwice);
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementStatus {
    Pending,
    Approved,
    Rejected,
}

impl StatementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StatementStatus::Pending => "pending",
            StatementStatus::Approved => "approved",
            StatementStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<StatementStatus> {
        [StatementStatus::Pending, StatementStatus::Approved, StatementStatus::Rejected]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatementView {
    pub id: i64,
    pub search_id: i64,
    pub reference: String,
    pub requester: String,
    pub read_ids: Vec<i64>,
    pub reason: String,
    pub requested_at: DateTime<Utc>,
    pub status: StatementStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub rationale: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementDecision {
    pub approve: bool,
    pub rationale: String,
}

impl StatementDecision {
    pub fn check(&self) -> Result<(), String> {
        crate::form::required(&self.rationale, 2000, "a decision needs a rationale (up to 2000 characters)")
    }
}

/// Which statements a listing shows (`GET /statements?which=…`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatementList {
    /// The caller's own statements (investigators).
    #[default]
    Mine,
    /// Pending statements the caller may decide (supervisors).
    Queue,
}

/// The query of `GET /statements`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatementsQuery {
    #[serde(default)]
    pub which: StatementList,
}
