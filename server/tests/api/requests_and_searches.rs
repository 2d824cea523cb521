//! Requests, approvals and access windows (R10–R13), searches (R5) and their audit (R21, R22).

use crate::helpers::{approval, found, plate, plates_scope, read, refused, request, test_area, ts, TestApp};
use crate::on_every_backend;
use chrono::{Duration, Months, Utc};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Rank, Role};

on_every_backend!(
    a_request_window_reaches_something_kept_and_ends_within_an_approval,
    requests_are_decided_by_another_supervisor_of_the_right_rank,
    a_local_investigator_reaches_back_90_days_and_no_further,
    a_central_investigator_reaches_back_12_months_and_never_beyond,
    a_search_outside_its_request_is_refused_with_the_reason,
    an_approval_ends_at_its_expiry,
    plate_searches_find_exact_partial_and_misread_plates,
    area_searches_and_per_user_restrictions,
    large_results_page_and_every_page_is_audited,
    every_search_is_audited_and_sampled_for_the_auditors with |c: &mut server::config::Config| {
        // Every search beyond the standard window is drawn, none of the others: the rates
        // themselves are measured in `search::sample`'s unit test.
        c.audit_sample.beyond_standard_percent = 100.0;
        c.audit_sample.other_percent = 0.0;
    },
    stored_reads_get_the_same_misread_form_as_new_ones,
    a_window_to_the_microsecond_is_searched_paged_and_exported_alike,
    a_refused_request_names_every_field_at_fault,
    a_search_reaches_only_the_reads_held_when_it_ran,
);

/// A request wrong in three places is refused once, naming each field and what is wrong with
/// it, so the form can show every problem beside its field; nothing is recorded.
async fn a_refused_request_names_every_field_at_fault(app: TestApp) {
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let now = app.clock.now();
    let mut body = request("serious", plates_scope(&["AB12CDE"], now, now - Duration::seconds(1)));
    body["reason"] = json!("short");
    body["handling"] = json!("");
    let r = inv.post(app.api("/requests")).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = r.json().await.unwrap();
    let fields: Vec<&str> = answer["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["reason", "to", "handling"]);
    assert_eq!(answer["fields"][1]["message"], "time window must start before it ends");
    let error = answer["error"].as_str().unwrap();
    assert!(error.starts_with("reason must be 10 to 2000 characters; time window"), "{error}");
    assert!(app.audit_rows("request_submitted").await.is_empty());

    // A decision's rationale is named the same way; a sound request has no `fields`.
    let id = app
        .submit_request(&inv, &request("serious", plates_scope(&["AB12CDE"], now - Duration::days(1), now)))
        .await["id"]
        .clone();
    let sarge = app.supervisor("sam", Rank::Inspector).await;
    let r = app.decide_request(&sarge, &id, json!({ "approve": true, "rationale": "ok" })).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["fields"][0]["field"], "rationale");
    let r = app.decide_request(&sarge, &id, approval()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.json::<Value>().await.unwrap().get("fields").is_none());
}

/// A request whose window is given to the microsecond: a search over exactly that window is
/// permitted, and so are its further pages and its export, which reopen it as stored.
async fn a_window_to_the_microsecond_is_searched_paged_and_exported_alike(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    app.ingest(&d.key, vec![read("AB12CDE", "N1", &ts(now - Duration::hours(2)))]).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let from = now - Duration::days(3) + Duration::microseconds(604_123);
    let to = now + Duration::microseconds(8_604_987);
    let id = app.approved(&inv, request("serious", plates_scope(&["AB12CDE"], from, to))).await;
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), from, to).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page: Value = r.json().await.unwrap();
    let search_id = page["search_id"].as_i64().unwrap();
    let next = inv.get(app.api(&format!("/searches/{search_id}?after=0-0"))).send().await.unwrap();
    assert_eq!(next.status(), StatusCode::OK, "{}", next.text().await.unwrap());
    let export = inv
        .post(app.api(&format!("/searches/{search_id}/export")))
        .json(&json!({ "format": "csv", "recipient": "DC Hale" }))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    // A microsecond outside the window is still outside it.
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), from - Duration::milliseconds(1), to).await;
    refused(r, StatusCode::FORBIDDEN, "lies outside it").await;
}

