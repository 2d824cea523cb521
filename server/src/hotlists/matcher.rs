//! The match index every ingested read is matched against (R7), kept in step with the live
//! entries change by change, and the retroactive matching of a new entry against the reads
//! already stored.

use super::entries::LIVE_ENTRY;
use crate::access::policy::retention_cutoff;
use crate::audit::{self, Actor, Event};
use crate::cameras::purposes::Sources;
use crate::clock::{from_millis, to_millis};
use crate::config::{Config, HotlistConfig};
use crate::error::{AppError, AppResult};
use crate::store::{Db, Tx};
use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use serde_json::json;
use shared::hotlists::{EntryPattern, EntryView, MatchIndex, MatchKind};
use shared::requests::Purpose;
use shared::AuditAction;
use shared::ReadView;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// An entry as the index holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveEntry {
    pub entry_id: i64,
    pub hotlist_id: i64,
}

/// A live entry and what it matches.
#[derive(Debug, Clone)]
pub struct Listed {
    pub entry: LiveEntry,
    pub pattern: EntryPattern,
}

impl Listed {
    fn of(view: &EntryView) -> Result<Listed, shared::hotlists::PatternError> {
        Ok(Listed {
            entry: LiveEntry { entry_id: view.id, hotlist_id: view.hotlist_id },
            pattern: EntryPattern::parse(&view.vrm)?,
        })
    }
}

#[derive(Default)]
struct Index {
    index: MatchIndex<LiveEntry>,
    by_id: HashMap<i64, Listed>,
}

impl Index {
    fn insert(&mut self, listed: Listed) {
        if self.by_id.contains_key(&listed.entry.entry_id) {
            return;
        }
        self.index.insert(&listed.pattern, listed.entry);
        self.by_id.insert(listed.entry.entry_id, listed);
    }

    fn remove(&mut self, entry_id: i64) {
        if let Some(listed) = self.by_id.remove(&entry_id) {
            self.index.remove(&listed.pattern, &listed.entry);
        }
    }
}

/// The live entries of every list, ready to match reads against. Loaded whole when the server
/// starts (and after it lost the other servers' notices); after that, each entry added or ended
/// anywhere is put in or taken out on its own, so a change costs microseconds whatever the size
/// of the lists.
#[derive(Clone)]
pub struct Matcher {
    inner: Arc<RwLock<Index>>,
    /// The most distinct plates an entry's alerts may name within 24 hours.
    max_plates_per_day: i64,
}

/// Entries that may match (R7–R10): not ended or suspended, and — partial plates — approved.
/// Whether an entry has passed its lapse is asked again as each alert is stored.
const MATCHABLE: &str = "ended_at IS NULL AND suspended_at IS NULL AND (is_pattern = 0 OR approved_at IS NOT NULL)";

impl Matcher {
    pub fn new(policy: &HotlistConfig) -> Matcher {
        Matcher { inner: Arc::default(), max_plates_per_day: policy.max_plates_per_day }
    }

    /// Loads every live entry afresh.
    pub async fn reload(&self, db: &Db) -> Result<usize, sqlx::Error> {
        let rows = sqlx::query(&format!("SELECT id, hotlist_id, vrm FROM hotlist_entries WHERE {MATCHABLE}"))
            .fetch_all(db.pool())
            .await?;
        let mut index = Index::default();
        for row in &rows {
            if let Some(listed) = listed_from_row(row)? {
                index.insert(listed);
            }
        }
        let n = index.by_id.len();
        *self.inner.write().expect("matcher lock") = index;
        Ok(n)
    }

    /// Puts `added` in and takes the entries `ended` out.
    pub fn apply(&self, added: &[EntryView], ended: &[i64]) {
        let mut inner = self.inner.write().expect("matcher lock");
        for id in ended {
            inner.remove(*id);
        }
        for view in added {
            match Listed::of(view) {
                Ok(listed) => inner.insert(listed),
                Err(e) => tracing::error!(vrm = view.vrm, error = %e, "a hotlist entry does not parse"),
            }
        }
    }

