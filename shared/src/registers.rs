//! The registers auditors keep for the annual report (R23): breaches, and subject access
//! requests. A subject access request that names a plate can have the system find what it holds
//! for that plate, under the entry itself (its own legal basis), so the disclosure is produced
//! by the system; where disclosure would prejudice national security, the answer the
//! certificate allows is recorded instead.

use crate::form::{Problems, Validate};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Which register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Register {
    Breach,
    SubjectAccess,
}

impl Register {
    pub const ALL: [Register; 2] = [Register::Breach, Register::SubjectAccess];

    pub fn as_str(self) -> &'static str {
        match self {
            Register::Breach => "breach",
            Register::SubjectAccess => "subject_access",
        }
    }

    /// Its part of the API's paths: `/registers/breaches`, `/registers/subject-access`.
    pub fn slug(self) -> &'static str {
        match self {
            Register::Breach => "breaches",
            Register::SubjectAccess => "subject-access",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Register> {
        Register::ALL.into_iter().find(|r| r.slug() == slug)
    }

    pub fn parse(s: &str) -> Option<Register> {
        Register::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The prefix of its entries' references: `BR-2026-000001`, `SAR-2026-000001`.
    pub fn prefix(self) -> &'static str {
        match self {
            Register::Breach => "BR",
            Register::SubjectAccess => "SAR",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Register::Breach => "Breaches",
            Register::SubjectAccess => "Subject access requests",
        }
    }
}

/// How a subject access request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    /// What the system holds for the plate was disclosed.
    Disclosed,
    /// Nothing is held for it.
    NothingHeld,
    /// Disclosure would prejudice national security: the general answer the certificate allows
    /// was given instead ([`NATIONAL_SECURITY_ANSWER`]).
    NationalSecurity,
    /// The request was not specific enough to answer (no plate, no period).
    NotSpecific,
}

/// The general answer given where a specific one could prejudice national security.
pub const NATIONAL_SECURITY_ANSWER: &str = "If you have driven a vehicle in central London of which you are the \
registered keeper, your personal data will have been processed for the purpose of safeguarding national security.";

impl Answer {
    pub const ALL: [Answer; 4] =
        [Answer::Disclosed, Answer::NothingHeld, Answer::NationalSecurity, Answer::NotSpecific];

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Disclosed => "disclosed",
            Answer::NothingHeld => "nothing_held",
            Answer::NationalSecurity => "national_security",
            Answer::NotSpecific => "not_specific",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Answer::Disclosed => "Disclosed",
            Answer::NothingHeld => "Nothing held",
            Answer::NationalSecurity => "National security answer given",
            Answer::NotSpecific => "Not specific enough to answer",
        }
    }

    pub fn parse(s: &str) -> Option<Answer> {
        Answer::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A new entry: the day it happened (a breach) or was asked (a subject access request), what
/// happened or what was asked, and for a subject access request the plate it is about, if
/// it names one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = NewRegisterEntry))]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    pub happened_on: NaiveDate,
    pub what: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate: Option<String>,
}

/// A change to an open entry: what was found, what was disclosed, the answer given (subject
/// access), and whether it closes now. A closed entry is not changed again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RegisterEntryUpdate))]
#[serde(deny_unknown_fields)]
pub struct EntryUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub found: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
    #[serde(default)]
    pub close: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisterError {
    #[error("must be 3 to 4000 characters of plain text (no control characters)")]
    Text,
    #[error("must be a whole plate of 2 to 10 letters and digits")]
    Plate,
    #[error("must be from 1 January 2000")]
    Day,
    #[error("nothing to change")]
    Nothing,
}

fn text_ok(text: &str) -> bool {
    (3..=4000).contains(&text.trim().chars().count()) && crate::form::plain_text(text)
}

impl Validate for NewEntry {
    type Error = RegisterError;

    fn problems(&self) -> Vec<(&'static str, RegisterError)> {
        let mut p = Problems::default();
        let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).expect("a day");
        p.require(self.happened_on >= earliest, "happened_on", RegisterError::Day);
        p.require(text_ok(&self.what), "what", RegisterError::Text);
        if let Some(plate) = &self.plate {
            let whole = crate::Plate::parse(plate).is_ok_and(|p| (2..=10).contains(&p.as_str().len()));
            p.require(whole, "plate", RegisterError::Plate);
        }
        p.into_vec()
    }
}

impl Validate for EntryUpdate {
    type Error = RegisterError;

    fn problems(&self) -> Vec<(&'static str, RegisterError)> {
        let mut p = Problems::default();
        for (field, text) in [("found", &self.found), ("disclosed", &self.disclosed)] {
            if let Some(text) = text {
                p.require(text_ok(text), field, RegisterError::Text);
            }
        }
        let nothing = self.found.is_none() && self.disclosed.is_none() && self.answer.is_none() && !self.close;
        p.require(!nothing, "close", RegisterError::Nothing);
        p.into_vec()
    }
}

/// An entry as the registers show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RegisterEntryView))]
pub struct EntryView {
    pub id: i64,
    pub register: Register,
    pub reference: String,
    pub happened_on: NaiveDate,
    pub what: String,
    pub plate: Option<String>,
    pub found: Option<String>,
    pub disclosed: Option<String>,
    pub answer: Option<Answer>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
    /// When the system last searched for the entry's plate, and how many reads it found.
    pub searched_at: Option<DateTime<Utc>>,
    pub reads_found: Option<i64>,
    pub closed_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// One read disclosed to a data subject: when and where their vehicle was seen (no images, no
/// other vehicle).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisclosedRead {
    pub captured_at: DateTime<Utc>,
    pub plate: String,
    pub camera: String,
    pub lat: f64,
    pub lon: f64,
    pub direction: Option<String>,
}

/// What the system holds for a subject access request's plate, as found under the entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    pub reference: String,
    pub plate: String,
    pub searched_at: DateTime<Utc>,
    /// The oldest instant held: nothing older is kept (R18).
    pub held_from: DateTime<Utc>,
    /// The oldest reads, at most [`MAX_DISCLOSED`]; `more` when there were more than that.
    pub reads: Vec<DisclosedRead>,
    #[serde(default)]
    pub more: bool,
    /// The disclosure as an export the auditor keeps (R20): its id among the exports out, and
    /// its review date ("Review by (UTC)").
    pub export_id: i64,
    pub review_by: DateTime<Utc>,
}

/// Most reads one subject access search lists (a disclosure that long is answered in parts).
pub const MAX_DISCLOSED: usize = 10_000;
