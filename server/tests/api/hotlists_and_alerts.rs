//! Hotlists and alerts (R5–R9): matching as reads arrive, audiences, reviews.

use crate::helpers::{read, small_png_b64, Network, TestApp};
use crate::on_every_backend;
use chrono::Duration;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::Role;

on_every_backend!(
    a_restricted_lists_alert_reaches_its_members_and_nobody_else,
    misreads_and_wildcards_raise_alerts_of_their_kind,
    an_entry_lapses_at_day_14_not_day_13_and_then_stops_matching,
    a_removed_entry_stops_matching,
    a_new_entry_finds_a_vehicle_seen_in_the_last_24_hours,
    the_recipient_decides_a_hit_once_and_outsiders_cannot_touch_it,
    the_alert_stream_carries_a_hit_to_its_audience_only,
    a_review_keeps_an_entry_for_14_more_days,
    a_csv_import_adds_the_good_rows_and_names_the_bad,
    an_entrys_particulars_are_edited_and_audited,
    a_list_holds_each_plate_once,
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

/// The people of an alert: a feed, a hotlist admin, a member of a restricted list (holding
/// `member_role`) and an investigator outside it.
struct Cast {
    sysadmin: Client,
    net: Network,
    hotlister: Client,
    member: Client,
    outsider: Client,
    member_id: i64,
}

async fn cast(app: &TestApp, member_role: Role) -> Cast {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let member = app.signed_in("moira", &[member_role]).await;
    let outsider = app.signed_in("otto", &[Role::Investigator]).await;
    let member_id = app.user_id(&sysadmin, "moira").await;
    Cast { sysadmin, net, hotlister, member, outsider, member_id }
}

async fn alerts(app: &TestApp, client: &Client) -> Vec<Value> {
    app.get_json(client, "/alerts").await
}

async fn a_restricted_lists_alert_reaches_its_members_and_nobody_else(app: TestApp) {
    let Cast { sysadmin, net, hotlister, member, outsider, member_id } = cast(&app, Role::Investigator).await;

    let secret = list(&app, &hotlister, "Op Nightjar", json!({ "type": "members", "user_ids": [member_id] })).await;
    app.new_entry(&hotlister, secret, "AB12CDE").await;
    let general = list(&app, &hotlister, "Force VOI", json!({ "type": "role", "role": "investigator" })).await;
    app.new_entry(&hotlister, general, "LB07SEO").await;

    let report = app
        .ingest(
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
    assert_eq!(app.get(&sysadmin, "/alerts").await.status(), StatusCode::FORBIDDEN, "alerts go to investigators");
    assert_eq!(app.get(&member, "/hotlists").await.status(), StatusCode::FORBIDDEN, "members do not manage lists");
}

async fn misreads_and_wildcards_raise_alerts_of_their_kind(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    app.new_entry(&hotlister, voi, "BD51SMR").await;
    let partial = app.new_entry(&hotlister, voi, "AB12?CD").await;
    assert_eq!(app.approve_entry(&app.inspector("ines").await, partial).await.status(), StatusCode::OK);
    let reads = vec![
        read("8D51SMR", "CAM-A", "2026-03-02T08:00:00Z"),
        read("AB12XCD", "CAM-A", "2026-03-02T08:00:01Z"),
        read("AB12XCDE", "CAM-A", "2026-03-02T08:00:02Z"),
        read("BD51SMX", "CAM-A", "2026-03-02T08:00:03Z"),
    ];
    assert_eq!(app.ingest(&net.key, reads).await["accepted"], 4);
    let seen = alerts(&app, &officer).await;
    let got: Vec<(&str, &str)> =
        seen.iter().map(|a| (a["read"]["plate"].as_str().unwrap(), a["match_kind"].as_str().unwrap())).collect();
    assert_eq!(got, [("AB12XCD", "exact"), ("8D51SMR", "possible")]);
    assert_eq!(app.audit_rows("reads_ingested").await[0].details["alerts"], 2);
}

async fn an_entry_lapses_at_day_14_not_day_13_and_then_stops_matching(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    app.new_entry(&hotlister, voi, "AB12CDE").await;
    let added = app.clock.now();

    app.clock.set(added + Duration::days(13));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 0);
    app.clock.set(added + Duration::days(14) - Duration::seconds(1));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 0, "due, not yet overdue");
    let before: Vec<Value> = app.get_json(&hotlister, &format!("/hotlists/{voi}/entries")).await;
    assert_eq!((&before[0]["hits"], &before[0]["last_hit_at"]), (&json!(0), &Value::Null));
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", "2026-03-15T08:00:00Z")]).await;
    assert_eq!(alerts(&app, &officer).await.len(), 1);
    // How often a vehicle was seen is the audience's to know, not the list's managers' (R8).
    let listed: Vec<Value> = app.get_json(&hotlister, &format!("/hotlists/{voi}/entries")).await;
    assert_eq!((&listed[0]["hits"], &listed[0]["last_hit_at"]), (&json!(0), &Value::Null));

    app.clock.set(added + Duration::days(14));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 1);
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", "2026-03-16T08:00:00Z")]).await;
    assert_eq!(alerts(&app, &officer).await.len(), 1, "a lapsed entry matches nothing (R9)");
    let entries: Vec<Value> = app.get_json(&hotlister, &format!("/hotlists/{voi}/entries")).await;
    assert!(entries.is_empty());
    assert_eq!(app.audit_rows("hotlist_entries_lapsed").await.len(), 1);
}

