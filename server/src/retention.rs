//! The retention purge (R18): reads and their images older than the retention period are
//! deleted; alerts and clone pairs on them go with them, and their verifications keep only
//! what the yearly figures count (R23). Images go by whole day prefixes; the day the cutoff
//! falls in loses the purged reads' images one by one. The evidence locker holds its own copies
//! (R19), so nothing it holds is touched. Each run is recorded and audited with its counts (R21).

use crate::audit::{self, Actor, Event};
use crate::clock::to_millis;
use crate::config::AccessConfig;
use crate::imagery::store::Images;
use crate::search::grant::retention_cutoff;
use crate::store::Db;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use shared::AuditAction;
use sqlx::Row;

/// Reads deleted per statement, so that no transaction grows without bound.
const CHUNK: i64 = 5000;

/// What one purge run deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub cutoff: DateTime<Utc>,
    pub reads: u64,
    pub images: u64,
    pub day_prefixes: u64,
    pub alerts: u64,
    pub clone_pairs: u64,
    pub verifications_blanked: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("image store: {0}")]
    Images(#[from] object_store::Error),
}

/// Deletes everything captured before the retention cutoff at `now`.
pub async fn purge(
    db: &Db,
    images: &Images,
    now: DateTime<Utc>,
    policy: &AccessConfig,
) -> Result<PurgeReport, PurgeError> {
    let cutoff = retention_cutoff(policy, now);
    let cutoff_ms = to_millis(cutoff);
    let mut report = PurgeReport { cutoff, ..PurgeReport::default() };

    report.alerts = sqlx::query("DELETE FROM alerts WHERE read_id IN (SELECT id FROM reads WHERE captured_at < $1)")
        .bind(cutoff_ms)
        .execute(db.pool())
        .await?
        .rows_affected();
    // A pair's first sighting is its older one.
    report.clone_pairs = sqlx::query("DELETE FROM clone_pairs WHERE first_at < $1")
        .bind(cutoff_ms)
        .execute(db.pool())
        .await?
        .rows_affected();
    report.verifications_blanked = sqlx::query(
        "UPDATE verifications SET plate_before = NULL, corrected_plate = NULL, reason = NULL \
         WHERE read_captured_at < $1 AND (plate_before IS NOT NULL OR corrected_plate IS NOT NULL OR reason IS NOT NULL)",
    )
    .bind(cutoff_ms)
    .execute(db.pool())
    .await?
    .rows_affected();

    // Images of purged reads on the cutoff's own day: that day's prefix also holds newer reads.
    let day_start = cutoff.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let rows =
        sqlx::query("SELECT plate_image, overview_image FROM reads WHERE captured_at >= $1 AND captured_at < $2")
            .bind(to_millis(day_start))
            .bind(cutoff_ms)
            .fetch_all(db.pool())
            .await?;
    let mut partial_day = Vec::new();
    for row in rows {
        for column in ["plate_image", "overview_image"] {
            if let Some(key) = row.try_get::<Option<String>, _>(column)? {
                partial_day.push(key);
            }
        }
    }

    loop {
        let deleted = sqlx::query(&format!(
            "DELETE FROM reads WHERE id IN (SELECT id FROM reads WHERE captured_at < $1 LIMIT {CHUNK})"
        ))
        .bind(cutoff_ms)
        .execute(db.pool())
        .await?
        .rows_affected();
        report.reads += deleted;
        if deleted == 0 {
            break;
        }
    }

    for key in &partial_day {
        images.delete(key).await?;
        report.images += 1;
    }
    let cutoff_day = cutoff.format("%Y-%m-%d").to_string();
    for day in images.read_days().await? {
        if day < cutoff_day {
            report.images += images.delete_day(&day).await? as u64;
            report.day_prefixes += 1;
        }
    }

    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO purge_runs (at, cutoff, reads, images, day_prefixes, alerts, clone_pairs) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(to_millis(now))
    .bind(cutoff_ms)
    .bind(report.reads as i64)
    .bind(report.images as i64)
    .bind(report.day_prefixes as i64)
    .bind(report.alerts as i64)
    .bind(report.clone_pairs as i64)
    .execute(tx.conn())
    .await?;
    audit::record(&mut tx, now, Event::new(Actor::system(), AuditAction::RetentionPurged).details(json!(report)))
        .await?;
    tx.commit().await?;
    Ok(report)
}
