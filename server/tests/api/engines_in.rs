//! Engines' own webhooks in (R1–R3): Plate Recognizer's (Snapshot and Stream; JSON, a form, or
//! multipart with the image) and Hikvision ANPR cameras' ISAPI alarms (multipart with their
//! pictures), stored as reads with their images within the limits (R2), from approved cameras
//! only (R3); hooks with nothing to store and retries answered 200; what cannot be read refused
//! with a 4xx naming why and kept as a dead letter; and whatever arrives answered, never 5xx.

use crate::helpers::{encode, error_of, Network, TestApp};
use crate::on_every_backend;
use base64::Engine;
use image::{DynamicImage, GenericImageView, ImageBuffer, ImageFormat, Rgb};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::Role;

on_every_backend!(
    plate_recognizer_hooks_are_stored_as_they_arrive,
    hooks_without_a_plate_and_retries_are_answered_200_and_store_nothing_new,
    hikvision_alarms_are_stored_with_their_pictures,
    hikvision_without_a_valid_key_is_refused_401,
    what_cannot_be_read_is_refused_and_kept,
    the_door_is_the_same_limits_and_size_as_other_ingest with |c: &mut server::config::Config| {
        c.ingest_max_body_mib = 1;
        c.limits.unauthenticated_ingest_per_minute_per_address = 6;
        c.limits.unauthenticated_ingest_burst_per_address = 3;
    },
    arbitrary_and_mutated_bodies_are_answered_never_with_a_server_error,
);

const PLATE_RECOGNIZER: &str = "/ingest/platerecognizer";
const HIKVISION: &str = "/ingest/hikvision";
const BOUNDARY: &str = "MIME_boundary_anpr";
const MAC: &str = "bc:ba:c2:00:11:22";

/// Noise, which does not compress: images over the limits (R2).
fn noisy(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let img = ImageBuffer::from_fn(w, h, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    encode(DynamicImage::ImageRgb8(img), format)
}

/// A `multipart/form-data` body of `(name, file name, content type, bytes)` parts, as the
/// engines send it.
fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content_type, bytes) in parts {
        body.extend(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"").bytes());
        if let Some(file_name) = file_name {
            body.extend(format!("; filename=\"{file_name}\"").bytes());
        }
        body.extend(format!("\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n", bytes.len()).bytes());
        body.extend_from_slice(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{BOUNDARY}--\r\n").bytes());
    body
}

fn multipart_type() -> String {
    format!("multipart/form-data; boundary={BOUNDARY}")
}

async fn post(
    app: &TestApp,
    path: &str,
    key: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app.client().post(app.api(path)).header("content-type", content_type);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.body(body).send().await.unwrap()
}

/// A Snapshot hook (`image.done`): the camera is the hook's, unless the images were sent with
/// one; Snapshot's time has no offset and is UTC.
fn snapshot(plate: &str, at: &str, hook_id: i64) -> Value {
    json!({
        "hook": { "target": "https://workbench.example/api/v1/ingest/platerecognizer", "id": hook_id, "event": "image.done" },
        "data": {
            "filename": "car.jpg", "timestamp": at, "camera_id": null,
            "results": [{
                "box": { "xmin": 100, "ymin": 300, "xmax": 220, "ymax": 340 },
                "plate": plate, "region": { "code": "gb", "score": 0.9 }, "score": 0.912,
                "candidates": [{ "score": 0.912, "plate": plate }], "dscore": 0.95,
                "vehicle": { "score": 0.8, "type": "Sedan", "box": { "xmin": 10, "ymin": 50, "xmax": 600, "ymax": 460 } },
                "model_make": [{ "make": "Ford", "model": "Focus", "score": 0.5 }],
                "color": [{ "color": "blue", "score": 0.7 }],
                "orientation": [{ "orientation": "Front", "score": 0.9 }]
            }],
            "usage": { "calls": 3, "max_calls": 2500 }, "processing_time": 88.1
        }
    })
}

