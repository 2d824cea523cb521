//! The evidence locker (R19): cases and their preserved items for investigators (supervisors and
//! auditors read), reviews for auditors, escalations for supervisors, preserved images. A case,
//! item or image refused to a viewer (one they have no part in, or whose read came from a camera
//! they are kept away from, R13) answers 404 and is recorded as `locker_refused` (R21).

use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, Auditor, Investigator, Involved, Supervisor};
use crate::http::openapi::Binary;
use crate::locker;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::json;
use shared::endpoints::{
    LOCKER_CASES, LOCKER_CASE_ITEMS, LOCKER_DUE, LOCKER_ESCALATED, LOCKER_ITEM, LOCKER_ITEM_ANSWER, LOCKER_ITEM_IMAGE,
    LOCKER_ITEM_REVIEWS, LOCKER_PEOPLE,
};
use shared::locker::{CaseView, ItemView, NewCase, NewReview, People, Person, Preserve};
use shared::{AuditAction, ImageKind, Role, UserView};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(cases, open_case))
        .routes(routes!(case_items, preserve))
        .routes(routes!(people))
        .routes(routes!(due))
        .routes(routes!(escalated))
        .routes(routes!(item))
        .routes(routes!(review))
        .routes(routes!(answer))
        .routes(routes!(locker_image))
}

#[utoipa::path(
    get,
    path = LOCKER_CASES,
    summary = "Evidence locker cases the caller is part of",
    responses((status = 200, description = "OK", body = Vec<CaseView>)),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["supervisor"]), ("anpr_session" = ["auditor"]))
)]
async fn cases(State(state): State<AppState>, viewer: Involved) -> AppResult<Json<Vec<CaseView>>> {
    Ok(Json(locker::cases(&state.db, &viewer).await?))
}

#[utoipa::path(
    post,
    path = LOCKER_CASES,
    summary = "Open a locker case",
    request_body = NewCase,
    responses((status = 201, description = "Created", body = CaseView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn open_case(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiJson(new): ApiJson<NewCase>,
) -> AppResult<(StatusCode, Json<CaseView>)> {
    Ok((StatusCode::CREATED, Json(locker::open_case(&state.db, state.clock.now(), &investigator, new).await?)))
}

/// Active investigators and supervisors, for naming a case's OIC and the OIC's supervisor.
#[utoipa::path(
    get,
    path = LOCKER_PEOPLE,
    responses((status = 200, description = "OK", body = People)),
    security(("anpr_session" = ["investigator"]))
)]
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
    user: &UserView,
    what: &str,
    items: Vec<ItemView>,
) -> AppResult<Json<Vec<ItemView>>> {
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(user), AuditAction::LockerViewed)
            .details(json!({ "what": what, "items": items.iter().map(|i| i.id).collect::<Vec<_>>() })),
    )
    .await?;
    Ok(Json(items))
}

/// `result`, with a refusal recorded as `locker_refused` with what was asked (R21).
async fn noting<T>(state: &AppState, user: &UserView, result: AppResult<T>, asked: serde_json::Value) -> AppResult<T> {
    let (db, now) = (&state.db, state.clock.now());
    audit::noting_refusal(result, db, now, Actor::user(user), AuditAction::LockerRefused, asked).await
}

#[utoipa::path(
    get,
    path = LOCKER_CASE_ITEMS,
    summary = "A case's preserved items",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = Vec<ItemView>)),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["supervisor"]), ("anpr_session" = ["auditor"]))
)]
async fn case_items(
    State(state): State<AppState>,
    viewer: Involved,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<ItemView>>> {
    let case = locker::visible_case(&state.db, &viewer, id).await;
    let case = noting(&state, &viewer, case, json!({ "case_id": id })).await?;
    let items = locker::items(&state.db, &viewer, case.id).await?;
    audited_items(&state, &viewer, &format!("case {id}"), items).await
}

/// One item, if the caller may see it.
#[utoipa::path(
    get,
    path = LOCKER_ITEM,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = ItemView)),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["supervisor"]), ("anpr_session" = ["auditor"]))
)]
async fn item(State(state): State<AppState>, viewer: Involved, ApiPath(id): ApiPath<i64>) -> AppResult<Json<ItemView>> {
    let item = locker::visible_item(&state.db, &viewer, id).await;
    let item = noting(&state, &viewer, item, json!({ "item_id": id })).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&viewer), AuditAction::LockerViewed)
            .subject(format!("locker item {id}"))
            .details(json!({ "what": format!("item {id}"), "items": [id] })),
    )
    .await?;
    Ok(Json(item))
}

