//! Reads by capture day (R18). On PostgreSQL `reads` is partitioned by `captured_at`, one
//! partition per UTC day named `reads_YYYYMMDD` (migration 0009): the server keeps a week of
//! partitions ahead of today, and before a group of reads is written it makes sure each of their
//! days has one, so a backlog from a camera that was offline for days is never refused. A day
//! wholly past retention goes by detaching and dropping its partition. SQLite keeps one table.
//!
//! So that a vehicle's history does not probe every day of a year, PostgreSQL also keeps the
//! days on which each plate skeleton was read (`read_skeleton_days`, migration 0010), written
//! in the transaction that stores or corrects the reads: a plate or misread search reads only
//! those days' partitions.

use crate::clock::to_millis;
use crate::store::{Backend, Db, Tx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::{Arc, Mutex};

/// Days of partitions kept ready beyond today.
pub const DAYS_AHEAD: i64 = 7;

const DAY_MS: i64 = 86_400_000;

/// Pairs written by one statement: two parameters each, well inside PostgreSQL's 65,535.
const SEEN_PER_STATEMENT: usize = 10_000;

/// The most recent days whose noted plates a server remembers, and how many plates a day.
const NOTED_DAYS: usize = 3;
const NOTED_PER_DAY: usize = 4_000_000;

/// The partition holding `day`'s reads.
pub fn partition_name(day: NaiveDate) -> String {
    format!("reads_{}", day.format("%Y%m%d"))
}

fn day_of_name(name: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(name.strip_prefix("reads_")?, "%Y%m%d").ok()
}

/// The first millisecond of `day`, and of the day after.
pub fn bounds(day: NaiveDate) -> (i64, i64) {
    let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    (to_millis(start), to_millis(start + Duration::days(1)))
}

pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// The days that have a partition, as far as this server knows; asked of the database when a
/// day is not among them.
#[derive(Clone, Default)]
pub struct ReadDays {
    known: Arc<Mutex<BTreeSet<NaiveDate>>>,
}

impl ReadDays {
    /// Makes sure each of `days` has a partition (PostgreSQL; nothing to do on SQLite).
    pub async fn ensure(&self, db: &Db, days: impl IntoIterator<Item = NaiveDate>) -> Result<(), sqlx::Error> {
        if db.backend() != Backend::Postgres {
            return Ok(());
        }
        let missing: BTreeSet<NaiveDate> = {
            let known = self.known.lock().expect("days lock");
            days.into_iter().filter(|d| !known.contains(d)).collect()
        };
        if missing.is_empty() {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        // One server at a time creates partitions; the others wait and then find them there.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('anpr read partitions'))").execute(tx.conn()).await?;
        for day in &missing {
            let (from, to) = bounds(*day);
            sqlx::query(&format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF reads FOR VALUES FROM ({from}) TO ({to})",
                partition_name(*day)
            ))
            .execute(tx.conn())
            .await?;
        }
        tx.commit().await?;
        self.known.lock().expect("days lock").extend(missing);
        Ok(())
    }

    /// Makes sure today and the next [`DAYS_AHEAD`] days have partitions.
    pub async fn ahead(&self, db: &Db, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        let today = day_of(now);
        self.ensure(db, (0..=DAYS_AHEAD).map(|n| today + Duration::days(n))).await
    }

    /// Forgets the days before `day` (their partitions were dropped).
    pub fn forget_before(&self, day: NaiveDate) {
        self.known.lock().expect("days lock").retain(|d| *d >= day);
    }
}

/// The days that have a partition, oldest first (PostgreSQL; empty on SQLite).
pub async fn partitions(tx: &mut Tx) -> Result<Vec<NaiveDate>, sqlx::Error> {
    if tx.backend() != Backend::Postgres {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT c.relname::text AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'reads'::regclass",
    )
    .fetch_all(tx.conn())
    .await?;
    let mut days: Vec<NaiveDate> =
        rows.iter().filter_map(|r| r.try_get::<String, _>("name").ok().as_deref().and_then(day_of_name)).collect();
    days.sort_unstable();
    Ok(days)
}

/// The plates' days (skeleton, day) that this server has seen committed to `read_skeleton_days`,
/// for its [`NOTED_DAYS`] most recent days: noting one again would change nothing. A vehicle is
/// read several times a day, so most of a day's reads need no noting (R4: a force's day is
/// about ten million reads of a few million vehicles). Learnt only after the commit that wrote
/// them, so a group that rolls back teaches nothing; a skeleton longer than eight bytes is
/// always noted. Another server's purge forgets only days past retention, which no reach goes
/// back to (R12, R18).
#[derive(Clone, Default)]
pub struct NotedDays {
    days: Arc<Mutex<BTreeMap<i64, HashSet<u64>>>>,
}

impl NotedDays {
    /// `skeleton` as one number, its ASCII bytes in order: unique for one to eight bytes (a
    /// skeleton holds no NUL).
    fn key(skeleton: &str) -> Option<u64> {
        ((1..=8).contains(&skeleton.len()) && skeleton.is_ascii())
            .then(|| skeleton.bytes().fold(0u64, |k, b| (k << 8) | u64::from(b)) << (8 * (8 - skeleton.len())))
    }

    fn holds(&self, skeleton: &str, day: i64) -> bool {
        let Some(key) = Self::key(skeleton) else { return false };
        self.days.lock().expect("noted days lock").get(&day).is_some_and(|keys| keys.contains(&key))
    }

    fn learn(&self, noted: Vec<(String, i64)>) {
        let mut days = self.days.lock().expect("noted days lock");
        for (skeleton, day) in noted {
            if let Some(key) = Self::key(&skeleton) {
                let keys = days.entry(day).or_default();
                if keys.len() < NOTED_PER_DAY {
                    keys.insert(key);
                }
            }
        }
        while days.len() > NOTED_DAYS {
            days.pop_first();
        }
    }

    fn forget_before(&self, day: i64) {
        self.days.lock().expect("noted days lock").retain(|d, _| *d >= day);
    }
}

/// Notes, in the transaction that stores or corrects reads, the day each `(skeleton, captured_at
/// ms)` was read (PostgreSQL), unless this server has seen it noted ([`NotedDays`]). Written in
/// key order, so two writers meeting on the same keys wait for each other in one direction
/// only, never in a circle.
pub async fn note_seen(tx: &mut Tx, seen: impl IntoIterator<Item = (String, i64)>) -> Result<(), sqlx::Error> {
    if tx.backend() != Backend::Postgres {
        return Ok(());
    }
    let noted = tx.noted_days().clone();
    let keys: BTreeSet<(String, i64)> =
        seen.into_iter().map(|(s, at)| (s, at.div_euclid(DAY_MS))).filter(|(s, day)| !noted.holds(s, *day)).collect();
    let keys: Vec<_> = keys.into_iter().collect();
    for chunk in keys.chunks(SEEN_PER_STATEMENT) {
        let values: Vec<String> = (0..chunk.len()).map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2)).collect();
        let sql = format!(
            "INSERT INTO read_skeleton_days (skeleton, day) VALUES {} ON CONFLICT DO NOTHING",
            values.join(",")
        );
        let mut query = sqlx::query(&sql);
        for (skeleton, day) in chunk {
            query = query.bind(skeleton.as_str()).bind(*day);
        }
        query.execute(tx.conn()).await?;
    }
    tx.after_commit(move || noted.learn(keys));
    Ok(())
}