/// A Stream hook (`recognition`) in vehicle detection mode: its plate an object, or null.
fn stream(plate: Value, at: &str, camera: &str) -> Value {
    json!({
        "hook": { "target": "https://workbench.example/", "id": camera, "event": "recognition",
                  "filename": "camera_screenshots/26-03-02/08-31-00.jpg" },
        "data": {
            "camera_id": camera, "filename": "camera_screenshots/26-03-02/08-31-00.jpg",
            "timestamp": at, "timestamp_local": at,
            "results": [{
                "plate": plate,
                "vehicle": { "type": "SUV", "score": 0.9, "box": { "xmin": 1, "ymin": 1, "xmax": 630, "ymax": 470 },
                             "props": { "make_model": [{ "make": "Volvo", "model": "XC60", "score": 0.4 }],
                                        "color": [{ "value": "white", "score": 0.8 }],
                                        "orientation": [{ "value": "Rear", "score": 0.9 }] } },
                "direction": 200, "source_url": "rtsp://camera", "position_sec": 12.5
            }]
        }
    })
}

fn plate_object(value: &str) -> Value {
    json!({ "type": "Plate", "score": 0.97, "box": { "xmin": 300, "ymin": 380, "xmax": 400, "ymax": 405 },
            "props": { "plate": [{ "value": value, "score": 0.89 }], "region": [{ "value": "gb", "score": 0.9 }] } })
}

/// The id the registry gives camera `external_id`.
async fn camera_id(app: &TestApp, admin: &reqwest::Client, external_id: &str) -> i64 {
    let cameras: Vec<Value> = app.get_json(admin, "/cameras").await;
    cameras.iter().find(|c| c["external_id"] == external_id).unwrap()["id"].as_i64().unwrap()
}

/// Registers and approves (R3) a Hikvision camera of `net`'s feed, known by its MAC address.
async fn hikvision_camera(app: &TestApp, admin: &reqwest::Client, net: &Network) -> i64 {
    let camera: Value = app
        .post_json(
            admin,
            "/cameras",
            &json!({ "feed_id": net.feed_id, "external_id": MAC, "name": "A40 westbound",
                     "lat": 51.52, "lon": -0.25, "bearing": 270, "zone": "a40" }),
        )
        .await;
    let r = admin
        .patch(app.api(&format!("/cameras/{}/status", camera["id"])))
        .json(&json!({ "status": "approved", "reason": "governance board decision 14" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    camera["id"].as_i64().unwrap()
}

/// An ISAPI `EventNotificationAlert` of `event`, reading `plate` at `at`.
fn alert(plate: &str, at: &str, event: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<ipAddress>10.20.0.64</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>BC:BA:C2:00:11:22</macAddress>
<channelID>1</channelID>
<dateTime>{at}</dateTime>
<activePostCount>1</activePostCount>
<eventType>{event}</eventType>
<eventState>active</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>A40 westbound</channelName>
<ANPR>
<country>3</country>
<licensePlate>{plate}</licensePlate>
<line>1</line>
<direction>reverse</direction>
<confidenceLevel>94</confidenceLevel>
<plateType>unknown</plateType>
<plateColor>white</plateColor>
<vehicleType>vehicle</vehicleType>
<vehicleInfo><index>1</index><colorDepth>2</colorDepth><color>red</color><vehicleLogoRecog>1036</vehicleLogoRecog></vehicleInfo>
<pictureInfoList>
<pictureInfo><fileName>licensePlatePicture.jpg</fileName><type>licensePlatePicture</type><dataType>0</dataType></pictureInfo>
<pictureInfo><fileName>detectionPicture.jpg</fileName><type>detectionPicture</type><dataType>0</dataType></pictureInfo>
</pictureInfoList>
</ANPR>
<UUID>4f3c9a2e-0000-4000-8000-1c2b3a4d5e6f</UUID>
<picNum>2</picNum>
</EventNotificationAlert>
"#
    )
}

/// An ANPR alarm as the camera uploads it: the alert and its two pictures.
fn alarm(xml: &str, patch: &[u8], scene: &[u8]) -> Vec<u8> {
    multipart(&[
        ("anpr.xml", Some("anpr.xml"), "text/xml", xml.as_bytes()),
        ("licensePlatePicture.jpg", Some("licensePlatePicture.jpg"), "image/jpeg", patch),
        ("detectionPicture.jpg", Some("detectionPicture.jpg"), "image/jpeg", scene),
    ])
}

fn basic(password: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("camera:{password}")))
}

