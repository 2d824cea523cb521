//! Evidential statements (R14): asked for by an investigator over chosen reads, decided by a
//! supervisor other than them, then produced as a PDF. Every refusal is recorded as
//! `statement_refused` (R21), a refused listing too.

use crate::audit::{self, Actor};
use crate::error::AppResult;
use crate::export::statements;
use crate::http::exports::download;
use crate::http::extract::{needs_role, ApiJson, ApiPath, ApiQuery, Capability, CurrentUser, Investigator, Supervisor};
use crate::http::openapi::Binary;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde_json::json;
use shared::endpoints::{STATEMENTS, STATEMENT_DECISION, STATEMENT_PDF, STATEMENT_READS};
use shared::export::{NewStatement, Recipient, StatementDecision, StatementList, StatementView, StatementsQuery};
use shared::AuditAction;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(statement_list, statement_request))
        .routes(routes!(statement_reads))
        .routes(routes!(statement_decide))
        .routes(routes!(statement_pdf))
}

#[utoipa::path(
    get,
    path = STATEMENTS,
    summary = "Evidential statements: the caller's, or those awaiting a supervisor",
    params(StatementsQuery),
    responses((status = 200, description = "OK", body = Vec<StatementView>)),
    security(("anpr_session" = []))
)]
async fn statement_list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<StatementsQuery>,
) -> AppResult<Json<Vec<StatementView>>> {
    let (db, now) = (&state.db, state.clock.now());
    let user = user.0;
    let listed = match q.which {
        StatementList::Mine => match Investigator::of(user.clone()) {
            Ok(investigator) => statements::mine(db, &investigator).await,
            Err(_) => Err(needs_role(&[Investigator::ROLE])),
        },
        StatementList::Queue => match Supervisor::of(user.clone()) {
            Ok(supervisor) => statements::pending(db, &supervisor).await,
            Err(_) => Err(needs_role(&[Supervisor::ROLE])),
        },
    };
    let asked = json!({ "which": q.which });
    Ok(Json(audit::noting_refusal(listed, db, now, Actor::user(&user), AuditAction::StatementRefused, asked).await?))
}

#[utoipa::path(
    post,
    path = STATEMENTS,
    summary = "Ask for an evidential statement",
    request_body = NewStatement,
    responses((status = 201, description = "Created", body = StatementView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn statement_request(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiJson(new): ApiJson<NewStatement>,
) -> AppResult<(StatusCode, Json<StatementView>)> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "statement": new });
    let made = statements::request(db, now, &state.config.access, &investigator, new).await;
    let made =
        audit::noting_refusal(made, db, now, Actor::user(&investigator), AuditAction::StatementRefused, asked).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// The reads a pending statement would attest, for a supervisor deciding it (R14).
#[utoipa::path(
    get,
    path = STATEMENT_READS,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = Vec<shared::ReadView>)),
    security(("anpr_session" = ["supervisor"]))
)]
async fn statement_reads(
    State(state): State<AppState>,
    supervisor: Supervisor,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<shared::ReadView>>> {
    let now = state.clock.now();
    Ok(Json(crate::gate::in_statement_to_decide(&state.db, now, &state.config.access, &supervisor, id).await?))
}

#[utoipa::path(
    post,
    path = STATEMENT_DECISION,
    summary = "Approve or refuse a statement",
    params(("id" = i64, Path, description = "The id")),
    request_body = StatementDecision,
    responses((status = 200, description = "OK", body = StatementView)),
    security(("anpr_session" = ["supervisor"]))
)]
async fn statement_decide(
    State(state): State<AppState>,
    supervisor: Supervisor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<StatementDecision>,
) -> AppResult<Json<StatementView>> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "statement_id": id, "decision": decision });
    let decided = statements::decide(db, now, &state.config.access, &supervisor, id, decision).await;
    Ok(Json(
        audit::noting_refusal(decided, db, now, Actor::user(&supervisor), AuditAction::DecisionRefused, asked).await?,
    ))
}

#[utoipa::path(
    post,
    path = STATEMENT_PDF,
    summary = "An approved statement, as PDF, for a named recipient",
    params(("id" = i64, Path, description = "The id")),
    request_body = Recipient,
    responses((status = 200, description = "The statement, as PDF.", headers(("x-file-length" = u64, description = "The file's length in bytes (the answer may be compressed on its way)")), content((Binary = "application/pdf")))),
    security(("anpr_session" = ["investigator"]))
)]
async fn statement_pdf(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(to): ApiJson<Recipient>,
) -> AppResult<Response> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "statement_id": id, "to": to });
    let file = statements::produce(db, now, &state.config, &investigator, id, to).await;
    download(
        audit::noting_refusal(file, db, now, Actor::user(&investigator), AuditAction::StatementRefused, asked).await?,
    )
}
