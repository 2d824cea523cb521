//! Reads in (R1–R3): formats, partial failures, duplicates, camera governance, imagery limits,
//! per-feed keys.

use crate::helpers::{b64, encode, error_of, read, TestApp};
use crate::on_every_backend;
use crate::with_images_in_s3;
use image::{DynamicImage, GenericImageView, ImageBuffer, ImageFormat, Rgb};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use shared::Role;

on_every_backend!(
    a_batch_stores_its_good_reads_and_names_the_bad_ones,
    a_control_character_in_a_read_is_refused_by_name_and_costs_no_other_read,
    a_retried_batch_creates_no_duplicates,
    an_openalpr_group_is_stored_as_a_read,
    an_openalpr_final_replaces_its_preview,
    images_over_the_limits_are_downgraded_and_corrupt_ones_refused,
    each_feed_is_known_only_by_its_own_key,
    a_zone_is_suspended_and_approved_at_once,
    whole_payloads_are_refused_and_kept,
    a_request_without_a_key_is_answered_before_its_body_is_read,
    writers_at_once_wait_their_turn_and_never_fail,
    one_read_posts_at_once_are_committed_together_and_answered_when_durable,
);

// The image store for real: written, read and purged by day prefix in an S3 server.
with_images_in_s3!(
    images_over_the_limits_are_downgraded_and_corrupt_ones_refused,
    an_openalpr_final_replaces_its_preview
);

/// Forty one-read requests at once, as recognition engines send them, one of which the
/// database refuses: each other request is answered only once its read is stored, every
/// request is counted once in the audit log, and the refused one fails alone.
async fn one_read_posts_at_once_are_committed_together_and_answered_when_durable(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    // A fault the door's checks cannot see: the database itself refuses one plate.
    let fault = match app.backend {
        crate::helpers::Backend::Sqlite => {
            vec!["CREATE TRIGGER refuse_one BEFORE INSERT ON reads WHEN NEW.plate = 'FA11URE' \
             BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
                .to_owned()]
        }
        // Citus takes no trigger on a distributed table (only with `citus.enable_unsafe_triggers`):
        // there the fault is a check, which every shard enforces.
        crate::helpers::Backend::Citus => {
            vec!["ALTER TABLE reads ADD CONSTRAINT refuse_one CHECK (plate <> 'FA11URE')".to_owned()]
        }
        crate::helpers::Backend::Postgres => vec![
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.plate = 'FA11URE' THEN RAISE EXCEPTION 'refused by the database'; END IF; RETURN NEW; END $$"
                .to_owned(),
            "CREATE TRIGGER refuse_one BEFORE INSERT ON reads FOR EACH ROW EXECUTE FUNCTION refuse_one()".to_owned(),
        ],
    };
    for sql in fault {
        sqlx::query(&sql).execute(&mut app.raw_conn().await).await.unwrap();
    }
    let app = &app;
    let requests = (0..40).map(|i| {
        let plate = if i == 17 { "FA11URE".to_owned() } else { format!("GC{i:02}ABC") };
        let key = net.key.clone();
        async move {
            let body = json!({ "reads": [read(&plate, "CAM-A", &format!("2026-03-02T08:00:{i:02}Z"))] });
            let status = app.send_reads(&key, "/ingest/reads", &body).await.status();
            // Answered means stored: the read is there the moment its answer is.
            let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reads WHERE plate = $1")
                .bind(&plate)
                .fetch_one(app.db.pool())
                .await
                .unwrap();
            (plate, status, held)
        }
    });
    let answers = futures_util::future::join_all(requests).await;
    for (plate, status, held) in &answers {
        if plate == "FA11URE" {
            assert_eq!((*status, *held), (StatusCode::INTERNAL_SERVER_ERROR, 0));
        } else {
            assert_eq!((*status, *held), (StatusCode::OK, 1), "{plate}");
        }
    }
    let groups = app.audit_rows("reads_ingested").await;
    let counted = |field: &str| groups.iter().map(|g| g.details[field].as_u64().unwrap()).sum::<u64>();
    assert_eq!((counted("requests"), counted("accepted")), (39, 39), "{} groups", groups.len());
    assert!(groups.len() <= 39);
    assert_eq!(app.stored_reads().await.len(), 39);
}

