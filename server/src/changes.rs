//! Several servers, one system (R4, R7, R21): what one server changes or raises reaches every
//! other server on the same PostgreSQL database within moments, through `LISTEN`/`NOTIFY` on one
//! channel. The notice says only what to look at again; the database holds the truth, and a
//! server whose listening connection was lost reloads everything it keeps in memory once it is
//! back. Notices go out for changes and once per committed ingest group, never once per read.
//! SQLite is one server's database: there is no one to tell.
//!
//! This module is the wire only; `crate::notices` listens and applies what arrives to this
//! server's state, and `AppState`'s `*_changed` methods apply a change made here and announce it.

use crate::store::{Backend, Db};
use serde::{Deserialize, Serialize};

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

/// A change as sent: from which server, and what.
#[derive(Debug, Serialize, Deserialize)]
pub struct Notice {
    pub from: String,
    #[serde(flatten)]
    pub change: Change,
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
