//! Server-side rendering of the UI shell. The page is rendered with the signed-in user (or
//! none) in context; pages other than the login page need a session. Everything a page shows
//! beyond the shell comes from the API, which decides on its own what the user may see.

use crate::error::AppError;
use crate::http::extract::session_user;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use leptos::prelude::{provide_context, use_context};
use shared::ShellData;
use std::path::Path;
use std::sync::{Arc, Mutex};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_sessions::Session;

/// The Content-Security-Policy of a rendered page: only the site's own scripts and styles, the
/// hydration script by this response's nonce, WebAssembly compiled from the site's own module,
/// images from the site and the map's tile server, no framing.
fn content_security_policy(nonce: &str, tile_origin: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data: {tile_origin}; connect-src 'self'; font-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The scheme and host of the map's tile URL (a `{s}` subdomain becomes `*`), for `img-src`.
fn tile_origin(tile_url: &str) -> String {
    let Some((scheme, rest)) = tile_url.split_once("://") else { return String::new() };
    let host = rest.split('/').next().unwrap_or_default().replace("{s}", "*");
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || ".-*:".contains(c)) {
        return String::new();
    }
    format!("{scheme}://{host}")
}

pub async fn render(State(state): State<AppState>, session: Session, request: Request<Body>) -> Response {
    let user = match session_user(&state, &session).await {
        Ok(user) => user,
        Err(e) => return e.into_response(),
    };
    let on_login_page = request.uri().path() == app::LOGIN_PATH;
    match (&user, on_login_page) {
        (None, false) => return Redirect::to(app::LOGIN_PATH).into_response(),
        (Some(_), true) => return Redirect::to("/").into_response(),
        _ => {}
    }
    let signed_in = user.is_some();
    let origin = tile_origin(&state.config.map.tile_url);
    let (access, sample) = (&state.config.access, &state.config.audit_sample);
    let policy = shared::Policy {
        local_days: access.local_days,
        central_months: access.central_months,
        standard_days: access.standard_days,
        retention_months: access.retention_months,
        sample_beyond_standard_percent: sample.beyond_standard_percent,
        sample_other_percent: sample.other_percent,
    };
    let shell = ShellData { user, map: state.config.map.clone(), policy };
    let options = state.leptos.clone();
    // The nonce is made as the page's context is set up, before the response leaves.
    let nonce = Arc::new(Mutex::new(None::<String>));
    let seen = nonce.clone();
    let handler = leptos_axum::render_app_to_stream_with_context(
        move || {
            provide_context(shell.clone());
            leptos::nonce::provide_nonce();
            if let Ok(mut slot) = seen.lock() {
                *slot = use_context::<leptos::nonce::Nonce>().map(|n| n.to_string());
            }
        },
        move || app::shell(options.clone()),
    );
    let mut response = handler(request).await.into_response();
    let nonce = nonce.lock().ok().and_then(|n| n.clone()).unwrap_or_default();
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce, &origin)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    if signed_in {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// Whether the site was built with hashed file names: cargo-leptos then writes `hash.txt`
/// beside the server binary, and Leptos links the hashed names it lists.
pub fn hash_file_present() -> bool {
    std::env::current_exe().ok().and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file())).unwrap_or(false)
}

/// A file named by its content's hash, as cargo-leptos names them (`anpr.<22 base64url>.wasm`):
/// what is behind that name never changes.
fn hashed_name(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let mut parts = name.split('.');
    let (_, hash, _, rest) = (parts.next(), parts.next().unwrap_or_default(), parts.next(), parts.next());
    rest.is_none() && hash.len() == 22 && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Hashed files are cached for a year; the rest (vendored Leaflet, an unhashed development
/// build) are revalidated on each load (`no-cache` with `Last-Modified`: a 304 when unchanged).
async fn cache_policy(request: Request, next: Next) -> Response {
    let immutable = hashed_name(request.uri().path());
    let mut response = next.run(request).await;
    let policy =
        if immutable && response.status().is_success() { "public, max-age=31536000, immutable" } else { "no-cache" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// The built site's files (the WASM, its JS and CSS, vendored Leaflet), with the cache policy
/// above. The build writes a Brotli and a gzip copy of each (`scripts/precompress.mjs`), sent as
/// they are to a browser that accepts them; a file without one (a development build) is
/// compressed as it is sent. The page itself is never cached.
pub fn files(site_root: &Path) -> Router<AppState> {
    let dir = |name: &str| ServeDir::new(site_root.join(name)).precompressed_br().precompressed_gzip();
    Router::new()
        .nest_service("/pkg", dir("pkg"))
        .nest_service("/vendor", dir("vendor"))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn(cache_policy))
}

pub async fn api_not_found() -> AppError {
    AppError::NotFound("no such API endpoint".into())
}

/// A method a path does not take (API or page): JSON like every error, with the `Allow` header naming
/// those it does.
pub async fn wrong_method(method: axum::http::Method) -> AppError {
    AppError::Rejected {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        message: format!("this endpoint does not take {method}: the Allow header names what it takes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_content_hashed_names_are_cached_for_good() {
        assert!(hashed_name("/pkg/anpr.Xy3_-abcdefghijklmnopq.wasm"));
        assert!(!hashed_name("/pkg/anpr.wasm"));
        assert!(!hashed_name("/vendor/leaflet/leaflet.js"));
        assert!(!hashed_name("/pkg/anpr.short.js"));
        assert!(!hashed_name("/pkg/a.Xy3_-abcdefghijklmnopq.min.js"));
        assert!(!hashed_name("/pkg/anpr.Xy3_-abcdefghijklmn/pq.js"));
    }

    #[test]
    fn the_tile_server_is_the_only_foreign_image_origin() {
        assert_eq!(tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"), "https://tile.openstreetmap.org");
        assert_eq!(
            tile_origin("https://{s}.tiles.example.org:8443/{z}/{x}/{y}.png"),
            "https://*.tiles.example.org:8443"
        );
        assert_eq!(tile_origin("/tiles/{z}/{x}/{y}.png"), "");
        assert_eq!(tile_origin("https://evil.example; script-src *"), "");
        let csp = content_security_policy("abc", "");
        assert!(csp.contains("'nonce-abc'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"));
    }
}
