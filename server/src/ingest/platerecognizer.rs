//! Plate Recognizer's webhooks, both products, mapped onto native reads: Snapshot (`image.done`,
//! sent for every image given to its recognition API, plate or not) and Stream (`recognition`,
//! one a vehicle seen in a camera's video). A hook holds `data.results`, one per plate (or, in
//! vehicle detection mode, one per vehicle, whose `plate` is an object, or null when no plate
//! was read); each result that names a plate becomes a read. The engines send many more fields
//! than a read needs; the rest are ignored.
//!
//! What maps to what: the plate (sent lower-case, stored upper-case as every plate is) and its
//! score (0 to 1); `data.timestamp` (ISO 8601; Snapshot's has no offset and is UTC); the camera
//! as `data.camera_id`, or the hook's `hook.id` when the hook names no camera (a Snapshot hook
//! whose images were sent without one); `model_make`, `color` and `orientation` (front or rear:
//! the side of the vehicle the camera saw) as make, model, colour and direction. There is no
//! place: the camera registry gives it (R1). The image sent with a hook is the overview; where a
//! result gives its plate's box, the plate patch is cut from it. Both are brought within the
//! limits at ingest like any read's (R2).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use shared::{ImageKind, NativeRead, Plate};

/// The events that carry recognitions: Snapshot's and Stream's.
pub const RECOGNITION_EVENTS: [&str; 2] = ["image.done", "recognition"];

/// What a hook holds.
#[derive(Debug)]
pub enum Hook {
    /// A recognition: one entry per result that names a plate, each with its place among the
    /// hook's results and what it was as received (camera and time, and the result) for a dead
    /// letter should it be refused.
    Results { reads: Vec<(usize, Box<RawValue>, Result<NativeRead, String>)>, without_plate: usize },
    /// Another event (nothing to store), named.
    Other(String),
}

#[derive(Debug, Deserialize)]
struct Envelope {
    hook: HookInfo,
    data: Box<RawValue>,
}

#[derive(Debug, Deserialize)]
struct HookInfo {
    event: String,
    /// Snapshot: the webhook's own id; Stream: the camera's.
    #[serde(default)]
    id: Value,
}

#[derive(Debug, Deserialize)]
struct Data {
    #[serde(default)]
    camera_id: Value,
    timestamp: Option<String>,
    results: Vec<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
struct Recognition {
    /// Text (plate mode), an object (vehicle mode) or null (a vehicle without a plate read).
    #[serde(default)]
    plate: Value,
    score: Option<f64>,
    #[serde(rename = "box")]
    plate_box: Option<Region>,
    #[serde(default)]
    vehicle: Option<Vehicle>,
    #[serde(default)]
    model_make: Option<Vec<MakeModel>>,
    #[serde(default)]
    color: Option<Vec<Guess>>,
    #[serde(default)]
    orientation: Option<Vec<Guess>>,
}

/// A plate as vehicle detection mode gives it.
#[derive(Debug, Deserialize)]
struct DetectedPlate {
    score: Option<f64>,
    #[serde(rename = "box")]
    plate_box: Option<Region>,
    #[serde(default)]
    props: PlateProps,
}

#[derive(Debug, Default, Deserialize)]
struct PlateProps {
    #[serde(default)]
    plate: Vec<Candidate>,
}

#[derive(Debug, Deserialize)]
struct Candidate {
    value: String,
    score: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Vehicle {
    /// Vehicle detection mode's make, model, colour and orientation.
    #[serde(default)]
    props: Option<VehicleProps>,
}

#[derive(Debug, Default, Deserialize)]
struct VehicleProps {
    #[serde(default)]
    make_model: Vec<MakeModel>,
    #[serde(default)]
    color: Vec<Guess>,
    #[serde(default)]
    orientation: Vec<Guess>,
}

/// A box in pixels of the image sent with the hook.
#[derive(Debug, Clone, Copy, Deserialize)]
struct Region {
    xmin: f64,
    ymin: f64,
    xmax: f64,
    ymax: f64,
}

#[derive(Debug, Deserialize)]
struct MakeModel {
    make: Option<String>,
    model: Option<String>,
}

/// One guess of a list, best first: `{"color": …}` and `{"orientation": …}` in plate mode,
/// `{"value": …}` in vehicle mode.
#[derive(Debug, Deserialize)]
struct Guess {
    #[serde(alias = "color", alias = "orientation", alias = "value")]
    name: String,
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A guess worth keeping: not empty, not the engine's "unknown".
fn known(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("unknown")).map(str::to_owned)
}

/// The hook's time: ISO 8601 with an offset, or (Snapshot) without one, in UTC.
fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let iso = text.trim().replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&iso) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(&iso, "%Y-%m-%dT%H:%M:%S%.f")
        .map(|t| t.and_utc())
        .map_err(|_| format!("data.timestamp `{text}` is not an ISO 8601 time"))
}

