//! The dead-letter store (system admins): refused payloads as they came, images reduced to their
//! length. They hold plates, so each viewing is audited (R21) and they are purged after
//! `ingest.dead_letter_days`.

use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::http::extract::{ApiQuery, SystemAdmin};
use crate::ingest;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::json;
use shared::endpoints::DEAD_LETTERS;
use shared::reads::DeadLetter;
use shared::AuditAction;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(dead_letters))
}

#[utoipa::path(
    get,
    path = DEAD_LETTERS,
    summary = "Refused ingest payloads, for diagnosis (plates masked, images dropped)",
    params(shared::reads::DeadLettersQuery),
    responses((status = 200, description = "OK", body = Vec<DeadLetter>)),
    security(("anpr_session" = ["system_admin"]))
)]
async fn dead_letters(
    State(state): State<AppState>,
    admin: SystemAdmin,
    ApiQuery(q): ApiQuery<shared::reads::DeadLettersQuery>,
) -> AppResult<Json<Vec<DeadLetter>>> {
    let letters = ingest::dead_letters(&state.db, q.limit.unwrap_or(100).clamp(1, 1000)).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&admin), AuditAction::DeadLettersViewed).details(json!({
            "count": letters.len(),
            "ids": letters.iter().map(|l| l.id).collect::<Vec<_>>(),
        })),
    )
    .await?;
    Ok(Json(letters))
}
