//! Each camera's reads per hour, and its outages (R3; R23's technical difficulties). A scan
//! counts the reads stored since the last one into `camera_hours` (figures, no plates, kept
//! beyond the reads' retention), ends the outages of cameras that read again, and opens one for
//! each approved camera that is silent for longer than is usual for it at those hours, or whose
//! reads are being refused with none accepted. This module owns `camera_hours`, `outage_scan`,
//! `outage_refusals` and `camera_outages`.

use crate::clock::{from_millis, to_millis};
use crate::config::OutageConfig;
use crate::store::{decode, Db, Tx};
use chrono::{DateTime, Duration, Utc};
use shared::cameras::{CameraHours, OutageKind, OutageView, OutagesQuery};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::HashMap;

const HOUR_MS: i64 = 3_600_000;
/// Reads counted a batch at a time (a backlog after downtime included).
const BATCH: i64 = 50_000;
/// Reads received this recently may still be committing out of id order: counted next time.
const SETTLE_SECONDS: i64 = 5;

/// The hour (since the epoch, UTC) `ms` falls in.
pub fn hour_of(ms: i64) -> i64 {
    ms.div_euclid(HOUR_MS)
}

/// What one scan did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Scanned {
    pub reads: usize,
    pub opened: usize,
    pub ended: usize,
}

/// Counts the reads stored since the last scan, ends the outages of cameras that read again and
/// opens those of cameras now out. Runs on one server at a time.
pub async fn scan(db: &Db, now: DateTime<Utc>, config: &OutageConfig) -> Result<Scanned, sqlx::Error> {
    let mut done = Scanned::default();
    loop {
        let (reads, ended) = count(db, now).await?;
        done.reads += reads;
        done.ended += ended;
        if reads < BATCH as usize {
            break;
        }
    }
    done.opened = detect(db, now, config).await?;
    Ok(done)
}

/// Counts one batch of newly stored reads into their cameras' hours, and ends the open outages
/// of cameras with a read captured after the outage began (at that read). Returns the reads
/// counted and the outages ended.
async fn count(db: &Db, now: DateTime<Utc>) -> Result<(usize, usize), sqlx::Error> {
    let last: i64 = sqlx::query("SELECT last_read_id FROM outage_scan WHERE id = 1")
        .fetch_one(db.pool())
        .await?
        .try_get("last_read_id")?;
    let rows = sqlx::query(&format!(
        "SELECT id, camera_id, captured_at FROM reads WHERE id > $1 AND received_at <= $2 ORDER BY id LIMIT {BATCH}"
    ))
    .bind(last)
    .bind(to_millis(now - Duration::seconds(SETTLE_SECONDS)))
    .fetch_all(db.pool())
    .await?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let mut hours: HashMap<(i64, i64), (i64, i64)> = HashMap::new();
    let mut captured: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut high = last;
    for row in &rows {
        let (id, camera, at): (i64, i64, i64) =
            (row.try_get("id")?, row.try_get("camera_id")?, row.try_get("captured_at")?);
        high = high.max(id);
        let slot = hours.entry((camera, hour_of(at))).or_insert((0, at));
        slot.0 += 1;
        slot.1 = slot.1.max(at);
        captured.entry(camera).or_default().push(at);
    }
    let mut tx = db.begin().await?;
    let mut keys: Vec<_> = hours.keys().copied().collect();
    // In key order, so two scans (never at once, but a manual one beside the server's) queue.
    keys.sort_unstable();
    for (camera, hour) in keys {
        let (reads, last_at) = hours[&(camera, hour)];
        sqlx::query(
            "INSERT INTO camera_hours (camera_id, hour, reads, last_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (camera_id, hour) DO UPDATE SET reads = camera_hours.reads + excluded.reads, \
             last_at = CASE WHEN excluded.last_at > camera_hours.last_at THEN excluded.last_at ELSE camera_hours.last_at END",
        )
        .bind(camera)
        .bind(hour)
        .bind(reads)
        .bind(last_at)
        .execute(tx.conn())
        .await?;
    }
    let ended = end_outages(&mut tx, &captured).await?;
    sqlx::query("UPDATE outage_scan SET last_read_id = $1 WHERE id = 1").bind(high).execute(tx.conn()).await?;
    tx.commit().await?;
    Ok((rows.len(), ended))
}