/// The report of a request answered `status`.
async fn report(r: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    r.json().await.unwrap()
}

fn counts(report: &Value) -> (u64, u64, usize) {
    (
        report["accepted"].as_u64().unwrap(),
        report["duplicates"].as_u64().unwrap(),
        report["refused"].as_array().unwrap().len(),
    )
}

/// The stored read of `plate`, as the database holds it.
async fn stored(app: &TestApp, plate: &str) -> Value {
    app.stored_reads().await.into_iter().find(|r| r["plate"] == plate).unwrap_or_else(|| panic!("{plate} not stored"))
}

/// The image under `key` is within the limits for `kind` (R2).
async fn within_limits(app: &TestApp, key: &Value, kind: &str) -> (u32, u32) {
    let bytes = app.image_bytes(key.as_str().unwrap_or_else(|| panic!("no {kind} image"))).await.unwrap();
    let (w, h) = image::load_from_memory(&bytes).expect("a whole image").dimensions();
    match kind {
        "plate" => assert!(bytes.len() <= 3 * 1024 && w <= 120 && h <= 60, "{} bytes, {w}x{h}", bytes.len()),
        _ => assert!(bytes.len() <= 25 * 1024, "{} bytes", bytes.len()),
    }
    (w, h)
}

async fn plate_recognizer_hooks_are_stored_as_they_arrive(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "platerecognizer").await;
    let (cam_a, lez) = (camera_id(&app, &admin, "CAM-A").await, camera_id(&app, &admin, "1234567").await);
    let upload = noisy(640, 480, ImageFormat::Jpeg);
    assert!(upload.len() > 25 * 1024, "an overview over the limit");

    // Snapshot, data only: JSON. The camera is the hook's id; the time is UTC.
    let hook = snapshot("ab12cde", "2026-03-02 08:30:00.250000", 1_234_567);
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", hook.to_string()).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (1, 0, 0));
    let read = stored(&app, "AB12CDE").await;
    assert_eq!((&read["captured_at"], read["camera_id"].as_i64()), (&json!("2026-03-02T08:30:00.250Z"), Some(lez)));
    assert!((read["confidence"].as_f64().unwrap() - 0.912).abs() < 1e-9);
    assert_eq!(
        (&read["make"], &read["model"], &read["colour"], &read["direction"]),
        (&json!("Ford"), &json!("Focus"), &json!("blue"), &json!("front"))
    );
    assert!(read["plate_image"].is_null() && read["overview_image"].is_null(), "no image was sent");

    // Snapshot with its image: multipart, the hook in `json` and the image in `upload`. The
    // image is the overview, brought within 25 KB; the plate is cut from its box and brought
    // within 120×60 px and 3 KB (R2).
    let hook = snapshot("cd34efg", "2026-03-02 08:31:00", 1_234_567);
    let body = multipart(&[
        ("json", None, "text/plain", hook.to_string().as_bytes()),
        ("upload", Some("car.jpg"), "image/jpeg", &upload[..]),
    ]);
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), &multipart_type(), body).await;
    let answer = report(r, StatusCode::OK).await;
    assert_eq!((counts(&answer), &answer["image_problems"]), ((1, 0, 0), &json!([])));
    let read = stored(&app, "CD34EFG").await;
    assert_eq!(read["captured_at"], "2026-03-02T08:31:00Z");
    within_limits(&app, &read["overview_image"], "overview").await;
    let (w, h) = within_limits(&app, &read["plate_image"], "plate").await;
    assert!((f64::from(w) / f64::from(h) - 3.0).abs() < 0.3, "the 120×40 box, not the frame: {w}x{h}");

    // Stream in vehicle detection mode: the plate an object; the camera is data.camera_id.
    let hook = stream(plate_object("ke19 xyz"), "2026-03-02T08:32:00.500000Z", "CAM-A");
    let body = multipart(&[
        ("json", None, "application/json", hook.to_string().as_bytes()),
        ("upload", Some("frame.jpg"), "image/jpeg", &upload[..]),
    ]);
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), &multipart_type(), body).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (1, 0, 0));
    let read = stored(&app, "KE19XYZ").await;
    assert_eq!((&read["captured_at"], read["camera_id"].as_i64()), (&json!("2026-03-02T08:32:00.500Z"), Some(cam_a)));
    assert!((read["confidence"].as_f64().unwrap() - 0.89).abs() < 1e-9);
    assert_eq!(
        (&read["make"], &read["model"], &read["colour"], &read["direction"]),
        (&json!("Volvo"), &json!("XC60"), &json!("white"), &json!("rear"))
    );
    within_limits(&app, &read["overview_image"], "overview").await;
    let (w, h) = within_limits(&app, &read["plate_image"], "plate").await;
    assert!((f64::from(w) / f64::from(h) - 4.0).abs() < 0.4, "the 100×25 box, not the frame: {w}x{h}");

    // Stream, data only, sent as a form: the hook in its `json` field.
    let hook = stream(json!("lb07seo"), "2026-03-02T08:33:00Z", "CAM-A");
    let mut plain = hook.clone();
    plain["data"]["results"][0]["score"] = json!(0.81);
    let form = serde_urlencoded::to_string([("json", plain.to_string())]).unwrap();
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/x-www-form-urlencoded", form).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (1, 0, 0));
    let read = stored(&app, "LB07SEO").await;
    assert_eq!((&read["captured_at"], read["camera_id"].as_i64()), (&json!("2026-03-02T08:33:00Z"), Some(cam_a)));
    assert!(read["plate_image"].is_null() && read["overview_image"].is_null());

    // A camera the feed does not have, or one not approved, is refused and counted (R3).
    let hook = stream(plate_object("xy99zzz"), "2026-03-02T08:34:00Z", "CAM-P");
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", hook.to_string()).await;
    let answer = report(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(answer["refused"][0]["reason"].as_str().unwrap().contains("is pending, not approved"), "{answer}");
    assert_eq!(app.stored_reads().await.len(), 4);
    let ingested = app.audit_rows("reads_ingested").await;
    assert!(ingested.iter().any(|e| e.details["format"] == "platerecognizer"), "audited with its format");
}

