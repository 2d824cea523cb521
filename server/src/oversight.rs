//! The figures behind the annual report to oversight bodies (R23), for one calendar year (UTC):
//! use by purpose and crime type, requests and their decisions, the audit sample's findings,
//! verifications and corrections, exports and transfers, and deletions by the retention purge
//! and the evidence locker. Breaches and subject access requests are handled outside the
//! workbench and are not counted here. A count small enough to point at one investigation (1
//! to k − 1, k being `oversight.min_count`) is shown only as "fewer than k" ([`Count`]).

use crate::clock::to_millis;
use crate::store::Db;
use chrono::{DateTime, Datelike, TimeZone, Utc};
use shared::oversight::{Count, Figure, Figures};
use shared::requests::Purpose;
use shared::verification::Verdict;
use sqlx::Row;

struct Year {
    from: i64,
    to: i64,
}

impl Year {
    /// `year`'s bounds in milliseconds, or `None` for a year the figures cannot cover: before
    /// [`FIRST_YEAR`](crate::access::policy::FIRST_YEAR) or after this one.
    fn of(year: i32, now: DateTime<Utc>) -> Option<Year> {
        if !(crate::access::policy::FIRST_YEAR..=now.year()).contains(&year) {
            return None;
        }
        let start = |y: i32| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single().map(to_millis);
        Some(Year { from: start(year)?, to: start(year + 1)? })
    }
}

/// `(label, count)` rows of `sql`, which takes the year's bounds as `$1` and `$2`.
async fn grouped(db: &Db, y: &Year, sql: &str) -> Result<Vec<(String, i64)>, sqlx::Error> {
    let rows = sqlx::query(sql).bind(y.from).bind(y.to).fetch_all(db.pool()).await?;
    rows.iter().map(|r| Ok((r.try_get::<String, _>("label")?, r.try_get::<i64, _>("n")?))).collect()
}

async fn single(db: &Db, y: &Year, sql: &str) -> Result<i64, sqlx::Error> {
    sqlx::query(sql).bind(y.from).bind(y.to).fetch_one(db.pool()).await?.try_get("n")
}

