//! Ingest over HTTP, authenticated per feed by its API key (`X-Api-Key`). At the door, in this
//! order: attempts without a valid key are answered 401, and limited per client address (429);
//! a body not declared JSON is refused with 415, and one over the size limit with 413 — each
//! with the JSON error every API answer has, naming what is expected.
//!
//! Beside the native batch and OpenALPR's `alpr_group`, the engines' own webhooks: Plate
//! Recognizer's (JSON, a form, or multipart with its image) and Hikvision ANPR cameras' ISAPI
//! alarms (multipart with their pictures). Hikvision cameras cannot send a header of their own:
//! they may give the key as the password of HTTP Basic authentication instead.

use crate::cameras;
use crate::error::{AppError, AppResult};
use crate::http::limits::ClientAddress;
use crate::http::limits::Limits;
use crate::ingest::{self, hikvision, openalpr, platerecognizer, Submitted};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::{Extension, Json};
use serde_json::value::RawValue;
use shared::endpoints::{INGEST_HIKVISION, INGEST_OPENALPR, INGEST_PLATERECOGNIZER, INGEST_READS};
use shared::reads::MAX_BATCH;
use shared::{ImageKind, IngestReport, NativeRead};
use std::net::IpAddr;
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

pub const API_KEY_HEADER: &str = "x-api-key";

/// Asked of a client answered 401 on a route that takes the key as a password.
const BASIC_CHALLENGE: &str = r#"Basic realm="ANPR workbench ingest", charset="UTF-8""#;

pub fn router(state: AppState, max_body_bytes: usize) -> OpenApiRouter<AppState> {
    let by_header = OpenApiRouter::new()
        .routes(routes!(native))
        .routes(routes!(alpr))
        .routes(routes!(platerecognizer))
        // The key is checked before the body is read: an unauthenticated request is answered at
        // once, whatever it carries.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), authenticate_feed));
    let by_header_or_password = OpenApiRouter::new()
        .routes(routes!(hikvision))
        .route_layer(axum::middleware::from_fn_with_state(state, authenticate_camera));
    by_header.merge(by_header_or_password).layer(DefaultBodyLimit::max(max_body_bytes))
}

/// Authenticates the feed by its `X-Api-Key` and hands it to the handler; refuses at once
/// without reading the body. An attempt without a valid key (none, or an unknown one) counts
/// against its address's limit, and past it is answered 429 instead of 401.
async fn authenticate_feed(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    ClientAddress(address): ClientAddress,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let key = header_key(request.headers());
    let missing = "send the feed's API key in the X-Api-Key header";
    admit(&state, &limits, address, key, missing, request, next).await
}

/// As `authenticate_feed`, for cameras that cannot send a header of their own: the key in
/// `X-Api-Key`, else as the password of HTTP Basic authentication (any user name). Passed in
/// the URL it would be written wherever URLs are logged, so it is not taken there. A 401 asks
/// for Basic authentication, so that a client that waits to be asked sends it.
async fn authenticate_camera(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    ClientAddress(address): ClientAddress,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let key = header_key(request.headers()).or_else(|| basic_password(request.headers()));
    let missing = "send the feed's API key in the X-Api-Key header, or as the password of HTTP Basic authentication";
    let mut response = admit(&state, &limits, address, key, missing, request, next).await;
    if response.status() == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(BASIC_CHALLENGE));
    }
    response
}

