//! User administration: system admins only.

use crate::access::{restrictions, users};
use crate::audit::Actor;
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, CurrentUser, SystemAdmin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use shared::search::Restrictions;
use shared::{NewUser, Role, UserUpdate, UserView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", patch(update))
        .route("/users/{id}/restrictions", get(restrictions).put(set_restrictions))
        .route("/users/directory", get(directory))
}

async fn list(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<UserView>>> {
    Ok(Json(users::list(&state.db).await?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewUser>,
) -> AppResult<(StatusCode, Json<UserView>)> {
    let admin = user.require(Role::SystemAdmin)?;
    let created = users::create(&state.db, state.clock.now(), Actor::user(admin), new).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<UserUpdate>,
) -> AppResult<Json<UserView>> {
    let admin = user.require(Role::SystemAdmin)?;
    Ok(Json(users::update(&state.db, state.clock.now(), admin, id, change).await?))
}

/// A user's search restrictions (R13).
async fn restrictions(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Restrictions>> {
    user.require(Role::SystemAdmin)?;
    let mut conn = state.db.pool().acquire().await?;
    users::find(&mut conn, id).await?.ok_or_else(|| AppError::NotFound(format!("no user with id {id}")))?;
    Ok(Json(restrictions::of(&mut conn, id).await?))
}

async fn set_restrictions(
    State(state): State<AppState>,
    SystemAdmin(admin): SystemAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<Restrictions>,
) -> AppResult<Json<Restrictions>> {
    Ok(Json(restrictions::set(&state.db, state.clock.now(), &admin, id, new).await?))
}

/// Who can be named in a restricted hotlist's audience: active users' ids and names only.
async fn directory(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Json<Vec<shared::accounts::DirectoryEntry>>> {
    user.require_any(&[Role::HotlistAdmin, Role::SystemAdmin])?;
    let users = users::list(&state.db).await?;
    Ok(Json(
        users
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| shared::accounts::DirectoryEntry { id: u.id, username: u.username, display_name: u.display_name })
            .collect(),
    ))
}
