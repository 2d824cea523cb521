//! Searches of stored reads (R5, R10, R12, R13), their audit sample (R22) and the per-user
//! restrictions that narrow them.

use crate::hotlists::{EntryPattern, PatternError};
use crate::plate::Plate;
use crate::reads::ReadView;
use crate::requests::{Area, Purpose, Seriousness};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Results per page.
pub const PAGE_SIZE: usize = 500;
/// Counting stops here: a larger total is reported as "at least".
pub const COUNT_CAP: i64 = 10_000;
/// Characters a plate may hold, for expanding a leading `?` of a partial plate.
pub const PLATE_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// How a plate search compares plates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlateMode {
    /// The plate exactly.
    Exact,
    /// A partial plate: `?` stands for one character, `*` for any run (`AB12*`, `?B12CDE`).
    Partial,
    /// The plate and its typical misreads (R5: 0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G).
    Misread,
}

/// A kind of search a user may be barred from (R13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    PlateExact,
    PlatePartial,
    PlateMisread,
    Area,
}

impl Capability {
    pub const ALL: [Capability; 4] =
        [Capability::PlateExact, Capability::PlatePartial, Capability::PlateMisread, Capability::Area];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::PlateExact => "plate_exact",
            Capability::PlatePartial => "plate_partial",
            Capability::PlateMisread => "plate_misread",
            Capability::Area => "area",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Capability::PlateExact => "vehicle history (exact plate)",
            Capability::PlatePartial => "partial-plate search",
            Capability::PlateMisread => "misread-tolerant search",
            Capability::Area => "area-and-time search",
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// What is searched for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SearchQuery {
    /// A vehicle's history by plate.
    Plate { plate: String, mode: PlateMode },
    /// Every read in a drawn rectangle and/or at chosen cameras.
    Area {
        #[serde(default)]
        area: Option<Area>,
        #[serde(default)]
        cameras: Vec<i64>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    Pattern(#[from] PatternError),
    #[error("plate: {0}")]
    Plate(#[from] crate::plate::PlateError),
    #[error("a partial plate needs `?` or `*`; for a whole plate choose exact or misread-tolerant")]
    NotPartial,
    #[error("a partial plate must give its first character, or `?` then its second (e.g. `AB12*`, `?B12CDE`)")]
    NoPrefix,
    #[error("an area search needs a rectangle or cameras")]
    EmptyArea,
    #[error("area: {0}")]
    Area(#[from] crate::requests::RequestError),
    #[error("time range must start before it ends")]
    Window,
}

impl SearchQuery {
    pub fn capability(&self) -> Capability {
        match self {
            SearchQuery::Plate { mode: PlateMode::Exact, .. } => Capability::PlateExact,
            SearchQuery::Plate { mode: PlateMode::Partial, .. } => Capability::PlatePartial,
            SearchQuery::Plate { mode: PlateMode::Misread, .. } => Capability::PlateMisread,
            SearchQuery::Area { .. } => Capability::Area,
        }
    }

    /// The plate or partial plate a plate search names, checked for its mode.
    pub fn pattern(plate: &str, mode: PlateMode) -> Result<EntryPattern, SearchError> {
        match mode {
            PlateMode::Exact | PlateMode::Misread => Ok(EntryPattern::Plate(Plate::parse(plate)?)),
            PlateMode::Partial => match EntryPattern::parse(plate)? {
                EntryPattern::Plate(_) => Err(SearchError::NotPartial),
                wildcard => {
                    partial_prefixes(wildcard.as_str())?;
                    Ok(wildcard)
                }
            },
        }
    }

    pub fn check(&self) -> Result<(), SearchError> {
        match self {
            SearchQuery::Plate { plate, mode } => Self::pattern(plate, *mode).map(|_| ()),
            SearchQuery::Area { area: None, cameras } if cameras.is_empty() => Err(SearchError::EmptyArea),
            SearchQuery::Area { area, .. } => area.as_ref().map_or(Ok(()), |a| a.check().map_err(SearchError::Area)),
        }
    }
}

/// The literal prefixes an index lookup needs for a partial plate: its characters before the
/// first wildcard, or, where it starts with one `?`, each possible first character followed
/// by the literal run after it.
pub fn partial_prefixes(pattern: &str) -> Result<Vec<String>, SearchError> {
    let literal: String = pattern.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    if !literal.is_empty() {
        return Ok(vec![literal]);
    }
    let mut rest = pattern.chars();
    if rest.next() != Some('?') {
        return Err(SearchError::NoPrefix);
    }
    let run: String = rest.take_while(|c| c.is_ascii_alphanumeric()).collect();
    if run.is_empty() {
        return Err(SearchError::NoPrefix);
    }
    Ok(PLATE_ALPHABET.chars().map(|c| format!("{c}{run}")).collect())
}

/// A search as an investigator asks for it: under which request, what, and over which time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSearch {
    pub request_id: i64,
    pub query: SearchQuery,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl NewSearch {
    pub fn check(&self) -> Result<(), SearchError> {
        if self.from >= self.to {
            return Err(SearchError::Window);
        }
        self.query.check()
    }
}

/// One page of a search's results, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPage {
    pub search_id: i64,
    pub reference: String,
    /// Results in all pages; at most [`COUNT_CAP`], see `total_capped`.
    pub total: i64,
    pub total_capped: bool,
    pub results: Vec<ReadView>,
    /// Pass as `after` to fetch the next page; absent on the last.
    pub next: Option<String>,
}

/// Where a search's reads were taken: one camera's share of all of them, for the map (an area
/// search finds thousands, more than any page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraCount {
    pub camera_id: i64,
    pub camera_name: String,
    pub lat: f64,
    pub lon: f64,
    pub reads: i64,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

/// The query of `GET /searches/{id}`: the page after the cursor a page gave as `next`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The query of `GET /audit/samples`: open samples, or those reviewed, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamplesQuery {
    #[serde(default)]
    pub reviewed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// What a user may not search (R13), set by a system admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Restrictions {
    #[serde(default)]
    pub denied_capabilities: BTreeSet<Capability>,
    #[serde(default)]
    pub denied_cameras: BTreeSet<i64>,
}

/// An auditor's finding on a sampled search (R22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleFinding {
    pub necessary: bool,
    pub proportionate: bool,
    pub note: String,
}

impl SampleFinding {
    pub fn check(&self) -> Result<(), String> {
        if (3..=2000).contains(&self.note.trim().chars().count()) {
            Ok(())
        } else {
            Err("note must be 3 to 2000 characters".into())
        }
    }
}

/// A recorded finding with who recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleReview {
    #[serde(flatten)]
    pub finding: SampleFinding,
    pub reviewed_by: String,
    pub reviewed_at: DateTime<Utc>,
}

