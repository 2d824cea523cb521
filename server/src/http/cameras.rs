//! Feeds, cameras and their governance (R3); the dead-letter store.

use crate::audit::{self, Actor, Event};
use crate::cameras;
use crate::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser, SystemAdmin};
use crate::ingest;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use shared::cameras::{FeedCreated, NewCamera, NewFeed, StatusChange, ZoneStatusChange, ZoneStatusChanged};
use shared::reads::DeadLetter;
use shared::{AuditAction, CameraView, FeedView, Role};

/// Who may see the camera network on the map.
pub const MAP_ROLES: [Role; 3] = [Role::Investigator, Role::HotlistAdmin, Role::SystemAdmin];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/feeds", get(list_feeds).post(create_feed))
        .route("/cameras", get(list_cameras).post(create_camera))
        .route("/cameras/{id}/status", patch(set_status))
        .route("/cameras/zone-status", post(set_zone_status))
        .route("/ingest/dead-letters", get(dead_letters))
}

async fn list_feeds(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<FeedView>>> {
    Ok(Json(cameras::feeds(&state.db).await?))
}

async fn create_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewFeed>,
) -> AppResult<(StatusCode, Json<FeedCreated>)> {
    let admin = user.require(Role::SystemAdmin)?;
    let created = cameras::create_feed(&state.db, state.clock.now(), Actor::user(admin), &new.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list_cameras(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<CameraView>>> {
    user.require_any(&MAP_ROLES)?;
    Ok(Json(cameras::cameras(&state.db).await?))
}

async fn create_camera(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewCamera>,
) -> AppResult<(StatusCode, Json<CameraView>)> {
    let admin = user.require(Role::SystemAdmin)?;
    let camera = cameras::create_camera(&state.db, state.clock.now(), Actor::user(admin), new).await?;
    state.cameras.clear();
    Ok((StatusCode::CREATED, Json(camera)))
}

async fn set_status(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<StatusChange>,
) -> AppResult<Json<CameraView>> {
    let admin = user.require(Role::SystemAdmin)?;
    let camera = cameras::set_status(&state.db, state.clock.now(), Actor::user(admin), id, change).await?;
    state.cameras.clear();
    Ok(Json(camera))
}

async fn set_zone_status(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(change): ApiJson<ZoneStatusChange>,
) -> AppResult<Json<ZoneStatusChanged>> {
    let admin = user.require(Role::SystemAdmin)?;
    let changed = cameras::set_zone_status(&state.db, state.clock.now(), Actor::user(admin), change).await?;
    state.cameras.clear();
    Ok(Json(changed))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<i64>,
}

async fn dead_letters(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<Limit>,
) -> AppResult<Json<Vec<DeadLetter>>> {
    let admin = user.require(Role::SystemAdmin)?;
    let letters = ingest::dead_letters(&state.db, q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(admin), AuditAction::DeadLettersViewed).details(json!({ "count": letters.len() })),
    )
    .await?;
    Ok(Json(letters))
}
