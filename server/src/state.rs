use crate::clock::Clock;
use crate::config::Config;
use crate::imagery::store::Images;
use crate::store::Db;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub config: Arc<Config>,
    pub leptos: LeptosOptions,
    pub images: Images,
    pub cameras: crate::cameras::CameraCache,
    /// Live hotlist entries, every ingested read is matched against them (R7).
    pub hotlists: crate::hotlists::Matcher,
    /// The days whose read partitions exist (PostgreSQL).
    pub read_days: crate::reads::days::ReadDays,
    /// The writer that commits ingest requests together (group commit).
    pub ingest: crate::ingest::group::GroupCommit,
    /// Alerts as they are stored, for their audiences' live streams.
    pub alerts: crate::hotlists::AlertStream,
    /// Reads as they are stored, for the live map.
    pub live: tokio::sync::broadcast::Sender<Arc<shared::ReadView>>,
    pub limits: Arc<crate::http::limits::Limits>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