async fn a_removed_entry_stops_matching(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    let id = app.new_entry(&hotlister, voi, "AB12CDE").await;
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
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z")]).await;
    assert!(alerts(&app, &officer).await.is_empty());
    assert_eq!(app.audit_rows("hotlist_entry_removed").await[0].details["reason"], "vehicle recovered");
}

async fn a_new_entry_finds_a_vehicle_seen_in_the_last_24_hours(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&sysadmin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    // The clock stands at 2026-03-02T09:00Z.
    let reads = vec![
        read("AB12CDE", "CAM-A", "2026-03-01T09:00:01Z"),
        read("AB12CDE", "CAM-A", "2026-03-01T08:59:59Z"),
        read("A812CDE", "CAM-A", "2026-03-02T07:00:00Z"),
    ];
    app.ingest(&net.key, reads).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    app.new_entry(&hotlister, voi, "AB12CDE").await;
    let seen = alerts(&app, &officer).await;
    let got: Vec<(&str, &str, &str)> = seen
        .iter()
        .map(|a| {
            (
                a["read"]["plate"].as_str().unwrap(),
                a["read"]["captured_at"].as_str().unwrap(),
                a["match_kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("A812CDE", "2026-03-02T07:00:00Z", "possible"), ("AB12CDE", "2026-03-01T09:00:01Z", "exact")],
        "24 hours minus a second is inside the window, 24 hours and a second is not"
    );
    // A partial plate goes through the window's reads once approved: a fit and a misread fit
    // are found.
    app.ingest(
        &net.key,
        vec![read("XY12355", "CAM-A", "2026-03-02T06:00:00Z"), read("XY123S5", "CAM-A", "2026-03-02T06:00:00Z")],
    )
    .await;
    let partial = app.new_entry(&hotlister, voi, "XY1*55").await;
    assert_eq!(alerts(&app, &officer).await.len(), 2, "nothing until an inspector approves it");
    assert_eq!(app.approve_entry(&app.inspector("ines").await, partial).await.status(), StatusCode::OK);
    let seen = alerts(&app, &officer).await;
    let wild: Vec<(&str, &str)> = seen
        .iter()
        .filter(|a| a["entry_vrm"] == "XY1*55")
        .map(|a| (a["read"]["plate"].as_str().unwrap(), a["match_kind"].as_str().unwrap()))
        .collect();
    assert_eq!(wild.len(), 2, "{seen:?}");
    assert!(wild.contains(&("XY12355", "exact")) && wild.contains(&("XY123S5", "possible")), "{wild:?}");
}

async fn the_recipient_decides_a_hit_once_and_outsiders_cannot_touch_it(app: TestApp) {
    let Cast { net, hotlister, member, outsider, member_id, .. } = cast(&app, Role::Investigator).await;
    let op = list(&app, &hotlister, "Op Kestrel", json!({ "type": "members", "user_ids": [member_id] })).await;
    app.new_entry(&hotlister, op, "AB12CDE").await;
    let mut with_images = read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z");
    with_images["plate_image"] = json!(small_png_b64());
    app.ingest(&net.key, vec![with_images]).await;
    let id = alerts(&app, &member).await[0]["id"].as_i64().unwrap();

    // Outside the audience, the alert does not exist: not its decision, not its images.
    let decide = |client: &Client, outcome: &str, reason: &str| {
        client
            .post(app.api(&format!("/alerts/{id}/decision")))
            .json(&json!({ "outcome": outcome, "reason": reason }))
            .send()
    };
    assert_eq!(decide(&outsider, "rejected", "not mine").await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&outsider, &format!("/alerts/{id}/images/plate")).await.status(), StatusCode::NOT_FOUND);
    // The member, who has run no search, sees this read's image through the alert only (R8).
    let read_id = alerts(&app, &member).await[0]["read"]["id"].as_i64().unwrap();
    let direct = app.get(&member, &format!("/searches/1/reads/{read_id}/images/plate")).await;
    assert!(direct.status().is_client_error(), "{}", direct.status());
    let image = app.get(&member, &format!("/alerts/{id}/images/plate")).await;
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["content-type"], "image/png");

    assert_eq!(decide(&member, "accepted", " ").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    let decided: Value =
        decide(&member, "rejected", "misread: vehicle does not match").await.unwrap().json().await.unwrap();
    assert_eq!(decided["decision"]["outcome"], "rejected");
    assert_eq!(decided["decision"]["decided_by"], "moira");
    assert_eq!(decide(&member, "accepted", "changed my mind").await.unwrap().status(), StatusCode::CONFLICT);
    let audited = app.audit_rows("alert_decided").await;
    assert_eq!((audited.len(), audited[0].details["reason"].as_str()), (1, Some("misread: vehicle does not match")));
}

async fn the_alert_stream_carries_a_hit_to_its_audience_only(app: TestApp) {
    let Cast { net, hotlister, member, outsider, member_id, .. } = cast(&app, Role::Investigator).await;
    let op = list(&app, &hotlister, "Op Kestrel", json!({ "type": "members", "user_ids": [member_id] })).await;
    app.new_entry(&hotlister, op, "AB12CDE").await;
    let voi = list(&app, &hotlister, "Force VOI", json!({ "type": "role", "role": "investigator" })).await;
    app.new_entry(&hotlister, voi, "LB07SEO").await;

    let mut member_stream = member.get(app.api("/alerts/live")).send().await.unwrap();
    let mut outsider_stream = outsider.get(app.api("/alerts/live")).send().await.unwrap();
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z")]).await;
    app.ingest(&net.key, vec![read("LB07SEO", "CAM-A", "2026-03-02T08:00:01Z")]).await;

    async fn next_event(stream: &mut reqwest::Response) -> Value {
        let mut text = String::new();
        while !text.contains("\n\n") {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
                .await
                .expect("an event in time");
            text.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("open")));
        }
        assert!(text.starts_with("event: alert\n"), "{text}");
        serde_json::from_str(text.lines().nth(1).unwrap().trim_start_matches("data: ")).unwrap()
    }
    assert_eq!(next_event(&mut member_stream).await["read"]["plate"], "AB12CDE");
    assert_eq!(next_event(&mut member_stream).await["read"]["plate"], "LB07SEO");
    // The outsider's first event is the force-wide hit: the restricted one never reached them.
    assert_eq!(next_event(&mut outsider_stream).await["read"]["plate"], "LB07SEO");
}

