//! User administration: system admins only.

use crate::access::users;
use crate::audit::Actor;
use crate::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, CurrentUser};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use shared::{NewUser, Role, UserUpdate, UserView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route("/users/{id}", patch(update))
        .route("/users/directory", get(directory))
}

async fn list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<UserView>>> {
    user.require(Role::SystemAdmin)?;
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
