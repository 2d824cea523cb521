//! Verification (R15, R16), cloned-plate indicators (R17), the retention purge (R18), the
//! evidence locker (R19), exports (R14, R20) and the yearly figures (R23).

use crate::helpers::{found, plate, plates_scope, read, refused, request, ts, TestApp};
use crate::on_every_backend;
use crate::with_images_in_s3;
use base64::Engine;
use chrono::{DateTime, Duration, Months, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Rank, Role};
use std::io::Read;

on_every_backend!(
    a_misread_is_corrected_and_found_by_either_plate,
    only_reads_within_reach_may_be_verified,
    clone_pairs_are_flagged_beyond_the_speed_limit with |c: &mut server::config::Config| {
        c.clones.max_speed_kmh = 100.0;
    },
    the_purge_deletes_what_is_older_than_12_months_except_the_locker,
    locker_reviews_escalate_and_delete_after_three_unanswered_attempts,
    the_supervisor_an_item_was_escalated_to_answers_for_themselves,
    exports_carry_the_marking_and_are_recorded_as_disclosures,
    evidential_statements_need_their_own_approval,
    the_yearly_figures_count_what_happened,
);

// The image store for real: written, read and purged by day prefix in an S3 server.
with_images_in_s3!(the_purge_deletes_what_is_older_than_12_months_except_the_locker);

/// A small PNG, as a camera would send it (base64).
fn png() -> String {
    let img = image::DynamicImage::ImageRgb8(image::ImageBuffer::from_pixel(40, 20, image::Rgb([200u8, 200, 40])));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    base64::engine::general_purpose::STANDARD.encode(out.into_inner())
}

fn with_images(mut r: Value) -> Value {
    r["plate_image"] = json!(png());
    r["overview_image"] = json!(png());
    r
}

