//! Hotlists (hotlist admins) and the alerts they raise (their audiences).

use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::hotlists;
use crate::http::extract::{ApiJson, ApiPath, CurrentUser};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use shared::hotlists::{AlertView, EntryView, HotlistView, NewEntry, NewHotlist, RemoveEntry};
use shared::{AuditAction, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hotlists", get(lists).post(create))
        .route("/hotlists/{id}/entries", get(entries).post(add_entry))
        .route("/hotlists/entries/{id}/remove", post(remove_entry))
        .route("/alerts", get(alerts))
}

async fn lists(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<HotlistView>>> {
    user.require(Role::HotlistAdmin)?;
    Ok(Json(hotlists::lists(&state.db).await?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewHotlist>,
) -> AppResult<(StatusCode, Json<HotlistView>)> {
    let admin = user.require(Role::HotlistAdmin)?;
    Ok((StatusCode::CREATED, Json(hotlists::create_list(&state.db, state.clock.now(), Actor::user(admin), new).await?)))
}

async fn entries(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<EntryView>>> {
    user.require(Role::HotlistAdmin)?;
    Ok(Json(hotlists::entries(&state.db, id).await?))
}

async fn add_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewEntry>,
) -> AppResult<(StatusCode, Json<EntryView>)> {
    let admin = user.require(Role::HotlistAdmin)?;
    let entry = hotlists::add_entry(&state.db, state.clock.now(), Actor::user(admin), id, new).await?;
    state.hotlists.reload(&state.db).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

async fn remove_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RemoveEntry>,
) -> AppResult<StatusCode> {
    let admin = user.require(Role::HotlistAdmin)?;
    hotlists::remove_entry(&state.db, state.clock.now(), Actor::user(admin), id, &body.reason).await?;
    state.hotlists.reload(&state.db).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The alerts of the lists whose audience the user is in; nobody else's (R8).
async fn alerts(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<AlertView>>> {
    let list = hotlists::alerts_for(&state.db, user.0.id, 200).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&user.0), AuditAction::AlertsListed).details(json!({ "count": list.len() })),
    )
    .await?;
    Ok(Json(list))
}