/// A window must end after the retention cutoff (R12, R18), within the longest approval (90
/// days by default) and start in 2000 or later: each edge to the second.
async fn a_request_window_reaches_something_kept_and_ends_within_an_approval(app: TestApp) {
    let inv = app.investigator("ivan", AccessTier::Central).await;
    let now = app.clock.now();
    let cutoff = now.checked_sub_months(chrono::Months::new(12)).unwrap();
    let second = Duration::seconds(1);
    let first = chrono::TimeZone::with_ymd_and_hms(&Utc, 2000, 1, 1, 0, 0, 0).unwrap();
    for (from, to, field, ok) in [
        (cutoff - Duration::days(1), cutoff, "to", false),
        (cutoff - Duration::days(1), cutoff + second, "to", true),
        (now, now + Duration::days(90), "to", true),
        (now, now + Duration::days(90) + second, "to", false),
        (first - second, now, "from", false),
        (first, now, "from", true),
    ] {
        let r = inv.post(app.api("/requests")).json(&request("serious", plates_scope(&["AB12CDE"], from, to))).send();
        let r = r.await.unwrap();
        if ok {
            assert_eq!(r.status(), StatusCode::CREATED, "{from} – {to}");
        } else {
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{from} – {to}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["fields"][0]["field"], field, "{body}");
        }
    }
}

async fn requests_are_decided_by_another_supervisor_of_the_right_rank(app: TestApp) {
    let now = app.clock.now();
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let body = request("volume", plates_scope(&["AB12CDE"], now - Duration::days(30), now));
    let volume = app.submit_request(&inv, &body).await;
    assert_eq!(volume["reference"], "REQ-2026-000001");
    assert_eq!(volume["status"], "pending");
    assert_eq!(volume["crime_type"], "Burglary");

    let sergeant = app.supervisor("sgt", Rank::Sergeant).await;
    let queue: Vec<Value> = app.get_json(&sergeant, "/requests?which=queue").await;
    assert_eq!(queue.len(), 1);
    refused(app.decide_request(&sergeant, &volume["id"], approval()).await, StatusCode::FORBIDDEN, "only an inspector")
        .await;
    refused(app.decide_request(&inv, &volume["id"], approval()).await, StatusCode::FORBIDDEN, "Supervisor").await;

    // An inspector who is also an investigator cannot approve their own request.
    let duo = app.investigating_inspector("duo").await;
    let own = app.submit_request(&duo, &body).await;
    refused(app.decide_request(&duo, &own["id"], approval()).await, StatusCode::FORBIDDEN, "your own request").await;
    let queue: Vec<Value> = app.get_json(&duo, "/requests?which=queue").await;
    assert!(queue.iter().all(|r| r["id"] != own["id"]), "one's own request is not in one's queue");

    let short = json!({ "approve": true, "rationale": "ok" });
    refused(app.decide_request(&duo, &volume["id"], short).await, StatusCode::UNPROCESSABLE_ENTITY, "rationale").await;
    let r = app.decide_request(&duo, &volume["id"], approval()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let decided: Value = r.json().await.unwrap();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"], "duo");
    assert_eq!(decided["expires_at"], ts(now + Duration::days(28)), "the standard approval period");
    refused(app.decide_request(&duo, &volume["id"], approval()).await, StatusCode::CONFLICT, "already approved").await;
    // Each supervisor lists what they decided; nobody else's decisions.
    let mine: Vec<Value> = app.get_json(&duo, "/requests?which=decided").await;
    assert_eq!(mine.iter().map(|r| &r["id"]).collect::<Vec<_>>(), [&volume["id"]]);
    assert!(app.get_json::<Vec<Value>>(&sergeant, "/requests?which=decided").await.is_empty());
    assert_eq!(app.get(&inv, "/requests?which=decided").await.status(), StatusCode::FORBIDDEN);

    // A sergeant may decide serious-crime requests; a rejection keeps its rationale.
    let serious =
        app.submit_request(&inv, &request("serious", plates_scope(&["AB12CDE"], now - Duration::days(1), now))).await;
    let rejection = json!({ "approve": false, "rationale": "Scope is wider than the reason supports" });
    let r = app.decide_request(&sergeant, &serious["id"], rejection).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rejected: Value = r.json().await.unwrap();
    assert_eq!((rejected["status"].as_str(), rejected["expires_at"].is_null()), (Some("rejected"), true));
    assert_eq!(rejected["rationale"], "Scope is wider than the reason supports");

    let mine: Vec<Value> = app.get_json(&inv, "/requests?which=mine").await;
    assert_eq!(mine.len(), 2);
    let r = app.get(&inv, &format!("/requests/{}", own["id"])).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another investigator's request is not shown");
    let r = app.get(&inv, "/requests?which=all").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let auditor = app.signed_in("audrey", &[Role::Auditor]).await;
    let all: Vec<Value> = app.get_json(&auditor, "/requests?which=all").await;
    let references: Vec<&str> = all.iter().map(|r| r["reference"].as_str().unwrap()).collect();
    assert_eq!(references, ["REQ-2026-000003", "REQ-2026-000002", "REQ-2026-000001"], "newest first");

    let decisions = app.audit_rows("request_decided").await;
    assert_eq!(decisions.len(), 2);
    assert_eq!(decisions[0].subject.as_deref(), Some("REQ-2026-000001"));
    assert_eq!(decisions[1].details["rationale"], "Scope is wider than the reason supports");
    assert_eq!(app.audit_rows("request_submitted").await.len(), 3);

    // Surveillance needs a DSA reference.
    let mut covert = request("serious", plates_scope(&["AB12CDE"], now - Duration::days(1), now));
    covert["surveillance"] = json!(true);
    let r = inv.post(app.api("/requests")).json(&covert).send().await.unwrap();
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "Directed Surveillance Authority").await;
}

