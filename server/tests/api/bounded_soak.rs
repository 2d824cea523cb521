//! A bounded soak (R1, R7, R21): for a few seconds, reads one per POST from several feeds'
//! worth of clients, searches, sign-ins and an alert stream read slowly, all at once, with
//! clients that hang up half way through a body, and on PostgreSQL every database connection
//! cut half way through (as a database restart does). No 5xx but in the seconds after the cut,
//! and no read acknowledged and lost.

use crate::helpers::{read, request, ts, TestApp, PASSWORD};
use crate::on_every_backend;
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{json, Value};
use server::clock::Clock;
use shared::{AccessTier, Role};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

on_every_backend!(a_short_soak_loses_nothing_and_fails_no_one);

/// How long the soak runs.
const SOAK: std::time::Duration = std::time::Duration::from_secs(12);
/// When the database connections are cut (PostgreSQL), and how long failures are the fault's.
const CUT: std::time::Duration = std::time::Duration::from_secs(5);
const CUT_FELT: std::time::Duration = std::time::Duration::from_secs(3);

async fn a_short_soak_loses_nothing_and_fails_no_one(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let list = app.investigators_list(&hotlister).await;
    let entry = json!({ "vrm": "SK00AAA", "intelligence_ref": "INT/1", "reason": "wanted", "warning_markers": [],
                        "action": "report" });
    let r = hotlister.post(app.api(&format!("/hotlists/{list}/entries"))).json(&entry).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let now = app.clock.now();
    let scope =
        json!({ "plates": ["SK00AAA"], "from": ts(now - Duration::days(1)), "to": ts(now + Duration::hours(1)) });
    let req = app.approved(&inv, request("serious", scope)).await;

    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let during_cut = Arc::new(Mutex::new(Vec::<String>::new()));
    let cuts = app.backend.is_postgres();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let running = || start.elapsed() < SOAK;
    let note = |what: String| {
        let felt = cuts && (CUT..CUT + CUT_FELT).contains(&start.elapsed());
        if felt { during_cut.lock().unwrap() } else { failures.lock().unwrap() }.push(what)
    };
    // Every connection of the server's pool killed at once, as a database restart does.
    let cut = async {
        if cuts {
            tokio::time::sleep(CUT).await;
            let killed: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            )
            .fetch_all(app.db.pool())
            .await
            .expect("cut the connections");
            eprintln!("soak: cut {} database connections", killed.len());
        }
    };

    // Eight clients sending one read a POST, as recognition engines do; every tenth is listed.
    let feeders = (0..8).map(|client| {
        let (key, sent, acknowledged) = (net.key.clone(), sent.clone(), acknowledged.clone());
        let http = app.client();
        let url = app.api("/ingest/reads");
        async move {
            while running() {
                let n = sent.fetch_add(1, Ordering::Relaxed);
                let plate = if n % 10 == 0 { "SK00AAA".to_owned() } else { format!("SK{:02}{:03}", client, n % 1000) };
                let at = now - Duration::minutes(30) + Duration::milliseconds(n as i64);
                let body = json!({ "reads": [read(&plate, "CAM-A", &ts(at))] });
                match http.post(&url).header("x-api-key", &key).json(&body).send().await {
                    Ok(r) if r.status() == StatusCode::OK => {
                        let report: Value = r.json().await.unwrap();
                        if report["accepted"] == 1 {
                            acknowledged.lock().unwrap().push(format!("{plate}@{}", at.timestamp_millis()));
                        }
                    }
                    Ok(r) => note(format!("ingest answered {}", r.status())),
                    Err(e) => note(format!("ingest failed: {e}")),
                }
            }
        }
    });
    let searcher = async {
        while running() {
            let body = json!({ "request_id": req, "query": { "kind": "plate", "plate": "SK00AAA", "mode": "exact" },
                               "from": ts(now - Duration::days(1)), "to": ts(now + Duration::minutes(30)) });
            match inv.post(app.api("/searches")).json(&body).send().await {
                Ok(r) if r.status() == StatusCode::CREATED => {}
                Ok(r) => note(format!("search answered {}", r.status())),
                Err(e) => note(format!("search failed: {e}")),
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    let sign_ins = async {
        while running() {
            let status = app.login(&app.client(), "ivy", PASSWORD).await.status();
            if status != StatusCode::OK {
                note(format!("sign-in answered {status}"));
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    };
    // Clients that announce a body, send part of it and hang up.
    let hang_ups = async {
        use tokio::io::AsyncWriteExt;
        let address = app.address.trim_start_matches("http://").to_owned();
        while running() {
            if let Ok(mut socket) = tokio::net::TcpStream::connect(&address).await {
                let head = format!(
                    "POST /api/v1/ingest/reads HTTP/1.1\r\nhost: {address}\r\nx-api-key: {}\r\n\
                     content-type: application/json\r\ncontent-length: 100000\r\n\r\n{{\"reads\": [",
                    net.key
                );
                let _ = socket.write_all(head.as_bytes()).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    };
    // An alert stream read slowly: it must not hold anyone up, and still get its alerts.
    let listener = app.sign_in("ivy").await;
    let mut stream = listener.get(app.api("/alerts/live")).send().await.unwrap();
    let slow_reader = async {
        let mut text = String::new();
        while running() {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            match tokio::time::timeout(std::time::Duration::from_millis(200), stream.chunk()).await {
                Ok(Ok(Some(chunk))) => text.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Ok(None)) | Ok(Err(_)) => {
                    note("the alert stream ended".into());
                    break;
                }
                Err(_) => {}
            }
        }
        text
    };
    let (_, _, _, _, alerts, ()) =
        tokio::join!(futures_util::future::join_all(feeders), searcher, sign_ins, hang_ups, slow_reader, cut);

    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "{failures:?}");
    let during_cut = during_cut.lock().unwrap().clone();
    eprintln!("soak: {} failures in the {CUT_FELT:?} after the cut: {during_cut:?}", during_cut.len());
    assert!(alerts.contains("event: alert"), "the slow reader still got alerts");
    // Every acknowledged read is stored.
    let stored: std::collections::HashSet<String> = app
        .stored_reads()
        .await
        .iter()
        .map(|r| {
            let at = chrono::DateTime::parse_from_rfc3339(r["captured_at"].as_str().unwrap()).unwrap();
            format!("{}@{}", r["plate"].as_str().unwrap(), at.timestamp_millis())
        })
        .collect();
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() > 100, "only {} reads in {SOAK:?}", acknowledged.len());
    let lost: Vec<&String> = acknowledged.iter().filter(|a| !stored.contains(*a)).collect();
    assert!(lost.is_empty(), "acknowledged and lost: {lost:?}");
    eprintln!("soak: {} reads acknowledged in {SOAK:?}, all stored", acknowledged.len());
}
