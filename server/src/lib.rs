//! The workbench server: every rule that protects data lives here — accounts and roles, the
//! audit log, and (in later modules) ingest, matching, access windows, retention — behind one
//! HTTP API that the UI, camera feeds, scripts and tests all use.

pub mod access;
pub mod audit;
pub mod cameras;
pub mod changes;
pub mod clock;
pub mod clones;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
pub mod flags;
pub mod gate;
pub mod hotlists;
pub mod http;
pub mod imagery;
pub mod ingest;
pub mod locker;
pub mod notices;
pub mod outages;
pub mod oversight;
pub mod reads;
pub mod registers;
pub mod requests;
pub mod retention;
pub mod search;
pub mod sim;
pub mod state;
pub mod store;
pub mod verification;

use crate::access::sessions::DbSessionStore;
use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;
use crate::store::Db;
use axum::serve::ListenerExt;
use leptos::config::{Env, LeptosOptions};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;

/// The name cargo-leptos gives the site's WASM and JS (`[[workspace.metadata.leptos]] name`).
pub const SITE_NAME: &str = "anpr";

/// A server bound to its port, ready to run.
pub struct Application {
    listener: TcpListener,
    state: AppState,
    /// The HTTP layer's limits per address, feed and user.
    limits: Arc<http::limits::Limits>,
    /// This server's hold on its node name: no other live server of the database takes it.
    _node: store::NodeClaim,
}

/// The configured name of this server, or its host's name and port (unique on one host).
fn node_name(config: &Config, port: u16) -> String {
    if !config.node.trim().is_empty() {
        return config.node.trim().to_owned();
    }
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "server".into());
    format!("{host}:{port}")
}

impl Application {
    /// Opens (and migrates) the database and binds the listening socket. Port 0 picks a free
    /// port, which `port()` then tells.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let db = Db::connect(&config.database_url).await?;
        Application::with_db(config, clock, db).await
    }

    pub async fn with_db(config: Config, clock: Arc<dyn Clock>, db: Db) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(config.listen).await?;
        let db = db.for_node(&node_name(&config, listener.local_addr()?.port()));
        // Two servers of one name would write one audit chain from two places (R21).
        let node = db.claim_node().await?.ok_or_else(|| {
            anyhow::anyhow!(
                "the node name `{}` is held by another live server of this database: give this one another (`node`)",
                db.node()
            )
        })?;
        let leptos = LeptosOptions::builder()
            .output_name(SITE_NAME)
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .env(Env::PROD)
            .hash_files(http::pages::hash_file_present())
            .build();
        let images = imagery::store::Images::from_url(&config.images_url, &config.images_options)?;
        let (live, _) = tokio::sync::broadcast::channel(4096);
        let hotlists = hotlists::Matcher::new(&config.hotlists);
        hotlists.reload(&db).await?;
        let limits = Arc::new(http::limits::Limits::new(&config.limits));
        let ingest = ingest::group::GroupCommit::start(
            db.clone(),
            hotlists.clone(),
            config.ingest.group_max_reads,
            config.ingest.group_writers,
        );
        let read_days = reads::days::ReadDays::default();
        read_days.ahead(&db, clock.now()).await?;
        let state = AppState {
            db,
            clock,
            config: Arc::new(config),
            leptos,
            images,
            live,
            cameras: Default::default(),
            ingest,
            hotlists,
            read_days,
            alerts: tokio::sync::broadcast::channel(1024).0,
        };
        Ok(Application { listener, state, limits, _node: node })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let sweeper = tokio::spawn(housekeeping(self.state.clone(), self.limits.clone()));
        let clone_scan = tokio::spawn(scan_for_clones(self.state.clone()));
        let purge = tokio::spawn(daily_purge(self.state.clone()));
        let anchors = tokio::spawn(anchor_audit_chains(self.state.clone()));
        let outages = tokio::spawn(watch_for_outages(self.state.clone()));
        let usage = tokio::spawn(flag_unusual_use(self.state.clone()));
        let notices = tokio::spawn(notices::listen(self.state.clone()));
        let router = http::router(self.state.clone(), self.limits.clone());
        // Alerts and live reads are small writes that must leave at once, not wait for Nagle.
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
        let served = axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        sweeper.abort();
        clone_scan.abort();
        purge.abort();
        anchors.abort();
        outages.abort();
        usage.abort();
        notices.abort();
        self.state.db.close().await;
        served
    }
}

/// Lapses hotlist entries past their review date (R9) and stops matching them. Returns how
/// many lapsed.
pub async fn lapse_hotlist_entries(state: &AppState) -> Result<usize, sqlx::Error> {
    let lapsed = hotlists::lapse_overdue(&state.db, state.clock.now(), &state.config.hotlists).await?;
    if !lapsed.is_empty() {
        state.entries_changed(&[], &lapsed).await;
    }
    Ok(lapsed.len())
}