async fn hooks_without_a_plate_and_retries_are_answered_200_and_store_nothing_new(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "platerecognizer").await;
    let hook = stream(plate_object("ab12cde"), "2026-03-02T08:40:00Z", "CAM-A");
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", hook.to_string()).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (1, 0, 0));

    // The same hook again (Plate Recognizer retries one it thinks failed): a duplicate, 200.
    for content_type in ["application/json", "application/json; charset=utf-8"] {
        let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), content_type, hook.to_string()).await;
        assert_eq!(counts(&report(r, StatusCode::OK).await), (0, 1, 0));
    }
    // A vehicle without its plate read, an image without a plate, another event: 200, nothing.
    let mut no_results = snapshot("ab12cde", "2026-03-02 08:41:00", 1_234_567);
    no_results["data"]["results"] = json!([]);
    let mut other = no_results.clone();
    other["hook"]["event"] = json!("heartbeat");
    for nothing in [stream(Value::Null, "2026-03-02T08:41:00Z", "CAM-A"), no_results, other] {
        let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", nothing.to_string()).await;
        assert_eq!(counts(&report(r, StatusCode::OK).await), (0, 0, 0), "{nothing}");
    }
    assert_eq!(app.stored_reads().await.len(), 1);
    let letters: Vec<Value> = app.get_json(&admin, "/ingest/dead-letters").await;
    assert!(letters.is_empty(), "nothing refused: {letters:?}");
}