    /// Reads the entries `ids` again (changed through another server): the live ones are put
    /// in, the ended or missing ones taken out.
    pub async fn refresh(&self, db: &Db, ids: &[i64]) -> Result<(), sqlx::Error> {
        for chunk in ids.chunks(500) {
            let marks = (1..=chunk.len()).map(|i| db.backend().parameter(i)).collect::<Vec<_>>().join(",");
            // By id alone (the primary key), whether it ended asked of each row: with `ended_at`
            // in the condition the planner may go through every live entry instead.
            let sql = format!(
                "SELECT id, hotlist_id, vrm, ended_at, suspended_at, is_pattern, approved_at \
                 FROM hotlist_entries WHERE id IN ({marks})"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            let rows = query.fetch_all(db.pool()).await?;
            let mut live = Vec::with_capacity(rows.len());
            for row in &rows {
                // As `MATCHABLE` says.
                let ended = row.try_get::<Option<i64>, _>("ended_at")?.is_some()
                    || row.try_get::<Option<i64>, _>("suspended_at")?.is_some();
                let unapproved = row.try_get::<i64, _>("is_pattern")? != 0
                    && row.try_get::<Option<i64>, _>("approved_at")?.is_none();
                if !ended && !unapproved {
                    live.extend(listed_from_row(row)?);
                }
            }
            let mut inner = self.inner.write().expect("matcher lock");
            for id in chunk {
                inner.remove(*id);
            }
            for listed in live {
                inner.insert(listed);
            }
        }
        Ok(())
    }

    pub fn matches(&self, plate: &str) -> Vec<(LiveEntry, MatchKind)> {
        self.inner.read().expect("matcher lock").index.matches(plate)
    }
}

fn listed_from_row(row: &sqlx::any::AnyRow) -> Result<Option<Listed>, sqlx::Error> {
    let vrm: String = row.try_get("vrm")?;
    match EntryPattern::parse(&vrm) {
        Ok(pattern) => Ok(Some(Listed {
            entry: LiveEntry { entry_id: row.try_get("id")?, hotlist_id: row.try_get("hotlist_id")? },
            pattern,
        })),
        Err(e) => {
            tracing::error!(vrm, error = %e, "a stored hotlist entry no longer parses");
            Ok(None)
        }
    }
}

/// What matching a set of reads did: the alerts it stored, and the entries it suspended.
#[derive(Debug, Default)]
pub struct Raised {
    pub alerts: Vec<i64>,
    pub suspended: Vec<i64>,
}

/// Stores an alert for every hit of `matcher` among `reads`, inside the caller's transaction.
pub async fn raise_alerts(
    tx: &mut Tx,
    matcher: &Matcher,
    now: DateTime<Utc>,
    reads: &[ReadView],
) -> Result<Raised, sqlx::Error> {
    let seen =
        reads.iter().map(|r| Seen { id: r.id, camera_id: r.camera_id, at: to_millis(r.captured_at), plate: &r.plate });
    raise_with(tx, now, matcher.max_plates_per_day, usize::MAX, seen, |plate| matcher.matches(plate)).await
}

/// A read as matching sees it.
struct Seen<'a> {
    id: i64,
    camera_id: i64,
    /// Captured at, in milliseconds.
    at: i64,
    plate: &'a str,
}