/// Every ten minutes: removes expired sessions and stale login-throttling records, reloads the
/// hotlist index, and lapses hotlist entries that were not reviewed in time.
async fn housekeeping(state: AppState, limits: Arc<http::limits::Limits>) {
    let sessions = DbSessionStore::new(state.db.clone());
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        limits.forget_full();
        if let Err(e) = state.read_days.ahead(&state.db, state.clock.now()).await {
            tracing::error!(error = %e, "could not create the coming days' read partitions");
        }
        if let Err(e) = sessions.delete_expired().await {
            tracing::warn!(error = %e, "could not remove expired sessions");
        }
        if let Err(e) = access::login::forget_stale(&state.db, state.clock.now(), &state.config.login).await {
            tracing::warn!(error = %e, "could not remove stale login-throttling records");
        }
        // A notice missed without a lost connection would leave the match index behind: it is
        // read whole again now and then, whatever the notices said.
        if let Err(e) = state.hotlists.reload(&state.db).await {
            tracing::error!(error = %e, "could not reload the hotlist index");
        }
        match state.db.as_only_runner("lapse hotlist entries", lapse_hotlist_entries(&state)).await {
            Ok(Some(Err(e))) | Err(e) => tracing::error!(error = %e, "could not lapse overdue hotlist entries"),
            Ok(_) => {}
        }
    }
}

/// Runs `job` every `seconds` (0: never) on one server at a time (`name` is its lock), logging
/// `failed` with the error when it fails.
async fn every_on_one_server<T, E, F>(
    state: AppState,
    seconds: u64,
    name: &str,
    failed: &str,
    job: impl Fn(AppState) -> F,
) where
    E: std::fmt::Display,
    F: Future<Output = Result<T, E>>,
{
    if seconds == 0 {
        return;
    }
    let mut every = tokio::time::interval(std::time::Duration::from_secs(seconds));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        match state.db.as_only_runner(name, job(state.clone())).await {
            Ok(Some(Err(e))) => tracing::error!(error = %e, "{failed}"),
            Err(e) => tracing::error!(error = %e, "{failed}"),
            Ok(_) => {}
        }
    }
}

/// Seals the head of every audit chain in an anchor row (R21), every `audit_anchor_seconds`
/// (0: never), so a chain cut or rewritten head and all is noticed.
async fn anchor_audit_chains(state: AppState) {
    let seconds = state.config.audit_anchor_seconds;
    every_on_one_server(
        state,
        seconds,
        "anchor audit chains",
        "could not anchor the audit chains",
        |state| async move { audit::anchor(&state.db, state.clock.now()).await },
    )
    .await
}

/// Counts the reads per camera per hour and keeps the cameras' outages (R23), every
/// `outages.scan_seconds` (0: never).
async fn watch_for_outages(state: AppState) {
    let seconds = state.config.outages.scan_seconds;
    every_on_one_server(state, seconds, "outage scan", "could not scan for camera outages", |state| async move {
        outages::scan(&state.db, state.clock.now(), &state.config.outages).await
    })
    .await
}

/// Flags unusual use among the searches stored since the last scan for the audit unit (R21,
/// R22), every `flags.scan_seconds` (0: never).
async fn flag_unusual_use(state: AppState) {
    let seconds = state.config.flags.scan_seconds;
    every_on_one_server(state, seconds, "unusual use scan", "could not scan for unusual use", |state| async move {
        flags::scan(&state.db, state.clock.now(), &state.config.flags).await
    })
    .await
}

/// Flags cloned-plate indicators among newly stored reads (R17), every `clones.scan_seconds`.
async fn scan_for_clones(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(state.config.clones.scan_seconds.max(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let scan = scan_backlog(&state);
        if let Err(e) = state.db.as_only_runner("clone scan", scan).await {
            tracing::error!(error = %e, "cloned-plate scan could not start");
        }
    }
}

/// Works through the reads not yet scanned for cloned plates, batch by batch (a backlog after
/// downtime included).
async fn scan_backlog(state: &AppState) {
    loop {
        match clones::scan(&state.db, state.clock.now(), &state.config.clones).await {
            Ok(done) => {
                if done.flagged > 0 {
                    tracing::info!(pairs = done.flagged, "cloned-plate indicators flagged");
                }
                if done.reads == 0 {
                    break;
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cloned-plate scan failed");
                break;
            }
        }
    }
}

/// Runs the retention purge (R18) at start and then every `retention.purge_every_hours` (0:
/// never; the purge is then run by `server retention purge`).
async fn daily_purge(state: AppState) {
    let hours = state.config.retention.purge_every_hours;
    if hours == 0 {
        return;
    }
    let mut every = tokio::time::interval(std::time::Duration::from_secs(hours * 3600));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = state.db.as_only_runner("retention purge", purge_once(&state)).await {
            tracing::error!(error = %e, "retention purge could not start");
        }
    }
}

async fn purge_once(state: &AppState) {
    match retention::purge(&state.db, &state.images, state.clock.now(), &state.config.access).await {
        Ok(report) => {
            state.read_days.forget_before(reads::days::day_of(report.cutoff));
            tracing::info!(?report, "retention purge done")
        }
        Err(e) => tracing::error!(error = %e, "retention purge failed"),
    }
    // Refused payloads hold plates too: kept only `ingest.dead_letter_days`.
    match ingest::purge_dead_letters(&state.db, state.clock.now(), state.config.ingest.dead_letter_days).await {
        Ok(n) => tracing::info!(deleted = n, "dead-letter purge done"),
        Err(e) => tracing::error!(error = %e, "dead-letter purge failed"),
    }
}
