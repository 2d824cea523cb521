//! No side doors (R3, R8–R14, R18–R22): hotlists, streams, dead letters, admins and approvals
//! hold the same line as searches, and every refusal is on the record.

use crate::helpers::{error_of, next_event, read, refused, small_png_b64, ts, TestApp};
use crate::on_every_backend;
use chrono::Duration;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Rank, Role};

crate::on_postgres_and_citus!(an_alert_stream_on_another_server_ends_when_its_user_is_disabled);

on_every_backend!(
    a_list_is_heard_by_investigators_never_by_its_managers,
    an_alert_reaches_only_those_in_its_audience_when_it_was_raised,
    a_partial_plate_needs_five_characters_an_inspector_and_lapses_in_a_week,
    an_entry_naming_more_plates_than_the_cap_is_suspended
        with |c: &mut server::config::Config| c.hotlists.max_plates_per_day = 3,
    an_alert_past_retention_is_refused_with_the_purge_off,
    an_alert_stream_ends_within_a_second_of_each_loss_of_standing,
    a_watch_ends_when_its_user_signs_out_or_loses_the_role,
    a_revoked_approval_ends_its_watch_and_its_searches,
    no_one_changes_their_own_standing_and_elevations_take_a_second_admin,
    a_refusal_by_role_is_on_the_record,
    an_unreachable_image_store_does_not_keep_reads_past_retention with super::unreachable_image_store,
    another_users_watch_and_request_are_refused_on_the_record,
    open_streams_are_capped_per_user with |c: &mut server::config::Config| c.limits.streams_per_user = 2,
);

