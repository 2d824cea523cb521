//! Searching reads under a request (investigators) and the audit sample (auditors).

use crate::audit::{self, Actor, Event};
use crate::error::AppResult;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, Auditor, Investigator};
use crate::search::{self, sample, Cursor, Grant};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use shared::endpoints::{AUDIT_SAMPLES, AUDIT_SAMPLE_FINDING, SEARCH, SEARCHES, SEARCH_CAMERAS};
use shared::search::{CameraCount, NewSearch, PageQuery, SampleFinding, SampleView, SamplesQuery, SearchPage};
use shared::AuditAction;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(run))
        .routes(routes!(next_page))
        .routes(routes!(cameras))
        .routes(routes!(samples))
        .routes(routes!(review))
}

#[utoipa::path(
    post,
    path = SEARCHES,
    summary = "Run a search under an approved request: its first page",
    request_body = NewSearch,
    responses((status = 201, description = "Created", body = SearchPage)),
    security(("anpr_session" = ["investigator"]))
)]
async fn run(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiJson(new): ApiJson<NewSearch>,
) -> AppResult<(StatusCode, Json<SearchPage>)> {
    let now = state.clock.now();
    let asked = json!(new);
    let permitted = async {
        let grant = Grant::issue(&state.db, &state.config.access, now, &investigator, new.request_id).await?;
        grant.permit(&state.db, new).await
    }
    .await;
    // A refused search is recorded like a search (R21): who, what was asked, why not.
    let permitted = refused_noted(&state, &investigator, permitted, asked).await?;
    let page = search::run(&state.db, now, &state.config.audit_sample, &investigator, &permitted).await?;
    Ok((StatusCode::CREATED, Json(page)))
}

#[utoipa::path(
    get,
    path = SEARCH,
    summary = "A page of a search's results",
    params(("id" = i64, Path, description = "The id"), PageQuery),
    responses((status = 200, description = "OK", body = SearchPage)),
    security(("anpr_session" = ["investigator"]))
)]
async fn next_page(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> AppResult<Json<SearchPage>> {
    let now = state.clock.now();
    let page = match q.after.as_deref().map(Cursor::parse).transpose() {
        Ok(after) => search::next_page(&state.db, now, &state.config.access, &investigator, id, after).await,
        Err(e) => Err(e),
    };
    let asked = json!({ "search_id": id, "after": q.after });
    Ok(Json(refused_noted(&state, &investigator, page, asked).await?))
}

/// The whole result of a search counted per camera, for the map.
#[utoipa::path(
    get,
    path = SEARCH_CAMERAS,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = Vec<CameraCount>)),
    security(("anpr_session" = ["investigator"]))
)]
async fn cameras(
    State(state): State<AppState>,
    investigator: Investigator,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<CameraCount>>> {
    let now = state.clock.now();
    let counts = search::cameras(&state.db, now, &state.config.access, &investigator, id).await;
    Ok(Json(refused_noted(&state, &investigator, counts, json!({ "search_id": id, "cameras": true })).await?))
}

/// A stored search reopened, or its refusal on the record like a refused search (R21): another
/// user's search, or one whose request no longer permits it.
async fn refused_noted<T>(
    state: &AppState,
    investigator: &Investigator,
    result: AppResult<T>,
    asked: serde_json::Value,
) -> AppResult<T> {
    let actor = Actor::user(investigator);
    audit::noting_refusal(result, &state.db, state.clock.now(), actor, AuditAction::SearchRefused, asked).await
}

#[utoipa::path(
    get,
    path = AUDIT_SAMPLES,
    summary = "The audit sample of searches: open, or reviewed",
    params(SamplesQuery),
    responses((status = 200, description = "OK", body = Vec<SampleView>)),
    security(("anpr_session" = ["auditor"]))
)]
async fn samples(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiQuery(q): ApiQuery<SamplesQuery>,
) -> AppResult<Json<Vec<SampleView>>> {
    let list = sample::list(&state.db, q.reviewed, q.limit.unwrap_or(200).clamp(1, 1000)).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&auditor), AuditAction::SamplesListed)
            .details(json!({ "reviewed": q.reviewed, "count": list.len() })),
    )
    .await?;
    Ok(Json(list))
}

#[utoipa::path(
    post,
    path = AUDIT_SAMPLE_FINDING,
    summary = "Record the audit unit's finding on a sampled search",
    params(("id" = i64, Path, description = "The id")),
    request_body = SampleFinding,
    responses((status = 200, description = "OK", body = SampleView)),
    security(("anpr_session" = ["auditor"]))
)]
async fn review(
    State(state): State<AppState>,
    auditor: Auditor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(finding): ApiJson<SampleFinding>,
) -> AppResult<Json<SampleView>> {
    Ok(Json(sample::review(&state.db, state.clock.now(), &auditor, id, finding).await?))
}
