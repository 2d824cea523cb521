//! Search requests (R10, R11): submitted by investigators, decided by supervisors, kept for
//! audit. A request's reference is unique and stable: `REQ-<year>-<number>`.

use crate::access::{Investigator, Involved, Supervisor};
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::AccessConfig;
use crate::error::{AppError, AppResult};
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::json;
use shared::requests::{
    NewRequest, Outcome, Purpose, RequestDecision, RequestOutcome, RequestScope, RequestStatus, RequestView,
    RevokeApproval, Seriousness,
};
use shared::{AuditAction, Rank, UserView};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const REQUEST_COLUMNS: &str =
    "q.id, q.reference, q.requester_id, ru.username AS requester, ru.tier AS requester_tier, q.submitted_at, q.purpose, \
     q.reason, q.crime_type, q.seriousness, q.scope, q.handling, q.surveillance, q.dsa_reference, q.status, \
     du.username AS decided_by, q.decided_at, q.rationale, q.expires_at, q.withdrawn_at, q.revoked_at, \
     q.revoke_rationale, q.outcome, q.outcome_note, q.closed_at";
const REQUEST_FROM: &str =
    "requests q JOIN users ru ON ru.id = q.requester_id LEFT JOIN users du ON du.id = q.decided_by";

fn request_from_row(row: &AnyRow) -> Result<RequestView, sqlx::Error> {
    let scope: String = row.try_get("scope")?;
    let scope: RequestScope = serde_json::from_str(&scope)
        .map_err(|e| sqlx::Error::ColumnDecode { index: "scope".into(), source: Box::new(e) })?;
    Ok(RequestView {
        id: row.try_get("id")?,
        reference: row.try_get("reference")?,
        requester_id: row.try_get("requester_id")?,
        requester: row.try_get("requester")?,
        requester_tier: crate::access::users::parse_column(row, "requester_tier")?,
        reach_from: None,
        submitted_at: from_millis(row.try_get("submitted_at")?),
        request: NewRequest {
            purpose: decode("purpose", &row.try_get::<String, _>("purpose")?, Purpose::parse)?,
            reason: row.try_get("reason")?,
            crime_type: row.try_get("crime_type")?,
            seriousness: decode("seriousness", &row.try_get::<String, _>("seriousness")?, Seriousness::parse)?,
            scope,
            handling: row.try_get("handling")?,
            surveillance: Some(row.try_get::<i64, _>("surveillance")? == 1),
            dsa_reference: row.try_get("dsa_reference")?,
        },
        status: decode("status", &row.try_get::<String, _>("status")?, RequestStatus::parse)?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get::<Option<i64>, _>("decided_at")?.map(from_millis),
        rationale: row.try_get("rationale")?,
        expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(from_millis),
        withdrawn_at: row.try_get::<Option<i64>, _>("withdrawn_at")?.map(from_millis),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(from_millis),
        revoke_rationale: row.try_get("revoke_rationale")?,
        outcome: row
            .try_get::<Option<String>, _>("outcome")?
            .map(|o| decode("outcome", &o, Outcome::parse))
            .transpose()?,
        outcome_note: row.try_get("outcome_note")?,
        closed_at: row.try_get::<Option<i64>, _>("closed_at")?.map(from_millis),
    })
}

pub async fn find(conn: &mut AnyConnection, id: i64) -> Result<Option<RequestView>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM} WHERE q.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(request_from_row).transpose()
}

/// A request the caller may see: their own, or any if they decide or audit requests.
pub async fn visible(db: &Db, viewer: &Involved, id: i64) -> AppResult<RequestView> {
    let mut conn = db.pool().acquire().await?;
    let request = find(&mut conn, id).await?;
    match request {
        Some(r) if r.requester_id == viewer.id || viewer.sees_every_request() => Ok(r),
        _ => Err(AppError::NotFound(format!("no request with id {id}"))),
    }
}

/// Which requests to list.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// The caller's own.
    Mine(i64),
    /// Pending requests a supervisor could decide: everyone's but their own.
    Queue { supervisor_id: i64 },
    /// The requests a supervisor decided, the latest decision first.
    Decided { supervisor_id: i64 },
    /// All, newest first (auditors).
    All,
    /// Approved and not closed, of this requester or this approver: those whose outcome is due
    /// are picked out by the caller (their window is in the scope's JSON).
    Open { requester_id: Option<i64>, approver_id: Option<i64> },
}

