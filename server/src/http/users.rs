//! User administration: system admins only. No one changes their own roles, tier, rank or
//! restrictions, and authority that reaches reads or judges them (supervisor, inspector rank,
//! central tier, auditor) is granted only with a second system admin's approval.

use crate::access::users::{self, Updated};
use crate::access::{restrictions, HotlistAdmin};
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, SystemAdmin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::Json;
use shared::accounts::PendingUserChange;
use shared::endpoints::{
    path, BASE, USER, USERS, USER_CHANGE, USER_CHANGES, USER_CHANGE_APPROVE, USER_CHANGE_REJECT, USER_DIRECTORY,
    USER_RESTRICTIONS,
};
use shared::search::Restrictions;
use shared::{NewUser, UserUpdate, UserView};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update))
        .routes(routes!(restrictions, set_restrictions))
        .routes(routes!(pending))
        .routes(routes!(pending_one))
        .routes(routes!(approve))
        .routes(routes!(reject))
        .routes(routes!(directory))
}

#[utoipa::path(
    get,
    path = USERS,
    summary = "All users",
    responses((status = 200, description = "OK", body = Vec<UserView>)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn list(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<UserView>>> {
    Ok(Json(users::list(&state.db).await?))
}

/// Where a held change is: in `Location`, so a client that reads only the account still finds it.
fn pending_at(change: &PendingUserChange) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(v) = HeaderValue::from_str(&format!("{BASE}{}", path(USER_CHANGE, &[&change.id]))) {
        headers.insert(header::LOCATION, v);
    }
    headers
}

/// 201 with the account; one with authority that needs a second admin is created disabled, its
/// enabling held (`Location` names the held change).
#[utoipa::path(
    post,
    path = USERS,
    request_body = NewUser,
    responses((status = 201, description = "Created; an account whose authority needs a second admin is created disabled, `Location` naming the held change.", body = UserView, headers(("Location" = String, description = "The held change, if any")))),
    security(("anpr_session" = ["system_admin"]))
)]
async fn create(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiJson(new): ApiJson<NewUser>,
) -> AppResult<(StatusCode, HeaderMap, Json<UserView>)> {
    let (created, pending) = users::create_by(&state.db, state.clock.now(), &admin, new).await?;
    let headers = pending.as_ref().map(pending_at).unwrap_or_default();
    Ok((StatusCode::CREATED, headers, Json(created)))
}

/// 200 with the account changed, or 202 with it as it stands and the change held for a second
/// system admin (`Location` names the held change).
#[utoipa::path(
    patch,
    path = USER,
    params(("id" = i64, Path, description = "The id")),
    request_body = UserUpdate,
    responses((status = 200, description = "Changed", body = UserView), (status = 202, description = "Held for a second system admin (`Location` names the change); the account as it stands.", body = UserView, headers(("Location" = String, description = "The held change")))),
    security(("anpr_session" = ["system_admin"]))
)]
async fn update(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<UserUpdate>,
) -> AppResult<(StatusCode, HeaderMap, Json<UserView>)> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = serde_json::json!({ "user_id": id, "change": redacted(&change) });
    let updated = refused_noted(&state, &admin, asked, users::update(db, now, &admin, id, change).await).await?;
    Ok(match updated {
        Updated::Done(user) => (StatusCode::OK, HeaderMap::new(), Json(user)),
        Updated::Pending(user, change) => (StatusCode::ACCEPTED, pending_at(&change), Json(user)),
    })
}

