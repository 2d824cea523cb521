//! Unusual use, flagged for the audit unit (R21, R22, R23): each kind of flag at its threshold's
//! edge, with none just short of it, by a scan the test runs at the instants it chooses; an
//! auditor's review with a note, audited; refusals audited; the flags counted in the annual
//! report's audit section.

use crate::helpers::{plate, plates_scope, read, request, start_time, test_area, ts, TestApp};
use crate::on_every_backend;
use chrono::{DateTime, Duration, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use server::config::FlagConfig;
use shared::requests::Area;
use shared::{AccessTier, Role};
use sqlx::Row;

on_every_backend!(
    outside_usual_hours_from_min_history_and_below_the_rare_share,
    many_more_than_usual_from_the_factor_once_a_day,
    the_same_plate_from_the_third_request,
    within_the_last_hour_before_expiry,
    a_broad_area_by_a_local_tier_user_beyond_the_threshold,
    a_plate_on_a_list_the_user_is_not_in_the_audience_of,
    a_partial_search_reaching_more_plates_than_named,
    a_flag_is_reviewed_with_a_note_and_refusals_are_audited,
    flags_are_counted_in_the_annual_report with |c: &mut server::config::Config| c.oversight.min_count = 1,
);

/// Every kind out of reach: each test brings one within it.
fn quiet() -> FlagConfig {
    FlagConfig {
        scan_seconds: 0,
        usual_days: 28,
        min_history: i64::MAX,
        rare_hour_share: 0.0,
        volume_factor: 1.0,
        volume_min: i64::MAX,
        plate_requests: i64::MAX,
        before_expiry_minutes: 0,
        local_area_km2: f64::MAX,
        outside_plates: i64::MAX,
    }
}

/// Runs the scan a minute after `at` (searches just stored wait a few seconds to settle).
async fn scan_at(app: &TestApp, at: DateTime<Utc>, config: &FlagConfig) -> server::flags::Scanned {
    app.clock.set(at + Duration::minutes(1));
    server::flags::scan(&app.db, app.clock.now(), config).await.unwrap()
}

/// The kinds a search was flagged for, with their reasons.
async fn flags_of(app: &TestApp, search_id: i64) -> Vec<(String, String)> {
    let mut conn = app.raw_conn().await;
    sqlx::query("SELECT kind, reason FROM usage_flags WHERE search_id = $1 ORDER BY kind")
        .bind(search_id)
        .fetch_all(&mut conn)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get::<String, _>("kind"), r.get::<String, _>("reason")))
        .collect()
}

async fn kinds_of(app: &TestApp, search_id: i64) -> Vec<String> {
    flags_of(app, search_id).await.into_iter().map(|(k, _)| k).collect()
}

/// The reason `search_id` was flagged for `kind`, which it must have been.
async fn reason(app: &TestApp, search_id: i64, kind: &str) -> String {
    let flags = flags_of(app, search_id).await;
    flags.into_iter().find(|(k, _)| k == kind).unwrap_or_else(|| panic!("search {search_id} not flagged {kind}")).1
}

/// A search of `query` at `at` under `request_id` over the day before the start: its id.
async fn search_at(app: &TestApp, client: &Client, request_id: i64, query: Value, at: DateTime<Utc>) -> i64 {
    app.clock.set(at);
    let r = app.search(client, request_id, query, start_time() - Duration::days(1), start_time()).await;
    assert_eq!(r.status(), StatusCode::CREATED, "{}", r.text().await.unwrap());
    r.json::<Value>().await.unwrap()["search_id"].as_i64().unwrap()
}

/// A request of `client`'s for AB12CDE (and whatever else `plates` names), approved.
async fn plate_request(app: &TestApp, client: &Client, plates: &[&str]) -> i64 {
    let start = start_time();
    app.approved(
        client,
        request("serious", plates_scope(plates, start - Duration::days(10), start + Duration::days(20))),
    )
    .await
}

fn at(day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 3, day, hour, minute, 0).unwrap()
}

