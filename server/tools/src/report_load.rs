//! A load tool for the annual report (R23): on the reads `search-load` fills, times the outage
//! scan counting every stored read into hourly figures (beside the bare SQL `GROUP BY` of the
//! same reads), a scan with nothing new (its cost each minute), drawing a year's report (of
//! which verifying the audit log), the intensity figures and the extract — each through the
//! server library's own functions, as the API runs them.

use server::config::Config;
use server::oversight::{self, Period};
use server::store::Db;
use shared::oversight::{PeriodQuery, ReportFormat};
use std::time::Instant;

/// One measurement: what, how long, and the reference measured in the same run.
pub struct Measured {
    pub name: &'static str,
    pub seconds: f64,
    pub detail: String,
    pub reference: Option<(&'static str, f64)>,
}

async fn timed<T>(job: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<(T, f64)> {
    let started = Instant::now();
    let done = job.await?;
    Ok((done, started.elapsed().as_secs_f64()))
}

pub async fn measure(db: &Db, config: &Config, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Vec<Measured>> {
    let (auditor, _) = crate::search_load::accounts(db, now, "report-load").await?;
    let mut out = Vec::new();
    // The synthetic reads were received now: the scan takes them once they have settled.
    let later = now + chrono::Duration::minutes(1);
    let (scanned, seconds) = timed(async { Ok(server::outages::scan(db, later, &config.outages).await?) }).await?;
    let (_, bare) = timed(async {
        let rows =
            sqlx::query("SELECT camera_id, captured_at / 3600000 AS hour, COUNT(*) AS n FROM reads GROUP BY 1, 2")
                .fetch_all(db.pool())
                .await?;
        Ok(rows.len())
    })
    .await?;
    let rate = scanned.reads as f64 / seconds;
    out.push(Measured {
        name: "outage scan, counting every stored read into hourly figures",
        seconds,
        detail: format!("{} reads, {rate:.0} reads/s, {} outages opened", scanned.reads, scanned.opened),
        reference: Some(("bare SQL GROUP BY camera, hour over the same reads", bare)),
    });
    let (_, idle) = timed(async { Ok(server::outages::scan(db, later, &config.outages).await?) }).await?;
    out.push(Measured {
        name: "outage scan with nothing new (each minute)",
        seconds: idle,
        detail: "every approved camera's usual rates read and looked at".into(),
        reference: None,
    });

    let query = PeriodQuery {
        from: Some((now - chrono::Duration::days(364)).date_naive()),
        to: Some(now.date_naive()),
        ..Default::default()
    };
    let period = Period::of(&query, now).map_err(|e| anyhow::anyhow!("{e}"))?;
    let k = config.oversight.min_count;
    let (chains, verify) = timed(async { Ok(server::audit::verify(db).await?) }).await?;
    let (report, seconds) =
        timed(async { Ok(oversight::report::draw(db, now, &auditor, period, k, ReportFormat::Pdf).await?) }).await?;
    let (pdf, render) = timed(async { Ok(oversight::report::pdf(&report)) }).await?;
    out.push(Measured {
        name: "annual report for 12 months (drawn, audited) and its PDF",
        seconds: seconds + render,
        detail: format!(
            "{} figures, {} PDF bytes, {} audit rows verified",
            report.figures.len(),
            pdf.len(),
            chains.rows_checked
        ),
        reference: Some(("verifying the audit log alone", verify)),
    });
    let (intensity, seconds) = timed(async { Ok(oversight::intensity::intensity(db, period, k).await?) }).await?;
    let (_, bare) = timed(async {
        let rows =
            sqlx::query("SELECT camera_id, COUNT(*) AS n FROM reads GROUP BY camera_id").fetch_all(db.pool()).await?;
        Ok(rows.len())
    })
    .await?;
    out.push(Measured {
        name: "intensity for 12 months (per camera, cell, zone)",
        seconds,
        detail: format!("{} cameras, {} cells", intensity.cameras.len(), intensity.cells.len()),
        reference: Some(("bare SQL reads per camera from the reads themselves", bare)),
    });
    let (csv, seconds) = timed(async { Ok(oversight::extract::csv(db, period, k).await?) }).await?;
    out.push(Measured {
        name: "extract for 12 months (CSV)",
        seconds,
        detail: format!("{} bytes, {} rows", csv.len(), csv.iter().filter(|b| **b == b'\n').count()),
        reference: None,
    });
    Ok(out)
}
