//! A list's entries: added one by one or imported, edited, reviewed every 14 days or lapsing
//! (R9), removed with a reason; each act audited with it (R21).

use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Tx};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shared::hotlists::{EntryPattern, EntryView, NewEntry, REVIEW_DAYS};
use shared::AuditAction;
use shared::Validate;
use sqlx::any::AnyRow;
use sqlx::Row;

const ENTRY_COLUMNS: &str =
    "id, hotlist_id, vrm, intelligence_ref, reason, warning_markers, action, added_by, added_at, reviewed_at";

fn entry_from_row(row: &AnyRow) -> Result<EntryView, sqlx::Error> {
    let markers: String = row.try_get("warning_markers")?;
    let reviewed_at = from_millis(row.try_get("reviewed_at")?);
    Ok(EntryView {
        id: row.try_get("id")?,
        hotlist_id: row.try_get("hotlist_id")?,
        vrm: row.try_get("vrm")?,
        intelligence_ref: row.try_get("intelligence_ref")?,
        reason: row.try_get("reason")?,
        warning_markers: serde_json::from_str(&markers).unwrap_or_default(),
        action: row.try_get("action")?,
        added_by: row.try_get("added_by")?,
        added_at: from_millis(row.try_get("added_at")?),
        reviewed_at,
        review_due: reviewed_at + Duration::days(REVIEW_DAYS),
        hits: 0,
        last_hit_at: None,
    })
}

/// The live entries of a list, each with the alerts it has raised and when the last was.
pub async fn entries(db: &Db, hotlist_id: i64) -> Result<Vec<EntryView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS}, COALESCE(h.hits, 0) AS hits, h.last_hit_at FROM hotlist_entries \
         LEFT JOIN (SELECT entry_id, COUNT(*) AS hits, MAX(raised_at) AS last_hit_at FROM alerts \
                    WHERE hotlist_id = $1 GROUP BY entry_id) h ON h.entry_id = id \
         WHERE hotlist_id = $1 AND ended_at IS NULL ORDER BY vrm, id"
    ))
    .bind(hotlist_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            let mut entry = entry_from_row(row)?;
            entry.hits = row.try_get("hits")?;
            entry.last_hit_at = row.try_get::<Option<i64>, _>("last_hit_at")?.map(from_millis);
            Ok(entry)
        })
        .collect()
}

pub async fn add_entry(
    db: &Db,
    now: DateTime<Utc>,
    actor: Actor,
    hotlist_id: i64,
    new: NewEntry,
) -> AppResult<EntryView> {
    AppError::unless_valid(&new)?;
    let mut tx = db.begin().await?;
    require_list(&mut tx, hotlist_id).await?;
    let entry = insert_entry(&mut tx, now, &actor, hotlist_id, &new).await?;
    tx.commit().await?;
    Ok(entry)
}

async fn require_list(tx: &mut Tx, hotlist_id: i64) -> AppResult<()> {
    let exists =
        sqlx::query("SELECT 1 AS one FROM hotlists WHERE id = $1").bind(hotlist_id).fetch_optional(tx.conn()).await?;
    exists.map(|_| ()).ok_or_else(|| AppError::NotFound(format!("no hotlist with id {hotlist_id}")))
}

