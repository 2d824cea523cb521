//! Searches of stored reads (R5, R10, R12, R13), their audit sample (R22) and the per-user
//! restrictions that narrow them.

use crate::analysis::{self, Analysis, AnalysisResult, Description, PlaceWindow};
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlateMode {
    /// The plate exactly.
    Exact,
    /// A partial plate: `?` stands for one character, `*` for any run (`AB12*`, `?B12CDE`).
    Partial,
    /// The plate and its typical misreads (R5: 0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B, 6/G).
    Misread,
}

/// A kind of search a user may be barred from (R13), named by [`Capability::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum Capability {
    PlateExact,
    PlatePartial,
    PlateMisread,
    Area,
    /// One capability per analysis (R13).
    Analysis(Analysis),
}

impl Capability {
    pub const ALL: [Capability; 8] = [
        Capability::PlateExact,
        Capability::PlatePartial,
        Capability::PlateMisread,
        Capability::Area,
        Capability::Analysis(Analysis::Convoy),
        Capability::Analysis(Analysis::Places),
        Capability::Analysis(Analysis::Description),
        Capability::Analysis(Analysis::Pattern),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::PlateExact => "plate_exact",
            Capability::PlatePartial => "plate_partial",
            Capability::PlateMisread => "plate_misread",
            Capability::Area => "area",
            Capability::Analysis(a) => a.as_str(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Capability::PlateExact => "vehicle history (exact plate)",
            Capability::PlatePartial => "partial-plate search",
            Capability::PlateMisread => "misread-tolerant search",
            Capability::Area => "area-and-time search",
            Capability::Analysis(a) => a.label(),
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl TryFrom<String> for Capability {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        Capability::parse(&s).ok_or_else(|| {
            let known: Vec<&str> = Capability::ALL.iter().map(|c| c.as_str()).collect();
            format!("unknown capability `{s}` (one of {})", known.join(", "))
        })
    }
}

impl From<Capability> for &'static str {
    fn from(c: Capability) -> &'static str {
        c.as_str()
    }
}

/// What is searched for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Vehicles travelling with `plate`: seen at the same cameras within ±`window_seconds`.
    Convoy {
        plate: String,
        #[serde(default = "convoy_window")]
        window_seconds: u32,
    },
    /// Vehicles seen in at least `min_windows` of the place-and-time `windows`.
    Places { windows: Vec<PlaceWindow>, min_windows: usize },
    /// Vehicles of a make, model and/or colour, and optionally a partial plate, in an area or
    /// at cameras (by default all those of the request).
    Description {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        make: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        colour: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        plate: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        area: Option<Area>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        cameras: Vec<i64>,
    },
    /// Where and when `plate` is seen.
    Pattern { plate: String },
}

