//! The registers auditors keep for the annual report (R21, R23): breaches and subject access
//! requests, each entry recorded, changed and closed with an audit row in the same
//! transaction. This module owns `register_entries`; the search a subject access request runs
//! for its plate goes through the read gate ([`crate::gate::for_subject_access`]).

use crate::access::Auditor;
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::json;
use shared::registers::{Answer, EntryUpdate, EntryView, NewEntry, Register};
use shared::{AuditAction, Plate};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

const COLUMNS: &str = "e.id, e.register, e.reference, e.happened_on, e.what, e.plate, e.found, e.disclosed, e.answer, \
     rb.username AS recorded_by, e.recorded_at, e.searched_at, e.reads_found, cb.username AS closed_by, e.closed_at";
const FROM: &str =
    "register_entries e JOIN users rb ON rb.id = e.recorded_by LEFT JOIN users cb ON cb.id = e.closed_by";

fn entry_from_row(row: &AnyRow) -> Result<EntryView, sqlx::Error> {
    let day: String = row.try_get("happened_on")?;
    Ok(EntryView {
        id: row.try_get("id")?,
        register: decode("register", &row.try_get::<String, _>("register")?, Register::parse)?,
        reference: row.try_get("reference")?,
        happened_on: decode("happened_on", &day, |d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())?,
        what: row.try_get("what")?,
        plate: row.try_get("plate")?,
        found: row.try_get("found")?,
        disclosed: row.try_get("disclosed")?,
        answer: row.try_get::<Option<String>, _>("answer")?.map(|a| decode("answer", &a, Answer::parse)).transpose()?,
        recorded_by: row.try_get("recorded_by")?,
        recorded_at: from_millis(row.try_get("recorded_at")?),
        searched_at: row.try_get::<Option<i64>, _>("searched_at")?.map(from_millis),
        reads_found: row.try_get("reads_found")?,
        closed_by: row.try_get("closed_by")?,
        closed_at: row.try_get::<Option<i64>, _>("closed_at")?.map(from_millis),
    })
}

/// Entry `id` of `register`, if there is one.
pub async fn find(conn: &mut AnyConnection, register: Register, id: i64) -> Result<Option<EntryView>, sqlx::Error> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE e.id = $1 AND e.register = $2"))
        .bind(id)
        .bind(register.as_str())
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(entry_from_row).transpose()
}

/// `register`'s entries, the open ones first, newest first.
pub async fn list(db: &Db, register: Register) -> Result<Vec<EntryView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE e.register = $1 \
         ORDER BY CASE WHEN e.closed_at IS NULL THEN 0 ELSE 1 END, e.id DESC"
    ))
    .bind(register.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(entry_from_row).collect()
}

/// Records a new entry in `register` and gives it its reference (`BR-2026-000001`).
pub async fn record(
    db: &Db,
    now: DateTime<Utc>,
    auditor: &Auditor,
    register: Register,
    new: NewEntry,
) -> AppResult<EntryView> {
    AppError::unless_valid(&new)?;
    if new.happened_on > now.date_naive() {
        return Err(AppError::field("happened_on", format!("{} is after today", new.happened_on)));
    }
    if new.plate.is_some() && register != Register::SubjectAccess {
        return Err(AppError::field("plate", "only a subject access request names a plate".into()));
    }
    let plate =
        new.plate.as_deref().map(Plate::parse).transpose().map_err(|e| AppError::field("plate", e.to_string()))?;
    let mut tx = db.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO register_entries (register, happened_on, what, plate, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(register.as_str())
    .bind(new.happened_on.format("%Y-%m-%d").to_string())
    .bind(new.what.trim())
    .bind(plate.as_ref().map(|p| p.as_str().to_owned()))
    .bind(auditor.id)
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    let reference = format!("{}-{}-{id:06}", register.prefix(), now.year());
    sqlx::query("UPDATE register_entries SET reference = $1 WHERE id = $2")
        .bind(&reference)
        .bind(id)
        .execute(tx.conn())
        .await?;
    let entry = find(tx.conn(), register, id).await?.ok_or_else(|| AppError::internal("recorded entry vanished"))?;
    let event = Event::new(Actor::user(auditor), AuditAction::RegisterEntryRecorded).subject(&reference);
    audit::record(&mut tx, now, event.details(json!({ "register": register, "entry": new }))).await?;
    tx.commit().await?;
    Ok(entry)
}

/// An open entry of `register` that `asked` may change, in `tx`: a closed one is not changed
/// again.
async fn open_entry(tx: &mut Tx, register: Register, id: i64) -> AppResult<EntryView> {
    let entry = find(tx.conn(), register, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no {} entry with id {id}", register.as_str())))?;
    if let Some(at) = entry.closed_at {
        return Err(AppError::Conflict(format!(
            "{} was closed at {}: a closed entry is kept as it was",
            entry.reference,
            crate::search::grant::stamp(at)
        )));
    }
    Ok(entry)
}

/// Changes an open entry: what was found, what was disclosed, the answer given; closing it. A
/// subject access request closes only with its answer.
pub async fn update(
    db: &Db,
    now: DateTime<Utc>,
    auditor: &Auditor,
    register: Register,
    id: i64,
    change: EntryUpdate,
) -> AppResult<EntryView> {
    AppError::unless_valid(&change)?;
    if change.answer.is_some() && register != Register::SubjectAccess {
        return Err(AppError::field("answer", "only a subject access request is answered".into()));
    }
    let mut tx = db.begin().await?;
    let entry = open_entry(&mut tx, register, id).await?;
    let answer = change.answer.or(entry.answer);
    if change.close && register == Register::SubjectAccess && answer.is_none() {
        return Err(AppError::field("answer", "a subject access request closes with the answer given".into()));
    }
    let found = change.found.as_deref().map(str::trim).or(entry.found.as_deref());
    let disclosed = change.disclosed.as_deref().map(str::trim).or(entry.disclosed.as_deref());
    let closed = change.close.then(|| to_millis(now));
    sqlx::query(
        "UPDATE register_entries SET found = $1, disclosed = $2, answer = $3, closed_at = $4, closed_by = $5 \
         WHERE id = $6 AND closed_at IS NULL",
    )
    .bind(found)
    .bind(disclosed)
    .bind(answer.map(Answer::as_str))
    .bind(closed)
    .bind(closed.map(|_| auditor.id))
    .bind(id)
    .execute(tx.conn())
    .await?;
    let event = Event::new(Actor::user(auditor), AuditAction::RegisterEntryUpdated).subject(&entry.reference);
    audit::record(&mut tx, now, event.details(json!({ "register": register, "change": change }))).await?;
    let entry = find(tx.conn(), register, id).await?.ok_or_else(|| AppError::internal("updated entry vanished"))?;
    tx.commit().await?;
    Ok(entry)
}

/// The open subject access request `id` and the plate it names, in `tx`, for the search under
/// it: refused when it names no plate or is closed.
pub(crate) async fn subject_access_plate(tx: &mut Tx, id: i64) -> AppResult<(EntryView, String)> {
    let entry = open_entry(tx, Register::SubjectAccess, id).await?;
    let plate = entry.plate.clone().ok_or_else(|| {
        AppError::Invalid(format!("{} names no plate: there is nothing specific to search for", entry.reference))
    })?;
    Ok((entry, plate))
}

/// Notes on the entry when the system searched for its plate and how many reads it found, in `tx`.
pub(crate) async fn searched(tx: &mut Tx, now: DateTime<Utc>, id: i64, reads: usize) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE register_entries SET searched_at = $1, reads_found = $2 WHERE id = $3")
        .bind(to_millis(now))
        .bind(reads as i64)
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
