//! Extractors: the signed-in user, and JSON/path/query readers whose refusals are API errors
//! naming the problem.

use crate::access::{sessions::USER_ID_KEY, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use shared::{Role, UserView};
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

impl CurrentUser {
    /// Refuses with 403 unless the user holds `role`.
    pub fn require(&self, role: Role) -> AppResult<&UserView> {
        self.require_any(&[role])
    }

    pub fn require_any(&self, roles: &[Role]) -> AppResult<&UserView> {
        if self.0.has_any(roles) {
            Ok(&self.0)
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.label()).collect();
            Err(AppError::Forbidden(format!("this needs the role: {}", names.join(" or "))))
        }
    }
}

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
/// role (401 without a session, 403 without the role), so who may call it is in its signature.
macro_rules! role_extractor {
    ($($(#[$doc:meta])* $name:ident => $role:expr),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub UserView);

        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
                let user = CurrentUser::from_request_parts(parts, state).await?;
                user.require($role)?;
                Ok($name(user.0))
            }
        }
    )*};
}

role_extractor! {
    /// A signed-in investigator (R10, R12): searches, watches, verification, the locker.
    Investigator => Role::Investigator,
    /// A signed-in supervisor (R10, R11): decisions on requests and statements.
    Supervisor => Role::Supervisor,
    /// A signed-in auditor (R21, R22): the audit log, the sample, locker reviews, figures.
    Auditor => Role::Auditor,
    /// A signed-in hotlist admin (R6, R9).
    HotlistAdmin => Role::HotlistAdmin,
    /// A signed-in system admin (R3): users, feeds, cameras, camera health.
    SystemAdmin => Role::SystemAdmin,
}
