//! Exported data's lifecycle (R20, R21): every export has a keeper and a review date, which its
//! marking names; it falls due at that date or when its request closes, whichever is first; a
//! keeper who does not answer within `exports.answer_days` has it escalated to the supervisor
//! who approved the request (a subject access disclosure: to the audit unit, R19's pattern);
//! auditors see every export still out, the longest overdue first; every answer and refusal is
//! audited.

use crate::helpers::{plate, plates_scope, read, refused, request, start_time, ts, Backend, TestApp};
use crate::on_every_backend;
use chrono::{DateTime, Duration, Months, SecondsFormat, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Role};

on_every_backend!(
    an_export_falls_due_at_its_review_date_and_escalates_unanswered with |c: &mut server::config::Config| {
        c.exports.review_days = 14;
    },
    closing_its_request_makes_an_export_due_at_once,
    auditors_see_every_export_out_the_longest_overdue_first,
);

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A central-tier investigator `name` with an approved request for plate `p` (approved, by a new
/// inspector `insp{request id}`, at the clock's instant), and a read of it stored.
async fn investigator_with_request(app: &TestApp, key: &str, name: &str, p: &str) -> (Client, i64) {
    let now = app.clock.now();
    app.ingest(key, vec![read(p, "N1", &ts(now - Duration::hours(3)))]).await;
    let inv = app.investigator(name, AccessTier::Central).await;
    let req = app.approved(&inv, request("serious", plates_scope(&[p], now - Months::new(2), now))).await;
    (inv, req)
}

/// Exports the results of a search for `p` under `req` as CSV; the file's text.
async fn export_csv(app: &TestApp, inv: &Client, req: i64, p: &str) -> String {
    let now = app.clock.now();
    let r = app.search(inv, req, plate(p, "exact"), now - Months::new(2), now).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let search_id = r.json::<Value>().await.unwrap()["search_id"].as_i64().unwrap();
    let body = json!({ "format": "csv", "recipient": "DC Hale, Burglary Squad" });
    let r = inv.post(app.api(&format!("/searches/{search_id}/export"))).json(&body).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn listed(app: &TestApp, client: &Client, which: &str) -> Vec<Value> {
    app.get_json(client, &format!("/exports?which={which}")).await
}

async fn answer(app: &TestApp, client: &Client, id: i64, body: Value) -> reqwest::Response {
    client.post(app.api(&format!("/exports/{id}/review"))).json(&body).send().await.unwrap()
}

async fn an_export_falls_due_at_its_review_date_and_escalates_unanswered(app: TestApp) {
    let d = app.desk().await;
    let t0 = app.clock.now();
    let (inv, req) = investigator_with_request(&app, &d.key, "ivy", "LIFE1").await;
    let csv = export_csv(&app, &inv, req, "LIFE1").await;

    // The marking names the review date (R20): `exports.review_days` (14 here) after the export.
    let review = t0 + Duration::days(14);
    assert!(csv.contains(&format!("\"Review by (UTC)\",\"{}\"", stamp(review))), "{csv}");

    let mine = listed(&app, &inv, "mine").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    let id = mine[0]["id"].as_i64().unwrap();
    assert_eq!((mine[0]["kind"].as_str(), mine[0]["state"].as_str()), (Some("spreadsheet"), Some("not_due")));
    assert_eq!(mine[0]["keeper"], "Test ivy");
    assert_eq!(mine[0]["reference"], "REQ-2026-000001");
    assert_eq!(mine[0]["escalates_to"], format!("Test insp{req}"));
    assert_eq!(mine[0]["due_because"], "review_date");

    // Not due one second before its review date; due at it.
    app.clock.set(review - Duration::seconds(1));
    assert_eq!(listed(&app, &inv, "mine").await[0]["state"], "not_due");
    app.clock.set(review);
    assert_eq!(listed(&app, &inv, "mine").await[0]["state"], "due");

    // Unanswered for `exports.answer_days` (7), it escalates to the supervisor who approved its
    // request — not one second sooner.
    let sup = app.sign_in(&format!("insp{req}")).await;
    app.clock.set(review + Duration::days(7) - Duration::seconds(1));
    assert_eq!(listed(&app, &inv, "mine").await[0]["state"], "due");
    assert!(listed(&app, &sup, "mine").await.is_empty());
    refused(
        answer(&app, &sup, id, json!({ "answer": "deleted", "note": "x" })).await,
        StatusCode::NOT_FOUND,
        "no export",
    )
    .await;
    app.clock.set(review + Duration::days(7));
    assert_eq!(listed(&app, &inv, "mine").await[0]["state"], "escalated");
    let escalated = listed(&app, &sup, "mine").await;
    assert_eq!((escalated.len(), escalated[0]["state"].as_str()), (1, Some("escalated")));

    // Someone else's export is as absent as one that does not exist, and the refusal is audited.
    let other = app.investigator("other", AccessTier::Central).await;
    let still = json!({ "answer": "still_needed", "note": "Trial in May", "review_at": ts(app.clock.now() + Duration::days(30)) });
    refused(answer(&app, &other, id, still.clone()).await, StatusCode::NOT_FOUND, "no export").await;
    let refusals = app.audit_rows("export_review_refused").await;
    assert_eq!(refusals.len(), 2, "{refusals:?}");
    assert_eq!((refusals[1].actor.as_str(), refusals[1].details["asked"]["export_id"].as_i64()), ("other", Some(id)));

    // A bad new date is refused naming the field: in the past, or beyond the reads' retention
    // from the export (R18); a still needed without why.
    for (body, words) in [
        (
            json!({ "answer": "still_needed", "note": "Trial", "review_at": ts(app.clock.now() - Duration::days(1)) }),
            "not after now",
        ),
        (json!({ "answer": "still_needed", "note": "Trial", "review_at": ts(t0 + Months::new(13)) }), "12 months"),
        (json!({ "answer": "still_needed", "note": "Trial" }), "new review date"),
        (json!({ "answer": "still_needed", "note": " ", "review_at": ts(app.clock.now() + Duration::days(3)) }), "why"),
    ] {
        let r = answer(&app, &sup, id, body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains(words), "{body}");
        assert!(body["fields"][0]["field"] == "review_at" || body["fields"][0]["field"] == "note", "{body}");
    }

    // The supervisor it escalated to answers: still needed, until a new date. Its request's
    // approval (28 days from t0) ends before that date, so that is when it is due again.
    let r = answer(&app, &sup, id, still).await;
    assert_eq!(r.status(), StatusCode::OK);
    let answered: Value = r.json().await.unwrap();
    assert_eq!(answered["state"], "not_due");
    assert_eq!(answered["review_at"], ts(app.clock.now() + Duration::days(30)));
    assert_eq!(
        (answered["due_at"].as_str(), answered["due_because"].as_str()),
        (Some(ts(t0 + Duration::days(28))).as_deref(), Some("request_ended"))
    );
    assert!(listed(&app, &sup, "mine").await.is_empty(), "no longer escalated");
    let reviewed = app.audit_rows("export_reviewed").await;
    assert_eq!(reviewed.len(), 1);
    assert_eq!(
        (reviewed[0].actor.as_str(), reviewed[0].details["answer"].as_str()),
        (format!("insp{req}").as_str(), Some("still_needed"))
    );
    assert_eq!(
        (reviewed[0].details["state"].as_str(), reviewed[0].details["by_keeper"].as_bool()),
        (Some("escalated"), Some(false))
    );

    // The keeper says it was deleted: it is out no longer, and answered once only.
    let r = answer(&app, &inv, id, json!({ "answer": "deleted", "note": "Shredded the print, file removed" })).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.json::<Value>().await.unwrap()["deleted_at"].is_string());
    assert!(listed(&app, &inv, "mine").await.is_empty());
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    assert!(listed(&app, &aud, "out").await.is_empty());
    refused(answer(&app, &inv, id, json!({ "answer": "deleted" })).await, StatusCode::CONFLICT, "already").await;
    assert_eq!(app.audit_rows("export_reviewed").await.len(), 2);
}

async fn closing_its_request_makes_an_export_due_at_once(app: TestApp) {
    let d = app.desk().await;
    let (inv, req) = investigator_with_request(&app, &d.key, "ivy", "LIFE2").await;
    export_csv(&app, &inv, req, "LIFE2").await;
    let id = listed(&app, &inv, "mine").await[0]["id"].as_i64().unwrap();
    assert_eq!(listed(&app, &inv, "mine").await[0]["state"], "not_due");

    // The request closes with its outcome: the export is due at that instant.
    app.clock.advance(Duration::hours(1));
    let outcome = json!({ "outcome": "vehicle_located", "note": "Found at the address" });
    let r = inv.post(app.api(&format!("/requests/{req}/outcome"))).json(&outcome).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mine = listed(&app, &inv, "mine").await;
    assert_eq!((mine[0]["state"].as_str(), mine[0]["due_because"].as_str()), (Some("due"), Some("request_ended")));
    assert_eq!(mine[0]["due_at"], ts(app.clock.now()));

    // Still needed, with a new date: the closed request no longer makes it due; the date does.
    let new_date = app.clock.now() + Duration::days(60);
    let body = json!({ "answer": "still_needed", "note": "Court date set", "review_at": ts(new_date) });
    assert_eq!(answer(&app, &inv, id, body).await.status(), StatusCode::OK);
    let mine = listed(&app, &inv, "mine").await;
    assert_eq!((mine[0]["state"].as_str(), mine[0]["due_at"].as_str()), (Some("not_due"), Some(ts(new_date).as_str())));
    app.clock.set(new_date);
    assert_eq!(listed(&app, &inv, "mine").await[0]["state"], "due");
}

async fn auditors_see_every_export_out_the_longest_overdue_first(app: TestApp) {
    let d = app.desk().await;
    let t0 = app.clock.now();
    let (ivy, ivy_req) = investigator_with_request(&app, &d.key, "ivy", "LIFE3").await;
    export_csv(&app, &ivy, ivy_req, "LIFE3").await;
    app.clock.advance(Duration::days(1));
    let (joe, joe_req) = investigator_with_request(&app, &d.key, "joe", "LIFE4").await;
    export_csv(&app, &joe, joe_req, "LIFE4").await;

    // A subject access disclosure is an export its auditor keeps, naming its review date.
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let body = json!({ "happened_on": "2026-03-01", "what": "Where has my car been seen?", "plate": "LIFE3" });
    let entry: Value = app.post_json(&aud, "/registers/subject-access", &body).await;
    let r = aud.post(app.api(&format!("/registers/subject-access/{}/search", entry["id"]))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let disclosure: Value = r.json().await.unwrap();
    assert_eq!(disclosure["review_by"], ts(app.clock.now() + Duration::days(28)));
    let searched = app.audit_rows("subject_access_searched").await;
    assert_eq!(searched[0].details["export_id"], disclosure["export_id"]);

    // Joe's request is withdrawn a day later: his export is due at once, before Ivy's.
    app.clock.advance(Duration::days(1));
    let r = joe.post(app.api(&format!("/requests/{joe_req}/withdraw"))).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let out = listed(&app, &aud, "out").await;
    let keepers: Vec<&str> = out.iter().map(|x| x["keeper"].as_str().unwrap()).collect();
    assert_eq!(keepers, ["Test joe", "Test ivy", "Test aud"], "{out:?}");
    assert_eq!(out[0]["state"], "due");
    assert_eq!(out[1]["due_at"], ts(t0 + Duration::days(28)));
    assert_eq!((out[2]["kind"].as_str(), out[2]["escalates_to"].as_str()), (Some("disclosure"), None));
    let listings = app.audit_rows("exports_listed").await;
    assert_eq!(listings.last().unwrap().details["which"], "out");

    // Only auditors list every export out; the refusal is audited.
    refused(app.get(&ivy, "/exports?which=out").await, StatusCode::FORBIDDEN, "Auditor").await;
    let refusals = app.audit_rows("access_refused").await;
    assert_eq!((refusals[0].actor.as_str(), refusals[0].details["asked"]["which"].as_str()), ("ivy", Some("out")));
    assert_eq!(listed(&app, &ivy, "mine").await.len(), 1);

    // Unanswered, the disclosure escalates to the audit unit: another auditor sees it and answers.
    let aud2 = app.signed_in("aud2", &[Role::Auditor]).await;
    let id = disclosure["export_id"].as_i64().unwrap();
    assert!(listed(&app, &aud2, "mine").await.is_empty());
    app.clock.set(t0 + Duration::days(1 + 28 + 7));
    let mine = listed(&app, &aud2, "mine").await;
    assert_eq!((mine.len(), mine[0]["id"].as_i64(), mine[0]["state"].as_str()), (1, Some(id), Some("escalated")));
    let r =
        answer(&app, &aud2, id, json!({ "answer": "deleted", "note": "Sent to the subject; our copy removed" })).await;
    assert_eq!(r.status(), StatusCode::OK);
    let out = listed(&app, &aud, "out").await;
    assert_eq!(out.iter().map(|x| x["state"].as_str().unwrap()).collect::<Vec<_>>(), ["escalated", "escalated"]);
}

/// What a database held before exports were kept: a keeper, a request approved by `Sup` (until
/// 40 days after the start), its search, and a spreadsheet and a statement exported at the start.
const BEFORE: [&str; 4] = [
    "INSERT INTO users (username, display_name, password_hash, created_at, updated_at) \
     VALUES ('ivy', 'Ivy', 'x', 0, 0), ('sup', 'Sup', 'x', 0, 0)",
    "INSERT INTO requests (reference, requester_id, submitted_at, purpose, reason, crime_type, seriousness, scope, \
     handling, surveillance, status, decided_by, decided_at, expires_at) VALUES ('REQ-2026-000001', 1, 0, 'p', 'r', \
     'c', 'serious', '{}', 'h', 0, 'approved', 2, 1000, 1775898000000)",
    "INSERT INTO searches (user_id, request_id, at, capability, query, window_from, window_to, result_count, \
     beyond_standard) VALUES (1, 1, 100, 'plate_exact', '{}', 0, 1, 3, 0)",
    "INSERT INTO exports (user_id, search_id, format, recipient, transfer, row_count, at) \
     VALUES (1, 1, 'csv', 'DC Hale', 0, 3, 1772442000000), (1, 1, 'pdf', 'CPS', 1, 1, 1772442000000)",
];

/// Exports made before their lifecycle was kept survive the migration (0018), each under its
/// id, kept by who made it, under its search's request, due for review 28 days after it was
/// made, escalating to the supervisor who approved the request (R20).
async fn exports_made_before_survive_the_migration(backend: Backend) {
    let prepared = TestApp::spawn_prepared(
        backend,
        |_| {},
        async move |url: &str| {
            fn before_0018(all: &sqlx::migrate::Migrator) -> sqlx::migrate::Migrator {
                sqlx::migrate::Migrator {
                    migrations: all.migrations.iter().filter(|m| m.version < 18).cloned().collect::<Vec<_>>().into(),
                    ..sqlx::migrate::Migrator::DEFAULT
                }
            }
            match backend {
                Backend::Sqlite => {
                    let options = url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap().create_if_missing(true);
                    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                    before_0018(&sqlx::migrate!("./migrations/sqlite")).run(&pool).await.unwrap();
                    for sql in BEFORE {
                        sqlx::query(sql).execute(&pool).await.unwrap();
                    }
                    pool.close().await;
                }
                Backend::Postgres | Backend::Citus => {
                    let pool = sqlx::PgPool::connect(url).await.unwrap();
                    before_0018(&sqlx::migrate!("./migrations/postgres")).run(&pool).await.unwrap();
                    for sql in BEFORE {
                        sqlx::query(sql).execute(&pool).await.unwrap();
                    }
                    pool.close().await;
                }
            }
        },
    )
    .await;
    let Some(app) = prepared else { return };
    let aud = app.signed_in("aud", &[Role::Auditor]).await;
    let out = listed(&app, &aud, "out").await;
    let seen: Vec<(i64, &str, &str, &str)> = out
        .iter()
        .map(|x| {
            let text = |k: &str| x[k].as_str().unwrap();
            (x["id"].as_i64().unwrap(), text("kind"), text("keeper"), text("reference"))
        })
        .collect();
    assert_eq!(seen, [(1, "spreadsheet", "Ivy", "REQ-2026-000001"), (2, "statement", "Ivy", "REQ-2026-000001")]);
    for x in &out {
        assert_eq!(x["due_at"], ts(start_time() + Duration::days(28)));
        assert_eq!((x["escalates_to"].as_str(), x["state"].as_str()), (Some("Sup"), Some("not_due")));
    }
    assert_eq!((out[1]["recipient"].as_str(), out[1]["transfer"].as_bool()), (Some("CPS"), Some(true)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_made_before_survive_the_migration_on_sqlite() {
    exports_made_before_survive_the_migration(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_made_before_survive_the_migration_on_postgres() {
    exports_made_before_survive_the_migration(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exports_made_before_survive_the_migration_on_citus() {
    exports_made_before_survive_the_migration(Backend::Citus).await
}
