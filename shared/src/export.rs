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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct StatementsQuery {
    #[serde(default)]
    pub which: StatementList,
}

/// The label of the line naming an export's review date in its marking (R20).
pub const REVIEW_BY: &str = "Review by (UTC)";

/// What was exported (R20): an intelligence spreadsheet, an evidential statement, or a subject
/// access disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    Spreadsheet,
    Statement,
    Disclosure,
}

impl ExportKind {
    pub const ALL: [ExportKind; 3] = [ExportKind::Spreadsheet, ExportKind::Statement, ExportKind::Disclosure];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Spreadsheet => "spreadsheet",
            ExportKind::Statement => "statement",
            ExportKind::Disclosure => "disclosure",
        }
    }

    pub fn parse(s: &str) -> Option<ExportKind> {
        ExportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            ExportKind::Spreadsheet => "Spreadsheet",
            ExportKind::Statement => "Evidential statement",
            ExportKind::Disclosure => "Subject access disclosure",
        }
    }
}

/// Where an export still out stands at the moment it is listed (R20).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportState {
    /// Its keeper has not answered within the days allowed: asked of whom it escalated to.
    Escalated,
    /// Its review date has come, or its request has closed: its keeper is asked.
    Due,
    /// Not yet due.
    NotDue,
}

impl ExportState {
    pub fn label(self) -> &'static str {
        match self {
            ExportState::Escalated => "escalated",
            ExportState::Due => "due",
            ExportState::NotDue => "not yet due",
        }
    }
}

/// Why an export fell due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DueBecause {
    /// Its review date.
    ReviewDate,
    /// The request it was made under was closed, withdrawn, revoked or expired.
    RequestEnded,
}

/// An export still out, as its keeper, whom it escalated to, and auditors see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportView {
    pub id: i64,
    pub kind: ExportKind,
    /// `csv`, `xlsx`, `pdf` or `json`.
    pub format: String,
    /// The request (or subject access entry) it was made under.
    pub reference: String,
    pub recipient: String,
    pub transfer: bool,
    pub rows: i64,
    pub exported_at: DateTime<Utc>,
    /// Who made it and answers for it.
    pub keeper_id: i64,
    pub keeper: String,
    /// The review date its marking names, or the one its last answer gave.
    pub review_at: DateTime<Utc>,
    /// When its keeper is (or will be) asked: the review date, or the end of its request if
    /// sooner.
    pub due_at: DateTime<Utc>,
    pub due_because: DueBecause,
    /// When it escalates if its keeper has not answered.
    pub escalates_at: DateTime<Utc>,
    /// Whom it escalates to: the supervisor who approved its request; `None`: the audit unit.
    pub escalates_to: Option<String>,
    pub state: ExportState,
    /// When its keeper (or whom it escalated to) said it was deleted: no longer out.
    pub deleted_at: Option<DateTime<Utc>>,
}

/// Which exports a listing shows (`GET /exports?which=…`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportList {
    /// The caller's own exports still out, and those escalated to them.
    #[default]
    Mine,
    /// Every export still out, the longest overdue first (auditors).
    Out,
}

/// The query of `GET /exports`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct ExportsQuery {
    #[serde(default)]
    pub which: ExportList,
}

/// What the keeper (or whom it escalated to) says of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportAnswer {
    /// It was deleted: it is no longer out.
    Deleted,
    /// Still needed, why (the note), until a new review date.
    StillNeeded,
}

impl ExportAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            ExportAnswer::Deleted => "deleted",
            ExportAnswer::StillNeeded => "still_needed",
        }
    }
}

/// An answer about an export (`POST /exports/{id}/review`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExportReview {
    pub answer: ExportAnswer,
    /// How it was deleted, or why it is still needed.
    #[serde(default)]
    pub note: String,
    /// The new review date of a `still_needed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_at: Option<DateTime<Utc>>,
}

/// What is wrong with an answer about an export.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportReviewError {
    #[error("must be at most 2000 characters of plain text (no control characters)")]
    Note,
    #[error("say why it is still needed")]
    Why,
    #[error("give the new review date of an export still needed")]
    NewDate,
    #[error("an export deleted has no new review date")]
    DateOfDeleted,
}

impl crate::Validate for ExportReview {
    type Error = ExportReviewError;

    fn problems(&self) -> Vec<(&'static str, ExportReviewError)> {
        let mut p = crate::form::Problems::default();
        let note_ok = self.note.chars().count() <= 2000 && crate::form::plain_text(&self.note);
        p.require(note_ok, "note", ExportReviewError::Note);
        match self.answer {
            ExportAnswer::StillNeeded => {
                p.require(!self.note.trim().is_empty(), "note", ExportReviewError::Why);
                p.require(self.review_at.is_some(), "review_at", ExportReviewError::NewDate);
            }
            ExportAnswer::Deleted => {
                p.require(self.review_at.is_none(), "review_at", ExportReviewError::DateOfDeleted);
            }
        }
        p.into_vec()
    }
}

/// The header in which a download's answer gives the file's length before any compression on
/// its way (the browser counts the file's bytes as they come, to show its progress).
pub const FILE_LENGTH_HEADER: &str = "x-file-length";
