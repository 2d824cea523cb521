//! The reference for SQLite ingest: a table of its own in a new database file of its own,
//! nothing of the product's.

use chrono::Utc;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection};
use std::time::Instant;

/// A naive loop of 1,000-row transactions into a fresh table with two indexes (plate and time,
/// time), in a new file at `path`, with the server's own settings (WAL, `synchronous = FULL`, a
/// 64 MB page cache) and rows shaped like the load tool's. Returns rows a second.
pub async fn run(path: &std::path::Path, rows: usize) -> anyhow::Result<f64> {
    anyhow::ensure!(!path.exists(), "{} exists: the reference starts from a new file", path.display());
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .pragma("cache_size", "-65536");
    let mut conn = options.connect().await?;
    sqlx::query(
        "CREATE TABLE reference_reads (id INTEGER PRIMARY KEY, camera_id INTEGER NOT NULL, plate TEXT NOT NULL, \
         captured_at INTEGER NOT NULL, confidence REAL NOT NULL)",
    )
    .execute(&mut conn)
    .await?;
    sqlx::query("CREATE INDEX reference_reads_plate_time ON reference_reads (plate, captured_at)")
        .execute(&mut conn)
        .await?;
    sqlx::query("CREATE INDEX reference_reads_time ON reference_reads (captured_at)").execute(&mut conn).await?;
    let mut rng = StdRng::seed_from_u64(99);
    let start = Utc::now().timestamp_millis();
    let plates: Vec<String> = (0..rows).map(|_| server::sim::traffic::random_plate(&mut rng)).collect();
    let started = Instant::now();
    for (n, chunk) in plates.chunks(1000).enumerate() {
        let mut tx = conn.begin().await?;
        for (i, plate) in chunk.iter().enumerate() {
            sqlx::query("INSERT INTO reference_reads (camera_id, plate, captured_at, confidence) VALUES (?, ?, ?, ?)")
                .bind(rng.gen_range(1..500i64))
                .bind(plate)
                .bind(start + (n * 1000 + i) as i64)
                .bind(0.9)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    Ok(rows as f64 / started.elapsed().as_secs_f64())
}
