use anyhow::Context;
use clap::{Parser, Subcommand};
use server::audit::{self, Actor};
use server::clock::{Clock, SystemClock};
use server::config::{redact_url, Config};
use server::store::Db;
use server::{access::users, demo, sim, Application};
use shared::{NewUser, Role, Username};
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// mimalloc returns freed memory to the system: each Argon2 check takes ≈ 19 MiB on whichever
/// blocking thread runs it, and glibc's per-thread arenas kept those (a flood of 2,000 failed
/// sign-ins left the server at 715 MB with glibc).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The ANPR investigation workbench server.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the web UI (the default).
    Serve {
        /// On an empty database, create one demo account per role and print their passwords.
        #[arg(long)]
        demo: bool,
        /// Give every demo account this password instead of a random one (for automated tests).
        #[arg(long, env = "ANPR_DEMO_PASSWORD", hide_env_values = true, requires = "demo")]
        demo_password: Option<String>,
        /// Also run the simulated London feed at this many reads a second (0: not at all).
        #[arg(long, default_value_t = 0.0)]
        simulate: f64,
    },
    /// Feed a running server with the simulated London feed through its ingest API (the
    /// server's database must be the one configured here: the feed and cameras are set up in it).
    Simulate {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        url: String,
        /// Reads a second.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Send reads without images.
        #[arg(long)]
        no_images: bool,
    },
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
    /// Manage accounts from the command line.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Work with the audit log.
    /// Cloned-plate indicators.
    Clones {
        #[command(subcommand)]
        command: ClonesCommand,
    },
    /// Retention: the purge of reads and images past the retention period.
    Retention {
        #[command(subcommand)]
        command: RetentionCommand,
    },
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a system admin (the first account of a deployment). The password is read from
    /// ANPR_ADMIN_PASSWORD or asked for at the terminal.
    CreateAdmin {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain from the first row to the last and name the first
    /// broken row. Exits with status 1 if the chain is broken.
    Verify,
}

#[derive(Subcommand)]
enum ClonesCommand {
    /// Scan every read not yet scanned for cloned-plate indicators (R17), as the server does
    /// every few seconds, and print reads scanned a second.
    Scan,
}

