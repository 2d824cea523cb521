//! Search requests (R10, R11): investigators submit and list their own; supervisors see the
//! queue and decide; auditors read them all.

use crate::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser, Investigator, Supervisor};
use crate::requests::{self, Listing};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use shared::requests::{NewRequest, RequestDecision, RequestView};
use shared::Role;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/requests", get(list).post(submit))
        .route("/requests/{id}", get(detail))
        .route("/requests/{id}/decision", post(decide))
        .route("/requests/{id}/withdraw", post(withdraw))
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Which {
    /// The caller's own requests.
    Mine,
    /// Pending requests the caller may decide (supervisors).
    Queue,
    /// Every request (auditors).
    All,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    which: Which,
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Vec<RequestView>>> {
    let listing = match q.which {
        Which::Mine => Listing::Mine(user.require(Role::Investigator)?.id),
        Which::Queue => Listing::Queue { supervisor_id: user.require(Role::Supervisor)?.id },
        Which::All => {
            user.require(Role::Auditor)?;
            Listing::All
        }
    };
    let mut list = requests::list(&state.db, listing, q.limit.unwrap_or(200).clamp(1, 1000)).await?;
    if let Listing::Queue { .. } = listing {
        let now = state.clock.now();
        for r in &mut list {
            r.reach_from = r.requester_tier.map(|tier| crate::search::grant::reach(&state.config.access, now, tier).0);
        }
    }
    Ok(Json(list))
}

async fn submit(
    State(state): State<AppState>,
    Investigator(investigator): Investigator,
    ApiJson(new): ApiJson<NewRequest>,
) -> AppResult<(StatusCode, Json<RequestView>)> {
    let stored = requests::submit(&state.db, state.clock.now(), &investigator, new).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<RequestView>> {
    Ok(Json(requests::visible(&state.db, &user.0, id).await?))
}

async fn decide(
    State(state): State<AppState>,
    Supervisor(supervisor): Supervisor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<RequestDecision>,
) -> AppResult<Json<RequestView>> {
    let now = state.clock.now();
    let asked = serde_json::json!({ "request_id": id, "decision": decision });
    let decided = requests::decide(&state.db, now, &state.config.access, &supervisor, id, decision).await;
    let actor = crate::audit::Actor::user(&supervisor);
    let action = shared::AuditAction::DecisionRefused;
    Ok(Json(crate::audit::noting_refusal(decided, &state.db, now, actor, action, asked).await?))
}

async fn withdraw(
    State(state): State<AppState>,
    Investigator(investigator): Investigator,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<RequestView>> {
    Ok(Json(requests::withdraw(&state.db, state.clock.now(), &investigator, id).await?))
}
