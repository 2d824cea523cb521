//! Rate limits: per address on the session API and on sign-in, per feed on ingest. Beyond a
//! limit the answer is 429 naming it, with `Retry-After`, before any work is done.

use crate::helpers::{error_of, read, Backend, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::json;
use shared::Role;

async fn limited() -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, |c| {
        c.limits.sign_ins_per_minute_per_address = 6;
        c.limits.sign_in_burst_per_address = 4;
        c.limits.requests_per_second_per_address = 5;
        c.limits.request_burst_per_address = 40;
        c.limits.ingest_requests_per_second_per_feed = 1;
        c.limits.ingest_burst_per_feed = 2;
    })
    .await
    .unwrap()
}

fn retry_after(r: &reqwest::Response) -> u64 {
    r.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn sign_ins_beyond_the_address_limit_are_refused_before_the_password_check() {
    let app = limited().await;
    app.create_user("gina", &[Role::Investigator]).await;
    let client = app.client();
    for _ in 0..3 {
        assert_eq!(app.login(&client, "gina", "wrong wrong wrong").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login(&client, "gina", PASSWORD).await.status(), StatusCode::OK, "the fourth is within the burst");
    let refused = app.login(&app.client(), "gina", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!((1..=10).contains(&retry_after(&refused)), "one attempt comes back every 10 s");
    assert_eq!(
        error_of(refused).await,
        "too many sign-in attempts from this address; slow down and retry after the time in Retry-After"
    );
    // Refused before the check: the username's own count is untouched and nothing is decided.
    assert_eq!(app.audit_rows("login_failed").await.len(), 3);
    assert_eq!(app.audit_rows("login_succeeded").await.len(), 1);
    // A signed-in session is not held up by the sign-in limit.
    assert_eq!(app.get(&client, "/auth/me").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_flood_of_requests_from_one_address_gets_429s() {
    let app = limited().await;
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let answers =
        futures_util::future::join_all((0..80).map(|_| async { admin.get(app.api("/auth/me")).send().await.unwrap() }))
            .await;
    let ok = answers.iter().filter(|r| r.status() == StatusCode::OK).count();
    let limited: Vec<_> = answers.iter().filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS).collect();
    assert_eq!(ok + limited.len(), 80, "nothing but answers and refusals");
    assert!((39..=45).contains(&ok), "the burst of 40, less the sign-in, and what refilled meanwhile: {ok}");
    assert!(limited.iter().all(|r| retry_after(r) >= 1));
}

#[tokio::test]
async fn each_feed_has_its_own_ingest_limit() {
    let app = limited().await;
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let tfl = app.network(&admin, "tfl").await;
    let other = app.network(&admin, "m25").await;
    let body = |second: u32| json!({ "reads": [read("AB12CDE", "CAM-A", &format!("2026-03-02T08:00:{second:02}Z"))] });
    assert_eq!(app.send_reads(&tfl.key, "/ingest/reads", &body(1)).await.status(), StatusCode::OK);
    assert_eq!(app.send_reads(&tfl.key, "/ingest/reads", &body(2)).await.status(), StatusCode::OK);
    let refused = app.send_reads(&tfl.key, "/ingest/reads", &body(3)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(retry_after(&refused), 1);
    assert!(error_of(refused).await.starts_with("too many ingest requests from this feed"));
    assert!(
        !app.stored_reads().await.iter().any(|r| r["captured_at"].as_str().unwrap().contains("08:00:03")),
        "not stored"
    );
    assert_eq!(
        app.send_reads(&other.key, "/ingest/reads", &body(4)).await.status(),
        StatusCode::OK,
        "another feed is not held up"
    );
    // A request without a valid key is refused as before, not counted against the feed.
    assert_eq!(app.send_reads("nonsense", "/ingest/reads", &body(5)).await.status(), StatusCode::UNAUTHORIZED);
}