/// An S3 image store nobody answers at.
fn unreachable_image_store(config: &mut server::config::Config) {
    config.images_url = "s3://gone/images".into();
    config.images_options = [
        ("aws_endpoint", "http://127.0.0.1:9"),
        ("aws_region", "us-east-1"),
        ("aws_access_key_id", "k"),
        ("aws_secret_access_key", "s"),
        ("aws_allow_http", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
}

async fn a_list_is_heard_by_investigators_never_by_its_managers(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    app.signed_in("otto", &[Role::Investigator]).await;
    app.create_user_with("dual", &[Role::Investigator, Role::HotlistAdmin], Some(AccessTier::Local), None).await;
    let (hal, otto, dual) =
        (app.user_id(&admin, "hal").await, app.user_id(&admin, "otto").await, app.user_id(&admin, "dual").await);
    // Itself, a colleague who manages lists, a role that does not act on alerts: refused.
    for (audience, words) in [
        (json!({ "type": "members", "user_ids": [hal] }), "manages hotlists"),
        (json!({ "type": "members", "user_ids": [otto, dual] }), "manages hotlists"),
        (json!({ "type": "role", "role": "hotlist_admin" }), "cannot be an audience"),
        (json!({ "type": "role", "role": "supervisor" }), "cannot be an audience"),
    ] {
        let r = app.new_list(&hotlister, audience.clone()).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{audience}");
        assert!(error_of(r).await.contains(words), "{audience}");
    }
    let r = app.new_list(&hotlister, json!({ "type": "members", "user_ids": [otto] })).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    // Changing the audience takes a reason, and is recorded with before and after.
    let change = |audience: Value, reason: &str| {
        hotlister
            .put(app.api(&format!("/hotlists/{id}/audience")))
            .json(&json!({ "audience": audience, "reason": reason }))
            .send()
    };
    let r = change(json!({ "type": "members", "user_ids": [hal] }), "so I see the hits").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = change(json!({ "type": "role", "role": "investigator" }), " ").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = change(json!({ "type": "role", "role": "investigator" }), "operation widened to the force").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let row = &app.audit_rows("hotlist_audience_changed").await[0];
    assert_eq!(row.details["reason"], "operation widened to the force");
    assert_eq!(row.details["before"], json!({ "type": "members", "user_ids": [otto] }));
    // Each refusal is on the record with what was asked (R21): four lists, two audience changes.
    let refused = app.audit_rows("hotlist_change_refused").await;
    assert_eq!(refused.len(), 6, "{refused:?}");
    assert!(refused.iter().all(|r| r.actor == "hal"), "{refused:?}");
}

/// The alerts `client` is shown, by id.
async fn alert_ids(app: &TestApp, client: &Client) -> Vec<i64> {
    let list: Vec<Value> = app.get_json(client, "/alerts").await;
    list.iter().map(|a| a["id"].as_i64().unwrap()).collect()
}

async fn an_alert_reaches_only_those_in_its_audience_when_it_was_raised(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let otto = app.signed_in("otto", &[Role::Investigator]).await;
    let otto_id = app.user_id(&admin, "otto").await;
    let list = app.list_id(&hotlister, json!({ "type": "members", "user_ids": [otto_id] })).await;
    app.new_entry(&hotlister, list, "AB12CDE").await;
    let mut with_image = read("AB12CDE", "CAM-A", &ts(app.clock.now()));
    with_image["plate_image"] = json!(small_png_b64());
    app.ingest(&net.key, vec![with_image]).await;
    let first = alert_ids(&app, &otto).await;
    assert_eq!(first.len(), 1);
    let first = first[0];

    // A second later an admin creates an investigator alone, and the list is widened to every
    // investigator: the newcomer was in no audience when the alert was raised (R8).
    app.clock.advance(Duration::seconds(1));
    let body = json!({ "username": "nina", "display_name": "N", "password": crate::helpers::PASSWORD,
                       "roles": ["investigator"], "tier": "local" });
    assert_eq!(admin.post(app.api("/users")).json(&body).send().await.unwrap().status(), StatusCode::CREATED);
    let nina = app.sign_in("nina").await;
    let widen = json!({ "audience": { "type": "role", "role": "investigator" }, "reason": "force-wide operation" });
    let r = hotlister.put(app.api(&format!("/hotlists/{list}/audience"))).json(&widen).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(alert_ids(&app, &nina).await.is_empty(), "an alert raised before she was in its audience");
    assert_eq!(app.get(&nina, &format!("/alerts/{first}/images/plate")).await.status(), StatusCode::NOT_FOUND);
    let decide = |client: &Client, id: i64| {
        client
            .post(app.api(&format!("/alerts/{id}/decision")))
            .json(&json!({ "outcome": "accepted", "reason": "seen" }))
            .send()
    };
    assert_eq!(decide(&nina, first).await.unwrap().status(), StatusCode::NOT_FOUND);
    let refused = app.audit_rows("read_refused").await;
    assert!(refused.iter().any(|r| r.actor == "nina" && r.details["asked"]["alert_id"] == first), "{refused:?}");
    assert!(app.audit_rows("decision_refused").await.iter().any(|r| r.actor == "nina"));
    // The one who received it still does, now through the role; the next alert reaches both.
    assert_eq!(alert_ids(&app, &otto).await, vec![first]);
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", &ts(app.clock.now()))]).await;
    let second = alert_ids(&app, &nina).await;
    assert_eq!(second.len(), 1);
    assert_eq!(alert_ids(&app, &otto).await, vec![second[0], first]);

    // An account switched off and on again starts afresh, as a new one would: nothing raised
    // before (nor while it was off) reaches it.
    app.clock.advance(Duration::seconds(1));
    let path = app.api(&format!("/users/{otto_id}"));
    assert_eq!(admin.patch(&path).json(&json!({ "disabled": true })).send().await.unwrap().status(), StatusCode::OK);
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", &ts(app.clock.now()))]).await;
    app.clock.advance(Duration::seconds(1));
    assert_eq!(admin.patch(&path).json(&json!({ "disabled": false })).send().await.unwrap().status(), StatusCode::OK);
    let otto = app.sign_in("otto").await;
    assert!(alert_ids(&app, &otto).await.is_empty());
    assert_eq!(decide(&otto, second[0]).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(alert_ids(&app, &nina).await.len(), 2, "nina was in the audience throughout");

    // A role taken away and given back reaches back no further than a new grant.
    app.clock.advance(Duration::seconds(1));
    let nina_id = app.user_id(&admin, "nina").await;
    let nina_path = app.api(&format!("/users/{nina_id}"));
    for change in [json!({ "roles": ["hotlist_admin"] }), json!({ "roles": ["investigator"], "tier": "local" })] {
        let r = admin.patch(&nina_path).json(&change).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{change}");
    }
    assert!(alert_ids(&app, &nina).await.is_empty());

    // Nor does one who managed hotlists meanwhile (kept out of every audience then).
    app.clock.advance(Duration::seconds(1));
    let r = admin.patch(&nina_path).json(&json!({ "roles": ["investigator", "hotlist_admin"], "tier": "local" }));
    assert_eq!(r.send().await.unwrap().status(), StatusCode::OK);
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", &ts(app.clock.now()))]).await;
    assert_eq!(app.get(&nina, "/alerts").await.status(), StatusCode::OK);
    app.clock.advance(Duration::seconds(1));
    let r = admin.patch(&nina_path).json(&json!({ "roles": ["investigator"], "tier": "local" }));
    assert_eq!(r.send().await.unwrap().status(), StatusCode::OK);
    assert!(alert_ids(&app, &nina).await.is_empty(), "raised while she managed hotlists");

    // A member removed and added again does not get back what was raised before.
    app.create_user_with("mia", &[Role::Investigator], Some(AccessTier::Local), None).await;
    let mia = app.sign_in("mia").await;
    let mia_id = app.user_id(&admin, "mia").await;
    let ops = app.list_id(&hotlister, json!({ "type": "members", "user_ids": [mia_id] })).await;
    app.new_entry(&hotlister, ops, "KX70AAA").await;
    app.ingest(&net.key, vec![read("KX70AAA", "CAM-A", &ts(app.clock.now()))]).await;
    assert_eq!(alert_ids(&app, &mia).await.len(), 1);
    app.clock.advance(Duration::seconds(1));
    for members in [json!([nina_id]), json!([nina_id, mia_id])] {
        let change = json!({ "audience": { "type": "members", "user_ids": members }, "reason": "rota change" });
        let r = hotlister.put(app.api(&format!("/hotlists/{ops}/audience"))).json(&change).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert!(alert_ids(&app, &mia).await.is_empty(), "removed and added again");
    app.ingest(&net.key, vec![read("KX70AAA", "CAM-A", &ts(app.clock.now()))]).await;
    assert_eq!(alert_ids(&app, &mia).await.len(), 1, "what is raised now reaches her");
}

async fn a_partial_plate_needs_five_characters_an_inspector_and_lapses_in_a_week(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let list = app.list_id(&hotlister, json!({ "type": "role", "role": "investigator" })).await;
    let add = |vrm: &str| {
        hotlister
            .post(app.api(&format!("/hotlists/{list}/entries")))
            .json(&json!({ "vrm": vrm, "intelligence_ref": "INT/9", "reason": "partial plate from a witness" }))
            .send()
    };
    // Four letters and digits: refused; every plate would do for `HCL*`.
    let r = add("HCL*").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(r).await.contains("at least 5 letters or digits"));
    assert_eq!(add("AB1*C").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY, "4 literals");
    // Five: taken, but it matches nothing until an inspector approves it.
    let r = add("AB12*C").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let pattern: Value = r.json().await.unwrap();
    assert_eq!(pattern["awaiting_approval"], true);
    assert_eq!(pattern["lapses_at"], ts(app.clock.now() + Duration::days(7)));
    let id = pattern["id"].as_i64().unwrap();
    app.ingest(&net.key, vec![read("AB12XYC", "CAM-A", &ts(app.clock.now()))]).await;
    assert!(app.get_json::<Vec<Value>>(&officer, "/alerts").await.is_empty(), "not approved: no alert");

    let sergeant = app.supervisor("sarge", Rank::Sergeant).await;
    assert_eq!(app.approve_entry(&sergeant, id).await.status(), StatusCode::FORBIDDEN, "an inspector approves");
    assert_eq!(app.approve_entry(&hotlister, id).await.status(), StatusCode::FORBIDDEN);
    let inspector = app.inspector("ines").await;
    let queue: Vec<Value> = app.get_json(&inspector, "/hotlists/approvals/due").await;
    assert_eq!(queue.len(), 1);
    let r = app.approve_entry(&inspector, id).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["approved_by"], "ines");
    assert_eq!(app.approve_entry(&inspector, id).await.status(), StatusCode::CONFLICT, "once");
    // Approved, it finds the vehicle seen before, and the approval is on the record.
    let seen: Vec<Value> = app.get_json(&officer, "/alerts").await;
    assert_eq!(seen.len(), 1);
    assert_eq!(app.audit_rows("hotlist_entry_approved").await[0].details["vrm"], "AB12*C");

    // It lapses a week after it was added, reviewed or not (R9, R10).
    let added = app.clock.now();
    app.clock.set(added + Duration::days(7) - Duration::seconds(1));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 0);
    app.clock.set(added + Duration::days(7));
    assert_eq!(server::lapse_hotlist_entries(&app.state).await.unwrap(), 1);
    app.ingest(&net.key, vec![read("AB12QQC", "CAM-A", &ts(app.clock.now()))]).await;
    assert_eq!(app.get_json::<Vec<Value>>(&officer, "/alerts").await.len(), 1, "a lapsed pattern matches nothing");
}

async fn an_entry_naming_more_plates_than_the_cap_is_suspended(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let list = app.list_id(&hotlister, json!({ "type": "role", "role": "investigator" })).await;
    let id = app.new_entry(&hotlister, list, "KT19*Z").await;
    assert_eq!(app.approve_entry(&app.inspector("ines").await, id).await.status(), StatusCode::OK);
    let at = ts(app.clock.now());
    // The cap is 3 distinct plates in 24 hours: the third is raised, the same plate again too.
    for (i, plate) in ["KT19AAZ", "KT19BBZ", "KT19CCZ", "KT19CCZ"].into_iter().enumerate() {
        let seen = ts(app.clock.now() - Duration::seconds(i as i64));
        app.ingest(&net.key, vec![read(plate, "CAM-A", &seen)]).await;
    }
    assert_eq!(app.get_json::<Vec<Value>>(&officer, "/alerts").await.len(), 4);
    assert!(app.audit_rows("hotlist_entry_suspended").await.is_empty(), "3 is the cap, not over it");
    // A fourth plate: no alert, the entry suspended and flagged to auditors.
    app.ingest(&net.key, vec![read("KT19DDZ", "CAM-A", &at)]).await;
    app.ingest(&net.key, vec![read("KT19EEZ", "CAM-A", &at)]).await;
    assert_eq!(app.get_json::<Vec<Value>>(&officer, "/alerts").await.len(), 4);
    let flagged = app.audit_rows("hotlist_entry_suspended").await;
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].details["for_auditors"], true);
    let entries: Vec<Value> = app.get_json(&hotlister, &format!("/hotlists/{list}/entries")).await;
    assert_eq!(entries[0]["suspended"], true);
}

