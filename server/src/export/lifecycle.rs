//! Exported data's lifecycle (R20): the user who exports data is responsible for it. Every
//! export (a spreadsheet, an evidential statement, a subject access disclosure) is kept here
//! with its keeper (who made it) and a review date, which its marking names. It falls due at
//! that date, or as soon as the request it was made under is closed, withdrawn, revoked or
//! expires, whichever comes first; its keeper is then asked whether it was deleted, or why it
//! is still needed and until when. A keeper who has not answered `exports.answer_days` after
//! it fell due has it escalated, as the evidence locker does (R19), to the supervisor who
//! approved its request; a subject access disclosure, made under no request, escalates to the
//! audit unit (any auditor answers it). Auditors see every export still out, the longest
//! overdue first. Every answer, listing and refusal is audited (R21).
//!
//! Due and escalated are worked out from the clock whenever an export is listed or answered,
//! not by a periodic pass: what a list shows is exact at the instant it is drawn, and there is
//! no job to miss. Escalation is therefore no stored event of its own; whether an answer came
//! after escalation is recorded with it.

use crate::access::{Auditor, Involved};
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::export::time;
use crate::store::{decode, Db};
use chrono::{DateTime, Duration, Months, Utc};
use serde_json::json;
use shared::export::{DueBecause, ExportAnswer, ExportKind, ExportList, ExportReview, ExportState, ExportView};
use shared::{AuditAction, UserView};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const COLUMNS: &str = "x.id, x.kind, x.format, x.reference, x.recipient, x.transfer, x.row_count, x.at, x.user_id, \
     k.display_name AS keeper, x.review_at, x.answered_at, x.escalate_to, e.display_name AS escalate_name, x.state, \
     x.deleted_at, q.closed_at, q.withdrawn_at, q.revoked_at, q.expires_at";
const FROM: &str = "exports x JOIN users k ON k.id = x.user_id LEFT JOIN users e ON e.id = x.escalate_to \
     LEFT JOIN requests q ON q.id = x.request_id";

/// An export as stored, and whom it escalates to (`None`: the audit unit).
struct Kept {
    view: ExportView,
    escalate_to: Option<i64>,
    out: bool,
}

/// When the request an export was made under ended, if it has or will by the clock: the first of
/// its closing, withdrawal, revocation and expiry (a request ends once). If that was before the
/// keeper's last answer it no longer counts: that answer gave the date that stands.
fn request_end(row: &AnyRow, answered_at: Option<i64>) -> Result<Option<i64>, sqlx::Error> {
    let mut end = None::<i64>;
    for column in ["closed_at", "withdrawn_at", "revoked_at", "expires_at"] {
        if let Some(t) = row.try_get::<Option<i64>, _>(column)? {
            end = Some(end.map_or(t, |e| e.min(t)));
        }
    }
    Ok(end.filter(|t| answered_at.is_none_or(|a| *t > a)))
}

fn from_row(row: &AnyRow, now: DateTime<Utc>, config: &Config) -> Result<Kept, sqlx::Error> {
    let review_at = from_millis(row.try_get("review_at")?);
    let answered_at: Option<i64> = row.try_get("answered_at")?;
    let (due_at, due_because) = match request_end(row, answered_at)?.map(from_millis) {
        Some(end) if end < review_at => (end, DueBecause::RequestEnded),
        _ => (review_at, DueBecause::ReviewDate),
    };
    let escalates_at = due_at + Duration::days(config.exports.answer_days);
    let state = if now >= escalates_at {
        ExportState::Escalated
    } else if now >= due_at {
        ExportState::Due
    } else {
        ExportState::NotDue
    };
    let kind: String = row.try_get("kind")?;
    let out = row.try_get::<String, _>("state")? == "out";
    Ok(Kept {
        view: ExportView {
            id: row.try_get("id")?,
            kind: decode("kind", &kind, ExportKind::parse)?,
            format: row.try_get("format")?,
            reference: row.try_get("reference")?,
            recipient: row.try_get("recipient")?,
            transfer: row.try_get::<i64, _>("transfer")? == 1,
            rows: row.try_get("row_count")?,
            exported_at: from_millis(row.try_get("at")?),
            keeper_id: row.try_get("user_id")?,
            keeper: row.try_get("keeper")?,
            review_at,
            due_at,
            due_because,
            escalates_at,
            escalates_to: row.try_get("escalate_name")?,
            state,
            deleted_at: row.try_get::<Option<i64>, _>("deleted_at")?.map(from_millis),
        },
        escalate_to: row.try_get("escalate_to")?,
        out,
    })
}

/// Whether `user` is asked about `kept` now: its keeper always; once it has escalated, the
/// supervisor it escalated to, or any auditor for one that escalates to the audit unit.
fn asks(kept: &Kept, user: &Involved) -> bool {
    kept.view.keeper_id == user.id
        || (kept.view.state == ExportState::Escalated
            && match kept.escalate_to {
                Some(supervisor) => supervisor == user.id,
                None => matches!(user, Involved::Auditor(_)),
            })
}

