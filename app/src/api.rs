//! A typed client for the server's JSON API (browser only: requests carry the session cookie).

use gloo::net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::ErrorBody;

pub const BASE: &str = "/api/v1";

/// The message to show for a failed call: the server's own words where it gave them.
async fn error_of(response: Response) -> String {
    match response.json::<ErrorBody>().await {
        Ok(body) => body.error,
        Err(_) => format!("the server answered {} {}", response.status(), response.status_text()),
    }
}

async fn send(request: Result<Request, gloo::net::Error>) -> Result<Response, String> {
    let response = request.map_err(|e| e.to_string())?.send().await.map_err(|e| e.to_string())?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_of(response).await)
    }
}

fn url(path: &str) -> String {
    format!("{BASE}{path}")
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let response = send(Ok(Request::get(&url(path)).build().map_err(|e| e.to_string())?)).await?;
    response.json().await.map_err(|e| e.to_string())
}

async fn with_body<B: Serialize, T: DeserializeOwned>(builder: RequestBuilder, body: &B) -> Result<T, String> {
    let response = send(builder.json(body)).await?;
    response.json().await.map_err(|e| e.to_string())
}

pub async fn post<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    with_body(Request::post(&url(path)), body).await
}

pub async fn patch<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    with_body(Request::patch(&url(path)), body).await
}

pub async fn put<B: Serialize, T: DeserializeOwned>(path: &str, body: &B) -> Result<T, String> {
    with_body(Request::put(&url(path)), body).await
}

/// A POST with a JSON body whose answer has no body.
pub async fn post_no_answer<B: Serialize>(path: &str, body: &B) -> Result<(), String> {
    send(Request::post(&url(path)).json(body)).await.map(|_| ())
}

/// A POST of text (e.g. CSV) with a JSON answer.
pub async fn post_text<T: DeserializeOwned>(path: &str, body: String, content_type: &str) -> Result<T, String> {
    let response = send(Request::post(&url(path)).header("content-type", content_type).body(body)).await?;
    response.json().await.map_err(|e| e.to_string())
}

/// A POST without a body or an answer (sign-out).
pub async fn post_empty(path: &str) -> Result<(), String> {
    send(Request::post(&url(path)).build()).await.map(|_| ())
}

/// Leaves the single-page app for a full page load, so the server renders the next page with
/// the session as it now is (after sign-in or sign-out).
pub fn reload_at(path: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
}