async fn insert_entry(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    hotlist_id: i64,
    new: &NewEntry,
) -> AppResult<EntryView> {
    let row = sqlx::query(&format!(
        "INSERT INTO hotlist_entries (hotlist_id, vrm, intelligence_ref, reason, warning_markers, action, added_by, \
         added_at, reviewed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(hotlist_id)
    .bind(new.vrm.as_str())
    .bind(new.intelligence_ref.trim())
    .bind(new.reason.trim())
    .bind(json!(new.warning_markers).to_string())
    .bind(new.action.trim())
    .bind(&actor.name)
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await?;
    let entry = entry_from_row(&row)?;
    audit::record(
        tx,
        now,
        Event::new(actor.clone(), AuditAction::HotlistEntryAdded)
            .subject(format!("hotlist {hotlist_id} entry {}", entry.id))
            .details(json!({ "vrm": entry.vrm, "intelligence_ref": entry.intelligence_ref, "reason": entry.reason })),
    )
    .await?;
    Ok(entry)
}

/// One CSV row, as imported.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    vrm: String,
    intelligence_ref: String,
    reason: String,
    #[serde(default)]
    warning_markers: String,
    #[serde(default)]
    action: String,
}

/// Imports entries from CSV with a header `vrm,intelligence_ref,reason,warning_markers,action`
/// (markers separated by `;`). Good rows are added in one transaction, each audited; the report
/// names every refused row by its line and why.
pub async fn import_csv(
    db: &Db,
    now: DateTime<Utc>,
    actor: Actor,
    hotlist_id: i64,
    csv_text: &[u8],
) -> AppResult<(shared::hotlists::ImportReport, Vec<EntryView>)> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(csv_text);
    let headers = reader.headers().map_err(|e| AppError::Invalid(format!("the CSV cannot be read: {e}")))?.clone();
    for needed in ["vrm", "intelligence_ref", "reason"] {
        if !headers.iter().any(|h| h == needed) {
            return Err(AppError::Invalid(format!(
                "the CSV header lacks `{needed}` (expected vrm,intelligence_ref,reason,warning_markers,action)"
            )));
        }
    }
    let mut report = shared::hotlists::ImportReport::default();
    let mut good = Vec::new();
    for record in reader.records() {
        let (line, parsed) = match record {
            Err(e) => (e.position().map_or(0, |p| p.line()), Err(e.to_string())),
            Ok(record) => {
                let line = record.position().map_or(0, |p| p.line());
                let parsed = record.deserialize::<CsvRow>(Some(&headers)).map_err(|e| e.to_string()).and_then(|row| {
                    let new = NewEntry {
                        vrm: EntryPattern::parse(&row.vrm).map_err(|e| format!("vrm `{}`: {e}", row.vrm))?,
                        intelligence_ref: row.intelligence_ref,
                        reason: row.reason,
                        warning_markers: row
                            .warning_markers
                            .split(';')
                            .map(str::trim)
                            .filter(|m| !m.is_empty())
                            .map(str::to_owned)
                            .collect(),
                        action: row.action,
                    };
                    new.check()?;
                    Ok(new)
                });
                (line, parsed)
            }
        };
        match parsed {
            Ok(new) => good.push(new),
            Err(reason) => report.refused.push(shared::hotlists::RefusedRow { line, reason }),
        }
    }
    let mut tx = db.begin().await?;
    require_list(&mut tx, hotlist_id).await?;
    let mut added = Vec::with_capacity(good.len());
    for new in &good {
        added.push(insert_entry(&mut tx, now, &actor, hotlist_id, new).await?);
    }
    tx.commit().await?;
    report.added = added.len();
    Ok((report, added))
}