/// The days within `from..=to` (ms) on which `skeleton` was read, oldest first. `None` on
/// SQLite, whose one table has nothing to narrow.
pub async fn seen_on(db: &Db, skeleton: &str, from: i64, to: i64) -> Result<Option<Vec<NaiveDate>>, sqlx::Error> {
    if db.backend() != Backend::Postgres {
        return Ok(None);
    }
    let rows =
        sqlx::query("SELECT day FROM read_skeleton_days WHERE skeleton = $1 AND day >= $2 AND day <= $3 ORDER BY day")
            .bind(skeleton)
            .bind(from.div_euclid(DAY_MS))
            .bind(to.div_euclid(DAY_MS))
            .fetch_all(db.pool())
            .await?;
    rows.iter()
        .map(|row| Ok(day_of(crate::clock::from_millis(row.try_get::<i64, _>("day")? * DAY_MS))))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// Forgets, inside the purge's transaction, which skeletons were read on the days before `day`
/// (their reads are gone: R18).
pub async fn forget_seen_before(tx: &mut Tx, day: NaiveDate) -> Result<(), sqlx::Error> {
    if tx.backend() != Backend::Postgres {
        return Ok(());
    }
    let (start, _) = bounds(day);
    sqlx::query("DELETE FROM read_skeleton_days WHERE day < $1").bind(start / DAY_MS).execute(tx.conn()).await?;
    let noted = tx.noted_days().clone();
    tx.after_commit(move || noted.forget_before(start / DAY_MS));
    Ok(())
}

/// Detaches and drops `day`'s partition, inside the caller's transaction.
pub async fn drop_day(tx: &mut Tx, day: NaiveDate) -> Result<(), sqlx::Error> {
    let name = partition_name(day);
    sqlx::query(&format!("ALTER TABLE reads DETACH PARTITION {name}")).execute(tx.conn()).await?;
    sqlx::query(&format!("DROP TABLE {name}")).execute(tx.conn()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noted_days_hold_what_was_learnt_for_the_latest_days_only() {
        let noted = NotedDays::default();
        noted.learn(vec![("AB12CDE".into(), 10), ("AB12CD".into(), 11), ("ABCDEFGHI".into(), 11)]);
        assert!(noted.holds("AB12CDE", 10));
        assert!(!noted.holds("AB12CDE", 11), "another day");
        assert!(noted.holds("AB12CD", 11));
        assert!(!noted.holds("AB12C", 11), "a prefix is another skeleton");
        assert!(!noted.holds("ABCDEFGHI", 11), "nine bytes are always noted");
        noted.learn(vec![(String::new(), 11)]);
        assert!(!noted.holds("", 11));
        noted.learn(vec![("X1".into(), 12), ("X1".into(), 13)]);
        assert!(!noted.holds("AB12CDE", 10), "only the latest {NOTED_DAYS} days are kept");
        assert!(noted.holds("X1", 13) && noted.holds("AB12CD", 11));
        noted.forget_before(13);
        assert!(!noted.holds("AB12CD", 11) && noted.holds("X1", 13));
    }

    #[test]
    fn a_day_has_one_partition_covering_its_milliseconds() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(partition_name(day), "reads_20260302");
        assert_eq!(day_of_name("reads_20260302"), Some(day));
        assert_eq!(day_of_name("reads_undivided"), None);
        let (from, to) = bounds(day);
        assert_eq!(from, 1_772_409_600_000);
        assert_eq!(to - from, 86_400_000);
        let last_ms = crate::clock::from_millis(to - 1);
        assert_eq!((day_of(crate::clock::from_millis(from)), day_of(last_ms)), (day, day));
        assert_eq!(day_of(crate::clock::from_millis(to)), day + Duration::days(1));
    }
}