#[utoipa::path(
    post,
    path = LOCKER_CASE_ITEMS,
    summary = "Preserve reads in a case as evidence",
    params(("id" = i64, Path, description = "The id")),
    request_body = Preserve,
    responses((status = 201, description = "Created", body = Vec<ItemView>)),
    security(("anpr_session" = ["investigator"]))
)]
async fn preserve(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<Preserve>,
) -> AppResult<(StatusCode, Json<Vec<ItemView>>)> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "case_id": id, "preserve": new });
    let added = locker::preserve(db, &state.images, now, &state.config, &investigator, id, new).await;
    let added =
        audit::noting_refusal(added, db, now, Actor::user(&investigator), AuditAction::PreserveRefused, asked).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(
    get,
    path = LOCKER_DUE,
    summary = "Locker items due for the audit unit's review",
    responses((status = 200, description = "OK", body = Vec<ItemView>)),
    security(("anpr_session" = ["auditor"]))
)]
async fn due(State(state): State<AppState>, auditor: Auditor) -> AppResult<Json<Vec<ItemView>>> {
    let items = locker::due(&state.db, &auditor, state.clock.now()).await?;
    audited_items(&state, &auditor, "due for review", items).await
}

#[utoipa::path(
    get,
    path = LOCKER_ESCALATED,
    summary = "Locker items escalated to the caller",
    responses((status = 200, description = "OK", body = Vec<ItemView>)),
    security(("anpr_session" = ["supervisor"]))
)]
async fn escalated(State(state): State<AppState>, supervisor: Supervisor) -> AppResult<Json<Vec<ItemView>>> {
    let items = locker::escalated_to(&state.db, &supervisor).await?;
    audited_items(&state, &supervisor, "escalated to me", items).await
}

#[utoipa::path(
    post,
    path = LOCKER_ITEM_REVIEWS,
    summary = "The audit unit's review of a preserved item",
    params(("id" = i64, Path, description = "The id")),
    request_body = NewReview,
    responses((status = 200, description = "OK", body = ItemView)),
    security(("anpr_session" = ["auditor"]))
)]
async fn review(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewReview>,
) -> AppResult<Json<ItemView>> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "item_id": id, "review": new });
    let reviewer = locker::Reviewer::Audit(&auditor);
    let reviewed = locker::review(db, &state.images, now, &state.config.locker, reviewer, id, new).await;
    Ok(Json(audit::noting_refusal(reviewed, db, now, Actor::user(&auditor), AuditAction::LockerRefused, asked).await?))
}

/// The supervisor an item was escalated to answers for themselves: still needed, or not (R19).
#[utoipa::path(
    post,
    path = LOCKER_ITEM_ANSWER,
    params(("id" = i64, Path, description = "The id")),
    request_body = NewReview,
    responses((status = 200, description = "OK", body = ItemView)),
    security(("anpr_session" = ["supervisor"]))
)]
async fn answer(
    State(state): State<AppState>,
    supervisor: Supervisor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewReview>,
) -> AppResult<Json<ItemView>> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "item_id": id, "answer": new });
    let reviewer = locker::Reviewer::Escalated(&supervisor);
    let answered = locker::review(db, &state.images, now, &state.config.locker, reviewer, id, new).await;
    Ok(Json(
        audit::noting_refusal(answered, db, now, Actor::user(&supervisor), AuditAction::LockerRefused, asked).await?,
    ))
}

#[utoipa::path(
    get,
    path = LOCKER_ITEM_IMAGE,
    summary = "A preserved item's image",
    params(("id" = i64, Path, description = "The id"), ("kind" = ImageKind, Path, description = "Which image: the plate patch or the overview")),
    responses((status = 200, description = "The image.", content((Binary = "image/jpeg"), (Binary = "image/png")))),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["supervisor"]), ("anpr_session" = ["auditor"]))
)]
async fn locker_image(
    State(state): State<AppState>,
    viewer: Involved,
    ApiPath((id, kind)): ApiPath<(i64, ImageKind)>,
) -> AppResult<Response> {
    let visible = locker::visible_item(&state.db, &viewer, id).await;
    noting(&state, &viewer, visible, json!({ "item_id": id, "image": kind })).await?;
    let key = locker::image_key(&state.db, id, kind)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("locker item {id} holds no {} image", kind.as_str())))?;
    let response = state.images.response(&key).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&viewer), AuditAction::LockerImageViewed)
            .subject(format!("locker item {id}"))
            .details(json!({ "image": kind })),
    )
    .await?;
    Ok(response)
}