pub async fn list(db: &Db, listing: Listing, limit: i64) -> Result<Vec<RequestView>, sqlx::Error> {
    let (user_id, filter, order) = match listing {
        Listing::Mine(id) => (Some(id), "WHERE q.requester_id = $1", "q.submitted_at DESC, q.id DESC"),
        Listing::Queue { supervisor_id } => {
            (Some(supervisor_id), "WHERE q.status = 'pending' AND q.requester_id <> $1", "q.submitted_at ASC, q.id ASC")
        }
        Listing::Decided { supervisor_id } => {
            (Some(supervisor_id), "WHERE q.decided_by = $1", "q.decided_at DESC, q.id DESC")
        }
        Listing::All => (None, "", "q.submitted_at DESC, q.id DESC"),
        Listing::Open { requester_id: Some(id), .. } => {
            (Some(id), "WHERE q.requester_id = $1 AND q.status = 'approved' AND q.closed_at IS NULL", "q.id")
        }
        Listing::Open { approver_id, .. } => {
            (approver_id, "WHERE q.decided_by = $1 AND q.status = 'approved' AND q.closed_at IS NULL", "q.id")
        }
    };
    let limit_parameter = if user_id.is_some() { "$2" } else { "$1" };
    let sql = format!("SELECT {REQUEST_COLUMNS} FROM {REQUEST_FROM} {filter} ORDER BY {order} LIMIT {limit_parameter}");
    let mut query = sqlx::query(&sql);
    if let Some(id) = user_id {
        query = query.bind(id);
    }
    let rows = query.bind(limit).fetch_all(db.pool()).await?;
    rows.iter().map(request_from_row).collect()
}

/// Records an investigator's request (R10) and gives it its reference.
pub async fn submit(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    investigator: &Investigator,
    new: NewRequest,
) -> AppResult<RequestView> {
    let by: &UserView = investigator;
    AppError::unless_valid(&new)?;
    // A window must reach something kept (R12, R18) and end where an approval could still be
    // in force: nothing past either could ever be searched or watched under it.
    let earliest = chrono::TimeZone::with_ymd_and_hms(&Utc, crate::access::policy::FIRST_YEAR, 1, 1, 0, 0, 0).unwrap();
    if new.scope.from < earliest {
        return Err(AppError::field("from", format!("the window starts before {earliest}: no read is that old")));
    }
    let kept_from = crate::access::policy::retention_cutoff(policy, now);
    if new.scope.to <= kept_from {
        let message = format!("the window ends before {kept_from}: no read that old is kept (R18)");
        return Err(AppError::field("to", message));
    }
    let latest = now + Duration::days(policy.max_approval_days);
    if new.scope.to > latest {
        let message =
            format!("the window ends after {latest}: an approval lasts at most {} days", policy.max_approval_days);
        return Err(AppError::field("to", message));
    }
    let mut new = new;
    new.reason = new.reason.trim().to_owned();
    new.crime_type = new.crime_type.trim().to_owned();
    new.handling = new.handling.trim().to_owned();
    new.dsa_reference = new.dsa_reference.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    // Kept at the precision every instant is kept at (milliseconds).
    new.scope.from = crate::clock::to_stored(new.scope.from);
    new.scope.to = crate::clock::to_stored(new.scope.to);
    let scope = serde_json::to_string(&new.scope).map_err(AppError::internal)?;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO requests (requester_id, submitted_at, purpose, reason, crime_type, seriousness, scope, handling, \
         surveillance, dsa_reference, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending') RETURNING id",
    )
    .bind(by.id)
    .bind(to_millis(now))
    .bind(new.purpose.as_str())
    .bind(&new.reason)
    .bind(&new.crime_type)
    .bind(new.seriousness.as_str())
    .bind(&scope)
    .bind(&new.handling)
    .bind(i64::from(new.surveillance == Some(true)))
    .bind(new.dsa_reference.as_deref())
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    let reference = format!("REQ-{}-{id:06}", now.year());
    sqlx::query("UPDATE requests SET reference = $1 WHERE id = $2")
        .bind(&reference)
        .bind(id)
        .execute(tx.conn())
        .await?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::RequestSubmitted).subject(&reference).details(json!(new)),
    )
    .await?;
    let stored = find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("submitted request vanished"))?;
    tx.commit().await?;
    Ok(stored)
}

