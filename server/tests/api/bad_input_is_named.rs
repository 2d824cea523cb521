//! Bad input gets a 4xx whose message names what is wrong; every API route needs a session and
//! the right role.

use crate::helpers::{error_of, TestApp};
use crate::on_every_backend;
use reqwest::{Method, StatusCode};
use serde_json::json;
use shared::Role;

on_every_backend!(
    malformed_bodies_are_refused_with_the_reason,
    every_api_route_needs_a_session,
    each_role_is_refused_what_it_may_not_reach,
    unknown_api_paths_answer_json_404,
    cross_site_requests_change_nothing,
);

async fn malformed_bodies_are_refused_with_the_reason(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let url = app.api("/users");

    let unknown_field = json!({ "username": "ivy", "display_name": "I", "password": "x".repeat(12),
                                "roles": ["auditor"], "is_superuser": true });
    let r = admin.post(&url).json(&unknown_field).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(r).await.contains("unknown field `is_superuser`"));

    let wrong_type = json!({ "username": "ivy", "display_name": 7, "password": "x".repeat(12), "roles": ["auditor"] });
    let r = admin.post(&url).json(&wrong_type).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_of(r).await.contains("display_name: invalid type: integer `7`, expected a string"));

    let r = admin.post(&url).header("content-type", "application/json").body("{\"username\": ").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(r).await.contains("EOF while parsing"));

    let r = admin.post(&url).body("{}").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(error_of(r).await.contains("Content-Type"));

    let huge =
        json!({ "username": "ivy", "display_name": "y".repeat(100_000), "password": "x".repeat(12), "roles": [] });
    let r = admin.post(&url).json(&huge).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(error_of(r).await.contains("length limit exceeded"));

    let r = admin.patch(app.api("/users/abc")).json(&json!({ "disabled": true })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(error_of(r).await.contains("Cannot parse `abc`"));

    let r = admin.patch(app.api("/users/1")).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(r).await, "the update changes nothing");
}

/// Every route of the API, with a body that would be valid.
fn routes() -> Vec<(Method, &'static str, Option<serde_json::Value>)> {
    vec![
        (Method::GET, "/auth/me", None),
        (Method::POST, "/auth/logout", None),
        (Method::GET, "/users", None),
        (
            Method::POST,
            "/users",
            Some(
                json!({ "username": "newbie", "display_name": "N", "password": "x".repeat(12), "roles": ["auditor"] }),
            ),
        ),
        (Method::PATCH, "/users/1", Some(json!({ "display_name": "Renamed" }))),
        (Method::GET, "/audit/entries", None),
        (Method::GET, "/audit/verify", None),
        (Method::GET, "/feeds", None),
        (Method::GET, "/cameras", None),
        (Method::GET, "/cameras/health", None),
        (Method::GET, "/watches", None),
        (Method::GET, "/searches/1/reads/1", None),
        (Method::GET, "/searches/1/reads/1/images/plate", None),
        (Method::GET, "/ingest/dead-letters", None),
        (Method::GET, "/hotlists", None),
        (
            Method::POST,
            "/hotlists",
            Some(json!({ "name": "VOI", "kind": "voi", "audience": { "type": "role", "role": "investigator" } })),
        ),
        (Method::GET, "/alerts", None),
    ]
}

