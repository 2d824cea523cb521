//! Live-time watches (R10, R12, R13, R21, R22). A watch is a search stored with `live = 1`
//! whose window runs from its opening to the end of its request's window or approval: the
//! grant permits it like any search (scope, reach, restrictions), it is drawn for the audit
//! sample like any search, and its reads are reached through the same gate. It ends when its
//! user closes it, when that end comes, or when the request can no longer be used (withdrawn,
//! say); opening and closing are audited, the closing with the count of reads delivered.

use super::{reopen, store, Grant, Permitted};
use crate::access::{Investigator, Supervisor};
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::{AccessConfig, SampleConfig};
use crate::error::{AppError, AppResult};
use crate::search::grant::stamp;
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::requests::{RequestView, RevokeApproval};
use shared::search::NewSearch;
use shared::watch::{NewWatch, WatchEnd, WatchView};
use shared::AuditAction;
use sqlx::any::AnyRow;
use sqlx::Row;

const WATCH_COLUMNS: &str = "s.id, s.request_id, q.reference, s.query, s.window_from, s.window_to, s.at, s.closed_at, \
     s.close_reason, s.result_count";
const WATCH_FROM: &str = "searches s JOIN requests q ON q.id = s.request_id";

fn watch_from_row(row: &AnyRow) -> Result<WatchView, sqlx::Error> {
    let query: String = row.try_get("query")?;
    Ok(WatchView {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        reference: row.try_get("reference")?,
        query: serde_json::from_str(&query)
            .map_err(|e| sqlx::Error::ColumnDecode { index: "query".into(), source: Box::new(e) })?,
        opened_at: from_millis(row.try_get("at")?),
        ends_at: from_millis(row.try_get("window_to")?),
        closed_at: row.try_get::<Option<i64>, _>("closed_at")?.map(from_millis),
        ended: row
            .try_get::<Option<String>, _>("close_reason")?
            .map(|r| decode("close_reason", &r, WatchEnd::parse))
            .transpose()?,
        delivered: row.try_get("result_count")?,
        left_out: Vec::new(),
    })
}

/// Opens a watch under one of `user`'s approved requests whose window covers `now`.
pub async fn open(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    rates: &SampleConfig,
    user: &Investigator,
    new: NewWatch,
) -> AppResult<WatchView> {
    if let Some(analysis) = new.query.analysis() {
        return Err(AppError::Invalid(format!(
            "a {} analysis runs over stored reads: a live-time watch follows a plate or an area",
            analysis.as_str()
        )));
    }
    let grant = Grant::issue(db, policy, now, user, new.request_id).await?;
    let request = grant.request();
    if !request.watchable_at(now) {
        let scope = &request.request.scope;
        return Err(AppError::Forbidden(format!(
            "{}'s window ({} to {}) does not cover now: a live-time watch runs only inside it",
            request.reference,
            stamp(scope.from),
            stamp(scope.to)
        )));
    }
    let search = NewSearch { request_id: new.request_id, query: new.query, from: now, to: grant.watch_ends_at() };
    let permitted = grant.permit(db, search).await?;
    if permitted.only_cameras.is_some() {
        return Err(AppError::Forbidden(format!(
            "{} does not name this plate: a live-time watch follows only plates the request names",
            request.reference
        )));
    }
    let mut tx = db.begin().await?;
    let id = store(&mut tx, now, rates, &permitted, 0, true).await?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::WatchOpened).subject(permitted.reference()).details(json!({
            "search_id": id,
            "query": permitted.search.query,
            "until": permitted.search.to,
            "excluded_cameras": permitted.excluded_cameras,
            "left_out": permitted.left_out,
        })),
    )
    .await?;
    let mut view = find_in(tx.conn(), user.id, id).await?.ok_or_else(|| AppError::internal("opened watch vanished"))?;
    tx.commit().await?;
    view.left_out = permitted.left_out;
    Ok(view)
}

async fn find_in(conn: &mut sqlx::AnyConnection, user_id: i64, id: i64) -> Result<Option<WatchView>, sqlx::Error> {
    let row = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM {WATCH_FROM} WHERE s.id = $1 AND s.user_id = $2 AND s.live = 1"
    ))
    .bind(id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(watch_from_row).transpose()
}

