//! Ingest over HTTP, authenticated per feed by its API key (`X-Api-Key`). At the door, in this
//! order: attempts without a valid key are answered 401, and limited per client address (429);
//! a body not declared JSON is refused with 415, and one over the size limit with 413 — each
//! with the JSON error every API answer has, naming what is expected.

use crate::cameras;
use crate::error::{AppError, AppResult};
use crate::http::limits::ClientAddress;
use crate::http::limits::Limits;
use crate::ingest::{self, openalpr, Submitted};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, State};
use axum::http::{header, StatusCode};
use axum::{Extension, Json};
use serde_json::value::RawValue;
use shared::endpoints::{INGEST_OPENALPR, INGEST_READS};
use shared::reads::MAX_BATCH;
use shared::{IngestReport, NativeRead};
use std::sync::Arc;
use utoipa_axum::{router::OpenApiRouter, routes};

pub const API_KEY_HEADER: &str = "x-api-key";

pub fn router(state: AppState, max_body_bytes: usize) -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(native))
        .routes(routes!(alpr))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        // The key is checked before the body is read: an unauthenticated request is answered at
        // once, whatever it carries.
        .route_layer(axum::middleware::from_fn_with_state(state, authenticate_feed))
}

/// Authenticates the feed by its `X-Api-Key` and hands it to the handler; refuses at once
/// without reading the body. An attempt without a valid key (none, or an unknown one) counts
/// against its address's limit, and past it is answered 429 instead of 401.
async fn authenticate_feed(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    ClientAddress(address): ClientAddress,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let key = request.headers().get(API_KEY_HEADER).and_then(|v| v.to_str().ok());
    let feed = match cameras::authenticate(&state.db, key).await {
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
    use super::declares_json;

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
