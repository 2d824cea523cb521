//! Ingest at the door (R1, R3, R21): a body not declared JSON is refused with 415, one over the
//! size limit with 413, and attempts without a valid feed key are limited per client address
//! (429) — each answered with the JSON error every API answer has.

use crate::helpers::{error_of, read, TestApp};
use crate::on_every_backend;
use reqwest::StatusCode;
use serde_json::{json, Value};
use shared::Role;

on_every_backend!(
    a_body_not_declared_json_is_refused_with_415,
    an_over_size_body_is_refused_with_a_json_413 with |c: &mut server::config::Config| {
        c.ingest_max_body_mib = 1;
    },
    attempts_without_a_valid_key_are_limited_per_address with |c: &mut server::config::Config| {
        c.limits.unauthenticated_ingest_per_minute_per_address = 6;
        c.limits.unauthenticated_ingest_burst_per_address = 3;
    },
);

/// POSTs `body` to `path` with `key` and, if given, `content_type`.
async fn post(
    app: &TestApp,
    key: &str,
    path: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app.client().post(app.api(path)).header("x-api-key", key);
    if let Some(t) = content_type {
        request = request.header("content-type", t);
    }
    request.body(body).send().await.unwrap()
}

fn is_json(r: &reqwest::Response) -> bool {
    r.headers()["content-type"].to_str().unwrap().starts_with("application/json")
}

/// Refused with `status` and a JSON error that says `words`.
async fn refused(r: reqwest::Response, status: StatusCode, words: &str) {
    assert_eq!(r.status(), status);
    assert!(is_json(&r), "{:?}", r.headers());
    let message = error_of(r).await;
    assert!(message.contains(words), "`{message}` should say `{words}`");
}

async fn a_body_not_declared_json_is_refused_with_415(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let batch = |second: u32| {
        json!({ "reads": [read("AB12CDE", "CAM-A", &format!("2026-03-02T08:00:{second:02}Z"))] }).to_string()
    };
    for (path, content_type) in [
        ("/ingest/reads", Some("text/plain")),
        ("/ingest/reads", None),
        ("/ingest/reads", Some("application/json-seq")),
        ("/ingest/reads", Some("application/x-www-form-urlencoded")),
        ("/ingest/openalpr", Some("text/plain; charset=utf-8")),
    ] {
        let r = post(&app, &net.key, path, content_type, batch(1)).await;
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{path} {content_type:?}");
        assert!(is_json(&r));
        let message = error_of(r).await;
        assert!(message.contains("Content-Type: application/json"), "{message}");
        match content_type {
            Some(t) => assert!(message.contains(&format!("`{t}`")), "{message}"),
            None => assert!(message.contains("not given"), "{message}"),
        }
    }
    assert!(app.stored_reads().await.is_empty(), "nothing refused is stored");
    let letters: Vec<Value> = app.get_json(&admin, "/ingest/dead-letters").await;
    assert!(letters.is_empty(), "an unread body is not kept");
    // Without a key, the key is what is refused first.
    refused(
        post(&app, "nonsense", "/ingest/reads", Some("text/plain"), batch(1)).await,
        StatusCode::UNAUTHORIZED,
        "unknown API key",
    )
    .await;

    // JSON, with parameters or as a +json type, is taken.
    for (second, content_type) in
        [(2, "application/json"), (3, "application/json; charset=utf-8"), (4, "application/vnd.anpr.reads+json")]
    {
        let r = post(&app, &net.key, "/ingest/reads", Some(content_type), batch(second)).await;
        assert_eq!(r.status(), StatusCode::OK, "{content_type}");
    }
    assert_eq!(app.stored_reads().await.len(), 3);
}

async fn an_over_size_body_is_refused_with_a_json_413(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let limit = 1024 * 1024;
    let padded = |size: usize| {
        let mut body = "{\"reads\": []}".to_owned();
        body.push_str(&" ".repeat(size - body.len()));
        body
    };
    // Exactly at the limit: read, and refused for what it holds.
    let r = post(&app, &net.key, "/ingest/reads", Some("application/json"), padded(limit)).await;
    refused(r, StatusCode::UNPROCESSABLE_ENTITY, "the batch holds no reads").await;
    // A byte over: 413, as JSON, declared length or not.
    let r = post(&app, &net.key, "/ingest/reads", Some("application/json"), padded(limit + 1)).await;
    refused(r, StatusCode::PAYLOAD_TOO_LARGE, "larger than the 1 MiB").await;
    let chunks: Vec<Result<String, std::io::Error>> = vec![Ok(padded(limit / 2)), Ok(padded(limit / 2 + 1))];
    let streamed = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let r = post(&app, &net.key, "/ingest/openalpr", Some("application/json"), streamed).await;
    refused(r, StatusCode::PAYLOAD_TOO_LARGE, "larger than the 1 MiB").await;
}

async fn attempts_without_a_valid_key_are_limited_per_address(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let body = |second: u32| json!({ "reads": [read("AB12CDE", "CAM-A", &format!("2026-03-02T08:00:{second:02}Z"))] });
    // The burst of three: each answered for what it is.
    refused(app.send_reads("nonsense", "/ingest/reads", &body(1)).await, StatusCode::UNAUTHORIZED, "unknown API key")
        .await;
    let no_key = app.client().post(app.api("/ingest/reads")).json(&body(1)).send().await.unwrap();
    refused(no_key, StatusCode::UNAUTHORIZED, "X-Api-Key").await;
    refused(
        app.send_reads("anpr_guess", "/ingest/openalpr", &body(1)).await,
        StatusCode::UNAUTHORIZED,
        "unknown API key",
    )
    .await;
    // The fourth from this address: 429, as JSON, with a wait.
    let r = app.send_reads("anpr_guess2", "/ingest/reads", &body(1)).await;
    let wait: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "one attempt comes back every 10 s: {wait}");
    refused(r, StatusCode::TOO_MANY_REQUESTS, "too many ingest attempts without a valid feed key from this address")
        .await;
    // A feed with its key, from the same address, is not held up.
    assert_eq!(app.send_reads(&net.key, "/ingest/reads", &body(2)).await.status(), StatusCode::OK);
    // Another address has its own allowance.
    let elsewhere =
        reqwest::Client::builder().local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap()).build().unwrap();
    let r =
        elsewhere.post(app.api("/ingest/reads")).header("x-api-key", "nonsense").json(&body(3)).send().await.unwrap();
    refused(r, StatusCode::UNAUTHORIZED, "unknown API key").await;
    assert_eq!(app.stored_reads().await.len(), 1);
}