/// Stores the hits of `reads`, at most `limit` alerts. Each is stored only if its entry is live
/// in this transaction (not ended, suspended, lapsed or unapproved elsewhere meanwhile, R9,
/// R10) and the read's source allows the list's purpose (R3, R10); an entry whose alerts would
/// name more than `cap` distinct plates within 24 hours is suspended instead, and the
/// suspension recorded for auditors (R21).
async fn raise_with<'a>(
    tx: &mut Tx,
    now: DateTime<Utc>,
    cap: i64,
    limit: usize,
    reads: impl Iterator<Item = Seen<'a>>,
    matches: impl Fn(&str) -> Vec<(LiveEntry, MatchKind)>,
) -> Result<Raised, sqlx::Error> {
    let mut raised = Raised::default();
    let day_ago = to_millis(now - Duration::hours(24));
    // The sources' purposes, read at the first hit only.
    let mut sources: Option<Sources> = None;
    for Seen { id: read_id, camera_id, at, plate } in reads {
        for (entry, kind) in matches(plate) {
            if raised.alerts.len() >= limit {
                return Ok(raised);
            }
            if raised.suspended.contains(&entry.entry_id) {
                continue;
            }
            // Whether the entry is live now, and how many other plates it has named today.
            let state = sqlx::query(&format!(
                "SELECT (SELECT COUNT(DISTINCT a.plate) FROM alerts a WHERE a.entry_id = e.id \
                 AND a.raised_at >= $2 AND a.plate <> $3) AS others, \
                 (SELECT h.purpose FROM hotlists h WHERE h.id = e.hotlist_id) AS purpose FROM hotlist_entries e \
                 WHERE e.id = $1 AND {}",
                LIVE_ENTRY.replace("{NOW}", "$4")
            ))
            .bind(entry.entry_id)
            .bind(day_ago)
            .bind(plate)
            .bind(to_millis(now))
            .fetch_optional(tx.conn())
            .await?;
            let Some(state) = state else { continue };
            let purpose = crate::store::decode("purpose", &state.try_get::<String, _>("purpose")?, Purpose::parse)?;
            if sources.is_none() {
                sources = Some(Sources::load(tx.conn()).await?);
            }
            if !sources.as_ref().is_some_and(|s| s.allows(camera_id, at, purpose)) {
                continue;
            }
            let others: i64 = state.try_get("others")?;
            if others >= cap {
                suspend(tx, now, entry, cap).await?;
                raised.suspended.push(entry.entry_id);
                continue;
            }
            // Raised for the list's audience as it is now (R8): its role, or its members as
            // recipients.
            let inserted = sqlx::query(
                "INSERT INTO alerts (read_id, entry_id, hotlist_id, match_kind, raised_at, plate, audience_role) \
                 SELECT $1, $2, h.id, $4, $5, $6, h.audience_role FROM hotlists h WHERE h.id = $3 \
                 ON CONFLICT (read_id, entry_id) DO NOTHING RETURNING id",
            )
            .bind(read_id)
            .bind(entry.entry_id)
            .bind(entry.hotlist_id)
            .bind(kind.as_str())
            .bind(to_millis(now))
            .bind(plate)
            .fetch_optional(tx.conn())
            .await?;
            if let Some(row) = inserted {
                let id: i64 = row.try_get("id")?;
                sqlx::query(
                    "INSERT INTO alert_recipients (alert_id, user_id) SELECT $1, m.user_id FROM hotlist_members m \
                     JOIN users u ON u.id = m.user_id AND u.disabled_at IS NULL \
                     WHERE m.hotlist_id = $2 \
                     AND EXISTS (SELECT 1 FROM user_roles i WHERE i.user_id = u.id AND i.role = 'investigator') \
                     AND NOT EXISTS (SELECT 1 FROM user_roles x WHERE x.user_id = u.id AND x.role = 'hotlist_admin')",
                )
                .bind(id)
                .bind(entry.hotlist_id)
                .execute(tx.conn())
                .await?;
                raised.alerts.push(id);
            }
        }
    }
    Ok(raised)
}

/// Suspends an entry that matched more vehicles in a day than any entry may: it stops matching
/// and the auditors see why (R10, R21).
async fn suspend(tx: &mut Tx, now: DateTime<Utc>, entry: LiveEntry, cap: i64) -> Result<(), sqlx::Error> {
    let why = format!("its alerts named more than {cap} distinct plates within 24 hours");
    sqlx::query("UPDATE hotlist_entries SET suspended_at = $1, suspended_why = $2 WHERE id = $3")
        .bind(to_millis(now))
        .bind(&why)
        .bind(entry.entry_id)
        .execute(tx.conn())
        .await?;
    audit::record(
        tx,
        now,
        Event::new(Actor::system(), AuditAction::HotlistEntrySuspended)
            .subject(format!("hotlist {} entry {}", entry.hotlist_id, entry.entry_id))
            .details(json!({ "why": why, "for_auditors": true })),
    )
    .await?;
    Ok(())
}

