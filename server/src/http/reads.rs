//! A read as one of a search's (or watch's) results: its detail with its verification history,
//! and its images (R15, R16). Reads are reached only as `(search, read)` through the gate in
//! `gate`, which refuses — as 404, audited — anything the caller has no right to now,
//! and audits every view naming the request it was seen under (R21).

use crate::error::AppResult;
use crate::gate;
use crate::http::extract::{ApiPath, Investigator};
use crate::http::openapi::Binary;
use crate::state::AppState;
use crate::verification;
use axum::extract::State;
use axum::response::Response;
use axum::Json;
use shared::endpoints::{SEARCH_READ, SEARCH_READ_IMAGE};
use shared::verification::VerifiedRead;
use shared::ImageKind;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(detail)).routes(routes!(image))
}

#[utoipa::path(
    get,
    path = SEARCH_READ,
    summary = "A read from a search or watch, with its verification history",
    params(("search" = i64, Path, description = "The search's id"), ("read" = i64, Path, description = "The read's id")),
    responses((status = 200, description = "OK", body = VerifiedRead)),
    security(("anpr_session" = ["investigator"]))
)]
async fn detail(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath((search_id, read_id)): ApiPath<(i64, i64)>,
) -> AppResult<Json<VerifiedRead>> {
    let now = state.clock.now();
    let reached = gate::in_search(&state.db, now, &state.config.access, &user, search_id, read_id).await?;
    let history = verification::history(&state.db, &reached).await?;
    let read = reached.shown(&state.db, now, "verification history").await?.clone();
    Ok(Json(VerifiedRead { read, history }))
}

#[utoipa::path(
    get,
    path = SEARCH_READ_IMAGE,
    summary = "A read's image",
    params(("search" = i64, Path, description = "The search's id"), ("read" = i64, Path, description = "The read's id"), ("kind" = ImageKind, Path, description = "Which image: the plate patch or the overview")),
    responses((status = 200, description = "The image.", content((Binary = "image/jpeg"), (Binary = "image/png")))),
    security(("anpr_session" = ["investigator"]))
)]
async fn image(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath((search_id, read_id, kind)): ApiPath<(i64, i64, ImageKind)>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let reached = gate::in_search(&state.db, now, &state.config.access, &user, search_id, read_id).await?;
    reached.image(&state.db, &state.images, now, kind).await
}