/// `user`'s watch `id`, as it stands at `now`: one whose end has passed, or whose request can no
/// longer be used, is closed first.
pub async fn find(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    id: i64,
) -> AppResult<WatchView> {
    match permitted(db, now, policy, user, id).await? {
        Err(ended) => Ok(ended),
        Ok(permitted) => {
            let mut conn = db.pool().acquire().await?;
            let mut view =
                find_in(&mut conn, user.id, id).await?.ok_or_else(|| AppError::internal("open watch vanished"))?;
            view.left_out = permitted.left_out;
            Ok(view)
        }
    }
}

/// `user`'s watches, open ones first, newest first; ended ones are closed as they are found.
pub async fn list(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
) -> AppResult<Vec<WatchView>> {
    let rows = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM {WATCH_FROM} WHERE s.user_id = $1 AND s.live = 1 ORDER BY s.id DESC LIMIT 50"
    ))
    .bind(user.id)
    .fetch_all(db.pool())
    .await?;
    let mut watches = Vec::with_capacity(rows.len());
    for row in &rows {
        let watch = watch_from_row(row)?;
        watches.push(if watch.closed_at.is_none() { find(db, now, policy, user, watch.id).await? } else { watch });
    }
    watches.sort_by_key(|w| (w.closed_at.is_some(), std::cmp::Reverse(w.id)));
    Ok(watches)
}

/// Ends `user`'s watch `id` for `end`, audited with the count of reads delivered. A watch
/// already closed is returned as it is.
pub async fn close(
    db: &Db,
    now: DateTime<Utc>,
    user: &Investigator,
    id: i64,
    end: WatchEnd,
    why: Option<&str>,
) -> AppResult<WatchView> {
    let mut tx = db.begin().await?;
    let watch = find_in(tx.conn(), user.id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("you have no watch with id {id}")))?;
    if watch.closed_at.is_some() {
        return Ok(watch);
    }
    close_in(&mut tx, now, Actor::user(user), &watch, end, why).await?;
    let closed = find_in(tx.conn(), user.id, id).await?.ok_or_else(|| AppError::internal("closed watch vanished"))?;
    tx.commit().await?;
    Ok(closed)
}

/// Ends the open watch `id` of user `user_id` because its user no longer stands where they
/// stood (signed out, disabled, a role taken away): closed by the system, audited with why.
pub async fn end_for_standing(db: &Db, now: DateTime<Utc>, user_id: i64, id: i64, why: &str) -> AppResult<WatchView> {
    let mut tx = db.begin().await?;
    let watch =
        find_in(tx.conn(), user_id, id).await?.ok_or_else(|| AppError::NotFound(format!("no watch with id {id}")))?;
    if watch.closed_at.is_none() {
        close_in(&mut tx, now, Actor::system(), &watch, WatchEnd::StandingLost, Some(why)).await?;
    }
    let closed = find_in(tx.conn(), user_id, id).await?.ok_or_else(|| AppError::internal("closed watch vanished"))?;
    tx.commit().await?;
    Ok(closed)
}