/// Ingest, a hotlist import, sign-ins, the clone scan and the purge all at once: every writer
/// waits its turn (on SQLite, the queued writer), and no client sees a 5xx.
async fn writers_at_once_wait_their_turn_and_never_fail(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let list = app.investigators_list(&hotlister).await;
    app.create_user("ivy", &[Role::Investigator]).await;
    let csv: String = std::iter::once("vrm,intelligence_ref,reason,warning_markers,action\n".to_owned())
        .chain((0..300).map(|i| format!("HL{i:03}ABC,INT/{i},seen at a burglary,,report\n")))
        .collect();
    let app = &app;
    let feeds = (0..6).map(|batch| {
        let reads: Vec<Value> = (0..200)
            .map(|i| {
                read(
                    &format!("HL{:03}ABC", (batch * 200 + i) % 400),
                    "CAM-A",
                    &format!("2026-03-02T08:{:02}:{:02}.{batch}Z", i / 60, i % 60),
                )
            })
            .collect();
        let key = net.key.clone();
        async move { app.send_reads(&key, "/ingest/reads", &json!({ "reads": reads })).await.status() }
    });
    let import = async {
        hotlister
            .post(app.api(&format!("/hotlists/{list}/import")))
            .header("content-type", "text/csv")
            .body(csv.clone())
            .send()
            .await
            .unwrap()
            .status()
    };
    let sign_ins = (0..6).map(|n| async move {
        let password = if n % 2 == 0 { crate::helpers::PASSWORD } else { "wrong wrong wrong" };
        app.login(&app.client(), "ivy", password).await.status()
    });
    let jobs = async {
        let scan = server::clones::scan(&app.db, app.clock.now(), &app.state.config.clones).await;
        let purge =
            server::retention::purge(&app.db, &app.state.images, app.clock.now(), &app.state.config.access).await;
        (scan.is_ok(), purge.is_ok())
    };
    let (fed, imported, signed, (scanned, purged)) =
        tokio::join!(futures_util::future::join_all(feeds), import, futures_util::future::join_all(sign_ins), jobs);
    assert!(fed.iter().all(|s| *s == StatusCode::OK), "{fed:?}");
    assert_eq!(imported, StatusCode::OK);
    assert!(signed.iter().all(|s| !s.is_server_error()), "{signed:?}");
    assert!(scanned && purged);
    assert_eq!(app.stored_reads().await.len(), 1200);
}

/// A client announces 60 MiB, sends a few bytes and waits: without a key it is answered 401 at
/// once, never having to send (nor the server to hold) the rest.
async fn a_request_without_a_key_is_answered_before_its_body_is_read(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.address.trim_start_matches("http://").to_owned();
    for key in [None, Some("anpr_not-a-real-key")] {
        let mut socket = tokio::net::TcpStream::connect(&address).await.unwrap();
        let key_line = key.map(|k| format!("x-api-key: {k}\r\n")).unwrap_or_default();
        let head = format!(
            "POST /api/v1/ingest/reads HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n{key_line}\
             content-length: {}\r\n\r\n{{\"reads\": [",
            60 * 1024 * 1024
        );
        socket.write_all(head.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 1024];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), socket.read(&mut answer))
            .await
            .expect("answered without the rest of the body")
            .unwrap();
        let text = String::from_utf8_lossy(&answer[..n]);
        assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    }
}

/// Noise, which does not compress: a worst case for the limits.
fn noisy(w: u32, h: u32, format: ImageFormat) -> Vec<u8> {
    let mut seed = 0x9e37_79b9_u32;
    let img = ImageBuffer::from_fn(w, h, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    });
    encode(DynamicImage::ImageRgb8(img), format)
}

