//! Unusual use, flagged for the audit unit (R21, R22): the flags, and an auditor's review of one.

use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::flags;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Auditor};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::json;
use shared::endpoints::{AUDIT_FLAGS, AUDIT_FLAG_REVIEW};
use shared::flags::{FlagView, FlagsQuery, ReviewFlag};
use shared::AuditAction;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list)).routes(routes!(review))
}

#[utoipa::path(
    get,
    path = AUDIT_FLAGS,
    summary = "Unusual use flagged for the audit unit: open ones, or those reviewed",
    params(FlagsQuery),
    responses((status = 200, description = "OK", body = Vec<FlagView>)),
    security(("anpr_session" = ["auditor"]))
)]
async fn list(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiQuery(q): ApiQuery<FlagsQuery>,
) -> AppResult<Json<Vec<FlagView>>> {
    let list = flags::list(&state.db, &q).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&auditor), AuditAction::UsageFlagsListed)
            .details(json!({ "reviewed": q.reviewed, "kind": q.kind, "count": list.len() })),
    )
    .await?;
    Ok(Json(list))
}

/// A review, or its refusal (no such flag, reviewed already, no note) on the record (R21).
#[utoipa::path(
    post,
    path = AUDIT_FLAG_REVIEW,
    params(("id" = i64, Path, description = "The id")),
    request_body = ReviewFlag,
    responses((status = 200, description = "OK", body = FlagView)),
    security(("anpr_session" = ["auditor"]))
)]
async fn review(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(review): ApiJson<ReviewFlag>,
) -> AppResult<Json<FlagView>> {
    let now = state.clock.now();
    let asked = json!({ "flag_id": id, "review": review });
    let reviewed = flags::review(&state.db, now, &auditor, id, review).await;
    let actor = Actor::user(&auditor);
    Ok(Json(audit::noting_refusal(reviewed, &state.db, now, actor, AuditAction::UsageFlagRefused, asked).await?))
}
