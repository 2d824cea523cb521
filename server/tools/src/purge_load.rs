//! A load tool for the retention purge (R18): stores `per_day` reads on each of `days` days
//! wholly past the retention cutoff and `on_cutoff_day` on the cutoff's own day (half before
//! the cutoff, half after), then times one purge run as the server runs it — whole days by
//! partition on PostgreSQL, row by row on SQLite — and prints what it deleted.

use crate::search_load::feed_cameras;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::access::policy::retention_cutoff;
use server::clock::to_millis;
use server::config::Config;
use server::imagery::store::Images;
use server::reads::synthetic::{self, SyntheticRead};
use server::retention::PurgeReport;
use server::store::Db;
use std::time::Instant;

pub struct Purged {
    pub stored_seconds: f64,
    pub purge_seconds: f64,
    pub report: PurgeReport,
    pub left: i64,
}

pub async fn run(
    db: &Db,
    config: &Config,
    now: DateTime<Utc>,
    days: i64,
    per_day: usize,
    on_cutoff_day: usize,
) -> anyhow::Result<Purged> {
    let (feed_id, cameras) = feed_cameras(db).await?;
    let cutoff = retention_cutoff(&config.access, now);
    let cutoff_day = cutoff.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    let mut rng = StdRng::seed_from_u64(7);
    let plate = |rng: &mut StdRng| format!("PG{:05}", rng.gen_range(0..100_000));
    let started = Instant::now();
    for d in 1..=days {
        let start = to_millis(cutoff_day - Duration::days(d));
        for part in 0..per_day.div_ceil(100_000) {
            let n = 100_000.min(per_day - part * 100_000);
            let mut rows: Vec<SyntheticRead> = (0..n)
                .map(|_| SyntheticRead {
                    captured_at: start + rng.gen_range(0..86_400_000),
                    camera_id: cameras[rng.gen_range(0..cameras.len())],
                    plate: plate(&mut rng),
                })
                .collect();
            rows.sort_unstable();
            synthetic::store(db, feed_id, &rows).await?;
        }
        eprintln!("purge-load: day {d} of {days} stored ({per_day} reads)");
    }
    let around = (cutoff - cutoff_day).num_milliseconds().max(2);
    let mut rows: Vec<SyntheticRead> = (0..on_cutoff_day)
        .map(|i| {
            // Half before the cutoff, half after it (but still on its day).
            let span = if i % 2 == 0 { around } else { 86_400_000 - around };
            let offset = if i % 2 == 0 { 0 } else { around };
            let captured_at = to_millis(cutoff_day) + offset + rng.gen_range(0..span);
            SyntheticRead { captured_at, camera_id: cameras[rng.gen_range(0..cameras.len())], plate: plate(&mut rng) }
        })
        .collect();
    rows.sort_unstable();
    synthetic::store(db, feed_id, &rows).await?;
    let stored_seconds = started.elapsed().as_secs_f64();

    let images = Images::from_url("memory://", &Default::default())?;
    let started = Instant::now();
    let report = server::retention::purge(db, &images, now, &config.access).await?;
    let purge_seconds = started.elapsed().as_secs_f64();
    let left = server::reads::count_stored(db).await?;
    Ok(Purged { stored_seconds, purge_seconds, report, left })
}