/// The camera as the feed knows it: `data.camera_id`, else the hook's id.
fn camera_of(camera_id: &Value, hook_id: &Value) -> Result<String, String> {
    for id in [camera_id, hook_id] {
        match id {
            Value::String(s) if !s.trim().is_empty() => return Ok(s.trim().to_owned()),
            Value::Number(n) => return Ok(n.to_string()),
            Value::Null | Value::String(_) => {}
            other => return Err(format!("a camera id must be text or a number, not {other}")),
        }
    }
    Err("the hook names no camera: neither data.camera_id nor hook.id".into())
}

/// Maps a hook (its JSON, and the image sent with it, if any) to its reads, or says why it
/// cannot: a hook that is not one, or one whose camera or time cannot be read.
pub fn parse(json: &str, upload: Option<&[u8]>) -> Result<Hook, String> {
    let envelope: Envelope =
        serde_json::from_str(json).map_err(|e| format!("the body is not a Plate Recognizer webhook: {e}"))?;
    if !RECOGNITION_EVENTS.contains(&envelope.hook.event.as_str()) {
        return Ok(Hook::Other(envelope.hook.event));
    }
    let data: Data = serde_json::from_str(envelope.data.get()).map_err(|e| format!("data: {e}"))?;
    if data.results.is_empty() {
        // An image without a plate: nothing to store, whatever else the hook says.
        return Ok(Hook::Results { reads: Vec::new(), without_plate: 0 });
    }
    let camera = camera_of(&data.camera_id, &envelope.hook.id)?;
    let stamp = data.timestamp.ok_or("data.timestamp is missing")?;
    let captured_at = parse_time(&stamp)?;

    // The overview is brought within its limit once, for every read of the hook (R2; ingest's
    // own check then keeps it as it is): a hook of many plates does not copy a large image for
    // each. One that cannot be goes as sent with the first read only, for ingest to name its
    // problem.
    let mut overview: Option<Option<String>> = None;
    let mut unusable: Option<String> = None;
    // The image is decoded for cutting once, and only if a result gives a box to cut.
    let mut decoded: Option<Option<image::DynamicImage>> = None;
    let mut reads = Vec::new();
    let mut without_plate = 0;
    for (index, raw) in data.results.into_iter().enumerate() {
        let as_received = serde_json::from_str::<Value>(raw.get()).unwrap_or(Value::Null);
        let kept = serde_json::value::to_raw_value(&json!({
            "camera_id": camera, "timestamp": stamp, "result": as_received,
        }))
        .map_err(|e| e.to_string())?;
        let read = match serde_json::from_str::<Recognition>(raw.get()) {
            Err(e) => Err(format!("result {index}: {e}")),
            Ok(result) => {
                let mut cut = |region: Region| {
                    let image = decoded.get_or_insert_with(|| upload.and_then(|u| crate::imagery::decode(u).ok()));
                    image.as_ref().and_then(|image| {
                        crate::imagery::cut(image, region.xmin, region.ymin, region.xmax, region.ymax)
                    })
                };
                match to_read(result, &camera, captured_at, &mut cut) {
                    Ok(None) => {
                        without_plate += 1;
                        continue;
                    }
                    Ok(Some(mut read)) => {
                        let conformed = overview.get_or_insert_with(|| {
                            match upload.map(|u| crate::imagery::conform(ImageKind::Overview, u)) {
                                None => None,
                                Some(Ok(image)) => Some(base64(&image.bytes)),
                                Some(Err(_)) => {
                                    unusable = upload.map(base64);
                                    None
                                }
                            }
                        });
                        read.overview_image = conformed.clone().or_else(|| unusable.take());
                        Ok(read)
                    }
                    Err(why) => Err(format!("result {index}: {why}")),
                }
            }
        };
        reads.push((index, kept, read));
    }
    Ok(Hook::Results { reads, without_plate })
}

