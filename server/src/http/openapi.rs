//! The API's contract: an OpenAPI 3.1 document drawn from the handlers' own declarations (each
//! resource's router is built from them, so a route cannot be served undocumented), served as
//! JSON at `/api/v1/openapi.json`, with a reference page at `/api/docs` whose files the server
//! serves itself. Both are public: the contract holds no personal data.
//!
//! Each operation names who may call it as the scopes of the session scheme (`anpr_session`):
//! one requirement per role that is enough (OpenAPI 3.1 lets a non-OAuth scheme list role names
//! there). [`document`] then writes that as a `Role:` line in the operation's description and an
//! `x-roles` list, tags the operation by its resource, and adds the error answers every such
//! operation can give, each the API's JSON error ([`shared::ErrorBody`]).

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::Router;
use shared::endpoints::{BASE, DOCS, OPENAPI};
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::ToSchema;

/// The security scheme of a signed-in user: the session cookie.
pub const SESSION: &str = super::SESSION_COOKIE;
/// The security scheme of a feed: its API key.
pub const API_KEY: &str = "api_key";
/// A feed's API key given as the password of HTTP Basic authentication (cameras that cannot
/// send a header of their own).
pub const FEED_PASSWORD: &str = "feed_password";

/// The finished document for the operations in `api` (paths relative to [`BASE`]).
pub fn document(api: OpenApi) -> OpenApi {
    let info = InfoBuilder::new()
        .title("ANPR investigation workbench API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The workbench's JSON API. A user signs in with `POST /api/v1/auth/login` and is then known by \
             the `anpr_session` cookie; a state-changing call must come from the site itself \
             (`Sec-Fetch-Site: same-origin`, or an `Origin` matching the host) and carry JSON. Feeds send \
             reads with their `X-Api-Key`. Every error is `{\"error\": \"…\", \"fields\": [...]}`; `fields` \
             names each problem of a refused form.\n\n\
             Roles are the session scheme's scopes: each security requirement lists one role that is \
             enough; `inspector` is a supervisor of inspector rank; no scope means any signed-in user.",
        ))
        .build();
    let mut doc = OpenApiBuilder::new().info(info).build().nest(BASE, api);

    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        SESSION,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION,
            "The session a user gets by signing in (`POST /api/v1/auth/login`). Scopes name the roles an \
             operation takes: investigator, supervisor, inspector (a supervisor of inspector rank), \
             hotlist_admin, auditor, system_admin.",
        ))),
    );
    components.add_security_scheme(
        API_KEY,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-Api-Key",
            "A feed's API key, given once when a system admin creates the feed.",
        ))),
    );
    components.add_security_scheme(
        FEED_PASSWORD,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Basic)
                .description(Some("A feed's API key as the password (any user name), for Hikvision cameras."))
                .build(),
        ),
    );
    let mut schemas = Vec::new();
    schema::<shared::ErrorBody>(&mut schemas);
    // What the query parameters name (their derive refers to these without adding them).
    schema::<shared::AuditAction>(&mut schemas);
    schema::<shared::requests::RequestList>(&mut schemas);
    schema::<shared::export::StatementList>(&mut schemas);
    schema::<shared::export::ExportList>(&mut schemas);
    schema::<shared::oversight::ReportFormat>(&mut schemas);
    schema::<shared::flags::FlagKind>(&mut schemas);
    schema::<IngestRefusal>(&mut schemas);
    components.schemas.extend(schemas);
    for (name, status, description) in ERRORS {
        let mut response = ResponseBuilder::new().description(*description).content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build(),
        );
        if *status == "429" || *status == "503" {
            response = response.header(
                "Retry-After",
                utoipa::openapi::HeaderBuilder::new()
                    .schema(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::Integer))
                    .description(Some("Seconds to wait before trying again."))
                    .build(),
            );
        }
        components.responses.insert((*name).to_owned(), response.build().into());
    }

    for (path, item) in doc.paths.paths.iter_mut() {
        let tag = path.trim_start_matches(BASE).split('/').find(|s| !s.is_empty()).unwrap_or("api").to_owned();
        for (method, operation) in operations(item) {
            finish(path, method, &tag, operation);
        }
    }
    doc
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("patch", item.patch.as_mut()),
        ("delete", item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.map(|op| (m, op)))
    .collect()
}

/// The schemes and scopes `operation` requires, read from its security requirements.
fn requirements(operation: &Operation) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for requirement in operation.security.iter().flatten() {
        if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(requirement) {
            for (scheme, scopes) in map {
                let scopes = scopes.as_array().into_iter().flatten().filter_map(|s| s.as_str().map(str::to_owned));
                out.push((scheme, scopes.collect()));
            }
        }
    }
    out
}

