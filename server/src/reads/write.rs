//! Writing `reads`: this module alone inserts reads, puts a final in its preview's place,
//! records a verdict and purges (one owner a table). Each write that gives a read a plate notes
//! the plate's day itself (`days::note_seen`), so no caller can store a read that plate
//! searches then miss (R5, R16).

use crate::clock::to_millis;
use crate::reads::days;
use crate::store::{Backend, Db, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use shared::plate::Plate;
use shared::verification::Verdict;
use shared::NativeRead;
use sqlx::Row;
use std::collections::HashMap;

/// Parameters per stored read.
const READ_PARAMETERS: usize = 16;
/// Rows per INSERT statement (250 × 16 parameters stays far below both databases' limits).
const ROWS_PER_INSERT: usize = 250;

/// A read to store, with where it came from and where its images are held.
pub struct NewRead<'a> {
    pub feed_id: i64,
    pub camera_id: i64,
    pub read: &'a NativeRead,
    pub received_at: DateTime<Utc>,
    pub plate_image: Option<&'a str>,
    pub overview_image: Option<&'a str>,
    /// The engine's name for the first frame the vehicle was seen in, when it names frames.
    pub source_key: Option<&'a str>,
    /// A preview, to be replaced by its final (R1).
    pub provisional: bool,
}

impl NewRead<'_> {
    fn seen(&self) -> (String, i64) {
        (self.read.plate.skeleton(), to_millis(self.read.captured_at))
    }
}

/// Binds a read's stored fields, in the order both the insert and a preview's replacement name
/// them: camera, plate, capture and receipt times, confidence, direction, lane, make, model,
/// colour, image keys, plate skeleton.
fn bind_read<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    new: &'q NewRead<'q>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let r = new.read;
    query
        .bind(new.camera_id)
        .bind(r.plate.as_str())
        .bind(to_millis(r.captured_at))
        .bind(to_millis(new.received_at))
        .bind(r.confidence)
        .bind(r.direction.as_deref())
        .bind(r.lane.map(i64::from))
        .bind(r.make.as_deref())
        .bind(r.model.as_deref())
        .bind(r.colour.as_deref())
        .bind(new.plate_image)
        .bind(new.overview_image)
        .bind(r.plate.skeleton())
}

/// Stores `reads`, skipping any already held (same feed, camera, capture time and plate; the
/// same read twice in `reads` is the first's). Returns the place in `reads` and the new id of
/// each one stored, and notes their days.
pub async fn insert(tx: &mut Tx, reads: &[NewRead<'_>]) -> Result<Vec<(usize, i64)>, sqlx::Error> {
    let mut inserted = Vec::with_capacity(reads.len());
    for (chunk_no, rows) in reads.chunks(ROWS_PER_INSERT).enumerate() {
        let mut sql = String::from(
            "INSERT INTO reads (feed_id, camera_id, plate, captured_at, received_at, confidence, direction, lane, \
             make, model, colour, plate_image, overview_image, plate_skeleton, source_key, provisional) VALUES ",
        );
        for i in 0..rows.len() {
            let b = i * READ_PARAMETERS;
            sql.push_str(if i == 0 { "(" } else { ",(" });
            sql.push_str(&(1..=READ_PARAMETERS).map(|k| tx.backend().parameter(b + k)).collect::<Vec<_>>().join(","));
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (camera_id, captured_at, plate, feed_id) DO NOTHING \
             RETURNING id, feed_id, camera_id, plate, captured_at",
        );
        let mut query = sqlx::query(&sql);
        for new in rows {
            query = bind_read(query.bind(new.feed_id), new).bind(new.source_key).bind(i64::from(new.provisional));
        }
        let returned = query.fetch_all(tx.conn()).await?;
        let mut by_key: HashMap<(i64, i64, &str, i64), usize> = HashMap::new();
        for (i, new) in rows.iter().enumerate().rev() {
            let key = (new.feed_id, new.camera_id, new.read.plate.as_str(), to_millis(new.read.captured_at));
            by_key.insert(key, chunk_no * ROWS_PER_INSERT + i);
        }
        for row in returned {
            let plate: String = row.try_get("plate")?;
            let key = (row.try_get("feed_id")?, row.try_get("camera_id")?, plate.as_str(), row.try_get("captured_at")?);
            if let Some(place) = by_key.get(&key) {
                inserted.push((*place, row.try_get("id")?));
            }
        }
    }
    // In the order sent: Citus returns each shard's rows in turn, not the rows' order.
    inserted.sort_unstable_by_key(|(place, _)| *place);
    days::note_seen(tx, inserted.iter().map(|(place, _)| reads[*place].seen())).await?;
    Ok(inserted)
}

/// A stored read naming one of a sighting's frames.
pub struct HeldSighting {
    pub id: i64,
    pub provisional: bool,
    /// The image keys it holds.
    pub images: Vec<String>,
}

/// The first stored read of `feed_id` that names one of `frames`, if any.
pub async fn held_sighting(db: &Db, feed_id: i64, frames: &[String]) -> Result<Option<HeldSighting>, sqlx::Error> {
    let marks = (0..frames.len()).map(|i| db.backend().parameter(i + 2)).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT id, provisional, plate_image, overview_image FROM reads WHERE feed_id = $1 AND source_key IN ({marks}) \
         ORDER BY id LIMIT 1"
    );
    let mut query = sqlx::query(&sql).bind(feed_id);
    for frame in frames {
        query = query.bind(frame);
    }
    let Some(row) = query.fetch_optional(db.pool()).await? else { return Ok(None) };
    let images = ["plate_image", "overview_image"]
        .into_iter()
        .filter_map(|c| row.try_get::<Option<String>, _>(c).transpose())
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(HeldSighting { id: row.try_get("id")?, provisional: row.try_get::<i64, _>("provisional")? == 1, images }))
}