async fn a_review_keeps_an_entry_for_14_more_days(app: TestApp) {
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    let id = app.new_entry(&hotlister, voi, "AB12CDE").await;
    let added = app.clock.now();
    let due = |days: i64| {
        let url = format!("/hotlists/reviews/due?within_days={days}");
        let client = hotlister.clone();
        let app = &app;
        async move { app.get_json::<Vec<Value>>(&client, &url).await.len() }
    };
    assert_eq!(due(3).await, 0, "due on day 14, not within 3 days of day 0");
    app.clock.set(added + Duration::days(11));
    assert_eq!(due(3).await, 1);
    app.clock.set(added + Duration::days(13));
    let r = hotlister
        .post(app.api(&format!("/hotlists/entries/{id}/review")))
        .json(&json!({ "justification": "still linked to open investigation 77" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let reviewed: Value = r.json().await.unwrap();
    assert_eq!(reviewed["review_due"], "2026-03-29T09:00:00Z");
    app.clock.set(added + Duration::days(14));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 0, "reviewed in time");
    app.clock.set(added + Duration::days(27));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 1, "14 days after the review");
    assert_eq!(app.audit_rows("hotlist_entry_reviewed").await.len(), 1);
}

async fn a_csv_import_adds_the_good_rows_and_names_the_bad(app: TestApp) {
    let sysadmin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&sysadmin, "tfl").await;
    app.ingest(&net.key, vec![read("CD34EFG", "CAM-A", "2026-03-02T08:00:00Z")]).await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    let csv = "vrm,intelligence_ref,reason,warning_markers,action\n\
               AB12CDE,INT/1,stolen vehicle,violence;firearms,stop and check\n\
               AB_12,INT/2,bad plate,,\n\
               CD34EFG,INT/3,,,\n\
               AB12?CD,INT/4,\"partial plate, from a witness\",,\n\
               CD34EFG,INT/5,seen at a burglary,,\n";
    let r = hotlister
        .post(app.api(&format!("/hotlists/{voi}/import")))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["added"], 2);
    let refused: Vec<(u64, &str)> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert_eq!(refused[0].0, 3);
    assert!(refused[0].1.contains("vrm `AB_12`"));
    assert_eq!(refused[1], (4, "reason must be 1 to 1000 characters"));
    assert_eq!(refused[2].0, 5);
    assert!(refused[2].1.contains("whole plates only"), "an import carries no partial plate (R10): {}", refused[2].1);
    let entries: Vec<Value> = app.get_json(&hotlister, &format!("/hotlists/{voi}/entries")).await;
    let vrms: Vec<&str> = entries.iter().map(|e| e["vrm"].as_str().unwrap()).collect();
    assert_eq!(vrms, ["AB12CDE", "CD34EFG"]);
    assert_eq!(entries[0]["warning_markers"], json!(["violence", "firearms"]));
    assert_eq!(app.audit_rows("hotlist_entry_added").await.len(), 2);
    // An imported entry is matched against recent reads too.
    assert_eq!(alerts(&app, &officer).await.len(), 1);

    let bad_header = hotlister
        .post(app.api(&format!("/hotlists/{voi}/import")))
        .body("plate,why\nAB12CDE,x\n")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_header.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_entrys_particulars_are_edited_and_audited(app: TestApp) {
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    let id = app.new_entry(&hotlister, voi, "AB12CDE").await;
    let edit = |body: Value| hotlister.patch(app.api(&format!("/hotlists/entries/{id}"))).json(&body).send();
    let r = edit(json!({ "reason": "now linked to two robberies", "warning_markers": ["firearms"] })).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let edited: Value = r.json().await.unwrap();
    assert_eq!(
        (&edited["reason"], &edited["warning_markers"]),
        (&json!("now linked to two robberies"), &json!(["firearms"]))
    );
    assert_eq!(edited["intelligence_ref"], "INT/2026/0042", "untouched fields stay");
    assert_eq!(edit(json!({ "reason": "" })).await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        edit(json!({ "vrm": "XX11XXX" })).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the VRM is the entry"
    );
    let audited = &app.audit_rows("hotlist_entry_edited").await[0];
    assert_eq!(audited.details["before"]["reason"], "linked to a series of burglaries");
    assert_eq!(audited.details["after"]["reason"], "now linked to two robberies");
}

