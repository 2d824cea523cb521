//! Reads for the live map (investigators and admins): the newest reads, a live stream of reads
//! as they are stored, a read's detail and its images. Every access is audited (R21); every
//! image view on its own.

use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::http::cameras::MAP_ROLES;
use crate::http::extract::{ApiPath, ApiQuery, CurrentUser};
use crate::imagery::StoredFormat;
use crate::reads;
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::json;
use shared::{AuditAction, ImageKind, ReadView};
use std::convert::Infallible;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::StreamExt;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reads/recent", get(recent))
        .route("/reads/live", get(live))
        .route("/reads/{id}", get(detail))
        .route("/reads/{id}/images/{kind}", get(image))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recent {
    limit: Option<i64>,
}

async fn recent(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<Recent>,
) -> AppResult<Json<Vec<ReadView>>> {
    let viewer = user.require_any(&MAP_ROLES)?;
    let list = reads::recent(&state.db, q.limit.unwrap_or(200).clamp(1, 1000)).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(viewer), AuditAction::ReadsListed)
            .details(json!({ "what": "newest reads", "count": list.len() })),
    )
    .await?;
    Ok(Json(list))
}

/// Server-sent events, one `read` event per stored read. Opening the stream is audited.
async fn live(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let viewer = user.require_any(&MAP_ROLES)?;
    let receiver = state.live.subscribe();
    audit::record_alone(&state.db, state.clock.now(), Event::new(Actor::user(viewer), AuditAction::LiveReadsOpened))
        .await?;
    let stream = BroadcastStream::new(receiver).filter_map(|item| match item {
        Ok(read) => SseEvent::default().event("read").json_data(&*read).ok().map(Ok),
        // A slow client skips what it missed rather than holding everyone up.
        Err(_lagged) => None,
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<ReadView>> {
    let viewer = user.require_any(&MAP_ROLES)?;
    let read = reads::find(&state.db, id).await?.ok_or_else(|| AppError::NotFound(format!("no read with id {id}")))?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(viewer), AuditAction::ReadViewed)
            .subject(format!("read {id}"))
            .details(json!({ "plate": read.plate })),
    )
    .await?;
    Ok(Json(read))
}

async fn image(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, kind)): ApiPath<(i64, ImageKind)>,
) -> AppResult<Response> {
    let viewer = user.require_any(&MAP_ROLES)?;
    let response = image_response(&state, id, kind).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(viewer), AuditAction::ImageViewed)
            .subject(format!("read {id}"))
            .details(json!({ "image": kind })),
    )
    .await?;
    Ok(response)
}

/// A read's image as a response, for callers that have already checked the viewer may see it.
pub async fn image_response(state: &AppState, id: i64, kind: ImageKind) -> AppResult<Response> {
    let key = reads::image_key(&state.db, id, kind)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("read {id} has no {} image", kind.as_str())))?;
    image_from_store(state, &key).await
}

/// The image kept under `key`, as a response no cache keeps.
pub async fn image_from_store(state: &AppState, key: &str) -> AppResult<Response> {
    let bytes = state.images.get(key).await.map_err(AppError::internal)?;
    let content_type = key.rsplit('.').next().and_then(StoredFormat::from_extension).map(|f| f.content_type());
    Ok((
        [
            (header::CONTENT_TYPE, content_type.unwrap_or("application/octet-stream")),
            // Personal data (R1): never kept by shared caches, nor by the browser beyond the page.
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}
