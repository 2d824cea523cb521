//! Hotlists (hotlist admins): lists, their audiences and their entries (R6–R10). The alerts
//! they raise are in `alerts.rs`: a list's managers are never its audience. A list, audience,
//! entry or approval refused is recorded as `hotlist_change_refused` with what was asked (R21).

use crate::audit::{self, Actor};
use crate::error::AppResult;
use crate::hotlists;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, HotlistAdmin, Inspector};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::json;
use shared::endpoints::{
    HOTLISTS, HOTLIST_APPROVALS_DUE, HOTLIST_AUDIENCE, HOTLIST_ENTRIES, HOTLIST_ENTRY, HOTLIST_ENTRY_APPROVE,
    HOTLIST_ENTRY_REMOVE, HOTLIST_ENTRY_REVIEW, HOTLIST_IMPORT, HOTLIST_REVIEWS_DUE,
};
use shared::hotlists::{
    ApproveEntry, AudienceChange, EntryUpdate, EntryView, HotlistView, ImportReport, NewEntry, NewHotlist, RemoveEntry,
    ReviewEntry,
};
use shared::{AuditAction, UserView};
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(lists, create))
        .routes(routes!(change_audience))
        .routes(routes!(entries, add_entry))
        .routes(routes!(import))
        .routes(routes!(edit_entry))
        .routes(routes!(remove_entry))
        .routes(routes!(review))
        .routes(routes!(approve))
        .routes(routes!(due))
        .routes(routes!(awaiting_approval))
}

