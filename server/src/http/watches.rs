//! Live-time watches (investigators): open one under an approved request whose window covers
//! now, receive its reads as they are stored (server-sent events), close it. A watch is a
//! search, so its reads, images and verifications are reached at `/searches/{id}/reads/…`.

use crate::access::standing::Holder;
use crate::error::{AppError, AppResult};
use crate::http::extract::{ApiJson, ApiPath, Investigator};
use crate::http::limits::Limits;
use crate::search::watch::{self, Next};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures_util::Stream;
use shared::endpoints::{WATCH, WATCHES, WATCH_CLOSE, WATCH_LIVE};
use shared::watch::{NewWatch, WatchEnd, WatchEnded, WatchView};
use shared::{AuditAction, ReadView, UserView};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tower_sessions::Session;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, open))
        .routes(routes!(detail))
        .routes(routes!(live))
        .routes(routes!(close))
}

#[utoipa::path(
    post,
    path = WATCHES,
    summary = "Open a live-time watch under an approved request",
    request_body = NewWatch,
    responses((status = 201, description = "Created", body = WatchView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn open(
    State(state): State<AppState>,
    user: Investigator,
    ApiJson(new): ApiJson<NewWatch>,
) -> AppResult<(StatusCode, Json<WatchView>)> {
    let config = &state.config;
    let asked = serde_json::json!({ "watch": new });
    let watch = watch::open(&state.db, state.clock.now(), &config.access, &config.audit_sample, &user, new).await;
    // A refused watch is on the record like a refused search (R21).
    let actor = crate::audit::Actor::user(&user);
    let watch =
        crate::audit::noting_refusal(watch, &state.db, state.clock.now(), actor, AuditAction::SearchRefused, asked)
            .await?;
    Ok((StatusCode::CREATED, Json(watch)))
}

#[utoipa::path(
    get,
    path = WATCHES,
    summary = "The caller's watches",
    responses((status = 200, description = "OK", body = Vec<WatchView>)),
    security(("anpr_session" = ["investigator"]))
)]
async fn list(State(state): State<AppState>, user: Investigator) -> AppResult<Json<Vec<WatchView>>> {
    Ok(Json(watch::list(&state.db, state.clock.now(), &state.config.access, &user).await?))
}

/// `result`, with a refused attempt on watch `id` (another user's, say) recorded (R21).
async fn noting<T>(state: &AppState, user: &UserView, id: i64, result: AppResult<T>) -> AppResult<T> {
    let asked = serde_json::json!({ "watch_id": id });
    let actor = crate::audit::Actor::user(user);
    crate::audit::noting_refusal(result, &state.db, state.clock.now(), actor, AuditAction::AccessRefused, asked).await
}

