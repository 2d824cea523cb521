//! The annual report, produced by the system (R15, R17, R20–R23): what each request was worth,
//! the breach and subject access registers, camera outages at their threshold, the report's
//! figures against the rows they summarise, its heads against the audit chains, how evenly the
//! network watches, and the de-identified extract.

use crate::helpers::{plate, plates_scope, read, refused, request, start_time, ts, TestApp};
use crate::on_every_backend;
use chrono::{Duration, Months};
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Rank, Role};
use sqlx::Row;

on_every_backend!(
    a_request_closes_with_what_it_was_worth,
    the_registers_are_kept_and_audited,
    a_subject_access_search_runs_only_under_its_entry,
    an_outage_opens_at_its_threshold_and_ends_at_the_next_read,
    each_figure_is_the_count_of_its_rows_and_the_heads_are_the_chains,
    intensity_and_extract_are_aggregates_with_small_counts_withheld,
);

async fn scan(app: &TestApp) -> server::outages::Scanned {
    server::outages::scan(&app.db, app.clock.now(), &app.state.config.outages).await.unwrap()
}

/// `n` as the report shows it at the default k of 5.
fn shown(n: i64) -> Value {
    if (1..5).contains(&n) {
        json!("fewer than 5")
    } else {
        json!(n)
    }
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.raw_conn().await;
    sqlx::query(sql).fetch_one(&mut conn).await.unwrap().try_get::<i64, _>(0).unwrap()
}

