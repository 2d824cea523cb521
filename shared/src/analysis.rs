//! Pattern analyses (R10–R13): questions beyond one plate — which vehicles travel with a target
//! (convoy), which were near each of several incidents (several places), which match a
//! description without a plate, and where and when one vehicle is usually seen (pattern of
//! life). Each is asked under a request made for that analysis, and each result read is reached
//! through the read gate under the analysis that found it, as for a search.

use crate::requests::Area;
use crate::search::CameraCount;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Default for how close in time a vehicle must pass the same camera as the target (seconds).
pub const CONVOY_WINDOW_SECONDS: u32 = 60;
/// Bounds of a convoy's time window (seconds).
pub const CONVOY_WINDOW_RANGE: std::ops::RangeInclusive<u32> = 1..=600;
/// Bounds of how many place-and-time windows a several-places analysis takes.
pub const PLACES_WINDOWS: std::ops::RangeInclusive<usize> = 2..=10;
/// Most vehicles an analysis returns, the best-ranked first.
pub const MAX_VEHICLES: usize = 100;

/// A kind of analysis a request is made for (`scope.analysis`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Analysis {
    /// Vehicles travelling with a target plate.
    Convoy,
    /// Vehicles seen in at least K of several place-and-time windows.
    Places,
    /// Vehicles matching a make, model and colour, with or without a partial plate.
    Description,
    /// Where and when one plate is usually seen.
    Pattern,
}

impl Analysis {
    pub const ALL: [Analysis; 4] = [Analysis::Convoy, Analysis::Places, Analysis::Description, Analysis::Pattern];

    pub fn as_str(self) -> &'static str {
        match self {
            Analysis::Convoy => "convoy",
            Analysis::Places => "places",
            Analysis::Description => "description",
            Analysis::Pattern => "pattern",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Analysis::Convoy => "convoy (vehicles travelling with a target)",
            Analysis::Places => "several places (vehicles near each of several incidents)",
            Analysis::Description => "vehicle description (make, model, colour)",
            Analysis::Pattern => "pattern of life (where and when a vehicle is seen)",
        }
    }

    pub fn parse(s: &str) -> Option<Analysis> {
        Analysis::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Convoy, several-places and pattern-of-life analyses reach vehicles nobody suspects, or
    /// map one vehicle's life: only an inspector may approve them, whatever the crime (R11).
    pub fn needs_inspector(self) -> bool {
        !matches!(self, Analysis::Description)
    }

    /// Whether the analysis is of one target plate the request names (convoy, pattern of
    /// life) rather than of an area (several places, vehicle description).
    pub fn of_a_plate(self) -> bool {
        matches!(self, Analysis::Convoy | Analysis::Pattern)
    }
}

/// One place-and-time window of a several-places analysis: a drawn area and/or chosen cameras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PlaceWindow {
    #[serde(default)]
    pub area: Option<Area>,
    #[serde(default)]
    pub cameras: Vec<i64>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// What a vehicle-description analysis looks for: any of make, model and colour, as a person
/// says them ("VW", "grey"), matched against what cameras report ("Volkswagen", "silver").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Description {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub make: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub colour: Option<String>,
}

/// Makes that are one make, however cameras and people write them (compared as [`key`]s).
const MAKES: &[&[&str]] = &[
    &["volkswagen", "vw", "volkswagon"],
    &["mercedesbenz", "mercedes", "merc", "mb"],
    &["landrover", "lr", "rangerover"],
    &["vauxhall", "opel"],
    &["bmw", "bayerischemotorenwerke"],
    &["alfaromeo", "alfa"],
    &["citroen", "citroën"],
    &["skoda", "škoda"],
    &["mini", "bmwmini"],
    &["chevrolet", "chevy"],
];

/// Colours that cameras and witnesses confuse or name differently.
const COLOURS: &[&[&str]] = &[
    &["grey", "gray", "silver"],
    &["blue", "navy", "darkblue", "lightblue"],
    &["red", "maroon", "burgundy"],
    &["white", "cream"],
    &["black"],
    &["green", "darkgreen"],
    &["yellow", "gold"],
    &["brown", "beige", "bronze", "tan"],
    &["orange"],
    &["purple", "violet"],
    &["pink"],
];

/// How a make, model or colour is compared: lower case, letters and digits only
/// ("Mercedes-Benz" → "mercedesbenz", "3 Series" → "3series").
pub fn key(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn spellings(groups: &[&[&str]], text: &str) -> Vec<String> {
    let k = key(text);
    match groups.iter().find(|g| g.iter().any(|s| key(s) == k)) {
        Some(group) => group.iter().map(|s| key(s)).collect(),
        None => vec![k],
    }
}

impl Description {
    /// The keys a read's make may have to match.
    pub fn makes(&self) -> Option<Vec<String>> {
        self.make.as_deref().map(|m| spellings(MAKES, m))
    }

    pub fn models(&self) -> Option<Vec<String>> {
        self.model.as_deref().map(|m| vec![key(m)])
    }

    pub fn colours(&self) -> Option<Vec<String>> {
        self.colour.as_deref().map(|c| spellings(COLOURS, c))
    }

    /// Whether a vehicle as a camera reported it matches.
    pub fn matches(&self, make: Option<&str>, model: Option<&str>, colour: Option<&str>) -> bool {
        let one = |wanted: Option<Vec<String>>, got: Option<&str>| match wanted {
            None => true,
            Some(keys) => got.is_some_and(|g| keys.contains(&key(g))),
        };
        one(self.makes(), make) && one(self.models(), model) && one(self.colours(), colour)
    }

    pub fn check(&self) -> Result<(), &'static str> {
        let given: Vec<&String> = [&self.make, &self.model, &self.colour].into_iter().flatten().collect();
        if given.is_empty() {
            return Err("a description needs a make, a model or a colour");
        }
        if given.iter().any(|t| key(t).is_empty() || t.chars().count() > 40) {
            return Err("make, model and colour must each be 1 to 40 letters or digits");
        }
        Ok(())
    }
}

