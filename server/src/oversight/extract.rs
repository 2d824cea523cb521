//! De-identified aggregates for independent analysis (R23; the advisory group's wish that an
//! oversight body can study the system without access to personal data): reads per camera per
//! hour, hits per list kind per day, verification outcomes per day, searches by purpose and the
//! outcome of their request. No plate, no user, no free text; each count below k withheld.

use super::Period;
use crate::clock::from_millis;
use crate::export::csv::{Cell, Writer};
use crate::outages::hour_of;
use crate::store::Db;
use shared::oversight::Count;
use sqlx::Row;

/// The longest period one extract covers.
pub const MAX_DAYS: i64 = 366;

const DAY_MS: i64 = 86_400_000;

/// The extract as CSV: `measure,key,period_start,count`, one measure after another.
pub async fn csv(db: &Db, period: Period, min_count: i64) -> Result<Vec<u8>, sqlx::Error> {
    let mut w = Writer::new();
    w.row(["measure", "key", "period_start", "count"]);
    let put = |w: &mut Writer, measure: &str, key: String, at_ms: i64, n: i64| {
        let count = match Count::shown(n, min_count) {
            Count::Exact(n) => Cell::Integer(n),
            withheld => Cell::from(withheld.to_string()),
        };
        let at = crate::search::grant::stamp(from_millis(at_ms));
        w.row([Cell::from(measure), Cell::from(key), Cell::from(at), count]);
    };
    let rows = sqlx::query(
        "SELECT h.camera_id, h.hour, h.reads FROM camera_hours h WHERE h.hour >= $1 AND h.hour < $2 \
         ORDER BY h.camera_id, h.hour",
    )
    .bind(hour_of(period.start))
    .bind(hour_of(period.end))
    .fetch_all(db.pool())
    .await?;
    for row in &rows {
        let (camera, hour, n): (i64, i64, i64) =
            (row.try_get("camera_id")?, row.try_get("hour")?, row.try_get("reads")?);
        put(&mut w, "reads_per_camera_hour", format!("camera {camera}"), hour * 3_600_000, n);
    }
    let daily = [
        (
            "hits_per_list_kind_day",
            "SELECT l.kind AS label, a.raised_at / 86400000 AS day, COUNT(*) AS n FROM alerts a \
             JOIN hotlists l ON l.id = a.hotlist_id WHERE a.raised_at >= $1 AND a.raised_at < $2 \
             GROUP BY l.kind, a.raised_at / 86400000 ORDER BY 2, 1",
        ),
        (
            "verification_outcomes_day",
            "SELECT verdict AS label, verified_at / 86400000 AS day, COUNT(*) AS n FROM verifications \
             WHERE verified_at >= $1 AND verified_at < $2 GROUP BY verdict, verified_at / 86400000 ORDER BY 2, 1",
        ),
        (
            "searches_by_purpose_and_outcome_day",
            "SELECT q.purpose || '/' || COALESCE(q.outcome, 'open') AS label, s.at / 86400000 AS day, COUNT(*) AS n \
             FROM searches s JOIN requests q ON q.id = s.request_id WHERE s.at >= $1 AND s.at < $2 \
             GROUP BY q.purpose, q.outcome, s.at / 86400000 ORDER BY 2, 1",
        ),
    ];
    for (measure, sql) in daily {
        for row in sqlx::query(sql).bind(period.start).bind(period.end).fetch_all(db.pool()).await? {
            let (label, day, n): (String, i64, i64) = (row.try_get("label")?, row.try_get("day")?, row.try_get("n")?);
            put(&mut w, measure, label, day * DAY_MS, n);
        }
    }
    Ok(w.finish())
}