async fn an_alert_past_retention_is_refused_with_the_purge_off(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let list = app.list_id(&hotlister, json!({ "type": "role", "role": "investigator" })).await;
    app.new_entry(&hotlister, list, "AB12CDE").await;
    let captured = app.clock.now();
    let mut with_image = read("AB12CDE", "CAM-A", &ts(captured));
    with_image["plate_image"] = json!(small_png_b64());
    app.ingest(&net.key, vec![with_image]).await;
    let id = app.get_json::<Vec<Value>>(&officer, "/alerts").await[0]["id"].as_i64().unwrap();
    // 12 months less a second: still held; 12 months and a second: gone from every path,
    // though no purge has run (R12, R18).
    let twelve_months = captured.checked_add_months(chrono::Months::new(12)).unwrap();
    app.clock.set(twelve_months - Duration::seconds(1));
    assert_eq!(app.get_json::<Vec<Value>>(&officer, "/alerts").await.len(), 1);
    assert_eq!(app.get(&officer, &format!("/alerts/{id}/images/plate")).await.status(), StatusCode::OK);
    app.clock.set(twelve_months + Duration::seconds(1));
    assert!(app.get_json::<Vec<Value>>(&officer, "/alerts").await.is_empty());
    assert_eq!(app.get(&officer, &format!("/alerts/{id}/images/plate")).await.status(), StatusCode::NOT_FOUND);
    let r = officer
        .post(app.api(&format!("/alerts/{id}/decision")))
        .json(&json!({ "outcome": "accepted", "reason": "seen" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let refused = app.audit_rows("read_refused").await;
    assert!(refused[0].details["reason"].as_str().unwrap().contains("retention"), "{:?}", refused[0].details);
    assert!(app.audit_rows("decision_refused").await[0].details["reason"].as_str().unwrap().contains("retention"));
}

/// Reads `stream` until it ends; panics if it sends an alert or is still open after `secs`.
async fn ends_without_an_alert(stream: &mut reqwest::Response, secs: u64) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        let chunk = tokio::time::timeout_at(deadline, stream.chunk()).await.expect("the stream ended in time");
        match chunk {
            Ok(Some(bytes)) => {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains("event: alert"), "an alert after the loss of standing: {text}");
            }
            Ok(None) | Err(_) => return,
        }
    }
}

