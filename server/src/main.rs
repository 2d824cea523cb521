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
    /// Manage accounts from the command line.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
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
    /// Work with the audit log.
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
