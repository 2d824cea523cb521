//! The annual report to oversight bodies (R23), drawn by the system for a period: its sections'
//! figures, how evenly the network watches, and an extract for independent analysis.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A count as the figures show it (R23). A count from 1 to k − 1 is small enough to point at
/// one investigation, so it is shown only as "fewer than k", where k is the deployment's
/// smallest shown count (`oversight.min_count`, 5 unless configured); 0 and counts of k or more
/// are shown exactly.
///
/// In JSON an exact count is a number and a withheld one the string `"fewer than k"`, e.g.
/// `{"count": 12}`, `{"count": 0}`, `{"count": "fewer than 5"}`; the CSV shows the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(i64),
    /// Between 1 and this bound less one.
    FewerThan(i64),
}

impl Count {
    /// `n` as shown when counts below `min_count` are withheld.
    pub fn shown(n: i64, min_count: i64) -> Count {
        if n > 0 && n < min_count {
            Count::FewerThan(min_count)
        } else {
            Count::Exact(n)
        }
    }

    /// The exact count, unless it is withheld.
    pub fn exact(self) -> Option<i64> {
        match self {
            Count::Exact(n) => Some(n),
            Count::FewerThan(_) => None,
        }
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::FewerThan(k) => write!(f, "fewer than {k}"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Exact(n) => serializer.serialize_i64(*n),
            Count::FewerThan(_) => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Number(n) => Ok(Count::Exact(n)),
            Raw::Text(text) => text
                .strip_prefix("fewer than ")
                .and_then(|k| k.parse().ok())
                .map(Count::FewerThan)
                .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a count"))),
        }
    }
}

/// One line of the figures: a section, what is counted, and how many.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    pub section: String,
    pub item: String,
    pub count: Count,
}

/// The report's sections, in the order of the annual report to the Home Secretary.
pub const SECTIONS: [&str; 10] = [
    SUMMARY_OF_USE,
    DIFFICULTIES,
    TECHNICAL_DIFFICULTIES,
    AUDIT,
    CHALLENGES,
    TRANSFERS,
    REQUESTS,
    GENERAL_PRIVACY,
    DELETIONS,
    USEFULNESS,
];
pub const SUMMARY_OF_USE: &str = "Summary of use";
pub const DIFFICULTIES: &str = "Difficulties";
pub const TECHNICAL_DIFFICULTIES: &str = "Technical difficulties";
pub const AUDIT: &str = "Audit";
pub const CHALLENGES: &str = "Challenges";
pub const TRANSFERS: &str = "Transfers";
pub const REQUESTS: &str = "Requests";
pub const GENERAL_PRIVACY: &str = "General privacy issues";
pub const DELETIONS: &str = "Deletions";
pub const USEFULNESS: &str = "Usefulness";

/// The period a report, the intensity map or the extract covers: a calendar `year`, or the days
/// `from` to `to` (both included). `format` picks the report's download.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<chrono::NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<ReportFormat>,
}

/// How the report is given: JSON (the page's preview), PDF, or CSV beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    Json,
    Pdf,
    Csv,
}

/// One audit chain's head when the report was drawn: anyone holding the log can check that the
/// figures were drawn from it as it then stood.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainHead {
    pub chain: String,
    pub seq: i64,
    pub hash: String,
}

/// The report for a period, as drawn at `drawn_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// The first day and the last day covered (UTC).
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    pub drawn_at: chrono::DateTime<chrono::Utc>,
    /// The smallest count shown exactly.
    pub min_count: i64,
    /// The audit chains' heads as they stood when it was drawn.
    pub heads: Vec<ChainHead>,
    /// Whether every audit chain held when it was drawn.
    pub chains: crate::ChainReport,
    /// The figures, section by section in [`SECTIONS`] order.
    pub figures: Vec<Figure>,
}

impl Report {
    /// The count of `item` in `section`, or 0.
    pub fn get(&self, section: &str, item: &str) -> Count {
        self.figures.iter().find(|f| f.section == section && f.item == item).map_or(Count::Exact(0), |f| f.count)
    }
}

/// Reads over a period at one camera, or in one area: how intensely it is watched. Figures
/// only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Intensity {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// The grid's cell size in degrees of latitude and longitude (about 1 km at London).
    pub cell_lat: f64,
    pub cell_lon: f64,
    pub cameras: Vec<CameraIntensity>,
    pub cells: Vec<CellIntensity>,
    pub zones: Vec<ZoneIntensity>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CameraIntensity {
    pub camera_id: i64,
    pub name: String,
    pub zone: String,
    pub lat: f64,
    pub lon: f64,
    pub reads: Count,
}

/// A grid cell: its south-west corner and what its cameras read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CellIntensity {
    pub south: f64,
    pub west: f64,
    pub cameras: i64,
    pub reads: Count,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ZoneIntensity {
    pub zone: String,
    pub cameras: i64,
    pub reads: Count,
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Count {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64))),
            )
            .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some("^fewer than [0-9]+$")))
            .description(Some("An exact count, or `\"fewer than k\"` for a count withheld as too small (R23)."))
            .into()
    }
}
#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Count {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_below_k_are_withheld_and_zero_is_not() {
        assert_eq!(Count::shown(0, 5), Count::Exact(0));
        assert_eq!(Count::shown(1, 5), Count::FewerThan(5));
        assert_eq!(Count::shown(4, 5), Count::FewerThan(5));
        assert_eq!(Count::shown(5, 5), Count::Exact(5));
        assert_eq!(Count::shown(3, 1), Count::Exact(3), "k = 1 withholds nothing");
    }

    #[test]
    fn a_count_is_a_number_or_says_what_it_is_fewer_than() {
        assert_eq!(serde_json::to_value(Count::Exact(12)).unwrap(), serde_json::json!(12));
        assert_eq!(serde_json::to_value(Count::FewerThan(5)).unwrap(), serde_json::json!("fewer than 5"));
        for count in [Count::Exact(0), Count::Exact(7), Count::FewerThan(10)] {
            let back: Count = serde_json::from_value(serde_json::to_value(count).unwrap()).unwrap();
            assert_eq!(back, count);
        }
        assert!(serde_json::from_value::<Count>(serde_json::json!("many")).is_err());
    }
}
