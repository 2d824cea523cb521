//! The evidence locker's edges (R19, R13, R21): a viewer kept away from a camera is shown no
//! item whose read came from it; reads are preserved only into a case the investigator opened
//! or is the officer in charge of; the image copies are named without plates and leave the
//! store with their item, a failed deletion being recorded and tried again.

use crate::helpers::{plate, plates_scope, read, refused, request, small_png_b64, ts, TestApp};
use crate::on_every_backend;
use chrono::{Duration, Months};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Rank, Role};
use sqlx::Row;

on_every_backend!(
    a_viewer_kept_from_a_camera_is_shown_no_locker_item_from_it,
    reads_are_preserved_only_into_a_case_one_opened_or_is_oic_of,
    locker_copies_are_named_without_plates_and_leave_with_their_item,
);

fn with_images(mut r: Value) -> Value {
    r["plate_image"] = json!(small_png_b64());
    r["overview_image"] = json!(small_png_b64());
    r
}

/// A central investigator `name` with an approved request over `plates`, 11 months back.
async fn central(app: &TestApp, name: &str, plates: &[&str]) -> (Client, i64) {
    let now = app.clock.now();
    let inv = app.investigator(name, AccessTier::Central).await;
    let req = app.approved(&inv, request("serious", plates_scope(plates, now - Months::new(11), now))).await;
    (inv, req)
}

/// The search and read id of `p`, found by `client` under `req`.
async fn found_read(app: &TestApp, client: &Client, req: i64, p: &str) -> (i64, i64) {
    let now = app.clock.now();
    let r = app.search(client, req, plate(p, "exact"), now - Months::new(11), now).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page: Value = r.json().await.unwrap();
    (page["search_id"].as_i64().unwrap(), page["results"][0]["id"].as_i64().unwrap())
}

