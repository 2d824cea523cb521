//! Cloned-plate indicators (R17): a plate seen at two places further apart than a vehicle could
//! travel in the time between. A scan takes newly stored reads in id order and compares each
//! with the same plate's sightings just before and just after it in capture time, so a read
//! that arrives late is still paired with its neighbours.

use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::CloneConfig;
use crate::store::{Db, Tx};
use chrono::{DateTime, Duration, Utc};
use futures_util::TryStreamExt;
use shared::verification::{distance_m, ClonePair};
use shared::{AuditAction, ReadView};
use sqlx::Row;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};

/// Reads stored less than this long ago are left to the next scan, so that a batch still being
/// committed is not skipped.
const SETTLE_SECONDS: i64 = 5;
/// Most reads one scan looks at.
const SCAN_BATCH: i64 = 5000;

#[derive(Debug, Clone, Copy)]
struct Sighting {
    id: i64,
    at: i64,
    lat: f64,
    lon: f64,
}

/// Whether one vehicle could not have made both sightings: further apart than the minimum
/// distance, at an average speed above the limit.
pub fn impossible(config: &CloneConfig, distance_m: f64, seconds: f64) -> bool {
    distance_m >= config.min_distance_km * 1000.0 && distance_m * 3.6 > config.max_speed_kmh * seconds
}

/// Every camera's place, by id.
async fn places(db: &Db) -> Result<HashMap<i64, (f64, f64)>, sqlx::Error> {
    let rows = sqlx::query("SELECT id, lat, lon FROM cameras").fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("id")?, (r.try_get("lat")?, r.try_get("lon")?)))).collect()
}

/// A read being scanned, with the same plate's sightings nearest before and after it in
/// capture time (ties in time ordered by id).
struct Scanning {
    read: Sighting,
    plate: String,
    earlier: Option<Sighting>,
    later: Option<Sighting>,
}

impl Scanning {
    /// Keeps `other` if it is nearer than the neighbour held on its side.
    fn consider(&mut self, other: Sighting) {
        let key = |s: &Sighting| (s.at, s.id);
        if key(&other) < key(&self.read) {
            if self.earlier.as_ref().is_none_or(|e| key(&other) > key(e)) {
                self.earlier = Some(other);
            }
        } else if key(&other) > key(&self.read) && self.later.as_ref().is_none_or(|l| key(&other) < key(l)) {
            self.later = Some(other);
        }
    }
}

/// How far apart in time, in ms, two sightings can be and still be flagged: no two cameras are
/// further apart than the diagonal of the box around them all (with half as much again for the
/// earth's curve and rounding), and at that distance a pair further apart in time than the
/// horizon is within the speed limit.
async fn horizon_ms(db: &Db, config: &CloneConfig) -> Result<i64, sqlx::Error> {
    let row = sqlx::query("SELECT MIN(lat) AS lat0, MAX(lat) AS lat1, MIN(lon) AS lon0, MAX(lon) AS lon1 FROM cameras")
        .fetch_one(db.pool())
        .await?;
    let corner = |lat: &str, lon: &str| -> Result<Option<(f64, f64)>, sqlx::Error> {
        Ok(row.try_get::<Option<f64>, _>(lat)?.zip(row.try_get::<Option<f64>, _>(lon)?))
    };
    let (Some((lat0, lon0)), Some((lat1, lon1))) = (corner("lat0", "lon0")?, corner("lat1", "lon1")?) else {
        return Ok(0);
    };
    let widest_m = 1.5 * distance_m(lat0, lon0, lat1, lon1);
    let seconds = widest_m * 3.6 / config.max_speed_kmh.max(1.0);
    Ok((seconds * 1000.0).ceil() as i64 + 1000)
}

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scanned {
    /// Reads looked at (at most one batch); 0 when the scan has caught up.
    pub reads: usize,
    /// Pairs flagged.
    pub flagged: usize,
}