/// Hours are judged from `min_history` searches on; an hour is rare below `rare_hour_share` of
/// them, not at it.
async fn outside_usual_hours_from_min_history_and_below_the_rare_share(app: TestApp) {
    let config = FlagConfig { min_history: 4, rare_hour_share: 0.2, ..quiet() };
    let inv = app.investigator("hana", AccessTier::Local).await;
    let id = plate_request(&app, &inv, &["AB12CDE"]).await;
    let q = || plate("AB12CDE", "exact");
    for day in [2, 3, 4] {
        search_at(&app, &inv, id, q(), at(day, 10, 0)).await;
    }
    let three = search_at(&app, &inv, id, q(), at(4, 15, 0)).await;
    let four = search_at(&app, &inv, id, q(), at(5, 3, 0)).await;
    let share = search_at(&app, &inv, id, q(), at(5, 15, 0)).await;
    let rare = search_at(&app, &inv, id, q(), at(5, 16, 0)).await;
    let done = scan_at(&app, at(5, 16, 0), &config).await;
    assert_eq!(done.searches, 7);

    assert!(kinds_of(&app, three).await.is_empty(), "three earlier searches tell nothing of the user's hours");
    let why = reason(&app, four, "unusual_hour").await;
    assert!(why.contains("03:00–04:00 UTC") && why.contains("held 0 of their 4 searches"), "{why}");
    assert!(kinds_of(&app, share).await.is_empty(), "one in five at 15:00 is 20%, not under it");
    let why = reason(&app, rare, "unusual_hour").await;
    assert!(why.contains("held 0 of their 6 searches"), "{why}");

    // Scanned once: a second scan finds nothing new.
    assert_eq!(scan_at(&app, at(5, 17, 0), &config).await, server::flags::Scanned::default());
}

/// Many more than usual: from `volume_factor` times the daily mean (and `volume_min`), once
/// in 24 hours.
async fn many_more_than_usual_from_the_factor_once_a_day(app: TestApp) {
    let config = FlagConfig { usual_days: 2, volume_factor: 2.0, volume_min: 3, ..quiet() };
    let inv = app.investigator("vic", AccessTier::Local).await;
    let id = plate_request(&app, &inv, &["AB12CDE"]).await;
    let q = || plate("AB12CDE", "exact");
    // Four in the two days before: a usual 2.0 a day, so 4 in 24 hours is twice that.
    for hour in 10..14 {
        search_at(&app, &inv, id, q(), at(2, hour, 0)).await;
    }
    let mut day = Vec::new();
    for minute in [0, 10, 20, 30, 40] {
        day.push(search_at(&app, &inv, id, q(), at(4, 12, minute)).await);
    }
    scan_at(&app, at(4, 12, 40), &config).await;
    for (n, search) in day.iter().enumerate() {
        let kinds = kinds_of(&app, *search).await;
        match n + 1 {
            4 => assert_eq!(kinds, ["volume"], "the fourth in 24 hours is twice the usual"),
            3 => assert!(kinds.is_empty(), "three is short of twice the usual 2.0"),
            5 => assert!(kinds.is_empty(), "flagged once a day, not at every search after"),
            _ => assert!(kinds.is_empty()),
        }
    }
    let why = reason(&app, day[3], "volume").await;
    assert!(why.starts_with("4 searches in 24 h against a usual 2.0 a day over the previous 2 days"), "{why}");
}

/// The same plate searched under a third distinct request is flagged; further searches under
/// requests already counted are not.
async fn the_same_plate_from_the_third_request(app: TestApp) {
    let config = FlagConfig { plate_requests: 3, ..quiet() };
    let inv = app.investigator("sam", AccessTier::Local).await;
    let mut requests = Vec::new();
    for _ in 0..3 {
        requests.push(plate_request(&app, &inv, &["AB12CDE"]).await);
    }
    let first = search_at(&app, &inv, requests[0], plate("AB12CDE", "exact"), at(3, 10, 0)).await;
    let again = search_at(&app, &inv, requests[0], plate("AB12CDE", "misread"), at(3, 10, 5)).await;
    let second = search_at(&app, &inv, requests[1], plate("ab12 cde", "exact"), at(3, 10, 10)).await;
    scan_at(&app, at(3, 10, 10), &config).await;
    let third = search_at(&app, &inv, requests[2], plate("AB12CDE", "exact"), at(3, 11, 0)).await;
    let repeat = search_at(&app, &inv, requests[2], plate("AB12CDE", "exact"), at(3, 11, 5)).await;
    scan_at(&app, at(3, 11, 5), &config).await;
    for search in [first, again, second, repeat] {
        assert!(kinds_of(&app, search).await.is_empty(), "search {search}: fewer than three requests, or one counted");
    }
    let why = reason(&app, third, "same_plate").await;
    assert_eq!(why, "AB12CDE searched under 3 distinct requests within 28 days (flagged from 3)");
}

