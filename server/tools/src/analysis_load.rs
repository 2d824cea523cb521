//! A load tool for the analyses (R10–R13): on the reads `search-load` fills, times convoy (30
//! days), several places (3 windows of an hour), vehicle description (one day, 20 cameras) and
//! pattern of life (12 months) through the path the API takes — grant, permit, the analysis,
//! the stored search with what it found and its audit row — each beside the bare SQL of the
//! same question, timed in the same run.

use crate::search_load::{accounts, approved, feed_cameras, plate_of, tags, Timing};
use chrono::{DateTime, Duration, Months, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::access::{Investigator, Supervisor};
use server::clock::to_millis;
use server::config::Config;
use server::search::{self, Grant};
use server::store::Db;
use shared::analysis::{Analysis, PlaceWindow};
use shared::hotlists::EntryPattern;
use shared::requests::RequestScope;
use shared::search::{NewSearch, SearchQuery};
use std::future::Future;
use std::time::Instant;

/// One analysis measured, and the bare SQL of the same question.
pub struct Measured {
    pub name: &'static str,
    pub analysis: Timing,
    pub reference: Timing,
}

async fn timed<F, Fut>(queries: usize, mut each: F) -> anyhow::Result<Timing>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<usize>>,
{
    let mut ms = Vec::with_capacity(queries);
    let mut found = 0;
    for i in 0..queries {
        let started = Instant::now();
        found += each(i).await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Timing::of(ms, found))
}

/// A request for `analysis` over `plates` or `cameras`, approved by an inspector.
async fn approved_for(
    db: &Db,
    config: &Config,
    now: DateTime<Utc>,
    (analyst, inspector): (&Investigator, &Supervisor),
    analysis: Analysis,
    plates: &[String],
    cameras: &[i64],
) -> anyhow::Result<i64> {
    let scope = RequestScope {
        plates: plates.iter().map(|p| EntryPattern::parse(p).expect("a plate")).collect(),
        area: None,
        cameras: cameras.to_vec(),
        from: now - Duration::days(400),
        to: now + Duration::days(1),
        analysis: Some(analysis),
    };
    approved(db, config, now, (analyst, inspector), "Measuring analysis latency at scale", scope).await
}

/// Runs `query` from `from` to now under `request_id` as the API would; the reads it found.
async fn run(
    db: &Db,
    config: &Config,
    now: DateTime<Utc>,
    analyst: &Investigator,
    request_id: i64,
    query: SearchQuery,
    from: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let grant = Grant::issue(db, &config.access, now, analyst, request_id).await?;
    let search = NewSearch { request_id, query, from: from.max(grant.earliest()), to: now };
    let permitted = grant.permit(db, search).await?;
    Ok(search::run(db, now, &config.audit_sample, analyst, &permitted).await?.total as usize)
}

/// Rows of a bare SQL statement with `ints` bound in order.
async fn bare(db: &Db, sql: &str, ints: &[i64], text: &[&str]) -> anyhow::Result<usize> {
    let mut q = sqlx::query(sql).persistent(false);
    for v in ints {
        q = q.bind(*v);
    }
    for v in text {
        q = q.bind(*v);
    }
    Ok(q.fetch_all(db.pool()).await?.len())
}

pub async fn measure(
    db: &Db,
    config: &Config,
    now: DateTime<Utc>,
    target: u64,
    queries: usize,
) -> anyhow::Result<Vec<Measured>> {
    let (analyst, inspector) = accounts(db, now, "analysis-load").await?;
    let who = (&analyst, &inspector);
    let tags = tags();
    let vehicles = (target / 10).max(1);
    let mut rng = StdRng::seed_from_u64(11);
    let targets: Vec<String> = (0..50).map(|_| plate_of(&tags, rng.gen_range(0..vehicles))).collect();
    let (_, cameras) = feed_cameras(db).await?;
    // A borough: 20 of the feed's cameras.
    let borough: Vec<i64> = cameras.iter().copied().take(20).collect();
    let list = |ids: &[i64]| ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let mut out = Vec::new();

    // Convoy over 30 days.
    let convoy = approved_for(db, config, now, who, Analysis::Convoy, &targets, &[]).await?;
    let month = now - Duration::days(30);
    let analysis = timed(queries, |i| {
        let q = SearchQuery::Convoy { plate: targets[i % targets.len()].clone(), window_seconds: 60 };
        run(db, config, now, &analyst, convoy, q, month)
    })
    .await?;
    let reference = timed(queries, |i| {
        let sql = format!(
            "SELECT o.plate, COUNT(DISTINCT o.camera_id) AS places FROM reads t JOIN reads o \
             ON o.camera_id = t.camera_id AND o.captured_at BETWEEN t.captured_at - 60000 AND t.captured_at + 60000 \
             WHERE t.plate = {p3} AND t.captured_at >= {p1} AND t.captured_at <= {p2} \
             AND o.captured_at >= {p1} - 60000 AND o.captured_at <= {p2} + 60000 AND o.plate <> {p4} GROUP BY o.plate",
            p1 = db.backend().parameter(1),
            p2 = db.backend().parameter(2),
            p3 = db.backend().parameter(3),
            p4 = db.backend().parameter(4),
        );
        let plate = targets[i % targets.len()].clone();
        async move { bare(db, &sql, &[to_millis(month), to_millis(now)], &[&plate, &plate]).await }
    })
    .await?;
    out.push(Measured { name: "convoy, 30 days, ±60 s", analysis, reference });

    // Several places: three windows of an hour at the borough's cameras on three days.
    let places = approved_for(db, config, now, who, Analysis::Places, &[], &cameras[..cameras.len().min(500)]).await?;
    let windows = |i: usize| -> Vec<PlaceWindow> {
        (0..3)
            .map(|w| {
                let from = now - Duration::days(3 + (i % 20) as i64 + 7 * w) + Duration::hours(8);
                PlaceWindow { area: None, cameras: borough.clone(), from, to: from + Duration::hours(1) }
            })
            .collect()
    };
    let earliest = now - Duration::days(40);
    let analysis = timed(queries, |i| {
        run(db, config, now, &analyst, places, SearchQuery::Places { windows: windows(i), min_windows: 2 }, earliest)
    })
    .await?;
    let reference = timed(queries, |i| {
        let each: Vec<String> = windows(i)
            .iter()
            .enumerate()
            .map(|(n, w)| {
                format!(
                    "SELECT DISTINCT plate, {n} AS w FROM reads WHERE camera_id IN ({}) AND captured_at BETWEEN {} AND {}",
                    list(&w.cameras),
                    to_millis(w.from),
                    to_millis(w.to)
                )
            })
            .collect();
        let sql = format!("SELECT plate FROM ({}) x GROUP BY plate HAVING COUNT(*) >= 2", each.join(" UNION ALL "));
        async move { bare(db, &sql, &[], &[]).await }
    })
    .await?;
    out.push(Measured { name: "several places, 3 windows of 1 hour, 20 cameras each", analysis, reference });

    // Vehicle description over one day at the borough's cameras.
    let described = approved_for(db, config, now, who, Analysis::Description, &[], &borough).await?;
    let day = now - Duration::days(1);
    let analysis = timed(queries, |_| {
        let q = SearchQuery::Description {
            make: Some("VW".into()),
            model: None,
            colour: Some("grey".into()),
            plate: None,
            area: None,
            cameras: vec![],
        };
        run(db, config, now, &analyst, described, q, day)
    })
    .await?;
    let reference = timed(queries, |_| {
        let sql = format!(
            "SELECT id FROM reads WHERE camera_id IN ({}) AND captured_at >= {} AND captured_at <= {} \
             AND LOWER(make) IN ('volkswagen', 'vw') AND LOWER(colour) IN ('grey', 'gray', 'silver')",
            list(&borough),
            to_millis(day),
            to_millis(now)
        );
        async move { bare(db, &sql, &[], &[]).await }
    })
    .await?;
    out.push(Measured { name: "vehicle description, 1 day, 20 cameras", analysis, reference });

    // Pattern of life over 12 months.
    let pattern = approved_for(db, config, now, who, Analysis::Pattern, &targets, &[]).await?;
    let year = now.checked_sub_months(Months::new(12)).expect("in range");
    let analysis = timed(queries, |i| {
        run(
            db,
            config,
            now,
            &analyst,
            pattern,
            SearchQuery::Pattern { plate: targets[i % targets.len()].clone() },
            year,
        )
    })
    .await?;
    let reference = timed(queries, |i| {
        let sql = format!(
            "SELECT camera_id, COUNT(*) AS n, MIN(captured_at) AS first, MAX(captured_at) AS last FROM reads \
             WHERE plate = {} AND captured_at >= {} GROUP BY camera_id",
            db.backend().parameter(1),
            to_millis(year)
        );
        let plate = targets[i % targets.len()].clone();
        async move { bare(db, &sql, &[], &[&plate]).await }
    })
    .await?;
    out.push(Measured { name: "pattern of life, 12 months", analysis, reference });
    Ok(out)
}
