//! The audit log, for auditors: recent entries and verification of the chain (R21).

use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::http::extract::{ApiQuery, Auditor, CurrentUser};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use shared::{AuditAction, AuditEntry, ChainReport, Role};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit/entries", get(entries)).route("/audit/verify", get(verify))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    before_seq: Option<i64>,
    limit: Option<i64>,
    /// Only refusals (`…_refused`, failed and throttled sign-ins).
    #[serde(default)]
    refusals: bool,
}

/// The newest entries; each read of the log is itself recorded (R21).
async fn entries(
    State(state): State<AppState>,
    Auditor(auditor): Auditor,
    ApiQuery(page): ApiQuery<Page>,
) -> AppResult<Json<Vec<AuditEntry>>> {
    let limit = page.limit.unwrap_or(100).clamp(1, 1000);
    let entries = if page.refusals {
        audit::refusals(&state.db, page.before_seq, limit).await?
    } else {
        audit::recent(&state.db, page.before_seq, limit).await?
    };
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&auditor), AuditAction::AuditLogRead).details(json!({
            "before_seq": page.before_seq,
            "refusals_only": page.refusals,
            "limit": limit,
            "count": entries.len(),
            "seqs": entries.first().map(|e| [entries.last().map(|l| l.seq), Some(e.seq)]),
        })),
    )
    .await?;
    Ok(Json(entries))
}

/// Verifies the chain, then records that it was verified and with what result.
async fn verify(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<ChainReport>> {
    let auditor = user.require(Role::Auditor)?;
    let report = audit::verify(&state.db).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(auditor), AuditAction::AuditVerified).details(json!(report)),
    )
    .await?;
    Ok(Json(report))
}
