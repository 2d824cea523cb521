//! Stored reads: how a row becomes a [`ReadView`], the days they were read on, and the one
//! place that writes them ([`write`]). Reads leave the server only through the read gate
//! ([`crate::gate::Reached`]) or a search's own results under its grant.

pub mod days;
pub mod synthetic;
pub mod write;

use crate::clock::from_millis;
use crate::store::{decode, Db};
use shared::verification::Verdict;
use shared::{ImageKind, ReadView};
use sqlx::any::AnyRow;
use sqlx::Row;

/// A read's columns, from `reads r JOIN cameras c`.
pub const READ_COLUMNS: &str = "r.id, r.plate, r.captured_at, r.camera_id, c.name AS camera_name, c.lat, c.lon, \
     r.confidence, r.direction, r.lane, r.make, r.model, r.colour, r.plate_image, r.overview_image, r.verdict, r.corrected_plate";

pub fn read_from_row(row: &AnyRow) -> Result<ReadView, sqlx::Error> {
    Ok(ReadView {
        id: row.try_get("id")?,
        plate: row.try_get("plate")?,
        captured_at: from_millis(row.try_get("captured_at")?),
        camera_id: row.try_get("camera_id")?,
        camera_name: row.try_get("camera_name")?,
        lat: row.try_get("lat")?,
        lon: row.try_get("lon")?,
        confidence: row.try_get("confidence")?,
        direction: row.try_get("direction")?,
        lane: row.try_get("lane")?,
        make: row.try_get("make")?,
        model: row.try_get("model")?,
        colour: row.try_get("colour")?,
        has_plate_image: row.try_get::<Option<String>, _>("plate_image")?.is_some(),
        has_overview_image: row.try_get::<Option<String>, _>("overview_image")?.is_some(),
        verdict: row
            .try_get::<Option<String>, _>("verdict")?
            .map(|v| decode("verdict", &v, Verdict::parse))
            .transpose()?,
        corrected_plate: row.try_get("corrected_plate")?,
    })
}

/// How many reads are stored, all told.
pub async fn count_stored(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query("SELECT COUNT(*) AS n FROM reads").fetch_one(db.pool()).await?.try_get("n")
}

/// Reads another server stored, for this server's live channel only: each live-time watch takes
/// from that channel just the reads its grant permits (R4), as it does with reads ingested here.
pub(crate) async fn for_live_channel(db: &Db, ids: &[i64]) -> Result<Vec<ReadView>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks = (1..=ids.len()).map(|i| db.backend().parameter(i)).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT {READ_COLUMNS} FROM reads r JOIN cameras c ON c.id = r.camera_id WHERE r.id IN ({marks}) ORDER BY r.id"
    );
    let mut query = sqlx::query(&sql);
    for id in ids {
        query = query.bind(id);
    }
    query.fetch_all(db.pool()).await?.iter().map(read_from_row).collect()
}

/// The image key of `kind` on row `id` of `table` (reads, or the evidence locker's copies,
/// which keep the same columns).
pub(crate) async fn stored_image_key(
    db: &Db,
    table: &str,
    id: i64,
    kind: ImageKind,
) -> Result<Option<String>, sqlx::Error> {
    let column = match kind {
        ImageKind::Plate => "plate_image",
        ImageKind::Overview => "overview_image",
    };
    let row = sqlx::query(&format!("SELECT {column} AS image_key FROM {table} WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(row.map(|r| r.try_get::<Option<String>, _>("image_key")).transpose()?.flatten())
}
