//! Verifying a read reached through a search or watch (R15, R16): confirmed, misread (with the
//! corrected plate), suspected clone, or unreadable.

use crate::error::AppResult;
use crate::gate;
use crate::http::extract::{ApiJson, ApiPath, Investigator};
use crate::state::AppState;
use crate::verification;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use shared::endpoints::SEARCH_READ_VERIFICATIONS;
use shared::verification::{NewVerification, VerifiedRead};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify))
}

#[utoipa::path(
    post,
    path = SEARCH_READ_VERIFICATIONS,
    summary = "Verify a read: confirmed, misread, cloned or unreadable",
    params(("search" = i64, Path, description = "The search's id"), ("read" = i64, Path, description = "The read's id")),
    request_body = NewVerification,
    responses((status = 201, description = "Created", body = VerifiedRead)),
    security(("anpr_session" = ["investigator"]))
)]
async fn verify(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath((search_id, read_id)): ApiPath<(i64, i64)>,
    ApiJson(new): ApiJson<NewVerification>,
) -> AppResult<(StatusCode, Json<VerifiedRead>)> {
    let now = state.clock.now();
    let reached = gate::in_search(&state.db, now, &state.config.access, &user, search_id, read_id).await?;
    Ok((StatusCode::CREATED, Json(verification::verify(&state.db, now, &user, reached, new).await?)))
}
