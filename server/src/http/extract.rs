//! Extractors: the signed-in user, and JSON/path/query readers whose refusals are API errors
//! naming the problem.

use crate::access::{sessions::USER_ID_KEY, users};
pub use crate::access::{
    Auditor, Capability, HotlistAdmin, Inspector, Investigator, Involved, MapViewer, Overseer, Supervisor, SystemAdmin,
};
use crate::audit::{self, Actor};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use serde_json::json;
use shared::{AuditAction, Role, UserView};
use tower_sessions::Session;

/// A JSON body; a malformed, mistyped, unknown-field or oversize body is refused with the
/// reason.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// The signed-in user, loaded afresh on every request so that a change of roles or a disabled
/// account takes effect at once. Requests without a valid session are refused with 401.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub UserView);

/// The signed-in user of `session`, if any; a session of a disabled or deleted account is
/// ended.
pub async fn session_user(state: &AppState, session: &Session) -> AppResult<Option<UserView>> {
    let Some(id) = session.get::<i64>(USER_ID_KEY).await.map_err(AppError::internal)? else {
        return Ok(None);
    };
    let mut conn = state.db.pool().acquire().await?;
    match users::find(&mut conn, id).await? {
        Some(user) if !user.disabled => Ok(Some(user)),
        _ => {
            session.flush().await.map_err(AppError::internal)?;
            Ok(None)
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session =
            Session::from_request_parts(parts, state).await.map_err(|_| AppError::internal("session layer missing"))?;
        session_user(state, &session).await?.map(CurrentUser).ok_or_else(AppError::not_signed_in)
    }
}

/// Role extractors: a handler that takes one can only run for a signed-in user who holds the
/// role as they stand now (401 without a session, 403 without the role, the refusal audited with
/// the method and path asked for, R21), so who may call it is in its signature. The extracted
/// value is the domain's capability (`crate::access::capability`).
macro_rules! role_extractor {
    ($($name:ident => $roles:expr),* $(,)?) => {$(
        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
                let user = CurrentUser::from_request_parts(parts, state).await?;
                match $name::of(user.0) {
                    Ok(capability) => Ok(capability),
                    Err(user) => Err(refuse_role(state, parts, &user, &$roles).await),
                }
            }
        }
    )*};
}

role_extractor!(
    Investigator => [Investigator::ROLE],
    Supervisor => [Supervisor::ROLE],
    Auditor => [Auditor::ROLE],
    HotlistAdmin => [HotlistAdmin::ROLE],
    SystemAdmin => [SystemAdmin::ROLE],
    Involved => Involved::ROLES,
    MapViewer => MapViewer::ROLES,
    Overseer => Overseer::ROLES,
);

/// A supervisor of inspector rank (R11).
impl FromRequestParts<AppState> for Inspector {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let supervisor = Supervisor::from_request_parts(parts, state).await?;
        match Inspector::of(supervisor) {
            Ok(inspector) => Ok(inspector),
            Err(s) => {
                let why =
                    AppError::Forbidden(format!("this needs a supervisor of inspector rank ({} is not)", s.username));
                Err(refuse(state, parts, &s, why, &[Supervisor::ROLE]).await)
            }
        }
    }
}

/// The 403 for a user without any of `roles`, recorded as a refusal (R21).
pub async fn refuse_role(state: &AppState, parts: &Parts, user: &UserView, roles: &[Role]) -> AppError {
    refuse(state, parts, user, needs_role(roles), roles).await
}

/// The 403 for a caller without any of `roles`.
pub fn needs_role(roles: &[Role]) -> AppError {
    let names: Vec<&str> = roles.iter().map(|r| r.label()).collect();
    AppError::Forbidden(format!("this needs the role: {}", names.join(" or ")))
}

/// `why`, recorded as a refusal of the method and path asked for (R21).
async fn refuse(state: &AppState, parts: &Parts, user: &UserView, why: AppError, roles: &[Role]) -> AppError {
    // The path as asked, not as left by the router nesting this one.
    let path = parts.extensions.get::<axum::extract::OriginalUri>().map_or(parts.uri.path(), |uri| uri.0.path());
    let asked = json!({ "method": parts.method.as_str(), "path": path, "roles": roles });
    if let Err(e) =
        audit::refused(&state.db, state.clock.now(), Actor::user(user), AuditAction::AccessRefused, asked, &why).await
    {
        return AppError::internal(e);
    }
    why
}
