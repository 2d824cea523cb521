//! The audit log, for auditors: recent entries and verification of the chain (R21).

use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::http::extract::{ApiQuery, Auditor};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use shared::endpoints::{AUDIT_ENTRIES, AUDIT_VERIFY};
use shared::{AuditAction, AuditEntry, AuditFilter, ChainReport};

pub fn router() -> Router<AppState> {
    Router::new().route(AUDIT_ENTRIES, get(entries)).route(AUDIT_VERIFY, get(verify))
}

/// The newest entries; each read of the log is itself recorded (R21).
async fn entries(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiQuery(filter): ApiQuery<AuditFilter>,
) -> AppResult<Json<Vec<AuditEntry>>> {
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    let entries = audit::entries(&state.db, &filter, limit).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&auditor), AuditAction::AuditLogRead).details(json!({
            "filter": filter,
            "limit": limit,
            "count": entries.len(),
            "seqs": entries.first().map(|e| [entries.last().map(|l| l.seq), Some(e.seq)]),
        })),
    )
    .await?;
    Ok(Json(entries))
}

/// Verifies the chain, then records that it was verified and with what result.
async fn verify(State(state): State<AppState>, auditor: Auditor) -> AppResult<Json<ChainReport>> {
    let report = audit::verify(&state.db).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&auditor), AuditAction::AuditVerified).details(json!(report)),
    )
    .await?;
    Ok(Json(report))
}
