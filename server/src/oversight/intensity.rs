//! How evenly the network watches (R23; an equality impact assessment's question): reads over
//! a period per camera, per grid cell of about 1 km and per zone, from the hourly counts
//! (figures only: no plate, no read, no user).

use super::Period;
use crate::outages::hour_of;
use crate::store::Db;
use shared::oversight::{CameraIntensity, CellIntensity, Count, Intensity, ZoneIntensity};
use sqlx::Row;
use std::collections::BTreeMap;

/// A kilometre in degrees of latitude.
const KM_LAT: f64 = 1.0 / 111.32;

/// The period's reads per camera (every camera that is approved or read in it), grid cell and
/// zone, each count below `min_count` withheld.
pub async fn intensity(db: &Db, period: Period, min_count: i64) -> Result<Intensity, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT c.id, c.name, c.zone, c.lat, c.lon, CAST(COALESCE(h.reads, 0) AS BIGINT) AS reads FROM cameras c \
         LEFT JOIN (SELECT camera_id, SUM(reads) AS reads FROM camera_hours WHERE hour >= $1 AND hour < $2 \
                    GROUP BY camera_id) h ON h.camera_id = c.id \
         WHERE c.status = 'approved' OR h.reads > 0 ORDER BY c.id",
    )
    .bind(hour_of(period.start))
    .bind(hour_of(period.end))
    .fetch_all(db.pool())
    .await?;
    let mut cameras = Vec::with_capacity(rows.len());
    let mut raw = Vec::with_capacity(rows.len());
    for row in &rows {
        let reads: i64 = row.try_get("reads")?;
        let (lat, lon): (f64, f64) = (row.try_get("lat")?, row.try_get("lon")?);
        let zone: String = row.try_get("zone")?;
        raw.push((lat, lon, zone.clone(), reads));
        cameras.push(CameraIntensity {
            camera_id: row.try_get("id")?,
            name: row.try_get("name")?,
            zone,
            lat,
            lon,
            reads: Count::shown(reads, min_count),
        });
    }
    // Cells as square as the network's middle latitude allows.
    let mid_lat = if raw.is_empty() { 51.5 } else { raw.iter().map(|r| r.0).sum::<f64>() / raw.len() as f64 };
    let cell_lat = KM_LAT;
    let cell_lon = KM_LAT / mid_lat.to_radians().cos().max(0.1);
    let mut cells: BTreeMap<(i64, i64), (i64, i64)> = BTreeMap::new();
    let mut zones: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for (lat, lon, zone, reads) in raw {
        let key = ((lat / cell_lat).floor() as i64, (lon / cell_lon).floor() as i64);
        for slot in [cells.entry(key).or_default(), zones.entry(zone).or_default()] {
            slot.0 += 1;
            slot.1 += reads;
        }
    }
    Ok(Intensity {
        from: period.from,
        to: period.to,
        cell_lat,
        cell_lon,
        cameras,
        cells: cells
            .into_iter()
            .map(|((row, col), (n, reads))| CellIntensity {
                south: row as f64 * cell_lat,
                west: col as f64 * cell_lon,
                cameras: n,
                reads: Count::shown(reads, min_count),
            })
            .collect(),
        zones: zones
            .into_iter()
            .map(|(zone, (n, reads))| ZoneIntensity { zone, cameras: n, reads: Count::shown(reads, min_count) })
            .collect(),
    })
}