/// Puts `new` in the place of preview `id` (same id, so alerts and searches that found the
/// preview find the final), unless it would collide with another stored read; notes its day.
/// Whether it did.
pub async fn replace_preview(tx: &mut Tx, id: i64, new: &NewRead<'_>) -> Result<bool, sqlx::Error> {
    let r = new.read;
    let collides: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM reads WHERE plate = $1 AND camera_id = $2 AND captured_at = $3 AND feed_id = $4 AND id <> $5 \
         LIMIT 1",
    )
    .bind(r.plate.as_str())
    .bind(new.camera_id)
    .bind(to_millis(r.captured_at))
    .bind(new.feed_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    if collides.is_some() {
        return Ok(false);
    }
    // On PostgreSQL a final that reads the plate otherwise than its preview moves the read:
    // copied under its id, then the preview deleted. On Citus a read's plate places it on its
    // shard and is never updated (the final may belong on another shard); one path for both.
    let postgres = tx.backend() == Backend::Postgres;
    let mut replaced = false;
    if postgres {
        let copy = sqlx::query(
            "INSERT INTO reads (id, feed_id, camera_id, plate, captured_at, received_at, confidence, direction, lane, \
             make, model, colour, plate_image, overview_image, plate_skeleton, verdict, corrected_plate, \
             corrected_skeleton, source_key, provisional) \
             SELECT id, feed_id, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, verdict, corrected_plate, \
             corrected_skeleton, source_key, 0 FROM reads WHERE id = $14 AND provisional = 1 AND plate <> $2",
        );
        replaced = bind_read(copy, new).bind(id).execute(tx.conn()).await?.rows_affected() == 1;
        if replaced {
            sqlx::query("DELETE FROM reads WHERE id = $1 AND provisional = 1").bind(id).execute(tx.conn()).await?;
        }
    }
    if !replaced {
        // The plate as it is (PostgreSQL: what is left to update holds it already).
        let same_plate = if postgres { " AND plate = $2" } else { "" };
        let update = format!(
            "UPDATE reads SET camera_id = $1, plate = $2, captured_at = $3, received_at = $4, confidence = $5, \
             direction = $6, lane = $7, make = $8, model = $9, colour = $10, plate_image = $11, overview_image = $12, \
             plate_skeleton = $13, provisional = 0 WHERE id = $14 AND provisional = 1{same_plate}"
        );
        replaced = bind_read(sqlx::query(&update), new).bind(id).execute(tx.conn()).await?.rows_affected() == 1;
    }
    if replaced {
        days::note_seen(tx, [new.seen()]).await?;
    }
    Ok(replaced)
}