fn convoy_window() -> u32 {
    analysis::CONVOY_WINDOW_SECONDS
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
    #[error("a convoy's window must be 1 to 600 seconds")]
    ConvoyWindow,
    #[error("several places needs 2 to 10 windows")]
    WindowCount,
    #[error("window {0}: needs an area or cameras, and must start before it ends within the search's time range")]
    PlaceWindow(usize),
    #[error("window {0} repeats window {1}")]
    RepeatedWindow(usize, usize),
    #[error("min_windows must be at least 2 and at most the number of windows")]
    MinWindows,
    #[error("{0}")]
    Description(&'static str),
}

impl SearchQuery {
    pub fn capability(&self) -> Capability {
        match self {
            SearchQuery::Plate { mode: PlateMode::Exact, .. } => Capability::PlateExact,
            SearchQuery::Plate { mode: PlateMode::Partial, .. } => Capability::PlatePartial,
            SearchQuery::Plate { mode: PlateMode::Misread, .. } => Capability::PlateMisread,
            SearchQuery::Area { .. } => Capability::Area,
            q => Capability::Analysis(q.analysis().expect("an analysis")),
        }
    }

    /// The analysis the query is, if it is one.
    pub fn analysis(&self) -> Option<Analysis> {
        match self {
            SearchQuery::Plate { .. } | SearchQuery::Area { .. } => None,
            SearchQuery::Convoy { .. } => Some(Analysis::Convoy),
            SearchQuery::Places { .. } => Some(Analysis::Places),
            SearchQuery::Description { .. } => Some(Analysis::Description),
            SearchQuery::Pattern { .. } => Some(Analysis::Pattern),
        }
    }

    /// The query in a line, for lists and the audit sample.
    pub fn summary(&self) -> String {
        let area = |area: &Option<Area>, cameras: &[i64]| {
            let area = area.map(|a| format!("area {:.3},{:.3} – {:.3},{:.3}", a.south, a.west, a.north, a.east));
            let cameras = (!cameras.is_empty()).then(|| format!("cameras {cameras:?}"));
            [area, cameras].into_iter().flatten().collect::<Vec<_>>().join(" and ")
        };
        match self {
            SearchQuery::Plate { plate, mode } => match mode {
                PlateMode::Exact => plate.clone(),
                PlateMode::Partial => format!("{plate} (partial)"),
                PlateMode::Misread => format!("{plate} and misreads"),
            },
            SearchQuery::Area { area: a, cameras } => area(a, cameras),
            SearchQuery::Convoy { plate, window_seconds } => format!("convoy of {plate} (±{window_seconds} s)"),
            SearchQuery::Places { windows, min_windows } => {
                format!("vehicles in at least {min_windows} of {} places", windows.len())
            }
            SearchQuery::Description { make, model, colour, plate, area: a, cameras } => {
                let what: Vec<&str> = [colour, make, model, plate].into_iter().flatten().map(String::as_str).collect();
                let place = area(a, cameras);
                let place = if place.is_empty() { "the request's area".to_owned() } else { place };
                format!("description {} in {place}", what.join(" "))
            }
            SearchQuery::Pattern { plate } => format!("pattern of life of {plate}"),
        }
    }

    /// The description a vehicle-description analysis looks for.
    pub fn description(&self) -> Option<Description> {
        match self {
            SearchQuery::Description { make, model, colour, .. } => {
                Some(Description { make: make.clone(), model: model.clone(), colour: colour.clone() })
            }
            _ => None,
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

    /// Checks the query alone; `from` and `to` are the search's time range.
    pub fn check(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<(), SearchError> {
        let area = |area: &Option<Area>| area.as_ref().map_or(Ok(()), |a| a.check().map_err(SearchError::Area));
        match self {
            SearchQuery::Plate { plate, mode } => Self::pattern(plate, *mode).map(|_| ()),
            SearchQuery::Area { area: None, cameras } if cameras.is_empty() => Err(SearchError::EmptyArea),
            SearchQuery::Area { area: a, .. } => area(a),
            SearchQuery::Convoy { plate, window_seconds } => {
                Plate::parse(plate)?;
                if analysis::CONVOY_WINDOW_RANGE.contains(window_seconds) {
                    Ok(())
                } else {
                    Err(SearchError::ConvoyWindow)
                }
            }
            SearchQuery::Places { windows, min_windows } => {
                if !analysis::PLACES_WINDOWS.contains(&windows.len()) {
                    return Err(SearchError::WindowCount);
                }
                for (i, w) in windows.iter().enumerate() {
                    let placed = w.area.is_some() || !w.cameras.is_empty();
                    if !placed || w.from >= w.to || w.from < from || w.to > to {
                        return Err(SearchError::PlaceWindow(i + 1));
                    }
                    area(&w.area)?;
                    // The same window twice would count every vehicle in it as seen in two.
                    if let Some(earlier) = windows[..i].iter().position(|e| e == w) {
                        return Err(SearchError::RepeatedWindow(i + 1, earlier + 1));
                    }
                }
                if (2..=windows.len()).contains(min_windows) {
                    Ok(())
                } else {
                    Err(SearchError::MinWindows)
                }
            }
            SearchQuery::Description { plate, area: a, .. } => {
                self.description().expect("a description").check().map_err(SearchError::Description)?;
                if let Some(p) = plate {
                    EntryPattern::parse(p)?;
                }
                area(a)
            }
            SearchQuery::Pattern { plate } => Plate::parse(plate).map(|_| ()).map_err(SearchError::from),
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        self.query.check(self.from, self.to)
    }
}

/// One page of a search's results, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    pub search_id: i64,
    pub reference: String,
    /// Results in all pages; at most [`COUNT_CAP`], see `total_capped`.
    pub total: i64,
    pub total_capped: bool,
    pub results: Vec<ReadView>,
    /// Pass as `after` to fetch the next page; absent on the last.
    pub next: Option<String>,
    /// What an analysis found beyond its reads (on its first page).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisResult>,
    /// The sources whose reads the request's purpose may not use, left out of the results.
    #[serde(default)]
    pub left_out: Vec<LeftOut>,
}

/// A source a search left out because its legal basis does not allow the request's purpose
/// (R3, R10): "reads from the TfL feed are available for national security only: 3 cameras
/// left out".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftOut {
    pub feed: String,
    /// The zone, when only a zone of the feed is limited.
    #[serde(default)]
    pub zone: Option<String>,
    /// How many of the cameras the search would read are left out.
    pub cameras: usize,
    /// What the source's basis allows.
    pub purposes: Vec<Purpose>,
    pub legal_basis: String,
    /// Captured from this instant on (before it, another basis held); `None` for all time.
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Captured before this instant (after it, another basis holds); `None` for no end.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// The whole of it in words.
    pub reason: String,
}

/// Where a search's reads were taken: one camera's share of all of them, for the map (an area
/// search finds thousands, more than any page).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

/// The query of `GET /audit/samples`: open samples, or those reviewed, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct SamplesQuery {
    #[serde(default)]
    pub reviewed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
}

/// What a user may not search (R13), set by a system admin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Restrictions {
    #[serde(default)]
    pub denied_capabilities: BTreeSet<Capability>,
    #[serde(default)]
    pub denied_cameras: BTreeSet<i64>,
}

/// An auditor's finding on a sampled search (R22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SampleReview {
    #[serde(flatten)]
    pub finding: SampleFinding,
    pub reviewed_by: String,
    pub reviewed_at: DateTime<Utc>,
}

