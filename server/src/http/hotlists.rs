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
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route(HOTLISTS, get(lists).post(create))
        .route(HOTLIST_AUDIENCE, put(change_audience))
        .route(HOTLIST_ENTRIES, get(entries).post(add_entry))
        .route(HOTLIST_IMPORT, post(import))
        .route(HOTLIST_ENTRY, patch(edit_entry))
        .route(HOTLIST_ENTRY_REMOVE, post(remove_entry))
        .route(HOTLIST_ENTRY_REVIEW, post(review))
        .route(HOTLIST_ENTRY_APPROVE, post(approve))
        .route(HOTLIST_REVIEWS_DUE, get(due))
        .route(HOTLIST_APPROVALS_DUE, get(awaiting_approval))
}

async fn lists(State(state): State<AppState>, _: HotlistAdmin) -> AppResult<Json<Vec<HotlistView>>> {
    Ok(Json(hotlists::lists(&state.db).await?))
}

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

async fn entries(
    State(state): State<AppState>,
    _: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<EntryView>>> {
    Ok(Json(hotlists::entries(&state.db, &state.config.hotlists, id).await?))
}

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
async fn awaiting_approval(State(state): State<AppState>, _: Inspector) -> AppResult<Json<Vec<EntryView>>> {
    Ok(Json(hotlists::awaiting_approval(&state.db, &state.config.hotlists).await?))
}

/// Entries due for review within `within_days` (default 3), overdue ones first.
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
