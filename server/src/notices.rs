//! The other servers' notices, applied to this server's state (R4, R7): what they changed or
//! raised reaches this server's match index, camera cache, alert streams and live-time watches.
//! A lost listening connection, once back, reloads everything kept in memory.

use crate::changes::{Change, Notice, CHANNEL};
use crate::state::AppState;
use crate::store::Backend;

/// Listens for the other servers' notices and applies them, for as long as the server runs
/// (PostgreSQL only).
pub async fn listen(state: AppState) {
    if state.db.backend() != Backend::Postgres {
        return;
    }
    loop {
        if let Err(e) = listen_once(&state).await {
            tracing::warn!(error = %e, "lost the change notices; listening again in a second");
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
}

async fn listen_once(state: &AppState) -> Result<(), sqlx::Error> {
    let mut listener = sqlx::postgres::PgListener::connect(&state.config.database_url).await?;
    listener.listen(CHANNEL).await?;
    // Whatever was missed while not listening is read from the database again.
    reload(state).await?;
    loop {
        match listener.try_recv().await? {
            Some(notification) => match serde_json::from_str::<Notice>(notification.payload()) {
                Ok(notice) if notice.from == state.db.node() => {}
                Ok(notice) => apply(state, notice.change).await?,
                Err(e) => tracing::warn!(error = %e, payload = notification.payload(), "an unreadable change notice"),
            },
            // The connection was lost and is back: notices may have been missed.
            None => reload(state).await?,
        }
    }
}

async fn reload(state: &AppState) -> Result<(), sqlx::Error> {
    state.hotlists.reload(&state.db).await?;
    state.cameras.clear();
    Ok(())
}

async fn apply(state: &AppState, change: Change) -> Result<(), sqlx::Error> {
    match change {
        Change::Entries { ids } => state.hotlists.refresh(&state.db, &ids).await?,
        Change::Cameras => state.cameras.clear(),
        Change::Alerts { ids } => crate::hotlists::publish(&state.db, &state.alerts, &ids).await?,
        Change::Reads { ids } => {
            if state.live.receiver_count() > 0 {
                for read in crate::reads::for_live_channel(&state.db, &ids).await? {
                    let _ = state.live.send(std::sync::Arc::new(read));
                }
            }
        }
    }
    Ok(())
}