async fn hikvision_alarms_are_stored_with_their_pictures(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "hikvision").await;
    let camera = hikvision_camera(&app, &admin, &net).await;
    let patch = noisy(160, 40, ImageFormat::Jpeg);
    let scene = noisy(800, 600, ImageFormat::Jpeg);
    assert!(patch.len() > 3 * 1024 && scene.len() > 25 * 1024, "both over the limits");

    // The key as the password of HTTP Basic authentication, as the camera's alarm server
    // settings give it.
    let body = alarm(&alert("KE19XYZ", "2026-03-02T09:40:00+01:00", "ANPR"), &patch, &scene);
    let r = app
        .client()
        .post(app.api(HIKVISION))
        .header("authorization", basic(&net.key))
        .header("content-type", multipart_type())
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let answer = report(r, StatusCode::OK).await;
    assert_eq!((counts(&answer), &answer["image_problems"]), ((1, 0, 0), &json!([])));
    let read = stored(&app, "KE19XYZ").await;
    assert_eq!((&read["captured_at"], read["camera_id"].as_i64()), (&json!("2026-03-02T08:40:00Z"), Some(camera)));
    assert!((read["confidence"].as_f64().unwrap() - 0.94).abs() < 1e-9);
    assert_eq!((&read["direction"], &read["colour"], &read["make"]), (&json!("reverse"), &json!("red"), &Value::Null));
    within_limits(&app, &read["plate_image"], "plate").await;
    within_limits(&app, &read["overview_image"], "overview").await;

    // The same alarm again, now with the key in X-Api-Key: a duplicate, 200.
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), body).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (0, 1, 0));

    // A heartbeat (no pictures, the XML alone), another event, and an ANPR event without a
    // plate read: 200, nothing stored.
    let heartbeat = alert("", "2026-03-02T09:41:00+01:00", "videoloss");
    let r = post(&app, HIKVISION, Some(&net.key), "application/xml; charset=\"UTF-8\"", heartbeat.clone()).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (0, 0, 0));
    let only_xml = multipart(&[("anpr.xml", Some("anpr.xml"), "text/xml", heartbeat.as_bytes())]);
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), only_xml).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (0, 0, 0));
    let unread = alarm(&alert("unknown", "2026-03-02T09:42:00+01:00", "ANPR"), &patch, &scene);
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), unread).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (0, 0, 0));

    // Without pictures, or with the vehicle picture as the overview.
    let body = multipart(&[
        ("anpr.xml", Some("anpr.xml"), "text/xml", alert("LB07SEO", "2026-03-02T08:43:00Z", "ANPR").as_bytes()),
        ("vehiclePicture.jpg", Some("vehiclePicture.jpg"), "image/jpeg", &scene[..]),
    ]);
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), body).await;
    assert_eq!(counts(&report(r, StatusCode::OK).await), (1, 0, 0));
    let read = stored(&app, "LB07SEO").await;
    assert!(read["plate_image"].is_null());
    within_limits(&app, &read["overview_image"], "overview").await;
    assert_eq!(app.stored_reads().await.len(), 2);
}