/// The error answers an operation may give, each the API's JSON error: (name, status, what it
/// means), kept once under `components.responses`.
const ERRORS: &[(&str, &str, &str)] = &[
    ("BadRequest", "400", "The request could not be read (a malformed path, query or body)."),
    ("Unauthorized", "401", "No valid session: sign in first."),
    ("NoApiKey", "401", "No valid `X-Api-Key`."),
    (
        "Forbidden",
        "403",
        "The signed-in user may not do this (the role it takes, a restriction of theirs, or a cross-site \
         request); each refusal is on the audit record.",
    ),
    ("NotFound", "404", "No such thing, or none the caller may see."),
    ("TooLarge", "413", "The body is larger than this endpoint takes."),
    ("UnsupportedMediaType", "415", "The body was not declared as JSON."),
    (
        "Unprocessable",
        "422",
        "The request was read but is not acceptable: the error says why, and `fields` names each form \
         field's problem.",
    ),
    (
        "TooManyRequests",
        "429",
        "Too many requests from this address, user or feed: `Retry-After` says when to try again.",
    ),
    ("Refused", "4XX", "Any other refusal, with the same JSON error."),
    ("Unavailable", "503", "The server is too busy to take this now: `Retry-After` says when to try again."),
    ("ServerError", "5XX", "The server could not complete the request (what went wrong is logged, not sent)."),
];

fn schema<T: ToSchema>(schemas: &mut Vec<(String, RefOr<utoipa::openapi::schema::Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

/// The answer to an ingest request refused with 422: the report, when every read was refused
/// read by read, or the API's error, when the payload was refused whole.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum IngestRefusal {
    Report(shared::IngestReport),
    Error(shared::ErrorBody),
}

fn finish(path: &str, method: &str, tag: &str, operation: &mut Operation) {
    operation.tags.get_or_insert_with(Vec::new).push(tag.to_owned());
    // Handlers' own names repeat across resources (`list`, `review`): the method and path do not.
    let words: Vec<&str> =
        path.trim_start_matches(BASE).split(['/', '-', '{', '}']).filter(|w| !w.is_empty()).collect();
    operation.operation_id = Some(format!("{method}_{}", words.join("_")));
    let requirements = requirements(operation);
    let by_session = requirements.iter().any(|(s, _)| s == SESSION);
    let by_key = requirements.iter().any(|(s, _)| s == API_KEY);
    let mut roles: Vec<String> =
        requirements.iter().filter(|(s, _)| s == SESSION).flat_map(|(_, r)| r.clone()).collect();
    roles.dedup();
    let who = if by_key {
        "Who: a feed, by its `X-Api-Key`.".to_owned()
    } else if !by_session {
        "Who: anyone (no session needed).".to_owned()
    } else if roles.is_empty() {
        "Role: any signed-in user.".to_owned()
    } else {
        format!("Role: {}.", roles.join(" or "))
    };
    let description = match operation.description.take() {
        Some(d) if !d.is_empty() => format!("{d}\n\n{who}"),
        _ => who,
    };
    operation.description = Some(description);
    if by_session && !roles.is_empty() {
        let extensions = operation.extensions.get_or_insert_with(Default::default);
        extensions.merge(
            utoipa::openapi::extensions::ExtensionsBuilder::new().add("x-roles", serde_json::json!(roles)).build(),
        );
    }

    let changes = method != "get";
    let has_body = operation.request_body.is_some();
    let has_query = operation.parameters.iter().flatten().any(|p| {
        serde_json::to_value(p).ok().and_then(|v| v.get("in").and_then(|i| i.as_str()).map(|i| i == "query"))
            == Some(true)
    });
    let has_path = path.contains('{');
    let responses = &mut operation.responses.responses;
    let mut add = |name: &str| {
        let status = ERRORS.iter().find(|(n, _, _)| *n == name).map(|(_, status, _)| *status).unwrap_or("4XX");
        responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
    };
    if has_body || has_query || has_path {
        add("BadRequest");
        add("Unprocessable");
    }
    if has_body {
        add("TooLarge");
        add("UnsupportedMediaType");
    }
    if by_session {
        add("Unauthorized");
    }
    if by_key {
        add("NoApiKey");
    }
    if by_session && (!roles.is_empty() || changes) {
        add("Forbidden");
    }
    if has_path {
        add("NotFound");
    }
    add("TooManyRequests");
    add("Refused");
    add("ServerError");
}

/// A file's bytes (an image, a CSV, PDF or XLSX download), in the document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);

/// `GET /api/v1/openapi.json`.
pub async fn json(axum::Extension(doc): axum::Extension<Arc<String>>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], doc.as_str().to_owned())
}

/// What the reference page may load: its own scripts, styles, images and fonts, and the
/// document from this server; nothing from elsewhere, and no inline script. The one inline style
/// allowed is the `<style>` element Swagger UI's bundle adds as it starts, by its hash (the
/// vendored files are pinned in Cargo.lock; a browser names the hash of one that changed).
pub const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; \
                            style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='; \
                            img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; \
                            form-action 'none'; frame-ancestors 'none'";

/// The reference page (Swagger UI, its files built into the server) at [`DOCS`], reading the
/// document at [`OPENAPI`]. It sets its own policy for what it may load.
pub fn docs<S: Clone + Send + Sync + 'static>() -> Router<S> {
    let config = utoipa_swagger_ui::Config::from(format!("{BASE}{OPENAPI}")).validator_url("none");
    Router::from(utoipa_swagger_ui::SwaggerUi::new(DOCS).config(config))
        .layer(SetResponseHeaderLayer::overriding(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DOCS_CSP)))
}
