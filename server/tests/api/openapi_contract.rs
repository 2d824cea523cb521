//! The API's contract is whole: every operation the OpenAPI document names is served, every
//! route the API serves is in the document, and the document and its reference page are
//! served — the page's files by the server itself, no internet needed.

use crate::helpers::{Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use shared::endpoints::{ALL, BASE, DOCS, OPENAPI};

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

async fn app() -> TestApp {
    TestApp::spawn(Backend::Sqlite).await.expect("sqlite")
}

async fn contract(app: &TestApp) -> Value {
    let r = app.client().get(app.api(OPENAPI)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let kind = r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/json"), "{kind}");
    r.json().await.expect("the contract is JSON")
}

/// `template` with each parameter given a value of its kind.
fn filled(template: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').unwrap();
        out.push_str(&rest[..open]);
        out.push_str(match &rest[open + 1..close] {
            "kind" => "plate",
            "register" => "breaches",
            _ => "1",
        });
        rest = &rest[close + 1..];
    }
    out + rest
}

/// Whether `response` is the router's own answer for a route or method it does not have.
async fn unrouted(response: reqwest::Response) -> Option<String> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let error = body["error"].as_str().unwrap_or_default().to_owned();
    (status == StatusCode::METHOD_NOT_ALLOWED || (status == StatusCode::NOT_FOUND && error == "no such API endpoint"))
        .then(|| format!("{status}: {error}"))
}

/// `value`, or what its `$ref` points to within `doc`.
fn resolved<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(&Value::Null),
        None => value,
    }
}

fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                out.push((path.clone(), method.to_owned(), op.clone()));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_is_openapi_3_1_with_roles_and_the_error_shape() {
    let app = app().await;
    let doc = contract(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert!(doc["components"]["schemas"]["ErrorBody"]["properties"]["error"].is_object());
    assert_eq!(doc["components"]["securitySchemes"]["anpr_session"]["in"], "cookie");
    assert_eq!(doc["components"]["securitySchemes"]["api_key"]["name"], "X-Api-Key");
    let ops = operations(&doc);
    assert!(ops.len() > 90, "only {} operations", ops.len());
    let mut ids = std::collections::HashSet::new();
    for (path, method, op) in &ops {
        let what = format!("{method} {path}");
        assert!(ids.insert(op["operationId"].as_str().unwrap().to_owned()), "{what}: its operationId repeats");
        let description = op["description"].as_str().unwrap_or_default();
        assert!(description.contains("Role: ") || description.contains("Who: "), "{what} says who may call it");
        let schemes: Vec<&str> = op["security"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r.as_object().unwrap().keys().map(String::as_str))
            .collect();
        if path == &format!("{BASE}{}", shared::endpoints::SIGN_IN) {
            assert!(schemes.is_empty(), "{what} is public");
        } else if path == &format!("{BASE}{}", shared::endpoints::INGEST_HIKVISION) {
            // Cameras that cannot send a header of their own give the key as a Basic password.
            assert_eq!(schemes, ["api_key", "feed_password"], "{what}");
        } else if path.starts_with(&format!("{BASE}/ingest/")) && !path.ends_with("/dead-letters") {
            assert_eq!(schemes, ["api_key"], "{what}");
        } else {
            assert!(!schemes.is_empty() && schemes.iter().all(|s| *s == "anpr_session"), "{what}: {schemes:?}");
        }
        for (status, response) in op["responses"].as_object().unwrap() {
            let response = resolved(&doc, response);
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            if status.starts_with('4') && !(path.starts_with(&format!("{BASE}/ingest/")) && status == "422") {
                assert_eq!(schema, "#/components/schemas/ErrorBody", "{what} {status}");
            }
        }
        assert!(op["responses"]["401"].is_object() || schemes.is_empty(), "{what}: 401 without a session");
    }
    // The roles are the extractors': a supervisor's queue is not an investigator's.
    let decide = &doc["paths"][format!("{BASE}/requests/{{id}}/decision")]["post"];
    assert_eq!(decide["x-roles"], serde_json::json!(["supervisor"]));
    assert!(decide["description"].as_str().unwrap().contains("Role: supervisor."));
    // A feed's batch refused with 422 is either the report (every read refused, each with why)
    // or the error (the payload refused whole).
    let refused = &doc["paths"][format!("{BASE}/ingest/reads")]["post"]["responses"]["422"];
    let refusal = resolved(&doc, &refused["content"]["application/json"]["schema"]);
    let kinds: Vec<&Value> =
        refusal["oneOf"].as_array().expect("one of two shapes").iter().map(|s| &s["$ref"]).collect();
    assert_eq!(kinds, ["#/components/schemas/IngestReport", "#/components/schemas/ErrorBody"]);
    let live = &doc["paths"][format!("{BASE}/alerts/live")]["get"];
    assert!(live["responses"]["200"]["content"]["text/event-stream"].is_object());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_operation_is_served() {
    let app = app().await;
    let doc = contract(&app).await;
    let client = app.client();
    let mut missing = Vec::new();
    for (path, method, _) in operations(&doc) {
        let url = app.url(&filled(&path));
        let r =
            client.request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), url).send().await.unwrap();
        if let Some(why) = unrouted(r).await {
            missing.push(format!("{method} {path} ({why})"));
        }
    }
    assert!(missing.is_empty(), "documented but not served: {missing:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_served_route_is_documented() {
    let app = app().await;
    let doc = contract(&app).await;
    let paths = doc["paths"].as_object().unwrap();
    // Every path the API has (one list of them all, kept whole by a unit test of `shared`) is
    // in the document, and no method is served on it that the document does not name.
    let client = app.client();
    let mut undocumented = Vec::new();
    for path in ALL {
        let full = format!("{BASE}{path}");
        let Some(item) = paths.get(&full) else {
            undocumented.push(format!("{full} (no such path in the document)"));
            continue;
        };
        for method in METHODS {
            if item.get(method).is_some() {
                continue;
            }
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = client.request(m, app.url(&filled(&full))).send().await.unwrap();
            if unrouted(r).await.is_none() {
                undocumented.push(format!("{method} {full}"));
            }
        }
    }
    // And the document names no path that is not one of them (a path spelt in a handler's
    // annotation, not written once in `shared::endpoints`).
    for path in paths.keys() {
        if !ALL.iter().any(|p| format!("{BASE}{p}") == *path) {
            undocumented.push(format!("{path} (in the document, not in shared::endpoints::ALL)"));
        }
    }
    assert!(undocumented.is_empty(), "{undocumented:#?}");

    // No resource routes around the document: a plain `.route(` in the HTTP layer is one the
    // contract cannot see. The few outside the API (health, the sign-in form, the document
    // itself) are in `mod.rs`.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let mut bypasses = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let source = std::fs::read_to_string(&path).unwrap();
        let count = source.matches(".route(").count() + source.matches(".route_service(").count();
        let allowed = match name.as_str() {
            "mod.rs" => 3,
            _ => 0,
        };
        if count != allowed {
            bypasses.push(format!("{name}: {count} plain routes (expected {allowed})"));
        }
    }
    assert!(bypasses.is_empty(), "routes outside the contract: {bypasses:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_page_and_its_files_are_served_by_the_server() {
    let app = app().await;
    // No session: the contract holds no personal data.
    let client = app.client();
    let r = client.get(app.url(DOCS)).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let r = client.get(app.url(&format!("{DOCS}/"))).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()[reqwest::header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("http") && !csp.contains("unsafe"), "nothing from elsewhere, nothing inline: {csp}");
    let page = r.text().await.unwrap();
    assert!(page.contains("swagger-ui-bundle.js"), "{page}");
    for (file, kind) in [
        ("swagger-ui-bundle.js", "javascript"),
        ("swagger-ui-standalone-preset.js", "javascript"),
        ("swagger-initializer.js", "javascript"),
        ("swagger-ui.css", "css"),
        ("index.css", "css"),
    ] {
        let r = client.get(app.url(&format!("{DOCS}/{file}"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{file}");
        let given = r.headers()[reqwest::header::CONTENT_TYPE].to_str().unwrap().to_owned();
        assert!(given.contains(kind), "{file}: {given}");
        let body = r.text().await.unwrap();
        assert!(body.len() > 100, "{file}");
        if file == "swagger-initializer.js" {
            assert!(body.contains(&format!("{BASE}{OPENAPI}")), "the page reads this server's contract: {body}");
        }
    }
}

/// Each operation that names its roles (`x-roles`) refuses a signed-in user holding only another
/// role, before reading its parameters or body: 403 in the error shape (who may call is in the
/// signature, and the document says it truly).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_refuses_the_roles_it_does_not_list() {
    let app = app().await;
    let doc = contract(&app).await;
    let mut clients = Vec::new();
    for role in shared::Role::ALL {
        clients.push((role, app.signed_in(&format!("only-{}", role.as_str().replace('_', "-")), &[role]).await));
    }
    let mut wrong = Vec::new();
    let mut tried = 0;
    for (path, method, op) in operations(&doc) {
        let Some(listed) = op["x-roles"].as_array() else { continue };
        let listed: Vec<&str> = listed.iter().filter_map(Value::as_str).collect();
        for (role, client) in clients.iter().filter(|(role, _)| !listed.contains(&role.as_str())) {
            let request = client
                .request(Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(), app.url(&filled(&path)))
                .timeout(std::time::Duration::from_secs(10));
            let request = if method == "get" || method == "delete" { request } else { request.json(&Value::Null) };
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            tried += 1;
            if status != StatusCode::FORBIDDEN || !body["error"].is_string() {
                wrong.push(format!("{method} {path} as {}: {status} {body}", role.as_str()));
            }
        }
    }
    assert!(tried > 200, "only {tried} calls");
    assert!(wrong.is_empty(), "not refused: {wrong:#?}");
}