fn header_key(headers: &HeaderMap) -> Option<String> {
    headers.get(API_KEY_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The password of `Authorization: Basic …`, when one is given.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(credentials.trim()).ok()?;
    let (_user, password) = std::str::from_utf8(&decoded).ok()?.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

/// Lets the request through with its feed, or answers it: 401 without a valid key (`missing`
/// says how to send one when none was), 429 past the limit of such attempts from its address or
/// of the feed's requests.
async fn admit(
    state: &AppState,
    limits: &Limits,
    address: Option<IpAddr>,
    key: Option<String>,
    missing: &str,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let feed = match key {
        None => Err(AppError::Unauthorized(missing.to_owned())),
        Some(key) => cameras::authenticate(&state.db, Some(&key)).await,
    };
    let feed = match feed {
        Err(unauthenticated @ AppError::Unauthorized(_)) => {
            Err(limits.unauthenticated_ingest(address).err().unwrap_or(unauthenticated))
        }
        other => other.and_then(|feed| limits.ingest(feed.id).map(|()| feed)),
    };
    match feed {
        Ok(feed) => {
            request.extensions_mut().insert(feed);
            next.run(request).await
        }
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// Whether `content_type` declares JSON: `application/json`, or an `application/…+json` type,
/// whatever its parameters.
fn declares_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match essence.split_once('/') {
        Some(("application", subtype)) => {
            subtype == "json" || subtype.strip_suffix("+json").is_some_and(|prefix| !prefix.is_empty())
        }
        _ => false,
    }
}

/// An ingest body: declared JSON (else 415) and within the size limit (else 413), refused with
/// the API's JSON error before anything else is done with it.
struct JsonBody(Bytes);

impl FromRequest<AppState> for JsonBody {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, AppError> {
        let declared = request.headers().get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()));
        if !declared.as_deref().is_some_and(declares_json) {
            let given = match declared {
                Some(t) => format!("`{}`", t.chars().take(80).collect::<String>()),
                None => "not given".to_owned(),
            };
            return Err(AppError::Rejected {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                message: format!(
                    "send the body as JSON, declared with Content-Type: application/json (or an \
                     application/…+json type); this request's Content-Type is {given}"
                ),
            });
        }
        Bytes::from_request(request, state).await.map(JsonBody).map_err(|rejection| match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::Rejected {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                message: format!(
                    "the body is larger than the {} MiB an ingest request may carry; send fewer reads at a time",
                    state.config.ingest_max_body_mib
                ),
            },
            status => AppError::Rejected { status, message: rejection.body_text() },
        })
    }
}

/// Refuses a whole payload: keeps it in the dead-letter store, then answers with the reason.
async fn refuse(
    state: &AppState,
    feed_id: i64,
    format: &str,
    body: &[u8],
    status: StatusCode,
    reason: String,
) -> AppError {
    // What a reason quotes of a payload is kept printable, whatever the format.
    let reason = ingest::printable_reason(reason);
    if let Err(e) = ingest::dead_letter_alone(&state.db, Some(feed_id), state.clock.now(), format, &reason, body).await
    {
        return AppError::internal(e);
    }
    AppError::Rejected { status, message: reason }
}

/// Checks the batch's size, and splits it into its reads.
async fn items(
    state: &AppState,
    feed_id: i64,
    format: &str,
    body: &[u8],
    reads: Vec<Box<RawValue>>,
) -> AppResult<Vec<Box<RawValue>>> {
    if reads.is_empty() {
        return Err(refuse(
            state,
            feed_id,
            format,
            body,
            StatusCode::UNPROCESSABLE_ENTITY,
            "the batch holds no reads".into(),
        )
        .await);
    }
    if reads.len() > MAX_BATCH {
        let reason = format!("a batch holds at most {MAX_BATCH} reads; this one holds {}", reads.len());
        return Err(refuse(state, feed_id, format, body, StatusCode::PAYLOAD_TOO_LARGE, reason).await);
    }
    Ok(reads)
}

/// `{"reads": [NativeRead, …]}`: each read is checked on its own, so one bad read does not cost
/// the others.
#[utoipa::path(
    post,
    path = INGEST_READS,
    request_body(content = shared::reads::NativeBatch<NativeRead>, description = "`{\"reads\": [NativeRead, …]}`"),
    responses((status = 200, description = "Taken: what became of each read", body = IngestReport), (status = 422, description = "Refused: every read, each with why (the report), or the payload whole (the error)", body = crate::http::openapi::IngestRefusal)),
    security(("api_key" = []))
)]
async fn native(
    State(state): State<AppState>,
    Extension(feed): Extension<cameras::Feed>,
    JsonBody(body): JsonBody,
) -> AppResult<(StatusCode, Json<IngestReport>)> {
    let reads = match serde_json::from_slice::<shared::reads::NativeBatch<Box<RawValue>>>(&body) {
        Ok(batch) => batch.reads,
        Err(e) => {
            let reason = format!("the body is not a batch of reads: {e}");
            return Err(refuse(&state, feed.id, "native", &body, StatusCode::BAD_REQUEST, reason).await);
        }
    };
    let reads = items(&state, feed.id, "native", &body, reads).await?;
    let submitted = reads
        .into_iter()
        .enumerate()
        .map(|(index, raw)| Submitted {
            index,
            read: serde_json::from_str::<NativeRead>(raw.get()).map_err(|e| e.to_string()),
            raw,
            sighting: None,
        })
        .collect();
    answer(ingest::ingest(&state.intake(), &feed, "native", submitted).await?)
}