/// A search within `before_expiry_minutes` of its approval's end is flagged; a second earlier
/// is not.
async fn within_the_last_hour_before_expiry(app: TestApp) {
    let config = FlagConfig { before_expiry_minutes: 60, ..quiet() };
    let inv = app.investigator("eve", AccessTier::Local).await;
    let start = start_time();
    let submitted = app
        .submit_request(
            &inv,
            &request("serious", plates_scope(&["AB12CDE"], start - Duration::days(10), start + Duration::days(20))),
        )
        .await;
    let inspector = app.inspector("ian").await;
    let expires = start + Duration::hours(3);
    let decision = json!({ "approve": true, "rationale": "Necessary and proportionate", "expires_at": ts(expires) });
    assert_eq!(app.decide_request(&inspector, &submitted["id"], decision).await.status(), StatusCode::OK);
    let id = submitted["id"].as_i64().unwrap();
    let q = || plate("AB12CDE", "exact");
    let early = search_at(&app, &inv, id, q(), expires - Duration::minutes(60) - Duration::seconds(1)).await;
    let edge = search_at(&app, &inv, id, q(), expires - Duration::minutes(60)).await;
    let last = search_at(&app, &inv, id, q(), expires - Duration::seconds(1)).await;
    scan_at(&app, expires, &config).await;
    assert!(kinds_of(&app, early).await.is_empty(), "61 minutes less a second before is outside the hour");
    let why = reason(&app, edge, "before_expiry").await;
    assert_eq!(why, format!("run 60 min 0 s before its request's approval expired at {} (within 60 min)", ts(expires)));
    assert!(reason(&app, last, "before_expiry").await.starts_with("run 0 min 1 s before"));
}

/// An area larger than `local_area_km2` searched by a local-tier user; not one of exactly that
/// size, and not by a central-tier user.
async fn a_broad_area_by_a_local_tier_user_beyond_the_threshold(app: TestApp) {
    let area: Area = serde_json::from_value(test_area()).unwrap();
    let size = server::flags::area_km2(&area);
    assert!((size - 12.3).abs() < 0.1, "{size}");
    let d = app.desk().await;
    let start = start_time();
    let scope = json!({ "plates": [], "area": test_area(), "cameras": [d.n1, d.n2],
                        "from": ts(start - Duration::days(10)), "to": ts(start + Duration::days(20)) });
    let local = app.investigator("lou", AccessTier::Local).await;
    let central = app.investigator("cat", AccessTier::Central).await;
    let local_request = app.approved(&local, request("serious", scope.clone())).await;
    let central_request = app.approved(&central, request("serious", scope)).await;
    let q = || json!({ "kind": "area", "area": test_area() });

    let exactly = search_at(&app, &local, local_request, q(), at(3, 10, 0)).await;
    scan_at(&app, at(3, 10, 0), &FlagConfig { local_area_km2: size, ..quiet() }).await;
    assert!(kinds_of(&app, exactly).await.is_empty(), "an area of exactly the threshold is not beyond it");

    let beyond = FlagConfig { local_area_km2: size - 0.05, ..quiet() };
    let broad = search_at(&app, &local, local_request, q(), at(3, 11, 0)).await;
    let by_central = search_at(&app, &central, central_request, q(), at(3, 11, 1)).await;
    scan_at(&app, at(3, 11, 1), &beyond).await;
    let why = reason(&app, broad, "broad_area").await;
    assert!(why.starts_with("an area of 12.3 km² searched by a local-tier user"), "{why}");
    assert!(kinds_of(&app, by_central).await.is_empty(), "central-tier users search wider areas");
}