async fn an_alert_stream_ends_within_a_second_of_each_loss_of_standing(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let list = app.list_id(&hotlister, json!({ "type": "role", "role": "investigator" })).await;
    app.new_entry(&hotlister, list, "AB12CDE").await;
    let losses: [(&str, Value); 4] = [
        ("disabled", json!({ "disabled": true })),
        ("reset", json!({ "password": "a completely new passphrase" })),
        ("demoted", json!({ "roles": ["hotlist_admin"] })),
        ("signed_out", Value::Null),
    ];
    for (name, change) in losses {
        let officer = app.signed_in(name, &[Role::Investigator]).await;
        let mut stream = officer.get(app.api("/alerts/live")).send().await.unwrap();
        assert_eq!(stream.status(), StatusCode::OK);
        if change.is_null() {
            assert_eq!(officer.post(app.api("/auth/logout")).send().await.unwrap().status(), StatusCode::NO_CONTENT);
        } else if name == "reset" {
            let (id, second) = (app.user_id(&admin, name).await, app.signed_in("root2", &[Role::SystemAdmin]).await);
            app.reset_password(&admin, &second, id, change["password"].as_str().unwrap()).await;
        } else {
            let id = app.user_id(&admin, name).await;
            let r = admin.patch(app.api(&format!("/users/{id}"))).json(&change).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{name}");
        }
        app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", &ts(app.clock.now()))]).await;
        ends_without_an_alert(&mut stream, 3).await;
    }
    let closed = app.audit_rows("alerts_stream_closed").await;
    let mut why: Vec<&str> = closed.iter().map(|r| r.details["why"].as_str().unwrap()).collect();
    why.sort();
    assert_eq!(why, ["account_disabled", "role_removed", "session_ended", "session_ended"]);
}