async fn close_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: Actor,
    watch: &WatchView,
    end: WatchEnd,
    why: Option<&str>,
) -> AppResult<()> {
    // Its window ends where it was closed: reads captured later are not its reads.
    let until = now.min(watch.ends_at);
    sqlx::query(
        "UPDATE searches SET closed_at = $1, close_reason = $2, window_to = $3 WHERE id = $4 AND closed_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(end.as_str())
    .bind(to_millis(until))
    .bind(watch.id)
    .execute(tx.conn())
    .await?;
    audit::record(
        tx,
        now,
        Event::new(actor, AuditAction::WatchClosed).subject(&watch.reference).details(json!({
            "search_id": watch.id,
            "ended": end,
            "why": why,
            "delivered": watch.delivered,
        })),
    )
    .await?;
    Ok(())
}

/// The requester withdraws request `id` (R10), and its open watches end with it: one
/// transaction.
pub async fn withdraw_request(db: &Db, now: DateTime<Utc>, by: &Investigator, id: i64) -> AppResult<RequestView> {
    let mut tx = db.begin().await?;
    let withdrawn = crate::requests::withdraw(&mut tx, now, by, id).await?;
    close_under_request(&mut tx, now, &Actor::user(by), id, "request_withdrawn").await?;
    tx.commit().await?;
    Ok(withdrawn)
}

/// The requester closes request `id` with its outcome (R23), and its open watches end with it:
/// one transaction.
pub async fn close_request(
    db: &Db,
    now: DateTime<Utc>,
    by: &Investigator,
    id: i64,
    outcome: shared::requests::RequestOutcome,
) -> AppResult<RequestView> {
    let mut tx = db.begin().await?;
    let closed = crate::requests::close(&mut tx, now, by, id, outcome).await?;
    close_under_request(&mut tx, now, &Actor::user(by), id, "request_closed").await?;
    tx.commit().await?;
    Ok(closed)
}

/// A supervisor revokes request `id`'s approval (R10, R21), and its open watches end with it:
/// one transaction.
pub async fn revoke_approval(
    db: &Db,
    now: DateTime<Utc>,
    by: &Supervisor,
    id: i64,
    revocation: RevokeApproval,
) -> AppResult<RequestView> {
    let mut tx = db.begin().await?;
    let revoked = crate::requests::revoke(&mut tx, now, by, id, revocation).await?;
    close_under_request(&mut tx, now, &Actor::user(by), id, "approval_revoked").await?;
    tx.commit().await?;
    Ok(revoked)
}

/// Closes every open watch under request `request_id` (withdrawn, closed, or its approval
/// revoked: `why`), in `tx`.
async fn close_under_request(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    request_id: i64,
    why: &str,
) -> AppResult<()> {
    let rows = sqlx::query(&format!(
        "SELECT {WATCH_COLUMNS} FROM {WATCH_FROM} WHERE s.request_id = $1 AND s.live = 1 AND s.closed_at IS NULL"
    ))
    .bind(request_id)
    .fetch_all(tx.conn())
    .await?;
    for row in &rows {
        close_in(tx, now, actor.clone(), &watch_from_row(row)?, WatchEnd::Revoked, Some(why)).await?;
    }
    Ok(())
}

/// What the stream of an open watch does with a stored read.
pub enum Next {
    /// Send it: it is one of the watch's reads, and has been counted as delivered.
    Send(shared::ReadView),
    /// Not one of the watch's reads.
    Skip,
    /// The watch has ended (and is now closed).
    End(WatchView),
}

/// The watch's search as its grant permits it now, or the watch as it ended (closed now if its
/// end has come or its request can no longer be used). The grant is issued once, by reopening.
pub async fn permitted(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    id: i64,
) -> AppResult<Result<Permitted, WatchView>> {
    let mut conn = db.pool().acquire().await?;
    let watch = find_in(&mut conn, user.id, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("you have no watch with id {id}")))?;
    drop(conn);
    if watch.closed_at.is_some() {
        return Ok(Err(watch));
    }
    if now >= watch.ends_at {
        return Ok(Err(close(db, now, user, id, WatchEnd::Expired, None).await?));
    }
    match reopen(db, now, policy, user, id).await {
        Ok((p, _)) => Ok(Ok(p)),
        Err(AppError::Internal(e)) => Err(AppError::Internal(e)),
        // Audited with the refusal's own words: which request, reach or camera stopped it.
        Err(refused) => Ok(Err(close(db, now, user, id, WatchEnd::Revoked, Some(&refused.to_string())).await?)),
    }
}

/// Decides whether `read`, just stored, goes to the watcher: the watch must still be open
/// under a usable grant, and the read must be among its search's reads as stored (the same
/// query as any search: plate, area or cameras, window, restricted cameras left out).
pub async fn next(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    id: i64,
    read: &shared::ReadView,
) -> AppResult<Next> {
    let permitted = match permitted(db, now, policy, user, id).await? {
        Ok(p) => p,
        Err(ended) => return Ok(Next::End(ended)),
    };
    match super::find_one(db, &permitted, read.id).await? {
        Some(found) => {
            // Each read a watch delivers is a disclosure of its own (R21): which read, to whom.
            let mut tx = db.begin().await?;
            sqlx::query("UPDATE searches SET result_count = result_count + 1 WHERE id = $1")
                .bind(id)
                .execute(tx.conn())
                .await?;
            audit::record(
                &mut tx,
                now,
                Event::new(Actor::user(user), AuditAction::WatchDelivered)
                    .subject(permitted.reference())
                    .details(json!({ "search_id": id, "read_id": found.id, "camera_id": found.camera_id })),
            )
            .await?;
            tx.commit().await?;
            Ok(Next::Send(found))
        }
        None => Ok(Next::Skip),
    }
}
