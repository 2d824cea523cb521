//! Every read behind a grant (R8, R10, R12, R13, R18, R21): the whole API walked as every role
//! with ids the caller must not reach; live-time watches; capture times checked at the door;
//! alerts and camera restrictions; pages' security headers.

use crate::helpers::{next_event, read, refused, request, small_png_b64, ts, Desk, TestApp};
use crate::on_every_backend;
use crate::with_images_in_s3;
use chrono::{DateTime, Duration, Months, Utc};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Rank, Role};

crate::on_postgres_and_citus!(a_watch_on_one_server_is_sent_the_reads_another_takes);

on_every_backend!(
    no_route_hands_a_read_to_a_caller_without_a_right_to_it,
    a_watch_sends_the_reads_in_its_scope_and_ends_with_its_window,
    a_withdrawn_request_ends_its_watches,
    a_closed_watch_reaches_only_reads_stored_while_it_was_open,
    capture_times_are_checked_at_the_door,
    an_alert_from_a_restricted_camera_does_not_reach_the_user,
    system_admins_see_camera_health_not_reads,
    pages_carry_a_nonce_policy_and_personal_data_is_not_cached,
);

// The image store for real: written, read and purged by day prefix in an S3 server.
with_images_in_s3!(a_watch_sends_the_reads_in_its_scope_and_ends_with_its_window);

/// A watch is a search that runs while it is open: once closed, a read stored afterwards is not
/// one of its reads — not its detail, nor in its counts — even if captured inside its window.
async fn a_closed_watch_reaches_only_reads_stored_while_it_was_open(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let (inv, req) = app.watcher(&d, &["SHUT1"]).await;
    let r = app.open_watch(&inv, req, json!({ "kind": "plate", "plate": "SHUT1", "mode": "exact" })).await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    app.ingest(&d.key, vec![read("SHUT1", "N1", &ts(now))]).await;
    let during = app.stored_read_id("SHUT1").await;
    app.clock.advance(Duration::seconds(10));
    let closed = inv.post(app.api(&format!("/watches/{id}/close"))).json(&json!({})).send().await.unwrap();
    assert_eq!(closed.status(), StatusCode::OK);
    // Captured before the close, stored a second after it.
    app.clock.advance(Duration::seconds(1));
    app.ingest(&d.key, vec![read("SHUT1", "N2", &ts(now + Duration::seconds(5)))]).await;
    let reads: Vec<Value> = app.stored_reads().await;
    let after = reads.iter().find(|r| r["camera_id"] == d.n2).and_then(|r| r["id"].as_i64()).expect("stored");
    assert_eq!(app.get(&inv, &format!("/searches/{id}/reads/{during}")).await.status(), StatusCode::OK);
    assert_eq!(app.get(&inv, &format!("/searches/{id}/reads/{after}")).await.status(), StatusCode::NOT_FOUND);
    let counts: Vec<Value> = app.get_json(&inv, &format!("/searches/{id}/cameras")).await;
    assert_eq!(counts.iter().map(|c| c["reads"].as_i64().unwrap()).sum::<i64>(), 1, "{counts:?}");
}

fn with_image(mut r: Value) -> Value {
    r["plate_image"] = json!(small_png_b64());
    r
}

/// Ingests `plate` at camera `camera`, captured at `at`, with the server's clock a minute
/// after it (the door refuses reads from the future), then puts the clock back to `now`.
async fn ingest_as_of(app: &TestApp, d: &Desk, plate: &str, camera: &str, at: DateTime<Utc>, now: DateTime<Utc>) {
    app.clock.set(at + Duration::minutes(1));
    let report = app.ingest(&d.key, vec![with_image(read(plate, camera, &ts(at)))]).await;
    assert_eq!(report["accepted"], 1, "{report}");
    app.clock.set(now);
}