/// Ends each open outage of a camera in `captured` (its newly stored reads' capture times): a
/// silent camera's at its first read captured after it fell silent; a refusing camera's at its
/// first read accepted since (a camera may send what it held back, captured earlier).
async fn end_outages(tx: &mut Tx, captured: &HashMap<i64, Vec<i64>>) -> Result<usize, sqlx::Error> {
    let open = sqlx::query("SELECT id, camera_id, kind, started_at FROM camera_outages WHERE ended_at IS NULL")
        .fetch_all(tx.conn())
        .await?;
    let mut ended = 0;
    for row in &open {
        let (id, camera, started): (i64, i64, i64) =
            (row.try_get("id")?, row.try_get("camera_id")?, row.try_get("started_at")?);
        let refusing = row.try_get::<String, _>("kind")? == OutageKind::Refusing.as_str();
        let Some(times) = captured.get(&camera) else { continue };
        let first = if refusing {
            times.iter().copied().min().map(|t| t.max(started))
        } else {
            times.iter().copied().filter(|&t| t > started).min()
        };
        let Some(at) = first else { continue };
        sqlx::query("UPDATE camera_outages SET ended_at = $1 WHERE id = $2")
            .bind(at)
            .bind(id)
            .execute(tx.conn())
            .await?;
        ended += 1;
    }
    Ok(ended)
}

/// The reads `rates` (reads per hour, by hour of the day) would bring between `from` and `to`.
pub fn expected_between(rates: &[f64; 24], from: i64, to: i64) -> f64 {
    let mut expected = 0.0;
    let mut at = from;
    while at < to {
        let hour = hour_of(at);
        let end = ((hour + 1) * HOUR_MS).min(to);
        expected += rates[hour.rem_euclid(24) as usize] * (end - at) as f64 / HOUR_MS as f64;
        at = end;
    }
    expected
}

/// Opens an outage for each approved camera without one that is silent beyond what is usual
/// for it, or refusing reads with none accepted since the last look. Returns how many opened.
async fn detect(db: &Db, now: DateTime<Utc>, config: &OutageConfig) -> Result<usize, sqlx::Error> {
    let now_ms = to_millis(now);
    let this_hour = hour_of(now_ms);
    let days = config.usual_days.max(1);
    let since = this_hour - 24 * days;
    let mut rates: HashMap<i64, [f64; 24]> = HashMap::new();
    let mut last_read: HashMap<i64, i64> = HashMap::new();
    for row in sqlx::query("SELECT camera_id, hour, reads, last_at FROM camera_hours WHERE hour >= $1")
        .bind(since)
        .fetch_all(db.pool())
        .await?
    {
        let (camera, hour, reads, last_at): (i64, i64, i64, i64) =
            (row.try_get("camera_id")?, row.try_get("hour")?, row.try_get("reads")?, row.try_get("last_at")?);
        if hour < this_hour {
            rates.entry(camera).or_insert([0.0; 24])[hour.rem_euclid(24) as usize] += reads as f64 / days as f64;
        }
        let seen = last_read.entry(camera).or_insert(last_at);
        *seen = (*seen).max(last_at);
    }
    let cameras = sqlx::query(
        "SELECT c.id, c.refused_reads, f.refused AS seen, \
         (SELECT COUNT(*) FROM camera_outages o WHERE o.camera_id = c.id AND o.ended_at IS NULL) AS open \
         FROM cameras c LEFT JOIN outage_refusals f ON f.camera_id = c.id WHERE c.status = 'approved'",
    )
    .fetch_all(db.pool())
    .await?;
    let previous: Option<i64> = sqlx::query("SELECT scanned_at FROM outage_scan WHERE id = 1")
        .fetch_one(db.pool())
        .await?
        .try_get("scanned_at")?;
    let mut tx = db.begin().await?;
    let mut opened = 0;
    for row in &cameras {
        let (camera, refused): (i64, i64) = (row.try_get("id")?, row.try_get("refused_reads")?);
        let seen: Option<i64> = row.try_get("seen")?;
        let open: i64 = row.try_get("open")?;
        let last = last_read.get(&camera).copied();
        if open == 0 {
            let refused_since = refused - seen.unwrap_or(refused);
            let accepted_since = match (last, previous) {
                (Some(last), Some(previous)) => last > previous,
                (Some(_), None) => true,
                (None, _) => false,
            };
            let silent = match (last, rates.get(&camera)) {
                (Some(last), Some(rates)) => {
                    let expected = expected_between(rates, last, now_ms);
                    (expected >= config.min_expected && now_ms - last >= config.floor_minutes * 60_000)
                        .then_some((last, expected))
                }
                _ => None,
            };
            if let Some((last, expected)) = silent {
                open_outage(&mut tx, camera, OutageKind::Silent, last, now_ms, expected, 0).await?;
                opened += 1;
            } else if refused_since >= config.refused_min.max(1) && !accepted_since {
                let started = previous.unwrap_or(now_ms);
                open_outage(&mut tx, camera, OutageKind::Refusing, started, now_ms, 0.0, refused_since).await?;
                opened += 1;
            }
        }
        if seen != Some(refused) {
            sqlx::query(
                "INSERT INTO outage_refusals (camera_id, refused) VALUES ($1, $2) \
                 ON CONFLICT (camera_id) DO UPDATE SET refused = excluded.refused",
            )
            .bind(camera)
            .bind(refused)
            .execute(tx.conn())
            .await?;
        }
    }
    sqlx::query("UPDATE outage_scan SET scanned_at = $1 WHERE id = 1").bind(now_ms).execute(tx.conn()).await?;
    tx.commit().await?;
    if opened > 0 {
        tracing::warn!(opened, "camera outages began");
    }
    Ok(opened)
}

