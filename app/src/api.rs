//! A typed client for the server's JSON API (browser only: requests carry the session cookie).

use gloo::net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use shared::export::FILE_LENGTH_HEADER;
use shared::ErrorBody;

/// Where the API is mounted (the paths themselves are in `shared::endpoints`).
pub use shared::endpoints::BASE;

/// What the server said of a failed call: its own words (and, for a refused form, each field's
/// problem) where it gave them.
async fn error_of(response: Response) -> ErrorBody {
    match response.json::<ErrorBody>().await {
        Ok(body) => body,
        Err(_) => ErrorBody {
            error: format!("the server answered {} {}", response.status(), response.status_text()),
            fields: Vec::new(),
        },
    }
}

fn plain(message: impl ToString) -> ErrorBody {
    ErrorBody { error: message.to_string(), fields: Vec::new() }
}

async fn send_for_form(request: Result<Request, gloo::net::Error>) -> Result<Response, ErrorBody> {
    let response = request.map_err(plain)?.send().await.map_err(plain)?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_of(response).await)
    }
}

async fn send(request: Result<Request, gloo::net::Error>) -> Result<Response, String> {
    send_for_form(request).await.map_err(|e| e.error)
}

/// Sends a form's body by `method`, keeping what the server says of each field if it refuses.
pub async fn submit<B: Serialize, T: DeserializeOwned>(method: &str, path: &str, body: &B) -> Result<T, ErrorBody> {
    Ok(submit_answered(method, path, body).await?.1)
}

/// [`submit`], with the status the server answered (202: held for someone else's approval).
pub async fn submit_answered<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: &B,
) -> Result<(u16, T), ErrorBody> {
    let builder = match method {
        "PATCH" => Request::patch(&url(path)),
        "PUT" => Request::put(&url(path)),
        _ => Request::post(&url(path)),
    };
    let response = send_for_form(builder.json(body)).await?;
    let status = response.status();
    Ok((status, response.json().await.map_err(plain)?))
}

/// The full URL of an API path (for images, downloads and streams the browser fetches itself).
pub fn url(path: &str) -> String {
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

/// How far a download has come: bytes received, of the file's length where the server says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub received: u64,
    pub total: Option<u64>,
}

/// POSTs `body` and saves the answer as a file, named as the server names it (exports);
/// `progress` is told of each part of the file as it arrives.
pub async fn download<B: Serialize>(path: &str, body: &B, progress: impl Fn(Progress)) -> Result<String, String> {
    let response = send(Request::post(&url(path)).json(body)).await?;
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|d| d.split("filename=\"").nth(1).map(|n| n.trim_end_matches('"').to_owned()))
        .unwrap_or_else(|| "export".into());
    let total = response.headers().get(FILE_LENGTH_HEADER).and_then(|l| l.parse().ok());
    save(&name, response, &mut |received| progress(Progress { received, total })).await?;
    Ok(name)
}

#[cfg(feature = "hydrate")]
async fn save(name: &str, response: Response, progress: &mut dyn FnMut(u64)) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    let fail = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let field = |object: &wasm_bindgen::JsValue, name: &str| js_sys::Reflect::get(object, &name.into()).map_err(fail);
    // Read part by part, so the progress is known; the parts go into the file as they are.
    let parts = js_sys::Array::new();
    if let Some(stream) = response.body() {
        let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
        let mut received = 0u64;
        loop {
            let next = JsFuture::from(reader.read()).await.map_err(fail)?;
            if field(&next, "done")?.as_bool().unwrap_or(true) {
                break;
            }
            let part: js_sys::Uint8Array = field(&next, "value")?.unchecked_into();
            received += u64::from(part.length());
            progress(received);
            parts.push(&part);
        }
    }
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(&response.headers().get("content-type").unwrap_or_default());
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(fail)?;
    let href = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document.create_element("a").map_err(fail)?.unchecked_into();
    a.set_href(&href);
    a.set_download(name);
    a.click();
    // Released once the browser has surely taken the file.
    leptos::prelude::set_timeout(
        move || {
            let _ = web_sys::Url::revoke_object_url(&href);
        },
        std::time::Duration::from_secs(30),
    );
    Ok(())
}

#[cfg(not(feature = "hydrate"))]
async fn save(_name: &str, _response: Response, _progress: &mut dyn FnMut(u64)) -> Result<(), String> {
    Err("downloads happen in the browser".into())
}

/// Runs `check` now and every `seconds` while the component that asked lives — in the browser
/// only: the server renders the page once.
pub fn poll(seconds: u64, check: impl Fn() + Clone + 'static) {
    #[cfg(feature = "hydrate")]
    {
        check();
        if let Ok(handle) = leptos::prelude::set_interval_with_handle(check, std::time::Duration::from_secs(seconds)) {
            leptos::prelude::on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (seconds, check);
}