/// The id of the search an investigator ran over `cameras` from `from` to now.
async fn area_search(app: &TestApp, client: &Client, request_id: i64, cameras: &[i64], from: DateTime<Utc>) -> i64 {
    let query = json!({ "kind": "area", "cameras": cameras });
    let r = app.search(client, request_id, query, from, app.clock.now()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["search_id"].as_i64().unwrap()
}

async fn no_route_hands_a_read_to_a_caller_without_a_right_to_it(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    // Four reads: two days old, 91 days old, 12 months and a day old (the purge has not run,
    // R12), and one at camera N2, from which the local investigator is restricted (R13).
    let year_and_day = now.checked_sub_months(Months::new(12)).unwrap() - Duration::days(1);
    ingest_as_of(&app, &d, "FRESH1", "N1", now - Duration::days(2), now).await;
    ingest_as_of(&app, &d, "OLD91", "N1", now - Duration::days(91), now).await;
    ingest_as_of(&app, &d, "OLD13M", "N1", year_and_day, now).await;
    ingest_as_of(&app, &d, "RESTR1", "N2", now - Duration::days(1), now).await;
    let all_plates = ["FRESH1", "OLD91", "OLD13M", "RESTR1"];

    // A local investigator restricted from N2, and a central one; each with an area request
    // over N1 and N2 reaching 13 months back (so no plate appears in any request), and a
    // search under it.
    let local = app.investigator("loc", AccessTier::Local).await;
    let central = app.investigator("cen", AccessTier::Central).await;
    app.restrict_cameras(&d.admin, "loc", &[d.n2]).await;
    let scope = json!({ "cameras": [d.n1, d.n2], "from": ts(year_and_day - Duration::days(30)), "to": ts(now) });
    let local_req = app.approved(&local, request("serious", scope.clone())).await;
    let central_req = app.approved(&central, request("serious", scope)).await;
    let local_search = area_search(&app, &local, local_req, &[d.n1], now - Duration::days(90)).await;
    let central_search =
        area_search(&app, &central, central_req, &[d.n1], now.checked_sub_months(Months::new(12)).unwrap()).await;
    // Everyone else.
    let sysadmin = d.admin.clone();
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let auditor = app.signed_in("audra", &[Role::Auditor]).await;
    let sup = app.supervisor("sam", Rank::Inspector).await;
    let stranger = app.investigator("otto", AccessTier::Central).await;

    let mut read_ids = Vec::new();
    for p in all_plates {
        read_ids.push(app.stored_read_id(p).await);
    }
    read_ids.push(999_999);
    let searches = [local_search, central_search, 999_999];
    let year = now.format("%Y").to_string();

    // Every GET route that could carry a read, with every id.
    let mut paths: Vec<String> = [
        "/auth/me",
        "/users",
        "/users/directory",
        "/feeds",
        "/cameras",
        "/cameras/health",
        "/ingest/dead-letters",
        "/hotlists",
        "/hotlists/reviews/due",
        "/alerts",
        "/requests?which=mine",
        "/requests?which=queue",
        "/requests?which=decided",
        "/requests?which=all",
        "/watches",
        "/audit/samples",
        "/audit/flags",
        "/audit/flags?reviewed=true",
        "/locker/cases",
        "/locker/due",
        "/locker/escalated",
        "/locker/people",
        "/statements?which=mine",
        "/statements?which=queue",
    ]
    .map(String::from)
    .to_vec();
    paths.push(format!("/oversight/{year}"));
    paths.push(format!("/requests/{local_req}"));
    for s in searches {
        paths.push(format!("/searches/{s}?after=0-0"));
        paths.push(format!("/searches/{s}"));
        paths.push(format!("/searches/{s}/clones"));
        paths.push(format!("/searches/{s}/cameras"));
        paths.push(format!("/watches/{s}"));
        for r in &read_ids {
            paths.push(format!("/searches/{s}/reads/{r}"));
        }
    }
    for r in &read_ids {
        paths.push(format!("/alerts/{r}/images/plate"));
        paths.push(format!("/locker/items/{r}/images/plate"));
        paths.push(format!("/users/{r}/restrictions"));
    }

    // (caller, the plates they may see, whether their own search id is the one)
    let callers: [(&str, &Client, &[&str], Option<i64>); 7] = [
        ("local investigator", &local, &["FRESH1"], Some(local_search)),
        ("central investigator", &central, &["FRESH1", "OLD91"], Some(central_search)),
        ("investigator with no request", &stranger, &[], None),
        ("system admin", &sysadmin, &[], None),
        ("hotlist admin", &hotlister, &[], None),
        ("auditor", &auditor, &[], None),
        ("supervisor", &sup, &[], None),
    ];
    for (who, client, may_see, own_search) in callers {
        let forbidden: Vec<&str> = all_plates.iter().copied().filter(|p| !may_see.contains(p)).collect();
        for path in &paths {
            let r = client.get(app.api(path)).send().await.unwrap();
            let status = r.status();
            assert!(!status.is_server_error(), "{who}: GET {path} answered {status}");
            let body = r.text().await.unwrap();
            for plate in &forbidden {
                assert!(!body.contains(plate), "{who}: GET {path} carried {plate}: {body}");
            }
        }
        // Images, verifications and exports through every (search, read).
        for s in searches {
            for (n, r) in read_ids.iter().enumerate() {
                let plate = all_plates.get(n).copied();
                let may = own_search == Some(s) && plate.is_some_and(|p| may_see.contains(&p));
                let image = client.get(app.api(&format!("/searches/{s}/reads/{r}/images/plate"))).send().await.unwrap();
                assert_eq!(image.status() == StatusCode::OK, may, "{who}: image of read {r} through search {s}");
                let detail = client.get(app.api(&format!("/searches/{s}/reads/{r}"))).send().await.unwrap();
                assert_eq!(detail.status() == StatusCode::OK, may, "{who}: read {r} through search {s}");
                if !may && client_is_investigator(who) {
                    assert_eq!(detail.status(), StatusCode::NOT_FOUND, "{who}: as if it did not exist");
                }
                let verify = client
                    .post(app.api(&format!("/searches/{s}/reads/{r}/verifications")))
                    .json(&json!({ "verdict": "confirmed" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(verify.status() == StatusCode::CREATED, may, "{who}: verify {r} through {s}");
                let body = verify.text().await.unwrap();
                assert!(forbidden.iter().all(|p| !body.contains(p)), "{who}: {body}");
            }
            let export = client
                .post(app.api(&format!("/searches/{s}/export")))
                .json(&json!({ "format": "csv", "recipient": "DC Jones", "transfer": false }))
                .send()
                .await
                .unwrap();
            assert!(!export.status().is_server_error());
            let body = export.text().await.unwrap();
            for plate in &forbidden {
                assert!(!body.contains(plate), "{who}: export of {s} carried {plate}");
            }
        }
    }
    // The searches themselves: the local user's 90 days hold only FRESH1; N2 is left out.
    let rows = app.audit_rows("image_viewed").await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.subject.as_deref().is_some_and(|s| s.starts_with("REQ-"))), "named by request");
    assert!(rows.iter().all(|r| r.details["search_id"].is_i64()));
    // Every refusal of a read is audited with its reason (R21).
    assert!(app.audit_rows("read_refused").await.len() > 50);
}

fn client_is_investigator(who: &str) -> bool {
    who.contains("investigator")
}

async fn a_watch_sends_the_reads_in_its_scope_and_ends_with_its_window(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let (inv, req) = app.watcher(&d, &["WATCH1"]).await;
    // Outside the request's plates: refused with the reason.
    let r = app.open_watch(&inv, req, json!({ "kind": "plate", "plate": "OTHER1", "mode": "exact" })).await;
    refused(r, StatusCode::FORBIDDEN, "does not cover the plate OTHER1").await;
    let r = app.open_watch(&inv, req, json!({ "kind": "plate", "plate": "WATCH1", "mode": "misread" })).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let watch: Value = r.json().await.unwrap();
    let id = watch["id"].as_i64().unwrap();
    assert_eq!(watch["ends_at"], ts(now + Duration::hours(2)), "the end of the request's window");
    // Nobody else may listen to it.
    let other = app.investigator("otto", AccessTier::Central).await;
    assert_eq!(app.get(&other, &format!("/watches/{id}/live")).await.status(), StatusCode::NOT_FOUND);

    let mut stream = inv.get(app.api(&format!("/watches/{id}/live"))).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let at = ts(now);
    // A misread of the plate at N1 is sent; another plate, and the plate at the restricted
    // camera, are not.
    app.ingest(
        &d.key,
        vec![
            with_image(read("OTHER1", "N1", &at)),
            with_image(read("WATCH1", "FAR", &at)),
            with_image(read("WATCHI", "N1", &at)),
        ],
    )
    .await;
    let mut buffer = String::new();
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["plate"]), ("read", &json!("WATCHI")));
    let read_id = data["id"].as_i64().unwrap();
    // Its image and detail are reached through the watch, audited under the request.
    let image = app.get(&inv, &format!("/searches/{id}/reads/{read_id}/images/plate")).await;
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["cache-control"], "private, no-store");
    let viewed = app.audit_rows("image_viewed").await;
    assert_eq!(viewed[0].subject.as_deref(), Some(watch["reference"].as_str().unwrap()));
    let far_id = app.stored_read_id("WATCH1").await;
    assert_eq!(app.get(&inv, &format!("/searches/{id}/reads/{far_id}")).await.status(), StatusCode::NOT_FOUND);

    // A second before the window's end it still sends; past it (driven by the clock) it ends
    // and sends nothing more.
    app.clock.set(now + Duration::hours(2) - Duration::seconds(1));
    app.ingest(&d.key, vec![read("WATCH1", "N2", &ts(app.clock.now()))]).await;
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["camera_name"]), ("read", &json!("N2")));
    app.clock.set(now + Duration::hours(2) + Duration::seconds(1));
    app.ingest(&d.key, vec![read("WATCH1", "N1", &ts(app.clock.now()))]).await;
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!(event, "end");
    assert_eq!((&data["ended"], &data["delivered"]), (&json!("expired"), &json!(2)));
    let closed = app.audit_rows("watch_closed").await;
    assert_eq!(closed.len(), 1);
    assert_eq!((&closed[0].details["ended"], &closed[0].details["delivered"]), (&json!("expired"), &json!(2)));
    assert_eq!(app.audit_rows("watch_opened").await.len(), 1);
    // The request's window no longer covers now: no new watch.
    let r = app.open_watch(&inv, req, json!({ "kind": "plate", "plate": "WATCH1", "mode": "exact" })).await;
    refused(r, StatusCode::FORBIDDEN, "does not cover now").await;
    // A watch is a search, drawn for the audit sample like one (R22).
    let kept: Value = app.get_json(&inv, &format!("/watches/{id}")).await;
    assert_eq!(kept["ended"], "expired");
}