/// One `alpr_group` object, or an array of them.
#[utoipa::path(
    post,
    path = INGEST_OPENALPR,
    request_body(content = serde_json::Value, description = "One OpenALPR `alpr_group` object, or an array of them."),
    responses((status = 200, description = "Taken: what became of each read", body = IngestReport), (status = 422, description = "Refused: every read, each with why (the report), or the payload whole (the error)", body = crate::http::openapi::IngestRefusal)),
    security(("api_key" = []))
)]
async fn alpr(
    State(state): State<AppState>,
    Extension(feed): Extension<cameras::Feed>,
    JsonBody(body): JsonBody,
) -> AppResult<(StatusCode, Json<IngestReport>)> {
    let parsed =
        serde_json::from_slice::<Box<RawValue>>(&body).and_then(|whole| match whole.get().as_bytes().first() {
            Some(b'[') => serde_json::from_str::<Vec<Box<RawValue>>>(whole.get()).map(Some),
            Some(b'{') => Ok(Some(vec![whole])),
            _ => Ok(None),
        });
    let groups = match parsed {
        Ok(Some(groups)) => groups,
        Ok(None) => {
            let reason = "the body must be an alpr_group object or an array of them".to_owned();
            return Err(refuse(&state, feed.id, "openalpr", &body, StatusCode::UNPROCESSABLE_ENTITY, reason).await);
        }
        Err(e) => {
            let reason = format!("the body is not JSON: {e}");
            return Err(refuse(&state, feed.id, "openalpr", &body, StatusCode::BAD_REQUEST, reason).await);
        }
    };
    let groups = items(&state, feed.id, "openalpr", &body, groups).await?;
    let submitted = groups
        .into_iter()
        .enumerate()
        .map(|(index, raw)| {
            let (read, sighting) = match openalpr::to_read(raw.get()) {
                Ok((read, sighting)) => (Ok(read), sighting),
                Err(why) => (Err(why), None),
            };
            Submitted { index, read, raw, sighting }
        })
        .collect();
    answer(ingest::ingest(&state.intake(), &feed, "openalpr", submitted).await?)
}

/// How an engine's webhook body was sent.
enum EngineBody {
    Json(Bytes),
    /// `application/x-www-form-urlencoded`.
    Form(Bytes),
    Xml(Bytes),
    Multipart(Vec<Part>),
}

/// One part of a `multipart/form-data` body.
struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Bytes,
}

impl Part {
    /// Whether its name or its file's is `name`, whatever the case.
    fn named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name) || self.file_name.as_deref().is_some_and(|f| f.eq_ignore_ascii_case(name))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    Json,
    Form,
    Xml,
    Multipart,
}

impl Media {
    fn of(content_type: &str) -> Option<Media> {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            _ if declares_json(content_type) => Some(Media::Json),
            "application/x-www-form-urlencoded" => Some(Media::Form),
            "multipart/form-data" => Some(Media::Multipart),
            "application/xml" | "text/xml" => Some(Media::Xml),
            other
                if other.starts_with("application/")
                    && other.len() > "application/+xml".len()
                    && other.ends_with("+xml") =>
            {
                Some(Media::Xml)
            }
            _ => None,
        }
    }
}

/// Reads a webhook's body sent as one of `accepted` (else 415, naming them as `expected`),
/// within the size limit (else 413), every part of a multipart body in full.
async fn engine_body(
    request: axum::extract::Request,
    state: &AppState,
    accepted: &[Media],
    expected: &str,
) -> Result<EngineBody, AppError> {
    let declared =
        request.headers().get(header::CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let Some(media) = declared.as_deref().and_then(Media::of).filter(|m| accepted.contains(m)) else {
        let given = match declared {
            Some(t) => format!("`{}`", t.chars().take(80).collect::<String>()),
            None => "not given".to_owned(),
        };
        return Err(AppError::Rejected {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            message: format!("send the body as {expected}; this request's Content-Type is {given}"),
        });
    };
    let too_large = || AppError::Rejected {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        message: format!(
            "the body is larger than the {} MiB an ingest request may carry; send smaller images",
            state.config.ingest_max_body_mib
        ),
    };
    let whole: fn(Bytes) -> EngineBody = match media {
        Media::Json => EngineBody::Json,
        Media::Form => EngineBody::Form,
        Media::Xml => EngineBody::Xml,
        Media::Multipart => return parts(request, state, too_large).await.map(EngineBody::Multipart),
    };
    Bytes::from_request(request, state).await.map(whole).map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        status => AppError::Rejected { status, message: rejection.body_text() },
    })
}

