//! Several servers on one PostgreSQL database behave as one system (R4, R7, R21): a change
//! through one (an entry, a camera, a user) is in force on the other within a second, an alert
//! raised on one reaches its audience connected to the other, and a background job runs on one
//! server at a time.

use crate::helpers::{read, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::Role;
use std::time::{Duration, Instant};

crate::on_postgres_and_citus!(
    changes_and_alerts_on_one_server_reach_the_other,
    a_background_job_runs_on_one_server_at_a_time,
    a_node_name_is_held_by_one_live_server_at_a_time,
);

/// Sends one read to `server` until `done` says its effect is there, for at most a second;
/// returns how long that took.
async fn within_a_second<F, Fut>(mut attempt: F) -> Duration
where
    F: FnMut(u32) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    for i in 0.. {
        if attempt(i).await {
            return start.elapsed();
        }
        assert!(start.elapsed() < Duration::from_secs(1), "not in force on the other server within a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    unreachable!()
}

async fn changes_and_alerts_on_one_server_reach_the_other(app: TestApp) {
    let other = app.another_server("second").await;
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let watcher = app.signed_in("ivy", &[Role::Investigator]).await;
    // Both servers start with the cameras and an empty match index loaded.
    let warm = json!({ "reads": [read("WA12RMS", "CAM-A", "2026-03-02T07:00:00Z")] });
    assert_eq!(app.send_reads(&net.key, "/ingest/reads", &warm).await.status(), StatusCode::OK);
    let url = format!("{}/api/v1/ingest/reads", other.address);
    let via_other = |plate: &str, camera: &str, i: u32| {
        let body = json!({ "reads": [read(plate, camera, &format!("2026-03-02T08:{:02}:{:02}Z", i / 60, i % 60))] });
        app.client().post(&url).header("x-api-key", &net.key).json(&body).send()
    };
    assert_eq!(via_other("WA12RMS", "CAM-A", 0).await.unwrap().status(), StatusCode::OK);

    // A hotlist entry added through the first server matches on the second.
    let created: Value = app
        .post_json(
            &hotlister,
            "/hotlists",
            &json!({ "name": "Force VOI", "kind": "operation",
                                                      "audience": { "type": "role", "role": "investigator" } }),
        )
        .await;
    let mut stream = watcher.get(app.api("/alerts/live")).send().await.unwrap();
    let entry_id = app.new_entry(&hotlister, created["id"].as_i64().unwrap(), "AB12CDE").await;
    let took = within_a_second(|i| {
        let sent = via_other("AB12CDE", "CAM-A", i + 1);
        let db = app.db.clone();
        async move {
            assert_eq!(sent.await.unwrap().status(), StatusCode::OK);
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM alerts").fetch_one(db.pool()).await.unwrap() > 0
        }
    })
    .await;
    eprintln!("hotlist change in force on the other server after {took:?}");

    // The alert, raised on the second server, reaches its audience on the first.
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), stream.chunk()).await.expect("the alert in time");
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap().expect("open")));
    }
    assert!(text.starts_with("event: alert\n") && text.contains("AB12CDE"), "{text}");

    // The entry removed through the first server stops matching on the second: a read of the
    // plate there raises nothing more.
    let r = hotlister
        .post(app.api(&format!("/hotlists/entries/{entry_id}/remove")))
        .json(&json!({ "reason": "vehicle recovered" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let alerts = |db: server::store::Db| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM alerts").fetch_one(db.pool()).await.unwrap()
    };
    within_a_second(|i| {
        let sent = via_other("AB12CDE", "CAM-A", 50 + i);
        let db = app.db.clone();
        async move {
            let before = alerts(db.clone()).await;
            assert_eq!(sent.await.unwrap().status(), StatusCode::OK);
            alerts(db).await == before
        }
    })
    .await;

    // A user disabled through the first server is signed out on the second at once: users are
    // read afresh on every request, never cached.
    assert_eq!(watcher.get(other.api("/alerts")).send().await.unwrap().status(), StatusCode::OK);
    let ivy = app.user_id(&admin, "ivy").await;
    let r = admin.patch(app.api(&format!("/users/{ivy}"))).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(watcher.get(other.api("/alerts")).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);

    // A camera suspended through the first server is refused by the second.
    let cameras: Vec<Value> = app.get_json(&admin, "/cameras").await;
    let camera = cameras.iter().find(|c| c["external_id"] == "CAM-A").unwrap()["id"].as_i64().unwrap();
    let r = admin
        .patch(app.api(&format!("/cameras/{camera}/status")))
        .json(&json!({ "status": "suspended", "reason": "lens damaged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    within_a_second(|i| {
        let sent = via_other("CD34EFG", "CAM-A", 100 + i);
        async move { sent.await.unwrap().status() == StatusCode::UNPROCESSABLE_ENTITY }
    })
    .await;
}

/// A job runs on one server of a database at a time, by its name. (Named apart from the jobs the
/// test's own server runs on its intervals — clone scan, purge — which could hold them.)
async fn a_background_job_runs_on_one_server_at_a_time(app: TestApp) {
    let first = server::store::Db::connect(&app.database_url).await.unwrap();
    let second = server::store::Db::connect(&app.database_url).await.unwrap();
    let overlapped = first
        .as_only_runner("test job", async {
            // While the first server runs it, the second's turn finds it taken.
            second.as_only_runner("test job", async {}).await.unwrap()
        })
        .await
        .unwrap();
    assert_eq!(overlapped, Some(None));
    // Another job is not held up, and once the first is done the second may run it.
    assert_eq!(second.as_only_runner("another test job", async { 1 }).await.unwrap(), Some(1));
    assert_eq!(second.as_only_runner("test job", async { 2 }).await.unwrap(), Some(2));
}

/// A server refuses a node name another live server of its database holds (their audit chains
/// would be one chain written from two places, R21); the name is free again once that server
/// has gone.
async fn a_node_name_is_held_by_one_live_server_at_a_time(app: TestApp) {
    let first = app.another_server("alpha").await;
    let config = server::config::Config { node: "alpha".into(), ..app.config.clone() };
    let db = server::store::Db::connect(&app.database_url).await.unwrap();
    let clock = std::sync::Arc::new(app.clock.clone());
    let refused = server::Application::with_db(config.clone(), clock.clone(), db).await;
    let message = refused.err().expect("the name is taken").to_string();
    assert!(message.contains("`alpha` is held by another live server"), "{message}");
    drop(first);
    // Its connection closes as it stops: the name is free.
    let mut claimed = false;
    for _ in 0..50 {
        let db = server::store::Db::connect(&app.database_url).await.unwrap();
        if server::Application::with_db(config.clone(), clock.clone(), db).await.is_ok() {
            claimed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(claimed, "the name was not given back");
}
