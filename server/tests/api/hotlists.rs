//! Hotlists and alerts (R5–R9): matching as reads arrive, audiences, reviews.

use crate::helpers::TestApp;
use crate::ingest::{ingest, network, read};
use crate::on_both_backends;
use chrono::Duration;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::Role;

on_both_backends!(
    a_restricted_lists_alert_reaches_its_members_and_nobody_else,
    misreads_and_wildcards_raise_alerts_of_their_kind,
    an_entry_lapses_at_day_14_not_day_13_and_then_stops_matching,
    a_removed_entry_stops_matching,
);

async fn list(app: &TestApp, admin: &Client, name: &str, audience: Value) -> i64 {
    let r = admin
        .post(app.api("/hotlists"))
        .json(&json!({ "name": name, "kind": "operation", "audience": audience }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn entry(app: &TestApp, admin: &Client, list_id: i64, vrm: &str) -> i64 {
    let r = admin
        .post(app.api(&format!("/hotlists/{list_id}/entries")))
        .json(&json!({ "vrm": vrm, "intelligence_ref": "INT/2026/0042", "reason": "linked to a series of burglaries",
                        "warning_markers": ["violence"], "action": "do not stop; report sighting" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

async fn alerts(app: &TestApp, client: &Client) -> Vec<Value> {
    app.get_json(client, "/alerts").await
}

async fn a_restricted_lists_alert_reaches_its_members_and_nobody_else(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = network(&app, &sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let member = app.signed_in("moira", &[Role::Investigator]).await;
    let outsider = app.signed_in("otto", &[Role::Investigator]).await;
    let member_id = app.user_id(&sysadmin, "moira").await;

    let secret = list(&app, &hotlister, "Op Nightjar", json!({ "type": "members", "user_ids": [member_id] })).await;
    entry(&app, &hotlister, secret, "AB12CDE").await;
    let general = list(&app, &hotlister, "Force VOI", json!({ "type": "role", "role": "investigator" })).await;
    entry(&app, &hotlister, general, "LB07SEO").await;

    let report = ingest(
        &app,
        &net.key,
        vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z"), read("LB07SEO", "CAM-A", "2026-03-02T08:00:05Z")],
    )
    .await;
    assert_eq!(report["accepted"], 2);

    let seen = alerts(&app, &member).await;
    let plates: Vec<&str> = seen.iter().map(|a| a["read"]["plate"].as_str().unwrap()).collect();
    assert_eq!(plates, ["LB07SEO", "AB12CDE"]);
    let restricted = &seen[1];
    assert_eq!((&restricted["hotlist_name"], &restricted["match_kind"]), (&json!("Op Nightjar"), &json!("exact")));
    assert_eq!(restricted["warning_markers"], json!(["violence"]));
    assert!(
        restricted.get("reason").is_none() && restricted.get("intelligence_ref").is_none(),
        "only the read, not the intelligence (R8)"
    );

    let outside: Vec<Value> = alerts(&app, &outsider).await;
    assert_eq!(outside.len(), 1, "the outsider sees only the force-wide list's alert");
    assert_eq!(outside[0]["read"]["plate"], "LB07SEO");
    assert!(alerts(&app, &sysadmin).await.is_empty());
    assert_eq!(app.get(&member, "/hotlists").await.status(), StatusCode::FORBIDDEN, "members do not manage lists");
}

async fn misreads_and_wildcards_raise_alerts_of_their_kind(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = network(&app, &sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin, Role::Investigator]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "hotlist_admin" })).await;
    entry(&app, &hotlister, voi, "BD51SMR").await;
    entry(&app, &hotlister, voi, "AB12?CD").await;
    let reads = vec![
        read("8D51SMR", "CAM-A", "2026-03-02T08:00:00Z"),
        read("AB12XCD", "CAM-A", "2026-03-02T08:00:01Z"),
        read("AB12XCDE", "CAM-A", "2026-03-02T08:00:02Z"),
        read("BD51SMX", "CAM-A", "2026-03-02T08:00:03Z"),
    ];
    assert_eq!(ingest(&app, &net.key, reads).await["accepted"], 4);
    let seen = alerts(&app, &hotlister).await;
    let got: Vec<(&str, &str)> =
        seen.iter().map(|a| (a["read"]["plate"].as_str().unwrap(), a["match_kind"].as_str().unwrap())).collect();
    assert_eq!(got, [("AB12XCD", "exact"), ("8D51SMR", "possible")]);
    assert_eq!(app.audit_rows("reads_ingested").await[0].details["alerts"], 2);
}

async fn an_entry_lapses_at_day_14_not_day_13_and_then_stops_matching(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = network(&app, &sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "hotlist_admin" })).await;
    entry(&app, &hotlister, voi, "AB12CDE").await;
    let added = app.clock.now();

    app.clock.set(added + Duration::days(13));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 0);
    app.clock.set(added + Duration::days(14) - Duration::seconds(1));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 0, "due, not yet overdue");
    ingest(&app, &net.key, vec![read("AB12CDE", "CAM-A", "2026-03-15T08:00:00Z")]).await;
    assert_eq!(alerts(&app, &hotlister).await.len(), 1);

    app.clock.set(added + Duration::days(14));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 1);
    ingest(&app, &net.key, vec![read("AB12CDE", "CAM-A", "2026-03-16T08:00:00Z")]).await;
    assert_eq!(alerts(&app, &hotlister).await.len(), 1, "a lapsed entry matches nothing (R9)");
    let entries: Vec<Value> = app.get_json(&hotlister, &format!("/hotlists/{voi}/entries")).await;
    assert!(entries.is_empty());
    assert_eq!(app.audit_rows("hotlist_entries_lapsed").await.len(), 1);
}

async fn a_removed_entry_stops_matching(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = network(&app, &sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "hotlist_admin" })).await;
    let id = entry(&app, &hotlister, voi, "AB12CDE").await;
    let no_reason = hotlister
        .post(app.api(&format!("/hotlists/entries/{id}/remove")))
        .json(&json!({ "reason": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_reason.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = hotlister
        .post(app.api(&format!("/hotlists/entries/{id}/remove")))
        .json(&json!({ "reason": "vehicle recovered" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    ingest(&app, &net.key, vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z")]).await;
    assert!(alerts(&app, &hotlister).await.is_empty());
    assert_eq!(app.audit_rows("hotlist_entry_removed").await[0].details["reason"], "vehicle recovered");
}