/// Several servers of one force (PostgreSQL): a watch open on one server is sent the reads
/// another server takes, still only those its grant covers (R4, R13).
async fn a_watch_on_one_server_is_sent_the_reads_another_takes(app: TestApp) {
    let other = app.another_server("second").await;
    let d = app.desk().await;
    let (inv, req) = app.watcher(&d, &["WATCH1"]).await;
    let r = app.open_watch(&inv, req, json!({ "kind": "plate", "plate": "WATCH1", "mode": "exact" })).await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut stream = inv.get(app.api(&format!("/watches/{id}/live"))).send().await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let at = ts(app.clock.now());
    let body = json!({ "reads": [read("OTHER1", "N1", &at), read("WATCH1", "FAR", &at), read("WATCH1", "N2", &at)] });
    let sent = app.client().post(other.api("/ingest/reads")).header("x-api-key", &d.key).json(&body).send().await;
    assert_eq!(sent.unwrap().status(), StatusCode::OK);
    let mut buffer = String::new();
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["plate"], &data["camera_name"]), ("read", &json!("WATCH1"), &json!("N2")));
    // Nothing else came of that request: the next event is the next read this server takes.
    app.ingest(&d.key, vec![read("WATCH1", "N1", &at)]).await;
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["camera_name"]), ("read", &json!("N1")));
}