async fn hikvision_without_a_valid_key_is_refused_401(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "hikvision").await;
    hikvision_camera(&app, &admin, &net).await;
    let body = alarm(&alert("KE19XYZ", "2026-03-02T08:40:00Z", "ANPR"), b"", b"");
    let send = |authorization: Option<String>, key: Option<&str>| {
        let mut request = app.client().post(app.api(HIKVISION)).header("content-type", multipart_type());
        if let Some(a) = authorization {
            request = request.header("authorization", a);
        }
        if let Some(k) = key {
            request = request.header("x-api-key", k);
        }
        request.body(body.clone()).send()
    };
    // None at all: 401, asking for Basic authentication.
    let r = send(None, None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic realm="));
    assert!(error_of(r).await.contains("as the password of HTTP Basic authentication"));
    // A wrong password, a wrong header key, a key given as the user name, another scheme.
    for (authorization, key) in [
        (Some(basic("anpr_not-a-real-key")), None),
        (None, Some("anpr_not-a-real-key")),
        (Some(basic("")), None),
        (Some(format!("Bearer {}", net.key)), None),
    ] {
        let r = send(authorization.clone(), key).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{authorization:?} {key:?}");
        assert!(r.headers().contains_key("www-authenticate"));
    }
    // A header key wins over a password; a wrong header key is not rescued by a right password.
    let r = send(Some(basic(&net.key)), Some("anpr_not-a-real-key")).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(app.stored_reads().await.is_empty());
    // Other ingest routes do not take a password.
    let read = json!({ "reads": [crate::helpers::read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z")] });
    let r = app
        .client()
        .post(app.api("/ingest/reads"))
        .header("authorization", basic(&net.key))
        .json(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(!r.headers().contains_key("www-authenticate"));
    // And the right one is let in.
    assert_eq!(send(Some(basic(&net.key)), None).await.unwrap().status(), StatusCode::OK);
}

async fn what_cannot_be_read_is_refused_and_kept(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "engines").await;
    hikvision_camera(&app, &admin, &net).await;

    // A malformed anpr.xml: 400, naming what is wrong; kept as a dead letter.
    let broken = alert("KE19XYZ", "2026-03-02T08:40:00Z", "ANPR").replace("</ANPR>", "");
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), alarm(&broken, b"", b"")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(r).await.starts_with("anpr.xml is not an EventNotificationAlert"));
    // Its confidence out of range (R1: refused, not clamped).
    let over = alert("KE19XYZ", "2026-03-02T08:40:00Z", "ANPR").replace(">94<", ">940<");
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), alarm(&over, b"", b"")).await;
    assert_eq!(
        (r.status(), error_of(r).await.as_str()),
        (StatusCode::BAD_REQUEST, "ANPR/confidenceLevel 940 is not between 0 and 100")
    );
    // No alert at all; a body the route does not take.
    let pictures_only = multipart(&[("licensePlatePicture.jpg", Some("licensePlatePicture.jpg"), "image/jpeg", b"x")]);
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), pictures_only).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(r).await.contains("holds no anpr.xml part"));
    let r = post(&app, HIKVISION, Some(&net.key), "application/json", "{}").await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_of(r).await.contains("multipart/form-data with an anpr.xml part"));

    // Plate Recognizer: not JSON; a form without its hook; a hook without its time.
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", "{\"hook\": ").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(r).await.starts_with("the body is not a Plate Recognizer webhook"));
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/x-www-form-urlencoded", "upload=x").await;
    assert_eq!(
        (r.status(), error_of(r).await.as_str()),
        (StatusCode::BAD_REQUEST, "the form holds no `json` field (the hook)")
    );
    let mut timeless = stream(plate_object("ab12cde"), "", "CAM-A");
    timeless["data"].as_object_mut().unwrap().remove("timestamp");
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", timeless.to_string()).await;
    assert_eq!((r.status(), error_of(r).await.as_str()), (StatusCode::BAD_REQUEST, "data.timestamp is missing"));
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "text/xml", "<a/>").await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A result that cannot be a read: refused by its place, kept without its plate.
    let mut bad_score = stream(json!("ab12cde"), "2026-03-02T08:40:00Z", "CAM-A");
    bad_score["data"]["results"][0]["score"] = json!(91.2);
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", bad_score.to_string()).await;
    let answer = report(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(answer["refused"][0]["index"], 0);
    assert!(answer["refused"][0]["reason"].as_str().unwrap().contains("confidence 91.2 is not between 0 and 1"));

    assert!(app.stored_reads().await.is_empty(), "nothing refused is stored");
    let letters: Vec<Value> = app.get_json(&admin, "/ingest/dead-letters").await;
    let kept: Vec<(&str, &str)> =
        letters.iter().map(|l| (l["format"].as_str().unwrap(), l["reason"].as_str().unwrap())).collect();
    assert_eq!(kept.len(), 7, "{kept:?}");
    assert_eq!(kept.iter().filter(|(f, _)| *f == "hikvision").count(), 3, "{kept:?}");
    assert!(kept
        .iter()
        .any(|(f, why)| *f == "hikvision" && why.starts_with("anpr.xml is not an EventNotificationAlert")));
    assert!(kept.iter().any(|(f, why)| *f == "platerecognizer" && *why == "data.timestamp is missing"));
    for letter in &letters {
        let payload = letter["payload"].as_str().unwrap();
        assert!(!payload.contains("KE19XYZ") && !payload.contains("ab12cde"), "a plate kept: {payload}");
        assert_eq!(letter["feed_id"], net.feed_id);
    }
}