#[derive(Subcommand)]
enum RetentionCommand {
    /// Run the retention purge now (R18), as the server does daily, and print what it deleted.
    Purge,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")))
        .init();
    let cli = Cli::parse();
    let config = Config::load().context("reading configuration")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command.unwrap_or(Command::Serve { demo: false, demo_password: None, simulate: 0.0 }) {
        Command::Serve { demo, demo_password, simulate } => serve(config, clock, demo, demo_password, simulate).await,
        Command::Simulate { url, rate, no_images } => {
            let db = open(&config).await?;
            let key = sim::setup(&db, clock.now(), sim::FEED_NAME, &sim::sites()).await?;
            println!("simulating {rate} reads/s into {url} (Ctrl-C stops)");
            sim::run(url, key, rate, !no_images, shutdown_signal()).await
        }
        Command::AlertLatency { url, listen_url, rate, seconds, hit_every, entries } => {
            let db = open(&config).await?;
            let sites = sim::sites();
            let key = sim::setup(&db, clock.now(), "latency-test", &sites).await?;
            let r = sim::latency::run(
                &db,
                &url,
                listen_url.as_deref(),
                &key,
                &sites,
                rate,
                seconds,
                hit_every.max(1),
                entries,
            )
            .await?;
            println!(
                "alert latency at {rate} reads/s for {seconds} s against {} entries: {} reads, {} listed, {} alerts \
                 received; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (ingest request sent -> alert event received)",
                r.entries, r.sent, r.hits, r.received, r.p50_ms, r.p99_ms, r.max_ms
            );
            let spread = |v: &[f64]| {
                let p = |q| sim::latency::percentile(v, q);
                format!("p50 {:.1} ms, max {:.1} ms ({} tries)", p(0.5), p(1.0), v.len())
            };
            println!("a new entry's request (retroactive matching included): {}", spread(&r.entry_added_ms));
            println!("from that answer to its first alert on the listening server: {}", spread(&r.entry_in_force_ms));
            Ok(())
        }
        Command::PurgeLoad { days, per_day, on_cutoff_day } => {
            let db = open(&config).await?;
            let now = clock.now();
            sim::setup(&db, now, sim::search_load::FEED, &sim::sites()).await?;
            let p = sim::purge_load::run(&db, &config, now, days, per_day, on_cutoff_day).await?;
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
            let db = open(&config).await?;
            let now = clock.now();
            sim::setup(&db, now, sim::search_load::FEED, &sim::sites()).await?;
            let filled = sim::search_load::fill(&db, now, reads).await?;
            println!("search-load: {} reads stored ({} added in {:.0} s)", filled.reads, filled.added, filled.seconds);
            let (exact, misread) = sim::search_load::measure(&db, &config, now, reads, queries).await?;
            for (name, t) in [("vehicle history (exact plate)", exact), ("misread-tolerant", misread)] {
                println!(
                    "search-load: {name}, 12 months, {queries} searches: p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms; \
                     {:.1} reads found on average",
                    t.p50_ms, t.p95_ms, t.p99_ms, t.mean_results
                );
            }
            Ok(())
        }
        Command::SqliteReference { path, rows } => {
            anyhow::ensure!(!path.exists(), "{} exists: the reference starts from a new file", path.display());
            let rate = sim::load::sqlite_reference(&path, rows).await?;
            println!("sqlite-reference: {rows} rows in 1,000-row transactions, two indexes: {rate:.0} rows/s");
            Ok(())
        }
        Command::Load { url, reads, batch, concurrency, images } => {
            let db = open(&config).await?;
            let sites = sim::sites();
            let key = sim::setup(&db, clock.now(), "load-test", &sites).await?;
            db.close().await;
            let plan = sim::load::LoadPlan { reads, batch: batch.clamp(1, 1000), concurrency, with_images: images };
            let bodies = sim::load::bodies(&plan, &sites);
            let r = sim::load::run(&url, &key, &plan, bodies).await?;
            println!(
                "load: {} reads ({}) in {:.2} s = {:.0} reads/s; {} requests of {}, {} in flight, {:.1} MB sent; accepted {}, duplicates {}, refused {}; a request's answer p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                r.sent,
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
        Command::User { command: UserCommand::CreateAdmin { username, display_name } } => {
            let db = open(&config).await?;
            let password = match std::env::var("ANPR_ADMIN_PASSWORD") {
                Ok(p) => p,
                Err(_) => rpassword::prompt_password("Password for the new admin: ")?,
            };
            let new = NewUser {
                username: Username::parse(&username)?,
                display_name,
                password,
                roles: [Role::SystemAdmin].into_iter().collect(),
                tier: None,
                rank: None,
            };
            let user = users::create(&db, clock.now(), Actor::system(), new).await?;
            println!("created system admin `{}` (id {})", user.username, user.id);
            Ok(())
        }
        Command::Clones { command: ClonesCommand::Scan } => {
            let db = open(&config).await?;
            let started = std::time::Instant::now();
            let (mut reads, mut flagged) = (0, 0);
            loop {
                let done = server::clones::scan(&db, clock.now(), &config.clones).await?;
                reads += done.reads;
                flagged += done.flagged;
                if done.reads == 0 {
                    break;
                }
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "scanned {reads} reads in {secs:.1} s ({:.0} reads/s); {flagged} pairs flagged",
                reads as f64 / secs.max(1e-9)
            );
            Ok(())
        }
        Command::Retention { command: RetentionCommand::Purge } => {
            let db = open(&config).await?;
            let images = server::imagery::store::Images::from_url(&config.images_url, &config.images_options)?;
            let report = server::retention::purge(&db, &images, clock.now(), &config.access).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            let dead = server::ingest::purge_dead_letters(&db, clock.now(), config.ingest.dead_letter_days).await?;
            println!("dead letters older than {} days deleted: {dead}", config.ingest.dead_letter_days);
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let db = open(&config).await?;
            let report = audit::verify(&db).await?;
            match report.first_broken {
                None => {
                    println!(
                        "audit chain intact: {} rows checked in {} chains",
                        report.rows_checked, report.chains_checked
                    );
                    Ok(())
                }
                Some(seq) => {
                    println!(
                        "audit chain BROKEN at row {seq} (chain {}): {}",
                        report.chain.as_deref().unwrap_or("?"),
                        report.reason.as_deref().unwrap_or("unknown reason")
                    );
                    std::process::exit(1);
                }
            }
        }
    }
}

async fn open(config: &Config) -> anyhow::Result<Db> {
    Db::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the database {}", redact_url(&config.database_url)))
}

async fn serve(
    config: Config,
    clock: Arc<dyn Clock>,
    demo: bool,
    demo_password: Option<String>,
    simulate: f64,
) -> anyhow::Result<()> {
    tracing::info!(?config, "starting");
    let db = open(&config).await?;
    if demo {
        let accounts = demo::ensure_accounts(&db, clock.now(), demo_password.as_deref()).await?;
        if !accounts.is_empty() {
            println!("\nDemo accounts (shown once; passwords are stored hashed):");
            for a in &accounts {
                let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
                println!("  {:<14} {:<18} {}", a.username, a.password, roles.join(", "));
            }
            println!();
        }
    }
    let simulator =
        if simulate > 0.0 { Some(sim::setup(&db, clock.now(), sim::FEED_NAME, &sim::sites()).await?) } else { None };
    let app = Application::with_db(config, clock, db).await?;
    let address = format!("http://{}", app.state().leptos.site_addr);
    println!("listening on {address}");
    let simulator = simulator.map(|key| {
        println!("simulated London feed: {simulate} reads/s");
        tokio::spawn(async move {
            if let Err(e) = sim::run(address, key, simulate, true, std::future::pending()).await {
                tracing::error!(error = %e, "the simulator stopped");
            }
        })
    });
    app.run_until_stopped(shutdown_signal()).await?;
    if let Some(task) = simulator {
        task.abort();
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