async fn a_withdrawn_request_ends_its_watches(app: TestApp) {
    let d = app.desk().await;
    let (inv, req) = app.watcher(&d, &["WATCH1"]).await;
    let r = app.open_watch(&inv, req, json!({ "kind": "area", "cameras": [d.n1, d.n2] })).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let mut stream = inv.get(app.api(&format!("/watches/{id}/live"))).send().await.unwrap();
    app.ingest(&d.key, vec![read("ANY1", "N2", &ts(app.clock.now()))]).await;
    let mut buffer = String::new();
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["plate"]), ("read", &json!("ANY1")));
    let read_id = data["id"].as_i64().unwrap();

    let other = app.investigator("otto", AccessTier::Central).await;
    let r = other.post(app.api(&format!("/requests/{req}/withdraw"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "only the requester withdraws");
    let r = inv.post(app.api(&format!("/requests/{req}/withdraw"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["ended"]), ("end", &json!("revoked")));
    // Nothing is reached under it any more, not even what the watch delivered.
    let r = app.get(&inv, &format!("/searches/{id}/reads/{read_id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app.open_watch(&inv, req, json!({ "kind": "area", "cameras": [d.n1] })).await;
    refused(r, StatusCode::FORBIDDEN, "withdrawn").await;
    let r = app
        .search(
            &inv,
            req,
            json!({ "kind": "area", "cameras": [d.n1] }),
            app.clock.now() - Duration::hours(1),
            app.clock.now(),
        )
        .await;
    refused(r, StatusCode::FORBIDDEN, "withdrawn").await;
    assert_eq!(app.audit_rows("request_withdrawn").await.len(), 1);
    let closed = app.audit_rows("watch_closed").await;
    assert_eq!((&closed[0].details["ended"], &closed[0].details["delivered"]), (&json!("revoked"), &json!(1)));
}

async fn capture_times_are_checked_at_the_door(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let cutoff = now.checked_sub_months(Months::new(12)).unwrap();
    let report = app
        .ingest(
            &d.key,
            vec![
                read("AHEAD299", "N1", &ts(now + Duration::seconds(299))),
                read("AHEAD301", "N1", &ts(now + Duration::seconds(301))),
                read("INSIDE1", "N2", &ts(cutoff + Duration::seconds(1))),
                read("BEFORE1", "N2", &ts(cutoff - Duration::seconds(1))),
                read("BACKLOG1", "N1", &ts(now - Duration::days(30))),
            ],
        )
        .await;
    assert_eq!(report["accepted"], 3, "{report}");
    let reasons: Vec<(i64, String)> = report["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["index"].as_i64().unwrap(), r["reason"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(reasons.len(), 2);
    assert_eq!(reasons[0].0, 1);
    assert!(reasons[0].1.contains("more than 300 s after the server's clock"), "{}", reasons[0].1);
    assert_eq!(reasons[1].0, 3);
    assert!(reasons[1].1.contains("before the retention cutoff"), "{}", reasons[1].1);
    let stored: Vec<String> =
        app.stored_reads().await.iter().map(|r| r["plate"].as_str().unwrap().to_owned()).collect();
    assert_eq!(stored, ["BACKLOG1", "INSIDE1", "AHEAD299"], "never stored");
    // Counted per camera.
    let cameras: Vec<Value> = app.get_json(&d.admin, "/cameras").await;
    let refused_at = |id: i64| cameras.iter().find(|c| c["id"] == id).unwrap()["refused_reads"].as_i64().unwrap();
    assert_eq!((refused_at(d.n1), refused_at(d.n2), refused_at(d.far)), (1, 1, 0));
    // Dead letters, which hold plates, are purged after their days (30 by default).
    app.clock.set(now + Duration::days(30) + Duration::seconds(1));
    let deleted = server::ingest::purge_dead_letters(&app.db, app.clock.now(), 30).await.unwrap();
    assert_eq!(deleted, 2);
    let letters: Vec<Value> = app.get_json(&d.admin, "/ingest/dead-letters").await;
    assert!(letters.is_empty());
    assert_eq!(app.audit_rows("dead_letters_purged").await[0].details["deleted"], 2);
    assert_eq!(app.audit_rows("dead_letters_viewed").await.len(), 1);
}

async fn an_alert_from_a_restricted_camera_does_not_reach_the_user(app: TestApp) {
    let d = app.desk().await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let list = app.investigators_list(&hotlister).await;
    let entry = json!({ "vrm": "ALERT1", "intelligence_ref": "INT/1", "reason": "wanted", "warning_markers": [],
                        "action": "report sighting" });
    let r = hotlister.post(app.api(&format!("/hotlists/{list}/entries"))).json(&entry).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    app.restrict_cameras(&d.admin, "ivy", &[d.n2]).await;
    let mut stream = inv.get(app.api("/alerts/live")).send().await.unwrap();
    let at = ts(app.clock.now());
    app.ingest(&d.key, vec![with_image(read("ALERT1", "N2", &at))]).await;
    app.ingest(&d.key, vec![with_image(read("ALERT1", "N1", &at))]).await;
    let mut buffer = String::new();
    let (event, data) = next_event(&mut stream, &mut buffer).await;
    assert_eq!((event.as_str(), &data["read"]["camera_name"]), ("alert", &json!("N1")), "N2's alert is withheld");

    let alerts: Vec<Value> = app.get_json(&inv, "/alerts").await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["read"]["camera_name"], "N1");
    let shown = alerts[0]["id"].as_i64().unwrap();
    // The other alert exists (a colleague sees it) but not for this user.
    let colleague = app.investigator("cole", AccessTier::Local).await;
    let theirs: Vec<Value> = app.get_json(&colleague, "/alerts").await;
    assert_eq!(theirs.len(), 2);
    let hidden = theirs.iter().find(|a| a["read"]["camera_name"] == "N2").unwrap()["id"].as_i64().unwrap();
    assert_eq!(app.get(&inv, &format!("/alerts/{hidden}/images/plate")).await.status(), StatusCode::NOT_FOUND);
    let r = inv
        .post(app.api(&format!("/alerts/{hidden}/decision")))
        .json(&json!({ "outcome": "accepted", "reason": "seen" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get(&inv, &format!("/alerts/{shown}/images/plate")).await.status(), StatusCode::OK);
    let viewed = app.audit_rows("alert_image_viewed").await;
    assert_eq!(viewed.len(), 1);
    assert_eq!(viewed[0].subject.as_deref(), Some(format!("alert {shown}").as_str()));
    let refusals = app.audit_rows("read_refused").await;
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0].details["asked"]["alert_id"], hidden);
}

async fn system_admins_see_camera_health_not_reads(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    // N1 reads every 10 minutes until now; N2 did too, but stopped two hours ago; FAR never.
    let mut reads = Vec::new();
    for i in 0..48 {
        let at = now - Duration::minutes(10 * i);
        reads.push(read(&format!("HL{i:03}A"), "N1", &ts(at)));
        if i >= 12 {
            reads.push(read(&format!("HL{i:03}B"), "N2", &ts(at)));
        }
    }
    app.ingest(&d.key, reads).await;
    let health: Vec<Value> = app.get_json(&d.admin, "/cameras/health").await;
    let of = |id: i64| health.iter().find(|h| h["camera"]["id"] == id).unwrap().clone();
    let (n1, n2, far) = (of(d.n1), of(d.n2), of(d.far));
    assert_eq!((n1["reads_last_hour"].as_i64(), n1["reads_last_day"].as_i64()), (Some(7), Some(48)));
    assert_eq!((n2["reads_last_hour"].as_i64(), n2["reads_last_day"].as_i64()), (Some(0), Some(36)));
    assert_eq!(
        (n1["silent"].as_bool(), n2["silent"].as_bool(), far["silent"].as_bool()),
        (Some(false), Some(true), Some(true))
    );
    assert_eq!(n1["last_read_at"], ts(now));
    assert!(!serde_json::to_string(&health).unwrap().contains("HL0"), "figures, not plates");
    let inv = app.investigator("ivy", AccessTier::Local).await;
    assert_eq!(app.get(&inv, "/cameras/health").await.status(), StatusCode::FORBIDDEN);
}

async fn pages_carry_a_nonce_policy_and_personal_data_is_not_cached(app: TestApp) {
    let client = app.client();
    let r = client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self' 'nonce-"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert!(body.contains(&format!("nonce=\"{nonce}\"")), "the hydration script carries the nonce");
    // A fresh nonce for every response.
    let again = client.get(app.url("/login")).send().await.unwrap();
    assert!(!again.headers()["content-security-policy"].to_str().unwrap().contains(&nonce));

    let user = app.signed_in("ivy", &[Role::Investigator]).await;
    let page = user.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers().contains_key("content-security-policy"));
    let api = user.request(Method::GET, app.api("/auth/me")).send().await.unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert_eq!(api.headers()["content-security-policy"], "default-src 'none'; frame-ancestors 'none'");
    assert_eq!(api.headers()["x-frame-options"], "DENY");
}
