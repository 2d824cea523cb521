//! A load tool for searches (R5, R12): fills a database with a year of reads (one force's
//! scale: millions), then times vehicle-history and misread-tolerant searches through the same
//! path the API takes — grant, permit, count, first page, stored search and audit row — and
//! prints their percentiles.

use crate::latency::percentile;
use chrono::{DateTime, Duration, Months, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use server::access::{users, Capability, Investigator, Supervisor};
use server::audit::Actor;
use server::cameras;
use server::clock::to_millis;
use server::config::Config;
use server::reads::synthetic::{self, SyntheticRead};
use server::requests;
use server::search::{self, Grant};
use server::store::Db;
use shared::hotlists::EntryPattern;
use shared::requests::{NewRequest, Purpose, RequestDecision, RequestScope, Seriousness};
use shared::search::{NewSearch, PlateMode, SearchQuery};
use shared::{AccessTier, CameraStatus, NewUser, Rank, Role, Username};
use std::time::Instant;

/// Plates begin with one of these 50 two-letter tags, so one request's scope can name them all.
pub fn tags() -> Vec<String> {
    let mut out = Vec::new();
    for first in ['L', 'Y', 'B', 'M', 'S'] {
        for second in ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K'] {
            out.push(format!("{first}{second}"));
        }
    }
    out
}

/// The plate of vehicle `i`: a tag, two digits, three letters; distinct for every `i` below
/// 87 million.
pub fn plate_of(tags: &[String], i: u64) -> String {
    let letters: String = {
        let mut n = i / 5000;
        (0..3)
            .map(|_| {
                let c = (b'A' + (n % 26) as u8) as char;
                n /= 26;
                c
            })
            .collect()
    };
    format!("{}{:02}{letters}", tags[(i % 50) as usize], (i / 50) % 100)
}

/// A typical misread (R5): the first character that has a look-alike, swapped for it.
fn misread(plate: &str) -> String {
    let swap = |c: char| match c {
        'B' => Some('8'),
        '8' => Some('B'),
        'S' => Some('5'),
        '5' => Some('S'),
        'O' => Some('0'),
        '0' => Some('D'),
        'D' => Some('0'),
        'I' => Some('1'),
        '1' => Some('I'),
        'Z' => Some('2'),
        '2' => Some('Z'),
        'G' => Some('6'),
        '6' => Some('G'),
        _ => None,
    };
    let mut done = false;
    plate
        .chars()
        .map(|c| match (done, swap(c)) {
            (false, Some(other)) => {
                done = true;
                other
            }
            _ => c,
        })
        .collect()
}

pub struct Filled {
    pub reads: i64,
    pub added: u64,
    pub seconds: f64,
}

/// Adds reads until the database holds `target`: a year of days, each day's reads in time
/// order, vehicles drawn uniformly from `target / 10` plates, 3% misread.
pub async fn fill(db: &Db, now: DateTime<Utc>, target: u64) -> anyhow::Result<Filled> {
    let started = Instant::now();
    let stored = server::reads::count_stored(db).await?;
    let missing = target.saturating_sub(stored as u64);
    if missing == 0 {
        return Ok(Filled { reads: stored, added: 0, seconds: 0.0 });
    }
    let (feed_id, cameras) = feed_cameras(db).await?;
    let tags = tags();
    let vehicles = (target / 10).max(1);
    let mut rng = StdRng::seed_from_u64(stored as u64);
    let days = 365u64;
    let per_day = missing.div_ceil(days);
    let mut added = 0u64;
    for day in 0..days {
        let start = now - Duration::days(days as i64 - day as i64);
        let n = per_day.min(missing - added);
        let mut rows: Vec<SyntheticRead> = (0..n)
            .map(|_| {
                let captured_at = to_millis(start) + rng.gen_range(0..86_400_000);
                let plate = plate_of(&tags, rng.gen_range(0..vehicles));
                let plate = if rng.gen_bool(0.03) { misread(&plate) } else { plate };
                SyntheticRead { captured_at, camera_id: cameras[rng.gen_range(0..cameras.len())], plate }
            })
            .collect();
        rows.sort_unstable();
        synthetic::store(db, feed_id, &rows).await?;
        added += n;
        if day % 30 == 29 {
            let rate = added as f64 / started.elapsed().as_secs_f64();
            eprintln!("search-load: {} of {missing} reads added ({rate:.0} reads/s)", added);
        }
    }
    let reads = server::reads::count_stored(db).await?;
    Ok(Filled { reads, added, seconds: started.elapsed().as_secs_f64() })
}

