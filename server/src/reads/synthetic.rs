//! Made-up reads for a measuring database. The search and purge loads need a year of a force's
//! reads, or whole days past the retention cutoff, faster than any feed could send them and at
//! capture times ingest refuses (R18). They are stored here as ingest's writer leaves reads —
//! each day's partition made first, each plate skeleton's day noted — but without images,
//! alerts or an audit row. This is no way in for real reads: the HTTP API never reaches it.

use crate::clock::from_millis;
use crate::reads::days::{self, ReadDays};
use crate::store::Db;
use std::collections::BTreeSet;

/// Rows per INSERT statement (nine parameters each).
const ROWS_PER_STATEMENT: usize = 500;

/// One made-up read; ordered by capture time first, as a day's reads are best stored.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SyntheticRead {
    /// Milliseconds since the Unix epoch.
    pub captured_at: i64,
    pub camera_id: i64,
    pub plate: String,
}

/// A vehicle's make and colour, the same for every read of its plate, spread over eight makes
/// and eight colours (what description analyses look for).
fn description_of(plate: &str) -> (&'static str, &'static str) {
    const MAKES: [&str; 8] = ["Ford", "Vauxhall", "Volkswagen", "Toyota", "BMW", "Mercedes-Benz", "Nissan", "Kia"];
    const COLOURS: [&str; 8] = ["black", "white", "silver", "grey", "blue", "red", "green", "yellow"];
    let h = plate.bytes().fold(17u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    (MAKES[(h % 8) as usize], COLOURS[((h / 8) % 8) as usize])
}

/// Stores `rows` as reads of `feed_id` in one transaction; a read already stored (same camera,
/// time, plate and feed) is left as it is.
pub async fn store(db: &Db, feed_id: i64, rows: &[SyntheticRead]) -> Result<(), sqlx::Error> {
    let days: BTreeSet<_> = rows.iter().map(|r| days::day_of(from_millis(r.captured_at))).collect();
    ReadDays::default().ensure(db, days).await?;
    let mut tx = db.begin().await?;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = String::from(
            "INSERT INTO reads (feed_id, camera_id, plate, captured_at, received_at, confidence, make, colour, \
                 plate_skeleton) VALUES ",
        );
        for i in 0..chunk.len() {
            let p: Vec<String> = (1..=9).map(|k| tx.backend().parameter(i * 9 + k)).collect();
            sql.push_str(if i == 0 { "(" } else { ",(" });
            sql.push_str(&p.join(","));
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT (camera_id, captured_at, plate, feed_id) DO NOTHING");
        let mut query = sqlx::query(&sql);
        for r in chunk {
            let (make, colour) = description_of(&r.plate);
            query = query
                .bind(feed_id)
                .bind(r.camera_id)
                .bind(r.plate.as_str())
                .bind(r.captured_at)
                .bind(r.captured_at + 1500)
                .bind(0.93)
                .bind(make)
                .bind(colour)
                .bind(shared::plate::skeleton(&r.plate));
        }
        query.execute(tx.conn()).await?;
    }
    let seen = rows.iter().map(|r| (shared::plate::skeleton(&r.plate), r.captured_at));
    days::note_seen(&mut tx, seen).await?;
    tx.commit().await
}
