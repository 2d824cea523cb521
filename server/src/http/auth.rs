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
use axum::response::Redirect;
use axum::Json;
use shared::accounts::SignInFailure;
use shared::endpoints::{ME, SIGN_IN, SIGN_OUT};
use shared::{AuditAction, LoginRequest, UserView};
use std::sync::Arc;
use tower_sessions::Session;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_in)).routes(routes!(sign_out)).routes(routes!(me))
}

#[utoipa::path(
    post,
    path = SIGN_IN,
    summary = "Sign in: the user, and a session cookie",
    request_body = LoginRequest,
    responses((status = 200, description = "Signed in: the `anpr_session` cookie is set", body = UserView), (status = 503, description = "The server is too busy checking passwords: try again after `Retry-After`.", body = shared::ErrorBody))
)]
async fn sign_in(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    ClientAddress(address): ClientAddress,
    session: Session,
    ApiJson(body): ApiJson<LoginRequest>,
) -> AppResult<Json<UserView>> {
    Ok(Json(open_session(&state, &limits, address, &session, &body).await?))
}

/// Signs `body`'s user in on `session`, throttled per address; failures are recorded by
/// `login::authenticate`.
async fn open_session(
    state: &AppState,
    limits: &Limits,
    address: Option<std::net::IpAddr>,
    session: &Session,
    body: &LoginRequest,
) -> AppResult<UserView> {
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
    Ok(user)
}

/// The sign-in page's own form, posted by a browser before the page has become interactive
/// (or without scripts): the same sign-in, answered with a redirect — home, or back to the
/// form with what went wrong. The password travels only in the body. Another site's form is
/// refused, so no one is signed in to someone else's account unawares.
pub async fn sign_in_form(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    ClientAddress(address): ClientAddress,
    session: Session,
    headers: axum::http::HeaderMap,
    body: Result<axum::Form<LoginRequest>, axum::extract::rejection::FormRejection>,
) -> Redirect {
    let result = match (crate::http::origin::cross_site(&headers), body) {
        (Some(why), _) => {
            // Refused, and on the record (R21) — without the name typed, which may be anyone's.
            let event = Event::new(Actor::claimed("(another site's form)"), AuditAction::LoginFailed)
                .details(serde_json::json!({ "reason": why }));
            if let Err(e) = audit::record_alone(&state.db, state.clock.now(), event).await {
                tracing::error!(error = %e, "sign-in form: could not record a cross-site refusal");
            }
            Err(AppError::Forbidden(why))
        }
        // Not the page's form: no words of the parser's go back.
        (None, Err(_)) => Err(AppError::Invalid("not the sign-in form".into())),
        (None, Ok(axum::Form(body))) => open_session(&state, &limits, address, &session, &body).await,
    };
    // The page says what went wrong from a fixed list: a link cannot put words in its mouth.
    let failed = match result {
        Ok(_) => return Redirect::to("/"),
        Err(AppError::Unauthorized(_)) => SignInFailure::Refused,
        Err(AppError::TooManyRequests { .. } | AppError::Unavailable { .. }) => SignInFailure::Busy,
        Err(AppError::Forbidden(_)) => SignInFailure::CrossSite,
        Err(AppError::Internal(e)) => {
            tracing::error!(error = %e, "sign-in form");
            SignInFailure::Failed
        }
        Err(_) => SignInFailure::Failed,
    };
    Redirect::to(&format!("{}?error={}", app::LOGIN_PATH, failed.as_str()))
}

#[utoipa::path(
    post,
    path = SIGN_OUT,
    summary = "Sign out: end the session",
    responses((status = 204, description = "Done")),
    security(("anpr_session" = []))
)]
async fn sign_out(State(state): State<AppState>, session: Session, user: CurrentUser) -> AppResult<StatusCode> {
    session.flush().await.map_err(AppError::internal)?;
    audit::record_alone(&state.db, state.clock.now(), Event::new(Actor::user(&user.0), AuditAction::Logout)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    get,
    path = ME,
    summary = "The signed-in user",
    responses((status = 200, description = "OK", body = UserView)),
    security(("anpr_session" = []))
)]
async fn me(user: CurrentUser) -> Json<UserView> {
    Json(user.0)
}
