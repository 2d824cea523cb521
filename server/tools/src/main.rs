//! The workbench's lab: the measuring tools, apart from the product. They drive a running server
//! through its HTTP API, or call the server library's public functions on the configured
//! database (`ANPR_DATABASE_URL`); none of them touches the product's tables but through those.

mod analysis_load;
mod latency;
mod load;
mod purge_load;
mod report_load;
mod search_load;
mod sqlite_reference;

use anyhow::Context;
use clap::{Parser, Subcommand};
use server::clock::{Clock, SystemClock};
use server::config::{redact_url, Config};
use server::sim;
use server::store::Db;
use tracing_subscriber::EnvFilter;

/// The searches and the purge run the server's own code in this process: with the server's
/// allocator, so that they measure what the server would do.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Measuring tools for the ANPR investigation workbench.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Measure alert latency: send reads at a steady rate, some of them listed plates, and time
    /// each alert from the ingest request to its arrival on the alert stream (p50/p99).
    AlertLatency {
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        /// Listen for the alerts on this server (another of the same database) instead.
        #[arg(long)]
        listen_url: Option<String>,
        /// Reads a second.
        #[arg(long, default_value_t = 1000)]
        rate: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// One read in this many is a listed plate.
        #[arg(long, default_value_t = 50)]
        hit_every: usize,
        /// Hotlist entries to match against.
        #[arg(long, default_value_t = 200)]
        entries: usize,
    },
    /// Measure ingest: send pre-built batches to a running server (or to several servers of one
    /// database in turn) and print reads a second.
    Load {
        /// The server, or several servers' addresses separated by commas.
        #[arg(long, default_value = "http://127.0.0.1:3000", value_delimiter = ',')]
        url: Vec<String>,
        /// How many reads to send.
        #[arg(long, default_value_t = 50_000)]
        reads: usize,
        /// Reads per request (at most 1,000).
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Requests in flight at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Send a plate patch and an overview with every read.
        #[arg(long)]
        images: bool,
        /// The vehicles the reads are of (a vehicle is read several times a day): by default a
        /// third as many as the reads; runs that make up one day name the day's vehicles.
        #[arg(long)]
        vehicles: Option<u64>,
        /// Seeds which vehicle each read is of, and where (by default the clock: each run
        /// sends other reads).
        #[arg(long)]
        seed: Option<u64>,
        /// When the first read was captured (RFC 3339; by default so that the last read was an
        /// hour ago): runs that make up one day each take their part of it.
        #[arg(long)]
        start: Option<chrono::DateTime<chrono::Utc>>,
        /// Milliseconds between one read's capture and the next's.
        #[arg(long, default_value_t = 1)]
        step_ms: i64,
    },
    /// Measure the reference for SQLite ingest: a naive loop of 1,000-row transactions into a
    /// table with two indexes, in a new database file at `--path`, printing rows a second.
    SqliteReference {
        #[arg(long)]
        path: std::path::PathBuf,
        #[arg(long, default_value_t = 500_000)]
        rows: usize,
    },
    /// Measure searches: fill the configured database with a year of reads up to `--reads`
    /// (kept for later runs), then time vehicle-history and misread-tolerant searches.
    SearchLoad {
        #[arg(long, default_value_t = 10_000_000)]
        reads: u64,
        /// Searches of each kind.
        #[arg(long, default_value_t = 500)]
        queries: usize,
    },
    /// Fills reads as `search-load` does, then times each analysis beside its bare SQL.
    AnalysisLoad {
        #[arg(long, default_value_t = 10_000_000)]
        reads: u64,
        /// Runs of each analysis (and of its bare SQL).
        #[arg(long, default_value_t = 200)]
        queries: usize,
    },
    /// Fills reads as `search-load` does, then times the outage scan counting them, the year's
    /// report, the intensity figures and the extract, beside the bare SQL.
    ReportLoad {
        #[arg(long, default_value_t = 1_000_000)]
        reads: u64,
    },
    /// Measure the retention purge: store `--per-day` reads on each of `--days` days past the
    /// retention cutoff and `--on-cutoff-day` on the cutoff's own day in the configured
    /// database, then time one purge run.
    PurgeLoad {
        #[arg(long, default_value_t = 1)]
        days: i64,
        #[arg(long, default_value_t = 1_000_000)]
        per_day: usize,
        #[arg(long, default_value_t = 100_000)]
        on_cutoff_day: usize,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .init();
    let cli = Cli::parse();
    let clock = SystemClock;
    match cli.command {
        Command::AlertLatency { url, listen_url, rate, seconds, hit_every, entries } => {
            let config = config()?;
            let db = open(&config).await?;
            let sites = sim::sites();
            let key = sim::setup(&db, clock.now(), "latency-test", &sites).await?;
            let r =
                latency::run(&db, &url, listen_url.as_deref(), &key, &sites, rate, seconds, hit_every.max(1), entries)
                    .await?;
            println!(
                "alert latency at {rate} reads/s for {seconds} s against {} entries: {} reads, {} listed, {} alerts \
                 received; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (ingest request sent -> alert event received)",
                r.entries, r.sent, r.hits, r.received, r.p50_ms, r.p99_ms, r.max_ms
            );
            let spread = |v: &[f64]| {
                let p = |q| latency::percentile(v, q);
                format!("p50 {:.1} ms, max {:.1} ms ({} tries)", p(0.5), p(1.0), v.len())
            };
            println!("a new entry's request (retroactive matching included): {}", spread(&r.entry_added_ms));
            println!("from that answer to its first alert on the listening server: {}", spread(&r.entry_in_force_ms));
            Ok(())
        }
        Command::PurgeLoad { days, per_day, on_cutoff_day } => {
            let config = config()?;
            let db = open(&config).await?;
            let now = clock.now();
            sim::setup(&db, now, search_load::FEED, &sim::sites()).await?;
            let p = purge_load::run(&db, &config, now, days, per_day, on_cutoff_day).await?;
            println!(
                "purge-load ({:?}): {} reads stored in {:.1} s; the purge took {:.2} s: {} reads deleted, {} whole \
                 days dropped, {} reads left (the cutoff's day after the cutoff)",
                db.backend(),
                p.report.reads + p.left as u64,
                p.stored_seconds,
                p.purge_seconds,
                p.report.reads,
                p.report.days_dropped,
                p.left
            );
            Ok(())
        }
        Command::SearchLoad { reads, queries } => {
            let config = config()?;
            let db = open(&config).await?;
            let now = clock.now();
            sim::setup(&db, now, search_load::FEED, &sim::sites()).await?;
            let filled = search_load::fill(&db, now, reads).await?;
            println!("search-load: {} reads stored ({} added in {:.0} s)", filled.reads, filled.added, filled.seconds);
            let (exact, misread, area) = search_load::measure(&db, &config, now, reads, queries).await?;
            let kinds = [
                ("vehicle history (exact plate), 12 months", exact),
                ("misread-tolerant, 12 months", misread),
                ("area (ten cameras, six hours)", area),
            ];
            for (name, t) in kinds {
                println!(
                    "search-load: {name}, {queries} searches: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; \
                     {:.1} reads found on average",
                    t.p50_ms, t.p95_ms, t.p99_ms, t.mean_results
                );
            }
            Ok(())
        }
        Command::AnalysisLoad { reads, queries } => {
            let config = config()?;
            let db = open(&config).await?;
            let now = clock.now();
            sim::setup(&db, now, search_load::FEED, &sim::sites()).await?;
            let filled = search_load::fill(&db, now, reads).await?;
            println!(
                "analysis-load: {} reads stored ({} added in {:.0} s)",
                filled.reads, filled.added, filled.seconds
            );
            for m in analysis_load::measure(&db, &config, now, reads, queries).await? {
                let (a, r) = (&m.analysis, &m.reference);
                println!(
                    "analysis-load: {}, {queries} runs: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({:.1} reads); \
                     bare SQL p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms ({:.1} rows)",
                    m.name, a.p50_ms, a.p95_ms, a.p99_ms, a.mean_results, r.p50_ms, r.p95_ms, r.p99_ms, r.mean_results
                );
            }
            Ok(())
        }
        Command::ReportLoad { reads } => {
            let config = config()?;
            let db = open(&config).await?;
            let now = clock.now();
            sim::setup(&db, now, search_load::FEED, &sim::sites()).await?;
            let filled = search_load::fill(&db, now, reads).await?;
            println!("report-load: {} reads stored ({} added in {:.0} s)", filled.reads, filled.added, filled.seconds);
            for m in report_load::measure(&db, &config, now).await? {
                let reference = m.reference.map(|(what, s)| format!("; {what}: {:.2} s", s)).unwrap_or_default();
                println!("report-load: {}: {:.2} s ({}){reference}", m.name, m.seconds, m.detail);
            }
            Ok(())
        }
        Command::SqliteReference { path, rows } => {
            let rate = sqlite_reference::run(&path, rows).await?;
            println!("sqlite-reference: {rows} rows in 1,000-row transactions, two indexes: {rate:.0} rows/s");
            Ok(())
        }
        Command::Load { url, reads, batch, concurrency, images, vehicles, seed, start, step_ms } => {
            let config = config()?;
            let db = open(&config).await?;
            let sites = sim::sites();
            let key = sim::setup(&db, clock.now(), "load-test", &sites).await?;
            db.close().await;
            let plan = load::LoadPlan {
                reads,
                batch: batch.clamp(1, 1000),
                concurrency,
                with_images: images,
                vehicles: vehicles.unwrap_or(reads as u64 / 3).max(1),
                seed: seed.unwrap_or_else(|| clock.now().timestamp_micros() as u64),
                start,
                step_ms,
            };
            let bodies = load::bodies(&plan, &sites);
            let r = load::run(&url, &key, &plan, bodies).await?;
            println!(
                "load: {} reads of {} vehicles ({}) in {:.2} s = {:.0} reads/s; {} requests of {}, {} in flight, {:.1} MB sent; accepted {}, duplicates {}, refused {}; a request's answer p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                r.sent,
                plan.vehicles,
                if images { "with plate patch and overview" } else { "text only" },
                r.seconds,
                r.sent as f64 / r.seconds,
                r.sent.div_ceil(plan.batch),
                plan.batch,
                plan.concurrency,
                r.body_bytes as f64 / 1e6,
                r.accepted,
                r.duplicates,
                r.refused,
                r.request_ms.0,
                r.request_ms.1,
                r.request_ms.2
            );
            Ok(())
        }
    }
}

fn config() -> anyhow::Result<Config> {
    Config::load().context("reading configuration")
}

async fn open(config: &Config) -> anyhow::Result<Db> {
    Db::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database {}", redact_url(&config.database_url)))
}