/// A second entry for a plate already on the list would raise a second alert without the first's
/// warnings (R6, R8): the form refuses it naming the entry held, an import refuses its row, and
/// once the entry has ended the plate may be listed again.
async fn a_list_holds_each_plate_once(app: TestApp) {
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let voi = list(&app, &hotlister, "VOI", json!({ "type": "role", "role": "investigator" })).await;
    let held = app.new_entry(&hotlister, voi, "AB12CDE").await;
    let again = hotlister
        .post(app.api(&format!("/hotlists/{voi}/entries")))
        .json(&json!({ "vrm": "ab12 cde", "intelligence_ref": "INT/9", "reason": "seen again",
                        "warning_markers": [], "action": "" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let message = crate::helpers::error_of(again).await;
    assert!(message.contains(&format!("entry {held}")), "{message}");

    let csv = "vrm,intelligence_ref,reason,warning_markers,action\n\
               AB12CDE,INT/1,stolen vehicle,firearms,stop and check\n\
               XY99ZZZ,INT/2,seen at a burglary,,\n\
               XY99ZZZ,INT/3,seen at another burglary,violence,\n";
    let r = hotlister
        .post(app.api(&format!("/hotlists/{voi}/import")))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["added"], 1, "{report}");
    let refused = report["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 2, "{report}");
    assert_eq!(refused[0]["line"], 2);
    assert!(refused[0]["reason"].as_str().unwrap().contains(&format!("entry {held}")), "{report}");
    assert_eq!(refused[1]["line"], 4);
    assert!(refused[1]["reason"].as_str().unwrap().contains("repeats line 3"), "{report}");

    let removed = hotlister
        .post(app.api(&format!("/hotlists/entries/{held}/remove")))
        .json(&json!({ "reason": "vehicle recovered" }))
        .send()
        .await
        .unwrap();
    assert!(removed.status().is_success(), "{}", removed.status());
    app.new_entry(&hotlister, voi, "AB12CDE").await;
}
