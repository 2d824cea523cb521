//! The retention purge (R18): reads and their images older than the retention period are
//! deleted; alerts and clone pairs on them go with them, and their verifications keep only
//! what the yearly figures count (R23). On PostgreSQL each day wholly past the cutoff goes by
//! detaching and dropping its partition (reads::days); only the day the cutoff falls in loses
//! its purged reads row by row (SQLite deletes every purged read so). Images go by whole day
//! prefixes; the cutoff's own day loses the purged reads' images one by one. The evidence
//! locker holds its own copies (R19), so nothing it holds is touched. Each run is recorded and audited with its counts (R21).

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

/// What one purge run deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    pub cutoff: DateTime<Utc>,
    pub reads: u64,
    /// Whole days whose partition was dropped (PostgreSQL).
    pub days_dropped: u64,
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

    // The erasure and its record commit together (R21): one transaction, through the writer.
    let mut tx = db.begin().await?;
    report.alerts = sqlx::query(
        "DELETE FROM alerts WHERE EXISTS (SELECT 1 FROM reads r WHERE r.id = alerts.read_id AND r.captured_at < $1)",
    )
    .bind(cutoff_ms)
    .execute(tx.conn())
    .await?
    .rows_affected();
    // A pair's first sighting is its older one.
    report.clone_pairs = sqlx::query("DELETE FROM clone_pairs WHERE first_at < $1")
        .bind(cutoff_ms)
        .execute(tx.conn())
        .await?
        .rows_affected();
    report.verifications_blanked = sqlx::query(
        "UPDATE verifications SET plate_before = NULL, corrected_plate = NULL, reason = NULL \
         WHERE read_captured_at < $1 AND (plate_before IS NOT NULL OR corrected_plate IS NOT NULL OR reason IS NOT NULL)",
    )
    .bind(cutoff_ms)
    .execute(tx.conn())
    .await?
    .rows_affected();

    // Images of purged reads on the cutoff's own day: that day's prefix also holds newer reads.
    let cutoff_date = crate::reads::days::day_of(cutoff);
    let (cutoff_day_start, _) = crate::reads::days::bounds(cutoff_date);
    let rows =
        sqlx::query("SELECT plate_image, overview_image FROM reads WHERE captured_at >= $1 AND captured_at < $2")
            .bind(cutoff_day_start)
            .bind(cutoff_ms)
            .fetch_all(tx.conn())
            .await?;
    let mut partial_day = Vec::new();
    for row in rows {
        for column in ["plate_image", "overview_image"] {
            if let Some(key) = row.try_get::<Option<String>, _>(column)? {
                partial_day.push(key);
            }
        }
    }

    // Whole days past the cutoff go with their partitions, at the end of the transaction (the
    // detach holds every other writer off `reads` until the commit): counted here.
    let whole_days: Vec<_> =
        crate::reads::days::partitions(&mut tx).await?.into_iter().filter(|d| *d < cutoff_date).collect();
    let in_whole_days: i64 = if whole_days.is_empty() {
        0
    } else {
        sqlx::query("SELECT COUNT(*) AS n FROM reads WHERE captured_at < $1")
            .bind(cutoff_day_start)
            .fetch_one(tx.conn())
            .await?
            .try_get("n")?
    };
    report.reads = in_whole_days as u64;
    report.days_dropped = whole_days.len() as u64;
    crate::reads::days::forget_seen_before(&mut tx, cutoff_date).await?;
    let row_by_row_from = if whole_days.is_empty() { i64::MIN } else { cutoff_day_start };

    // One statement: the cutoff's day is one partition (PostgreSQL), looked at once.
    report.reads += sqlx::query("DELETE FROM reads WHERE captured_at >= $1 AND captured_at < $2")
        .bind(row_by_row_from)
        .bind(cutoff_ms)
        .execute(tx.conn())
        .await?
        .rows_affected();

    // The images go once the reads are gone: counted ahead, so the record names them.
    let cutoff_day = cutoff.format("%Y-%m-%d").to_string();
    let past_days: Vec<String> = images.read_days().await?.into_iter().filter(|day| *day < cutoff_day).collect();
    report.day_prefixes = past_days.len() as u64;
    let run: i64 = sqlx::query(
        "INSERT INTO purge_runs (at, cutoff, reads, images, day_prefixes, alerts, clone_pairs) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(to_millis(now))
    .bind(cutoff_ms)
    .bind(report.reads as i64)
    .bind(partial_day.len() as i64)
    .bind(report.day_prefixes as i64)
    .bind(report.alerts as i64)
    .bind(report.clone_pairs as i64)
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    let details = json!({
        "cutoff": report.cutoff,
        "reads": report.reads,
        "days_dropped": whole_days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "alerts": report.alerts,
        "clone_pairs": report.clone_pairs,
        "verifications_blanked": report.verifications_blanked,
        // Image objects go right after the commit: whole days by prefix, the cutoff's own day
        // one by one.
        "image_day_prefixes": past_days,
        "images_one_by_one": partial_day.len(),
    });
    audit::record(&mut tx, now, Event::new(Actor::system(), AuditAction::RetentionPurged).details(details)).await?;
    for day in &whole_days {
        crate::reads::days::drop_day(&mut tx, *day).await?;
    }
    tx.commit().await?;

    for key in &partial_day {
        images.delete(key).await?;
        report.images += 1;
    }
    for day in &past_days {
        report.images += images.delete_day(day).await? as u64;
    }
    // The run's figures (R23) count the image objects as deleted.
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE purge_runs SET images = $1 WHERE id = $2")
        .bind(report.images as i64)
        .bind(run)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(report)
}