/// The tools' feed and its approved cameras.
pub async fn feed_cameras(db: &Db) -> anyhow::Result<(i64, Vec<i64>)> {
    let feed = cameras::feed_by_name(db, FEED).await?.ok_or_else(|| anyhow::anyhow!("no feed `{FEED}`"))?;
    let approved = cameras::cameras_of_feed(db, feed.id)
        .await?
        .into_iter()
        .filter(|c| c.status == CameraStatus::Approved)
        .map(|c| c.id)
        .collect();
    Ok((feed.id, approved))
}

/// The feed whose cameras the filled reads come from.
pub const FEED: &str = "search-load";

pub struct Timing {
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub mean_results: f64,
}

impl Timing {
    /// The percentiles of `ms` (one time a run, in milliseconds) and the results a run found.
    pub fn of(mut ms: Vec<f64>, results: usize) -> Timing {
        ms.sort_by(f64::total_cmp);
        Timing {
            p50_ms: percentile(&ms, 0.50),
            p95_ms: percentile(&ms, 0.95),
            p99_ms: percentile(&ms, 0.99),
            mean_results: results as f64 / ms.len().max(1) as f64,
        }
    }
}

/// A load tool's central-tier investigator `{name}` and inspector `{name}-insp`, created the
/// first time.
pub async fn accounts(db: &Db, now: DateTime<Utc>, name: &str) -> anyhow::Result<(Investigator, Supervisor)> {
    let new = |name: String, roles: &[Role], tier, rank| NewUser {
        username: Username::parse(&name).expect("valid"),
        display_name: name.clone(),
        password: "load tool account, never signed in".to_owned(),
        roles: roles.iter().copied().collect(),
        tier,
        rank,
    };
    let analyst =
        account(db, now, new(name.to_owned(), &[Role::Investigator], Some(AccessTier::Central), None)).await?;
    let inspector =
        account(db, now, new(format!("{name}-insp"), &[Role::Supervisor], None, Some(Rank::Inspector))).await?;
    let analyst = Investigator::of(analyst).map_err(|_| anyhow::anyhow!("not an investigator"))?;
    let inspector = Supervisor::of(inspector).map_err(|_| anyhow::anyhow!("not a supervisor"))?;
    Ok((analyst, inspector))
}

/// The account `new` names, created the first time.
async fn account(db: &Db, now: DateTime<Utc>, new: NewUser) -> anyhow::Result<shared::UserView> {
    let existing = users::list(db).await?.into_iter().find(|u| u.username == new.username);
    match existing {
        Some(user) => Ok(user),
        None => Ok(users::create(db, now, Actor::system(), new).await?),
    }
}

