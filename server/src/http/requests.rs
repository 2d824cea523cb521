//! Search requests (R10, R11): investigators submit and list their own; supervisors see the
//! queue and decide; auditors read them all.

use crate::error::AppResult;
use crate::http::extract::{
    needs_role, ApiJson, ApiPath, ApiQuery, Auditor, Capability, CurrentUser, Investigator, Involved, Supervisor,
};
use crate::requests::{self, Listing};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::endpoints::{REQUEST, REQUESTS, REQUEST_DECISION, REQUEST_OUTCOME, REQUEST_REVOKE, REQUEST_WITHDRAW};
use shared::requests::{NewRequest, RequestDecision, RequestList, RequestOutcome, RequestView, RevokeApproval};
use shared::{AuditAction, Role};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, submit))
        .routes(routes!(detail))
        .routes(routes!(decide))
        .routes(routes!(withdraw))
        .routes(routes!(revoke))
        .routes(routes!(close))
}

/// Each listing takes its own role: an investigator's own, a supervisor's queue, an auditor's
/// all. A listing the caller may not have is refused and recorded (R21).
#[utoipa::path(
    get,
    path = REQUESTS,
    params(shared::requests::RequestsQuery),
    responses((status = 200, description = "OK", body = Vec<RequestView>)),
    security(("anpr_session" = []))
)]
async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(q): ApiQuery<shared::requests::RequestsQuery>,
) -> AppResult<Json<Vec<RequestView>>> {
    let (listing, needs) = match q.which {
        RequestList::Mine => (Investigator::of(user.clone()).ok().map(|i| Listing::Mine(i.id)), Role::Investigator),
        RequestList::Queue => {
            (Supervisor::of(user.clone()).ok().map(|s| Listing::Queue { supervisor_id: s.id }), Role::Supervisor)
        }
        RequestList::Decided => {
            (Supervisor::of(user.clone()).ok().map(|s| Listing::Decided { supervisor_id: s.id }), Role::Supervisor)
        }
        RequestList::All => (Auditor::of(user.clone()).ok().map(|_| Listing::All), Role::Auditor),
        RequestList::OutcomeDue => {
            let requester_id = Investigator::of(user.clone()).ok().map(|i| i.id);
            let approver_id = Supervisor::of(user.clone()).ok().map(|s| s.id);
            let open = (requester_id.is_some() || approver_id.is_some())
                .then_some(Listing::Open { requester_id, approver_id });
            (open, Role::Investigator)
        }
    };
    let listing = listing.ok_or_else(|| match q.which {
        RequestList::OutcomeDue => needs_role(&[Role::Investigator, Role::Supervisor]),
        _ => needs_role(&[needs]),
    });
    let asked = serde_json::json!({ "which": q.which, "what": "requests" });
    let (db, now) = (&state.db, state.clock.now());
    let actor = crate::audit::Actor::user(&user);
    let listing = crate::audit::noting_refusal(listing, db, now, actor, AuditAction::AccessRefused, asked).await?;
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    // Whether an open request's outcome is due depends on its window, kept in its scope: every
    // open one is read, then those due kept, so none is cut off by requests not yet due.
    let read = if let Listing::Open { .. } = listing { i64::MAX } else { limit };
    let mut list = requests::list(&state.db, listing, read).await?;
    if let Listing::Open { .. } = listing {
        let now = state.clock.now();
        list.retain(|r| r.outcome_due_at(now));
        list.truncate(limit as usize);
    }
    if let Listing::Queue { .. } = listing {
        let now = state.clock.now();
        for r in &mut list {
            r.reach_from = r.requester_tier.map(|tier| crate::access::policy::reach(&state.config.access, now, tier).0);
        }
    }
    Ok(Json(list))
}

#[utoipa::path(
    post,
    path = REQUESTS,
    summary = "Submit a search request",
    request_body = NewRequest,
    responses((status = 201, description = "Created", body = RequestView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn submit(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiJson(new): ApiJson<NewRequest>,
) -> AppResult<(StatusCode, Json<RequestView>)> {
    let stored = requests::submit(&state.db, state.clock.now(), &state.config.access, &investigator, new).await?;
    Ok((StatusCode::CREATED, Json(stored)))
}

/// One request, for its requester, supervisors and auditors; anyone else's attempt is recorded
/// (R21) and answered as for a request that does not exist.
#[utoipa::path(
    get,
    path = REQUEST,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = RequestView)),
    security(("anpr_session" = ["investigator"]), ("anpr_session" = ["supervisor"]), ("anpr_session" = ["auditor"]))
)]
async fn detail(
    State(state): State<AppState>,
    viewer: Involved,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<RequestView>> {
    let (db, now) = (&state.db, state.clock.now());
    let found = requests::visible(db, &viewer, id).await;
    let asked = serde_json::json!({ "request_id": id });
    let actor = crate::audit::Actor::user(&viewer);
    Ok(Json(crate::audit::noting_refusal(found, db, now, actor, shared::AuditAction::AccessRefused, asked).await?))
}

#[utoipa::path(
    post,
    path = REQUEST_DECISION,
    summary = "Approve or reject a request",
    params(("id" = i64, Path, description = "The id")),
    request_body = RequestDecision,
    responses((status = 200, description = "OK", body = RequestView)),
    security(("anpr_session" = ["supervisor"]))
)]
async fn decide(
    State(state): State<AppState>,
    supervisor: Supervisor,
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

#[utoipa::path(
    post,
    path = REQUEST_WITHDRAW,
    summary = "Withdraw one's own request",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = RequestView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn withdraw(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<RequestView>> {
    let now = state.clock.now();
    let withdrawn = crate::search::watch::withdraw_request(&state.db, now, &investigator, id).await;
    let asked = serde_json::json!({ "request_id": id, "what": "withdraw" });
    let actor = crate::audit::Actor::user(&investigator);
    Ok(Json(crate::audit::noting_refusal(withdrawn, &state.db, now, actor, AuditAction::AccessRefused, asked).await?))
}

/// A supervisor revokes an approval in force, with a rationale (R10).
#[utoipa::path(
    post,
    path = REQUEST_REVOKE,
    params(("id" = i64, Path, description = "The id")),
    request_body = RevokeApproval,
    responses((status = 200, description = "OK", body = RequestView)),
    security(("anpr_session" = ["supervisor"]))
)]
async fn revoke(
    State(state): State<AppState>,
    supervisor: Supervisor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(revocation): ApiJson<RevokeApproval>,
) -> AppResult<Json<RequestView>> {
    Ok(Json(crate::search::watch::revoke_approval(&state.db, state.clock.now(), &supervisor, id, revocation).await?))
}

/// The requester closes their request with what it was worth (R23); its watches end with it.
#[utoipa::path(
    post,
    path = REQUEST_OUTCOME,
    params(("id" = i64, Path, description = "The id")),
    request_body = RequestOutcome,
    responses((status = 200, description = "OK", body = RequestView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn close(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(outcome): ApiJson<RequestOutcome>,
) -> AppResult<Json<RequestView>> {
    let now = state.clock.now();
    let asked = serde_json::json!({ "request_id": id, "outcome": outcome });
    let closed = crate::search::watch::close_request(&state.db, now, &investigator, id, outcome).await;
    let actor = crate::audit::Actor::user(&investigator);
    Ok(Json(crate::audit::noting_refusal(closed, &state.db, now, actor, AuditAction::AccessRefused, asked).await?))
}