/// The id of the read of `plate` found by an exact search under `request_id`.
async fn read_id(app: &TestApp, client: &Client, request_id: i64, p: &str, from: DateTime<Utc>) -> (i64, i64) {
    let r = app.search(client, request_id, plate(p, "exact"), from, app.clock.now()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page: Value = r.json().await.unwrap();
    (page["search_id"].as_i64().unwrap(), page["results"][0]["id"].as_i64().unwrap())
}

/// Verifies read `id` as one of search `search_id`'s results.
async fn verify(app: &TestApp, client: &Client, search_id: i64, id: i64, body: Value) -> reqwest::Response {
    client.post(app.api(&format!("/searches/{search_id}/reads/{id}/verifications"))).json(&body).send().await.unwrap()
}

async fn a_misread_is_corrected_and_found_by_either_plate(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let at = ts(now - Duration::days(2));
    app.ingest(&d.key, vec![read("AB12CDF", "N1", &at), read("XY99ZZZ", "N2", &at)]).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let scope = plates_scope(&["AB12CDE", "AB12CDF", "XY99ZZZ", "AB12C*", "A812CDE"], now - Duration::days(30), now);
    let req = app.approved(&inv, request("serious", scope)).await;
    let from = now - Duration::days(30);
    let (sid, id) = read_id(&app, &inv, req, "AB12CDF", from).await;
    // Before the correction, the true plate finds nothing.
    assert!(found(app.search(&inv, req, plate("AB12CDE", "exact"), from, now).await).await.is_empty());

    refused(
        verify(&app, &inv, sid, id, json!({ "verdict": "misread", "corrected_plate": "AB12CDE" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "say why",
    )
    .await;
    refused(
        verify(&app, &inv, sid, id, json!({ "verdict": "misread", "corrected_plate": "AB12CDF", "reason": "x" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "confirmed instead",
    )
    .await;
    let r = verify(
        &app,
        &inv,
        sid,
        id,
        json!({ "verdict": "misread", "corrected_plate": "ab12 cde", "reason": "Plate patch shows E; F is a smudge" }),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let verified: Value = r.json().await.unwrap();
    assert_eq!(verified["read"]["plate"], "AB12CDF", "the plate as read is kept");
    assert_eq!(verified["read"]["corrected_plate"], "AB12CDE");
    assert_eq!(verified["read"]["verdict"], "misread");
    let history = verified["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["plate_before"], "AB12CDF");
    assert_eq!(history[0]["verified_by"], "Test ivy");
    assert_eq!(history[0]["reason"], "Plate patch shows E; F is a smudge");

    // Found by the corrected plate, exactly and misread-tolerantly, and still by the original.
    for (p, mode) in [("AB12CDE", "exact"), ("A812CDE", "misread"), ("AB12CDF", "exact"), ("AB12C*", "partial")] {
        let plates = found(app.search(&inv, req, plate(p, mode), from, now).await).await;
        assert_eq!(plates, vec!["AB12CDF"], "{p} {mode}");
    }
    // The other read is untouched.
    assert_eq!(found(app.search(&inv, req, plate("XY99ZZZ", "exact"), from, now).await).await, vec!["XY99ZZZ"]);

    // A later verification overrides the correction; the history keeps both.
    let r = verify(&app, &inv, sid, id, json!({ "verdict": "confirmed" })).await;
    let verified: Value = r.json().await.unwrap();
    assert_eq!(verified["read"]["corrected_plate"], Value::Null);
    assert_eq!(verified["history"].as_array().unwrap().len(), 2);
    assert_eq!(verified["history"][1]["plate_before"], "AB12CDE");
    assert!(found(app.search(&inv, req, plate("AB12CDE", "exact"), from, now).await).await.is_empty());

    let rows = app.audit_rows("read_verified").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].actor, "ivy");
    assert_eq!(rows[0].subject.as_deref(), Some(format!("read {id}").as_str()));
    assert_eq!(rows[0].details["corrected_plate"], "AB12CDE");
    assert_eq!(rows[0].details["reason"], "Plate patch shows E; F is a smudge");
}

async fn only_reads_within_reach_may_be_verified(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let day90 = now - Duration::days(90) + Duration::seconds(1);
    let day91 = now - Duration::days(91);
    app.ingest(&d.key, vec![read("INSIDE1", "N1", &ts(day90)), read("OUTSIDE1", "N1", &ts(day91))]).await;
    let local = app.investigator("loc", AccessTier::Local).await;
    let central = app.investigator("cen", AccessTier::Central).await;
    let scope = || plates_scope(&["INSIDE1", "OUTSIDE1"], now - Duration::days(100), now);
    let local_req = app.approved(&local, request("serious", scope())).await;
    let central_req = app.approved(&central, request("serious", scope())).await;
    let (local_search, inside) = read_id(&app, &local, local_req, "INSIDE1", day90).await;
    let (central_search, outside) = read_id(&app, &central, central_req, "OUTSIDE1", day91).await;
    let confirm = json!({ "verdict": "confirmed" });
    assert_eq!(verify(&app, &local, local_search, inside, confirm.clone()).await.status(), StatusCode::CREATED);
    assert_eq!(verify(&app, &central, central_search, outside, confirm.clone()).await.status(), StatusCode::CREATED);
    // Day 91 is out of the local user's reach: not through their own search, nor another's.
    for (search_id, id) in [(local_search, outside), (central_search, outside), (central_search, inside)] {
        refused(verify(&app, &local, search_id, id, confirm.clone()).await, StatusCode::NOT_FOUND, "no such read")
            .await;
    }
    // Admins do not verify; a made-up read is as absent as one out of reach.
    refused(
        verify(&app, &d.admin, central_search, outside, confirm.clone()).await,
        StatusCode::FORBIDDEN,
        "Investigator",
    )
    .await;
    refused(verify(&app, &central, central_search, 999_999, confirm).await, StatusCode::NOT_FOUND, "no such read")
        .await;
    // Each refusal is audited with its reason (R21).
    let refusals = app.audit_rows("read_refused").await;
    assert_eq!(refusals.len(), 4);
    assert!(refusals[0].details["reason"].as_str().unwrap().contains("not among"), "{:?}", refusals[0].details);
    assert!(refusals[1].details["reason"].as_str().unwrap().contains("no search"), "{:?}", refusals[1].details);
}

async fn clone_pairs_are_flagged_beyond_the_speed_limit(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    // N1 (51.52, −0.10) to FAR (51.60, 0.10): at 100 km/h the trip takes `limit` seconds.
    let metres = shared::verification::distance_m(51.52, -0.10, 51.60, 0.10);
    let limit = metres * 3.6 / 100.0;
    let start = now - Duration::hours(3);
    let at = |s: f64| ts(start + Duration::milliseconds((s * 1000.0) as i64));
    app.ingest(
        &d.key,
        vec![
            // Exactly at the limit: possible.
            read("EDGE1", "N1", &at(0.0)),
            read("EDGE1", "FAR", &at(limit.ceil())),
            // A second quicker: flagged.
            read("CLONE1", "N1", &at(0.0)),
            read("CLONE1", "FAR", &at(limit.ceil() - 1.0)),
            // Close cameras, moments apart: never flagged.
            read("NEAR1", "N1", &at(0.0)),
            read("NEAR1", "N1", &at(1.0)),
        ],
    )
    .await;
    // A late read between two others pairs with its neighbours in capture time.
    app.ingest(&d.key, vec![read("EDGE1", "N2", &at(limit.ceil() - 2.0))]).await;
    app.clock.advance(Duration::seconds(10));
    let scanned = server::clones::scan(&app.db, app.clock.now(), &app.state.config.clones).await.unwrap();
    // CLONE1 N1→FAR; EDGE1 N2→FAR is 2 s away at ~13 km: flagged too.
    assert_eq!((scanned.reads, scanned.flagged), (7, 2));
    let again = server::clones::scan(&app.db, app.clock.now(), &app.state.config.clones).await.unwrap();
    assert_eq!((again.reads, again.flagged), (0, 0));
    // Flagging is recorded with the scan, once (R21).
    let flagged = app.audit_rows("clone_pairs_flagged").await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].details["pairs"], 2);

    // Pairs are listed among a search's results, under its grant (R17).
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let scope = json!({ "plates": [], "cameras": [d.n1, d.n2, d.far], "from": ts(now - Duration::days(1)), "to": ts(now + Duration::hours(1)) });
    let req = app.approved(&inv, request("serious", scope)).await;
    let everywhere = json!({ "kind": "area", "cameras": [d.n1, d.n2, d.far] });
    let run = |query: Value| app.search(&inv, req, query, now - Duration::days(1), app.clock.now());
    let page: Value = run(everywhere.clone()).await.json().await.unwrap();
    let everywhere_id = page["search_id"].as_i64().unwrap();
    let pairs: Vec<Value> = app.get_json(&inv, &format!("/searches/{everywhere_id}/clones")).await;
    let plates: Vec<&str> = pairs.iter().map(|p| p["plate"].as_str().unwrap()).collect();
    assert_eq!(plates.len(), 2);
    assert!(plates.contains(&"CLONE1") && plates.contains(&"EDGE1"), "{plates:?}");
    let clone = pairs.iter().find(|p| p["plate"] == "CLONE1").unwrap();
    assert_eq!(clone["first"]["camera_name"], "N1");
    assert_eq!(clone["second"]["camera_name"], "FAR");
    assert!(clone["speed_kmh"].as_f64().unwrap() > 100.0);
    assert!(clone["first"]["has_plate_image"].is_boolean());
    assert_eq!(app.audit_rows("clone_pairs_listed").await.len(), 1);
    // A search that holds only one sighting of a pair lists none of it.
    let page: Value = run(json!({ "kind": "area", "cameras": [d.n1] })).await.json().await.unwrap();
    let n1_only = page["search_id"].as_i64().unwrap();
    let pairs: Vec<Value> = app.get_json(&inv, &format!("/searches/{n1_only}/clones")).await;
    assert!(pairs.is_empty(), "{pairs:?}");

    // A user restricted from FAR does not see pairs there.
    app.restrict_cameras(&d.admin, "ivy", &[d.far]).await;
    let page: Value = run(json!({ "kind": "area", "cameras": [d.n1, d.n2] })).await.json().await.unwrap();
    let unrestricted = page["search_id"].as_i64().unwrap();
    let pairs: Vec<Value> = app.get_json(&inv, &format!("/searches/{unrestricted}/clones")).await;
    assert!(pairs.iter().all(|p| p["plate"] != "CLONE1"));
    // The earlier search named FAR: re-permitted as the grant stands now, it is refused.
    let path = format!("/searches/{everywhere_id}/clones");
    refused(app.get(&inv, &path).await, StatusCode::FORBIDDEN, "restricted from camera").await;
    refused(app.get(&d.admin, &path).await, StatusCode::FORBIDDEN, "Investigator").await;
    let other = app.investigator("otto", AccessTier::Central).await;
    refused(app.get(&other, &path).await, StatusCode::NOT_FOUND, "no search").await;
}

/// A central investigator with an approved serious request over `plates` reaching 11 months
/// back; returns the client and the request id.
async fn central_with_request(app: &TestApp, name: &str, plates: &[&str]) -> (Client, i64) {
    let now = app.clock.now();
    let inv = app.investigator(name, AccessTier::Central).await;
    let scope = plates_scope(plates, now - Months::new(11), now);
    let req = app.approved(&inv, request("serious", scope)).await;
    (inv, req)
}

/// Opens a case whose OIC is `oic` and supervisor `sup` (both existing users).
async fn open_case(app: &TestApp, client: &Client, admin: &Client, oic: &str, sup: &str) -> i64 {
    let body = json!({
        "title": "Op Larch: aggravated burglaries",
        "reason": "Vehicle movements relied on at trial",
        "crime_type": "Burglary",
        "oic_id": app.user_id(admin, oic).await,
        "oic_supervisor_id": app.user_id(admin, sup).await,
    });
    let r = client.post(app.api("/locker/cases")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn preserve(app: &TestApp, client: &Client, case: i64, search_id: i64, reads: &[i64]) -> Vec<Value> {
    let r = client
        .post(app.api(&format!("/locker/cases/{case}/items")))
        .json(&json!({ "search_id": search_id, "read_ids": reads }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

async fn image_status(app: &TestApp, client: &Client, path: &str) -> StatusCode {
    app.get(client, path).await.status()
}

async fn the_purge_deletes_what_is_older_than_12_months_except_the_locker(app: TestApp) {
    let d = app.desk().await;
    let start = app.clock.now();
    app.ingest(&d.key, vec![with_images(read("KEEP1", "N1", &ts(start - Duration::days(10))))]).await;
    let (inv, req) = central_with_request(&app, "cen", &["KEEP1"]).await;
    app.supervisor("sup", Rank::Sergeant).await;
    let (search_id, kept) = read_id(&app, &inv, req, "KEEP1", start - Months::new(11)).await;
    let case = open_case(&app, &inv, &d.admin, "cen", "sup").await;
    let items = preserve(&app, &inv, case, search_id, &[kept]).await;
    let item = items[0]["id"].as_i64().unwrap();
    // Preserving again adds nothing.
    assert!(preserve(&app, &inv, case, search_id, &[kept]).await.is_empty());

    // Reads a day either side of the 12-month line, and two on the cutoff's own day, each
    // taken as it was captured (ingest refuses reads from the future).
    for (p, at) in [
        ("OLD1", start - Duration::days(1)),
        ("SAMEDAY1", start - Duration::hours(1)),
        ("SAMEDAY2", start + Duration::hours(1)),
        ("YOUNG1", start + Duration::days(1)),
    ] {
        app.clock.set(at + Duration::minutes(1));
        app.ingest(&d.key, vec![with_images(read(p, "N1", &ts(at)))]).await;
    }
    // A year on, the purge.
    let purge_at = start.checked_add_months(Months::new(12)).unwrap();
    app.clock.set(purge_at);
    let mut ids = [0; 4];
    let mut keys = Vec::new();
    for (slot, p) in ids.iter_mut().zip(["OLD1", "YOUNG1", "SAMEDAY1", "SAMEDAY2"]) {
        let (id, plate_key, overview_key) = app.stored_read(p).await.expect("stored");
        *slot = id;
        keys.push((plate_key.expect("a plate patch"), overview_key.expect("an overview")));
        assert!(app.image_bytes(&keys.last().unwrap().0).await.is_some());
    }

    let report =
        server::retention::purge(&app.db, &app.state.images, app.clock.now(), &app.state.config.access).await.unwrap();
    assert_eq!(report.cutoff, start);
    assert_eq!(report.reads, 3, "OLD1, SAMEDAY1 and the preserved read's original");
    // Two days wholly past (the preserved read's and OLD1's) go by prefix, two images of
    // SAMEDAY1 one by one.
    assert_eq!(report.day_prefixes, 2);
    assert_eq!(report.images, 6);

    for (id, held) in [(ids[0], false), (ids[1], true), (ids[2], false), (ids[3], true), (kept, false)] {
        assert_eq!(app.read_is_stored(id).await, held, "read {id}");
    }
    for (n, held) in [(0, false), (1, true), (2, false), (3, true)] {
        assert_eq!(app.image_bytes(&keys[n].0).await.is_some(), held, "plate patch {n}");
        assert_eq!(app.image_bytes(&keys[n].1).await.is_some(), held, "overview {n}");
    }

    // The locker still holds the preserved read and its images.
    let items: Vec<Value> = app.get_json(&inv, &format!("/locker/cases/{case}/items")).await;
    assert_eq!(items[0]["read"]["plate"], "KEEP1");
    assert_eq!(image_status(&app, &inv, &format!("/locker/items/{item}/images/plate")).await, StatusCode::OK);
    assert_eq!(image_status(&app, &inv, &format!("/locker/items/{item}/images/overview")).await, StatusCode::OK);

    let rows = app.audit_rows("retention_purged").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].details["reads"], 3);
    assert_eq!(rows[0].actor, "system");
    // Running again finds nothing more.
    let again =
        server::retention::purge(&app.db, &app.state.images, app.clock.now(), &app.state.config.access).await.unwrap();
    assert_eq!((again.reads, again.images), (0, 0));
}

async fn the_supervisor_an_item_was_escalated_to_answers_for_themselves(app: TestApp) {
    let d = app.desk().await;
    let start = app.clock.now();
    app.ingest(&d.key, vec![read("LOCK9", "N1", &ts(start - Duration::days(3)))]).await;
    let (inv, req) = central_with_request(&app, "cen", &["LOCK9"]).await;
    let sup = app.supervisor("sup", Rank::Sergeant).await;
    let other = app.supervisor("sup2", Rank::Sergeant).await;
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;
    let case = open_case(&app, &inv, &d.admin, "cen", "sup").await;
    let (search_id, id) = read_id(&app, &inv, req, "LOCK9", start - Months::new(11)).await;
    let item = preserve(&app, &inv, case, search_id, &[id]).await[0]["id"].as_i64().unwrap();
    let answer = |client: &Client, answer: &str| {
        client
            .post(app.api(&format!("/locker/items/{item}/answer")))
            .json(&json!({ "answer": answer, "note": "Still relied on: the trial is listed for May" }))
            .send()
    };
    // Not theirs to answer before it is escalated to them, nor another supervisor's ever.
    refused(answer(&sup, "still_needed").await.unwrap(), StatusCode::NOT_FOUND, "no locker item").await;
    app.clock.set(start.checked_add_months(Months::new(6)).unwrap());
    assert_eq!(review(&app, &aud, item, "no_answer").await.status(), StatusCode::OK);
    refused(answer(&other, "still_needed").await.unwrap(), StatusCode::NOT_FOUND, "no locker item").await;
    refused(answer(&inv, "still_needed").await.unwrap(), StatusCode::FORBIDDEN, "Supervisor").await;
    refused(answer(&sup, "no_answer").await.unwrap(), StatusCode::UNPROCESSABLE_ENTITY, "you are the one asked").await;
    let r = answer(&sup, "still_needed").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let kept: Value = r.json().await.unwrap();
    assert_eq!((&kept["escalated"], &kept["unanswered"]), (&json!(false), &json!(0)));
    assert_eq!(kept["review_due_at"], ts(app.clock.now().checked_add_months(Months::new(6)).unwrap()));
    assert!(app.get_json::<Vec<Value>>(&sup, "/locker/escalated").await.is_empty());
    let reviewed = app.audit_rows("locker_reviewed").await;
    assert_eq!(reviewed.last().unwrap().actor, "sup");
    assert_eq!(app.audit_rows("locker_refused").await.len(), 3, "each refusal on the record");
}

async fn review(app: &TestApp, client: &Client, item: i64, answer: &str) -> reqwest::Response {
    client
        .post(app.api(&format!("/locker/items/{item}/reviews")))
        .json(&json!({ "answer": answer, "note": "Emailed the OIC; see thread 4411" }))
        .send()
        .await
        .unwrap()
}

async fn locker_reviews_escalate_and_delete_after_three_unanswered_attempts(app: TestApp) {
    let d = app.desk().await;
    let start = app.clock.now();
    let at = ts(start - Duration::days(3));
    app.ingest(&d.key, vec![with_images(read("LOCK1", "N1", &at)), read("LOCK2", "N2", &at), read("LOCK3", "N2", &at)])
        .await;
    let (inv, req) = central_with_request(&app, "cen", &["LOCK1", "LOCK2", "LOCK3"]).await;
    let sup = app.supervisor("sup", Rank::Sergeant).await;
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;
    let case = open_case(&app, &inv, &d.admin, "cen", "sup").await;
    let mut items = Vec::new();
    for p in ["LOCK1", "LOCK2", "LOCK3"] {
        let (search_id, id) = read_id(&app, &inv, req, p, start - Months::new(11)).await;
        items.push(preserve(&app, &inv, case, search_id, &[id]).await[0]["id"].as_i64().unwrap());
    }
    let [unanswered, kept, unneeded] = [items[0], items[1], items[2]];

    // Due six months after preservation, not a second before.
    let due_at = start.checked_add_months(Months::new(6)).unwrap();
    app.clock.set(due_at - Duration::seconds(1));
    assert!(app.get_json::<Vec<Value>>(&aud, "/locker/due").await.is_empty());
    refused(review(&app, &aud, unanswered, "no_answer").await, StatusCode::CONFLICT, "not due").await;
    app.clock.set(due_at);
    let due: Vec<Value> = app.get_json(&aud, "/locker/due").await;
    assert_eq!(due.len(), 3);
    assert_eq!(due[0]["ask"], "Test cen", "the OIC is asked first");
    refused(review(&app, &inv, unanswered, "no_answer").await, StatusCode::FORBIDDEN, "Auditor").await;

    // First unanswered attempt: escalated to the OIC's supervisor, tried again in 14 days.
    let r: Value = review(&app, &aud, unanswered, "no_answer").await.json().await.unwrap();
    assert_eq!(
        (r["unanswered"].as_i64(), r["escalated"].as_bool(), r["ask"].as_str()),
        (Some(1), Some(true), Some("Test sup"))
    );
    let escalated: Vec<Value> = app.get_json(&sup, "/locker/escalated").await;
    assert_eq!(escalated.len(), 1);
    refused(review(&app, &aud, unanswered, "no_answer").await, StatusCode::CONFLICT, "not due").await;
    app.clock.advance(Duration::days(14));
    let r: Value = review(&app, &aud, unanswered, "no_answer").await.json().await.unwrap();
    assert_eq!(r["unanswered"], 2);
    assert_eq!(r["deleted_at"], Value::Null);
    assert_eq!(image_status(&app, &inv, &format!("/locker/items/{unanswered}/images/plate")).await, StatusCode::OK);
    app.clock.advance(Duration::days(14));
    let r: Value = review(&app, &aud, unanswered, "no_answer").await.json().await.unwrap();
    assert_eq!(r["deleted_why"], "unanswered");
    assert_eq!(r["read"], Value::Null);
    assert_eq!(
        image_status(&app, &inv, &format!("/locker/items/{unanswered}/images/plate")).await,
        StatusCode::NOT_FOUND
    );
    refused(review(&app, &aud, unanswered, "still_needed").await, StatusCode::CONFLICT, "already been deleted").await;

    // Still needed: due again six months on. Not needed: deleted at once.
    let r: Value = review(&app, &aud, kept, "still_needed").await.json().await.unwrap();
    assert_eq!(r["review_due_at"], ts(app.clock.now().checked_add_months(Months::new(6)).unwrap()));
    let r: Value = review(&app, &aud, unneeded, "not_needed").await.json().await.unwrap();
    assert_eq!(r["deleted_why"], "not_needed");
    assert!(app.get_json::<Vec<Value>>(&aud, "/locker/due").await.is_empty());
    assert!(app.get_json::<Vec<Value>>(&sup, "/locker/escalated").await.is_empty());

    let deleted = app.audit_rows("locker_item_deleted").await;
    assert_eq!(deleted.len(), 2);
    assert_eq!(deleted[0].details["why"], "unanswered");
    assert_eq!(app.audit_rows("locker_reviewed").await.len(), 5);
    // Somebody outside the case sees none of it.
    let other = app.investigator("other", AccessTier::Central).await;
    refused(app.get(&other, &format!("/locker/cases/{case}/items")).await, StatusCode::NOT_FOUND, "no locker case")
        .await;
    assert!(app.get_json::<Vec<Value>>(&other, "/locker/cases").await.is_empty());
}

fn unzip(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("an XLSX is a zip");
    let mut text = String::new();
    archive.by_name(name).expect(name).read_to_string(&mut text).unwrap();
    text
}

async fn export(app: &TestApp, client: &Client, search_id: i64, body: Value) -> reqwest::Response {
    client.post(app.api(&format!("/searches/{search_id}/export"))).json(&body).send().await.unwrap()
}

async fn exports_carry_the_marking_and_are_recorded_as_disclosures(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let at = |h: i64| ts(now - Duration::hours(h));
    // A feed's text that a spreadsheet would take for formulas (R14: nothing dangerous out).
    let mut risky = read("EXP1", "N2", &at(3));
    risky["make"] = json!("=HYPERLINK(\"http://evil.example\",\"x\")");
    risky["colour"] = json!("+1+2");
    risky["model"] = json!("@SUM(A1)");
    app.ingest(&d.key, vec![read("EXP1", "N1", &at(5)), risky, read("OTHER1", "N1", &at(4))]).await;
    let (inv, req) = central_with_request(&app, "cen", &["EXP1"]).await;
    let (search_id, _) = read_id(&app, &inv, req, "EXP1", now - Months::new(11)).await;

    let r = export(&app, &inv, search_id, json!({ "format": "csv", "recipient": "DC Hale, Burglary Squad" })).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().contains("REQ-2026-000001-search-"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "\"OFFICIAL-SENSITIVE\",\"\"");
    assert_eq!(lines[1], "\"Request reference\",\"REQ-2026-000001\"");
    assert!(csv.contains(shared::export::HANDLING));
    assert!(csv.contains("Intelligence only; not for disclosure without further approval"), "the request's handling");
    assert!(csv.contains("\"Recipient\",\"DC Hale, Burglary Squad\""));
    assert_eq!(csv.matches(",\"EXP1\",").count(), 2);
    assert!(!csv.contains("OTHER1"));
    assert_eq!(lines.last(), Some(&"\"OFFICIAL-SENSITIVE\""));
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""), "{csv}");
    assert!(csv.contains(",\"'@SUM(A1)\",\"'+1+2\""), "{csv}");
    assert!(!csv.contains("\"=HYPERLINK") && !csv.contains("\"+1+2") && !csv.contains("\"@SUM"));

    let r =
        export(&app, &inv, search_id, json!({ "format": "xlsx", "recipient": "Kent Police", "transfer": true })).await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let strings = unzip(&bytes, "xl/sharedStrings.xml");
    assert!(strings.contains("OFFICIAL-SENSITIVE") && strings.contains("REQ-2026-000001") && strings.contains("EXP1"));
    assert!(strings.contains("Kent Police"));
    assert!(strings.contains("'=HYPERLINK") && strings.contains("'+1+2") && !strings.contains(">=HYPERLINK"));
    assert!(unzip(&bytes, "xl/worksheets/sheet1.xml").contains("OFFICIAL-SENSITIVE"), "the printed header");

    refused(
        export(&app, &inv, search_id, json!({ "format": "csv", "recipient": " " })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "recipient",
    )
    .await;
    refused(
        export(&app, &inv, search_id, json!({ "format": "pdf", "recipient": "CPS" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "statement",
    )
    .await;
    let other = app.investigator("other", AccessTier::Central).await;
    refused(
        export(&app, &other, search_id, json!({ "format": "csv", "recipient": "x" })).await,
        StatusCode::NOT_FOUND,
        "no search",
    )
    .await;

    let rows = app.audit_rows("exported").await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].subject.as_deref(), Some("REQ-2026-000001"));
    assert_eq!(rows[0].details["recipient"], "DC Hale, Burglary Squad");
    assert_eq!(rows[0].details["rows"], 2);
    assert_eq!(rows[1].details["transfer"], true);
}

async fn evidential_statements_need_their_own_approval(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    app.ingest(&d.key, vec![read("EVI1", "N1", &ts(now - Duration::hours(5)))]).await;
    let duo = app.investigating_inspector("duo").await;
    let scope = plates_scope(&["EVI1"], now - Months::new(11), now);
    let req = app.approved(&duo, request("serious", scope)).await;
    let (search_id, id) = read_id(&app, &duo, req, "EVI1", now - Months::new(11)).await;

    let body =
        json!({ "search_id": search_id, "read_ids": [id], "reason": "Charging decision: movements on the night" });
    let r = duo.post(app.api("/statements")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let statement: Value = r.json().await.unwrap();
    assert_eq!(statement["status"], "pending");
    let sid = statement["id"].as_i64().unwrap();
    let bad = json!({ "search_id": search_id, "read_ids": [id + 1000], "reason": "x" });
    refused(
        duo.post(app.api("/statements")).json(&bad).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not among",
    )
    .await;

    let pdf = |client: &Client| {
        client.post(app.api(&format!("/statements/{sid}/pdf"))).json(&json!({ "recipient": "CPS Thames" })).send()
    };
    refused(pdf(&duo).await.unwrap(), StatusCode::FORBIDDEN, "awaits").await;
    let decision = json!({ "approve": true, "rationale": "Evidence needed for the file" });
    let decide = |client: &Client| client.post(app.api(&format!("/statements/{sid}/decision"))).json(&decision).send();
    refused(decide(&duo).await.unwrap(), StatusCode::FORBIDDEN, "own statement").await;
    let sup = app.supervisor("sup", Rank::Sergeant).await;
    let queue: Vec<Value> = app.get_json(&sup, "/statements?which=queue").await;
    assert_eq!(queue.len(), 1);
    // The supervisor sees the reads they are asked to attest, the listing on the record; the
    // requester is not asked to decide, nor is anyone not a supervisor shown them.
    let reads_path = format!("/statements/{sid}/reads");
    let reads: Vec<Value> = app.get_json(&sup, &reads_path).await;
    assert_eq!(
        (reads.len(), reads[0]["plate"].as_str(), reads[0]["camera_name"].as_str()),
        (1, Some("EVI1"), Some("N1"))
    );
    let listed = app.audit_rows("reads_listed").await;
    assert_eq!((listed.len(), listed[0].actor.as_str()), (1, "sup"));
    assert_eq!((listed[0].details["statement_id"].as_i64(), &listed[0].details["read_ids"]), (Some(sid), &json!([id])));
    // A camera kept from the supervisor is kept from them here too (R13).
    app.restrict_cameras(&d.admin, "sup", &[d.n1]).await;
    assert!(app.get_json::<Vec<Value>>(&sup, &reads_path).await.is_empty());
    let listed = app.audit_rows("reads_listed").await;
    assert_eq!(listed[1].details["not_shown"], 1);
    app.restrict_cameras(&d.admin, "sup", &[]).await;
    refused(app.get(&duo, &reads_path).await, StatusCode::NOT_FOUND, "no such read").await;
    let other = app.investigator("other", AccessTier::Central).await;
    refused(app.get(&other, &reads_path).await, StatusCode::FORBIDDEN, "Supervisor").await;
    let refusal = app.audit_rows("read_refused").await;
    assert!(refusal[0].details["reason"].as_str().unwrap().contains("own statement"), "{refusal:?}");
    assert_eq!(decide(&sup).await.unwrap().status(), StatusCode::OK);
    // Decided, the statement's reads are no longer shown for a decision.
    refused(app.get(&sup, &reads_path).await, StatusCode::NOT_FOUND, "no such read").await;
    refused(decide(&sup).await.unwrap(), StatusCode::CONFLICT, "already been decided").await;

    let r = pdf(&duo).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("%PDF-"));
    assert!(text.contains("(OFFICIAL-SENSITIVE) Tj"));
    assert!(text.contains(&format!("Statement reference: REQ-2026-000001/S{sid}")));
    assert!(text.contains("EVI1"));
    assert!(text.contains("Approved by Test sup"));
    // The statement names its review date, when its producer is asked whether it is still needed (R20).
    assert!(text.contains("(Review by \\(UTC\\): 2026-03-30T09:00:00Z"), "{text}");
    let rows = app.audit_rows("exported").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].details["format"].as_str(), rows[0].details["recipient"].as_str()),
        (Some("pdf"), Some("CPS Thames"))
    );
    assert_eq!(app.audit_rows("statement_decided").await.len(), 1);
    refused(pdf(&other).await.unwrap(), StatusCode::NOT_FOUND, "no statement").await;

    // A statement whose request has since been withdrawn is not approved, since its reads may
    // no longer be searched; it can still be rejected.
    let second = duo.post(app.api("/statements")).json(&body).send().await.unwrap();
    let second = second.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let withdrawn = duo.post(app.api(&format!("/requests/{req}/withdraw"))).json(&json!({})).send().await.unwrap();
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let path = format!("/statements/{second}/decision");
    let approve = sup.post(app.api(&path)).json(&decision).send().await.unwrap();
    refused(approve, StatusCode::FORBIDDEN, "withdrawn").await;
    let reject = json!({ "approve": false, "rationale": "The request was withdrawn" });
    assert_eq!(sup.post(app.api(&path)).json(&reject).send().await.unwrap().status(), StatusCode::OK);
}

async fn the_yearly_figures_count_what_happened(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    app.ingest(&d.key, vec![read("FIG1", "N1", &ts(now - Duration::hours(5)))]).await;
    let (inv, req) = central_with_request(&app, "cen", &["FIG1"]).await;
    let (search_id, id) = read_id(&app, &inv, req, "FIG1", now - Months::new(11)).await;
    assert_eq!(
        verify(
            &app,
            &inv,
            search_id,
            id,
            json!({ "verdict": "cloned", "reason": "Overview shows a van, plate is a car's" })
        )
        .await
        .status(),
        StatusCode::CREATED
    );
    let r =
        export(&app, &inv, search_id, json!({ "format": "csv", "recipient": "Met Police", "transfer": true })).await;
    assert_eq!(r.status(), StatusCode::OK);
    server::retention::purge(&app.db, &app.state.images, now, &app.state.config.access).await.unwrap();
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;

    let figures: Value = app.get_json(&aud, "/oversight/report?year=2026").await;
    let get = |section: &str, item: &str| {
        figures["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["section"] == section && f["item"] == item)
            .unwrap_or_else(|| panic!("{section} / {item}"))["count"]
            .clone()
    };
    // Each 1 is shown as fewer than the smallest count shown (5 by default); 0 is exact.
    let one = json!("fewer than 5");
    assert_eq!(get("Summary of use", "All searches"), one);
    assert_eq!(get("Summary of use", "Purpose: Crime investigation"), one);
    assert_eq!(get("Summary of use", "Purpose: Safeguarding (missing or vulnerable person)"), 0);
    assert_eq!(get("Summary of use", "Crime type: others, each fewer than 5"), one, "a rare crime type is not named");
    assert_eq!(get("Requests", "Approved"), one);
    assert_eq!(get("Requests", "Rejected"), 0);
    assert_eq!(get("Challenges", "Verified: Suspected cloned or switched plate"), one);
    assert_eq!(get("Transfers", "Spreadsheets (CSV)"), one);
    assert_eq!(get("Transfers", "Transfers to other agencies"), one);
    assert_eq!(get("Transfers", "Recipient: others, each fewer than 5"), one);
    assert_eq!(get("Deletions", "Purge runs"), one);
    // 2027 has not begun: no figures for it yet.
    assert_eq!(app.get(&aud, "/oversight/report?year=2027").await.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = app.get(&aud, "/oversight/report?year=2026&format=csv").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("\"section\",\"item\",\"value\"\n"));
    assert!(csv.contains("\"Summary of use\",\"Crime type: others, each fewer than 5\",\"fewer than 5\"\n"));
    refused(app.get(&inv, "/oversight/report?year=2026").await, StatusCode::FORBIDDEN, "Auditor").await;
    refused(app.get(&aud, "/oversight/report?year=400000").await, StatusCode::UNPROCESSABLE_ENTITY, "not a year").await;
    assert_eq!(app.audit_rows("report_drawn").await.len(), 2, "the two answered");
}
