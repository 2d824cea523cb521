//! Cross-site requests refused (R21's record is only as good as the acts being the user's own):
//! a state-changing call made with the session cookie must come from the site itself — a
//! browser says where it came from in `Sec-Fetch-Site` or `Origin` — and must carry a content
//! type a cross-site form cannot send (JSON, multipart, or CSV for imports). Feeds, which
//! authenticate by API key, are routed outside this layer.

use crate::error::AppError;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Content types a state-changing call may declare.
const ACCEPTED: [&str; 3] = ["application/json", "multipart/form-data", "text/csv"];

/// Why a request with `headers` is taken for another site's, if a browser says it is: its
/// `Sec-Fetch-Site`, or else an `Origin` other than the host asked. A client that is not a
/// browser sends neither, and carries no one else's cookie.
pub fn cross_site(headers: &HeaderMap) -> Option<String> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    match text(header::HeaderName::from_static("sec-fetch-site")) {
        Some("same-origin") | Some("none") => None,
        Some(other) => Some(format!("a {other} request may not change anything here")),
        None => {
            let (origin, host) = (text(header::ORIGIN)?, text(header::HOST)?);
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            (!origin_host.eq_ignore_ascii_case(host))
                .then(|| format!("a request from {origin} may not change anything here"))
        }
    }
}

/// Why `headers` of a state-changing request are refused, if they are.
pub fn refusal(method: &Method, headers: &HeaderMap) -> Option<String> {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return None;
    }
    if let Some(why) = cross_site(headers) {
        return Some(why);
    }
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(content_type) = text(header::CONTENT_TYPE) {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        if !ACCEPTED.contains(&essence.as_str()) {
            return Some(format!("content type `{essence}` is not accepted: send application/json"));
        }
    }
    None
}

pub async fn same_origin_only(request: Request, next: Next) -> Response {
    match refusal(request.method(), request.headers()) {
        None => next.run(request).await,
        Some(why) if why.starts_with("content type") => {
            AppError::Rejected { status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE, message: why }.into_response()
        }
        Some(why) => AppError::Forbidden(why).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn only_same_origin_json_changes_anything() {
        let post = Method::POST;
        let json = ("content-type", "application/json");
        assert_eq!(refusal(&post, &headers(&[("sec-fetch-site", "same-origin"), json])), None);
        assert_eq!(
            refusal(&post, &headers(&[("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000"), json])),
            None
        );
        // Scripts and tests send neither header.
        assert_eq!(refusal(&post, &headers(&[json])), None);
        assert!(refusal(&post, &headers(&[("sec-fetch-site", "cross-site"), json])).is_some());
        assert!(refusal(&post, &headers(&[("sec-fetch-site", "same-site"), json])).is_some());
        assert!(
            refusal(&post, &headers(&[("origin", "https://evil.example"), ("host", "127.0.0.1:3000"), json])).is_some()
        );
        assert!(refusal(&post, &headers(&[("content-type", "text/plain")])).is_some());
        assert!(refusal(&post, &headers(&[("content-type", "application/x-www-form-urlencoded")])).is_some());
        assert_eq!(refusal(&post, &headers(&[("content-type", "text/csv; charset=utf-8")])), None);
        assert_eq!(refusal(&Method::GET, &headers(&[("sec-fetch-site", "cross-site")])), None);
    }
}