/// Every part of a `multipart/form-data` body, read in full: 413 past the size limit, 400 for
/// whatever else keeps it from being read (it is the sender's).
async fn parts(
    request: axum::extract::Request,
    state: &AppState,
    too_large: impl Fn() -> AppError,
) -> Result<Vec<Part>, AppError> {
    let unreadable = |status: StatusCode, why: String| match status {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        _ => AppError::Rejected {
            status: StatusCode::BAD_REQUEST,
            message: format!("the multipart/form-data body cannot be read: {why}"),
        },
    };
    let mut multipart = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| unreadable(e.status(), e.body_text()))?;
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| unreadable(e.status(), e.body_text()))? {
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(str::to_owned);
        let bytes = field.bytes().await.map_err(|e| unreadable(e.status(), e.body_text()))?;
        parts.push(Part { name, file_name, content_type, bytes });
    }
    Ok(parts)
}

/// A Plate Recognizer hook's body: JSON, a form with the hook in its `json` field, or
/// `multipart/form-data` with the hook in `json` and the image in `upload`.
struct PlateRecognizerBody(EngineBody);

impl FromRequest<AppState> for PlateRecognizerBody {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, AppError> {
        let accepted = [Media::Json, Media::Form, Media::Multipart];
        let expected = "JSON (application/json), a form (application/x-www-form-urlencoded) or \
                        multipart/form-data, as Plate Recognizer sends its webhooks";
        engine_body(request, state, &accepted, expected).await.map(PlateRecognizerBody)
    }
}

/// A Hikvision alarm's body: `multipart/form-data` with its `anpr.xml` and pictures, or the XML
/// alone (heartbeats).
struct HikvisionBody(EngineBody);

impl FromRequest<AppState> for HikvisionBody {
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, AppError> {
        let accepted = [Media::Multipart, Media::Xml];
        let expected = "multipart/form-data with an anpr.xml part, or XML (application/xml), as Hikvision \
                        cameras send their alarms";
        engine_body(request, state, &accepted, expected).await.map(HikvisionBody)
    }
}

