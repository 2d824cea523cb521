//! The breach and subject access registers (R23), kept by auditors; a subject access request's
//! search for its plate, under the entry.

use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, Auditor};
use crate::registers;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use shared::endpoints::{REGISTER, REGISTER_ENTRY, SUBJECT_ACCESS_SEARCH};
use shared::registers::{Disclosure, EntryUpdate, EntryView, NewEntry, Register};
use shared::AuditAction;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list, record)).routes(routes!(update)).routes(routes!(search))
}

fn register(slug: &str) -> AppResult<Register> {
    Register::from_slug(slug)
        .ok_or_else(|| AppError::NotFound(format!("no register `{slug}`: there are breaches and subject-access")))
}

#[utoipa::path(
    get,
    path = REGISTER,
    summary = "A register's entries (breaches or subject access)",
    params(("register" = String, Path, description = "Which register: `breaches` or `subject-access`")),
    responses((status = 200, description = "OK", body = Vec<EntryView>)),
    security(("anpr_session" = ["auditor"]))
)]
async fn list(
    State(state): State<AppState>,
    _: Auditor,
    ApiPath(slug): ApiPath<String>,
) -> AppResult<Json<Vec<EntryView>>> {
    Ok(Json(registers::list(&state.db, register(&slug)?).await?))
}

/// `result`, a refusal recorded with what was asked (R21).
async fn noted<T>(state: &AppState, auditor: &Auditor, asked: serde_json::Value, result: AppResult<T>) -> AppResult<T> {
    let actor = crate::audit::Actor::user(auditor);
    crate::audit::noting_refusal(result, &state.db, state.clock.now(), actor, AuditAction::RegisterRefused, asked).await
}

#[utoipa::path(
    post,
    path = REGISTER,
    summary = "Record a register entry",
    params(("register" = String, Path, description = "Which register: `breaches` or `subject-access`")),
    request_body = NewEntry,
    responses((status = 201, description = "Created", body = EntryView)),
    security(("anpr_session" = ["auditor"]))
)]
async fn record(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(new): ApiJson<NewEntry>,
) -> AppResult<(StatusCode, Json<EntryView>)> {
    let asked = json!({ "register": slug, "entry": new });
    let recorded = match register(&slug) {
        Ok(register) => registers::record(&state.db, state.clock.now(), &auditor, register, new).await,
        Err(e) => Err(e),
    };
    let entry = noted(&state, &auditor, asked, recorded).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

#[utoipa::path(
    patch,
    path = REGISTER_ENTRY,
    summary = "Update or close a register entry",
    params(("register" = String, Path, description = "Which register: `breaches` or `subject-access`"), ("id" = i64, Path, description = "The id")),
    request_body = EntryUpdate,
    responses((status = 200, description = "OK", body = EntryView)),
    security(("anpr_session" = ["auditor"]))
)]
async fn update(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    ApiJson(change): ApiJson<EntryUpdate>,
) -> AppResult<Json<EntryView>> {
    let asked = json!({ "register": slug, "id": id, "change": change });
    let updated = match register(&slug) {
        Ok(register) => registers::update(&state.db, state.clock.now(), &auditor, register, id, change).await,
        Err(e) => Err(e),
    };
    Ok(Json(noted(&state, &auditor, asked, updated).await?))
}

/// What the system holds for the entry's plate, through the read gate, under the entry.
#[utoipa::path(
    post,
    path = SUBJECT_ACCESS_SEARCH,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = Disclosure)),
    security(("anpr_session" = ["auditor"]))
)]
async fn search(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Disclosure>> {
    let now = state.clock.now();
    Ok(Json(crate::gate::for_subject_access(&state.db, now, &state.config, &auditor, id).await?))
}