/// A supervisor's decision (R10, R11): never on their own request; a volume-crime request, or
/// one for a convoy, several-places or pattern-of-life analysis, only by an inspector; once;
/// with a rationale. An approval lasts until its expiry.
pub async fn decide(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    supervisor: &Supervisor,
    id: i64,
    decision: RequestDecision,
) -> AppResult<RequestView> {
    let by: &UserView = supervisor;
    AppError::unless_valid(&decision)?;
    let mut tx = db.begin().await?;
    let request = find(tx.conn(), id).await?.ok_or_else(|| AppError::NotFound(format!("no request with id {id}")))?;
    if request.requester_id == by.id {
        return Err(AppError::Forbidden(format!(
            "{} is your own request: another supervisor must decide it",
            request.reference
        )));
    }
    if request.request.seriousness == Seriousness::Volume && by.rank != Some(Rank::Inspector) {
        return Err(AppError::Forbidden(format!(
            "{} is a volume-crime request: only an inspector may decide it (R11)",
            request.reference
        )));
    }
    if let Some(analysis) = request.request.scope.analysis.filter(|a| a.needs_inspector()) {
        if by.rank != Some(Rank::Inspector) {
            return Err(AppError::Forbidden(format!(
                "{} is a request for a {} analysis: only an inspector may decide it, whatever the crime (R11)",
                request.reference,
                analysis.as_str()
            )));
        }
    }
    if let Some(at) = request.withdrawn_at {
        return Err(AppError::Conflict(format!(
            "{} was withdrawn by its requester at {}: there is nothing to decide",
            request.reference,
            crate::search::grant::stamp(at)
        )));
    }
    if request.status != RequestStatus::Pending {
        return Err(AppError::Conflict(format!("{} was already {}", request.reference, request.status.as_str())));
    }
    let expires_at = if decision.approve {
        let latest = now + Duration::days(policy.max_approval_days);
        let expires = decision.expires_at.unwrap_or(now + Duration::days(policy.approval_days));
        if expires <= now || expires > latest {
            let message = format!("an approval must expire after now and within {} days", policy.max_approval_days);
            return Err(AppError::field("expires_at", message));
        }
        Some(expires)
    } else {
        None
    };
    let status = if decision.approve { RequestStatus::Approved } else { RequestStatus::Rejected };
    let rationale = decision.rationale.trim();
    // The status guard makes a concurrent second decision change nothing.
    let changed = sqlx::query(
        "UPDATE requests SET status = $1, decided_by = $2, decided_at = $3, rationale = $4, expires_at = $5 \
         WHERE id = $6 AND status = 'pending'",
    )
    .bind(status.as_str())
    .bind(by.id)
    .bind(to_millis(now))
    .bind(rationale)
    .bind(expires_at.map(to_millis))
    .bind(id)
    .execute(tx.conn())
    .await?;
    if changed.rows_affected() != 1 {
        return Err(AppError::Conflict(format!("{} was decided meanwhile", request.reference)));
    }
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::RequestDecided).subject(&request.reference).details(json!({
            "status": status,
            "rationale": rationale,
            "expires_at": expires_at,
            "seriousness": request.request.seriousness,
            "requester": request.requester,
        })),
    )
    .await?;
    let stored = find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("decided request vanished"))?;
    tx.commit().await?;
    Ok(stored)
}

/// The requester withdraws their request (R10), in `tx`: from now on no search or watch runs
/// under it (`search::watch::withdraw_request` ends the open ones in the same transaction). It
/// stays on record with its decision.
pub async fn withdraw(tx: &mut Tx, now: DateTime<Utc>, by: &Investigator, id: i64) -> AppResult<RequestView> {
    let request = find(tx.conn(), id)
        .await?
        .filter(|r| r.requester_id == by.id)
        .ok_or_else(|| AppError::NotFound(format!("you have no request with id {id}")))?;
    if request.withdrawn_at.is_some() {
        return Err(AppError::Conflict(format!("{} was already withdrawn", request.reference)));
    }
    sqlx::query("UPDATE requests SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL")
        .bind(to_millis(now))
        .bind(id)
        .execute(tx.conn())
        .await?;
    audit::record(
        tx,
        now,
        Event::new(Actor::user(by), AuditAction::RequestWithdrawn)
            .subject(&request.reference)
            .details(json!({ "status": request.status })),
    )
    .await?;
    find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("withdrawn request vanished"))
}

