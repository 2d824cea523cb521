//! Alerts (R7, R8): the hits of the lists whose audience the caller is in — listed, streamed
//! live, decided, and their images. Each alert shown or streamed is recorded with whom it
//! reached (R21); nothing on a read past retention leaves (R12, R18).

use crate::access::policy::retention_cutoff;
use crate::access::standing::{Holder, Lost};
use crate::audit::{self, Actor, Event};
use crate::error::{AppError, AppResult};
use crate::hotlists;
use crate::http::extract::{ApiJson, ApiPath, Investigator};
use crate::http::limits::Limits;
use crate::http::openapi::Binary;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::Response;
use axum::Json;
use futures_util::Stream;
use serde_json::json;
use shared::endpoints::{ALERTS, ALERTS_LIVE, ALERT_DECISION, ALERT_IMAGE};
use shared::hotlists::{AlertDecision, AlertView};
use shared::{AuditAction, ImageKind};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tower_sessions::Session;
use utoipa_axum::{router::OpenApiRouter, routes};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(alerts)).routes(routes!(live)).routes(routes!(decide)).routes(routes!(image))
}

/// The alerts of the lists whose audience the investigator is in; nobody else's (R8). Which
/// alerts were shown is recorded.
#[utoipa::path(
    get,
    path = ALERTS,
    responses((status = 200, description = "OK", body = Vec<AlertView>)),
    security(("anpr_session" = ["investigator"]))
)]
async fn alerts(State(state): State<AppState>, user: Investigator) -> AppResult<Json<Vec<AlertView>>> {
    let now = state.clock.now();
    let cutoff = retention_cutoff(&state.config.access, now);
    let list = hotlists::alerts_for(&state.db, user.id, cutoff, 200).await?;
    let ids: Vec<i64> = list.iter().map(|a| a.id).collect();
    audit::record_alone(
        &state.db,
        now,
        Event::new(Actor::user(&user), AuditAction::AlertsListed).details(json!({ "count": ids.len(), "ids": ids })),
    )
    .await?;
    Ok(Json(list))
}

/// One open alert stream: it holds its user's session, and before each alert and once a second
/// asks how the user stands now; a user signed out, disabled or no longer an investigator gets
/// nothing more, and the stream's end is recorded with why.
struct Listening {
    state: AppState,
    holder: Holder,
    receiver: broadcast::Receiver<Arc<AlertView>>,
    tick: tokio::time::Interval,
    delivered: u64,
    ended: bool,
    _slot: crate::http::limits::StreamSlot,
}

impl Listening {
    async fn standing(&mut self) -> Option<Investigator> {
        match self.holder.standing::<Investigator>(&self.state.db).await {
            Ok(Ok(user)) => Some(user),
            Ok(Err(lost)) => {
                self.end(lost).await;
                None
            }
            Err(e) => {
                tracing::error!(error = %e, "alert stream: standing check failed; stream ended");
                self.ended = true;
                None
            }
        }
    }

    async fn end(&mut self, lost: Lost) {
        self.ended = true;
        let event = Event::new(Actor::system(), AuditAction::AlertsStreamClosed)
            .subject(format!("user {}", self.holder.user_id))
            .details(json!({ "why": lost.as_str(), "delivered": self.delivered }));
        if let Err(e) = audit::record_alone(&self.state.db, self.state.clock.now(), event).await {
            tracing::error!(error = %e, "alert stream: could not record its end");
        }
    }

    /// Sends `alert` if the user, as they stand now, may receive it; recorded as it goes.
    async fn deliver(&mut self, user: &Investigator, alert: &AlertView) -> AppResult<Option<SseEvent>> {
        let db = &self.state.db;
        let now = self.state.clock.now();
        if alert.read.captured_at < retention_cutoff(&self.state.config.access, now) {
            return Ok(None);
        }
        // Asked afresh as each alert is sent: the audience as it is now, and the user's camera
        // restrictions (R8, R13).
        if hotlists::alert_for(db, user.id, alert.id).await?.is_none() {
            return Ok(None);
        }
        audit::record_alone(
            db,
            now,
            Event::new(Actor::user(user), AuditAction::AlertStreamed)
                .subject(format!("alert {}", alert.id))
                .details(json!({ "alert_id": alert.id, "hotlist_id": alert.hotlist_id, "read_id": alert.read.id })),
        )
        .await?;
        self.delivered += 1;
        Ok(SseEvent::default().event("alert").json_data(alert).ok())
    }

