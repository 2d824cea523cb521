//! Verification (R15, R16) and cloned-plate indicators (R17) for investigators; the evidence
//! locker (R19) for investigators, supervisors and auditors; exports and evidential statements
//! (R14, R20); and the yearly figures for auditors (R23).

use crate::access::restrictions;
use crate::audit::{self, Actor, Event};
use crate::clones;
use crate::error::{AppError, AppResult};
use crate::export::{self, statements, ExportFile};
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser};
use crate::http::reads::image_from_store;
use crate::locker;
use crate::oversight;
use crate::search::grant::reach;
use crate::state::AppState;
use crate::verification;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use shared::export::{ExportFormat, NewExport, NewStatement, Recipient, StatementDecision, StatementView};
use shared::locker::{CaseView, ItemView, NewCase, NewReview, People, Person, Preserve};
use shared::oversight::Figures;
use shared::verification::{ClonePair, NewVerification, VerifiedRead};
use shared::{AuditAction, ImageKind, Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reads/{id}/verifications", get(history).post(verify))
        .route("/clones", get(clone_pairs))
        .route("/locker/cases", get(cases).post(open_case))
        .route("/locker/cases/{id}/items", get(case_items).post(preserve))
        .route("/locker/people", get(people))
        .route("/locker/due", get(due))
        .route("/locker/escalated", get(escalated))
        .route("/locker/items/{id}/reviews", post(review))
        .route("/locker/items/{id}/images/{kind}", get(locker_image))
        .route("/searches/{id}/export", post(export_results))
        .route("/statements", get(statement_list).post(statement_request))
        .route("/statements/{id}/decision", post(statement_decide))
        .route("/statements/{id}/pdf", post(statement_pdf))
        .route("/oversight/{year}", get(figures))
        .route("/oversight/{year}/csv", get(figures_csv))
}

async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<VerifiedRead>> {
    let now = state.clock.now();
    let read = verification::visible_read(&state.db, &state.config.access, now, &user.0, id).await?;
    let history = verification::history(&state.db, id).await?;
    audit::record_alone(
        &state.db,
        now,
        Event::new(Actor::user(&user.0), AuditAction::ReadViewed)
            .subject(format!("read {id}"))
            .details(json!({ "plate": read.plate, "with": "verification history" })),
    )
    .await?;
    Ok(Json(VerifiedRead { read, history }))
}

async fn verify(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewVerification>,
) -> AppResult<(StatusCode, Json<VerifiedRead>)> {
    let verified = verification::verify(&state.db, &state.config.access, state.clock.now(), &user.0, id, new).await?;
    Ok((StatusCode::CREATED, Json(verified)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Limit {
    limit: Option<i64>,
}

/// Flagged pairs within the investigator's reach, leaving out their restricted cameras.
async fn clone_pairs(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<Limit>,
) -> AppResult<Json<Vec<ClonePair>>> {
    let investigator = user.require(Role::Investigator)?;
    let tier = investigator.tier.ok_or_else(|| AppError::Forbidden("an investigator needs an access tier".into()))?;
    let now = state.clock.now();
    let (since, _) = reach(&state.config.access, now, tier);
    let mut conn = state.db.pool().acquire().await?;
    let denied = restrictions::of(&mut conn, investigator.id).await?.denied_cameras;
    drop(conn);
    let pairs = clones::list(&state.db, since, &denied, q.limit.unwrap_or(200).clamp(1, 1000)).await?;
    audit::record_alone(
        &state.db,
        now,
        Event::new(Actor::user(investigator), AuditAction::ClonePairsListed).details(json!({
            "count": pairs.len(),
            "plates": pairs.iter().map(|p| p.plate.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    Ok(Json(pairs))
}

async fn cases(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<CaseView>>> {
    user.require_any(&[Role::Investigator, Role::Supervisor, Role::Auditor])?;
    Ok(Json(locker::cases(&state.db, &user.0).await?))
}

async fn open_case(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewCase>,
) -> AppResult<(StatusCode, Json<CaseView>)> {
    let investigator = user.require(Role::Investigator)?;
    Ok((StatusCode::CREATED, Json(locker::open_case(&state.db, state.clock.now(), investigator, new).await?)))
}

/// Active investigators and supervisors, for naming a case's OIC and the OIC's supervisor.
async fn people(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<People>> {
    user.require(Role::Investigator)?;
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
    let added = locker::preserve(&state.db, &state.images, state.clock.now(), &state.config, &user.0, id, new).await?;
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
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewReview>,
) -> AppResult<Json<ItemView>> {
    let auditor = user.require(Role::Auditor)?;
    let now = state.clock.now();
    Ok(Json(locker::review(&state.db, &state.images, now, &state.config.locker, auditor, id, new).await?))
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
    let response = image_from_store(&state, &key).await?;
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

/// A file download that no cache keeps (R1: personal data).
fn download(file: ExportFile) -> AppResult<Response> {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", file.filename.replace('"', "")))
        .map_err(AppError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(file.format.content_type())),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        file.bytes,
    )
        .into_response())
}

async fn export_results(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewExport>,
) -> AppResult<Response> {
    let investigator = user.require(Role::Investigator)?;
    download(export::search_results(&state.db, state.clock.now(), &state.config.access, investigator, id, new).await?)
}

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Statements {
    /// The caller's own statements.
    #[default]
    Mine,
    /// Pending statements the caller may decide (supervisors).
    Queue,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatementsQuery {
    #[serde(default)]
    which: Statements,
}

async fn statement_list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<StatementsQuery>,
) -> AppResult<Json<Vec<StatementView>>> {
    let mine = matches!(q.which, Statements::Mine);
    Ok(Json(statements::list(&state.db, &user.0, mine).await?))
}

async fn statement_request(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewStatement>,
) -> AppResult<(StatusCode, Json<StatementView>)> {
    let investigator = user.require(Role::Investigator)?;
    let made = statements::request(&state.db, state.clock.now(), &state.config.access, investigator, new).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

async fn statement_decide(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<StatementDecision>,
) -> AppResult<Json<StatementView>> {
    let supervisor = user.require(Role::Supervisor)?;
    Ok(Json(statements::decide(&state.db, state.clock.now(), supervisor, id, decision).await?))
}

async fn statement_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(to): ApiJson<Recipient>,
) -> AppResult<Response> {
    let investigator = user.require(Role::Investigator)?;
    download(statements::produce(&state.db, state.clock.now(), &state.config.access, investigator, id, to).await?)
}

async fn audited_figures(state: &AppState, user: &CurrentUser, year: i32) -> AppResult<Figures> {
    let auditor = user.require(Role::Auditor)?;
    let figures = oversight::figures(&state.db, year)
        .await?
        .ok_or_else(|| AppError::Invalid(format!("{year} is not a year the figures can cover")))?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(auditor), AuditAction::OversightFiguresViewed).details(json!({ "year": year })),
    )
    .await?;
    Ok(figures)
}

async fn figures(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(year): ApiPath<i32>,
) -> AppResult<Json<Figures>> {
    Ok(Json(audited_figures(&state, &user, year).await?))
}

async fn figures_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(year): ApiPath<i32>,
) -> AppResult<Response> {
    let figures = audited_figures(&state, &user, year).await?;
    let bytes = oversight::csv(&figures).map_err(AppError::internal)?;
    download(ExportFile { format: ExportFormat::Csv, filename: format!("anpr-figures-{year}.csv"), bytes })
}
