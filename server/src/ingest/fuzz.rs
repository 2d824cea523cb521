//! Property tests of the ingest parsers (R1, R2): whatever a sender posts — arbitrary bytes, or
//! a valid payload with some of its values replaced or removed — a parser answers with a read
//! that passes the read's own checks, or with a reason; it never panics.

use proptest::prelude::*;
use serde_json::Value;

/// Any JSON value, a few levels deep.
pub fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(Value::from),
        "\\PC{0,24}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The JSON pointer of every value inside `value`.
fn pointers(value: &Value, at: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v)).collect(),
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
        _ => return,
    };
    for (key, child) in children {
        let pointer = format!("{at}/{key}");
        out.push(pointer.clone());
        pointers(child, &pointer, out);
    }
}

/// Replaces the value at `pointer` with `new`, or removes it when `new` is `None`.
fn edit(value: &mut Value, pointer: &str, new: Option<Value>) {
    let Some((parent, key)) = pointer.rsplit_once('/') else { return };
    let key = key.replace("~1", "/").replace("~0", "~");
    match (value.pointer_mut(parent), new) {
        (Some(Value::Object(map)), Some(new)) => {
            map.insert(key, new);
        }
        (Some(Value::Object(map)), None) => {
            map.remove(&key);
        }
        (Some(Value::Array(items)), new) => {
            if let Ok(i) = key.parse::<usize>() {
                match new {
                    Some(new) if i < items.len() => items[i] = new,
                    None if i < items.len() => {
                        items.remove(i);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// `base` with one to three of its values replaced by any JSON, or removed.
pub fn mutated(base: Value) -> impl Strategy<Value = Value> {
    let mut all = Vec::new();
    pointers(&base, "", &mut all);
    proptest::collection::vec((proptest::sample::select(all), proptest::option::weighted(0.8, any_json())), 1..4)
        .prop_map(move |edits| {
            let mut value = base.clone();
            for (pointer, new) in edits {
                edit(&mut value, &pointer, new);
            }
            value
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imagery;
    use serde_json::json;
    use shared::reads::ImageKind;
    use shared::NativeRead;

    /// What every parser's read must be: one the read's own checks pass, whose images (if
    /// any) decode or are refused with a reason.
    fn sound(read: &NativeRead) -> Result<(), TestCaseError> {
        if let Err(why) = read.check() {
            // A parser may leave a check to ingest, which refuses the read by name.
            prop_assert!(!why.is_empty());
        }
        for (kind, image) in [(ImageKind::Plate, &read.plate_image), (ImageKind::Overview, &read.overview_image)] {
            if let Some(text) = image {
                let _ = imagery::from_base64(text).and_then(|bytes| imagery::conform(kind, &bytes));
            }
        }
        Ok(())
    }

    fn native() -> Value {
        json!({ "plate": "ab12 cde", "captured_at": "2026-12-01T10:00:00.250Z", "camera": "CAM-1",
                "confidence": 0.93, "direction": "N", "lane": 2, "make": "Ford", "model": "Focus",
                "colour": "blue", "plate_image": "aGVsbG8=" })
    }

    fn alpr_group() -> Value {
        json!({
            "data_type": "alpr_group", "epoch_start": 1_767_225_600_123_i64, "epoch_end": 1_767_225_601_000_i64,
            "camera_id": 1_234_567, "best_plate_number": "AB12CDE", "best_confidence": 91.2, "travel_direction": 268.0,
            "best_plate": { "plate": "ab12cde", "confidence": 94.5, "plate_crop_jpeg": "aGVsbG8=" },
            "vehicle_crop_jpeg": "d29ybGQ=", "is_preview": false, "uuids": ["f1", "f2"], "best_uuid": "f2",
            "vehicle": { "color": [{ "name": "blue" }], "make": [{ "name": "ford" }], "make_model": [{ "name": "ford_focus" }] }
        })
    }

    fn native_read(text: &str) -> Result<(), TestCaseError> {
        match serde_json::from_str::<NativeRead>(text) {
            Ok(read) => sound(&read),
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                Ok(())
            }
        }
    }

    fn alpr(text: &str) -> Result<(), TestCaseError> {
        match super::super::openalpr::to_read(text) {
            Ok((read, sighting)) => {
                prop_assert!(read.confidence.is_finite() && (0.0..=1.0).contains(&read.confidence));
                if let Some(s) = sighting {
                    prop_assert!(!s.frames.is_empty() && s.frames.iter().all(|f| !f.is_empty() && f.len() <= 64));
                }
                sound(&read)
            }
            Err(why) => {
                prop_assert!(!why.is_empty());
                Ok(())
            }
        }
    }

    #[test]
    fn the_valid_payloads_parse() {
        let read: NativeRead = serde_json::from_value(native()).unwrap();
        assert_eq!(read.check(), Ok(()));
        assert!(super::super::openalpr::to_read(&alpr_group().to_string()).is_ok());
    }

    #[test]
    fn a_mutation_edits_removes_and_reaches_nested_values() {
        let mut v = alpr_group();
        edit(&mut v, "/best_plate/plate", Some(json!(7)));
        edit(&mut v, "/uuids/0", None);
        edit(&mut v, "/camera_id", None);
        assert_eq!(v["best_plate"]["plate"], json!(7));
        assert_eq!(v["uuids"], json!(["f2"]));
        assert!(v.get("camera_id").is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_never_panics_a_parser(text in "\\PC{0,200}") {
            native_read(&text)?;
            alpr(&text)?;
        }

        #[test]
        fn arbitrary_bytes_never_panic_a_parser(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = String::from_utf8_lossy(&bytes);
            native_read(&text)?;
            alpr(&text)?;
        }

        #[test]
        fn a_mutated_native_read_is_a_read_or_a_reason(value in mutated(native())) {
            native_read(&value.to_string())?;
        }

        #[test]
        fn a_mutated_alpr_group_is_a_read_or_a_reason(value in mutated(alpr_group())) {
            alpr(&value.to_string())?;
        }
    }
}