async fn a_batch_stores_its_good_reads_and_names_the_bad_ones(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let mut unknown_field = read("AB12CDE", "CAM-A", "2026-03-02T08:59:01Z");
    unknown_field["speed"] = json!(31);
    let report = app.ingest(&net.key,
        vec![
            read("ab12 cde", "CAM-A", "2026-03-02T08:59:00Z"),
            read("AB_12CDE", "CAM-A", "2026-03-02T08:59:00Z"),
            json!({ "plate": "AB12CDE", "captured_at": "2026-03-02T08:59:00Z", "camera": "CAM-A", "confidence": 1.5 }),
            read("AB12CDE", "CAM-X", "2026-03-02T08:59:00Z"),
            read("AB12CDE", "CAM-P", "2026-03-02T08:59:00Z"),
            read("AB12CDE", "CAM-S", "2026-03-02T08:59:00Z"),
            unknown_field,
            read("XY99ZZZ", "CAM-A", "2026-03-02T08:59:02Z"),
        ],
    )
    .await;
    assert_eq!((report["accepted"].as_u64(), report["duplicates"].as_u64()), (Some(2), Some(0)));
    let refused: Vec<(u64, String)> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_u64().unwrap(), r["reason"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [
        (1, "plate may hold only letters"),
        (2, "confidence 1.5 is not between 0 and 1"),
        (3, "camera `CAM-X` is not registered for this feed"),
        (4, "camera `CAM-P` is pending, not approved"),
        (5, "camera `CAM-S` is suspended, not approved"),
        (6, "unknown field `speed`"),
    ];
    assert_eq!(refused.len(), expected.len(), "{refused:?}");
    for ((index, reason), (want_index, want)) in refused.iter().zip(expected) {
        assert_eq!(*index, want_index);
        assert!(reason.contains(want), "{index}: {reason}");
    }

    let recent = app.stored_reads().await;
    let plates: Vec<&str> = recent.iter().map(|r| r["plate"].as_str().unwrap()).collect();
    assert_eq!(plates, ["XY99ZZZ", "AB12CDE"], "normalised, newest first");

    // Refusals are counted per camera; reads from unknown or unapproved cameras are counted,
    // not kept (R3); the others are kept for diagnosis with their plates masked.
    let cameras: Vec<Value> = app.get_json(&admin, "/cameras").await;
    let refused_at = |ext: &str| cameras.iter().find(|c| c["external_id"] == ext).unwrap()["refused_reads"].as_i64();
    assert_eq!((refused_at("CAM-A"), refused_at("CAM-P"), refused_at("CAM-S")), (Some(0), Some(1), Some(1)));
    let letters: Vec<Value> = app.get_json(&admin, "/ingest/dead-letters").await;
    assert_eq!(letters.len(), 3, "the bad plate, the bad confidence, the unknown field: {letters:?}");
    assert!(letters.iter().all(|l| l["feed_id"] == net.feed_id && l["format"] == "native"));
    for letter in &letters {
        let payload = letter["payload"].as_str().unwrap();
        assert!(!payload.contains("AB12CDE") && !payload.contains("AB_12CDE"), "a plate kept: {payload}");
        assert!(payload.contains("[text masked: ") && payload.contains("CAM-A"), "{payload}");
    }
    let ingested = app.audit_rows("reads_ingested").await;
    assert_eq!(ingested[0].details["accepted"], 2);
    assert_eq!(ingested[0].details["refused"], 6);
}

/// A NUL or other control character in a read's text is refused by name at the door (R1) —
/// PostgreSQL would refuse it at the insert, failing the reads written with it.
async fn a_control_character_in_a_read_is_refused_by_name_and_costs_no_other_read(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let mut nul_direction = read("CD12EFG", "CAM-A", "2026-03-02T08:59:03Z");
    nul_direction["direction"] = json!("N\u{0}");
    let batch = vec![
        read("AB12CDE", "CAM-A\u{0}", "2026-03-02T08:59:00Z"),
        nul_direction,
        read("XY99ZZZ", "CAM-A", "2026-03-02T08:59:02Z"),
    ];
    // Sent beside another request, whose read is written with the same group.
    let (report, other) = tokio::join!(
        app.ingest(&net.key, batch),
        app.ingest(&net.key, vec![read("EF12GHJ", "CAM-A", "2026-03-02T08:59:04Z")])
    );
    assert_eq!((report["accepted"].as_u64(), other["accepted"].as_u64()), (Some(1), Some(1)), "{report}");
    let reasons: Vec<&str> =
        report["refused"].as_array().unwrap().iter().map(|r| r["reason"].as_str().unwrap()).collect();
    assert_eq!(
        reasons,
        [
            "camera holds a control or invisible format character",
            "direction holds a control or invisible format character"
        ]
    );
    let mut plates: Vec<String> =
        app.stored_reads().await.iter().map(|r| r["plate"].as_str().unwrap().to_owned()).collect();
    plates.sort();
    assert_eq!(plates, ["EF12GHJ", "XY99ZZZ"]);
}

async fn a_retried_batch_creates_no_duplicates(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let batch =
        vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z"), read("AB12CDE", "CAM-A", "2026-03-02T08:00:00.500Z")];
    let first = app.ingest(&net.key, batch.clone()).await;
    assert_eq!((first["accepted"].as_u64(), first["duplicates"].as_u64()), (Some(2), Some(0)));
    let again = app.ingest(&net.key, batch).await;
    assert_eq!((again["accepted"].as_u64(), again["duplicates"].as_u64()), (Some(0), Some(2)));
    let same_in_one = app.ingest(&net.key, vec![read("CD34EFG", "CAM-A", "2026-03-02T08:01:00Z"); 3]).await;
    assert_eq!((same_in_one["accepted"].as_u64(), same_in_one["duplicates"].as_u64()), (Some(1), Some(2)));
    assert_eq!(app.stored_reads().await.len(), 3);
}

async fn an_openalpr_group_is_stored_as_a_read(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "rekor").await;
    let group = json!({
        "data_type": "alpr_group", "version": 2, "epoch_start": 1_772_441_000_000_i64, "epoch_end": 1_772_441_001_000_i64,
        "agent_uid": "X", "camera_id": 1_234_567, "gps_latitude": 51.5, "gps_longitude": -0.1, "country": "gb",
        "best_plate_number": "LB07SEO", "best_confidence": 93.1, "travel_direction": 92.0,
        "best_plate": { "plate": "LB07SEO", "confidence": 93.1, "plate_crop_jpeg": b64(&noisy(60, 20, ImageFormat::Jpeg)) },
        "vehicle_crop_jpeg": b64(&noisy(160, 120, ImageFormat::Jpeg)),
        "vehicle": { "color": [{ "name": "silver", "confidence": 90 }], "make": [{ "name": "bmw", "confidence": 80 }],
                     "make_model": [{ "name": "bmw_3-series", "confidence": 70 }] }
    });
    let unsupported = json!({ "data_type": "alpr_alert", "epoch_start": 1, "camera_id": 1 });
    let r = app.send_reads(&net.key, "/ingest/openalpr", &json!([group, unsupported])).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["accepted"], 1);
    assert_eq!(report["refused"][0]["index"], 1);
    let recent = app.stored_reads().await;
    let stored = &recent[0];
    assert_eq!(stored["plate"], "LB07SEO");
    assert_eq!(stored["captured_at"], "2026-03-02T08:43:20Z");
    assert_eq!(
        (&stored["make"], &stored["model"], &stored["colour"]),
        (&json!("bmw"), &json!("3-series"), &json!("silver"))
    );
    assert_eq!(stored["direction"], "E");
    assert!(stored["plate_image"].is_string() && stored["overview_image"].is_string());
    // A single object is accepted as well as an array.
    let mut again = group.clone();
    again["epoch_start"] = json!(1_772_441_060_000_i64);
    again["epoch_end"] = json!(1_772_441_061_000_i64);
    let single: Value = app.send_reads(&net.key, "/ingest/openalpr", &again).await.json().await.unwrap();
    assert_eq!(single["accepted"], 1);
}

