use crate::changes::{self, Change};
use crate::clock::Clock;
use crate::config::Config;
use crate::imagery::store::Images;
use crate::store::Db;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use shared::hotlists::EntryView;
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
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl AppState {
    /// What taking reads in needs of this server, as it stands now.
    pub fn intake(&self) -> crate::ingest::Intake<'_> {
        crate::ingest::Intake {
            now: self.clock.now(),
            config: &self.config,
            db: &self.db,
            images: &self.images,
            cameras: &self.cameras,
            read_days: &self.read_days,
            writer: &self.ingest,
            alerts: &self.alerts,
            live: &self.live,
        }
    }

    /// After entries were added or ended through this server: put in or taken out of its match
    /// index, and every other server's.
    pub async fn entries_changed(&self, added: &[EntryView], ended: &[i64]) {
        self.hotlists.apply(added, ended);
        let ids = added.iter().map(|e| e.id).chain(ended.iter().copied()).collect();
        changes::announce(&self.db, Change::Entries { ids }).await;
    }

    /// After a camera change through this server: every server's camera cache is emptied.
    pub async fn cameras_changed(&self) {
        self.cameras.clear();
        changes::announce(&self.db, Change::Cameras).await;
    }

    /// After alerts were raised through this server: sent to the audiences connected here, and to
    /// those connected to the other servers.
    pub async fn alerts_raised(&self, ids: Vec<i64>) -> Result<(), sqlx::Error> {
        crate::hotlists::publish(&self.db, &self.alerts, &ids).await?;
        changes::announce(&self.db, Change::Alerts { ids }).await;
        Ok(())
    }
}