/// A plate on a members-only list, searched by someone not among its members; not by a member,
/// nor another plate.
async fn a_plate_on_a_list_the_user_is_not_in_the_audience_of(app: TestApp) {
    let admin = app.signed_in("admin", &[Role::SystemAdmin]).await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let member = app.investigator("mel", AccessTier::Local).await;
    let outsider = app.investigator("otto", AccessTier::Local).await;
    let member_id = app.user_id(&admin, "mel").await;
    let list = app.list_id(&hotlister, json!({ "type": "members", "user_ids": [member_id] })).await;
    app.new_entry(&hotlister, list, "AB12CDE").await;
    let wide = app.investigators_list(&hotlister).await;
    app.new_entry(&hotlister, wide, "LB07SEO").await;

    let config = quiet();
    let mine = plate_request(&app, &member, &["AB12CDE"]).await;
    let theirs = plate_request(&app, &outsider, &["AB12CDE", "LB07SEO"]).await;
    let by_member = search_at(&app, &member, mine, plate("AB12CDE", "exact"), at(3, 10, 0)).await;
    let by_outsider = search_at(&app, &outsider, theirs, plate("AB12CDE", "misread"), at(3, 10, 1)).await;
    let other_list = search_at(&app, &outsider, theirs, plate("LB07SEO", "exact"), at(3, 10, 2)).await;
    scan_at(&app, at(3, 10, 2), &config).await;
    assert!(kinds_of(&app, by_member).await.is_empty(), "a member is in the audience");
    assert!(kinds_of(&app, other_list).await.is_empty(), "every investigator is that list's audience");
    let why = reason(&app, by_outsider, "restricted_plate").await;
    assert!(why.starts_with("AB12CDE is on the list “Op ") && why.ends_with("does not include the user"), "{why}");
}

/// A partial search whose results held more than `outside_plates` plates the request did not
/// name; not at exactly that many.
async fn a_partial_search_reaching_more_plates_than_named(app: TestApp) {
    let d = app.desk().await;
    let start = start_time();
    let when = |m: i64| ts(start - Duration::hours(2) + Duration::minutes(m));
    app.ingest(
        &d.key,
        vec![
            read("AB12CDE", "N1", &when(1)),
            read("AB12CDA", "N1", &when(2)),
            read("AB12CDB", "N2", &when(3)),
            read("AB12CDC", "N2", &when(4)),
            read("AB12CDC", "N1", &when(5)),
        ],
    )
    .await;
    let inv = app.investigator("pat", AccessTier::Local).await;
    let id = plate_request(&app, &inv, &["AB12CDE", "AB12CD*"]).await;
    let q = || plate("AB12CD*", "partial");
    let three = search_at(&app, &inv, id, q(), at(3, 10, 0)).await;
    scan_at(&app, at(3, 10, 0), &FlagConfig { outside_plates: 3, ..quiet() }).await;
    assert!(kinds_of(&app, three).await.is_empty(), "three plates beyond those named is not more than three");
    let more = search_at(&app, &inv, id, q(), at(3, 11, 0)).await;
    let exact = search_at(&app, &inv, id, plate("AB12CDE", "exact"), at(3, 11, 1)).await;
    scan_at(&app, at(3, 11, 1), &FlagConfig { outside_plates: 2, ..quiet() }).await;
    let why = reason(&app, more, "outside_plates").await;
    assert_eq!(why, "its results held 3 distinct plates the request did not name (1 named; flagged above 2)");
    assert!(kinds_of(&app, exact).await.is_empty(), "an exact search reaches only its plate");
}

/// One flag for the review: every search is "many more than usual" for a user without history.
async fn one_flag(app: &TestApp) -> (i64, i64) {
    let inv = app.investigator("fay", AccessTier::Local).await;
    let id = plate_request(app, &inv, &["AB12CDE"]).await;
    let search = search_at(app, &inv, id, plate("AB12CDE", "exact"), at(3, 10, 0)).await;
    let config = FlagConfig { volume_min: 1, volume_factor: 0.0, ..quiet() };
    assert_eq!(scan_at(app, at(3, 10, 0), &config).await.flagged, 1);
    let mut conn = app.raw_conn().await;
    let flag: i64 = sqlx::query("SELECT id FROM usage_flags WHERE search_id = $1")
        .bind(search)
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get("id");
    (flag, search)
}

