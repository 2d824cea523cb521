//! Feeds, cameras and their governance (R3); the network's health as figures.

use crate::audit::Actor;
use crate::cameras;
use crate::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, MapViewer, Overseer, SystemAdmin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::cameras::{CameraHours, HoursQuery, OutageView, OutagesQuery};
use shared::cameras::{FeedCreated, NewCamera, NewFeed, StatusChange, ZoneStatusChange, ZoneStatusChanged};
use shared::cameras::{PurposesChange, SourceBasis};
use shared::endpoints::ZONE_STATUS;
use shared::endpoints::{CAMERAS, CAMERA_HEALTH, CAMERA_HOURS, CAMERA_OUTAGES, CAMERA_STATUS, FEEDS, FEED_PURPOSES};
use shared::{AuditAction, CameraHealth, CameraView, FeedView};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_feeds, create_feed))
        .routes(routes!(change_purposes))
        .routes(routes!(list_cameras, create_camera))
        .routes(routes!(set_status))
        .routes(routes!(set_zone_status))
        .routes(routes!(health))
        .routes(routes!(outages))
        .routes(routes!(hours))
}

#[utoipa::path(
    get,
    path = FEEDS,
    summary = "Feeds, with the purposes their reads may serve and every act on them",
    responses((status = 200, description = "OK", body = Vec<FeedView>)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn list_feeds(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<FeedView>>> {
    Ok(Json(cameras::feeds(&state.db, state.clock.now()).await?))
}

/// A governance act on the purposes a feed's (or one zone's) reads may serve (R3, R10); a
/// refused one is audited as well.
#[utoipa::path(
    put,
    path = FEED_PURPOSES,
    params(("id" = i64, Path, description = "The id")),
    request_body = PurposesChange,
    responses((status = 200, description = "OK", body = SourceBasis)),
    security(("anpr_session" = ["system_admin"]))
)]
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

#[utoipa::path(
    post,
    path = FEEDS,
    summary = "Create a feed; its API key is given once, now",
    request_body = NewFeed,
    responses((status = 201, description = "Created, with its API key (shown only now)", body = FeedCreated)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn create_feed(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiJson(new): ApiJson<NewFeed>,
) -> AppResult<(StatusCode, Json<FeedCreated>)> {
    let created = cameras::create_feed(&state.db, state.clock.now(), Actor::user(&admin), &new.name).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

#[utoipa::path(
    get,
    path = CAMERAS,
    summary = "Cameras, with status and refusal counts",
    responses((status = 200, description = "OK", body = Vec<CameraView>)),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["hotlist_admin"]), ("anpr_session" = ["system_admin"]))
)]
async fn list_cameras(State(state): State<AppState>, _: MapViewer) -> AppResult<Json<Vec<CameraView>>> {
    Ok(Json(cameras::cameras(&state.db).await?))
}

#[utoipa::path(
    post,
    path = CAMERAS,
    summary = "Register a camera (pending until approved)",
    request_body = NewCamera,
    responses((status = 201, description = "Created", body = CameraView)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn create_camera(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiJson(new): ApiJson<NewCamera>,
) -> AppResult<(StatusCode, Json<CameraView>)> {
    let camera = cameras::create_camera(&state.db, state.clock.now(), Actor::user(&admin), new).await?;
    state.cameras_changed().await;
    Ok((StatusCode::CREATED, Json(camera)))
}

#[utoipa::path(
    patch,
    path = CAMERA_STATUS,
    summary = "Set a camera's status, with a reason",
    params(("id" = i64, Path, description = "The id")),
    request_body = StatusChange,
    responses((status = 200, description = "OK", body = CameraView)),
    security(("anpr_session" = ["system_admin"]))
)]
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

#[utoipa::path(
    post,
    path = ZONE_STATUS,
    summary = "Set the status of every camera in a zone",
    request_body = ZoneStatusChange,
    responses((status = 200, description = "OK", body = ZoneStatusChanged)),
    security(("anpr_session" = ["system_admin"]))
)]
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
#[utoipa::path(
    get,
    path = CAMERA_HEALTH,
    responses((status = 200, description = "OK", body = Vec<CameraHealth>)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn health(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<CameraHealth>>> {
    Ok(Json(cameras::health(&state.db, state.clock.now()).await?))
}

/// The cameras' outages: those open now (the admins' tray), or those overlapping a period
/// (R23's technical difficulties). Figures and places, no reads.
#[utoipa::path(
    get,
    path = CAMERA_OUTAGES,
    params(OutagesQuery),
    responses((status = 200, description = "OK", body = Vec<OutageView>)),
    security(("anpr_session" = ["system_admin"]), ("anpr_session" = ["auditor"]))
)]
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
#[utoipa::path(
    get,
    path = CAMERA_HOURS,
    params(("id" = i64, Path, description = "The id"), HoursQuery),
    responses((status = 200, description = "OK", body = CameraHours)),
    security(("anpr_session" = ["system_admin"]), ("anpr_session" = ["auditor"]))
)]
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