/// Changes an entry's particulars, recording before and after (R21).
pub async fn update_entry(
    db: &Db,
    now: DateTime<Utc>,
    actor: Actor,
    entry_id: i64,
    change: shared::hotlists::EntryUpdate,
) -> AppResult<EntryView> {
    let mut tx = db.begin().await?;
    let current =
        sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM hotlist_entries WHERE id = $1 AND ended_at IS NULL"))
            .bind(entry_id)
            .fetch_optional(tx.conn())
            .await?
            .map(|row| entry_from_row(&row))
            .transpose()?
            .ok_or_else(|| AppError::NotFound(format!("no live hotlist entry with id {entry_id}")))?;
    let next = change.apply(&current).map_err(AppError::Invalid)?;
    let row = sqlx::query(&format!(
        "UPDATE hotlist_entries SET intelligence_ref = $1, reason = $2, warning_markers = $3, action = $4 \
         WHERE id = $5 RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(next.intelligence_ref.trim())
    .bind(next.reason.trim())
    .bind(json!(next.warning_markers).to_string())
    .bind(next.action.trim())
    .bind(entry_id)
    .fetch_one(tx.conn())
    .await?;
    let updated = entry_from_row(&row)?;
    let particulars = |e: &EntryView| json!({ "intelligence_ref": e.intelligence_ref, "reason": e.reason, "warning_markers": e.warning_markers, "action": e.action });
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistEntryEdited)
            .subject(format!("entry {entry_id}"))
            .details(json!({ "vrm": current.vrm, "before": particulars(&current), "after": particulars(&updated) })),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// Ends an entry so it stops matching: removed by an admin (with why), or lapsed unreviewed.
pub async fn remove_entry(db: &Db, now: DateTime<Utc>, actor: Actor, entry_id: i64, why: &str) -> AppResult<()> {
    if why.trim().is_empty() {
        return Err(AppError::Invalid("a reason for removing the entry is required".into()));
    }
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE hotlist_entries SET ended_at = $1, ended_how = 'removed' WHERE id = $2 AND ended_at IS NULL",
    )
    .bind(to_millis(now))
    .bind(entry_id)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("no live hotlist entry with id {entry_id}")));
    }
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistEntryRemoved)
            .subject(format!("entry {entry_id}"))
            .details(json!({ "reason": why.trim() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Lapses every entry not reviewed within 14 days (R9); returns the ids lapsed.
pub async fn lapse_overdue(db: &Db, now: DateTime<Utc>) -> Result<Vec<i64>, sqlx::Error> {
    let cutoff = to_millis(now - Duration::days(REVIEW_DAYS));
    let mut tx = db.begin().await?;
    let rows = sqlx::query(
        "UPDATE hotlist_entries SET ended_at = $1, ended_how = 'lapsed' WHERE ended_at IS NULL AND reviewed_at <= $2 RETURNING id",
    )
    .bind(to_millis(now))
    .bind(cutoff)
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.try_get("id")).collect::<Result<_, _>>()?;
    if !ids.is_empty() {
        audit::record(
            &mut tx,
            now,
            Event::new(Actor::system(), AuditAction::HotlistEntriesLapsed).details(json!({ "entries": ids })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ids)
}

/// Records a review (R9): the entry stays, with why, and is next due 14 days from now.
pub async fn review_entry(
    db: &Db,
    now: DateTime<Utc>,
    actor: Actor,
    entry_id: i64,
    justification: &str,
) -> AppResult<EntryView> {
    let justification = justification.trim();
    if justification.is_empty() || justification.chars().count() > 1000 {
        return Err(AppError::Invalid("a justification of 1 to 1000 characters is required".into()));
    }
    let mut tx = db.begin().await?;
    let row = sqlx::query(&format!(
        "UPDATE hotlist_entries SET reviewed_at = $1 WHERE id = $2 AND ended_at IS NULL RETURNING {ENTRY_COLUMNS}"
    ))
    .bind(to_millis(now))
    .bind(entry_id)
    .fetch_optional(tx.conn())
    .await?
    .ok_or_else(|| AppError::NotFound(format!("no live hotlist entry with id {entry_id}")))?;
    let entry = entry_from_row(&row)?;
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistEntryReviewed)
            .subject(format!("entry {entry_id}"))
            .details(json!({ "justification": justification, "next_due": entry.review_due })),
    )
    .await?;
    tx.commit().await?;
    Ok(entry)
}

/// Live entries due for review within `days` (overdue ones included), soonest first.
pub async fn due_for_review(db: &Db, now: DateTime<Utc>, days: i64) -> Result<Vec<EntryView>, sqlx::Error> {
    let reviewed_before = to_millis(now + Duration::days(days) - Duration::days(REVIEW_DAYS));
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM hotlist_entries WHERE ended_at IS NULL AND reviewed_at <= $1 ORDER BY reviewed_at, id"
    ))
    .bind(reviewed_before)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(entry_from_row).collect()
}
