//! The workbench server: every rule that protects data lives here — accounts and roles, the
//! audit log, and (in later modules) ingest, matching, access windows, retention — behind one
//! HTTP API that the UI, camera feeds, scripts and tests all use.

pub mod access;
pub mod audit;
pub mod cameras;
pub mod clock;
pub mod clones;
pub mod config;
pub mod demo;
pub mod error;
pub mod export;
pub mod hotlists;
pub mod http;
pub mod imagery;
pub mod ingest;
pub mod locker;
pub mod oversight;
pub mod reads;
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
        let leptos = LeptosOptions::builder()
            .output_name(SITE_NAME)
            .site_root(config.site_root.display().to_string())
            .site_pkg_dir("pkg")
            .site_addr(listener.local_addr()?)
            .env(Env::PROD)
            .hash_files(http::pages::hash_file_present())
            .build();
        let images = imagery::store::Images::from_url(&config.images_url)?;
        let (live, _) = tokio::sync::broadcast::channel(4096);
        let hotlists = hotlists::Matcher::default();
        hotlists.reload(&db).await?;
        let limits = Arc::new(http::limits::Limits::new(&config.limits));
        let ingest = ingest::group::GroupCommit::start(db.clone(), hotlists.clone(), config.ingest.group_max_reads);
        let state = AppState {
            limits,
            db,
            clock,
            config: Arc::new(config),
            leptos,
            images,
            live,
            cameras: Default::default(),
            ingest,
            hotlists,
            alerts: tokio::sync::broadcast::channel(1024).0,
        };
        Ok(Application { listener, state })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let sweeper = tokio::spawn(housekeeping(self.state.clone()));
        let clone_scan = tokio::spawn(scan_for_clones(self.state.clone()));
        let purge = tokio::spawn(daily_purge(self.state.clone()));
        let router = http::router(self.state.clone());
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
        self.state.db.close().await;
        served
    }
}

/// Lapses hotlist entries past their review date (R9) and stops matching them. Returns how
/// many lapsed.
pub async fn lapse_hotlist_entries(state: &AppState) -> Result<usize, sqlx::Error> {
    let lapsed = hotlists::lapse_overdue(&state.db, state.clock.now()).await?;
    if !lapsed.is_empty() {
        state.hotlists.reload(&state.db).await?;
    }
    Ok(lapsed.len())
}

/// Every ten minutes: removes expired sessions and stale login-throttling records, and lapses
/// hotlist entries that were not reviewed in time.
async fn housekeeping(state: AppState) {
    let sessions = DbSessionStore::new(state.db.clone());
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        state.limits.forget_full();
        if let Err(e) = sessions.delete_expired().await {
            tracing::warn!(error = %e, "could not remove expired sessions");
        }
        if let Err(e) = access::login::forget_stale(&state.db, state.clock.now(), &state.config.login).await {
            tracing::warn!(error = %e, "could not remove stale login-throttling records");
        }
        if let Err(e) = lapse_hotlist_entries(&state).await {
            tracing::error!(error = %e, "could not lapse overdue hotlist entries");
        }
    }
}

/// Flags cloned-plate indicators among newly stored reads (R17), every `clones.scan_seconds`.
async fn scan_for_clones(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(state.config.clones.scan_seconds.max(1)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        // A backlog (after downtime) is worked through batch by batch.
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
        match retention::purge(&state.db, &state.images, state.clock.now(), &state.config.access).await {
            Ok(report) => tracing::info!(?report, "retention purge done"),
            Err(e) => tracing::error!(error = %e, "retention purge failed"),
        }
        // Refused payloads hold plates too: kept only `ingest.dead_letter_days`.
        match ingest::purge_dead_letters(&state.db, state.clock.now(), state.config.ingest.dead_letter_days).await {
            Ok(n) => tracing::info!(deleted = n, "dead-letter purge done"),
            Err(e) => tracing::error!(error = %e, "dead-letter purge failed"),
        }
    }
}
