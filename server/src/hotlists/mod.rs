//! Hotlists (R6): lists of entries with an audience (R8), reviewed every 14 days or lapsing
//! (R9), and the in-memory index every ingested read is matched against (R7).

use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::{decode, is_unique_violation, Db, Tx};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shared::hotlists::{
    Audience, EntryPattern, EntryView, HotlistKind, HotlistView, MatchIndex, MatchKind, NewEntry, NewHotlist, Outcome,
    REVIEW_DAYS,
};
use shared::Validate;
use shared::{AuditAction, ReadView, Role};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::str::FromStr;
use std::sync::{Arc, RwLock};

/// An entry as the index holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveEntry {
    pub entry_id: i64,
    pub hotlist_id: i64,
}

/// The live entries of every list, ready to match reads against. Rebuilt from the database
/// whenever an entry is added, removed or lapses through this server.
#[derive(Clone, Default)]
pub struct Matcher {
    index: Arc<RwLock<Arc<MatchIndex<LiveEntry>>>>,
}

impl Matcher {
    pub async fn reload(&self, db: &Db) -> Result<usize, sqlx::Error> {
        let rows = sqlx::query("SELECT id, hotlist_id, vrm FROM hotlist_entries WHERE ended_at IS NULL")
            .fetch_all(db.pool())
            .await?;
        let mut index = MatchIndex::new();
        for row in rows {
            let vrm: String = row.try_get("vrm")?;
            match EntryPattern::parse(&vrm) {
                Ok(pattern) => index.insert(
                    &pattern,
                    LiveEntry { entry_id: row.try_get("id")?, hotlist_id: row.try_get("hotlist_id")? },
                ),
                Err(e) => tracing::error!(vrm, error = %e, "a stored hotlist entry no longer parses"),
            }
        }
        let n = index.len();
        *self.index.write().expect("matcher lock") = Arc::new(index);
        Ok(n)
    }

    pub fn matches(&self, plate: &str) -> Vec<(LiveEntry, MatchKind)> {
        let index = self.index.read().expect("matcher lock").clone();
        index.matches(plate)
    }
}

/// Stores an alert for every hit of `matcher` among `reads`, inside the caller's transaction.
/// Returns the new alerts' ids.
pub async fn raise_alerts(
    tx: &mut Tx,
    matcher: &Matcher,
    now: DateTime<Utc>,
    reads: &[ReadView],
) -> Result<Vec<i64>, sqlx::Error> {
    raise_with(tx, now, reads, |plate| matcher.matches(plate)).await
}

async fn raise_with(
    tx: &mut Tx,
    now: DateTime<Utc>,
    reads: &[ReadView],
    matches: impl Fn(&str) -> Vec<(LiveEntry, MatchKind)>,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut raised = Vec::new();
    for read in reads {
        for (entry, kind) in matches(&read.plate) {
            let inserted = sqlx::query(
                "INSERT INTO alerts (read_id, entry_id, hotlist_id, match_kind, raised_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (read_id, entry_id) DO NOTHING RETURNING id",
            )
            .bind(read.id)
            .bind(entry.entry_id)
            .bind(entry.hotlist_id)
            .bind(kind.as_str())
            .bind(to_millis(now))
            .fetch_optional(tx.conn())
            .await?;
            if let Some(row) = inserted {
                raised.push(row.try_get("id")?);
            }
        }
    }
    Ok(raised)
}

/// Matches new entries against the reads of the last `hours` (so a vehicle already seen is not
/// missed) and stores the hits. Returns the new alerts' ids.
pub async fn match_retroactively(
    db: &Db,
    now: DateTime<Utc>,
    entries: &[EntryView],
    hours: i64,
) -> AppResult<Vec<i64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut index = MatchIndex::new();
    for entry in entries {
        let pattern = EntryPattern::parse(&entry.vrm).map_err(|e| AppError::internal(e.to_string()))?;
        index.insert(&pattern, LiveEntry { entry_id: entry.id, hotlist_id: entry.hotlist_id });
    }
    let since = to_millis(now - Duration::hours(hours));
    let rows = sqlx::query(&format!(
        "SELECT {} FROM reads r JOIN cameras c ON c.id = r.camera_id WHERE r.captured_at >= $1 \
         ORDER BY r.captured_at, r.id",
        crate::reads::READ_COLUMNS
    ))
    .bind(since)
    .fetch_all(db.pool())
    .await?;
    let hits: Vec<ReadView> = rows
        .iter()
        .map(crate::reads::read_from_row)
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .filter(|r| !index.matches(&r.plate).is_empty())
        .collect();
    let mut tx = db.begin().await?;
    let ids = raise_with(&mut tx, now, &hits, |plate| index.matches(plate)).await?;
    tx.commit().await?;
    Ok(ids)
}