/// The year's figures, each count from 1 to `min_count` − 1 withheld as "fewer than
/// `min_count`"; `None` when the year is out of range.
pub async fn figures(db: &Db, now: DateTime<Utc>, year: i32, min_count: i64) -> Result<Option<Figures>, sqlx::Error> {
    let Some(y) = Year::of(year, now) else { return Ok(None) };
    let mut out = Vec::new();
    let mut push = |section: &str, item: &str, count: i64| {
        out.push(Figure { section: section.to_owned(), item: item.to_owned(), count: Count::shown(count, min_count) });
    };

    let searches = "FROM searches s JOIN requests q ON q.id = s.request_id WHERE s.at >= $1 AND s.at < $2";
    push("Searches", "All searches", single(db, &y, &format!("SELECT COUNT(*) AS n {searches}")).await?);
    push(
        "Searches",
        "Reaching beyond the standard window",
        single(db, &y, &format!("SELECT COUNT(*) AS n {searches} AND s.beyond_standard = 1")).await?,
    );
    let by_purpose =
        grouped(db, &y, &format!("SELECT q.purpose AS label, COUNT(*) AS n {searches} GROUP BY q.purpose")).await?;
    for purpose in Purpose::ALL {
        let n = by_purpose.iter().find(|(p, _)| p == purpose.as_str()).map_or(0, |(_, n)| *n);
        push("Searches by purpose", purpose.label(), n);
    }
    for (crime, n) in grouped(
        db,
        &y,
        &format!("SELECT q.crime_type AS label, COUNT(*) AS n {searches} GROUP BY q.crime_type ORDER BY q.crime_type"),
    )
    .await?
    {
        push("Searches by crime type", &crime, n);
    }

    push(
        "Requests",
        "Submitted",
        single(db, &y, "SELECT COUNT(*) AS n FROM requests WHERE submitted_at >= $1 AND submitted_at < $2").await?,
    );
    let decided = grouped(
        db,
        &y,
        "SELECT status AS label, COUNT(*) AS n FROM requests WHERE decided_at >= $1 AND decided_at < $2 GROUP BY status",
    )
    .await?;
    for (label, status) in [("Approved", "approved"), ("Rejected", "rejected")] {
        push("Requests", label, decided.iter().find(|(s, _)| s == status).map_or(0, |(_, n)| *n));
    }

    let sampled = "FROM audit_samples WHERE sampled_at >= $1 AND sampled_at < $2";
    push("Audit sample", "Searches sampled", single(db, &y, &format!("SELECT COUNT(*) AS n {sampled}")).await?);
    push(
        "Audit sample",
        "Found necessary and proportionate",
        single(db, &y, &format!("SELECT COUNT(*) AS n {sampled} AND necessary = 1 AND proportionate = 1")).await?,
    );
    push(
        "Audit sample",
        "Found not necessary or not proportionate",
        single(db, &y, &format!("SELECT COUNT(*) AS n {sampled} AND (necessary = 0 OR proportionate = 0)")).await?,
    );
    push(
        "Audit sample",
        "Awaiting review",
        single(db, &y, &format!("SELECT COUNT(*) AS n {sampled} AND reviewed_at IS NULL")).await?,
    );

    let verdicts = grouped(
        db,
        &y,
        "SELECT verdict AS label, COUNT(*) AS n FROM verifications WHERE verified_at >= $1 AND verified_at < $2 \
         GROUP BY verdict",
    )
    .await?;
    for verdict in Verdict::ALL {
        let n = verdicts.iter().find(|(v, _)| v == verdict.as_str()).map_or(0, |(_, n)| *n);
        push("Verifications", verdict.label(), n);
    }

    let exports = grouped(
        db,
        &y,
        "SELECT format AS label, COUNT(*) AS n FROM exports WHERE at >= $1 AND at < $2 GROUP BY format",
    )
    .await?;
    for (label, format) in
        [("Spreadsheets (CSV)", "csv"), ("Spreadsheets (XLSX)", "xlsx"), ("Evidential statements", "pdf")]
    {
        push("Exports", label, exports.iter().find(|(f, _)| f == format).map_or(0, |(_, n)| *n));
    }
    push(
        "Exports",
        "Transfers to other agencies",
        single(db, &y, "SELECT COUNT(*) AS n FROM exports WHERE at >= $1 AND at < $2 AND transfer = 1").await?,
    );

    let purges = "FROM purge_runs WHERE at >= $1 AND at < $2";
    push("Deletions", "Purge runs", single(db, &y, &format!("SELECT COUNT(*) AS n {purges}")).await?);
    push(
        "Deletions",
        "Reads deleted by the retention purge",
        single(db, &y, &format!("SELECT CAST(COALESCE(SUM(reads), 0) AS BIGINT) AS n {purges}")).await?,
    );
    push(
        "Deletions",
        "Images deleted by the retention purge",
        single(db, &y, &format!("SELECT CAST(COALESCE(SUM(images), 0) AS BIGINT) AS n {purges}")).await?,
    );
    let locker = grouped(
        db,
        &y,
        "SELECT deleted_why AS label, COUNT(*) AS n FROM locker_items WHERE deleted_at >= $1 AND deleted_at < $2 \
         GROUP BY deleted_why",
    )
    .await?;
    for (label, why) in [
        ("Locker items deleted as no longer needed", "not_needed"),
        ("Locker items deleted after unanswered reviews", "unanswered"),
    ] {
        push("Deletions", label, locker.iter().find(|(w, _)| w == why).map_or(0, |(_, n)| *n));
    }
    push(
        "Evidence locker",
        "Reads preserved",
        single(db, &y, "SELECT COUNT(*) AS n FROM locker_items WHERE preserved_at >= $1 AND preserved_at < $2").await?,
    );
    Ok(Some(Figures { year, figures: out }))
}

/// The figures as CSV (`year,section,item,count`), through the one CSV writer: a crime type
/// is text a user typed, made safe for a spreadsheet like any other (R14, R23); a withheld
/// count reads "fewer than k", as in JSON.
pub fn csv(figures: &Figures) -> Vec<u8> {
    use crate::export::csv::{Cell, Writer};
    let mut w = Writer::new();
    w.row(["year", "section", "item", "count"]);
    for f in &figures.figures {
        let count = match f.count {
            Count::Exact(n) => Cell::Integer(n),
            withheld => Cell::from(withheld.to_string()),
        };
        w.row([Cell::from(figures.year), Cell::from(&f.section), Cell::from(&f.item), count]);
    }
    w.finish()
}