async fn a_local_investigator_reaches_back_90_days_and_no_further(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let day90 = now - Duration::days(90);
    app.ingest(
        &d.key,
        vec![read("AB12CDE", "N1", &ts(day90)), read("AB12CDE", "N1", &ts(day90 - Duration::seconds(1)))],
    )
    .await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let id = app.approved(&inv, request("serious", plates_scope(&["AB12CDE"], now - Duration::days(365), now))).await;

    let results = found(app.search(&inv, id, plate("AB12CDE", "exact"), day90, now).await).await;
    assert_eq!(results.len(), 1, "the read of day 90 and not the one a second older");
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), day90 - Duration::seconds(1), now).await;
    refused(r, StatusCode::FORBIDDEN, "local-tier").await;
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(91), now).await;
    refused(r, StatusCode::FORBIDDEN, "local-tier").await;
}

async fn a_central_investigator_reaches_back_12_months_and_never_beyond(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let year = now.checked_sub_months(Months::new(12)).unwrap();
    // The purge has not run: a read a second older than 12 months is still stored.
    app.ingest(
        &d.key,
        vec![
            read("AB12CDE", "N1", &ts(year + Duration::seconds(1))),
            read("AB12CDE", "N1", &ts(year - Duration::seconds(1))),
            read("AB12CDE", "N1", &ts(now - Duration::days(91))),
            read("AB12CDE", "N1", &ts(now - Duration::days(10))),
        ],
    )
    .await;
    let inv = app.investigator("cen", AccessTier::Central).await;
    let scope = plates_scope(&["AB12CDE"], now - Duration::days(800), now);
    let serious = app.approved(&inv, request("serious", scope.clone())).await;
    let results = found(app.search(&inv, serious, plate("AB12CDE", "exact"), year, now).await).await;
    assert_eq!(results.len(), 3, "12 months minus a second is returned, plus a second is not");
    let r = app.search(&inv, serious, plate("AB12CDE", "exact"), year - Duration::seconds(1), now).await;
    refused(r, StatusCode::FORBIDDEN, "central-tier").await;

    // Beyond 90 days is for serious crime only (R12).
    let volume = app.approved(&inv, request("volume", scope)).await;
    let r = app.search(&inv, volume, plate("AB12CDE", "exact"), now - Duration::days(91), now).await;
    refused(r, StatusCode::FORBIDDEN, "serious crime only").await;
    let results = found(app.search(&inv, volume, plate("AB12CDE", "exact"), now - Duration::days(90), now).await).await;
    assert_eq!(results.len(), 1);
}