/// Records the latest verdict on read `id`, captured at `captured_at`, with its correction: from
/// now on it is found by the corrected plate too (R15, R16), on its day.
pub async fn record_verdict(
    tx: &mut Tx,
    id: i64,
    captured_at: DateTime<Utc>,
    verdict: Verdict,
    corrected: Option<&Plate>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE reads SET verdict = $1, corrected_plate = $2, corrected_skeleton = $3 WHERE id = $4")
        .bind(verdict.as_str())
        .bind(corrected.map(|p| p.as_str()))
        .bind(corrected.map(|p| p.skeleton()))
        .bind(id)
        .execute(tx.conn())
        .await?;
    days::note_seen(tx, corrected.map(|p| (p.skeleton(), to_millis(captured_at)))).await
}

/// What purging the reads before a cutoff takes: counted and noted in the purge's transaction,
/// the whole days' partitions dropped as its last act ([`Purged::drop_days`]).
#[derive(Debug, Default)]
pub struct Purged {
    pub reads: u64,
    /// Whole days past the cutoff, whose partitions go (PostgreSQL).
    pub whole_days: Vec<NaiveDate>,
    /// Image keys of the purged reads on the cutoff's own day, whose prefix also holds newer
    /// reads' images: deleted one by one.
    pub partial_day_images: Vec<String>,
}

/// Purges the reads captured before `cutoff` (R18): the cutoff's own day row by row (SQLite:
/// every day), whole days by their partitions when [`Purged::drop_days`] runs. Rows of other
/// tables on these reads are their owners' to purge first.
pub async fn purge_before(tx: &mut Tx, cutoff: DateTime<Utc>) -> Result<Purged, sqlx::Error> {
    let cutoff_ms = to_millis(cutoff);
    let cutoff_date = days::day_of(cutoff);
    let (cutoff_day_start, _) = days::bounds(cutoff_date);
    let rows =
        sqlx::query("SELECT plate_image, overview_image FROM reads WHERE captured_at >= $1 AND captured_at < $2")
            .bind(cutoff_day_start)
            .bind(cutoff_ms)
            .fetch_all(tx.conn())
            .await?;
    let mut purged = Purged::default();
    for row in rows {
        for column in ["plate_image", "overview_image"] {
            if let Some(key) = row.try_get::<Option<String>, _>(column)? {
                purged.partial_day_images.push(key);
            }
        }
    }

    // Whole days past the cutoff go with their partitions, at the end of the transaction (the
    // detach holds every other writer off `reads` until the commit): counted here.
    purged.whole_days = days::partitions(tx).await?.into_iter().filter(|d| *d < cutoff_date).collect();
    if !purged.whole_days.is_empty() {
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM reads WHERE captured_at < $1")
            .bind(cutoff_day_start)
            .fetch_one(tx.conn())
            .await?
            .try_get("n")?;
        purged.reads = n as u64;
    }
    days::forget_seen_before(tx, cutoff_date).await?;
    let row_by_row_from = if purged.whole_days.is_empty() { i64::MIN } else { cutoff_day_start };
    // One statement: the cutoff's day is one partition (PostgreSQL), looked at once.
    purged.reads += sqlx::query("DELETE FROM reads WHERE captured_at >= $1 AND captured_at < $2")
        .bind(row_by_row_from)
        .bind(cutoff_ms)
        .execute(tx.conn())
        .await?
        .rows_affected();
    Ok(purged)
}

impl Purged {
    /// Drops the whole days' partitions: the purge transaction's last act.
    pub async fn drop_days(&self, tx: &mut Tx) -> Result<(), sqlx::Error> {
        for day in &self.whole_days {
            days::drop_day(tx, *day).await?;
        }
        Ok(())
    }
}
