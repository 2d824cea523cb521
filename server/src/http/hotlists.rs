//! Hotlists (hotlist admins) and the alerts they raise (their audiences).

use crate::audit::{self, Actor, Event};
use crate::changes;
use crate::error::AppResult;
use crate::hotlists;
use crate::http::extract::{ApiJson, ApiPath, ApiQuery, CurrentUser, HotlistAdmin};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{Stream, StreamExt};
use serde_json::json;
use shared::hotlists::{
    AlertDecision, AlertView, EntryView, HotlistView, ImportReport, NewEntry, NewHotlist, RemoveEntry, ReviewEntry,
    REVIEW_DAYS,
};
use shared::{AuditAction, ImageKind, Role};
use std::convert::Infallible;
use tokio_stream::wrappers::BroadcastStream;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/hotlists", get(lists).post(create))
        .route("/hotlists/{id}/entries", get(entries).post(add_entry))
        .route("/hotlists/{id}/import", post(import))
        .route("/hotlists/entries/{id}", axum::routing::patch(edit_entry))
        .route("/hotlists/entries/{id}/remove", post(remove_entry))
        .route("/hotlists/entries/{id}/review", post(review))
        .route("/hotlists/reviews/due", get(due))
        .route("/alerts", get(alerts))
        .route("/alerts/live", get(live))
        .route("/alerts/{id}/decision", post(decide))
        .route("/alerts/{id}/images/{kind}", get(image))
}

async fn lists(State(state): State<AppState>, _: HotlistAdmin) -> AppResult<Json<Vec<HotlistView>>> {
    Ok(Json(hotlists::lists(&state.db).await?))
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(new): ApiJson<NewHotlist>,
) -> AppResult<(StatusCode, Json<HotlistView>)> {
    let admin = user.require(Role::HotlistAdmin)?;
    Ok((StatusCode::CREATED, Json(hotlists::create_list(&state.db, state.clock.now(), Actor::user(admin), new).await?)))
}

async fn entries(
    State(state): State<AppState>,
    _: HotlistAdmin,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<Vec<EntryView>>> {
    Ok(Json(hotlists::entries(&state.db, id).await?))
}

async fn add_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(new): ApiJson<NewEntry>,
) -> AppResult<(StatusCode, Json<EntryView>)> {
    let admin = user.require(Role::HotlistAdmin)?;
    let now = state.clock.now();
    let entry = hotlists::add_entry(&state.db, now, Actor::user(admin), id, new).await?;
    changes::entries_changed(&state, std::slice::from_ref(&entry), &[]).await;
    // A vehicle seen before the entry was added is not missed (R7).
    let raised =
        hotlists::match_retroactively(&state.db, now, std::slice::from_ref(&entry), state.config.hotlist_retro_hours)
            .await?;
    changes::alerts_raised(&state, raised).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

async fn edit_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(change): ApiJson<shared::hotlists::EntryUpdate>,
) -> AppResult<Json<EntryView>> {
    let admin = user.require(Role::HotlistAdmin)?;
    Ok(Json(hotlists::update_entry(&state.db, state.clock.now(), Actor::user(admin), id, change).await?))
}

async fn remove_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RemoveEntry>,
) -> AppResult<StatusCode> {
    let admin = user.require(Role::HotlistAdmin)?;
    hotlists::remove_entry(&state.db, state.clock.now(), Actor::user(admin), id, &body.reason).await?;
    changes::entries_changed(&state, &[], &[id]).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The alerts of the lists whose audience the user is in; nobody else's (R8).
async fn alerts(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Vec<AlertView>>> {
    let list = hotlists::alerts_for(&state.db, user.0.id, 200).await?;
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&user.0), AuditAction::AlertsListed).details(json!({ "count": list.len() })),
    )
    .await?;
    Ok(Json(list))
}

async fn review(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<ReviewEntry>,
) -> AppResult<Json<EntryView>> {
    let admin = user.require(Role::HotlistAdmin)?;
    Ok(Json(hotlists::review_entry(&state.db, state.clock.now(), Actor::user(admin), id, &body.justification).await?))
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Within {
    within_days: Option<i64>,
}

/// Entries due for review within `within_days` (default 3), overdue ones first.
async fn due(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<Within>,
) -> AppResult<Json<Vec<EntryView>>> {
    user.require(Role::HotlistAdmin)?;
    let days = q.within_days.unwrap_or(3).clamp(0, REVIEW_DAYS);
    Ok(Json(hotlists::due_for_review(&state.db, state.clock.now(), days).await?))
}

/// Server-sent events, one `alert` event per hit of a list whose audience the user is in at the
/// moment it is sent (R8). Opening the stream is audited.
async fn live(
    State(state): State<AppState>,
    user: CurrentUser,
) -> AppResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let receiver = state.alerts.subscribe();
    audit::record_alone(
        &state.db,
        state.clock.now(),
        Event::new(Actor::user(&user.0), AuditAction::AlertsStreamOpened),
    )
    .await?;
    let user_id = user.0.id;
    let stream = BroadcastStream::new(receiver).filter_map(move |item| {
        let db = state.db.clone();
        async move {
            let alert = item.ok()?;
            // Asked afresh as each alert is sent: the audience as it is now, and the user's
            // camera restrictions (R8, R13).
            match hotlists::alert_for(&db, user_id, alert.id).await {
                Ok(Some(_)) => SseEvent::default().event("alert").json_data(&*alert).ok().map(Ok),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "alert stream: audience check failed; alert withheld");
                    None
                }
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<AlertDecision>,
) -> AppResult<Json<AlertView>> {
    let (db, now) = (&state.db, state.clock.now());
    let asked = json!({ "alert_id": id, "decision": decision });
    let decided = hotlists::decide(db, now, &user.0, id, decision).await;
    Ok(Json(audit::noting_refusal(decided, db, now, Actor::user(&user.0), AuditAction::DecisionRefused, asked).await?))
}

/// An alert's image, for its audience only (who may hold no other right to reads), and not
/// from a camera the user is restricted from (R8, R13).
async fn image(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, kind)): ApiPath<(i64, ImageKind)>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let (_, reached) = crate::reads::access::in_alert(&state.db, now, &user.0, id).await?;
    reached.image(&state.db, &state.images, now, kind).await
}

/// A CSV file of entries (`vrm,intelligence_ref,reason,warning_markers,action`), with a report
/// of each refused row.
async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    body: axum::body::Bytes,
) -> AppResult<Json<ImportReport>> {
    let admin = user.require(Role::HotlistAdmin)?;
    let now = state.clock.now();
    let (report, added) = hotlists::import_csv(&state.db, now, Actor::user(admin), id, &body).await?;
    changes::entries_changed(&state, &added, &[]).await;
    let raised = hotlists::match_retroactively(&state.db, now, &added, state.config.hotlist_retro_hours).await?;
    changes::alerts_raised(&state, raised).await?;
    Ok(Json(report))
}