async fn a_search_outside_its_request_is_refused_with_the_reason(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let scope = json!({ "plates": ["AB12CDE", "XY1*"], "area": test_area(), "cameras": [d.far],
                        "from": ts(now - Duration::days(30)), "to": ts(now + Duration::days(1)) });
    let id = app.approved(&inv, request("serious", scope)).await;
    let (from, to) = (now - Duration::days(7), now);

    let r = app.search(&inv, id, plate("ZZ99ZZZ", "exact"), from, to).await;
    refused(r, StatusCode::FORBIDDEN, "does not cover the plate ZZ99ZZZ").await;
    let r = app.search(&inv, id, plate("XY*", "partial"), from, to).await;
    refused(r, StatusCode::FORBIDDEN, "does not cover the plate XY*").await;
    assert!(found(app.search(&inv, id, plate("XY1*", "partial"), from, to).await).await.is_empty());
    assert!(found(app.search(&inv, id, plate("XY15ABC", "exact"), from, to).await).await.is_empty());
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(31), to).await;
    refused(r, StatusCode::FORBIDDEN, "outside it").await;

    let outside = json!({ "south": 51.49, "west": -0.11, "north": 51.61, "east": -0.07 });
    let r = app.search(&inv, id, json!({ "kind": "area", "area": outside }), from, to).await;
    refused(r, StatusCode::FORBIDDEN, "does not cover the drawn area").await;
    let r = app.search(&inv, id, json!({ "kind": "area", "cameras": [d.n1, d.far] }), from, to).await;
    assert_eq!(r.status(), StatusCode::CREATED, "cameras in the area or named by the request");
    let plates_only = app.approved(&inv, request("serious", plates_scope(&["AB12CDE"], from, to))).await;
    let r = app.search(&inv, plates_only, json!({ "kind": "area", "cameras": [d.n1] }), from, to).await;
    refused(r, StatusCode::FORBIDDEN, "plates only").await;
    let r = app.search(&inv, id, json!({ "kind": "area", "cameras": [] }), from, to).await;
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "rectangle or cameras").await;
    let r = app.search(&inv, id, plate("*B12CDE", "partial"), from, to).await;
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "first character").await;

    // Pending, rejected and other people's requests grant nothing.
    let pending = app.submit_request(&inv, &request("serious", plates_scope(&["AB12CDE"], from, to))).await;
    let r = app.search(&inv, pending["id"].as_i64().unwrap(), plate("AB12CDE", "exact"), from, to).await;
    refused(r, StatusCode::FORBIDDEN, "awaiting a supervisor").await;
    let other = app.investigator("otto", AccessTier::Local).await;
    let r = app.search(&other, id, plate("AB12CDE", "exact"), from, to).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let admin_search = app.search(&d.admin, id, plate("AB12CDE", "exact"), from, to).await;
    assert_eq!(admin_search.status(), StatusCode::FORBIDDEN);

    // Every refusal is recorded like a search (R21): who, what was asked, why not.
    let refusals = app.audit_rows("search_refused").await;
    let pending_row = refusals.iter().find(|r| r.actor == "ivy" && r.details["asked"]["request_id"] == pending["id"]);
    assert!(pending_row.unwrap().details["reason"].as_str().unwrap().contains("awaiting a supervisor"));
    let other_row = refusals.iter().find(|r| r.actor == "otto").expect("another user's request");
    assert!(other_row.details["reason"].as_str().unwrap().contains("no request with id"));
    assert!(refusals.iter().all(|r| r.details["asked"]["query"].is_object()));
}