/// One result as a read; nothing when it names no plate.
fn to_read(
    result: Recognition,
    camera: &str,
    captured_at: DateTime<Utc>,
    cut: &mut dyn FnMut(Region) -> Option<Vec<u8>>,
) -> Result<Option<NativeRead>, String> {
    let (text, score, region) = match result.plate {
        Value::Null => return Ok(None),
        Value::String(text) => (text, result.score, result.plate_box),
        detected @ Value::Object(_) => {
            let detected: DetectedPlate = serde_json::from_value(detected).map_err(|e| format!("plate: {e}"))?;
            match detected.props.plate.into_iter().next() {
                None => return Ok(None),
                Some(best) => (best.value, best.score.or(detected.score), detected.plate_box),
            }
        }
        other => return Err(format!("plate must be text, an object or null, not {other}")),
    };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let plate = Plate::parse(&text).map_err(|e| format!("plate: {e}"))?;
    // Scores are 0 to 1 (R1: out of range is refused, not clamped, by the read's own check).
    let confidence = score.ok_or("the plate has no score")?;
    let props = result.vehicle.and_then(|v| v.props).unwrap_or_default();
    let make_model = result.model_make.unwrap_or(props.make_model);
    let colours = result.color.unwrap_or(props.color);
    let orientations = result.orientation.unwrap_or(props.orientation);
    let best = make_model.first();
    let plate_image = region.and_then(cut).map(|png| base64(&png));
    let read = NativeRead {
        plate,
        captured_at,
        camera: camera.to_owned(),
        confidence,
        direction: known(orientations.first().map(|g| g.name.as_str())).map(|o| o.to_ascii_lowercase()),
        lane: None,
        make: known(best.and_then(|m| m.make.as_deref())),
        model: known(best.and_then(|m| m.model.as_deref())),
        colour: known(colours.first().map(|g| g.name.as_str())),
        plate_image,
        overview_image: None,
    };
    read.check()?;
    Ok(Some(read))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{DynamicImage, GenericImageView, ImageBuffer, ImageFormat, Rgb};
    use proptest::prelude::*;

    /// A Snapshot hook, as Plate Recognizer's documentation shows it.
    fn snapshot() -> Value {
        json!({
            "hook": { "target": "https://workbench.example/api/v1/ingest/platerecognizer", "id": 479, "event": "image.done" },
            "data": {
                "filename": "car2.jpg", "timestamp": "2026-03-02 08:30:00.123456", "camera_id": null,
                "results": [{
                    "box": { "xmin": 20, "ymin": 60, "xmax": 120, "ymax": 85 },
                    "plate": "ab12cde", "region": { "code": "gb", "score": 0.91 }, "score": 0.903,
                    "candidates": [{ "score": 0.903, "plate": "ab12cde" }, { "score": 0.8, "plate": "ab12cdf" }],
                    "dscore": 0.92,
                    "vehicle": { "score": 0.83, "type": "Sedan", "box": { "xmin": 5, "ymin": 5, "xmax": 190, "ymax": 95 } },
                    "model_make": [{ "make": "Ford", "model": "Focus", "score": 0.6 }, { "make": "Opel", "model": "Astra", "score": 0.1 }],
                    "color": [{ "color": "blue", "score": 0.7 }, { "color": "black", "score": 0.2 }],
                    "orientation": [{ "orientation": "Front", "score": 0.9 }, { "orientation": "Rear", "score": 0.1 }]
                }],
                "usage": { "calls": 19, "max_calls": 100000 }, "processing_time": 102.9
            }
        })
    }

    /// A Stream hook in vehicle detection mode: `plate` is an object, or null.
    fn stream_vehicle(plate: Value) -> Value {
        json!({
            "hook": { "target": "https://workbench.example/", "id": "camera-1", "event": "recognition",
                      "filename": "camera-1_screenshots/26-03-02/08-30-00.5.jpg" },
            "data": {
                "camera_id": "CAM-A", "filename": "camera-1_screenshots/26-03-02/08-30-00.5.jpg",
                "timestamp": "2026-03-02T08:30:00.500000Z", "timestamp_local": "2026-03-02 08:30:00.500000+00:00",
                "results": [{
                    "plate": plate,
                    "vehicle": { "type": "Sedan", "score": 0.9, "box": { "xmin": 1, "ymin": 1, "xmax": 190, "ymax": 95 },
                                 "props": { "make_model": [{ "make": "Volvo", "model": "XC60", "score": 0.5 }],
                                            "color": [{ "value": "white", "score": 0.8 }],
                                            "orientation": [{ "value": "Rear", "score": 0.9 }] } },
                    "direction": 210, "source_url": "rtsp://camera-1", "position_sec": 4.2
                }]
            }
        })
    }

    fn detected(value: &str) -> Value {
        json!({ "type": "Plate", "score": 0.95, "box": { "xmin": 30, "ymin": 40, "xmax": 90, "ymax": 60 },
                "props": { "plate": [{ "value": value, "score": 0.88 }], "region": [{ "value": "gb", "score": 0.9 }] } })
    }

    fn reads_of(hook: Hook) -> (Vec<Result<NativeRead, String>>, usize) {
        match hook {
            Hook::Results { reads, without_plate } => (reads.into_iter().map(|(_, _, r)| r).collect(), without_plate),
            Hook::Other(event) => panic!("{event}"),
        }
    }

    fn jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = ImageBuffer::from_fn(w, h, |x, y| Rgb([(x * 3) as u8, (y * 5) as u8, 90]));
        let mut out = std::io::Cursor::new(Vec::new());
        DynamicImage::ImageRgb8(img).write_to(&mut out, ImageFormat::Jpeg).unwrap();
        out.into_inner()
    }

    fn unbase64(text: &str) -> Vec<u8> {
        crate::imagery::from_base64(text).unwrap()
    }

    #[test]
    fn a_snapshot_hook_becomes_a_read_known_by_the_hook() {
        let (reads, without) = reads_of(parse(&snapshot().to_string(), None).unwrap());
        assert_eq!(without, 0);
        let read = reads[0].as_ref().unwrap();
        assert_eq!(read.plate.as_str(), "AB12CDE", "upper-cased");
        assert_eq!(read.camera, "479", "no camera_id: the hook's id");
        assert_eq!(read.captured_at.to_rfc3339(), "2026-03-02T08:30:00.123456+00:00", "Snapshot's time is UTC");
        assert!((read.confidence - 0.903).abs() < 1e-9);
        assert_eq!(
            (read.make.as_deref(), read.model.as_deref(), read.colour.as_deref(), read.direction.as_deref()),
            (Some("Ford"), Some("Focus"), Some("blue"), Some("front"))
        );
        assert_eq!((&read.plate_image, &read.overview_image), (&None, &None), "no image sent");
    }

    #[test]
    fn the_image_sent_is_the_overview_and_the_plate_is_cut_from_it() {
        let upload = jpeg(200, 100);
        let (reads, _) = reads_of(parse(&snapshot().to_string(), Some(&upload)).unwrap());
        let read = reads[0].as_ref().unwrap();
        assert_eq!(unbase64(read.overview_image.as_ref().unwrap()), upload);
        let patch = image::load_from_memory(&unbase64(read.plate_image.as_ref().unwrap())).unwrap();
        assert_eq!(patch.dimensions(), (100, 25), "the box from (20, 60) to (120, 85)");
        // A box outside the image, or an image that cannot be read: no patch, the overview kept
        // for ingest to judge (R2).
        let mut outside = snapshot();
        outside["data"]["results"][0]["box"] = json!({ "xmin": 500, "ymin": 500, "xmax": 600, "ymax": 600 });
        let (reads, _) = reads_of(parse(&outside.to_string(), Some(&upload)).unwrap());
        assert!(reads[0].as_ref().unwrap().plate_image.is_none());
        let (reads, _) = reads_of(parse(&snapshot().to_string(), Some(b"not an image")).unwrap());
        let read = reads[0].as_ref().unwrap();
        assert!(read.plate_image.is_none() && read.overview_image.is_some());
    }

    #[test]
    fn the_overview_is_brought_within_its_limit_once_for_every_plate() {
        let mut two = snapshot();
        let mut other = two["data"]["results"][0].clone();
        other["plate"] = json!("xy99zzz");
        two["data"]["results"].as_array_mut().unwrap().push(other);
        let large = crate::imagery::tests::noisy(640, 480, ImageFormat::Jpeg);
        assert!(large.len() > crate::imagery::OVERVIEW_MAX_BYTES);
        let (reads, _) = reads_of(parse(&two.to_string(), Some(&large)).unwrap());
        let overviews: Vec<_> = reads.iter().map(|r| r.as_ref().unwrap().overview_image.clone().unwrap()).collect();
        assert_eq!(overviews[0], overviews[1]);
        assert!(unbase64(&overviews[0]).len() <= crate::imagery::OVERVIEW_MAX_BYTES, "R2, once");
        // One that cannot be read goes with the first read only, for ingest to name it.
        let (reads, _) = reads_of(parse(&two.to_string(), Some(b"not an image")).unwrap());
        let kept: Vec<bool> = reads.iter().map(|r| r.as_ref().unwrap().overview_image.is_some()).collect();
        assert_eq!(kept, [true, false]);
    }

    #[test]
    fn a_stream_hook_in_vehicle_mode_reads_its_plate_object() {
        let upload = jpeg(200, 100);
        let (reads, _) = reads_of(parse(&stream_vehicle(detected("ky19 xyz")).to_string(), Some(&upload)).unwrap());
        let read = reads[0].as_ref().unwrap();
        assert_eq!((read.plate.as_str(), read.camera.as_str()), ("KY19XYZ", "CAM-A"));
        assert_eq!(read.captured_at.to_rfc3339(), "2026-03-02T08:30:00.500+00:00");
        assert!((read.confidence - 0.88).abs() < 1e-9, "the plate's own score");
        assert_eq!(
            (read.make.as_deref(), read.model.as_deref(), read.colour.as_deref(), read.direction.as_deref()),
            (Some("Volvo"), Some("XC60"), Some("white"), Some("rear"))
        );
        let patch = image::load_from_memory(&unbase64(read.plate_image.as_ref().unwrap())).unwrap();
        assert_eq!(patch.dimensions(), (60, 20));
    }

    #[test]
    fn a_hook_without_a_plate_holds_no_read() {
        let (reads, without) = reads_of(parse(&stream_vehicle(Value::Null).to_string(), None).unwrap());
        assert_eq!((reads.len(), without), (0, 1));
        let mut empty = snapshot();
        empty["data"]["results"] = json!([]);
        let (reads, without) = reads_of(parse(&empty.to_string(), None).unwrap());
        assert_eq!((reads.len(), without), (0, 0));
        let no_candidate = json!({ "type": "Plate", "score": 0.4, "props": { "plate": [] } });
        let (reads, without) = reads_of(parse(&stream_vehicle(no_candidate).to_string(), None).unwrap());
        assert_eq!((reads.len(), without), (0, 1));
        let mut other = snapshot();
        other["hook"]["event"] = json!("heartbeat");
        assert!(matches!(parse(&other.to_string(), None).unwrap(), Hook::Other(e) if e == "heartbeat"));
    }

    #[test]
    fn what_cannot_be_a_read_is_named() {
        let refused = |mutate: &dyn Fn(&mut Value)| {
            let mut hook = snapshot();
            mutate(&mut hook);
            match parse(&hook.to_string(), None) {
                Err(why) => why,
                Ok(hook) => reads_of(hook).0.remove(0).unwrap_err(),
            }
        };
        assert!(refused(&|h| h["data"]["results"][0]["score"] = json!(90.3)).contains("not between 0 and 1"));
        assert!(refused(&|h| h["data"]["results"][0]["plate"] = json!("ab_12")).starts_with("result 0: plate"));
        assert!(refused(&|h| h["data"]["results"][0]["plate"] = json!(12)).contains("must be text, an object or null"));
        assert!(refused(&|h| h["data"]["timestamp"] = json!("yesterday")).contains("not an ISO 8601 time"));
        assert!(refused(&|h| h["data"].as_object_mut().unwrap().clear()).contains("missing field `results`"));
        assert!(refused(&|h| h["hook"]["id"] = Value::Null).contains("names no camera"));
        assert!(refused(&|h| h["data"]["camera_id"] = json!("CAM\u{0}A"))
            .ends_with("camera holds a control or invisible format character"));
        assert!(parse("[1, 2]", None).unwrap_err().starts_with("the body is not a Plate Recognizer webhook"));
        // A time with an offset is taken in UTC.
        let mut offset = snapshot();
        offset["data"]["timestamp"] = json!("2026-03-02 09:30:00+01:00");
        let (reads, _) = reads_of(parse(&offset.to_string(), None).unwrap());
        assert_eq!(reads[0].as_ref().unwrap().captured_at.to_rfc3339(), "2026-03-02T08:30:00+00:00");
    }

    /// Every JSON value of `value` (depth first), by its pointer.
    fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
        out.push(at.clone());
        match value {
            Value::Object(map) => map.iter().for_each(|(k, v)| pointers(v, format!("{at}/{k}"), out)),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
            _ => {}
        }
    }

    /// Any JSON value, a few levels deep.
    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<f64>().prop_map(|f| json!(f)),
            any::<i64>().prop_map(|i| json!(i)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z_]{1,8}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// A valid hook with one of its values (anywhere) replaced.
    fn mutated_hook() -> impl Strategy<Value = String> {
        let hooks =
            prop_oneof![Just(snapshot()), Just(stream_vehicle(detected("ab12cde"))), Just(stream_vehicle(Value::Null))];
        (hooks, any::<prop::sample::Index>(), any_json()).prop_map(|(mut hook, at, with)| {
            let mut all = Vec::new();
            pointers(&hook, String::new(), &mut all);
            let pointer = at.get(&all).clone();
            if let Some(slot) = hook.pointer_mut(&pointer) {
                *slot = with;
            }
            hook.to_string()
        })
    }

    /// Whatever comes, an answer: every read it gives passes a read's checks.
    fn answered(json: &str, upload: Option<&[u8]>) {
        if let Ok(Hook::Results { reads, .. }) = parse(json, upload) {
            for read in reads.into_iter().filter_map(|(_, _, r)| r.ok()) {
                assert_eq!(read.check(), Ok(()));
                assert!(read.plate.as_str().chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()));
            }
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_are_answered(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            answered(&String::from_utf8_lossy(&bytes), Some(&bytes));
        }

        #[test]
        fn mutated_hooks_are_answered(json in mutated_hook(), cut in 0usize..400) {
            answered(&json, None);
            // Cut short: never whole JSON, so always refused with the reason.
            let short = &json.as_bytes()[..cut.min(json.len().saturating_sub(1))];
            prop_assert!(parse(&String::from_utf8_lossy(short), None).is_err());
        }

        #[test]
        fn any_box_on_any_image_is_answered(
            xmin in -1e3f64..1e4, ymin in -1e3f64..1e4, xmax in -1e3f64..1e4, ymax in -1e3f64..1e4,
            w in 1u32..64, h in 1u32..64,
        ) {
            let mut hook = snapshot();
            hook["data"]["results"][0]["box"] = json!({ "xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax });
            answered(&hook.to_string(), Some(&jpeg(w, h)));
        }
    }
}