/// A Plate Recognizer webhook, Snapshot's or Stream's: each result naming a plate is a read. A
/// hook without a plate, another event, or a read held already is answered 200 (Plate
/// Recognizer drops a webhook that keeps failing).
#[utoipa::path(
    post,
    path = INGEST_PLATERECOGNIZER,
    request_body(
        description = "A Plate Recognizer webhook (Snapshot `image.done` or Stream `recognition`): the hook as \
                       JSON; or a form, or `multipart/form-data`, with the hook in its `json` field and the \
                       image in `upload`.",
        content(
            (serde_json::Value = "application/json"),
            (serde_json::Value = "multipart/form-data"),
            (serde_json::Value = "application/x-www-form-urlencoded")
        )
    ),
    responses((status = 200, description = "Taken: what became of each plate (nothing, for a hook without one)", body = IngestReport), (status = 422, description = "Refused: every read, each with why (the report), or the payload whole (the error)", body = crate::http::openapi::IngestRefusal)),
    security(("api_key" = []))
)]
async fn platerecognizer(
    State(state): State<AppState>,
    Extension(feed): Extension<cameras::Feed>,
    PlateRecognizerBody(body): PlateRecognizerBody,
) -> AppResult<(StatusCode, Json<IngestReport>)> {
    const FORMAT: &str = "platerecognizer";
    let bad = async |payload: &[u8], reason: String| {
        refuse(&state, feed.id, FORMAT, payload, StatusCode::BAD_REQUEST, reason).await
    };
    let (json, upload) = match body {
        EngineBody::Json(bytes) => (bytes, None),
        EngineBody::Form(bytes) => {
            let fields = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes).unwrap_or_default();
            match fields.into_iter().find(|(name, _)| name == "json") {
                Some((_, json)) => (Bytes::from(json), None),
                None => return Err(bad(&bytes, "the form holds no `json` field (the hook)".into()).await),
            }
        }
        EngineBody::Multipart(mut parts) => {
            let upload = parts.iter().position(|p| p.name == "upload").map(|i| parts.swap_remove(i).bytes);
            match parts.into_iter().find(|p| p.name == "json") {
                Some(part) => (part.bytes, upload),
                None => return Err(bad(b"", "the multipart body holds no `json` part (the hook)".into()).await),
            }
        }
        EngineBody::Xml(bytes) => return Err(bad(&bytes, "a Plate Recognizer hook is JSON, not XML".into()).await),
    };
    let Ok(text) = String::from_utf8(json.to_vec()) else {
        return Err(bad(&json, "the hook is not UTF-8 text".into()).await);
    };
    // Decoding the image to cut plates from it is work for the blocking pool.
    let parsed = tokio::task::spawn_blocking(move || platerecognizer::parse(&text, upload.as_deref()))
        .await
        .map_err(AppError::internal)?;
    let reads = match parsed {
        Err(reason) => return Err(bad(&json, reason).await),
        Ok(platerecognizer::Hook::Other(event)) => {
            tracing::debug!(feed = feed.id, event, "a Plate Recognizer hook with no recognition: nothing stored");
            return answer(IngestReport::default());
        }
        Ok(platerecognizer::Hook::Results { reads, .. }) => reads,
    };
    if reads.is_empty() {
        return answer(IngestReport::default());
    }
    if reads.len() > MAX_BATCH {
        let reason = format!("a hook holds at most {MAX_BATCH} plates; this one holds {}", reads.len());
        return Err(refuse(&state, feed.id, FORMAT, &json, StatusCode::PAYLOAD_TOO_LARGE, reason).await);
    }
    let submitted =
        reads.into_iter().map(|(index, raw, read)| Submitted { index, read, raw, sighting: None }).collect();
    answer(ingest::ingest(&state.intake(), &feed, FORMAT, submitted).await?)
}

/// A Hikvision camera's ISAPI alarm: an ANPR event is a read; a heartbeat, another event, an
/// ANPR event without a plate, or a read held already is answered 200.
#[utoipa::path(
    post,
    path = INGEST_HIKVISION,
    request_body(
        description = "A Hikvision ANPR alarm: `multipart/form-data` with its `anpr.xml` \
                       (`EventNotificationAlert`) and pictures (`licensePlatePicture.jpg`, `detectionPicture.jpg` \
                       or `vehiclePicture.jpg`), or the XML alone (heartbeats).",
        content((String = "multipart/form-data"), (String = "application/xml"))
    ),
    responses((status = 200, description = "Taken: what became of the read (nothing, for a heartbeat or another event)", body = IngestReport), (status = 422, description = "Refused: the read, with why (the report), or the payload whole (the error)", body = crate::http::openapi::IngestRefusal)),
    security(("api_key" = []), ("feed_password" = []))
)]
async fn hikvision(
    State(state): State<AppState>,
    Extension(feed): Extension<cameras::Feed>,
    HikvisionBody(body): HikvisionBody,
) -> AppResult<(StatusCode, Json<IngestReport>)> {
    const FORMAT: &str = "hikvision";
    let bad = async |payload: &[u8], reason: String| {
        refuse(&state, feed.id, FORMAT, payload, StatusCode::BAD_REQUEST, reason).await
    };
    let (xml, plate_picture, overview) = match body {
        EngineBody::Xml(bytes) => (bytes, None, None),
        EngineBody::Multipart(parts) => {
            let mut xml = None;
            let mut plate_picture = None;
            let mut overview: Option<(u8, Bytes)> = None;
            // An empty picture part is no picture.
            for part in parts.into_iter().filter(|p| !p.bytes.is_empty()) {
                let kind = hikvision::picture_kind(&part.name)
                    .or_else(|| part.file_name.as_deref().and_then(hikvision::picture_kind));
                let is_xml = part.named(hikvision::ALERT_PART)
                    || part.name.to_ascii_lowercase().ends_with(".xml")
                    || part.content_type.as_deref().is_some_and(|t| t.to_ascii_lowercase().contains("xml"));
                match kind {
                    Some((ImageKind::Plate, _)) => plate_picture = plate_picture.or(Some(part.bytes)),
                    // The detection picture, else the vehicle picture.
                    Some((ImageKind::Overview, rank)) if overview.as_ref().is_none_or(|(held, _)| rank < *held) => {
                        overview = Some((rank, part.bytes));
                    }
                    None if is_xml && xml.is_none() => xml = Some(part.bytes),
                    _ => {}
                }
            }
            match xml {
                Some(xml) => (xml, plate_picture, overview.map(|(_, bytes)| bytes)),
                None => {
                    let reason = "the multipart body holds no anpr.xml part (the camera's EventNotificationAlert)";
                    return Err(bad(b"", reason.into()).await);
                }
            }
        }
        EngineBody::Json(bytes) | EngineBody::Form(bytes) => {
            return Err(bad(&bytes, "a Hikvision alarm is XML".into()).await);
        }
    };
    let Ok(text) = std::str::from_utf8(&xml) else {
        return Err(bad(&xml, "anpr.xml is not UTF-8 text".into()).await);
    };
    let alert = match hikvision::parse(text, plate_picture.as_deref(), overview.as_deref()) {
        Ok(alert) => alert,
        Err(reason) => return Err(bad(&xml, reason).await),
    };
    let (read, raw): (NativeRead, Box<RawValue>) = match alert {
        hikvision::Alert::Nothing(what) => {
            tracing::debug!(feed = feed.id, what, "a Hikvision alarm with nothing to store");
            return answer(IngestReport::default());
        }
        hikvision::Alert::Read { read, received } => (*read, received),
    };
    let submitted = vec![Submitted { index: 0, read: Ok(read), raw, sighting: None }];
    answer(ingest::ingest(&state.intake(), &feed, FORMAT, submitted).await?)
}