async fn an_approval_ends_at_its_expiry(app: TestApp) {
    let now = app.clock.now();
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let submitted =
        app.submit_request(&inv, &request("serious", plates_scope(&["AB12CDE"], now - Duration::days(5), now))).await;
    let inspector = app.supervisor("insp", Rank::Inspector).await;
    let too_long = json!({ "approve": true, "rationale": "Necessary and proportionate",
                           "expires_at": ts(now + Duration::days(91)) });
    refused(
        app.decide_request(&inspector, &submitted["id"], too_long).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "90 days",
    )
    .await;
    let hour = json!({ "approve": true, "rationale": "Necessary and proportionate", "expires_at": ts(now + Duration::hours(1)) });
    assert_eq!(app.decide_request(&inspector, &submitted["id"], hour).await.status(), StatusCode::OK);
    let id = submitted["id"].as_i64().unwrap();

    app.clock.advance(Duration::hours(1) - Duration::seconds(1));
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(1), now).await;
    assert_eq!(r.status(), StatusCode::CREATED, "a second before expiry");
    app.clock.advance(Duration::seconds(1));
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(1), now).await;
    refused(r, StatusCode::FORBIDDEN, "expired").await;
}

async fn plate_searches_find_exact_partial_and_misread_plates(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let at = |minutes: i64| ts(now - Duration::days(2) + Duration::minutes(minutes));
    app.ingest(
        &d.key,
        vec![
            read("AB12CDE", "N2", &at(30)),
            read("AB12CDE", "N1", &at(10)),
            read("A812CDE", "N1", &at(20)),
            read("AB12CDF", "N1", &at(40)),
            read("XB12CDE", "N2", &at(50)),
            read("AB13CDE", "N2", &at(60)),
        ],
    )
    .await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let scope = plates_scope(&["AB12CDE", "AB12*", "?B12CDE"], now - Duration::days(10), now);
    let id = app.approved(&inv, request("serious", scope)).await;
    let (from, to) = (now - Duration::days(3), now);

    let exact = found(app.search(&inv, id, plate("ab12 cde", "exact"), from, to).await).await;
    assert_eq!(exact, ["AB12CDE", "AB12CDE"]);
    let misread = found(app.search(&inv, id, plate("AB12CDE", "misread"), from, to).await).await;
    assert_eq!(misread, ["AB12CDE", "A812CDE", "AB12CDE"], "in time order, with the 8-for-B misread (R5)");
    let prefix = found(app.search(&inv, id, plate("AB12*", "partial"), from, to).await).await;
    assert_eq!(prefix, ["AB12CDE", "AB12CDE", "AB12CDF"]);
    let first_unknown = found(app.search(&inv, id, plate("?B12CDE", "partial"), from, to).await).await;
    assert_eq!(first_unknown, ["AB12CDE", "AB12CDE", "XB12CDE"]);

    let page: Value = app.search(&inv, id, plate("AB12CDE", "exact"), from, to).await.json().await.unwrap();
    let first = &page["results"][0];
    assert_eq!((first["camera_name"].as_str(), first["lat"].as_f64()), (Some("N1"), Some(51.52)));
    assert_eq!(page["total"], 2);
}