/// The new routes keep the ingest body limit (413, as JSON) and count attempts without a valid
/// key, Basic passwords included, against the address's allowance (429 beyond it).
async fn the_door_is_the_same_limits_and_size_as_other_ingest(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "engines").await;
    hikvision_camera(&app, &admin, &net).await;
    let big = vec![0xAB_u8; 1024 * 1024];
    let xml = alert("KE19XYZ", "2026-03-02T08:40:00Z", "ANPR");
    let r = post(&app, HIKVISION, Some(&net.key), &multipart_type(), alarm(&xml, &big, b"")).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(r).await.contains("larger than the 1 MiB"));
    let hook = multipart(&[("json", None, "text/plain", b"{}"), ("upload", Some("car.jpg"), "image/jpeg", &big[..])]);
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), &multipart_type(), hook).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(r).await.contains("larger than the 1 MiB"));
    let mut padded = stream(plate_object("ab12cde"), "2026-03-02T08:40:00Z", "CAM-A").to_string();
    padded.push_str(&" ".repeat(1024 * 1024));
    let r = post(&app, PLATE_RECOGNIZER, Some(&net.key), "application/json", padded).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Three attempts without a valid key from this address, by header and by password...
    let with_password = |password: &str| {
        app.client()
            .post(app.api(HIKVISION))
            .header("authorization", basic(password))
            .header("content-type", multipart_type())
            .body(alarm(&xml, b"", b""))
            .send()
    };
    for password in ["anpr_guess1", "anpr_guess2"] {
        assert_eq!(with_password(password).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let r = post(&app, PLATE_RECOGNIZER, Some("anpr_guess3"), "application/json", "{}").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // ...and the fourth is 429, on either route.
    let r = with_password("anpr_guess4").await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(error_of(r).await.contains("too many ingest attempts without a valid feed key"));
    // The feed's key still opens the door.
    let r = with_password(&net.key).await.unwrap();
    assert_eq!(counts(&report(r, StatusCode::OK).await), (1, 0, 0));
}

/// Arbitrary bytes, and valid hooks and alarms mutated, as each route takes them: every one
/// answered 2xx, or 4xx with a JSON error (or the report of the reads it refused); never 5xx;
/// nothing stored but by a 2xx, and then whole.
async fn arbitrary_and_mutated_bodies_are_answered_never_with_a_server_error(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "engines").await;
    hikvision_camera(&app, &admin, &net).await;
    let image = noisy(64, 48, ImageFormat::Jpeg);
    let mut runner = TestRunner::deterministic();
    let cases = cases(image);
    let mut held = 0;
    for _ in 0..64 {
        let (path, content_type, body) = cases.new_tree(&mut runner).unwrap().current();
        let r = post(&app, path, Some(&net.key), &content_type, body.clone()).await;
        let status = r.status();
        let shown = || String::from_utf8_lossy(&body[..body.len().min(2000)]).into_owned();
        assert!(status.is_success() || status.is_client_error(), "{status} for {path} {content_type}: {}", shown());
        let answer: Value = r.json().await.unwrap_or_else(|e| panic!("{status}: not JSON: {e}"));
        let now = app.stored_reads().await;
        if status.is_success() {
            assert_eq!(now.len() as u64, held as u64 + answer["accepted"].as_u64().unwrap(), "{answer}");
        } else {
            let named = answer["error"].as_str().is_some_and(|e| !e.is_empty())
                || answer["refused"].as_array().is_some_and(|r| !r.is_empty());
            assert!(named, "{status}: {answer}");
            assert_eq!(now.len(), held, "a refusal stores nothing: {answer}");
        }
        for read in &now {
            assert!(read["plate"].as_str().is_some_and(|p| !p.is_empty()) && read["camera_id"].is_i64(), "{read}");
        }
        held = now.len();
    }
}