/// Looks at (a batch of) the reads stored since the last scan and flags impossible pairs. One
/// query finds the same plate's sightings near each read in capture time (one index lookup on
/// plate and time a read, no further off than the horizon); the nearest before and after are
/// chosen here, and the cameras' places come from a map of all cameras.
pub async fn scan(db: &Db, now: DateTime<Utc>, config: &CloneConfig) -> Result<Scanned, sqlx::Error> {
    let last: i64 = sqlx::query("SELECT last_read_id FROM clone_scan WHERE id = 1")
        .fetch_one(db.pool())
        .await?
        .try_get("last_read_id")?;
    // Neighbours further off in time than the horizon could not be flagged: bounding the
    // lookup by it on both sides keeps it to a day or two of partitions, not the year held nor
    // the empty days made ahead. One lookup a read rather than one each side: a batch of 5,000
    // reads of a day of three million took 24 ms, against 64 ms with two (docs/PERFORMANCE.md).
    let horizon = horizon_ms(db, config).await?;
    let places = places(db).await?;
    let place = |id: i64, at: i64, camera: i64| places.get(&camera).map(|&(lat, lon)| Sighting { id, at, lat, lon });
    let sql = format!(
        "SELECT r.id, r.plate, r.captured_at, r.camera_id, \
         n.id AS n_id, n.captured_at AS n_at, n.camera_id AS n_camera \
         FROM (SELECT id, plate, captured_at, camera_id FROM reads \
               WHERE id > $1 AND received_at <= $2 ORDER BY id LIMIT {SCAN_BATCH}) r \
         LEFT JOIN reads n ON n.plate = r.plate AND n.captured_at > r.captured_at - $3 \
           AND n.captured_at < r.captured_at + $4 AND n.id <> r.id"
    );
    let mut found = sqlx::query(&sql)
        .bind(last)
        .bind(to_millis(now - Duration::seconds(SETTLE_SECONDS)))
        .bind(horizon)
        .bind(horizon)
        .fetch(db.pool());
    // Each read of the batch (`None`: at a camera made since the map was taken, not placed).
    let mut scanning: BTreeMap<i64, Option<Scanning>> = BTreeMap::new();
    while let Some(row) = found.try_next().await? {
        let id: i64 = row.try_get("id")?;
        let held = match scanning.entry(id) {
            Entry::Occupied(held) => held.into_mut(),
            Entry::Vacant(new) => {
                let read = place(id, row.try_get("captured_at")?, row.try_get("camera_id")?);
                let plate = row.try_get("plate")?;
                new.insert(read.map(|read| Scanning { read, plate, earlier: None, later: None }))
            }
        };
        if let (Some(read), Some(n_id)) = (held, row.try_get::<Option<i64>, _>("n_id")?) {
            if let Some(other) = place(n_id, row.try_get("n_at")?, row.try_get("n_camera")?) {
                read.consider(other);
            }
        }
    }
    drop(found);
    // The pairs flagged, the scan's place and its record commit together, through the writer.
    let mut tx = db.begin().await?;
    let mut flagged = 0;
    let mut plates = Vec::new();
    let high = scanning.keys().next_back().copied().unwrap_or(last);
    for Scanning { read, plate, earlier, later } in scanning.values().flatten() {
        for (first, second) in [earlier.map(|b| (b, *read)), later.map(|a| (*read, a))].into_iter().flatten() {
            let distance = distance_m(first.lat, first.lon, second.lat, second.lon);
            let seconds = (second.at - first.at) as f64 / 1000.0;
            if impossible(config, distance, seconds) {
                let inserted = sqlx::query(
                    "INSERT INTO clone_pairs (plate, first_read_id, second_read_id, first_at, distance_m, seconds, \
                     flagged_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (first_read_id, second_read_id) DO NOTHING",
                )
                .bind(plate)
                .bind(first.id)
                .bind(second.id)
                .bind(first.at)
                .bind(distance)
                .bind(seconds)
                .bind(to_millis(now))
                .execute(tx.conn())
                .await?;
                if inserted.rows_affected() > 0 {
                    flagged += 1;
                    plates.push(plate.clone());
                }
            }
        }
    }
    sqlx::query("UPDATE clone_scan SET last_read_id = $1 WHERE id = 1").bind(high).execute(tx.conn()).await?;
    if flagged > 0 {
        audit::record(
            &mut tx,
            now,
            Event::new(Actor::system(), AuditAction::ClonePairsFlagged)
                .details(serde_json::json!({ "reads_scanned": scanning.len(), "pairs": flagged, "plates": plates })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Scanned { reads: scanning.len(), flagged })
}

/// The flagged pairs both of whose sightings are among `results` (the reads a search or watch
/// returned under its grant, R17), newest first.
pub async fn among(db: &Db, results: &[ReadView]) -> Result<Vec<ClonePair>, sqlx::Error> {
    let found: HashMap<i64, &ReadView> = results.iter().map(|r| (r.id, r)).collect();
    let ids: Vec<i64> = found.keys().copied().collect();
    let mut pairs = Vec::new();
    for chunk in ids.chunks(500) {
        let list: Vec<String> = (1..=chunk.len()).map(|n| db.backend().parameter(n)).collect();
        let sql = format!(
            "SELECT id, plate, first_read_id, second_read_id, distance_m, seconds, flagged_at FROM clone_pairs \
             WHERE first_read_id IN ({})",
            list.join(",")
        );
        let mut query = sqlx::query(&sql);
        for id in chunk {
            query = query.bind(*id);
        }
        for row in query.fetch_all(db.pool()).await? {
            let (Some(first), Some(second)) = (
                found.get(&row.try_get::<i64, _>("first_read_id")?),
                found.get(&row.try_get::<i64, _>("second_read_id")?),
            ) else {
                continue;
            };
            let distance: f64 = row.try_get("distance_m")?;
            let seconds: f64 = row.try_get("seconds")?;
            pairs.push(ClonePair {
                id: row.try_get("id")?,
                plate: row.try_get("plate")?,
                first: (*first).clone(),
                second: (*second).clone(),
                distance_km: distance / 1000.0,
                minutes: seconds / 60.0,
                speed_kmh: (seconds > 0.0).then(|| distance * 3.6 / seconds),
                flagged_at: from_millis(row.try_get("flagged_at")?),
            });
        }
    }
    pairs.sort_by_key(|p| std::cmp::Reverse((p.first.captured_at, p.id)));
    Ok(pairs)
}

/// Deletes the clone pairs whose first sighting was captured before `cutoff` (R18). Returns how
/// many.
pub(crate) async fn purge_before(tx: &mut Tx, cutoff: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM clone_pairs WHERE first_at < $1")
        .bind(to_millis(cutoff))
        .execute(tx.conn())
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_speed_limit_is_the_edge() {
        let config = CloneConfig { max_speed_kmh: 200.0, min_distance_km: 1.0, scan_seconds: 30 };
        // 100 km in 30 minutes is exactly 200 km/h: possible. A second less is not.
        assert!(!impossible(&config, 100_000.0, 1800.0));
        assert!(impossible(&config, 100_000.0, 1799.0));
        // Close sightings are never flagged, however little time lies between them.
        assert!(!impossible(&config, 999.0, 0.0));
        assert!(impossible(&config, 1000.0, 0.0));
    }

    #[test]
    fn the_neighbours_are_the_nearest_in_time_then_in_id() {
        let at = |id, at| Sighting { id, at, lat: 0.0, lon: 0.0 };
        let mut read = Scanning { read: at(10, 1000), plate: "AB12CDE".into(), earlier: None, later: None };
        for other in
            [at(1, 500), at(3, 999), at(2, 999), at(12, 1000), at(9, 1000), at(8, 1000), at(4, 1001), at(5, 2000)]
        {
            read.consider(other);
        }
        // Same time: an earlier id comes before, a later one after.
        assert_eq!(read.earlier.map(|s| s.id), Some(9));
        assert_eq!(read.later.map(|s| s.id), Some(12));
        let mut alone = Scanning { read: at(10, 1000), plate: "X".into(), earlier: None, later: None };
        alone.consider(at(3, 999));
        alone.consider(at(4, 1001));
        assert_eq!((alone.earlier.map(|s| s.id), alone.later.map(|s| s.id)), (Some(3), Some(4)));
    }
}