async fn area_searches_and_per_user_restrictions(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let at = |minutes: i64| ts(now - Duration::hours(5) + Duration::minutes(minutes));
    app.ingest(
        &d.key,
        vec![read("AA11AAA", "N1", &at(1)), read("BB22BBB", "N2", &at(2)), read("CC33CCC", "FAR", &at(3))],
    )
    .await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let scope =
        json!({ "plates": ["BB22BBB"], "area": test_area(), "from": ts(now - Duration::days(1)), "to": ts(now) });
    let id = app.approved(&inv, request("serious", scope)).await;
    let (from, to) = (now - Duration::hours(6), now);
    let area = json!({ "kind": "area", "area": test_area() });
    assert_eq!(found(app.search(&inv, id, area.clone(), from, to).await).await, ["AA11AAA", "BB22BBB"]);
    let one = json!({ "kind": "area", "cameras": [d.n2] });
    assert_eq!(found(app.search(&inv, id, one.clone(), from, to).await).await, ["BB22BBB"]);

    // R13: restricted from camera N2 and from misread-tolerant search.
    let ivy = app.user_id(&d.admin, "ivy").await;
    let restrictions = json!({ "denied_capabilities": ["plate_misread"], "denied_cameras": [d.n2] });
    let r = d.admin.put(app.api(&format!("/users/{ivy}/restrictions"))).json(&restrictions).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(found(app.search(&inv, id, area, from, to).await).await, ["AA11AAA"], "N2's read is left out");
    refused(app.search(&inv, id, one, from, to).await, StatusCode::FORBIDDEN, "restricted from camera").await;
    assert!(found(app.search(&inv, id, plate("BB22BBB", "exact"), from, to).await).await.is_empty());
    let r = app.search(&inv, id, plate("BB22BBB", "misread"), from, to).await;
    refused(r, StatusCode::FORBIDDEN, "restricted from misread-tolerant search").await;

    let changes = app.audit_rows("restrictions_changed").await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].details["after"]["denied_cameras"], json!([d.n2]));
    let bad = json!({ "denied_cameras": [999_999] });
    let r = d.admin.put(app.api(&format!("/users/{ivy}/restrictions"))).json(&bad).send().await.unwrap();
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "no camera with id 999999").await;
    let r = inv.get(app.api(&format!("/users/{ivy}/restrictions"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let _ = d.far;
}

async fn large_results_page_and_every_page_is_audited(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    // At the far edge of a local-tier user's reach.
    let start = now - Duration::days(90);
    let reads = (0..620)
        .map(|i| read("AB12CDE", if i % 2 == 0 { "N1" } else { "N2" }, &ts(start + Duration::seconds(i))))
        .collect();
    app.ingest(&d.key, reads).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let id = app.approved(&inv, request("serious", plates_scope(&["AB12CDE"], now - Duration::days(100), now))).await;
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), start, now).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let first: Value = r.json().await.unwrap();
    assert_eq!((first["total"].as_i64(), first["results"].as_array().unwrap().len()), (Some(620), 500));
    let next = first["next"].as_str().expect("a next page");
    let path = format!("/searches/{}?after={next}", first["search_id"]);
    // The map has the whole result, counted per camera, not only the first page.
    let cameras_path = format!("/searches/{}/cameras", first["search_id"]);
    let per_camera = |counts: &Value| -> Vec<(String, i64)> {
        let each = counts.as_array().unwrap().iter();
        each.map(|c| (c["camera_name"].as_str().unwrap().to_owned(), c["reads"].as_i64().unwrap())).collect()
    };
    let counts: Value = app.get_json(&inv, &cameras_path).await;
    assert_eq!(per_camera(&counts), [("N1".to_owned(), 310), ("N2".to_owned(), 310)]);
    assert_eq!(
        (counts[0]["first"].clone(), counts[0]["last"].clone()),
        (json!(ts(start)), json!(ts(start + Duration::seconds(618))))
    );
    assert_eq!(counts[1]["lat"], 51.50);
    let second: Value = app.get_json(&inv, &path).await;
    assert_eq!(second["results"].as_array().unwrap().len(), 120);
    assert_eq!(second["results"][0]["captured_at"], ts(start + Duration::seconds(500)), "where the last page ended");
    // 550 s later the first 550 reads are beyond the user's reach: the next page leaves out
    // those it would have shown (R12), without refusing.
    app.clock.advance(Duration::seconds(550));
    let later: Value = app.get_json(&inv, &path).await;
    let rest = later["results"].as_array().unwrap();
    assert_eq!(rest.len(), 70);
    assert!(later["next"].is_null());
    assert_eq!(second["total"], 620, "the first run's count while the reach holds");
    assert_eq!(later["total"], 70, "counted again: nothing tells how many reads lie beyond the reach now");
    assert_eq!(rest[0]["captured_at"], ts(start + Duration::seconds(550)), "nothing older than 90 days");
    let counts: Value = app.get_json(&inv, &cameras_path).await;
    assert_eq!(per_camera(&counts), [("N1".to_owned(), 35), ("N2".to_owned(), 35)], "the counts shrink with the reach");

    let other = app.investigator("otto", AccessTier::Local).await;
    let r = app.get(&other, &path).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "only its own searches' pages");
    assert_eq!(app.get(&other, &cameras_path).await.status(), StatusCode::NOT_FOUND, "nor their counts");
    let refusals = app.audit_rows("search_refused").await;
    assert_eq!(refusals.len(), 2, "both refusals on the record");
    assert_eq!((refusals[1].actor.as_str(), refusals[1].details["asked"]["cameras"].as_bool()), ("otto", Some(true)));
    assert_eq!(app.audit_rows("search_cameras_viewed").await.len(), 2);
    let r = app.get(&inv, &format!("/searches/{}?after=yesterday", first["search_id"])).await;
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "not a page cursor").await;
    let pages = app.audit_rows("search_page_viewed").await;
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].details["count"], 70);
    // Kept from N2 now, the total a page gives is counted again: N2's reads are not told of.
    app.restrict_cameras(&d.admin, "ivy", &[d.n2]).await;
    let first_page: Value = app.get_json(&inv, &format!("/searches/{}", first["search_id"])).await;
    assert_eq!((first_page["total"].as_i64(), first_page["results"].as_array().unwrap().len()), (Some(35), 35));
}