/// Exports still out that `user` is asked about, or will be (their own), the longest overdue
/// first: `which=mine`, for anyone who may export (R20).
pub async fn mine(db: &Db, now: DateTime<Utc>, config: &Config, user: &Involved) -> AppResult<Vec<ExportView>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE x.state = 'out' AND (x.user_id = $1 OR x.escalate_to = $2 \
         OR ($3 = 1 AND x.escalate_to IS NULL)) ORDER BY x.id"
    ))
    .bind(user.id)
    .bind(user.id)
    .bind(i64::from(matches!(user, Involved::Auditor(_))))
    .fetch_all(db.pool())
    .await?;
    let mut kept = Vec::with_capacity(rows.len());
    for row in &rows {
        let k = from_row(row, now, config)?;
        if asks(&k, user) {
            kept.push(k.view);
        }
    }
    Ok(listed(db, now, user, ExportList::Mine, kept).await?)
}

/// Every export still out, the longest overdue first: `which=out`, for the audit unit (R20).
pub async fn out(db: &Db, now: DateTime<Utc>, config: &Config, auditor: &Auditor) -> AppResult<Vec<ExportView>> {
    let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE x.state = 'out' ORDER BY x.id"))
        .fetch_all(db.pool())
        .await?;
    let kept = rows.iter().map(|r| from_row(r, now, config).map(|k| k.view)).collect::<Result<Vec<_>, _>>()?;
    Ok(listed(db, now, auditor, ExportList::Out, kept).await?)
}

/// `exports` in order, the longest overdue first, the listing audited with what it showed (R21).
async fn listed(
    db: &Db,
    now: DateTime<Utc>,
    user: &UserView,
    which: ExportList,
    mut exports: Vec<ExportView>,
) -> Result<Vec<ExportView>, sqlx::Error> {
    exports.sort_by_key(|x| (x.due_at, x.id));
    let ids: Vec<i64> = exports.iter().map(|x| x.id).collect();
    let event =
        Event::new(Actor::user(user), AuditAction::ExportsListed).details(json!({ "which": which, "exports": ids }));
    audit::record_alone(db, now, event).await?;
    Ok(exports)
}

async fn find(conn: &mut AnyConnection, now: DateTime<Utc>, config: &Config, id: i64) -> AppResult<Option<Kept>> {
    let row =
        sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE x.id = $1")).bind(id).fetch_optional(conn).await?;
    Ok(row.as_ref().map(|r| from_row(r, now, config)).transpose()?)
}

/// Records what `user` says of export `id` (R20): deleted (it is no longer out), or still
/// needed, why, and until a new review date after now and no later than the reads' retention
/// reaches from the export (`access.retention_months`, R18: its reads are gone from the system
/// by then). Only its keeper, or once it has escalated whom it escalated to, answers; to anyone
/// else it is as absent as an export that does not exist.
pub async fn review(
    db: &Db,
    now: DateTime<Utc>,
    config: &Config,
    user: &Involved,
    id: i64,
    answer: ExportReview,
) -> AppResult<ExportView> {
    AppError::unless_valid(&answer)?;
    let mut tx = db.begin().await?;
    let kept = find(tx.conn(), now, config, id)
        .await?
        .filter(|k| asks(k, user))
        .ok_or_else(|| AppError::NotFound(format!("you are asked about no export with id {id}")))?;
    if !kept.out {
        return Err(AppError::Conflict(format!("export {id} has already been recorded as deleted")));
    }
    let new_date = match (answer.answer, answer.review_at) {
        (ExportAnswer::StillNeeded, Some(at)) => {
            let latest = kept
                .view
                .exported_at
                .checked_add_months(Months::new(config.access.retention_months))
                .expect("a date in range");
            if at <= now {
                return Err(AppError::field("review_at", format!("{} is not after now", time(at))));
            }
            if at > latest {
                return Err(AppError::field(
                    "review_at",
                    format!(
                        "{} is past {}: its reads are kept no longer than {} months from the export (R18)",
                        time(at),
                        time(latest),
                        config.access.retention_months
                    ),
                ));
            }
            Some(at)
        }
        _ => None,
    };
    let escalated = kept.view.state == ExportState::Escalated;
    sqlx::query(
        "INSERT INTO export_reviews (export_id, answered_by, answered_at, answer, note, review_at, escalated) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(user.id)
    .bind(to_millis(now))
    .bind(answer.answer.as_str())
    .bind(answer.note.trim())
    .bind(new_date.map(to_millis))
    .bind(i64::from(escalated))
    .execute(tx.conn())
    .await?;
    let changed = match new_date {
        Some(at) => sqlx::query("UPDATE exports SET review_at = $1, answered_at = $2 WHERE id = $3 AND state = 'out'")
            .bind(to_millis(at))
            .bind(to_millis(now))
            .bind(id),
        None => sqlx::query(
            "UPDATE exports SET state = 'deleted', deleted_at = $1, answered_at = $2 WHERE id = $3 AND state = 'out'",
        )
        .bind(to_millis(now))
        .bind(to_millis(now))
        .bind(id),
    }
    .execute(tx.conn())
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(AppError::Conflict(format!("export {id} has already been recorded as deleted")));
    }
    let details = json!({
        "export_id": id,
        "kind": kept.view.kind,
        "answer": answer.answer,
        "note": answer.note.trim(),
        "review_at": new_date.map(time),
        "keeper": kept.view.keeper,
        "by_keeper": kept.view.keeper_id == user.id,
        "state": kept.view.state,
        "due_at": time(kept.view.due_at),
    });
    let event = Event::new(Actor::user(user), AuditAction::ExportReviewed).subject(&kept.view.reference);
    audit::record(&mut tx, now, event.details(details)).await?;
    let after =
        find(tx.conn(), now, config, id).await?.ok_or_else(|| AppError::internal("an answered export vanished"))?;
    tx.commit().await?;
    Ok(after.view)
}
