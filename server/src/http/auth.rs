//! Signing in and out.

use crate::access::{login, sessions::USER_ID_KEY};
use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, CurrentUser};
use crate::http::limits::ClientAddress;
use crate::http::limits::Limits;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use shared::{AuditAction, LoginRequest, UserView};
use std::sync::Arc;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new().route("/auth/login", post(sign_in)).route("/auth/logout", post(sign_out)).route("/auth/me", get(me))
}

async fn sign_in(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    ClientAddress(address): ClientAddress,
    session: Session,
    ApiJson(body): ApiJson<LoginRequest>,
) -> AppResult<Json<UserView>> {
    limits.sign_in(address)?;
    let user = login::authenticate(
        &state.db,
        state.clock.now(),
        &state.config.login,
        std::time::Duration::from_secs(state.config.limits.password_queue_seconds),
        &body.username,
        &body.password,
    )
    .await?;
    // A fresh session id at sign-in: an id planted before sign-in is worthless after it.
    session.cycle_id().await.map_err(AppError::internal)?;
    session.insert(USER_ID_KEY, user.id).await.map_err(AppError::internal)?;
    Ok(Json(user))
}

async fn sign_out(State(state): State<AppState>, session: Session, user: CurrentUser) -> AppResult<StatusCode> {
    session.flush().await.map_err(AppError::internal)?;
    audit::record_alone(&state.db, state.clock.now(), Event::new(Actor::user(&user.0), AuditAction::Logout)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(user: CurrentUser) -> Json<UserView> {
    Json(user.0)
}
