//! The HTTP surface: the JSON API under `/api/v1` (one router per resource, merged here), a
//! health check, and the server-rendered UI with its static files.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod cameras;
pub mod clones;
pub mod dead_letters;
pub mod exports;
pub mod extract;
pub mod flags;
pub mod hotlists;
pub mod ingest;
pub mod limits;
pub mod locker;
pub mod openapi;
pub mod origin;
pub mod oversight;
pub mod pages;
pub mod reads;
pub mod registers;
pub mod requests;
pub mod search;
pub mod statements;
pub mod users;
pub mod verifications;
pub mod watches;

use crate::access::sessions::DbSessionStore;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::routing::get;
use axum::Router;
use leptos_axum::LeptosRoutes;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use utoipa_axum::router::OpenApiRouter;

/// Largest request body the API reads (ingest, which takes images, sets its own).
pub const API_BODY_LIMIT: usize = 64 * 1024;
pub const SESSION_COOKIE: &str = "anpr_session";

/// The workbench's routes; `limits` are the HTTP layer's own (per address, feed and user).
pub fn router(state: AppState, limits: std::sync::Arc<limits::Limits>) -> Router {
    // Each resource's router is built from its handlers' declarations, so the contract names
    // every route it serves (`openapi`).
    let (resources, resources_doc) = OpenApiRouter::new()
        .merge(auth::router())
        .merge(users::router())
        .merge(audit::router())
        .merge(cameras::router())
        .merge(reads::router())
        .merge(hotlists::router())
        .merge(alerts::router())
        .merge(requests::router())
        .merge(search::router())
        .merge(verifications::router())
        .merge(clones::router())
        .merge(locker::router())
        .merge(exports::router())
        .merge(statements::router())
        .merge(oversight::router())
        .merge(registers::router())
        .merge(flags::router())
        .merge(watches::router())
        .merge(dead_letters::router())
        .split_for_parts();
    // Ingest takes batches with images: its own, larger limit.
    let (ingest, ingest_doc) =
        ingest::router(state.clone(), state.config.ingest_max_body_mib * 1024 * 1024).split_for_parts();
    let mut doc = resources_doc;
    doc.merge(ingest_doc);
    let contract = std::sync::Arc::new(openapi::document(doc).to_json().expect("the API's contract serialises"));

    let api = resources
        .route(shared::endpoints::OPENAPI, get(openapi::json).layer(axum::Extension(contract)))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(axum::middleware::from_fn(origin::same_origin_only))
        .layer(axum::middleware::from_fn_with_state(limits.clone(), limits::per_address))
        .merge(ingest)
        .fallback(pages::api_not_found)
        .method_not_allowed_fallback(pages::wrong_method)
        .layer(axum::Extension(limits.clone()))
        // JSON, CSV and PDF answers go compressed to a client that accepts it; event streams
        // and images do not (tower-http's default predicate).
        .layer(tower_http::compression::CompressionLayer::new())
        // API answers carry personal data: no cache keeps them.
        .layer(SetResponseHeaderLayer::if_not_present(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));

    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(state.config.cookie_secure)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(state.config.session_idle_minutes)));

    let routes = leptos_axum::generate_route_list(app::App);
    Router::new()
        .nest(shared::endpoints::BASE, api)
        .merge(pages::files(&state.config.site_root))
        // The contract's reference page: public, its files the server's own.
        .merge(openapi::docs())
        .route("/healthz", get(health))
        // The sign-in form posted before the page is interactive (GET /login is the page).
        .route(app::LOGIN_PATH, axum::routing::post(auth::sign_in_form))
        .leptos_routes_with_handler(routes, get(pages::render))
        // What no route matched is a page too: the app's router shows that there is no such page.
        .fallback(pages::render)
        .method_not_allowed_fallback(pages::wrong_method)
        // The sign-in form's handler is limited per address like the API's.
        .layer(axum::Extension(limits))
        .layer(sessions)
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        // Whatever is not a page (API answers, files) may not run or frame anything.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Liveness and database reachability, for load balancers and test harnesses.
async fn health(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query("SELECT 1").execute(state.db.pool()).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
