//! The evidence locker (R19): reads preserved for an investigation or prosecution beyond the
//! retention period, each reviewed every six months with its officer in charge (OIC).

use crate::reads::ReadView;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most reads one preservation may add.
pub const MAX_ITEMS_PER_PRESERVE: usize = 500;
/// Unanswered reviews after which an item is deleted.
pub const MAX_UNANSWERED: i64 = 3;

/// A case opened to hold preserved reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    /// The investigation's name or crime reference.
    pub title: String,
    /// Why the reads are needed beyond the retention period.
    pub reason: String,
    pub crime_type: String,
    /// The officer in charge: a user of the workbench, asked at each review.
    pub oic_id: i64,
    /// The OIC's supervisor (a supervisor), asked when the OIC does not answer.
    pub oic_supervisor_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockerError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{0} is longer than {1} characters")]
    TooLong(&'static str, usize),
    #[error("name at least one read to preserve")]
    NoReads,
    #[error("at most {MAX_ITEMS_PER_PRESERVE} reads may be preserved at once")]
    TooManyReads,
    #[error("a review needs a note of who was asked and how")]
    NoteMissing,
}

fn text(name: &'static str, value: &str, max: usize) -> Result<(), LockerError> {
    if value.trim().is_empty() {
        Err(LockerError::Missing(name))
    } else if value.chars().count() > max {
        Err(LockerError::TooLong(name, max))
    } else {
        Ok(())
    }
}

impl NewCase {
    pub fn check(&self) -> Result<(), LockerError> {
        text("title", &self.title, 200)?;
        text("reason", &self.reason, 2000)?;
        text("crime_type", &self.crime_type, 100)
    }
}

/// Reads from a search the user ran, to preserve into a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Preserve {
    pub search_id: i64,
    pub read_ids: Vec<i64>,
}

impl Preserve {
    pub fn check(&self) -> Result<(), LockerError> {
        match self.read_ids.len() {
            0 => Err(LockerError::NoReads),
            n if n > MAX_ITEMS_PER_PRESERVE => Err(LockerError::TooManyReads),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseView {
    pub id: i64,
    pub title: String,
    pub reason: String,
    pub crime_type: String,
    pub oic_id: i64,
    pub oic: String,
    pub oic_supervisor_id: i64,
    pub oic_supervisor: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Items still held.
    pub held: i64,
}

/// Why an item left the locker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeletedWhy {
    /// The OIC (or their supervisor) said it is no longer needed.
    NotNeeded,
    /// Three reviews went unanswered.
    Unanswered,
}

impl DeletedWhy {
    pub fn as_str(self) -> &'static str {
        match self {
            DeletedWhy::NotNeeded => "not_needed",
            DeletedWhy::Unanswered => "unanswered",
        }
    }

    pub fn parse(s: &str) -> Option<DeletedWhy> {
        [DeletedWhy::NotNeeded, DeletedWhy::Unanswered].into_iter().find(|d| d.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemView {
    pub id: i64,
    pub case_id: i64,
    pub case_title: String,
    /// The preserved read; `None` once the item is deleted.
    pub read: Option<ReadView>,
    pub read_id: i64,
    pub preserved_by: String,
    pub preserved_at: DateTime<Utc>,
    pub review_due_at: DateTime<Utc>,
    pub unanswered: i64,
    /// Whom the next review asks: the OIC, or their supervisor once the OIC has not answered.
    pub ask_id: i64,
    pub ask: String,
    pub escalated: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub deleted_why: Option<DeletedWhy>,
}

/// What the person asked at a review said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReviewAnswer {
    StillNeeded,
    NotNeeded,
    NoAnswer,
}

impl ReviewAnswer {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewAnswer::StillNeeded => "still_needed",
            ReviewAnswer::NotNeeded => "not_needed",
            ReviewAnswer::NoAnswer => "no_answer",
        }
    }
}

/// An auditor's record of one review of an item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewReview {
    pub answer: ReviewAnswer,
    /// Who was asked, how and when, and what they said.
    pub note: String,
}

impl NewReview {
    pub fn check(&self) -> Result<(), LockerError> {
        if self.note.trim().is_empty() {
            return Err(LockerError::NoteMissing);
        }
        text("note", &self.note, 2000)
    }
}

/// A user as the case form offers them: officers in charge and their supervisors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub id: i64,
    pub display_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct People {
    pub investigators: Vec<Person>,
    pub supervisors: Vec<Person>,
}
