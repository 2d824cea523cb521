//! Live-time watches (R10, R12, R13): under an approved request whose window covers now, an
//! investigator watches plates or an area and is sent the matching reads as they are stored.
//! A watch is a search whose window runs from its opening to the end of the request's window
//! or approval, so its reads are reached, verified and audited exactly as a search's are.

use crate::search::SearchQuery;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A watch as an investigator opens it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWatch {
    pub request_id: i64,
    pub query: SearchQuery,
}

/// Why a watch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WatchEnd {
    /// Its user closed it.
    Closed,
    /// The request's window or approval ran out.
    Expired,
    /// The request can no longer be used (withdrawn, its approval revoked, or the user's reach
    /// or camera restrictions no longer cover it).
    Revoked,
    /// Its user no longer stands where they stood: signed out, disabled, or a role taken away.
    StandingLost,
}

impl WatchEnd {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEnd::Closed => "closed",
            WatchEnd::Expired => "expired",
            WatchEnd::Revoked => "revoked",
            WatchEnd::StandingLost => "standing_lost",
        }
    }

    pub fn parse(s: &str) -> Option<WatchEnd> {
        [WatchEnd::Closed, WatchEnd::Expired, WatchEnd::Revoked, WatchEnd::StandingLost]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            WatchEnd::Closed => "closed",
            WatchEnd::Expired => "ended with its request's window or approval",
            WatchEnd::Revoked => "ended: its request can no longer be used",
            WatchEnd::StandingLost => "ended: you were signed out, or no longer hold the role it needs",
        }
    }
}

/// A watch as the API shows it. Its id is the id of the search it is, so its reads are
/// reached at `/searches/{id}/reads/{read}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchView {
    pub id: i64,
    pub request_id: i64,
    pub reference: String,
    pub query: SearchQuery,
    pub opened_at: DateTime<Utc>,
    /// When it ends by itself: the end of the request's window or approval, whichever is first.
    pub ends_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub ended: Option<WatchEnd>,
    /// Reads sent to the watcher so far.
    pub delivered: i64,
    /// The sources whose reads the request's purpose may not use: not sent (R3, R10).
    #[serde(default)]
    pub left_out: Vec<crate::search::LeftOut>,
}

/// The event that ends a watch's stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchEnded {
    pub ended: WatchEnd,
    pub delivered: i64,
}