async fn every_search_is_audited_and_sampled_for_the_auditors(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    app.ingest(&d.key, vec![read("AB12CDE", "N1", &ts(now - Duration::days(100)))]).await;
    app.create_user_with("cen", &[Role::Investigator], Some(AccessTier::Central), None).await;
    let inv = app.sign_in("cen").await;
    let id = app.approved(&inv, request("serious", plates_scope(&["AB12CDE"], now - Duration::days(200), now))).await;
    let within = app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(90), now).await;
    assert!(found(within).await.is_empty());
    let beyond = app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(120), now).await;
    assert_eq!(found(beyond).await, ["AB12CDE"]);

    let runs = app.audit_rows("search_run").await;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].actor, "cen");
    assert_eq!(runs[1].subject.as_deref(), Some("REQ-2026-000001"));
    assert_eq!(runs[1].details["result_count"], 1);
    assert_eq!(runs[1].details["query"], plate("AB12CDE", "exact"));
    assert_eq!(
        (runs[0].details["beyond_standard"].as_bool(), runs[1].details["beyond_standard"].as_bool()),
        (Some(false), Some(true))
    );

    let auditor = app.signed_in("audrey", &[Role::Auditor]).await;
    let open: Vec<Value> = app.get_json(&auditor, "/audit/samples").await;
    assert_eq!(open.len(), 1, "only the search beyond 90 days was drawn");
    let sample = &open[0];
    assert_eq!((sample["searched_by"].as_str(), sample["result_count"].as_i64()), (Some("cen"), Some(1)));
    assert_eq!(sample["reason"], "Linked series of burglaries; suspect vehicle seen leaving");
    let finding = json!({ "necessary": true, "proportionate": false, "note": "Window wider than the reason needs" });
    let path = format!("/audit/samples/{}/finding", sample["search_id"]);
    let reviewed = app.post_json(&auditor, &path, &finding).await;
    assert_eq!(reviewed["review"]["reviewed_by"], "audrey");
    assert_eq!(reviewed["review"]["proportionate"], false);
    let again = auditor.post(app.api(&path)).json(&finding).send().await.unwrap();
    refused(again, StatusCode::CONFLICT, "has a finding already").await;
    let open: Vec<Value> = app.get_json(&auditor, "/audit/samples").await;
    assert!(open.is_empty());
    let done: Vec<Value> = app.get_json(&auditor, "/audit/samples?reviewed=true").await;
    assert_eq!(done.len(), 1);
    assert_eq!(app.audit_rows("sample_reviewed").await.len(), 1);
    let r = app.get(&inv, "/audit/samples").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn stored_reads_get_the_same_misread_form_as_new_ones(app: TestApp) {
    let d = app.desk().await;
    let now = ts(app.clock.now());
    let plates = ["ABCDEFGHIJKL", "MNOPQRSTUVWX", "YZ0123456789"];
    app.ingest(&d.key, plates.iter().map(|p| read(p, "N1", &now)).collect()).await;
    let migration = include_str!("../../migrations/sqlite/0004_requests.sql");
    let backfill = migration.lines().find(|l| l.starts_with("UPDATE reads SET plate_skeleton")).unwrap();
    assert!(include_str!("../../migrations/postgres/0004_requests.sql").contains(backfill));
    sqlx::query("UPDATE reads SET plate_skeleton = NULL").execute(&mut app.raw_conn().await).await.unwrap();
    sqlx::query(backfill.trim_end_matches(';')).execute(&mut app.raw_conn().await).await.unwrap();
    for p in plates {
        let row =
            sqlx::query("SELECT plate_skeleton FROM reads WHERE plate = $1").bind(p).fetch_one(app.db.pool()).await;
        let stored: String = sqlx::Row::get(&row.unwrap(), "plate_skeleton");
        assert_eq!(stored, shared::plate::skeleton(p), "{p}");
    }
}