/// A search drawn into the audit sample, with what an auditor needs to judge it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        let (from, to) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        assert_eq!(q.check(from, to), Err(SearchError::EmptyArea));
    }

    #[test]
    fn several_places_takes_two_to_ten_windows_and_k_between_two_and_their_number() {
        use chrono::TimeZone;
        let at = |h| Utc.with_ymd_and_hms(2026, 11, 2, h, 0, 0).unwrap();
        let window = |h| PlaceWindow { area: None, cameras: vec![1], from: at(h), to: at(h + 1) };
        let places = |n: u32, k| SearchQuery::Places { windows: (0..n).map(window).collect(), min_windows: k };
        let (from, to) = (at(0), at(20));
        assert_eq!(places(1, 1).check(from, to), Err(SearchError::WindowCount));
        assert_eq!(places(2, 2).check(from, to), Ok(()));
        assert_eq!(places(3, 1).check(from, to), Err(SearchError::MinWindows));
        assert_eq!(places(3, 3).check(from, to), Ok(()));
        assert_eq!(places(3, 4).check(from, to), Err(SearchError::MinWindows));
        assert_eq!(places(10, 10).check(from, to), Ok(()));
        assert_eq!(places(11, 2).check(from, to), Err(SearchError::WindowCount));
        // Each window lies inside the search's range and names a place.
        assert_eq!(places(3, 2).check(from, at(2)), Err(SearchError::PlaceWindow(3)));
        let unplaced = SearchQuery::Places {
            windows: vec![window(0), PlaceWindow { cameras: vec![], ..window(1) }],
            min_windows: 2,
        };
        assert_eq!(unplaced.check(from, to), Err(SearchError::PlaceWindow(2)));
        let twice = SearchQuery::Places { windows: vec![window(1), window(2), window(1)], min_windows: 2 };
        assert_eq!(twice.check(from, to), Err(SearchError::RepeatedWindow(3, 1)));
    }

    #[test]
    fn capabilities_are_named_by_one_word_each() {
        for c in Capability::ALL {
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Capability>(&json).unwrap(), c);
        }
        assert!(serde_json::from_str::<Capability>("\"teleport\"")
            .unwrap_err()
            .to_string()
            .contains("unknown capability"));
    }
}

string_schema!(
    Capability,
    "A kind of search: `plate_exact`, `plate_partial`, `plate_misread`, `area`, or an analysis's name."
);
