//! Feeds, cameras and their governance (R3); the network's health as figures.

use crate::audit::Actor;
use crate::cameras;
use crate::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, MapViewer, Overseer, SystemAdmin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
use shared::cameras::{CameraHours, HoursQuery, OutageView, OutagesQuery};
use shared::cameras::{FeedCreated, NewCamera, NewFeed, StatusChange, ZoneStatusChange, ZoneStatusChanged};
use shared::cameras::{PurposesChange, SourceBasis};
use shared::endpoints::ZONE_STATUS;
use shared::endpoints::{CAMERAS, CAMERA_HEALTH, CAMERA_HOURS, CAMERA_OUTAGES, CAMERA_STATUS, FEEDS, FEED_PURPOSES};
use shared::{AuditAction, CameraHealth, CameraView, FeedView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(FEEDS, get(list_feeds).post(create_feed))
        .route(FEED_PURPOSES, put(change_purposes))
        .route(CAMERAS, get(list_cameras).post(create_camera))
        .route(CAMERA_STATUS, patch(set_status))
        .route(ZONE_STATUS, post(set_zone_status))
        .route(CAMERA_HEALTH, get(health))
        .route(CAMERA_OUTAGES, get(outages))
        .route(CAMERA_HOURS, get(hours))
}

async fn list_feeds(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<FeedView>>> {
    Ok(Json(cameras::feeds(&state.db, state.clock.now()).await?))
}

/// A governance act on the purposes a feed's (or one zone's) reads may serve (R3, R10); a
/// refused one is audited as well.
async fn change_purposes(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<PurposesChange>,
) -> AppResult<Json<SourceBasis>> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = serde_json::json!({ "feed_id": id, "change": change });
    let changed = cameras::purposes::change(db, now, &admin, id, change).await;
    let refused = AuditAction::SourcePurposesRefused;
    Ok(Json(crate::audit::noting_refusal(changed, db, now, Actor::user(&admin), refused, asked).await?))
}

async fn create_feed(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiJson(new): ApiJson<NewFeed>,
) -> AppResult<(StatusCode, Json<FeedCreated>)> {
    let created = cameras::create_feed(&state.db, state.clock.now(), Actor::user(&admin), &new.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list_cameras(State(state): State<AppState>, _: MapViewer) -> AppResult<Json<Vec<CameraView>>> {
    Ok(Json(cameras::cameras(&state.db).await?))
}

async fn create_camera(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiJson(new): ApiJson<NewCamera>,
) -> AppResult<(StatusCode, Json<CameraView>)> {
    let camera = cameras::create_camera(&state.db, state.clock.now(), Actor::user(&admin), new).await?;
    state.cameras_changed().await;
    Ok((StatusCode::CREATED, Json(camera)))
}

async fn set_status(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<StatusChange>,
) -> AppResult<Json<CameraView>> {
    let camera = cameras::set_status(&state.db, state.clock.now(), Actor::user(&admin), id, change).await?;
    state.cameras_changed().await;
    Ok(Json(camera))
}

async fn set_zone_status(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiJson(change): ApiJson<ZoneStatusChange>,
) -> AppResult<Json<ZoneStatusChanged>> {
    let changed = cameras::set_zone_status(&state.db, state.clock.now(), Actor::user(&admin), change).await?;
    state.cameras_changed().await;
    Ok(Json(changed))
}

/// The camera network's health as figures, no plates (system admins): status, reads in the last
/// hour and day, the last read's time, refusals, and whether it is silent for longer than usual.
async fn health(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<CameraHealth>>> {
    Ok(Json(cameras::health(&state.db, state.clock.now()).await?))
}

/// The cameras' outages: those open now (the admins' tray), or those overlapping a period
/// (R23's technical difficulties). Figures and places, no reads.
async fn outages(
    State(state): State<AppState>,
    _: Overseer,
    ApiQuery(query): ApiQuery<OutagesQuery>,
) -> AppResult<Json<Vec<OutageView>>> {
    use crate::error::AppError;
    if let (Some(from), Some(to)) = (query.from, query.to) {
        if from >= to {
            return Err(AppError::field("to", format!("{to} is not after {from}")));
        }
    }
    if query.open && (query.from.is_some() || query.to.is_some()) {
        return Err(AppError::field("open", "either the open outages, or those of a period from and to".into()));
    }
    Ok(Json(crate::outages::list(&state.db, &query).await?))
}

/// A camera's reads per hour over the last `days` days: its health chart.
async fn hours(
    State(state): State<AppState>,
    _: Overseer,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<HoursQuery>,
) -> AppResult<Json<CameraHours>> {
    use crate::error::AppError;
    if !(1..=31).contains(&query.days) {
        return Err(AppError::field("days", format!("{} is not 1 to 31 days", query.days)));
    }
    if !cameras::cameras(&state.db).await?.iter().any(|c| c.id == id) {
        return Err(AppError::NotFound(format!("no camera with id {id}")));
    }
    Ok(Json(crate::outages::hours(&state.db, state.clock.now(), id, query.days).await?))
}