    async fn next_event(&mut self) -> Option<SseEvent> {
        while !self.ended {
            tokio::select! {
                item = self.receiver.recv() => {
                    let alert = match item {
                        Ok(alert) => alert,
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    };
                    let user = self.standing().await?;
                    match self.deliver(&user, &alert).await {
                        Ok(Some(event)) => return Some(event),
                        Ok(None) => continue,
                        Err(e) => tracing::error!(error = %e, alert = alert.id, "alert stream: alert withheld"),
                    }
                }
                _ = self.tick.tick() => {
                    self.standing().await?;
                }
            }
        }
        None
    }
}

/// Server-sent events, one `alert` event per hit of a list whose audience the user is in at the
/// moment it is sent (R8). Opening the stream, each alert it carries and its end are audited.
#[utoipa::path(
    get,
    path = ALERTS_LIVE,
    responses((status = 200, description = "Server-sent events: an `alert` event per hit, as JSON (an AlertView).", content_type = "text/event-stream", body = String)),
    security(("anpr_session" = ["investigator"]))
)]
async fn live(
    State(state): State<AppState>,
    axum::Extension(limits): axum::Extension<Arc<Limits>>,
    user: Investigator,
    session: Session,
) -> AppResult<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>> {
    let holder = Holder::of(&session, user.id).ok_or_else(AppError::not_signed_in)?;
    let slot = limits.stream(user.id)?;
    let receiver = state.alerts.subscribe();
    audit::record_alone(&state.db, state.clock.now(), Event::new(Actor::user(&user), AuditAction::AlertsStreamOpened))
        .await?;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let listening = Listening { state, holder, receiver, tick, delivered: 0, ended: false, _slot: slot };
    let stream = futures_util::stream::unfold(listening, |mut listening| async move {
        let event = listening.next_event().await?;
        Some((Ok(event), listening))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[utoipa::path(
    post,
    path = ALERT_DECISION,
    summary = "Decide an alert: accepted or rejected, with a reason; the first decision stands",
    params(("id" = i64, Path, description = "The id")),
    request_body = AlertDecision,
    responses((status = 200, description = "OK", body = AlertView)),
    security(("anpr_session" = ["investigator"]))
)]
async fn decide(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath(id): ApiPath<i64>,
    ApiJson(decision): ApiJson<AlertDecision>,
) -> AppResult<Json<AlertView>> {
    let (db, now) = (&state.db, state.clock.now());
    let cutoff = retention_cutoff(&state.config.access, now);
    let asked = json!({ "alert_id": id, "decision": decision });
    let decided = hotlists::decide(db, now, cutoff, &user, id, decision).await;
    Ok(Json(audit::noting_refusal(decided, db, now, Actor::user(&user), AuditAction::DecisionRefused, asked).await?))
}

/// An alert's image, for its audience only (who may hold no other right to reads), not from a
/// camera the user is restricted from, and not past retention (R8, R12, R13).
#[utoipa::path(
    get,
    path = ALERT_IMAGE,
    params(("id" = i64, Path, description = "The id"), ("kind" = ImageKind, Path, description = "Which image: the plate patch or the overview")),
    responses((status = 200, description = "The image.", content((Binary = "image/jpeg"), (Binary = "image/png")))),
    security(("anpr_session" = ["investigator"]))
)]
async fn image(
    State(state): State<AppState>,
    user: Investigator,
    ApiPath((id, kind)): ApiPath<(i64, ImageKind)>,
) -> AppResult<Response> {
    let now = state.clock.now();
    let cutoff = retention_cutoff(&state.config.access, now);
    let (_, reached) = crate::gate::in_alert(&state.db, now, cutoff, &user, id).await?;
    reached.image(&state.db, &state.images, now, kind).await
}