async fn a_watch_ends_when_its_user_signs_out_or_loses_the_role(app: TestApp) {
    let d = app.desk().await;
    let (inv, req) = app.watcher(&d, &["WATCH1"]).await;
    let r = app.open_watch(&inv, req, json!({ "kind": "area", "cameras": [d.n1, d.n2] })).await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut stream = inv.get(app.api(&format!("/watches/{id}/live"))).send().await.unwrap();
    app.ingest(&d.key, vec![read("ANY1", "N2", &ts(app.clock.now()))]).await;
    let mut buffer = String::new();
    let (event, _) = next_event(&mut stream, &mut buffer).await;
    assert_eq!(event, "read");
    // Each delivery is on the record: which read, to whom.
    assert_eq!(app.audit_rows("watch_delivered").await.len(), 1);
    let wes = app.user_id(&d.admin, "wes").await;
    let r = d.admin.patch(app.api(&format!("/users/{wes}"))).json(&json!({ "roles": ["hotlist_admin"] })).send();
    assert_eq!(r.await.unwrap().status(), StatusCode::OK);
    let started = std::time::Instant::now();
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "{:?}", started.elapsed());
    assert_eq!((event.as_str(), &data["ended"]), ("end", &json!("standing_lost")));
    let closed = app.audit_rows("watch_closed").await;
    assert_eq!(closed[0].details["why"], "role_removed");
}

async fn a_revoked_approval_ends_its_watch_and_its_searches(app: TestApp) {
    let d = app.desk().await;
    let (inv, req) = app.watcher(&d, &["WATCH1"]).await;
    let r = app.open_watch(&inv, req, json!({ "kind": "area", "cameras": [d.n1, d.n2] })).await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut stream = inv.get(app.api(&format!("/watches/{id}/live"))).send().await.unwrap();
    let sup = app.supervisor("sam", Rank::Sergeant).await;
    let revoke = |client: &Client, rationale: &str| {
        client.post(app.api(&format!("/requests/{req}/revoke"))).json(&json!({ "rationale": rationale })).send()
    };
    assert_eq!(revoke(&inv, "I want to stop it").await.unwrap().status(), StatusCode::FORBIDDEN, "supervisors");
    assert_eq!(revoke(&sup, "short").await.unwrap().status(), StatusCode::UNPROCESSABLE_ENTITY, "a rationale");
    let r = revoke(&sup, "the suspect was charged; no further need").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let revoked: Value = r.json().await.unwrap();
    assert_eq!(revoked["expires_at"], revoked["revoked_at"], "an approval always has an end");
    let mut buffer = String::new();
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["ended"]), ("end", &json!("revoked")));
    let now = app.clock.now();
    let r = app.search(&inv, req, json!({ "kind": "area", "cameras": [d.n1] }), now - Duration::hours(1), now).await;
    refused(r, StatusCode::FORBIDDEN, "revoked").await;
    let again = revoke(&sup, "the suspect was charged; no further need").await.unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(error_of(again).await.contains("already revoked"));
    assert_eq!(app.audit_rows("approval_revoked").await.len(), 1);
    assert_eq!(app.audit_rows("watch_closed").await[0].details["why"], "approval_revoked");
}