#[utoipa::path(
    get,
    path = WATCH,
    summary = "A watch",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = WatchView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn detail(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<WatchView>> {
    let found = watch::find(&state.db, state.clock.now(), &state.config.access, &user, id).await;
    Ok(Json(noting(&state, &user, id, found).await?))
}

#[utoipa::path(
    post,
    path = WATCH_CLOSE,
    summary = "Close a watch",
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "OK", body = WatchView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn close(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Json<WatchView>> {
    let closed = watch::close(&state.db, state.clock.now(), &user, id, WatchEnd::Closed, None).await;
    Ok(Json(noting(&state, &user, id, closed).await?))
}

/// One open watch's stream: the stored reads it may send, and a check each second that it may
/// still run (its end, its request, its user's standing). It holds its user's session, not the
/// user as they were when it opened: before each read and at each tick the user is loaded as
/// they stand then, and a user signed out, disabled or without the investigator role ends it.
struct Watching {
    state: AppState,
    holder: Holder,
    id: i64,
    sieve: crate::search::Permitted,
    receiver: broadcast::Receiver<Arc<ReadView>>,
    tick: tokio::time::Interval,
    ended: bool,
    _slot: crate::http::limits::StreamSlot,
}

fn ended_event(watch: &WatchView) -> SseEvent {
    let ended = WatchEnded { ended: watch.ended.unwrap_or(WatchEnd::Closed), delivered: watch.delivered };
    SseEvent::default().event("end").json_data(ended).unwrap_or_default()
}

impl Watching {
    /// The user as they stand now, or the watch's end (closed and audited with why) when they
    /// no longer stand as an investigator.
    async fn standing(&mut self) -> Result<Investigator, Option<SseEvent>> {
        let db = &self.state.db;
        match self.holder.standing::<Investigator>(db).await {
            Ok(Ok(user)) => Ok(user),
            Ok(Err(lost)) => {
                self.ended = true;
                let now = self.state.clock.now();
                match watch::end_for_standing(db, now, self.holder.user_id, self.id, lost.as_str()).await {
                    Ok(watch) => Err(Some(ended_event(&watch))),
                    Err(e) => {
                        tracing::error!(error = %e, watch = self.id, "watch stream: could not record its end");
                        Err(None)
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, watch = self.id, "watch stream: standing check failed; stream ended");
                self.ended = true;
                Err(None)
            }
        }
    }

    /// The next event to send, or `None` when the stream is over.
    async fn next_event(&mut self) -> Option<SseEvent> {
        if self.ended {
            return None;
        }
        loop {
            tokio::select! {
                item = self.receiver.recv() => {
                    let read = match item {
                        Ok(read) => read,
                        // A slow client skips what it missed rather than holding everyone up.
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    };
                    if !self.sieve.may_find(&read) {
                        continue;
                    }
                    let user = match self.standing().await {
                        Ok(user) => user,
                        Err(end) => return end,
                    };
                    let (db, policy) = (&self.state.db, &self.state.config.access);
                    let now = self.state.clock.now();
                    match watch::next(db, now, policy, &user, self.id, &read).await {
                        Ok(Next::Send(read)) => return SseEvent::default().event("read").json_data(read).ok(),
                        Ok(Next::Skip) => continue,
                        Ok(Next::End(watch)) => {
                            self.ended = true;
                            return Some(ended_event(&watch));
                        }
                        Err(e) => {
                            tracing::error!(error = %e, watch = self.id, "watch stream: check failed; read withheld");
                            continue;
                        }
                    }
                }
                _ = self.tick.tick() => {
                    let user = match self.standing().await {
                        Ok(user) => user,
                        Err(end) => return end,
                    };
                    let (db, policy) = (&self.state.db, &self.state.config.access);
                    let now = self.state.clock.now();
                    match watch::find(db, now, policy, &user, self.id).await {
                        Ok(watch) if watch.closed_at.is_some() => {
                            self.ended = true;
                            return Some(ended_event(&watch));
                        }
                        Ok(_) => continue,
                        Err(e) => {
                            tracing::error!(error = %e, watch = self.id, "watch stream: check failed");
                            continue;
                        }
                    }
                }
            }
        }
    }
}

/// Server-sent events: a `read` event for each stored read the watch covers, and an `end`
/// event when the watch ends (closed, its window or approval over, its request withdrawn).
#[utoipa::path(
    get,
    path = WATCH_LIVE,
    params(("id" = i64, Path, description = "The id")),
    responses((status = 200, description = "Server-sent events: a `read` event per stored read the watch covers (JSON), and `end` when the watch ends.", content_type = "text/event-stream", body = String)),
    security(("anpr_session" = ["investigator"]))
)]
async fn live(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    user: Investigator,
    session: Session,
    ApiPath(id): ApiPath<i64>,
) -> AppResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let holder = Holder::of(&session, user.id).ok_or_else(AppError::not_signed_in)?;
    let slot = limits.stream(user.id)?;
    let now = state.clock.now();
    let receiver = state.live.subscribe();
    let permitted =
        noting(&state, &user, id, watch::permitted(&state.db, now, &state.config.access, &user, id).await).await?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (sieve, ended) = match permitted {
        Ok(p) => (Some(p), None),
        Err(watch) => (None, Some(watch)),
    };
    let stream = futures_util::stream::unfold(
        (sieve.map(|sieve| Watching { state, holder, id, sieve, receiver, tick, ended: false, _slot: slot }), ended),
        |(mut watching, ended)| async move {
            if let Some(watch) = ended {
                return Some((Ok(ended_event(&watch)), (None, None)));
            }
            let event = watching.as_mut()?.next_event().await?;
            Some((Ok(event), (watching, None)))
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