/// Rekor's preview is sent while the vehicle is in view, its final afterwards with the same
/// frames and more: one read, with the final's plate, confidence and images (R1), and the
/// final's plate matched against the hotlists.
async fn an_openalpr_final_replaces_its_preview(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "rekor").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let list = app.investigators_list(&hotlister).await;
    app.new_entry(&hotlister, list, "LB07SEO").await;
    let group = |plate: &str, confidence: f64, preview: bool, uuids: &[&str], size: u32| {
        json!({
            "data_type": "alpr_group", "epoch_start": 1_772_441_000_000_i64, "epoch_end": 1_772_441_001_000_i64,
            "camera_id": 1_234_567, "is_preview": preview, "uuids": uuids, "best_uuid": uuids.last(),
            "best_plate": { "plate": plate, "confidence": confidence, "plate_crop_jpeg": b64(&noisy(size, 20, ImageFormat::Jpeg)) },
            "vehicle_crop_jpeg": b64(&noisy(size * 2, 120, ImageFormat::Jpeg)),
        })
    };
    let preview = group("LB07SE0", 61.0, true, &["f1", "f2"], 60);
    let report: Value = app.send_reads(&net.key, "/ingest/openalpr", &preview).await.json().await.unwrap();
    assert_eq!((report["accepted"].as_u64(), report["replaced"].as_u64()), (Some(1), Some(0)));
    let (id, preview_patch, _) = app.stored_read("LB07SE0").await.unwrap();

    let last = group("LB07SEO", 94.5, false, &["f1", "f2", "f3"], 80);
    let r = app.send_reads(&net.key, "/ingest/openalpr", &last).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(
        (report["accepted"].as_u64(), report["replaced"].as_u64(), report["duplicates"].as_u64()),
        (Some(0), Some(1), Some(0))
    );
    let all = app.stored_reads().await;
    assert_eq!(all.len(), 1, "one read for one vehicle: {all:?}");
    let stored = &all[0];
    assert_eq!(
        (stored["id"].as_i64(), &stored["plate"]),
        (Some(id), &json!("LB07SEO")),
        "the preview's read, now the final's"
    );
    assert!((stored["confidence"].as_f64().unwrap() - 0.945).abs() < 1e-9);
    let final_patch = stored["plate_image"].as_str().unwrap().to_owned();
    assert_ne!(Some(final_patch.clone()), preview_patch);
    assert_eq!(
        image::load_from_memory(&app.image_bytes(&final_patch).await.unwrap()).unwrap().width(),
        80,
        "the final's image"
    );
    assert!(app.image_bytes(&preview_patch.unwrap()).await.is_none(), "the preview's images are gone");
    let alerts: Vec<Value> = sqlx::query_scalar::<_, i64>("SELECT read_id FROM alerts")
        .fetch_all(app.db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(Value::from)
        .collect();
    assert_eq!(alerts, vec![json!(id)], "the final's plate is on the hotlist");
    let ingested = app.audit_rows("reads_ingested").await;
    assert!(ingested.iter().any(|e| e.details["replaced"] == 1));

    // The final again, or its preview late: the sighting is held, nothing changes.
    for again in [last, preview] {
        let report: Value = app.send_reads(&net.key, "/ingest/openalpr", &again).await.json().await.unwrap();
        assert_eq!(
            (report["accepted"].as_u64(), report["replaced"].as_u64(), report["duplicates"].as_u64()),
            (Some(0), Some(0), Some(1))
        );
    }
    let after = app.stored_reads().await;
    assert_eq!(
        (after.len(), &after[0]["plate"], after[0]["plate_image"].as_str()),
        (1, &json!("LB07SEO"), Some(final_patch.as_str()))
    );
    assert_eq!(
        image::load_from_memory(&app.image_bytes(&final_patch).await.unwrap()).unwrap().width(),
        80,
        "a late preview does not overwrite"
    );
}