/// A search whose window runs into the future finds the reads held when it ran, then and on
/// every later look: a read stored afterwards was never among its results, so it is not
/// reached through it — not by id, not on a later page, not in an export (R10, R21). A watch is
/// the way to see reads as they arrive.
async fn a_search_reaches_only_the_reads_held_when_it_ran(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    app.ingest(&d.key, vec![read("AB12CDE", "N1", &ts(now - Duration::hours(2)))]).await;
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let (from, to) = (now - Duration::days(3), now + Duration::days(7));
    let id = app.approved(&inv, request("serious", plates_scope(&["AB12CDE"], from, to))).await;
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), from, to).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["total"], 1);
    let search_id = page["search_id"].as_i64().unwrap();
    let held = page["results"][0]["id"].as_i64().unwrap();

    // A second later the same vehicle passes again.
    app.clock.set(now + Duration::seconds(1));
    app.ingest(&d.key, vec![read("AB12CDE", "N2", &ts(now + Duration::seconds(1)))]).await;
    let newest = held + 1;
    let r = inv.get(app.api(&format!("/searches/{search_id}/reads/{newest}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = inv.get(app.api(&format!("/searches/{search_id}/reads/{held}"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let next: Value = app.get_json(&inv, &format!("/searches/{search_id}?after=0-0")).await;
    let ids: Vec<i64> = next["results"].as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(!ids.contains(&newest), "{next}");
    let export = inv
        .post(app.api(&format!("/searches/{search_id}/export")))
        .json(&json!({ "format": "csv", "recipient": "DC Hale" }))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    let csv = export.text().await.unwrap();
    assert_eq!(csv.matches("AB12CDE").count(), 1, "{csv}");

    // Searched again, the new read is found.
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), from, to).await;
    assert_eq!(r.json::<Value>().await.unwrap()["total"], 2);
}
