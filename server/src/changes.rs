//! Several servers, one system (R4, R7, R21): what one server changes or raises reaches every
//! other server on the same PostgreSQL database within moments, through `LISTEN`/`NOTIFY` on one
//! channel. The notice says only what to look at again; the database holds the truth, and a
//! server whose listening connection was lost reloads everything it keeps in memory once it is
//! back. Notices go out for changes and once per committed ingest group, never once per read.
//! SQLite is one server's database: there is no one to tell.

use crate::state::AppState;
use crate::store::{Backend, Db};
use serde::{Deserialize, Serialize};
use shared::hotlists::EntryView;

/// The channel every server listens on.
pub const CHANNEL: &str = "anpr_changes";
/// Ids per notice (a NOTIFY payload holds at most 8,000 bytes).
const IDS_PER_NOTICE: usize = 400;

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Hotlist entries were added, removed or lapsed: each server reads them again and puts
    /// them in or takes them out of its match index. (An edit changes only an entry's
    /// particulars, which alerts read from the database, never what it matches.)
    Entries { ids: Vec<i64> },
    /// A camera was approved, suspended or registered: the camera cache is emptied.
    Cameras,
    /// Alerts were raised: each server sends them to its own audiences' streams.
    Alerts { ids: Vec<i64> },
    /// Reads were stored: each server offers them to its own live-time watches.
    Reads { ids: Vec<i64> },
}

#[derive(Debug, Serialize, Deserialize)]
struct Notice {
    from: String,
    #[serde(flatten)]
    change: Change,
}

/// After entries were added or ended through this server: put in or taken out of its match
/// index, and every other server's.
pub async fn entries_changed(state: &AppState, added: &[EntryView], ended: &[i64]) {
    state.hotlists.apply(added, ended);
    let ids = added.iter().map(|e| e.id).chain(ended.iter().copied()).collect();
    announce(&state.db, Change::Entries { ids }).await;
}

/// After a camera change through this server: every server's camera cache is emptied.
pub async fn cameras_changed(state: &AppState) {
    state.cameras.clear();
    announce(&state.db, Change::Cameras).await;
}

/// After alerts were raised through this server: sent to the audiences connected here, and to
/// those connected to the other servers.
pub async fn alerts_raised(state: &AppState, ids: Vec<i64>) -> Result<(), sqlx::Error> {
    crate::hotlists::publish(&state.db, &state.alerts, &ids).await?;
    announce(&state.db, Change::Alerts { ids }).await;
    Ok(())
}

/// Tells the other servers of `change` (after the change has committed).
pub async fn announce(db: &Db, change: Change) {
    if db.backend() != Backend::Postgres {
        return;
    }
    let notices = match change {
        Change::Entries { ids } => ids.chunks(IDS_PER_NOTICE).map(|c| Change::Entries { ids: c.to_vec() }).collect(),
        Change::Alerts { ids } => ids.chunks(IDS_PER_NOTICE).map(|c| Change::Alerts { ids: c.to_vec() }).collect(),
        Change::Reads { ids } => ids.chunks(IDS_PER_NOTICE).map(|c| Change::Reads { ids: c.to_vec() }).collect(),
        Change::Cameras => vec![Change::Cameras],
    };
    for change in notices {
        let payload = serde_json::to_string(&Notice { from: db.node().to_owned(), change }).expect("plain values");
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(&payload).execute(db.pool()).await {
            // The change itself stands; the other servers see it when they next reload.
            tracing::warn!(error = %e, "could not tell the other servers of a change");
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_names_its_sender_and_what_changed() {
        let notice = Notice { from: "a:1".into(), change: Change::Alerts { ids: vec![3, 4] } };
        let text = serde_json::to_string(&notice).unwrap();
        assert_eq!(text, r#"{"from":"a:1","kind":"alerts","ids":[3,4]}"#);
        let back: Notice = serde_json::from_str(&text).unwrap();
        assert_eq!(back.change, Change::Alerts { ids: vec![3, 4] });
        let cameras: Notice = serde_json::from_str(r#"{"from":"b:2","kind":"cameras"}"#).unwrap();
        assert_eq!(cameras.change, Change::Cameras);
    }
}