/// The requester closes their request with what it was worth (R23), in `tx`: from now on no
/// search or watch runs under it (`search::watch::close_request` ends the open ones in the same
/// transaction). Only an approved request has searches to be worth anything; each is closed once.
pub async fn close(
    tx: &mut Tx,
    now: DateTime<Utc>,
    by: &Investigator,
    id: i64,
    outcome: RequestOutcome,
) -> AppResult<RequestView> {
    AppError::unless_valid(&outcome)?;
    let request = find(tx.conn(), id)
        .await?
        .filter(|r| r.requester_id == by.id)
        .ok_or_else(|| AppError::NotFound(format!("you have no request with id {id}")))?;
    if let (Some(at), Some(was)) = (request.closed_at, request.outcome) {
        return Err(AppError::Conflict(format!(
            "{} was already closed at {} as \"{}\"",
            request.reference,
            crate::search::grant::stamp(at),
            was.label()
        )));
    }
    if request.status != RequestStatus::Approved {
        return Err(AppError::Conflict(format!(
            "{} was {}: only an approved request has an outcome to record (withdraw a pending one)",
            request.reference,
            request.status.as_str()
        )));
    }
    let note = outcome.note.trim();
    let changed = sqlx::query(
        "UPDATE requests SET outcome = $1, outcome_note = $2, closed_at = $3, closed_by = $4 \
         WHERE id = $5 AND closed_at IS NULL",
    )
    .bind(outcome.outcome.as_str())
    .bind(note)
    .bind(to_millis(now))
    .bind(by.id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    if changed.rows_affected() != 1 {
        return Err(AppError::Conflict(format!("{} was closed meanwhile", request.reference)));
    }
    audit::record(
        tx,
        now,
        Event::new(Actor::user(by), AuditAction::RequestClosed).subject(&request.reference).details(json!({
            "outcome": outcome.outcome,
            "note": note,
            "purpose": request.request.purpose,
            "crime_type": request.request.crime_type,
            "window_ended": request.request.scope.to <= now,
        })),
    )
    .await?;
    find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("closed request vanished"))
}

/// A supervisor revokes an approval, with a rationale, in `tx`: its expiry becomes now, so
/// searches, watches and analyses under it stop at once (`search::watch::revoke_approval` ends
/// the open watches in the same transaction) (R10, R21).
pub async fn revoke(
    tx: &mut Tx,
    now: DateTime<Utc>,
    supervisor: &Supervisor,
    id: i64,
    revocation: RevokeApproval,
) -> AppResult<RequestView> {
    AppError::unless_valid(&revocation)?;
    let by: &UserView = supervisor;
    let request = find(tx.conn(), id).await?.ok_or_else(|| AppError::NotFound(format!("no request with id {id}")))?;
    if let Some(at) = request.revoked_at {
        return Err(AppError::Conflict(format!(
            "{}'s approval was already revoked at {}",
            request.reference,
            at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )));
    }
    if !request.usable_at(now) {
        return Err(AppError::Conflict(format!(
            "{} has no approval in force to revoke (it is {}{})",
            request.reference,
            request.status.as_str(),
            if request.withdrawn_at.is_some() { ", withdrawn" } else { "" }
        )));
    }
    let rationale = revocation.rationale.trim();
    sqlx::query(
        "UPDATE requests SET revoked_at = $1, revoked_by = $2, revoke_rationale = $3, expires_at = $1 \
         WHERE id = $4 AND revoked_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(by.id)
    .bind(rationale)
    .bind(id)
    .execute(tx.conn())
    .await?;
    audit::record(
        tx,
        now,
        Event::new(Actor::user(by), AuditAction::ApprovalRevoked).subject(&request.reference).details(json!({
            "rationale": rationale,
            "approved_by": request.decided_by,
            "was_to_expire_at": request.expires_at,
            "requester": request.requester,
        })),
    )
    .await?;
    find(tx.conn(), id).await?.ok_or_else(|| AppError::internal("revoked request vanished"))
}
