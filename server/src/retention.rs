//! The retention purge (R18): reads and their images older than the retention period are
//! deleted; alerts and clone pairs on them go with them, and their verifications keep only
//! what the yearly figures count (R23). On PostgreSQL each day wholly past the cutoff goes by
//! detaching and dropping its partition (reads::days); only the day the cutoff falls in loses
//! its purged reads row by row (SQLite deletes every purged read so). Images go by whole day
//! prefixes; the cutoff's own day loses the purged reads' images one by one. The evidence
//! locker holds its own copies (R19), so nothing it holds is touched. Each run is recorded and audited with its counts (R21).

use crate::access::policy::retention_cutoff;
use crate::audit::{self, Actor, Event};
use crate::clock::to_millis;
use crate::config::AccessConfig;
use crate::imagery::store::Images;
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
    /// Image deletions the object store refused this run: recorded, and tried again next run.
    pub image_failures: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
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

    // The erasure and its record commit together (R21): one transaction, in which each owner
    // purges its part — what refers to the reads first, then the reads.
    let mut tx = db.begin().await?;
    report.alerts = crate::hotlists::purge_alerts_before(&mut tx, cutoff).await?;
    report.clone_pairs = crate::clones::purge_before(&mut tx, cutoff).await?;
    report.verifications_blanked = crate::verification::blank_before(&mut tx, cutoff).await?;
    let purged = crate::reads::write::purge_before(&mut tx, cutoff).await?;
    report.reads = purged.reads;
    report.days_dropped = purged.whole_days.len() as u64;

    let run: i64 = sqlx::query(
        "INSERT INTO purge_runs (at, cutoff, reads, images, day_prefixes, alerts, clone_pairs) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(to_millis(now))
    .bind(cutoff_ms)
    .bind(report.reads as i64)
    .bind(purged.partial_day_images.len() as i64)
    .bind(report.day_prefixes as i64)
    .bind(report.alerts as i64)
    .bind(report.clone_pairs as i64)
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    let details = json!({
        "cutoff": report.cutoff,
        "reads": report.reads,
        "days_dropped": purged.whole_days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
        "alerts": report.alerts,
        "clone_pairs": report.clone_pairs,
        "verifications_blanked": report.verifications_blanked,
        // Image objects go right after the commit: whole days by prefix, the cutoff's own day
        // one by one; what the store refuses is recorded and tried again (R18).
        "images_one_by_one": purged.partial_day_images.len(),
    });
    audit::record(&mut tx, now, Event::new(Actor::system(), AuditAction::RetentionPurged).details(details)).await?;
    purged.drop_days(&mut tx).await?;
    tx.commit().await?;

    // The rows are gone whatever the object store says now: an image it will not delete is
    // recorded and tried again at the next run, never a reason to keep the reads.
    let mut targets: Vec<(String, bool)> = pending_deletions(db).await?;
    targets.extend(purged.partial_day_images.into_iter().map(|key| (key, false)));
    let cutoff_day = cutoff.format("%Y-%m-%d").to_string();
    match images.read_days().await {
        Ok(days) => {
            let past: Vec<String> = days.into_iter().filter(|day| *day < cutoff_day).collect();
            report.day_prefixes = past.len() as u64;
            targets.extend(past.into_iter().map(|day| (day, true)));
        }
        Err(e) => failed(db, now, "(listing the image days)", false, &e).await?,
    }
    targets.sort();
    targets.dedup();
    for (target, is_day) in targets {
        let deleted = if is_day { images.delete_day(&target).await } else { images.delete(&target).await.map(|_| 1) };
        match deleted {
            Ok(n) => {
                report.images += n as u64;
                let mut tx = db.begin().await?;
                sqlx::query("DELETE FROM image_deletions WHERE target = $1").bind(&target).execute(tx.conn()).await?;
                tx.commit().await?;
            }
            Err(e) => {
                report.image_failures += 1;
                failed(db, now, &target, is_day, &e).await?;
            }
        }
    }
    // The run's figures (R23) count the image objects as deleted.
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE purge_runs SET images = $1, day_prefixes = $2 WHERE id = $3")
        .bind(report.images as i64)
        .bind(report.day_prefixes as i64)
        .bind(run)
        .execute(tx.conn())
        .await?;
    tx.commit().await?;
    Ok(report)
}

/// Deletions left over from earlier runs.
async fn pending_deletions(db: &Db) -> Result<Vec<(String, bool)>, sqlx::Error> {
    let rows = sqlx::query("SELECT target, is_day FROM image_deletions ORDER BY target").fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get("target")?, r.try_get::<i64, _>("is_day")? != 0))).collect()
}

/// Records a deletion the object store refused, to be tried again, and audits it (R21).
async fn failed(
    db: &Db,
    now: DateTime<Utc>,
    target: &str,
    is_day: bool,
    error: &object_store::Error,
) -> Result<(), sqlx::Error> {
    tracing::warn!(target, error = %error, "the image store refused a deletion; it is tried again at the next purge");
    let mut tx = db.begin().await?;
    if !target.starts_with('(') {
        sqlx::query(
            "INSERT INTO image_deletions (target, is_day, failed_at, attempts, last_error) VALUES ($1, $2, $3, 1, $4) \
             ON CONFLICT (target) DO UPDATE SET attempts = image_deletions.attempts + 1, \
             last_error = excluded.last_error, failed_at = excluded.failed_at",
        )
        .bind(target)
        .bind(i64::from(is_day))
        .bind(to_millis(now))
        .bind(error.to_string())
        .execute(tx.conn())
        .await?;
    }
    let event = Event::new(Actor::system(), AuditAction::ImageDeletionFailed)
        .subject(target)
        .details(json!({ "day_prefix": is_day, "error": error.to_string(), "retried": "at the next purge" }));
    audit::record(&mut tx, now, event).await?;
    tx.commit().await
}