async fn every_api_route_needs_a_session(app: TestApp) {
    let anonymous = app.client();
    for (method, path, body) in routes() {
        let mut request = anonymous.request(method.clone(), app.api(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let r = request.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(error_of(r).await, "sign in first");
    }
}

async fn each_role_is_refused_what_it_may_not_reach(app: TestApp) {
    // (role, routes it must not reach)
    let admin_only = [
        (Method::GET, "/users"),
        (Method::POST, "/users"),
        (Method::PATCH, "/users/1"),
        (Method::GET, "/feeds"),
        (Method::GET, "/ingest/dead-letters"),
        (Method::GET, "/cameras/health"),
    ];
    let auditor_only = [(Method::GET, "/audit/entries"), (Method::GET, "/audit/verify")];
    let hotlists_only = [(Method::GET, "/hotlists"), (Method::POST, "/hotlists")];
    let map = [(Method::GET, "/cameras")];
    // Reads are reached only by investigators, through a search or watch they ran (R10).
    let reads = [
        (Method::GET, "/watches"),
        (Method::GET, "/searches/1/reads/1"),
        (Method::GET, "/searches/1/reads/1/images/plate"),
    ];
    let all = |groups: &[&[(Method, &'static str)]]| groups.iter().flat_map(|g| g.iter().cloned()).collect::<Vec<_>>();
    let cases: Vec<(Role, Vec<(Method, &str)>)> = vec![
        (Role::Investigator, all(&[&admin_only, &auditor_only, &hotlists_only])),
        (Role::Supervisor, all(&[&admin_only, &auditor_only, &hotlists_only, &map, &reads])),
        (Role::HotlistAdmin, all(&[&admin_only, &auditor_only, &reads])),
        (Role::Auditor, all(&[&admin_only, &hotlists_only, &map, &reads])),
        (Role::SystemAdmin, all(&[&auditor_only, &hotlists_only, &reads])),
    ];
    let bodies = routes();
    for (role, refused) in cases {
        let client = app.signed_in(&format!("user.{}", role.as_str().replace('_', "-")), &[role]).await;
        for (method, path) in refused {
            let body = bodies.iter().find(|(m, p, _)| *m == method && *p == path).and_then(|(_, _, b)| b.clone());
            let mut request = client.request(method.clone(), app.api(path));
            if let Some(body) = body {
                request = request.json(&body);
            }
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role:?}: {method} {path}");
            assert!(error_of(r).await.starts_with("this needs the role"));
        }
    }
    // Nothing a refused request asked for happened.
    assert!(app.audit_rows("user_created").await.iter().all(|e| e.subject.as_deref() != Some("newbie")));
    assert!(app.audit_rows("user_updated").await.is_empty());
}

async fn unknown_api_paths_answer_json_404(app: TestApp) {
    let r = app.client().get(app.api("/no/such/thing")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(error_of(r).await, "no such API endpoint");
}

/// A page elsewhere cannot make a signed-in user's browser change anything: a foreign `Origin`
/// or `Sec-Fetch-Site`, or a content type a plain form can send, is refused; the hotlist import
/// accepts CSV from the site itself.
async fn cross_site_requests_change_nothing(app: TestApp) {
    let hotlister = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let list = json!({ "name": "VOI", "kind": "voi", "audience": { "type": "role", "role": "investigator" } });
    let host = app.address.trim_start_matches("http://").to_owned();
    let create = |origin: Option<&str>, site: Option<&str>| {
        let mut r = hotlister.post(app.api("/hotlists")).json(&list);
        if let Some(o) = origin {
            r = r.header("origin", o);
        }
        if let Some(s) = site {
            r = r.header("sec-fetch-site", s);
        }
        r.send()
    };
    let r = create(Some("https://evil.example"), None).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(error_of(r).await.contains("https://evil.example"));
    assert_eq!(create(None, Some("cross-site")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(create(None, Some("same-site")).await.unwrap().status(), StatusCode::FORBIDDEN);
    assert_eq!(app.audit_rows("hotlist_created").await.len(), 0, "nothing was created");
    let own = format!("http://{host}");
    assert_eq!(create(Some(&own), Some("same-origin")).await.unwrap().status(), StatusCode::CREATED);

    let csv = "vrm,intelligence_ref,reason,warning_markers,action\nAB12CDE,INT/1,stolen vehicle,,\n";
    for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
        let r = hotlister
            .post(app.api("/hotlists/1/import"))
            .header("content-type", content_type)
            .body(csv)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
    }
    let r = hotlister
        .post(app.api("/hotlists/1/import"))
        .header("content-type", "text/csv")
        .header("origin", own)
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