/// Changes held for a second system admin.
#[utoipa::path(
    get,
    path = USER_CHANGES,
    responses((status = 200, description = "OK", body = Vec<PendingUserChange>)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn pending(State(state): State<AppState>, _: SystemAdmin) -> AppResult<Json<Vec<PendingUserChange>>> {
    Ok(Json(users::pending_changes(&state.db).await?))
}

/// One change held for a second admin, while it waits.
#[utoipa::path(
    get,
    path = USER_CHANGE,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = PendingUserChange)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn pending_one(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<PendingUserChange>> {
    let held = users::pending_changes(&state.db).await?.into_iter().find(|c| c.id == id);
    let held = held.ok_or_else(|| AppError::NotFound(format!("no change {id} waits for a decision")));
    Ok(Json(refused_noted(&state, &admin, serde_json::json!({ "change_id": id }), held).await?))
}

#[utoipa::path(
    post,
    path = USER_CHANGE_APPROVE,
    summary = "Approve a change held for a second system admin",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = UserView)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn approve(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<UserView>> {
    let decided = users::decide_change(&state.db, state.clock.now(), &admin, id, true).await;
    let asked = serde_json::json!({ "change_id": id, "approve": true });
    Ok(Json(refused_noted(&state, &admin, asked, decided).await?))
}

#[utoipa::path(
    post,
    path = USER_CHANGE_REJECT,
    summary = "Reject a change held for a second system admin",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = UserView)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn reject(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<UserView>> {
    let decided = users::decide_change(&state.db, state.clock.now(), &admin, id, false).await;
    let asked = serde_json::json!({ "change_id": id, "approve": false });
    Ok(Json(refused_noted(&state, &admin, asked, decided).await?))
}

/// `result`, with a refused change to an account (one's own, an approval of one's own
/// proposal, …) recorded with what was asked and why (R21).
async fn refused_noted<T>(
    state: &AppState,
    admin: &SystemAdmin,
    asked: serde_json::Value,
    result: AppResult<T>,
) -> AppResult<T> {
    let actor = crate::audit::Actor::user(admin);
    let action = shared::AuditAction::UserChangeRefused;
    crate::audit::noting_refusal(result, &state.db, state.clock.now(), actor, action, asked).await
}

/// A change as the log may hold it: never a password.
fn redacted(change: &UserUpdate) -> UserUpdate {
    UserUpdate { password: change.password.as_ref().map(|_| "(redacted)".into()), ..change.clone() }
}

/// A user's search restrictions (R13).
#[utoipa::path(
    get,
    path = USER_RESTRICTIONS,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = Restrictions)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn restrictions(
    State(state): State<AppState>,
    _: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Restrictions>> {
    let mut conn = state.db.pool().acquire().await?;
    users::find(&mut conn, id).await?.ok_or_else(|| AppError::NotFound(format!("no user with id {id}")))?;
    Ok(Json(restrictions::of(&mut conn, id).await?))
}

#[utoipa::path(
    put,
    path = USER_RESTRICTIONS,
    summary = "Set a user's search restrictions",
    params(("id" = i64, Path, description = "The id")),
    request_body = Restrictions,
    responses((status = 200, description = "OK", body = Restrictions)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn set_restrictions(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<Restrictions>,
) -> AppResult<Json<Restrictions>> {
    let asked = serde_json::json!({ "user_id": id, "restrictions": new });
    let set = restrictions::set(&state.db, state.clock.now(), &admin, id, new).await;
    Ok(Json(refused_noted(&state, &admin, asked, set).await?))
}

/// Who can be named in a restricted hotlist's audience: active investigators who do not manage
/// hotlists (R8), ids and names only. For hotlist admins.
#[utoipa::path(
    get,
    path = USER_DIRECTORY,
    responses((status = 200, description = "OK", body = Vec<shared::accounts::DirectoryEntry>)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn directory(
    State(state): State<AppState>,
    _: HotlistAdmin,
) -> AppResult<Json<Vec<shared::accounts::DirectoryEntry>>> {
    let users = users::list(&state.db).await?;
    Ok(Json(
        users
            .into_iter()
            .filter(|u| !u.disabled && u.has(shared::Role::Investigator) && !u.has(shared::Role::HotlistAdmin))
            .map(|u| shared::accounts::DirectoryEntry { id: u.id, username: u.username, display_name: u.display_name })
            .collect(),
    ))
}