async fn open_case(app: &TestApp, client: &Client, admin: &Client, oic: &str, sup: &str) -> i64 {
    let body = json!({
        "title": "Op Rowan", "reason": "Movements relied on at trial", "crime_type": "Robbery",
        "oic_id": app.user_id(admin, oic).await, "oic_supervisor_id": app.user_id(admin, sup).await,
    });
    let r = client.post(app.api("/locker/cases")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn preserve(app: &TestApp, client: &Client, case: i64, search_id: i64, reads: &[i64]) -> reqwest::Response {
    client
        .post(app.api(&format!("/locker/cases/{case}/items")))
        .json(&json!({ "search_id": search_id, "read_ids": reads }))
        .send()
        .await
        .unwrap()
}

async fn preserved(app: &TestApp, client: &Client, case: i64, search_id: i64, read: i64) -> i64 {
    let r = preserve(app, client, case, search_id, &[read]).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Vec<Value>>().await.unwrap()[0]["id"].as_i64().unwrap()
}

async fn review(app: &TestApp, client: &Client, item: i64, answer: &str) -> reqwest::Response {
    client
        .post(app.api(&format!("/locker/items/{item}/reviews")))
        .json(&json!({ "answer": answer, "note": "Phoned the OIC" }))
        .send()
        .await
        .unwrap()
}

fn plates(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["read"]["plate"].as_str().unwrap()).collect()
}

async fn a_viewer_kept_from_a_camera_is_shown_no_locker_item_from_it(app: TestApp) {
    let d = app.desk().await;
    let start = app.clock.now();
    let at = ts(start - Duration::days(2));
    app.ingest(&d.key, vec![with_images(read("NEAR1", "N1", &at)), with_images(read("AWAY1", "FAR", &at))]).await;
    let (cen, req) = central(&app, "cen", &["NEAR1", "AWAY1"]).await;
    let sup = app.supervisor("sup", Rank::Sergeant).await;
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;
    app.create_user("aud2", &[Role::Auditor]).await;
    let aud2 = app.sign_in("aud2").await;
    let case = open_case(&app, &cen, &d.admin, "cen", "sup").await;
    let (s1, near_read) = found_read(&app, &cen, req, "NEAR1").await;
    let (s2, away_read) = found_read(&app, &cen, req, "AWAY1").await;
    let near = preserved(&app, &cen, case, s1, near_read).await;
    let away = preserved(&app, &cen, case, s2, away_read).await;

    // Unrestricted, the OIC's supervisor sees both items, and each one by id.
    let items: Vec<Value> = app.get_json(&sup, &format!("/locker/cases/{case}/items")).await;
    assert_eq!(plates(&items), ["NEAR1", "AWAY1"]);
    assert_eq!(app.get(&sup, &format!("/locker/items/{away}")).await.status(), StatusCode::OK);

    // Kept away from FAR (R13): the item read there is not shown, however it is asked for.
    app.restrict_cameras(&d.admin, "sup", &[d.far]).await;
    let items: Vec<Value> = app.get_json(&sup, &format!("/locker/cases/{case}/items")).await;
    assert_eq!(plates(&items), ["NEAR1"]);
    let cases: Vec<Value> = app.get_json(&sup, "/locker/cases").await;
    assert_eq!(cases[0]["held"], 1, "nor counted");
    let item: Value = app.get_json(&sup, &format!("/locker/items/{near}")).await;
    assert_eq!(item["read"]["plate"], "NEAR1");
    for path in [format!("/locker/items/{away}"), format!("/locker/items/{away}/images/plate")] {
        refused(app.get(&sup, &path).await, StatusCode::NOT_FOUND, "no locker item").await;
    }
    assert_eq!(app.get(&sup, &format!("/locker/items/{near}/images/plate")).await.status(), StatusCode::OK);
    let refusals = app.audit_rows("locker_refused").await;
    assert_eq!(refusals.len(), 2, "each refusal is recorded (R21)");
    assert_eq!(refusals[0].actor, "sup");
    assert_eq!(refusals[0].details["asked"]["item_id"], away);
    assert_eq!(refusals[1].details["asked"]["image"], "plate");
    // The creator, unrestricted, still sees both.
    let items: Vec<Value> = app.get_json(&cen, &format!("/locker/cases/{case}/items")).await;
    assert_eq!(plates(&items), ["NEAR1", "AWAY1"]);

    // An auditor kept away from FAR: the review list leaves the item out, and it cannot be
    // reviewed; another auditor sees and reviews both.
    app.restrict_cameras(&d.admin, "aud", &[d.far]).await;
    app.clock.set(start.checked_add_months(Months::new(6)).unwrap());
    let due: Vec<Value> = app.get_json(&aud, "/locker/due").await;
    assert_eq!(plates(&due), ["NEAR1"]);
    refused(review(&app, &aud, away, "no_answer").await, StatusCode::NOT_FOUND, "no locker item").await;
    assert_eq!(app.audit_rows("locker_refused").await.len(), 3);
    assert_eq!(plates(&app.get_json::<Vec<Value>>(&aud2, "/locker/due").await), ["NEAR1", "AWAY1"]);
    for item in [near, away] {
        assert_eq!(review(&app, &aud2, item, "no_answer").await.status(), StatusCode::OK);
    }
    // Both escalated to the supervisor, who is shown only the one they may see.
    let escalated: Vec<Value> = app.get_json(&sup, "/locker/escalated").await;
    assert_eq!(plates(&escalated), ["NEAR1"]);
}

async fn reads_are_preserved_only_into_a_case_one_opened_or_is_oic_of(app: TestApp) {
    let d = app.desk().await;
    let at = ts(app.clock.now() - Duration::days(2));
    app.ingest(&d.key, vec![read("KEEP1", "N1", &at)]).await;
    let (cen, cen_req) = central(&app, "cen", &["KEEP1"]).await;
    let (oic, oic_req) = central(&app, "oic", &["KEEP1"]).await;
    let (other, other_req) = central(&app, "other", &["KEEP1"]).await;
    // The case's supervisor is an investigator too: they see the case, but do not hold it.
    let duo = app.investigating_inspector("duo").await;
    let now = app.clock.now();
    let duo_req = app.approved(&duo, request("serious", plates_scope(&["KEEP1"], now - Months::new(11), now))).await;
    let case = open_case(&app, &cen, &d.admin, "oic", "duo").await;

    let (s, id) = found_read(&app, &duo, duo_req, "KEEP1").await;
    refused(preserve(&app, &duo, case, s, &[id]).await, StatusCode::FORBIDDEN, "officer in charge").await;
    let (s, id) = found_read(&app, &other, other_req, "KEEP1").await;
    refused(preserve(&app, &other, case, s, &[id]).await, StatusCode::FORBIDDEN, "officer in charge").await;
    refused(preserve(&app, &other, case + 100, s, &[id]).await, StatusCode::NOT_FOUND, "no locker case").await;
    let refusals = app.audit_rows("preserve_refused").await;
    assert_eq!(refusals.len(), 3, "each refusal is recorded (R21)");
    assert_eq!((refusals[0].actor.as_str(), refusals[1].actor.as_str()), ("duo", "other"));
    assert_eq!(refusals[0].details["asked"]["case_id"], case);
    assert!(refusals[0].details["reason"].as_str().unwrap().contains("officer in charge"));
    assert!(app.audit_rows("reads_preserved").await.is_empty(), "nothing was preserved");

    // The OIC and the case's creator may.
    let (s, id) = found_read(&app, &oic, oic_req, "KEEP1").await;
    assert_eq!(preserve(&app, &oic, case, s, &[id]).await.status(), StatusCode::CREATED);
    let (s, id) = found_read(&app, &cen, cen_req, "KEEP1").await;
    assert_eq!(preserve(&app, &cen, case, s, &[id]).await.status(), StatusCode::CREATED);
    assert_eq!(app.audit_rows("reads_preserved").await.len(), 2);
    let items: Vec<Value> = app.get_json(&cen, &format!("/locker/cases/{case}/items")).await;
    assert_eq!(items.len(), 1, "the same read, held once");
}

/// The stored image keys of locker item `id`.
async fn keys_of(app: &TestApp, id: i64) -> (Option<String>, Option<String>) {
    let row = sqlx::query("SELECT plate_image, overview_image FROM locker_items WHERE id = $1")
        .bind(id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    (row.get("plate_image"), row.get("overview_image"))
}

async fn locker_copies_are_named_without_plates_and_leave_with_their_item(app: TestApp) {
    let d = app.desk().await;
    let start = app.clock.now();
    let at = ts(start - Duration::days(2));
    let reads = ["GONE1", "STUCK1", "KEPT1"].map(|p| with_images(read(p, "N1", &at)));
    app.ingest(&d.key, reads.to_vec()).await;
    let (cen, req) = central(&app, "cen", &["GONE1", "STUCK1", "KEPT1"]).await;
    app.supervisor("sup", Rank::Sergeant).await;
    app.create_user("aud", &[Role::Auditor]).await;
    let aud = app.sign_in("aud").await;
    let case = open_case(&app, &cen, &d.admin, "cen", "sup").await;
    let mut items = Vec::new();
    for p in ["GONE1", "STUCK1", "KEPT1"] {
        let (s, id) = found_read(&app, &cen, req, p).await;
        items.push((p, preserved(&app, &cen, case, s, id).await));
    }
    let mut copies = Vec::new();
    for (p, item) in &items {
        let (plate_key, overview_key) = keys_of(&app, *item).await;
        let keys = [plate_key.expect("a plate copy"), overview_key.expect("an overview copy")];
        for key in &keys {
            assert!(key.starts_with(&format!("locker/{case}/")), "{key}");
            assert!(!key.contains(p), "no plate in an object's name: {key}");
            assert!(app.image_bytes(key).await.is_some(), "{key} is stored");
        }
        copies.push(keys);
    }

    // Deleted as no longer needed: the copies leave the store, and the row keeps no key.
    let r = review(&app, &aud, items[0].1, "not_needed").await;
    assert_eq!(r.status(), StatusCode::OK);
    for key in &copies[0] {
        assert!(app.image_bytes(key).await.is_none(), "{key} is deleted");
    }
    assert_eq!(keys_of(&app, items[0].1).await, (None, None));

    // A copy the store cannot delete (a directory where its file was): the item is deleted
    // all the same, the failure is recorded, and the key kept for the next attempt.
    let root = std::path::PathBuf::from(app.config.images_url.trim_start_matches("file://"));
    let stuck = root.join(&copies[1][0]);
    std::fs::remove_file(&stuck).unwrap();
    std::fs::create_dir_all(stuck.join("blocker")).unwrap();
    let r = review(&app, &aud, items[1].1, "not_needed").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["deleted_why"], "not_needed");
    assert!(app.image_bytes(&copies[1][1]).await.is_none(), "the other copy is deleted");
    assert_eq!(keys_of(&app, items[1].1).await, (Some(copies[1][0].clone()), None));
    let failed = app.audit_rows("image_deletion_failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].subject.as_deref(), Some(format!("locker item {}", items[1].1).as_str()));
    assert_eq!(failed[0].details["key"], copies[1][0]);
    // Nothing of a deleted item is served while its copy waits.
    refused(
        app.get(&cen, &format!("/locker/items/{}/images/plate", items[1].1)).await,
        StatusCode::NOT_FOUND,
        "no plate",
    )
    .await;

    // Once the store can, the next review deletes what was left.
    std::fs::remove_dir_all(&stuck).unwrap();
    assert_eq!(review(&app, &aud, items[2].1, "still_needed").await.status(), StatusCode::OK);
    assert_eq!(keys_of(&app, items[1].1).await, (None, None));
    assert_eq!(app.audit_rows("image_deletion_failed").await.len(), 1);
    // The item kept still has its copies.
    for key in &copies[2] {
        assert!(app.image_bytes(key).await.is_some(), "{key} is kept");
    }
}
