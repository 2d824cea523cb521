//! The evidence locker (R19): cases and their preserved items for investigators (supervisors and
//! auditors read), reviews for auditors, escalations for supervisors, preserved images.

use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, Auditor, CurrentUser, Investigator};
use crate::locker;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use shared::locker::{CaseView, ItemView, NewCase, NewReview, People, Person, Preserve};
use shared::{AuditAction, ImageKind, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/locker/cases", get(cases).post(open_case))
        .route("/locker/cases/{id}/items", get(case_items).post(preserve))
        .route("/locker/people", get(people))
        .route("/locker/due", get(due))
        .route("/locker/escalated", get(escalated))
        .route("/locker/items/{id}/reviews", post(review))
        .route("/locker/items/{id}/images/{kind}", get(locker_image))
}

async fn cases(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<CaseView>>> {
    user.require_any(&[Role::Investigator, Role::Supervisor, Role::Auditor])?;
    Ok(Json(locker::cases(&state.db, &user.0).await?))
}

async fn open_case(
    State(state): State<AppState>,
    Investigator(investigator): Investigator,
    ApiJson(new): ApiJson<NewCase>,
) -> AppResult<(StatusCode, Json<CaseView>)> {
    Ok((StatusCode::CREATED, Json(locker::open_case(&state.db, state.clock.now(), &investigator, new).await?)))
}

/// Active investigators and supervisors, for naming a case's OIC and the OIC's supervisor.
async fn people(State(state): State<AppState>, _: Investigator) -> AppResult<Json<People>> {
    let mut people = People::default();
    for u in crate::access::users::list(&state.db).await?.into_iter().filter(|u| !u.disabled) {
        let person = || Person { id: u.id, display_name: u.display_name.clone() };
        if u.has(Role::Investigator) {
            people.investigators.push(person());
        }
        if u.has(Role::Supervisor) {
            people.supervisors.push(person());
        }
    }
    Ok(Json(people))
}

async fn audited_items(
    state: &AppState,
    user: &CurrentUser,
    what: &str,
    items: Vec<ItemView>,
) -> AppResult<Json<Vec<ItemView>>> {
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&user.0), AuditAction::LockerViewed)
            .details(json!({ "what": what, "items": items.iter().map(|i| i.id).collect::<Vec<_>>() })),
    )
    .await?;
    Ok(Json(items))
}

async fn case_items(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<ItemView>>> {
    let case = locker::visible_case(&state.db, &user.0, id).await?;
    let items = locker::items(&state.db, case.id).await?;
    audited_items(&state, &user, &format!("case {id}"), items).await
}

async fn preserve(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<Preserve>,
) -> AppResult<(StatusCode, Json<Vec<ItemView>>)> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "case_id": id, "preserve": new });
    let added = locker::preserve(db, &state.images, now, &state.config, &user.0, id, new).await;
    let added =
        audit::noting_refusal(added, db, now, Actor::user(&user.0), AuditAction::PreserveRefused, asked).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

async fn due(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<ItemView>>> {
    user.require(Role::Auditor)?;
    let items = locker::due(&state.db, state.clock.now()).await?;
    audited_items(&state, &user, "due for review", items).await
}

async fn escalated(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<ItemView>>> {
    let supervisor = user.require(Role::Supervisor)?;
    let items = locker::escalated_to(&state.db, supervisor).await?;
    audited_items(&state, &user, "escalated to me", items).await
}

async fn review(
    State(state): State<AppState>,
    Auditor(auditor): Auditor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewReview>,
) -> AppResult<Json<ItemView>> {
    let now = state.clock.now();
    Ok(Json(locker::review(&state.db, &state.images, now, &state.config.locker, &auditor, id, new).await?))
}

async fn locker_image(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, kind)): ApiPath<(i64, ImageKind)>,
) -> AppResult<Response> {
    locker::visible_item(&state.db, &user.0, id).await?;
    let key = locker::image_key(&state.db, id, kind)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("locker item {id} holds no {} image", kind.as_str())))?;
    let response = state.images.response(&key).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&user.0), AuditAction::LockerImageViewed)
            .subject(format!("locker item {id}"))
            .details(json!({ "image": kind })),
    )
    .await?;
    Ok(response)
}
