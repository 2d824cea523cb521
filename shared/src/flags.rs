//! Unusual use, flagged for the audit unit (R21, R22): searches, watches and analyses that an
//! auditor would look at first, each with the reason and its figures, and the auditor's review.

use crate::form::{plain_required, Problems, Validate};
use crate::search::SearchQuery;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Why a search was flagged. The stored names are stable: auditors filter by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// Run at an hour of the day the user rarely searches at.
    UnusualHour,
    /// Many more searches in a day than the user usually runs.
    Volume,
    /// The same plate searched under several distinct requests of the user.
    SamePlate,
    /// Run in the last stretch before its request's approval expires.
    BeforeExpiry,
    /// A broad area searched by a local-tier user.
    BroadArea,
    /// A plate on a members-only hotlist whose audience the user is not in (R8).
    RestrictedPlate,
    /// A partial or misread-tolerant search that reached many plates the request did not name.
    OutsidePlates,
}

impl FlagKind {
    pub const ALL: [FlagKind; 7] = [
        FlagKind::UnusualHour,
        FlagKind::Volume,
        FlagKind::SamePlate,
        FlagKind::BeforeExpiry,
        FlagKind::BroadArea,
        FlagKind::RestrictedPlate,
        FlagKind::OutsidePlates,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FlagKind::UnusualHour => "unusual_hour",
            FlagKind::Volume => "volume",
            FlagKind::SamePlate => "same_plate",
            FlagKind::BeforeExpiry => "before_expiry",
            FlagKind::BroadArea => "broad_area",
            FlagKind::RestrictedPlate => "restricted_plate",
            FlagKind::OutsidePlates => "outside_plates",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FlagKind::UnusualHour => "Outside the user's usual hours",
            FlagKind::Volume => "Many more searches than usual",
            FlagKind::SamePlate => "Same plate under several requests",
            FlagKind::BeforeExpiry => "Just before the approval expired",
            FlagKind::BroadArea => "Broad area by a local-tier user",
            FlagKind::RestrictedPlate => "Plate on a list the user is not in the audience of",
            FlagKind::OutsidePlates => "Plates beyond those the request named",
        }
    }

    pub fn parse(s: &str) -> Option<FlagKind> {
        FlagKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// An auditor's review of a flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlagReview {
    pub note: String,
    pub reviewed_by: String,
    pub reviewed_at: DateTime<Utc>,
}

/// A flag as the auditors' page lists it: enough to find the search in the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlagView {
    pub id: i64,
    pub search_id: i64,
    /// Who ran the search (their username).
    pub user: String,
    pub request_id: i64,
    pub reference: String,
    pub kind: FlagKind,
    /// Why, with the figures ("11 searches in 24 h against a usual 2.1 a day").
    pub reason: String,
    pub flagged_at: DateTime<Utc>,
    pub searched_at: DateTime<Utc>,
    pub query: SearchQuery,
    /// A live-time watch rather than a search of stored reads.
    pub watch: bool,
    pub review: Option<FlagReview>,
}

/// Which flags to list (`GET /audit/flags`): open ones (oldest first, so none waits forever)
/// or reviewed ones (the most recently reviewed first).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct FlagsQuery {
    #[serde(default)]
    pub reviewed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<FlagKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// The longest review note.
pub const MAX_NOTE: usize = 2000;

/// An auditor's review of a flag: what they found, in plain text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviewFlag {
    pub note: String,
}

impl Validate for ReviewFlag {
    type Error = String;

    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Problems::default();
        p.result(
            "note",
            plain_required(&self.note, MAX_NOTE, &format!("note: say what was found (1 to {MAX_NOTE} characters)")),
        );
        p.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_notes_are_plain_text() {
        for kind in FlagKind::ALL {
            assert_eq!(FlagKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert!(ReviewFlag { note: "Checked with the OIC: a late shift".into() }.check().is_ok());
        assert!(ReviewFlag { note: "  ".into() }.check().is_err());
        assert!(ReviewFlag { note: "hidden\u{200b}text".into() }.check().is_err());
    }
}