/// Times `queries` searches of each kind (exact vehicle history, misread-tolerant) over the
/// last 12 months, for plates of vehicles that exist, one after another; then as many area
/// searches (ten cameras, six hours of the last 30 days: where and when an offence was).
pub async fn measure(
    db: &Db,
    config: &Config,
    now: DateTime<Utc>,
    target: u64,
    queries: usize,
) -> anyhow::Result<(Timing, Timing, Timing)> {
    let (analyst, inspector) = accounts(db, now, "search-load").await?;
    let tags = tags();
    let scope = RequestScope {
        plates: tags.iter().map(|t| EntryPattern::parse(&format!("{t}*")).expect("valid")).collect(),
        area: None,
        cameras: vec![],
        from: now - Duration::days(400),
        to: now + Duration::days(1),
        analysis: None,
    };
    let request = approved(db, config, now, (&analyst, &inspector), "Measuring search latency at scale", scope).await?;

    let vehicles = (target / 10).max(1);
    let mut rng = StdRng::seed_from_u64(7);
    let mut timings = Vec::new();
    for mode in [PlateMode::Exact, PlateMode::Misread] {
        let mut ms = Vec::with_capacity(queries);
        let mut results = 0usize;
        for _ in 0..queries {
            let plate = plate_of(&tags, rng.gen_range(0..vehicles));
            let started = Instant::now();
            let grant = Grant::issue(db, &config.access, now, &analyst, request).await?;
            let from = now.checked_sub_months(Months::new(12)).expect("in range").max(grant.earliest());
            let search = NewSearch { request_id: request, query: SearchQuery::Plate { plate, mode }, from, to: now };
            let permitted = grant.permit(db, search).await?;
            let page = search::run(db, now, &config.audit_sample, &analyst, &permitted).await?;
            ms.push(started.elapsed().as_secs_f64() * 1000.0);
            results += page.results.len();
        }
        timings.push(Timing::of(ms, results));
    }
    let misread = timings.pop().expect("two");
    let exact = timings.pop().expect("two");
    Ok((exact, misread, measure_area(db, config, now, &analyst, &inspector, queries).await?))
}

/// Times `queries` area searches: the reads of ten cameras in six hours of the last 30 days.
async fn measure_area(
    db: &Db,
    config: &Config,
    now: DateTime<Utc>,
    analyst: &Investigator,
    inspector: &Supervisor,
    queries: usize,
) -> anyhow::Result<Timing> {
    let (_, cameras) = feed_cameras(db).await?;
    let cameras = cameras[..10.min(cameras.len())].to_vec();
    let scope = RequestScope {
        plates: vec![],
        area: None,
        cameras: cameras.clone(),
        from: now - Duration::days(30),
        to: now,
        analysis: None,
    };
    let request =
        approved(db, config, now, (analyst, inspector), "Measuring area search latency at scale", scope).await?;
    let mut rng = StdRng::seed_from_u64(11);
    let (mut ms, mut results) = (Vec::with_capacity(queries), 0usize);
    for _ in 0..queries {
        let from = now - Duration::hours(rng.gen_range(6..30 * 24));
        let started = Instant::now();
        let grant = Grant::issue(db, &config.access, now, analyst, request).await?;
        let query = SearchQuery::Area { area: None, cameras: cameras.clone() };
        let search = NewSearch { request_id: request, query, from, to: from + Duration::hours(6) };
        let permitted = grant.permit(db, search).await?;
        let page = search::run(db, now, &config.audit_sample, analyst, &permitted).await?;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        results += page.results.len();
    }
    Ok(Timing::of(ms, results))
}

/// A request of `analyst`'s for `scope`, approved by `inspector`: its id.
pub async fn approved(
    db: &Db,
    config: &Config,
    now: DateTime<Utc>,
    (analyst, inspector): (&Investigator, &Supervisor),
    reason: &str,
    scope: RequestScope,
) -> anyhow::Result<i64> {
    let new = NewRequest {
        purpose: Purpose::CrimeInvestigation,
        reason: reason.into(),
        crime_type: "Measurement".into(),
        seriousness: Seriousness::Serious,
        scope,
        handling: "Discarded after measuring".into(),
        surveillance: Some(false),
        dsa_reference: None,
    };
    let request = requests::submit(db, now, &config.access, analyst, new).await?;
    let decision =
        RequestDecision { approve: true, rationale: "Load measurement on synthetic data".into(), expires_at: None };
    requests::decide(db, now, &config.access, inspector, request.id, decision).await?;
    Ok(request.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_plates_are_distinct_valid_and_in_scope() {
        let tags = tags();
        let plates: std::collections::HashSet<String> = (0..200_000).map(|i| plate_of(&tags, i)).collect();
        assert_eq!(plates.len(), 200_000);
        for p in plates.iter().take(1000) {
            assert!(shared::Plate::parse(p).is_ok(), "{p}");
            assert!(tags.iter().any(|t| p.starts_with(t.as_str())), "{p}");
        }
        let m = misread("LB05ABC");
        assert_ne!(m, "LB05ABC");
        assert_eq!(shared::plate::skeleton(&m), shared::plate::skeleton("LB05ABC"));
    }
}