async fn a_flag_is_reviewed_with_a_note_and_refusals_are_audited(app: TestApp) {
    let (flag, search) = one_flag(&app).await;
    assert_eq!(app.audit_rows("usage_flags_raised").await.len(), 1, "the scan's flags are on the record");
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let inv = app.sign_in("fay").await;

    // Not an auditor: 403, audited.
    let r = app.get(&inv, "/audit/flags").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let refused = app.audit_rows("access_refused").await;
    assert_eq!(refused.last().unwrap().details["asked"]["path"], "/api/v1/audit/flags");
    let review = |client: &Client, id: i64, note: &str| {
        client.post(app.api(&format!("/audit/flags/{id}/review"))).json(&json!({ "note": note })).send()
    };
    assert_eq!(review(&inv, flag, "fine").await.unwrap().status(), StatusCode::FORBIDDEN);

    let open: Vec<Value> = app.get_json(&aud, "/audit/flags").await;
    assert_eq!(open.len(), 1);
    let listed = &open[0];
    assert_eq!((listed["id"].as_i64(), listed["search_id"].as_i64()), (Some(flag), Some(search)));
    assert_eq!((listed["user"].as_str(), listed["kind"].as_str()), (Some("fay"), Some("volume")));
    assert!(listed["reference"].as_str().is_some_and(|r| !r.is_empty()));
    assert!(listed["reason"].as_str().unwrap().starts_with("1 searches in 24 h against a usual 0.0 a day"));
    assert!(listed["review"].is_null());
    assert_eq!(app.audit_rows("usage_flags_listed").await.len(), 1);

    // An empty note, an unknown flag: refused with what is wrong, and audited.
    let r = review(&aud, flag, "   ").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "note");
    let r = review(&aud, 999_999, "looked at it").await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(crate::helpers::error_of(r).await.contains("no flag 999999"));
    let refusals = app.audit_rows("usage_flag_refused").await;
    assert_eq!(refusals.len(), 2);
    assert_eq!(refusals[1].details["asked"]["flag_id"], 999_999);

    // Reviewed with a note: recorded with the auditor and time, audited, and only once.
    app.clock.advance(Duration::hours(1));
    let note = "Checked with the officer's supervisor: a night shift on a live job";
    let r = review(&aud, flag, note).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let reviewed: Value = r.json().await.unwrap();
    assert_eq!(reviewed["review"]["note"], note);
    assert_eq!(reviewed["review"]["reviewed_by"], "aud");
    assert_eq!(reviewed["review"]["reviewed_at"], ts(app.clock.now()));
    let rows = app.audit_rows("usage_flag_reviewed").await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].actor.as_str(), rows[0].details["note"].as_str()), ("aud", Some(note)));
    assert_eq!(rows[0].details["search_id"], search);
    assert_eq!(review(&aud, flag, "again").await.unwrap().status(), StatusCode::CONFLICT);

    let open: Vec<Value> = app.get_json(&aud, "/audit/flags").await;
    assert!(open.is_empty());
    let done: Vec<Value> = app.get_json(&aud, "/audit/flags?reviewed=true&kind=volume").await;
    assert_eq!(done.len(), 1);
    let none: Vec<Value> = app.get_json(&aud, "/audit/flags?reviewed=true&kind=same_plate").await;
    assert!(none.is_empty());
}

/// The audit section counts the flags raised in the period, by kind, and those reviewed.
async fn flags_are_counted_in_the_annual_report(app: TestApp) {
    let (flag, _) = one_flag(&app).await;
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let figures = |report: Value| {
        report["figures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["section"] == "Audit")
            .map(|f| (f["item"].as_str().unwrap().to_owned(), f["count"].clone()))
            .collect::<Vec<_>>()
    };
    let count = |figures: &[(String, Value)], item: &str| {
        figures.iter().find(|(i, _)| i == item).unwrap_or_else(|| panic!("no figure {item}")).1.clone()
    };
    let before: Vec<(String, Value)> = figures(app.get_json(&aud, "/oversight/report?year=2026").await);
    assert_eq!(count(&before, "Unusual use flagged"), json!(1));
    assert_eq!(count(&before, "Flagged: Many more searches than usual"), json!(1));
    assert_eq!(count(&before, "Flagged: Same plate under several requests"), json!(0));
    assert_eq!(count(&before, "Flags reviewed"), json!(0));
    let r = aud
        .post(app.api(&format!("/audit/flags/{flag}/review")))
        .json(&json!({ "note": "Proportionate: a new investigator's first case" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let after = figures(app.get_json(&aud, "/oversight/report?year=2026").await);
    assert_eq!(count(&after, "Flags reviewed"), json!(1));
    let other_year = figures(app.get_json(&aud, "/oversight/report?year=2025").await);
    assert_eq!(count(&other_year, "Unusual use flagged"), json!(0), "counted in the period it was raised");
}
