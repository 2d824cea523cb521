//! The random audit sample (R22): a share of searches — higher for those reaching beyond the
//! standard window — drawn as they run, for the audit unit to judge necessary and proportionate.

use crate::access::Auditor;
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::SampleConfig;
use crate::error::{AppError, AppResult};
use crate::store::{decode, Db};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde_json::json;
use shared::requests::{Purpose, Seriousness};
use shared::search::{SampleFinding, SampleReview, SampleView};
use shared::AuditAction;
use sqlx::any::AnyRow;
use sqlx::Row;

/// Whether a search is drawn into the sample.
pub fn draw(rates: &SampleConfig, beyond_standard: bool, rng: &mut impl Rng) -> bool {
    let percent = if beyond_standard { rates.beyond_standard_percent } else { rates.other_percent };
    rng.gen::<f64>() * 100.0 < percent
}

const SAMPLE_COLUMNS: &str = "s.id, s.at, u.username AS searched_by, q.reference, q.purpose, q.crime_type, \
     q.seriousness, q.reason, s.query, s.window_from, s.window_to, s.result_count, s.beyond_standard, \
     a.necessary, a.proportionate, a.note, au.username AS reviewed_by, a.reviewed_at";
const SAMPLE_FROM: &str = "audit_samples a JOIN searches s ON s.id = a.search_id JOIN users u ON u.id = s.user_id \
     JOIN requests q ON q.id = s.request_id LEFT JOIN users au ON au.id = a.reviewed_by";

fn sample_from_row(row: &AnyRow) -> Result<SampleView, sqlx::Error> {
    let query: String = row.try_get("query")?;
    let review = match row.try_get::<Option<i64>, _>("reviewed_at")? {
        None => None,
        Some(at) => Some(SampleReview {
            finding: SampleFinding {
                necessary: row.try_get::<Option<i64>, _>("necessary")? == Some(1),
                proportionate: row.try_get::<Option<i64>, _>("proportionate")? == Some(1),
                note: row.try_get::<Option<String>, _>("note")?.unwrap_or_default(),
            },
            reviewed_by: row.try_get::<Option<String>, _>("reviewed_by")?.unwrap_or_default(),
            reviewed_at: from_millis(at),
        }),
    };
    Ok(SampleView {
        search_id: row.try_get("id")?,
        searched_at: from_millis(row.try_get("at")?),
        searched_by: row.try_get("searched_by")?,
        reference: row.try_get("reference")?,
        purpose: decode("purpose", &row.try_get::<String, _>("purpose")?, Purpose::parse)?,
        crime_type: row.try_get("crime_type")?,
        seriousness: decode("seriousness", &row.try_get::<String, _>("seriousness")?, Seriousness::parse)?,
        reason: row.try_get("reason")?,
        query: serde_json::from_str(&query)
            .map_err(|e| sqlx::Error::ColumnDecode { index: "query".into(), source: Box::new(e) })?,
        from: from_millis(row.try_get("window_from")?),
        to: from_millis(row.try_get("window_to")?),
        result_count: row.try_get("result_count")?,
        beyond_standard: row.try_get::<i64, _>("beyond_standard")? == 1,
        review,
    })
}

/// Sampled searches, oldest first: those awaiting a finding, or those with one (newest first).
pub async fn list(db: &Db, reviewed: bool, limit: i64) -> Result<Vec<SampleView>, sqlx::Error> {
    let filter = if reviewed {
        "a.reviewed_at IS NOT NULL ORDER BY a.reviewed_at DESC"
    } else {
        "a.reviewed_at IS NULL ORDER BY a.sampled_at, s.id"
    };
    let rows = sqlx::query(&format!("SELECT {SAMPLE_COLUMNS} FROM {SAMPLE_FROM} WHERE {filter} LIMIT $1"))
        .bind(limit)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(sample_from_row).collect()
}

/// Records an auditor's finding on a sampled search, once (R22), and audits it (R21).
pub async fn review(
    db: &Db,
    now: DateTime<Utc>,
    by: &Auditor,
    search_id: i64,
    finding: SampleFinding,
) -> AppResult<SampleView> {
    finding.check().map_err(AppError::Invalid)?;
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE audit_samples SET reviewed_by = $1, reviewed_at = $2, necessary = $3, proportionate = $4, note = $5 \
         WHERE search_id = $6 AND reviewed_at IS NULL",
    )
    .bind(by.id)
    .bind(to_millis(now))
    .bind(i64::from(finding.necessary))
    .bind(i64::from(finding.proportionate))
    .bind(finding.note.trim())
    .bind(search_id)
    .execute(tx.conn())
    .await?;
    let row = sqlx::query(&format!("SELECT {SAMPLE_COLUMNS} FROM {SAMPLE_FROM} WHERE a.search_id = $1"))
        .bind(search_id)
        .fetch_optional(tx.conn())
        .await?;
    let Some(row) = row else {
        return Err(AppError::NotFound(format!("search {search_id} is not in the audit sample")));
    };
    if changed.rows_affected() != 1 {
        return Err(AppError::Conflict(format!("search {search_id} has a finding already")));
    }
    let sample = sample_from_row(&row)?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::SampleReviewed)
            .subject(&sample.reference)
            .details(json!({ "search_id": search_id, "finding": finding })),
    )
    .await?;
    tx.commit().await?;
    Ok(sample)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// Over many draws the sampled share is within four standard deviations of each rate.
    #[test]
    fn sampling_rates_hold_over_many_searches() {
        let rates = SampleConfig::default();
        let mut rng = StdRng::seed_from_u64(22);
        let n = 100_000;
        for (beyond, expected) in [(true, 0.05), (false, 0.02)] {
            let sampled = (0..n).filter(|_| draw(&rates, beyond, &mut rng)).count() as f64;
            let sd = (n as f64 * expected * (1.0 - expected)).sqrt();
            let deviation = (sampled - n as f64 * expected).abs();
            assert!(deviation < 4.0 * sd, "beyond={beyond}: {sampled} of {n}, expected {expected}");
        }
        let never = SampleConfig { beyond_standard_percent: 0.0, other_percent: 0.0 };
        assert!((0..10_000).all(|_| !draw(&never, true, &mut rng)));
        let always = SampleConfig { beyond_standard_percent: 100.0, other_percent: 100.0 };
        assert!((0..10_000).all(|_| draw(&always, false, &mut rng)));
    }
}
