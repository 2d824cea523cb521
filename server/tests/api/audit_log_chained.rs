//! The audit log (R21): append-only, hash-chained, and a break is found and named.

use crate::helpers::{plates_scope, read, request, ts, Backend, TestApp, PASSWORD};
use crate::on_every_backend;
use reqwest::StatusCode;
use serde_json::Value;
use shared::{ChainReport, Role};

crate::on_postgres_and_citus!(two_servers_append_at_once_each_to_its_own_chains);

on_every_backend!(
    the_chain_holds_after_ordinary_work,
    rows_cannot_be_changed_or_removed_through_the_database,
    a_tampered_row_is_found_and_named,
    rows_removed_from_the_end_are_noticed,
    concurrent_acts_never_fork_the_chain,
    the_command_line_verifier_names_the_broken_row,
    refusals_are_audited_and_the_audit_unit_filters_to_them,
    the_log_filters_by_who_what_when_and_text,
    tampering_in_any_chain_is_found,
    a_chain_cut_head_and_all_is_caught_by_the_anchor,
    the_chain_holds_while_acts_are_appended_during_a_check,
);

/// Sign-ins appended while the log is being checked (as on any working day, and when the
/// annual report verifies it) are not taken for rows cut from its end.
async fn the_chain_holds_while_acts_are_appended_during_a_check(app: TestApp) {
    let auditor = some_activity(&app).await;
    let busy = {
        let (client, url) = (app.client(), app.api("/auth/login"));
        tokio::spawn(async move {
            for _ in 0..200 {
                let body = serde_json::json!({ "username": "ivan", "password": "still not his password" });
                let _ = client.post(&url).json(&body).send().await;
            }
        })
    };
    for _ in 0..10 {
        let report = verify(&app, &auditor).await;
        assert!(report.intact(), "{report:?}");
    }
    busy.await.unwrap();
    assert!(verify(&app, &auditor).await.intact());
}