#[utoipa::path(
    get,
    path = HOTLISTS,
    summary = "Hotlists",
    responses((status = 200, description = "OK", body = Vec<HotlistView>)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn lists(State(state): State<AppState>, _: HotlistAdmin) -> AppResult<Json<Vec<HotlistView>>> {
    Ok(Json(hotlists::lists(&state.db).await?))
}

#[utoipa::path(
    post,
    path = HOTLISTS,
    summary = "Create a hotlist",
    request_body = NewHotlist,
    responses((status = 201, description = "Created", body = HotlistView)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn create(
    State(state): State<AppState>,
    admin: HotlistAdmin,
    ApiJson(new): ApiJson<NewHotlist>,
) -> AppResult<(StatusCode, Json<HotlistView>)> {
    let asked = json!({ "create": new });
    let list = hotlists::create_list(&state.db, state.clock.now(), &admin, new).await;
    Ok((StatusCode::CREATED, Json(noting(&state, &admin, list, asked).await?)))
}

/// `result`, a refusal recorded as `hotlist_change_refused` with what was asked (R21).
async fn noting<T>(state: &AppState, by: &UserView, result: AppResult<T>, asked: serde_json::Value) -> AppResult<T> {
    let (db, now) = (&state.db, state.clock.now());
    audit::noting_refusal(result, db, now, Actor::user(by), AuditAction::HotlistChangeRefused, asked).await
}

/// Replaces a list's audience, with why (R8, R21).
#[utoipa::path(
    put,
    path = HOTLIST_AUDIENCE,
    params(("id" = i64, Path, description = "The id")),
    request_body = AudienceChange,
    responses((status = 200, description = "OK", body = HotlistView)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn change_audience(
    State(state): State<AppState>,
    admin: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<AudienceChange>,
) -> AppResult<Json<HotlistView>> {
    let asked = json!({ "hotlist_id": id, "audience": change });
    let changed = hotlists::change_audience(&state.db, state.clock.now(), &admin, id, change).await;
    Ok(Json(noting(&state, &admin, changed, asked).await?))
}

#[utoipa::path(
    get,
    path = HOTLIST_ENTRIES,
    summary = "A list's entries",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = Vec<EntryView>)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn entries(
    State(state): State<AppState>,
    _: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<EntryView>>> {
    Ok(Json(hotlists::entries(&state.db, &state.config.hotlists, id).await?))
}

#[utoipa::path(
    post,
    path = HOTLIST_ENTRIES,
    summary = "Add an entry to a list",
    params(("id" = i64, Path, description = "The id")),
    request_body = NewEntry,
    responses((status = 201, description = "Created", body = EntryView)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn add_entry(
    State(state): State<AppState>,
    admin: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewEntry>,
) -> AppResult<(StatusCode, Json<EntryView>)> {
    let now = state.clock.now();
    let asked = json!({ "hotlist_id": id, "entry": new });
    let entry = hotlists::add_entry(&state.db, now, &state.config.hotlists, Actor::user(&admin), id, new).await;
    let entry = noting(&state, &admin, entry, asked).await?;
    entries_added(&state, std::slice::from_ref(&entry)).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// Puts entries that match now into every server's index, and matches them against the reads
/// already stored, so a vehicle seen before the entry was added is not missed (R7).
async fn entries_added(state: &AppState, added: &[EntryView]) -> AppResult<()> {
    let live: Vec<EntryView> = added.iter().filter(|e| !e.awaiting_approval).cloned().collect();
    if live.is_empty() {
        return Ok(());
    }
    state.entries_changed(&live, &[]).await;
    let raised = hotlists::match_retroactively(&state.db, state.clock.now(), &state.config, &live).await?;
    state.alerts_raised(raised).await?;
    Ok(())
}

#[utoipa::path(
    patch,
    path = HOTLIST_ENTRY,
    summary = "Change an entry's intelligence reference, reason, markers or action",
    params(("id" = i64, Path, description = "The id")),
    request_body = EntryUpdate,
    responses((status = 200, description = "OK", body = EntryView)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn edit_entry(
    State(state): State<AppState>,
    admin: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<EntryUpdate>,
) -> AppResult<Json<EntryView>> {
    let now = state.clock.now();
    let asked = json!({ "edit_entry": id, "change": change });
    let edited = hotlists::update_entry(&state.db, now, &state.config.hotlists, Actor::user(&admin), id, change).await;
    Ok(Json(noting(&state, &admin, edited, asked).await?))
}

#[utoipa::path(
    post,
    path = HOTLIST_ENTRY_REMOVE,
    summary = "Remove an entry, with a reason",
    params(("id" = i64, Path, description = "The id")),
    request_body = RemoveEntry,
    responses((status = 204, description = "Done")),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn remove_entry(
    State(state): State<AppState>,
    admin: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RemoveEntry>,
) -> AppResult<StatusCode> {
    let removed = hotlists::remove_entry(&state.db, state.clock.now(), Actor::user(&admin), id, &body.reason).await;
    noting(&state, &admin, removed, json!({ "remove_entry": id, "reason": body.reason })).await?;
    state.entries_changed(&[], &[id]).await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(
    post,
    path = HOTLIST_ENTRY_REVIEW,
    summary = "Review an entry: why it is still needed",
    params(("id" = i64, Path, description = "The id")),
    request_body = ReviewEntry,
    responses((status = 200, description = "OK", body = EntryView)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn review(
    State(state): State<AppState>,
    admin: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReviewEntry>,
) -> AppResult<Json<EntryView>> {
    let (now, policy) = (state.clock.now(), &state.config.hotlists);
    let reviewed = hotlists::review_entry(&state.db, now, policy, Actor::user(&admin), id, &body.justification).await;
    Ok(Json(
        noting(&state, &admin, reviewed, json!({ "review_entry": id, "justification": body.justification })).await?,
    ))
}

/// An inspector approves a partial plate (R10, R11): from then until it lapses it matches.
#[utoipa::path(
    post,
    path = HOTLIST_ENTRY_APPROVE,
    params(("id" = i64, Path, description = "The id")),
    request_body = ApproveEntry,
    responses((status = 200, description = "OK", body = EntryView)),
    security(("anpr_session" = ["inspector"]))
)]
async fn approve(
    State(state): State<AppState>,
    inspector: Inspector,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ApproveEntry>,
) -> AppResult<Json<EntryView>> {
    let (now, policy) = (state.clock.now(), &state.config.hotlists);
    let approved = hotlists::approve_entry(&state.db, now, policy, &inspector, id, &body.rationale).await;
    let entry = noting(&state, &inspector, approved, json!({ "approve_entry": id })).await?;
    entries_added(&state, std::slice::from_ref(&entry)).await?;
    Ok(Json(entry))
}

/// Partial plates awaiting an inspector's approval, oldest first.
#[utoipa::path(
    get,
    path = HOTLIST_APPROVALS_DUE,
    responses((status = 200, description = "OK", body = Vec<EntryView>)),
    security(("anpr_session" = ["inspector"]))
)]
async fn awaiting_approval(State(state): State<AppState>, _: Inspector) -> AppResult<Json<Vec<EntryView>>> {
    Ok(Json(hotlists::awaiting_approval(&state.db, &state.config.hotlists).await?))
}

/// Entries due for review within `within_days` (default 3), overdue ones first.
#[utoipa::path(
    get,
    path = HOTLIST_REVIEWS_DUE,
    params(shared::hotlists::DueQuery),
    responses((status = 200, description = "OK", body = Vec<EntryView>)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn due(
    State(state): State<AppState>,
    _: HotlistAdmin,
    ApiQuery(q): ApiQuery<shared::hotlists::DueQuery>,
) -> AppResult<Json<Vec<EntryView>>> {
    let policy = &state.config.hotlists;
    let days = q.within_days.unwrap_or(3).clamp(0, policy.review_days);
    Ok(Json(hotlists::due_for_review(&state.db, state.clock.now(), policy, days).await?))
}

/// A CSV file of whole plates (`vrm,intelligence_ref,reason,warning_markers,action`), with a
/// report of each refused row.
#[utoipa::path(
    post,
    path = HOTLIST_IMPORT,
    params(("id" = i64, Path, description = "The id")),
    request_body(content = String, content_type = "text/csv", description = "A CSV file of whole plates: `vrm,intelligence_ref,reason,warning_markers,action`."),
    responses((status = 200, description = "OK", body = ImportReport)),
    security(("anpr_session" = ["hotlist_admin"]))
)]
async fn import(
    State(state): State<AppState>,
    admin: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> AppResult<Json<ImportReport>> {
    let now = state.clock.now();
    let (report, added) =
        hotlists::import_csv(&state.db, now, &state.config.hotlists, Actor::user(&admin), id, &body).await?;
    entries_added(&state, &added).await?;
    Ok(Json(report))
}
