//! Cloned-plate indicators (R17) among the reads a search or watch returned under its grant:
//! both sightings of each pair must be among them, so a pair reaches nobody outside a grant.

use crate::audit::{self, Actor, Event};
use crate::clones;
use crate::error::AppResult;
use crate::http::extract::{ApiPath, Investigator};
use crate::search;
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use serde_json::json;
use shared::endpoints::SEARCH_CLONES;
use shared::verification::ClonePair;
use shared::AuditAction;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(clone_pairs))
}

#[utoipa::path(
    get,
    path = SEARCH_CLONES,
    summary = "Cloned-plate pairs among a search's results",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = Vec<ClonePair>)),
    security(("anpr_session" = ["investigator"]))
)]
async fn clone_pairs(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<ClonePair>>> {
    let now = state.clock.now();
    let reopened = search::reopen(&state.db, now, &state.config.access, &user, id).await;
    let asked = json!({ "search_id": id, "what": "clone pairs" });
    let (permitted, _) =
        audit::noting_refusal(reopened, &state.db, now, Actor::user(&user), AuditAction::SearchRefused, asked).await?;
    let results = search::all(&state.db, &permitted).await?;
    let pairs = clones::among(&state.db, &results).await?;
    audit::record_alone(
        &state.db,
        now,
        Event::new(Actor::user(&user), AuditAction::ClonePairsListed).subject(permitted.reference()).details(json!({
            "search_id": id,
            "count": pairs.len(),
            "plates": pairs.iter().map(|p| p.plate.as_str()).collect::<Vec<_>>(),
        })),
    )
    .await?;
    Ok(Json(pairs))
}
