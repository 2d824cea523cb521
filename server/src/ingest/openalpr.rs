//! The OpenALPR / Rekor Scout `alpr_group` webhook, as recognition engines send it, mapped onto
//! a native read. Engines send many more fields than a read needs; the rest are ignored.

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;
use shared::{NativeRead, Plate};

use super::Sighting;

#[derive(Debug, Deserialize)]
struct Group {
    data_type: String,
    /// Milliseconds since the epoch of the group's first frame.
    epoch_start: i64,
    /// And of its last.
    epoch_end: Option<i64>,
    camera_id: Value,
    best_plate: Option<BestPlate>,
    best_plate_number: Option<String>,
    best_confidence: Option<f64>,
    vehicle_crop_jpeg: Option<String>,
    /// Degrees, 0 = north.
    travel_direction: Option<f64>,
    vehicle: Option<Vehicle>,
    /// A preview is sent while the vehicle is still in view; its final group follows, holding
    /// the same frames' uuids and more.
    #[serde(default)]
    is_preview: bool,
    /// The frames of the group, first frame first.
    #[serde(default)]
    uuids: Vec<String>,
    best_uuid: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BestPlate {
    plate: String,
    /// 0 to 100.
    confidence: f64,
    plate_crop_jpeg: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Vehicle {
    #[serde(default)]
    color: Vec<Guess>,
    #[serde(default)]
    make: Vec<Guess>,
    #[serde(default)]
    make_model: Vec<Guess>,
}

#[derive(Debug, Deserialize)]
struct Guess {
    name: String,
}

/// Compass point of a bearing in degrees.
fn compass(degrees: f64) -> String {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let i = ((degrees.rem_euclid(360.0) + 22.5) / 45.0) as usize % 8;
    POINTS[i].to_owned()
}

/// Maps one `alpr_group` object (as JSON text) to a read and the frames it was seen in, or
/// says why it cannot.
pub fn to_read(json: &str) -> Result<(NativeRead, Option<Sighting>), String> {
    let group: Group = serde_json::from_str(json).map_err(|e| format!("not an alpr_group: {e}"))?;
    if group.data_type != "alpr_group" {
        return Err(format!("data_type `{}` is not accepted (only alpr_group)", group.data_type));
    }
    let camera = match &group.camera_id {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => return Err(format!("camera_id must be a number or a string, not {other}")),
    };
    let (plate_text, confidence, plate_image) = match (&group.best_plate, &group.best_plate_number) {
        (Some(best), _) => (best.plate.clone(), best.confidence, best.plate_crop_jpeg.clone()),
        (None, Some(number)) => (number.clone(), group.best_confidence.unwrap_or(0.0), None),
        (None, None) => return Err("alpr_group has neither best_plate nor best_plate_number".into()),
    };
    let plate = Plate::parse(&plate_text).map_err(|e| format!("best plate `{plate_text}`: {e}"))?;
    // Engines give confidence in percent (R1: refused, not clamped, when out of range).
    if !(0.0..=100.0).contains(&confidence) {
        return Err(format!("confidence {confidence} is not between 0 and 100"));
    }
    if let Some(end) = group.epoch_end.filter(|end| *end < group.epoch_start) {
        return Err(format!("epoch_end {end} is before epoch_start {}", group.epoch_start));
    }
    let captured_at = DateTime::from_timestamp_millis(group.epoch_start)
        .ok_or_else(|| format!("epoch_start {} is not a time", group.epoch_start))?;
    let vehicle = group.vehicle.unwrap_or_default();
    let first = |guesses: &[Guess]| guesses.first().map(|g| g.name.clone());
    let make = first(&vehicle.make);
    // Engines name models `make_model` (e.g. `ford_focus`): keep the model part.
    let model = first(&vehicle.make_model).map(|m| match &make {
        Some(make) => m.strip_prefix(&format!("{make}_")).map(str::to_owned).unwrap_or(m),
        None => m,
    });
    let mut frames = group.uuids;
    frames.extend(group.best_uuid.filter(|best| !frames.contains(best)));
    frames.retain(|uuid| !uuid.is_empty() && uuid.len() <= 64);
    let sighting = (!frames.is_empty()).then_some(Sighting { frames, preview: group.is_preview });
    let read = NativeRead {
        plate,
        captured_at,
        camera,
        confidence: confidence / 100.0,
        direction: group.travel_direction.map(compass),
        lane: None,
        make,
        model,
        colour: first(&vehicle.color),
        plate_image,
        overview_image: group.vehicle_crop_jpeg,
    };
    Ok((read, sighting))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn group() -> Value {
        json!({
            "data_type": "alpr_group", "version": 2, "epoch_start": 1_767_225_600_123_i64, "epoch_end": 1_767_225_601_000_i64,
            "company_id": "c0ffee", "agent_uid": "agent", "agent_type": "alprd", "camera_id": 1_234_567,
            "gps_latitude": 51.52, "gps_longitude": -0.09, "country": "gb",
            "best_plate_number": "AB12CDE", "best_confidence": 91.2, "travel_direction": 268.0,
            "best_plate": { "plate": "ab12cde", "confidence": 94.5, "matches_template": 1, "plate_index": 0,
                            "region": "gb", "plate_crop_jpeg": "aGVsbG8=",
                            "candidates": [{ "plate": "AB12CDE", "confidence": 94.5 }, { "plate": "A812CDE", "confidence": 80.1 }] },
            "candidates": [{ "plate": "AB12CDE", "confidence": 94.5 }],
            "vehicle_crop_jpeg": "d29ybGQ=",
            "vehicle": { "color": [{ "name": "blue", "confidence": 88.0 }], "make": [{ "name": "ford", "confidence": 70.0 }],
                         "make_model": [{ "name": "ford_focus", "confidence": 60.0 }], "body_type": [{ "name": "sedan-standard" }] }
        })
    }

    #[test]
    fn an_alpr_group_becomes_a_read() {
        let (read, sighting) = to_read(&group().to_string()).unwrap();
        assert_eq!(sighting, None, "a group without uuids is known by its plate and time alone");
        assert_eq!(read.plate.as_str(), "AB12CDE");
        assert_eq!(read.camera, "1234567");
        assert_eq!(read.captured_at.timestamp_millis(), 1_767_225_600_123);
        assert!((read.confidence - 0.945).abs() < 1e-9);
        assert_eq!(read.direction.as_deref(), Some("W"));
        assert_eq!(
            (read.make.as_deref(), read.model.as_deref(), read.colour.as_deref()),
            (Some("ford"), Some("focus"), Some("blue"))
        );
        assert_eq!((read.plate_image.as_deref(), read.overview_image.as_deref()), (Some("aGVsbG8="), Some("d29ybGQ=")));
    }

    #[test]
    fn other_payloads_are_refused_with_the_reason() {
        let mut alert = group();
        alert["data_type"] = json!("alpr_alert");
        assert_eq!(
            to_read(&alert.to_string()).unwrap_err(),
            "data_type `alpr_alert` is not accepted (only alpr_group)"
        );
        let mut bare = group();
        bare.as_object_mut().unwrap().remove("best_plate");
        assert_eq!(to_read(&bare.to_string()).unwrap().0.plate.as_str(), "AB12CDE", "best_plate_number suffices");
        bare.as_object_mut().unwrap().remove("best_plate_number");
        assert!(to_read(&bare.to_string()).unwrap_err().contains("neither best_plate"));
        let no_time = json!({ "data_type": "alpr_group", "camera_id": 1 });
        assert!(to_read(&no_time.to_string()).unwrap_err().contains("missing field `epoch_start`"));
    }

    #[test]
    fn out_of_range_values_are_refused_not_stored() {
        for (confidence, ok) in [(150.0, false), (-5.0, false), (100.0, true), (0.0, true)] {
            let mut g = group();
            g["best_plate"]["confidence"] = json!(confidence);
            assert_eq!(to_read(&g.to_string()).is_ok(), ok, "confidence {confidence}");
        }
        let mut backwards = group();
        backwards["epoch_end"] = json!(1_767_225_600_122_i64);
        assert!(to_read(&backwards.to_string()).unwrap_err().contains("epoch_end 1767225600122 is before epoch_start"));
        let mut wrong_type = group();
        wrong_type["travel_direction"] = json!("west");
        assert!(
            to_read(&wrong_type.to_string()).unwrap_err().contains("invalid type"),
            "a wrong type names the problem"
        );
    }

    #[test]
    fn a_preview_and_its_final_name_their_frames() {
        let mut preview = group();
        preview["is_preview"] = json!(true);
        preview["uuids"] = json!(["f1", "f2"]);
        preview["best_uuid"] = json!("f2");
        let (_, sighting) = to_read(&preview.to_string()).unwrap();
        assert_eq!(sighting, Some(Sighting { frames: vec!["f1".into(), "f2".into()], preview: true }));
        let mut last = group();
        last["uuids"] = json!(["f1", "f2", "f3"]);
        last["best_uuid"] = json!("f9");
        let (_, sighting) = to_read(&last.to_string()).unwrap();
        assert_eq!(
            sighting,
            Some(Sighting { frames: vec!["f1".into(), "f2".into(), "f3".into(), "f9".into()], preview: false })
        );
        let mut wrong = group();
        wrong["is_preview"] = json!("yes");
        assert!(to_read(&wrong.to_string()).unwrap_err().contains("invalid type"));
    }

    #[test]
    fn bearings_map_to_compass_points() {
        assert_eq!([0.0, 44.0, 46.0, 180.0, 337.6, 359.9, -90.0].map(compass), ["N", "NE", "NE", "S", "N", "N", "W"]);
    }
}
