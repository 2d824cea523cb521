//! Evidential statements (R14): asked for by an investigator over chosen reads, decided by a
//! supervisor other than them, then produced as a PDF. Every refusal is recorded as
//! `statement_refused` (R21), a refused listing too.

use crate::audit::{self, Actor};
use crate::error::AppResult;
use crate::export::statements;
use crate::http::exports::download;
use crate::http::extract::{needs_role, ApiJson, ApiPath, ApiQuery, Capability, CurrentUser, Investigator, Supervisor};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use shared::endpoints::{STATEMENTS, STATEMENT_DECISION, STATEMENT_PDF, STATEMENT_READS};
use shared::export::{NewStatement, Recipient, StatementDecision, StatementList, StatementView, StatementsQuery};
use shared::AuditAction;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(STATEMENTS, get(statement_list).post(statement_request))
        .route(STATEMENT_READS, get(statement_reads))
        .route(STATEMENT_DECISION, post(statement_decide))
        .route(STATEMENT_PDF, post(statement_pdf))
}

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
async fn statement_reads(
    State(state): State<AppState>,
    supervisor: Supervisor,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<shared::ReadView>>> {
    let now = state.clock.now();
    Ok(Json(crate::gate::in_statement_to_decide(&state.db, now, &state.config.access, &supervisor, id).await?))
}

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