async fn images_over_the_limits_are_downgraded_and_corrupt_ones_refused(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let big_patch = noisy(640, 160, ImageFormat::Png);
    let big_overview = noisy(1024, 768, ImageFormat::Jpeg);
    assert!(big_patch.len() > 3 * 1024 && big_overview.len() > 25 * 1024);
    let small_patch =
        encode(DynamicImage::ImageRgb8(ImageBuffer::from_pixel(110, 30, Rgb([255, 210, 0]))), ImageFormat::Png);
    let corrupt = &noisy(200, 100, ImageFormat::Jpeg)[..400];

    let mut oversize = read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z");
    oversize["plate_image"] = json!(b64(&big_patch));
    oversize["overview_image"] = json!(b64(&big_overview));
    let mut broken = read("CD34EFG", "CAM-A", "2026-03-02T08:00:01Z");
    broken["plate_image"] = json!(b64(&small_patch));
    broken["overview_image"] = json!(b64(corrupt));
    let mut not_base64 = read("EF56GHI", "CAM-A", "2026-03-02T08:00:02Z");
    not_base64["plate_image"] = json!("this is not base64 at all!");
    let report = app.ingest(&net.key, vec![oversize, broken, not_base64]).await;
    assert_eq!(report["accepted"], 3, "a bad image costs the read that image, not the read");
    let problems = report["image_problems"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!((&problems[0]["index"], &problems[0]["image"]), (&json!(1), &json!("overview")));
    assert!(problems[0]["reason"].as_str().unwrap().starts_with("image could not be decoded"));
    assert_eq!(
        (&problems[1]["index"], &problems[1]["image"], &problems[1]["reason"]),
        (&json!(2), &json!("plate"), &json!("image is not base64"))
    );

    let recent = app.stored_reads().await;
    let key_of = |plate: &str, kind: &str| {
        recent.iter().find(|r| r["plate"] == plate).unwrap()[format!("{kind}_image")].as_str().map(str::to_owned)
    };
    let patch_key = key_of("AB12CDE", "plate").unwrap();
    assert!(patch_key.ends_with(".jpg"), "{patch_key}");
    let patch = app.image_bytes(&patch_key).await.unwrap();
    let (w, h) = image::load_from_memory(&patch).unwrap().dimensions();
    assert!(patch.len() <= 3 * 1024 && w <= 120 && h <= 60, "{} bytes, {w}x{h}", patch.len());
    let overview = app.image_bytes(&key_of("AB12CDE", "overview").unwrap()).await.unwrap();
    assert!(overview.len() <= 25 * 1024, "{} bytes", overview.len());
    image::load_from_memory(&overview).expect("a whole image");

    let kept_key = key_of("CD34EFG", "plate").unwrap();
    assert!(kept_key.ends_with(".png"), "{kept_key}");
    assert_eq!(app.image_bytes(&kept_key).await.unwrap(), small_patch, "a compliant patch is stored as sent");
    assert_eq!(key_of("CD34EFG", "overview"), None);
}

async fn each_feed_is_known_only_by_its_own_key(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let tfl = app.network(&admin, "tfl").await;
    let other: Value = app.post_json(&admin, "/feeds", &json!({ "name": "borough" })).await;
    let body = json!({ "reads": [read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z")] });

    let r = app.client().post(app.api("/ingest/reads")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(r).await, "send the feed's API key in the X-Api-Key header");
    let r = app.send_reads("anpr_not-a-real-key", "/ingest/reads", &body).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(r).await, "unknown API key");
    // Another feed's key does not reach this feed's cameras.
    let borrowed: Value =
        app.send_reads(other["api_key"].as_str().unwrap(), "/ingest/reads", &body).await.json().await.unwrap();
    assert_eq!(borrowed["accepted"], 0);
    assert!(borrowed["refused"][0]["reason"].as_str().unwrap().contains("not registered for this feed"));
    // A session is not a feed key either, and a key is not a session.
    assert_eq!(
        admin.post(app.api("/ingest/reads")).json(&body).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app.client().get(app.api("/cameras")).header("x-api-key", &tfl.key).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let feeds: Vec<Value> = app.get_json(&admin, "/feeds").await;
    assert!(!serde_json::to_string(&feeds).unwrap().contains(&tfl.key), "keys are shown once, never listed");
}

async fn a_zone_is_suspended_and_approved_at_once(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let zone = |status: &str| json!({ "zone": "ccz", "status": status, "reason": "charging hours ended" });
    let r: Value = app.post_json(&admin, "/cameras/zone-status", &zone("suspended")).await;
    assert_eq!(r["cameras_changed"], 2, "CAM-A and CAM-P; CAM-S was suspended already");
    let refused = app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z")]).await;
    assert_eq!(refused["accepted"], 0);
    let other_zone = app.ingest(&net.key, vec![read("AB12CDE", "1234567", "2026-03-02T08:00:00Z")]).await;
    assert_eq!(other_zone["accepted"], 1, "another zone is untouched");

    let r: Value = app.post_json(&admin, "/cameras/zone-status", &zone("approved")).await;
    assert_eq!(r["cameras_changed"], 3);
    let accepted = app.ingest(&net.key, vec![read("AB12CDE", "CAM-P", "2026-03-02T08:00:00Z")]).await;
    assert_eq!(accepted["accepted"], 1);
    let cameras: Vec<Value> = app.get_json(&admin, "/cameras").await;
    let cam = cameras.iter().find(|c| c["external_id"] == "CAM-P").unwrap();
    assert_eq!((&cam["status_changed_by"], &cam["status_reason"]), (&json!("root"), &json!("charging hours ended")));
    let changes = app.audit_rows("zone_status_changed").await;
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[1].details["cameras_changed"], 3);

    let no_reason = json!({ "zone": "ccz", "status": "suspended", "reason": " " });
    let r = admin.post(app.api("/cameras/zone-status")).json(&no_reason).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let nowhere = json!({ "zone": "atlantis", "status": "approved", "reason": "x" });
    assert_eq!(
        admin.post(app.api("/cameras/zone-status")).json(&nowhere).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

async fn whole_payloads_are_refused_and_kept(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let raw = |body: &'static str| {
        let client = app.client().post(app.api("/ingest/reads")).header("x-api-key", &net.key);
        client.header("content-type", "application/json").body(body).send()
    };
    let r = raw("{\"reads\": [").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(r).await.starts_with("the body is not a batch of reads"));
    let r = raw("{\"reads\": []}").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(r).await, "the batch holds no reads");
    let many = json!({ "reads": vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z"); 1001] });
    let r = app.send_reads(&net.key, "/ingest/reads", &many).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_of(r).await, "a batch holds at most 1000 reads; this one holds 1001");
    let exactly = json!({ "reads": (0..1000).map(|i| read("AB12CDE", "CAM-A", &format!("2026-03-02T08:{:02}:{:02}Z", i / 60, i % 60))).collect::<Vec<_>>() });
    let full: Value = app.send_reads(&net.key, "/ingest/reads", &exactly).await.json().await.unwrap();
    assert_eq!(full["accepted"], 1000);

    let letters: Vec<Value> = app.get_json(&admin, "/ingest/dead-letters").await;
    let reasons: Vec<&str> = letters.iter().map(|l| l["reason"].as_str().unwrap()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].starts_with("a batch holds at most"));
    assert_eq!(letters[2]["payload"], "[11 bytes that are not JSON]", "what cannot be read is kept as its length");
    assert!(!letters[0]["payload"].as_str().unwrap().contains("AB12CDE"), "no plate in a whole refused batch");
    let investigator = app.signed_in("ivy", &[Role::Investigator]).await;
    assert_eq!(app.get(&investigator, "/ingest/dead-letters").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&investigator, "/feeds").await.status(), StatusCode::FORBIDDEN);
    let auditor = app.signed_in("audra", &[Role::Auditor]).await;
    assert_eq!(app.get(&auditor, "/cameras").await.status(), StatusCode::FORBIDDEN);
}