/// A search drawn into the audit sample, with what an auditor needs to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleView {
    pub search_id: i64,
    pub searched_at: DateTime<Utc>,
    pub searched_by: String,
    pub reference: String,
    pub purpose: Purpose,
    pub crime_type: String,
    pub seriousness: Seriousness,
    pub reason: String,
    pub query: SearchQuery,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub result_count: i64,
    /// Reached further back than the standard window (90 days), sampled at the higher rate.
    pub beyond_standard: bool,
    pub review: Option<SampleReview>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_plates_need_an_indexable_start() {
        assert_eq!(partial_prefixes("AB12*").unwrap(), vec!["AB12"]);
        let expanded = partial_prefixes("?B12CDE").unwrap();
        assert_eq!(expanded.len(), 36);
        assert!(expanded.contains(&"AB12CDE".to_owned()) && expanded.contains(&"9B12CDE".to_owned()));
        assert_eq!(partial_prefixes("?B?2CDE").unwrap().len(), 36);
        assert_eq!(partial_prefixes("*12CDE"), Err(SearchError::NoPrefix));
        assert_eq!(partial_prefixes("??12CDE"), Err(SearchError::NoPrefix));
    }

    #[test]
    fn each_mode_checks_its_plate() {
        let pattern = |p: &str, m| SearchQuery::pattern(p, m);
        assert!(pattern("AB12CDE", PlateMode::Exact).is_ok());
        assert!(pattern("AB12*", PlateMode::Exact).is_err(), "a wildcard is not an exact plate");
        assert_eq!(pattern("AB12CDE", PlateMode::Partial), Err(SearchError::NotPartial));
        assert_eq!(pattern("ab 12*", PlateMode::Partial).unwrap().as_str(), "AB12*");
        assert_eq!(pattern("*B12CDE", PlateMode::Partial), Err(SearchError::NoPrefix));
        let q = SearchQuery::Area { area: None, cameras: vec![] };
        assert_eq!(q.check(), Err(SearchError::EmptyArea));
    }
}