/// A vehicle that travelled with the convoy target, and why it ranks where it does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Associate {
    pub plate: String,
    /// The sum of the weights of the distinct places it shared with the target.
    pub score: f64,
    /// Distinct cameras at which it passed within the window of the target.
    pub places: usize,
    /// Times it passed within the window of the target, at any camera.
    pub sightings: usize,
    pub shared: Vec<SharedPlace>,
}

/// One camera at which an associate passed near the target: how crowded it was there, and
/// what sharing it is worth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharedPlace {
    pub camera_id: i64,
    pub camera_name: String,
    /// Distinct vehicles that passed this camera within the window of the target: a busy road
    /// puts many beside it by chance.
    pub crowd: i64,
    /// log2(1 + vehicles beside the target anywhere / crowd here): sharing a quiet camera
    /// with the target is worth more than sharing a busy one.
    pub weight: f64,
    /// Each time: the target's read and the associate's.
    pub pairs: Vec<ReadPair>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadPair {
    pub target: i64,
    pub other: i64,
}

/// Vehicles travelling with a target: those that shared the most unusual places first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConvoyResult {
    pub target: String,
    pub window_seconds: u32,
    /// The target's reads the analysis looked around.
    pub target_reads: Vec<i64>,
    /// Distinct vehicles seen beside the target anywhere.
    pub vehicles_beside: i64,
    pub associates: Vec<Associate>,
}

/// A vehicle seen in at least K of several windows, with its reads in each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlacesVehicle {
    pub plate: String,
    /// In how many of the windows it was seen.
    pub windows: usize,
    /// Its reads in each window, in the order the windows were given.
    pub reads: Vec<Vec<i64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlacesResult {
    pub min_windows: usize,
    /// Cameras read in each window, in the order given.
    pub window_cameras: Vec<Vec<i64>>,
    pub vehicles: Vec<PlacesVehicle>,
}

/// Where and when one vehicle is seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatternResult {
    pub plate: String,
    pub sightings: i64,
    pub first: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// The cameras, the busiest first.
    pub cameras: Vec<CameraCount>,
    /// Sightings by hour of the day (0–23), in `time_zone`.
    pub hours: Vec<i64>,
    /// Sightings by day of the week, Monday first, in `time_zone`.
    pub weekdays: Vec<i64>,
    pub time_zone: String,
}

/// What an analysis found beyond its reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AnalysisResult {
    Convoy(ConvoyResult),
    Places(PlacesResult),
    Pattern(PatternResult),
}

impl AnalysisResult {
    /// The vehicles it names, best first (for the audit row and the history of each).
    pub fn plates(&self) -> Vec<String> {
        match self {
            AnalysisResult::Convoy(c) => c.associates.iter().map(|a| a.plate.clone()).collect(),
            AnalysisResult::Places(p) => p.vehicles.iter().map(|v| v.plate.clone()).collect(),
            AnalysisResult::Pattern(p) => vec![p.plate.clone()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_match_as_people_say_them() {
        let d = |make: Option<&str>, model: Option<&str>, colour: Option<&str>| Description {
            make: make.map(Into::into),
            model: model.map(Into::into),
            colour: colour.map(Into::into),
        };
        // (asked, reported make, model, colour, matches)
        let table = [
            (d(Some("VW"), None, None), Some("Volkswagen"), Some("Golf"), Some("blue"), true),
            (d(Some("volkswagen"), None, None), Some("VW"), None, None, true),
            (d(Some("Mercedes"), None, None), Some("Mercedes-Benz"), Some("Sprinter"), Some("white"), true),
            (d(None, None, Some("grey")), Some("Ford"), None, Some("silver"), true),
            (d(None, None, Some("Gray")), Some("Ford"), None, Some("GREY"), true),
            (d(None, None, Some("silver")), Some("Ford"), None, Some("blue"), false),
            (d(Some("Ford"), Some("focus"), Some("silver")), Some("ford"), Some("Focus"), Some("grey"), true),
            (d(Some("Ford"), Some("Focus"), None), Some("Ford"), Some("Fiesta"), Some("grey"), false),
            (d(Some("BMW"), Some("3 series"), None), Some("BMW"), Some("3-Series"), None, true),
            (d(Some("Ford"), None, None), None, None, None, false),
            (d(Some("Vauxhall"), None, None), Some("Opel"), None, None, true),
            (d(Some("Kia"), None, None), Some("Kia Motors"), None, None, false),
        ];
        for (asked, make, model, colour, expected) in table {
            assert_eq!(asked.matches(make, model, colour), expected, "{asked:?} against {make:?} {model:?} {colour:?}");
        }
    }

    #[test]
    fn a_description_names_something() {
        assert!(Description::default().check().is_err());
        assert!(Description { colour: Some("  ".into()), ..Default::default() }.check().is_err());
        assert!(Description { colour: Some("red".into()), ..Default::default() }.check().is_ok());
        assert!(Description { make: Some("x".repeat(41)), ..Default::default() }.check().is_err());
    }

    #[test]
    fn only_vehicle_descriptions_may_be_approved_below_inspector() {
        let below: Vec<Analysis> = Analysis::ALL.into_iter().filter(|a| !a.needs_inspector()).collect();
        assert_eq!(below, [Analysis::Description]);
        for a in Analysis::ALL {
            assert_eq!(Analysis::parse(a.as_str()), Some(a));
        }
    }
}