/// Matches entries that have just begun to match against the reads of the last
/// `hotlist_retro_hours` — never before the retention cutoff (R12, R18) — so a vehicle already
/// seen is not missed (R7), raising at most `hotlists.retro_max_alerts` alerts, the newest
/// reads first. Returns the new alerts' ids; what was raised is recorded (R21).
///
/// A whole plate can only be hit, exactly or through misreads (R5), by a read of the same
/// skeleton, so those reads are found through the `(plate_skeleton, captured_at)` index: a
/// few milliseconds however many reads the window holds. Only partial plates go through the
/// window's reads, streamed, never held in memory at once.
pub async fn match_retroactively(
    db: &Db,
    now: DateTime<Utc>,
    config: &Config,
    entries: &[EntryView],
) -> AppResult<Vec<i64>> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let mut index = MatchIndex::new();
    let mut skeletons = Vec::new();
    let mut wildcards = false;
    for entry in entries {
        let listed = Listed::of(entry).map_err(|e| AppError::internal(e.to_string()))?;
        match &listed.pattern {
            EntryPattern::Plate(plate) => skeletons.push(plate.skeleton()),
            EntryPattern::Wildcard(_) => wildcards = true,
        }
        index.insert(&listed.pattern, listed.entry);
    }
    skeletons.sort();
    skeletons.dedup();
    let since = (now - Duration::hours(config.hotlist_retro_hours)).max(retention_cutoff(&config.access, now));
    let since = to_millis(since);
    let mut seen: Vec<(i64, i64, i64, String)> = Vec::new();
    if wildcards {
        let mut rows = sqlx::query("SELECT id, camera_id, captured_at, plate FROM reads WHERE captured_at >= $1")
            .bind(since)
            .fetch(db.pool());
        while let Some(row) = rows.try_next().await? {
            let plate: String = row.try_get("plate")?;
            if !index.matches(&plate).is_empty() {
                seen.push((row.try_get("captured_at")?, row.try_get("id")?, row.try_get("camera_id")?, plate));
            }
        }
    } else {
        for chunk in skeletons.chunks(400) {
            let marks = (1..=chunk.len()).map(|i| db.backend().parameter(i)).collect::<Vec<_>>().join(",");
            let after = db.backend().parameter(chunk.len() + 1);
            let sql = format!(
                "SELECT id, camera_id, captured_at, plate FROM reads WHERE plate_skeleton IN ({marks}) \
                 AND captured_at >= {after}"
            );
            let mut query = sqlx::query(&sql);
            for skeleton in chunk {
                query = query.bind(skeleton);
            }
            query = query.bind(since);
            for row in query.fetch_all(db.pool()).await? {
                let (at, id, camera) = (row.try_get("captured_at")?, row.try_get("id")?, row.try_get("camera_id")?);
                seen.push((at, id, camera, row.try_get("plate")?));
            }
        }
    }
    // The bound keeps the newest sightings; they are then raised oldest first, as they happened.
    seen.sort_unstable_by(|a, b| b.cmp(a));
    seen.dedup();
    let limit = config.hotlists.retro_max_alerts;
    let mut hits = 0;
    seen.retain(|(_, _, _, plate)| {
        let keep = hits < limit;
        hits += index.matches(plate).len();
        keep
    });
    seen.reverse();
    let mut tx = db.begin().await?;
    let reads = seen.iter().map(|(at, id, camera_id, p)| Seen { id: *id, camera_id: *camera_id, at: *at, plate: p });
    let raised =
        raise_with(&mut tx, now, config.hotlists.max_plates_per_day, limit, reads, |plate| index.matches(plate))
            .await?;
    if !raised.alerts.is_empty() || !raised.suspended.is_empty() {
        audit::record(
            &mut tx,
            now,
            Event::new(Actor::system(), AuditAction::RetroactiveAlertsRaised).details(json!({
                "entries": entries.iter().map(|e| e.id).collect::<Vec<_>>(),
                "alerts": raised.alerts,
                "since": from_millis(since),
                "bounded_at": limit,
                "suspended": raised.suspended,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(raised.alerts)
}