async fn open_outage(
    tx: &mut Tx,
    camera: i64,
    kind: OutageKind,
    started: i64,
    detected: i64,
    expected: f64,
    refused: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO camera_outages (camera_id, kind, started_at, detected_at, expected_reads, refused_reads) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(camera)
    .bind(kind.as_str())
    .bind(started)
    .bind(detected)
    .bind(expected)
    .bind(refused)
    .execute(tx.conn())
    .await?;
    Ok(())
}

const OUTAGE_COLUMNS: &str = "o.id, o.camera_id, c.name AS camera, f.name AS feed, c.zone, c.lat, c.lon, o.kind, \
     o.started_at, o.detected_at, o.ended_at, o.expected_reads, o.refused_reads";
const OUTAGE_FROM: &str = "camera_outages o JOIN cameras c ON c.id = o.camera_id JOIN feeds f ON f.id = c.feed_id";

fn outage_from_row(row: &AnyRow) -> Result<OutageView, sqlx::Error> {
    Ok(OutageView {
        id: row.try_get("id")?,
        camera_id: row.try_get("camera_id")?,
        camera: row.try_get("camera")?,
        feed: row.try_get("feed")?,
        zone: row.try_get("zone")?,
        lat: row.try_get("lat")?,
        lon: row.try_get("lon")?,
        kind: decode("kind", &row.try_get::<String, _>("kind")?, OutageKind::parse)?,
        started_at: from_millis(row.try_get("started_at")?),
        detected_at: from_millis(row.try_get("detected_at")?),
        ended_at: row.try_get::<Option<i64>, _>("ended_at")?.map(from_millis),
        expected_reads: row.try_get("expected_reads")?,
        refused_reads: row.try_get("refused_reads")?,
    })
}

/// The open outages, or those overlapping a period (the newest first; at most 1000).
pub async fn list(db: &Db, query: &OutagesQuery) -> Result<Vec<OutageView>, sqlx::Error> {
    let rows = if query.open {
        sqlx::query(&format!(
            "SELECT {OUTAGE_COLUMNS} FROM {OUTAGE_FROM} WHERE o.ended_at IS NULL ORDER BY o.started_at DESC, o.id DESC"
        ))
        .fetch_all(db.pool())
        .await?
    } else {
        let from = query.from.map_or(i64::MIN, to_millis);
        let to = query.to.map_or(i64::MAX, to_millis);
        sqlx::query(&format!(
            "SELECT {OUTAGE_COLUMNS} FROM {OUTAGE_FROM} WHERE o.started_at < $1 AND (o.ended_at IS NULL OR o.ended_at > $2) \
             ORDER BY o.started_at DESC, o.id DESC LIMIT 1000"
        ))
        .bind(to)
        .bind(from)
        .fetch_all(db.pool())
        .await?
    };
    rows.iter().map(outage_from_row).collect()
}

/// Camera `camera_id`'s reads per hour over the last `days` days up to `now`'s hour.
pub async fn hours(db: &Db, now: DateTime<Utc>, camera_id: i64, days: i64) -> Result<CameraHours, sqlx::Error> {
    let last = hour_of(to_millis(now));
    let first = last - 24 * days + 1;
    let mut reads = vec![0; (last - first + 1) as usize];
    for row in sqlx::query("SELECT hour, reads FROM camera_hours WHERE camera_id = $1 AND hour >= $2 AND hour <= $3")
        .bind(camera_id)
        .bind(first)
        .bind(last)
        .fetch_all(db.pool())
        .await?
    {
        let hour: i64 = row.try_get("hour")?;
        reads[(hour - first) as usize] = row.try_get("reads")?;
    }
    Ok(CameraHours { camera_id, from: from_millis(first * HOUR_MS), reads })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_reads_follow_the_hours_they_span() {
        let mut rates = [0.0; 24];
        rates[9] = 60.0;
        rates[10] = 6.0;
        // From 09:30 to 10:30 on the epoch's first day: half an hour at 60, half at 6.
        let at = |h: f64| (h * HOUR_MS as f64) as i64;
        assert!((expected_between(&rates, at(9.5), at(10.5)) - 33.0).abs() < 1e-9);
        assert_eq!(expected_between(&rates, at(3.0), at(5.0)), 0.0, "quiet hours expect nothing");
        // A day later, the same hours of the day.
        assert!((expected_between(&rates, at(33.0), at(34.0)) - 60.0).abs() < 1e-9);
    }
}