/// Failed sign-ins on two servers of one database at once: each server appends to its own
/// sign-in chain (no lock between them), and every chain holds. Several servers share a
/// PostgreSQL database; a SQLite file has one server.
async fn two_servers_append_at_once_each_to_its_own_chains(app: TestApp) {
    let auditor = some_activity(&app).await;
    let before = verify(&app, &auditor).await;
    let other = app.another_server("second").await;
    let attempts = (0..24).map(|i| {
        let client = app.client();
        let url = if i % 2 == 0 { app.api("/auth/login") } else { other.api("/auth/login") };
        async move {
            let body = serde_json::json!({ "username": format!("nobody{i}"), "password": "guess guess guess" });
            client.post(url).json(&body).send().await.unwrap().status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    let report = verify(&app, &auditor).await;
    assert!(report.intact(), "{report:?}");
    // The earlier verification's row, and the 24 sign-ins.
    assert_eq!(report.rows_checked, before.rows_checked + 1 + 24);
    let chains: Vec<String> = sqlx::query_scalar(
        "SELECT chain FROM audit_log WHERE action = 'login_failed' AND actor = '(unknown username)'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let on_second = chains.iter().filter(|c| c.as_str() == "sign-in@second").count();
    assert_eq!((chains.len(), on_second), (24, 12), "{chains:?}");
    assert!(report.chains_checked >= 3, "{report:?}");
}

/// A row changed in the second server's chain is named, with its chain, while the first
/// server's chains hold.
async fn tampering_in_any_chain_is_found(app: TestApp) {
    let auditor = some_activity(&app).await;
    let other = app.another_server("second").await;
    for i in 0..3 {
        let body = serde_json::json!({ "username": format!("nobody{i}"), "password": "guess guess guess" });
        app.client().post(other.api("/auth/login")).json(&body).send().await.unwrap();
    }
    let target: i64 = sqlx::query_scalar("SELECT seq FROM audit_log WHERE chain = 'sign-in@second' AND chain_seq = 2")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    tamper(&app, &format!("UPDATE audit_log SET actor = 'mallory' WHERE seq = {target}")).await;
    let report = verify(&app, &auditor).await;
    assert_eq!(report.first_broken, Some(target), "{report:?}");
    assert_eq!(report.chain.as_deref(), Some("sign-in@second"));
    assert_eq!(report.reason.as_deref(), Some("row content does not match its hash"));
}

/// Rows cut from the end of a chain together with its head look whole to the chain itself; the
/// anchor that sealed the head before gives the cut away. An anchor is written only when a chain
/// moved since the last.
async fn a_chain_cut_head_and_all_is_caught_by_the_anchor(app: TestApp) {
    use server::clock::Clock;
    let auditor = some_activity(&app).await;
    let first = server::audit::anchor(&app.db, app.clock.now()).await.unwrap();
    assert!(first.is_some());
    assert_eq!(server::audit::anchor(&app.db, app.clock.now()).await.unwrap(), None, "nothing moved");
    assert!(verify(&app, &auditor).await.intact());

    // The newest sign-in row goes, and its chain's head is set back to the row before.
    let chain: String =
        sqlx::query_scalar("SELECT chain FROM audit_log WHERE action = 'login_succeeded' ORDER BY seq DESC LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    let rows = sqlx::query_as::<_, (i64, i64, String)>(
        "SELECT seq, chain_seq, hash FROM audit_log WHERE chain = $1 ORDER BY chain_seq DESC LIMIT 2",
    )
    .bind(&chain)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    let (last, kept) = (&rows[0], &rows[1]);
    tamper(&app, &format!("DELETE FROM audit_log WHERE seq = {}", last.0)).await;
    sqlx::query("UPDATE audit_chains SET seq = $1, hash = $2, last_row = $3 WHERE chain = $4")
        .bind(kept.1)
        .bind(&kept.2)
        .bind(kept.0)
        .bind(&chain)
        .execute(&mut app.raw_conn().await)
        .await
        .unwrap();
    let report = verify(&app, &auditor).await;
    assert_eq!(report.first_broken, first, "{report:?}");
    assert_eq!(report.chain.as_deref(), Some(chain.as_str()));
    assert!(report.reason.as_deref().unwrap().starts_with("rows cut from the end of the chain"), "{report:?}");
}

/// Filters narrow together: by actor, act, time (from inclusive, to exclusive), text in the
/// subject or details (taken literally, `%` included), and without the feeds' ingest rows.
async fn the_log_filters_by_who_what_when_and_text(app: TestApp) {
    use chrono::Duration;
    use server::clock::Clock;
    let auditor = some_activity(&app).await;
    let start = app.clock.now();
    app.clock.advance(Duration::minutes(5));
    app.login(&app.client(), "ivan", "100% not his password").await;
    app.login(&app.client(), "nobody", "whatever it is").await;
    let list = |query: String| {
        let auditor = auditor.clone();
        let app = &app;
        async move {
            let r = auditor.get(app.api(&format!("/audit/entries?{query}"))).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{query}");
            r.json::<Vec<shared::AuditEntry>>().await.unwrap()
        }
    };
    let by_ivan = list("actor=ivan&action=login_failed".into()).await;
    assert_eq!(by_ivan.len(), 2, "{by_ivan:?}");
    assert!(by_ivan.iter().all(|e| e.actor == "ivan" && e.action == "login_failed"));
    let later = ts(start + Duration::minutes(5));
    let since = list(format!("action=login_failed&from={later}")).await;
    assert_eq!(
        since.iter().map(|e| e.actor.as_str()).collect::<Vec<_>>(),
        ["(unknown username)", "ivan"],
        "newest first"
    );
    let before = list(format!("action=login_failed&to={later}")).await;
    assert_eq!(before.len(), 1, "to is exclusive: {before:?}");
    // A feed's ingest row is in the log, and left out when asked.
    let root = app.signed_in("root", &[shared::Role::SystemAdmin]).await;
    let net = app.network(&root, "tfl").await;
    app.ingest(&net.key, vec![read("AB12CDE", "CAM-A", "2026-03-02T08:00:00Z")]).await;
    let everything = list("limit=1000".into()).await;
    assert!(everything.iter().any(|e| e.action == "reads_ingested"));
    let quiet = list("without_ingest=true&limit=1000".into()).await;
    // All but the one ingest row, and one more: the read of the log that listed everything.
    assert_eq!(quiet.len(), everything.len());
    assert!(quiet.iter().all(|e| e.action != "reads_ingested"));
    // Unknown acts and fields are refused by name.
    let r = auditor.get(app.api("/audit/entries?action=made_up")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(crate::helpers::error_of(r).await.contains("made_up"));
    let r = auditor.get(app.api("/audit/entries?colour=red")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Text is matched literally: `%` matches only a `%`.
    let literal = list("text=%25&action=audit_log_read".into()).await;
    assert!(literal.is_empty(), "no read of the log has asked for a literal % before this one: {literal:?}");
    let found = list("text=ivan".into()).await;
    assert!(found.iter().any(|e| e.actor == "ivan" || e.subject.as_deref().is_some_and(|s| s.contains("ivan"))));
}

/// Refused exports, statements, preservations and decisions are rows like the acts (R21), and
/// the audit unit can list only refusals; each read of the log is itself a row.
async fn refusals_are_audited_and_the_audit_unit_filters_to_them(app: TestApp) {
    use chrono::Duration;
    use server::clock::Clock;
    use shared::{AccessTier, Rank};
    let auditor = app.signed_in("audra", &[Role::Auditor]).await;
    let now = app.clock.now();
    let ivy = app.investigator("ivy", AccessTier::Local).await;
    let otto = app.investigator("otto", AccessTier::Local).await;
    let req = app.approved(&ivy, request("serious", plates_scope(&["AB12CDE"], now - Duration::days(3), now))).await;
    let body = serde_json::json!({ "request_id": req, "query": { "kind": "plate", "plate": "AB12CDE", "mode": "exact" },
                                   "from": ts(now - Duration::days(1)), "to": ts(now) });
    let search: Value = ivy.post(app.api("/searches")).json(&body).send().await.unwrap().json().await.unwrap();
    let search_id = search["search_id"].as_i64().unwrap();
    // Otto exports, preserves from and asks a statement over Ivy's search; Ivy decides her own.
    let export = serde_json::json!({ "format": "csv", "recipient": "DC Hale" });
    let r = otto.post(app.api(&format!("/searches/{search_id}/export"))).json(&export).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let statement = serde_json::json!({ "search_id": search_id, "read_ids": [1], "reason": "court" });
    let r = otto.post(app.api("/statements")).json(&statement).send().await.unwrap();
    assert!(r.status().is_client_error());
    let sup = app.supervisor("sam", Rank::Sergeant).await;
    let own =
        app.submit_request(&ivy, &request("serious", plates_scope(&["AB12CDE"], now - Duration::days(3), now))).await;
    let r = sup
        .post(app.api(&format!("/requests/{}/decision", own["id"])))
        .json(&serde_json::json!({ "approve": true, "rationale": "" }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());

    let refusals: Vec<Value> = app.get_json(&auditor, "/audit/entries?refusals=true").await;
    let actions: Vec<&str> = refusals.iter().map(|r| r["action"].as_str().unwrap()).collect();
    for wanted in ["export_refused", "statement_refused", "decision_refused"] {
        assert!(actions.contains(&wanted), "{wanted} in {actions:?}");
    }
    assert!(actions.iter().all(|a| a.ends_with("refused") || a.starts_with("login_")), "{actions:?}");
    let export_row = refusals.iter().find(|r| r["action"] == "export_refused").unwrap();
    assert_eq!(export_row["actor"], "otto");
    assert_eq!(export_row["details"]["asked"]["search_id"], search_id);
    assert!(export_row["details"]["reason"].as_str().unwrap().contains("no search"));
    let reads = app.audit_rows("audit_log_read").await;
    assert_eq!(reads.len(), 1);
    assert_eq!(reads[0].details["filter"]["refusals"], true);
}

async fn some_activity(app: &TestApp) -> reqwest::Client {
    let auditor = app.signed_in("audra", &[Role::Auditor]).await;
    app.create_user("ivan", &[Role::Investigator]).await;
    app.login(&app.client(), "ivan", "not his password!").await;
    app.login(&app.client(), "ivan", PASSWORD).await;
    auditor
}

async fn verify(app: &TestApp, auditor: &reqwest::Client) -> ChainReport {
    let r = auditor.get(app.api("/audit/verify")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Runs SQL that bypasses the append-only guard, as someone with direct database access could.
async fn tamper(app: &TestApp, sql: &str) {
    let (off, on) = match app.backend {
        Backend::Sqlite => (
            "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;".to_owned(),
            None::<String>,
        ),
        Backend::Postgres | Backend::Citus => (
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change".to_owned(),
            Some("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_change".to_owned()),
        ),
    };
    sqlx::raw_sql(&off).execute(&mut app.raw_conn().await).await.unwrap();
    sqlx::query(sql).execute(&mut app.raw_conn().await).await.unwrap();
    if let Some(on) = on {
        sqlx::query(&on).execute(&mut app.raw_conn().await).await.unwrap();
    }
}

async fn the_chain_holds_after_ordinary_work(app: TestApp) {
    let auditor = some_activity(&app).await;
    let report = verify(&app, &auditor).await;
    assert!(report.intact(), "{report:?}");
    // user_created ×2, login_succeeded ×2, login_failed ×1
    assert_eq!(report.rows_checked, 5);
    // The verification itself is recorded, and the chain still holds with it.
    let second = verify(&app, &auditor).await;
    assert_eq!((second.rows_checked, second.first_broken), (6, None));
    let entries: Vec<Value> = app.get_json(&auditor, "/audit/entries?limit=3").await;
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0]["action"], "audit_verified", "newest first");
    assert_eq!(entries[0]["details"]["rows_checked"], 6);
}

async fn rows_cannot_be_changed_or_removed_through_the_database(app: TestApp) {
    some_activity(&app).await;
    // The server itself writes only in a transaction: its pool refuses a write outside one.
    for sql in ["DELETE FROM audit_log WHERE seq = 1", "UPDATE users SET display_name = 'x'", "DELETE FROM reads"] {
        let outside = sqlx::query(sql).execute(app.db.pool()).await;
        let why = outside.expect_err("a write outside a transaction").to_string();
        assert!(why.contains("read-only") || why.contains("readonly"), "{why}");
    }
    // Anyone else with the database in hand meets the append-only triggers.
    let update = sqlx::query("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
        .execute(&mut app.raw_conn().await)
        .await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = sqlx::query("DELETE FROM audit_log WHERE seq = 1").execute(&mut app.raw_conn().await).await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

async fn a_tampered_row_is_found_and_named(app: TestApp) {
    let auditor = some_activity(&app).await;
    tamper(&app, "UPDATE audit_log SET details = '{\"reason\":\"nothing to see\"}' WHERE seq = 3").await;
    let report = verify(&app, &auditor).await;
    assert_eq!(report.first_broken, Some(3));
    assert_eq!(report.reason.as_deref(), Some("row content does not match its hash"));

    // Re-sealing the changed row does not help: the next row's link gives it away.
    let entries = server::audit::recent(&app.db, Some(4), 1).await.unwrap();
    let forged = &entries[0];
    assert_eq!(forged.seq, 3);
    tamper(&app, "UPDATE audit_log SET hash = 'f00d' WHERE seq = 3").await;
    let report = verify(&app, &auditor).await;
    assert_eq!(report.first_broken, Some(3), "{report:?}");
}

async fn rows_removed_from_the_end_are_noticed(app: TestApp) {
    let auditor = some_activity(&app).await;
    tamper(&app, "DELETE FROM audit_log WHERE seq = 5").await;
    let report = verify(&app, &auditor).await;
    assert_eq!(report.first_broken, Some(5));
    assert_eq!(report.reason.as_deref(), Some("rows missing from the end of the log"));
}

async fn concurrent_acts_never_fork_the_chain(app: TestApp) {
    let auditor = app.signed_in("audra", &[Role::Auditor]).await;
    let attempts = (0..24).map(|i| {
        let client = app.client();
        let url = app.api("/auth/login");
        async move {
            client
                .post(url)
                .json(&serde_json::json!({ "username": format!("nobody{i}"), "password": "guess guess guess" }))
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED));
    let report = verify(&app, &auditor).await;
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.rows_checked, 2 + 24);
}

async fn the_command_line_verifier_names_the_broken_row(app: TestApp) {
    some_activity(&app).await;
    let run = || app.run_cli(&["audit", "verify"], &[]);
    let ok = run();
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("audit chain intact: 5 rows checked"));

    tamper(&app, "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").await;
    let broken = run();
    assert_eq!(broken.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&broken.stdout).contains("audit chain BROKEN at row 2"));
}