async fn no_one_changes_their_own_standing_and_elevations_take_a_second_admin(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let me = app.user_id(&admin, "root").await;
    let own = |body: Value| admin.patch(app.api(&format!("/users/{me}"))).json(&body).send();
    // Not itself an investigator, nor of the central tier (and an admin never is one).
    let r = own(json!({ "roles": ["system_admin", "investigator"], "tier": "central" })).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(r).await.contains("separation of duties"));
    let r = own(json!({ "roles": ["hotlist_admin"] })).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let refused = app.audit_rows("user_change_refused").await;
    assert_eq!(refused.len(), 2, "each refused change on the record");
    let r = admin.put(app.api(&format!("/users/{me}/restrictions"))).json(&json!({})).send().await.unwrap();
    assert!(r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::UNPROCESSABLE_ENTITY, "{}", r.status());
    // An auditor never judges their own searches.
    let body = json!({ "username": "aud", "display_name": "A", "password": crate::helpers::PASSWORD,
                       "roles": ["auditor", "investigator"], "tier": "local" });
    let r = admin.post(app.api("/users")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The central tier for a local investigator waits for a second admin.
    let _ = app.investigator("ivy", AccessTier::Local).await;
    let ivy = app.user_id(&admin, "ivy").await;
    let r = admin.patch(app.api(&format!("/users/{ivy}"))).json(&json!({ "tier": "central" })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let held = r.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1").to_owned();
    assert_eq!(r.json::<Value>().await.unwrap()["tier"], "local", "not yet");
    assert_eq!(admin.post(app.api(&format!("{held}/approve"))).send().await.unwrap().status(), StatusCode::FORBIDDEN);
    let second = app.signed_in("root2", &[Role::SystemAdmin]).await;
    let r = second.post(app.api(&format!("{held}/approve"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["tier"], "central");
    assert_eq!(second.post(app.api(&format!("{held}/approve"))).send().await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audit_rows("user_change_proposed").await.len(), 1);
    assert_eq!(app.audit_rows("user_change_approved").await[0].actor, "root2");
    // A local tier is no elevation: made at once.
    let r = admin.patch(app.api(&format!("/users/{ivy}"))).json(&json!({ "tier": "local" })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // A held change goes stale when the account changes before it is approved: approved, it
    // would undo what was done meanwhile (here, the account switched off).
    app.clock.advance(Duration::seconds(1));
    let r = admin.patch(app.api(&format!("/users/{ivy}"))).json(&json!({ "tier": "central" })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let held = r.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1").to_owned();
    app.clock.advance(Duration::seconds(1));
    let r = admin.patch(app.api(&format!("/users/{ivy}"))).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = second.post(app.api(&format!("{held}/approve"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(error_of(r).await.contains("has changed since this was proposed"));
    assert_eq!(second.post(app.api(&format!("{held}/reject"))).send().await.unwrap().status(), StatusCode::OK);
    let listed: Vec<Value> = app.get_json(&admin, "/users").await;
    let ivy = listed.iter().find(|u| u["username"] == "ivy").unwrap();
    assert_eq!((&ivy["tier"], &ivy["disabled"]), (&json!("local"), &json!(true)));

    // Nor does one admin remove another alone: held, and neither of the two may approve it.
    let root2 = app.user_id(&admin, "root2").await;
    for change in [json!({ "disabled": true }), json!({ "roles": ["investigator"], "tier": "local" })] {
        let r = admin.patch(app.api(&format!("/users/{root2}"))).json(&change).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED, "{change}");
        let removal = r.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1").to_owned();
        let r = second.post(app.api(&format!("{removal}/approve"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "not on their own account");
        let r = admin.post(app.api(&format!("{removal}/approve"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "not their own proposal");
    }
    assert_eq!(app.get(&second, "/users").await.status(), StatusCode::OK, "still an admin");
}

async fn a_refusal_by_role_is_on_the_record(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    assert_eq!(app.get(&admin, "/alerts").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&admin, "/hotlists").await.status(), StatusCode::FORBIDDEN);
    let rows = app.audit_rows("access_refused").await;
    let paths: Vec<&str> = rows.iter().map(|r| r.details["asked"]["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"/api/v1/alerts") && paths.contains(&"/api/v1/hotlists"), "{paths:?}");
    assert!(rows[0].details["reason"].as_str().unwrap().contains("needs the role"));
}

/// On two servers: a user disabled through one loses the alert stream open on the other.
async fn an_alert_stream_on_another_server_ends_when_its_user_is_disabled(app: TestApp) {
    let other = app.another_server("second").await;
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let mut stream = officer.get(other.api("/alerts/live")).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let id = app.user_id(&admin, "otto").await;
    let r = admin.patch(app.api(&format!("/users/{id}"))).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    ends_without_an_alert(&mut stream, 3).await;
    let closed = app.audit_rows("alerts_stream_closed").await;
    assert_eq!(closed[0].details["why"], "account_disabled");
}

/// The purge drops reads past retention even when the image store will not answer; what it
/// could not delete is recorded for the next run (R18, R21).
async fn an_unreachable_image_store_does_not_keep_reads_past_retention(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let captured = app.clock.now();
    app.ingest(&net.key, vec![read("OLD1", "CAM-A", &ts(captured))]).await;
    let id = app.stored_read_id("OLD1").await;
    let policy = app.state.config.access.clone();
    let later = captured.checked_add_months(chrono::Months::new(12)).unwrap() + Duration::days(2);
    let report = server::retention::purge(&app.db, &app.state.images, later, &policy).await.expect("the purge runs");
    assert_eq!(report.reads, 1);
    assert!(!app.read_is_stored(id).await);
    let failed = app.audit_rows("image_deletion_failed").await;
    assert!(!failed.is_empty(), "the refused deletion is on the record");
    assert_eq!(app.audit_rows("retention_purged").await.len(), 1);
}

async fn open_streams_are_capped_per_user(app: TestApp) {
    let officer = app.signed_in("otto", &[Role::Investigator]).await;
    let first = officer.get(app.api("/alerts/live")).send().await.unwrap();
    let second = officer.get(app.api("/alerts/live")).send().await.unwrap();
    assert_eq!((first.status(), second.status()), (StatusCode::OK, StatusCode::OK));
    let third = officer.get(app.api("/alerts/live")).send().await.unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS, "2 is the cap");
    // Another user is not held back by this one's streams.
    let colleague = app.signed_in("cole", &[Role::Investigator]).await;
    assert_eq!(colleague.get(app.api("/alerts/live")).send().await.unwrap().status(), StatusCode::OK);
    // The server learns the client has gone when it next writes (a keep-alive at most 15 s on).
    drop(first);
    let mut again = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..250 {
        again = officer.get(app.api("/alerts/live")).send().await.unwrap().status();
        if again == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(again, StatusCode::OK, "a closed stream gives its slot back");
}

async fn another_users_watch_and_request_are_refused_on_the_record(app: TestApp) {
    let d = app.desk().await;
    let (inv, req) = app.watcher(&d, &["WATCH1"]).await;
    let r = app.open_watch(&inv, req, json!({ "kind": "area", "cameras": [d.n1] })).await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let other = app.investigator("otto", AccessTier::Central).await;
    assert_eq!(app.get(&other, &format!("/watches/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&other, &format!("/watches/{id}/live")).await.status(), StatusCode::NOT_FOUND);
    let r = other.post(app.api(&format!("/watches/{id}/close"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&other, &format!("/requests/{req}")).await.status(), StatusCode::NOT_FOUND);
    let r = other.post(app.api(&format!("/requests/{req}/withdraw"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&other, "/requests?which=queue").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get(&other, &format!("/searches/{id}/clones")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.audit_rows("search_refused").await.len(), 1, "another's search's clone pairs");
    let rows = app.audit_rows("access_refused").await;
    let asked: Vec<&Value> = rows.iter().filter(|r| r.actor == "otto").map(|r| &r.details["asked"]).collect();
    assert_eq!(asked.iter().filter(|a| a["watch_id"] == id).count(), 3, "{asked:?}");
    assert_eq!(asked.iter().filter(|a| a["request_id"] == req).count(), 2, "{asked:?}");
    assert_eq!(asked.iter().filter(|a| a["which"] == "queue").count(), 1, "{asked:?}");
}
