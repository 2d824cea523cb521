//! The match index every ingested read is matched against (R7), kept in step with the live
//! entries change by change, and the retroactive matching of a new entry against the reads
//! already stored.

use crate::clock::to_millis;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Tx};
use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use shared::hotlists::{EntryPattern, EntryView, MatchIndex, MatchKind};
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
#[derive(Clone, Default)]
pub struct Matcher {
    inner: Arc<RwLock<Index>>,
}

impl Matcher {
    /// Loads every live entry afresh.
    pub async fn reload(&self, db: &Db) -> Result<usize, sqlx::Error> {
        let rows = sqlx::query("SELECT id, hotlist_id, vrm FROM hotlist_entries WHERE ended_at IS NULL")
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
            let sql = format!("SELECT id, hotlist_id, vrm, ended_at FROM hotlist_entries WHERE id IN ({marks})");
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            let rows = query.fetch_all(db.pool()).await?;
            let mut live = Vec::with_capacity(rows.len());
            for row in &rows {
                if row.try_get::<Option<i64>, _>("ended_at")?.is_none() {
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

/// Stores an alert for every hit of `matcher` among `reads`, inside the caller's transaction.
/// Returns the new alerts' ids.
pub async fn raise_alerts(
    tx: &mut Tx,
    matcher: &Matcher,
    now: DateTime<Utc>,
    reads: &[ReadView],
) -> Result<Vec<i64>, sqlx::Error> {
    let seen = reads.iter().map(|r| (r.id, r.plate.as_str()));
    raise_with(tx, now, seen, |plate| matcher.matches(plate)).await
}

async fn raise_with<'a>(
    tx: &mut Tx,
    now: DateTime<Utc>,
    reads: impl Iterator<Item = (i64, &'a str)>,
    matches: impl Fn(&str) -> Vec<(LiveEntry, MatchKind)>,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut raised = Vec::new();
    for (read_id, plate) in reads {
        for (entry, kind) in matches(plate) {
            let inserted = sqlx::query(
                "INSERT INTO alerts (read_id, entry_id, hotlist_id, match_kind, raised_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (read_id, entry_id) DO NOTHING RETURNING id",
            )
            .bind(read_id)
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
///
/// A whole plate can only be hit, exactly or through misreads (R5), by a read of the same
/// skeleton, so those reads are found through the `(plate_skeleton, captured_at)` index: a
/// few milliseconds however many reads the window holds. Only wildcard patterns go through the
/// window's reads, streamed, never held in memory at once.
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
    let since = to_millis(now - Duration::hours(hours));
    let mut seen: Vec<(i64, String)> = Vec::new();
    if wildcards {
        let mut rows = sqlx::query("SELECT id, plate FROM reads WHERE captured_at >= $1").bind(since).fetch(db.pool());
        while let Some(row) = rows.try_next().await? {
            let plate: String = row.try_get("plate")?;
            if !index.matches(&plate).is_empty() {
                seen.push((row.try_get("id")?, plate));
            }
        }
    } else {
        for chunk in skeletons.chunks(400) {
            let marks = (1..=chunk.len()).map(|i| db.backend().parameter(i)).collect::<Vec<_>>().join(",");
            let after = db.backend().parameter(chunk.len() + 1);
            let sql =
                format!("SELECT id, plate FROM reads WHERE plate_skeleton IN ({marks}) AND captured_at >= {after}");
            let mut query = sqlx::query(&sql);
            for skeleton in chunk {
                query = query.bind(skeleton);
            }
            query = query.bind(since);
            for row in query.fetch_all(db.pool()).await? {
                seen.push((row.try_get("id")?, row.try_get("plate")?));
            }
        }
    }
    seen.sort_unstable();
    seen.dedup();
    let mut tx = db.begin().await?;
    let ids =
        raise_with(&mut tx, now, seen.iter().map(|(id, p)| (*id, p.as_str())), |plate| index.matches(plate)).await?;
    tx.commit().await?;
    Ok(ids)
}
