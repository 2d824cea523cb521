//! The audit log, for auditors: recent entries and verification of the chain (R21).

use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::http::extract::{ApiQuery, Auditor};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::json;
use shared::endpoints::{AUDIT_ENTRIES, AUDIT_VERIFY};
use shared::{AuditAction, AuditEntry, AuditFilter, ChainReport};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(entries)).routes(routes!(verify))
}

/// The newest entries; each read of the log is itself recorded (R21).
#[utoipa::path(
    get,
    path = AUDIT_ENTRIES,
    params(AuditFilter),
    responses((status = 200, description = "OK", body = Vec<AuditEntry>)),
    security(("anpr_session" = ["auditor"]))
)]
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
#[utoipa::path(
    get,
    path = AUDIT_VERIFY,
    responses((status = 200, description = "OK", body = ChainReport)),
    security(("anpr_session" = ["auditor"]))
)]
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