async fn members(db: &Db, hotlist_id: i64) -> Result<Vec<i64>, sqlx::Error> {
    let rows = sqlx::query("SELECT user_id FROM hotlist_members WHERE hotlist_id = $1 ORDER BY user_id")
        .bind(hotlist_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(|r| r.try_get("user_id")).collect()
}

async fn list_from_row(db: &Db, row: &AnyRow) -> Result<HotlistView, sqlx::Error> {
    let id: i64 = row.try_get("id")?;
    let kind: String = row.try_get("kind")?;
    let audience = match row.try_get::<Option<String>, _>("audience_role")? {
        Some(role) => Audience::Role {
            role: Role::from_str(&role)
                .map_err(|e| sqlx::Error::ColumnDecode { index: "audience_role".into(), source: Box::new(e) })?,
        },
        None => Audience::Members { user_ids: members(db, id).await? },
    };
    Ok(HotlistView {
        id,
        name: row.try_get("name")?,
        kind: decode("kind", &kind, HotlistKind::parse)?,
        audience,
        created_by: row.try_get("created_by")?,
        created_at: from_millis(row.try_get("created_at")?),
    })
}

pub async fn lists(db: &Db) -> Result<Vec<HotlistView>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, name, kind, audience_role, created_by, created_at FROM hotlists ORDER BY name")
        .fetch_all(db.pool())
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(list_from_row(db, row).await?);
    }
    Ok(out)
}

pub async fn create_list(db: &Db, now: DateTime<Utc>, actor: Actor, new: NewHotlist) -> AppResult<HotlistView> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(AppError::Invalid("name must be 1 to 120 characters".into()));
    }
    let (role, member_ids) = match &new.audience {
        Audience::Role { role } => (Some(role.as_str()), Vec::new()),
        Audience::Members { user_ids } if user_ids.is_empty() => {
            return Err(AppError::Invalid("a restricted list needs at least one member".into()))
        }
        Audience::Members { user_ids } => (None, user_ids.clone()),
    };
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO hotlists (name, kind, audience_role, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(name)
    .bind(new.kind.as_str())
    .bind(role)
    .bind(&actor.name)
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await;
    let id: i64 = match inserted {
        Ok(row) => row.try_get("id")?,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!("a hotlist named `{name}` exists already")))
        }
        Err(e) => return Err(e.into()),
    };
    for user_id in &member_ids {
        let added = sqlx::query("INSERT INTO hotlist_members (hotlist_id, user_id) VALUES ($1, $2)")
            .bind(id)
            .bind(user_id)
            .execute(tx.conn())
            .await;
        match added {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
                return Err(AppError::Invalid(format!("no user with id {user_id}")))
            }
            Err(e) if is_unique_violation(&e) => {}
            Err(e) => return Err(e.into()),
        }
    }
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::HotlistCreated)
            .subject(format!("hotlist {id}"))
            .details(json!({ "name": name, "kind": new.kind, "audience": new.audience })),
    )
    .await?;
    tx.commit().await?;
    let row = sqlx::query("SELECT id, name, kind, audience_role, created_by, created_at FROM hotlists WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?;
    Ok(list_from_row(db, &row).await?)
}

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

const ALERT_SELECT: &str = "SELECT a.id AS alert_id, a.hotlist_id, h.name AS hotlist_name, h.kind, a.match_kind, \
     a.raised_at, a.decision, a.decision_reason, a.decided_by, a.decided_at, e.vrm AS entry_vrm, e.warning_markers, \
     e.action, {READ} FROM alerts a JOIN hotlists h ON h.id = a.hotlist_id JOIN hotlist_entries e ON e.id = a.entry_id \
     JOIN reads r ON r.id = a.read_id JOIN cameras c ON c.id = r.camera_id";

/// Whether `user_id`, as they are now, is in the audience of `hotlist_id` (R8): holds its role,
/// or is one of its members. Every way an alert leaves the server asks this.
const IN_AUDIENCE: &str = "(EXISTS (SELECT 1 FROM user_roles ur JOIN users u ON u.id = ur.user_id \
     WHERE ur.user_id = $1 AND u.disabled_at IS NULL AND ur.role = h.audience_role) \
     OR EXISTS (SELECT 1 FROM hotlist_members m JOIN users u ON u.id = m.user_id \
     WHERE m.hotlist_id = h.id AND m.user_id = $1 AND u.disabled_at IS NULL))";

/// Whether the alert's read is from a camera `$1` is not restricted from (R13): an alert from
/// such a camera does not reach them.
const NOT_RESTRICTED: &str =
    "NOT EXISTS (SELECT 1 FROM user_denied_cameras dc WHERE dc.user_id = $1 AND dc.camera_id = r.camera_id)";