/// A request to one of the two routes: `(path, content type, body)`.
fn cases(image: Vec<u8>) -> impl Strategy<Value = (&'static str, String, Vec<u8>)> {
    use proptest::prelude::*;
    let bytes = prop::collection::vec(any::<u8>(), 0..600);
    let json_value = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(|i| json!(i)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,10}".prop_map(Value::String),
        Just(json!([])),
        Just(json!({ "plate": "ab12cde", "score": 2 })),
    ];
    let hooks = prop_oneof![
        Just(snapshot("ab12cde", "2026-03-02 08:50:00", 1_234_567)),
        Just(stream(plate_object("cd34efg"), "2026-03-02T08:51:00Z", "CAM-A")),
        Just(stream(Value::Null, "2026-03-02T08:52:00Z", "CAM-A")),
    ];
    let mutated_hook = (hooks, any::<prop::sample::Index>(), json_value).prop_map(|(mut hook, at, with)| {
        let mut all = Vec::new();
        pointers(&hook, String::new(), &mut all);
        let pointer = at.get(&all).clone();
        if let Some(slot) = hook.pointer_mut(&pointer) {
            *slot = with;
        }
        hook.to_string()
    });
    let elements = ["licensePlate", "confidenceLevel", "dateTime", "eventType", "macAddress", "channelID", "ANPR"];
    let mutated_alert = (0..elements.len(), ".{0,16}", any::<prop::sample::Index>(), bytes.clone()).prop_map(
        move |(e, text, at, splice)| {
            let xml = alert("KE19XYZ", "2026-03-02T08:53:00Z", "ANPR");
            let (open, close) = (format!("<{}>", elements[e]), format!("</{}>", elements[e]));
            let start = xml.find(&open).unwrap() + open.len();
            let end = start + xml[start..].find(&close).unwrap();
            let mut out = format!("{}{}{}", &xml[..start], text, &xml[end..]).into_bytes();
            if splice.len() % 3 == 0 {
                let i = at.index(out.len());
                out.splice(i..i, splice.into_iter().take(4));
            }
            out
        },
    );
    let image_part = image.clone();
    prop_oneof![
        // Plate Recognizer: arbitrary bytes as each type it takes.
        (bytes.clone(), 0..3usize).prop_map(|(b, t)| {
            let content_type = [
                "application/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=MIME_boundary_anpr",
            ][t];
            (PLATE_RECOGNIZER, content_type.to_owned(), b)
        }),
        // Plate Recognizer: a mutated hook, as JSON, as a form, or with an image.
        (mutated_hook, 0..3usize, bytes.clone()).prop_map(move |(hook, t, junk)| {
            let (content_type, body) = match t {
                0 => ("application/json".to_owned(), hook.into_bytes()),
                1 => (
                    "application/x-www-form-urlencoded".to_owned(),
                    serde_urlencoded::to_string([("json", hook)]).unwrap().into_bytes(),
                ),
                _ => {
                    let upload = if junk.len() % 2 == 0 { image_part.clone() } else { junk };
                    (
                        multipart_type(),
                        multipart(&[
                            ("json", None, "text/plain", hook.as_bytes()),
                            ("upload", Some("car.jpg"), "image/jpeg", &upload[..]),
                        ]),
                    )
                }
            };
            (PLATE_RECOGNIZER, content_type, body)
        }),
        // Hikvision: arbitrary bytes, as XML or as multipart.
        (bytes.clone(), any::<bool>()).prop_map(|(b, xml)| {
            let content_type = if xml { "application/xml".to_owned() } else { multipart_type() };
            (HIKVISION, content_type, b)
        }),
        // Hikvision: a mutated alert with its pictures (or arbitrary bytes for them).
        (mutated_alert, bytes).prop_map(move |(xml, junk)| {
            let picture = if junk.len() % 2 == 0 { image.clone() } else { junk };
            let body = multipart(&[
                ("anpr.xml", Some("anpr.xml"), "text/xml", &xml[..]),
                ("licensePlatePicture.jpg", Some("licensePlatePicture.jpg"), "image/jpeg", &picture[..]),
                ("detectionPicture.jpg", Some("detectionPicture.jpg"), "image/jpeg", &picture[..]),
            ]);
            (HIKVISION, multipart_type(), body)
        }),
    ]
}

/// Every JSON pointer of `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => map.iter().for_each(|(k, v)| pointers(v, format!("{at}/{k}"), out)),
        Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| pointers(v, format!("{at}/{i}"), out)),
        _ => {}
    }
}