/// The report: 200, unless every read of the request was refused (one read a request, as
/// engines send them, refused), which is 422 with the same report naming why.
fn answer(report: IngestReport) -> AppResult<(StatusCode, Json<IngestReport>)> {
    let all_refused =
        report.accepted == 0 && report.replaced == 0 && report.duplicates == 0 && !report.refused.is_empty();
    let status = if all_refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Json(report)))
}

#[cfg(test)]
mod tests {
    use super::{basic_password, declares_json, Media};
    use axum::http::{header, HeaderMap, HeaderValue};

    #[test]
    fn engines_declare_their_bodies() {
        for (content_type, media) in [
            ("application/json", Some(Media::Json)),
            ("application/x-www-form-urlencoded; charset=utf-8", Some(Media::Form)),
            ("multipart/form-data; boundary=MIME_boundary", Some(Media::Multipart)),
            ("application/xml; charset=\"UTF-8\"", Some(Media::Xml)),
            ("Text/XML", Some(Media::Xml)),
            ("application/isapi+xml", Some(Media::Xml)),
            ("application/+xml", None),
            ("text/plain", None),
            ("", None),
        ] {
            assert_eq!(Media::of(content_type), media, "{content_type}");
        }
    }

    #[test]
    fn a_key_is_the_password_of_basic_authentication() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            basic_password(&headers)
        };
        // "camera:anpr_k3y:with:colons"
        assert_eq!(with("Basic Y2FtZXJhOmFucHJfazN5OndpdGg6Y29sb25z").as_deref(), Some("anpr_k3y:with:colons"));
        assert_eq!(with("basic OmFucHJfazN5").as_deref(), Some("anpr_k3y"), "no user name");
        assert_eq!(with("Basic Y2FtZXJhOg=="), None, "no password");
        assert_eq!(with("Bearer anpr_k3y"), None);
        assert_eq!(with("Basic !!!"), None);
        assert_eq!(basic_password(&HeaderMap::new()), None);
    }

    #[test]
    fn json_is_declared_by_its_type_or_a_json_suffix() {
        for json in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/vnd.openalpr+json",
            " application/json ;charset=UTF-8",
        ] {
            assert!(declares_json(json), "{json}");
        }
        for other in
            ["", "text/plain", "text/json", "application/jsonx", "application/json-seq", "application/+json", "json"]
        {
            assert!(!declares_json(other), "{other}");
        }
    }
}