fn alert_from_row(row: &AnyRow) -> Result<shared::hotlists::AlertView, sqlx::Error> {
    let kind: String = row.try_get("kind")?;
    let match_kind: String = row.try_get("match_kind")?;
    let markers: String = row.try_get("warning_markers")?;
    let decision = match row.try_get::<Option<String>, _>("decision")? {
        Some(outcome) => Some(shared::hotlists::DecisionView {
            outcome: decode("decision", &outcome, Outcome::parse)?,
            reason: row.try_get::<Option<String>, _>("decision_reason")?.unwrap_or_default(),
            decided_by: row.try_get::<Option<String>, _>("decided_by")?.unwrap_or_default(),
            decided_at: from_millis(row.try_get::<Option<i64>, _>("decided_at")?.unwrap_or_default()),
        }),
        None => None,
    };
    Ok(shared::hotlists::AlertView {
        id: row.try_get("alert_id")?,
        hotlist_id: row.try_get("hotlist_id")?,
        hotlist_name: row.try_get("hotlist_name")?,
        kind: decode("kind", &kind, HotlistKind::parse)?,
        match_kind: decode("match_kind", &match_kind, MatchKind::parse)?,
        entry_vrm: row.try_get("entry_vrm")?,
        warning_markers: serde_json::from_str(&markers).unwrap_or_default(),
        action: row.try_get("action")?,
        raised_at: from_millis(row.try_get("raised_at")?),
        read: crate::reads::read_from_row(row)?,
        decision,
    })
}

fn alert_select() -> String {
    ALERT_SELECT.replace("{READ}", crate::reads::READ_COLUMNS)
}

/// The alerts `user_id` is in the audience of (R8), newest first.
pub async fn alerts_for(db: &Db, user_id: i64, limit: i64) -> Result<Vec<shared::hotlists::AlertView>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "{} WHERE {IN_AUDIENCE} AND {NOT_RESTRICTED} ORDER BY a.id DESC LIMIT $2",
        alert_select()
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(alert_from_row).collect()
}

/// One alert, if `user_id` is in its audience and not restricted from its camera; `None` both when it does not exist and when the
/// user may not see it, so that nobody learns of an alert outside their audience.
pub async fn alert_for(
    db: &Db,
    user_id: i64,
    alert_id: i64,
) -> Result<Option<shared::hotlists::AlertView>, sqlx::Error> {
    let row = sqlx::query(&format!("{} WHERE {IN_AUDIENCE} AND {NOT_RESTRICTED} AND a.id = $2", alert_select()))
        .bind(user_id)
        .bind(alert_id)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(alert_from_row).transpose()
}

/// Alerts by id, for the live stream (each subscriber's audience is checked as it is sent).
pub async fn alerts_by_id(db: &Db, ids: &[i64]) -> Result<Vec<shared::hotlists::AlertView>, sqlx::Error> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let list = (1..=chunk.len()).map(|i| db.backend().parameter(i)).collect::<Vec<_>>().join(",");
        let query_text = format!("{} WHERE a.id IN ({list}) ORDER BY a.id", alert_select());
        let mut query = sqlx::query(&query_text);
        for id in chunk {
            query = query.bind(id);
        }
        for row in query.fetch_all(db.pool()).await? {
            out.push(alert_from_row(&row)?);
        }
    }
    Ok(out)
}

/// Records the recipient's decision on a hit (once; the first decision stands).
pub async fn decide(
    db: &Db,
    now: DateTime<Utc>,
    user: &shared::UserView,
    alert_id: i64,
    decision: shared::hotlists::AlertDecision,
) -> AppResult<shared::hotlists::AlertView> {
    let reason = decision.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::Invalid("a reason of 1 to 500 characters is required".into()));
    }
    let not_found = || AppError::NotFound(format!("no alert {alert_id} for you"));
    alert_for(db, user.id, alert_id).await?.ok_or_else(not_found)?;
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE alerts SET decision = $1, decision_reason = $2, decided_by = $3, decided_at = $4 \
         WHERE id = $5 AND decision IS NULL",
    )
    .bind(decision.outcome.as_str())
    .bind(reason)
    .bind(user.username.as_str())
    .bind(to_millis(now))
    .bind(alert_id)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::Conflict(format!("alert {alert_id} has been decided already")));
    }
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::AlertDecided)
            .subject(format!("alert {alert_id}"))
            .details(json!({ "outcome": decision.outcome, "reason": reason })),
    )
    .await?;
    tx.commit().await?;
    alert_for(db, user.id, alert_id).await?.ok_or_else(not_found)
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

/// Sends stored alerts to the live alert stream; each subscriber's audience is checked there.
pub async fn publish(state: &crate::state::AppState, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() || state.alerts.receiver_count() == 0 {
        return Ok(());
    }
    for alert in alerts_by_id(&state.db, ids).await? {
        let _ = state.alerts.send(Arc::new(alert));
    }
    Ok(())
}