/// The officer owes the outcome once the window has ended; closing records it (audited), stops
/// every search under the request, and is done once.
async fn a_request_closes_with_what_it_was_worth(app: TestApp) {
    let inv = app.investigator("inv", AccessTier::Central).await;
    let now = app.clock.now();
    let id = app
        .approved(&inv, request("serious", plates_scope(&["AB12CDE"], now - Months::new(1), now + Duration::days(2))))
        .await;
    let due = |client: reqwest::Client| {
        let app = &app;
        async move {
            let list: Vec<Value> = app.get_json(&client, "/requests?which=outcome_due").await;
            list.iter().map(|r| r["id"].as_i64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert!(due(inv.clone()).await.is_empty(), "the window is still open");
    app.clock.set(now + Duration::days(2));
    assert_eq!(due(inv.clone()).await, vec![id], "owed from the window's end");
    let approver = app.sign_in(&format!("insp{id}")).await;
    assert_eq!(due(approver.clone()).await, vec![id], "and listed for the supervisor who approved it");
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    refused(app.get(&aud, "/requests?which=outcome_due").await, StatusCode::FORBIDDEN, "Investigator or Supervisor")
        .await;

    let close = |client: &reqwest::Client, body: Value| {
        client.post(app.api(&format!("/requests/{id}/outcome"))).json(&body).send()
    };
    refused(
        close(&inv, json!({ "outcome": "vehicle_located", "note": "x" })).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "note",
    )
    .await;
    refused(
        close(&inv, json!({ "outcome": "no_value", "note": "bad\u{0}byte" })).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "plain text",
    )
    .await;
    refused(
        close(&inv, json!({ "outcome": "found_it", "note": "vehicle found" })).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "outcome",
    )
    .await;
    let other = app.investigator("other", AccessTier::Central).await;
    refused(
        close(&other, json!({ "outcome": "no_value", "note": "not mine to close" })).await.unwrap(),
        StatusCode::NOT_FOUND,
        "no request",
    )
    .await;
    let r = close(&inv, json!({ "outcome": "vehicle_located", "note": "found on the A40, recovered" })).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let closed: Value = r.json().await.unwrap();
    assert_eq!(closed["outcome"], "vehicle_located");
    assert!(closed["closed_at"].is_string());
    refused(
        close(&inv, json!({ "outcome": "no_value", "note": "changed my mind" })).await.unwrap(),
        StatusCode::CONFLICT,
        "already closed",
    )
    .await;
    assert!(due(inv.clone()).await.is_empty());

    let rows = app.audit_rows("request_closed").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].details["outcome"], "vehicle_located");
    assert_eq!(rows[0].details["note"], "found on the A40, recovered");
    let refusals = app.audit_rows("access_refused").await;
    assert!(refusals.iter().any(|r| r.actor == "other" && r.details["asked"]["request_id"] == id), "{refusals:?}");

    // Nothing runs under a closed request, even inside its approval.
    app.clock.set(now + Duration::days(1));
    let r = app.search(&inv, id, plate("AB12CDE", "exact"), now - Months::new(1), now).await;
    refused(r, StatusCode::FORBIDDEN, "closed").await;
}

async fn patch(app: &TestApp, client: &reqwest::Client, path: &str, body: Value) -> reqwest::Response {
    client.patch(app.api(path)).json(&body).send().await.unwrap()
}

/// Auditors record, change and close breaches and subject access requests; each act is
/// audited, a closed entry stays as it was, and nobody else may keep them.
async fn the_registers_are_kept_and_audited(app: TestApp) {
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let r = aud
        .post(app.api("/registers/breaches"))
        .json(&json!({ "happened_on": "2026-02-20", "what": "A spreadsheet was emailed to a personal address" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let breach: Value = r.json().await.unwrap();
    assert!(breach["reference"].as_str().unwrap().starts_with("BR-2026-"), "{breach}");
    let path = format!("/registers/breaches/{}", breach["id"]);
    let changed = patch(
        &app,
        &aud,
        &path,
        json!({ "found": "Officer retrained; file deleted", "disclosed": "Reported to the ICO" }),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    refused(
        patch(&app, &aud, &path, json!({ "answer": "disclosed" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only a subject access",
    )
    .await;
    let closed: Value = patch(&app, &aud, &path, json!({ "close": true })).await.json().await.unwrap();
    assert!(closed["closed_at"].is_string());
    assert_eq!(closed["found"], "Officer retrained; file deleted", "kept through the close");
    refused(patch(&app, &aud, &path, json!({ "found": "rewritten later" })).await, StatusCode::CONFLICT, "closed")
        .await;

    refused(
        aud.post(app.api("/registers/breaches"))
            .json(&json!({ "happened_on": "2099-01-01", "what": "from the future" }))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "after today",
    )
    .await;
    refused(app.get(&aud, "/registers/parking").await, StatusCode::NOT_FOUND, "no register").await;
    let new_breach = |body: Value| aud.post(app.api("/registers/breaches")).json(&body).send();
    refused(
        new_breach(json!({ "happened_on": "1999-12-31", "what": "too old to be held" })).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "2000",
    )
    .await;
    refused(
        new_breach(json!({ "happened_on": "2026-01-01", "what": "hidden\u{202e}text" })).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "plain text",
    )
    .await;
    let sar = json!({ "happened_on": "2026-01-01", "what": "where was my car", "plate": "A" });
    refused(
        aud.post(app.api("/registers/subject-access")).json(&sar).send().await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "2 to 10",
    )
    .await;
    // Each refused change of a register is recorded with what was asked (R21).
    let refusals = app.audit_rows("register_refused").await;
    assert_eq!(refusals.len(), 6, "{refusals:?}");
    assert_eq!(refusals.iter().filter(|r| r.details["asked"]["id"] == breach["id"]).count(), 2);
    let inv = app.investigator("inv", AccessTier::Central).await;
    refused(app.get(&inv, "/registers/breaches").await, StatusCode::FORBIDDEN, "Auditor").await;
    assert!(app.audit_rows("access_refused").await.iter().any(|r| r.actor == "inv"));

    assert_eq!(app.audit_rows("register_entry_recorded").await.len(), 1);
    assert_eq!(app.audit_rows("register_entry_updated").await.len(), 2, "one change and the close");
    let listed: Vec<Value> = app.get_json(&aud, "/registers/breaches").await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["disclosed"], "Reported to the ICO");
}

/// A subject access request's search finds the plate's reads under the entry (audited with the
/// reads it named), and nothing without an open entry naming a plate.
async fn a_subject_access_search_runs_only_under_its_entry(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let at = |m: i64| ts(now - Duration::minutes(m));
    app.ingest(
        &d.key,
        vec![read("SAR1ABC", "N1", &at(30)), read("SAR1ABC", "N2", &at(20)), read("OTHER1", "N1", &at(10))],
    )
    .await;
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let sar = |body: Value| aud.post(app.api("/registers/subject-access")).json(&body).send();
    let entry: Value =
        sar(json!({ "happened_on": "2026-03-01", "what": "Where has my car been seen?", "plate": "sar1 abc" }))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(entry["plate"], "SAR1ABC");
    let id = entry["id"].as_i64().unwrap();
    let search = |id: i64| aud.post(app.api(&format!("/registers/subject-access/{id}/search"))).send();

    // Without its entry: refused and audited.
    refused(search(9999).await.unwrap(), StatusCode::NOT_FOUND, "no subject_access entry").await;
    let unspecific: Value = sar(json!({ "happened_on": "2026-03-01", "what": "Everything you hold on me" }))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    refused(
        search(unspecific["id"].as_i64().unwrap()).await.unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "names no plate",
    )
    .await;
    let read_refusals = app.audit_rows("read_refused").await;
    assert_eq!(read_refusals.len(), 2, "{read_refusals:?}");

    let r = search(id).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let found: Value = r.json().await.unwrap();
    let reads = found["reads"].as_array().unwrap();
    assert_eq!(reads.len(), 2, "{found}");
    assert!(reads.iter().all(|r| r["plate"] == "SAR1ABC"));
    assert_eq!(reads[0]["camera"], "N1", "oldest first");
    let rows = app.audit_rows("subject_access_searched").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].subject.as_deref(), entry["reference"].as_str());
    assert_eq!(rows[0].details["read_ids"].as_array().unwrap().len(), 2);
    let listed: Vec<Value> = app.get_json(&aud, "/registers/subject-access").await;
    assert_eq!(listed.iter().find(|e| e["id"] == id).unwrap()["reads_found"], 2);

    // A camera kept from the auditor is kept from the disclosure too (R13).
    app.restrict_cameras(&d.admin, "aud", &[d.n2]).await;
    let found: Value = search(id).await.unwrap().json().await.unwrap();
    assert_eq!(found["reads"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["more"], false);

    // An investigator cannot use the entry; it closes only with its answer, then searches stop.
    let inv = app.investigator("inv", AccessTier::Central).await;
    refused(
        inv.post(app.api(&format!("/registers/subject-access/{id}/search"))).send().await.unwrap(),
        StatusCode::FORBIDDEN,
        "Auditor",
    )
    .await;
    let path = format!("/registers/subject-access/{id}");
    refused(patch(&app, &aud, &path, json!({ "close": true })).await, StatusCode::UNPROCESSABLE_ENTITY, "answer").await;
    let closed = patch(&app, &aud, &path, json!({ "answer": "national_security", "disclosed": shared::registers::NATIONAL_SECURITY_ANSWER, "close": true })).await;
    assert_eq!(closed.status(), StatusCode::OK);
    refused(search(id).await.unwrap(), StatusCode::CONFLICT, "closed").await;
    assert_eq!(app.audit_rows("read_refused").await.len(), 3);
}

/// Reads every five minutes for a week make twelve an hour usual: with ten expected reads the
/// threshold, N1 is not out 49:59 after its last read, is out at 50:01, and its outage ends at
/// its next read. Cameras with nothing usual are never called out.
async fn an_outage_opens_at_its_threshold_and_ends_at_the_next_read(app: TestApp) {
    let d = app.desk().await;
    let t0 = start_time();
    let first = t0 - Duration::days(7);
    let times: Vec<_> = (0..2016).map(|k| first + Duration::minutes(5 * k)).collect();
    for chunk in times.chunks(500) {
        app.ingest(&d.key, chunk.iter().map(|t| read("WEEK1", "N1", &ts(*t))).collect()).await;
    }
    let last = *times.last().unwrap();
    assert_eq!(last, t0 - Duration::minutes(5));

    app.clock.set(last + Duration::minutes(50) - Duration::seconds(1));
    let done = scan(&app).await;
    assert_eq!(done.reads, 2016);
    assert_eq!(done.opened, 0, "9.997 reads expected: not yet");
    let admin = &d.admin;
    let open: Vec<Value> = app.get_json(admin, "/cameras/outages?open=true").await;
    assert!(open.is_empty());

    app.clock.set(last + Duration::minutes(50) + Duration::seconds(1));
    assert_eq!(scan(&app).await.opened, 1);
    let open: Vec<Value> = app.get_json(admin, "/cameras/outages?open=true").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["camera_id"], d.n1, "N2 and FAR never read: nothing is usual for them");
    assert_eq!(open[0]["kind"], "silent");
    assert_eq!(open[0]["started_at"], ts(last));
    assert_eq!(open[0]["feed"], "tfl");
    assert_eq!(scan(&app).await.opened, 0, "one outage, not one a scan");
    let health: Vec<Value> = app.get_json(admin, "/cameras/health").await;
    let n1 = health.iter().find(|h| h["camera"]["id"] == d.n1).unwrap();
    assert_eq!(n1["outage"], "silent");
    let inv = app.investigator("inv", AccessTier::Central).await;
    refused(app.get(&inv, "/cameras/outages?open=true").await, StatusCode::FORBIDDEN, "System admin or Auditor").await;

    let back = t0 + Duration::minutes(60);
    app.clock.set(back);
    app.ingest(&d.key, vec![read("BACK1", "N1", &ts(back))]).await;
    app.clock.advance(Duration::seconds(10));
    assert_eq!(scan(&app).await.ended, 1);
    let open: Vec<Value> = app.get_json(admin, "/cameras/outages?open=true").await;
    assert!(open.is_empty());
    let all: Vec<Value> = app.get_json(admin, &format!("/cameras/outages?from={}", ts(t0 - Duration::days(1)))).await;
    assert_eq!(all[0]["ended_at"], ts(back));

    // The health chart: the last day's hours, one count each, as stored.
    let hours: Value = app.get_json(admin, &format!("/cameras/{}/hours?days=1", d.n1)).await;
    let counts = hours["reads"].as_array().unwrap();
    assert_eq!(counts.len(), 24);
    assert_eq!(counts.iter().map(|c| c.as_i64().unwrap()).sum::<i64>(), 12 * 22 + 1, "{hours}");
    refused(app.get(admin, "/cameras/99999/hours?days=1").await, StatusCode::NOT_FOUND, "no camera").await;
    let backwards = format!("/cameras/outages?from={}&to={}", ts(t0), ts(t0 - Duration::days(1)));
    refused(app.get(admin, &backwards).await, StatusCode::UNPROCESSABLE_ENTITY, "is not after").await;
    refused(
        app.get(admin, &format!("/cameras/{}/hours?days=32", d.n1)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "days",
    )
    .await;

    // A camera whose clock runs an hour fast has its reads refused: 9 between two looks are
    // not yet an outage, 10 are ("refusing reads"), until a read is accepted again.
    let fast = |n: usize, tag: &str| {
        let ahead = ts(app.clock.now() + Duration::hours(1));
        (0..n).map(|i| read(&format!("FAST{tag}{i}"), "FAR", &ahead)).collect::<Vec<_>>()
    };
    app.ingest(&d.key, fast(9, "A")).await;
    assert_eq!(scan(&app).await.opened, 0);
    app.ingest(&d.key, fast(10, "B")).await;
    assert_eq!(scan(&app).await.opened, 1);
    let open: Vec<Value> = app.get_json(admin, "/cameras/outages?open=true").await;
    assert_eq!(
        (open[0]["camera_id"].as_i64(), &open[0]["kind"], &open[0]["refused_reads"]),
        (Some(d.far), &json!("refusing"), &json!(10))
    );
    app.ingest(&d.key, vec![read("FIXED1", "FAR", &ts(app.clock.now()))]).await;
    app.clock.advance(Duration::seconds(10));
    assert_eq!(scan(&app).await.ended, 1);

    // The report's technical difficulties: the silent hour, the refusals, on the tfl feed.
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let report: Value = app.get_json(&aud, "/oversight/report?year=2026").await;
    let figure = |item: &str| {
        report["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["section"] == "Technical difficulties" && f["item"] == item)
            .unwrap()["count"]
            .clone()
    };
    let few = json!("fewer than 5");
    assert_eq!(figure("Camera outages"), few, "two outages, withheld at the default k");
    assert_eq!((figure("Silent for longer than usual"), figure("Refusing reads")), (few.clone(), few.clone()));
    assert_eq!((figure("1 to 6 hours"), figure("Under 1 hour")), (few.clone(), few.clone()));
    assert_eq!((figure("6 to 24 hours"), figure("Still out when drawn")), (json!(0), json!(0)));
    assert_eq!(figure("Feed: tfl"), few);
}

/// Seeded data on each table the report reads; each figure equals the count of its rows, and the
/// heads it names are the audit chains' heads when the drawing was recorded.
async fn each_figure_is_the_count_of_its_rows_and_the_heads_are_the_chains(app: TestApp) {
    let inv = app.investigator("inv", AccessTier::Central).await;
    let now = app.clock.now();
    let scope = plates_scope(&["AB12CDE"], now - Months::new(2), now + Duration::days(1));
    let mut ids = Vec::new();
    for crime in ["Burglary", "Burglary", "Robbery", "Theft", "Theft", "Theft"] {
        let mut body = request("serious", scope.clone());
        body["crime_type"] = json!(crime);
        ids.push(app.approved(&inv, body).await);
    }
    let rejected = app.submit_request(&inv, &request("volume", scope.clone())).await;
    let sup = app.supervisor("sup", Rank::Inspector).await;
    let r = app
        .decide_request(
            &sup,
            &rejected["id"],
            json!({ "approve": false, "rationale": "Not proportionate to the offence" }),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    for (i, id) in ids.iter().enumerate() {
        for _ in 0..=i {
            let r = app.search(&inv, *id, plate("AB12CDE", "exact"), now - Months::new(2), now).await;
            assert_eq!(r.status(), StatusCode::CREATED);
        }
    }
    for (id, outcome) in ids.iter().zip([
        "suspect_identified",
        "suspect_identified",
        "no_value",
        "eliminated",
        "eliminated",
        "eliminated",
    ]) {
        let r = inv
            .post(app.api(&format!("/requests/{id}/outcome")))
            .json(&json!({ "outcome": outcome, "note": "closing the enquiry" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    for _ in 0..5 {
        let r = aud
            .post(app.api("/registers/breaches"))
            .json(&json!({ "happened_on": "2026-01-05", "what": "A screen left unlocked in the office" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }

    let report: Value = app.get_json(&aud, "/oversight/report?from=2026-01-01&to=2026-03-02").await;
    let figure = |section: &str, item: &str| {
        report["figures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["section"] == section && f["item"] == item)
            .unwrap_or_else(|| panic!("{section} / {item}"))["count"]
            .clone()
    };
    let searches = count(&app, "SELECT COUNT(*) FROM searches").await;
    assert_eq!(searches, 21);
    assert_eq!(figure("Summary of use", "All searches"), json!(searches));
    assert_eq!(figure("Summary of use", "Purpose: Crime investigation"), json!(searches));
    assert_eq!(
        figure("Summary of use", "Crime type: Theft"),
        shown(
            count(
                &app,
                "SELECT COUNT(*) FROM searches s JOIN requests q ON q.id = s.request_id WHERE q.crime_type = 'Theft'"
            )
            .await
        )
    );
    // Burglary (1 + 2 searches) and robbery (3) are each searched fewer than 5 times: counted
    // together, not named.
    assert_eq!(
        figure("Summary of use", "Crime type: others, each fewer than 5"),
        shown(
            count(
                &app,
                "SELECT COUNT(*) FROM searches s JOIN requests q ON q.id = s.request_id \
                 WHERE q.crime_type IN ('Burglary', 'Robbery')"
            )
            .await
        )
    );
    assert_eq!(
        figure("Requests", "Search requests submitted"),
        shown(count(&app, "SELECT COUNT(*) FROM requests").await)
    );
    assert_eq!(figure("Requests", "Approved"), json!(6));
    assert_eq!(figure("Requests", "Approved, serious crime"), json!(6));
    assert_eq!(figure("Requests", "Rejected"), json!("fewer than 5"), "one rejection");
    assert_eq!(
        figure("Difficulties", "Breaches recorded"),
        shown(count(&app, "SELECT COUNT(*) FROM register_entries WHERE register = 'breach'").await)
    );
    assert_eq!(figure("Usefulness", "Requests closed with an outcome"), json!(6));
    assert_eq!(figure("Usefulness", "Eliminated from enquiries"), json!("fewer than 5"), "three");
    assert_eq!(figure("Audit", "Searches sampled"), shown(count(&app, "SELECT COUNT(*) FROM audit_samples").await));

    // The heads it names are those the drawing's own audit row recorded, and each is the hash
    // of that row of its chain.
    let heads = report["heads"].as_array().unwrap();
    assert!(!heads.is_empty());
    let drawn = app.audit_rows("report_drawn").await;
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].details["heads"], report["heads"]);
    assert_eq!(drawn[0].details["from"], "2026-01-01");
    let mut conn = app.raw_conn().await;
    for head in heads {
        let hash: String = sqlx::query("SELECT hash FROM audit_log WHERE chain = $1 AND chain_seq = $2")
            .bind(head["chain"].as_str().unwrap())
            .bind(head["seq"].as_i64().unwrap())
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .try_get("hash")
            .unwrap();
        assert_eq!(hash, head["hash"].as_str().unwrap());
    }
    assert_eq!(report["chains"]["first_broken"], Value::Null);

    // The PDF has every section and the heads; bad periods are named.
    let r = app.get(&aud, "/oversight/report?year=2026&format=pdf").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = String::from_utf8_lossy(&r.bytes().await.unwrap()).into_owned();
    assert!(pdf.starts_with("%PDF"));
    for section in shared::oversight::SECTIONS {
        assert!(pdf.contains(section), "{section} missing from the PDF");
    }
    assert!(pdf.contains(heads[0]["hash"].as_str().unwrap()));
    refused(
        app.get(&aud, "/oversight/report?from=2026-03-01&to=2026-02-01").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "before",
    )
    .await;
    refused(
        app.get(&aud, "/oversight/report?from=2026-03-01&to=2026-03-03").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "after today",
    )
    .await;
    refused(app.get(&aud, "/oversight/report?from=2026-03-01").await, StatusCode::UNPROCESSABLE_ENTITY, "to").await;
    refused(app.get(&inv, "/oversight/report?year=2026").await, StatusCode::FORBIDDEN, "Auditor").await;
}

/// Intensity per camera, cell and zone, and the extract, from the hourly counts: no plate in
/// either; 4 reads at a camera read "fewer than 5", 5 are shown.
async fn intensity_and_extract_are_aggregates_with_small_counts_withheld(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let at = |m: i64| ts(now - Duration::minutes(m));
    let mut reads: Vec<Value> = (0..5).map(|m| read(&format!("INT{m}A"), "N1", &at(50 - m))).collect();
    reads.extend((0..4).map(|m| read(&format!("INT{m}B"), "N2", &at(50 - m))));
    app.ingest(&d.key, reads).await;
    app.clock.advance(Duration::seconds(10));
    scan(&app).await;
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let found: Value = app.get_json(&aud, "/oversight/intensity?year=2026").await;
    let camera =
        |id: i64| found["cameras"].as_array().unwrap().iter().find(|c| c["camera_id"] == id).unwrap()["reads"].clone();
    assert_eq!(camera(d.n1), json!(5));
    assert_eq!(camera(d.n2), json!("fewer than 5"));
    assert_eq!(camera(d.far), json!(0));
    assert_eq!(found["zones"], json!([{ "zone": "ccz", "cameras": 3, "reads": 9 }]));
    let cells = found["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 3, "N1, N2 and FAR are kilometres apart");
    assert!(!found.to_string().contains("INT0A"));
    assert_eq!(app.audit_rows("oversight_viewed").await.len(), 1);

    let r = app.get(&aud, "/oversight/extract?year=2026").await;
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    assert!(csv.starts_with("\"measure\",\"key\",\"period_start\",\"count\"\n"), "{csv}");
    assert!(csv.contains(&format!("\"reads_per_camera_hour\",\"camera {}\"", d.n1)));
    assert!(csv.contains("\"fewer than 5\""), "{csv}");
    assert!(!csv.contains("INT"), "no plate leaves in the extract");
    refused(
        app.get(&aud, "/oversight/extract?from=2025-01-01&to=2026-03-01").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "at most 366",
    )
    .await;
    let admin = &d.admin;
    assert_eq!(
        app.get(admin, "/oversight/intensity?year=2026").await.status(),
        StatusCode::OK,
        "admins see coverage too"
    );
    refused(app.get(admin, "/oversight/extract?year=2026").await, StatusCode::FORBIDDEN, "Auditor").await;
    let inv = app.investigator("inv", AccessTier::Central).await;
    refused(app.get(&inv, "/oversight/intensity?year=2026").await, StatusCode::FORBIDDEN, "System admin or Auditor")
        .await;
}
