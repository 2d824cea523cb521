//! Server-side sessions (tower-sessions) kept in the database, so they survive restarts and
//! are shared by every server. The cookie carries only a random 128-bit id; the table holds
//! its SHA-256, so a copy of the table cannot be replayed as cookies. Each row also names its
//! user, so disabling an account or resetting its password ends all its sessions at once.

use crate::store::Db;
use async_trait::async_trait;
use sha2::{Digest, Sha256};
use sqlx::Row;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The session key under which the signed-in user's id is kept.
pub const USER_ID_KEY: &str = "user_id";

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
}

impl std::fmt::Debug for DbSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbSessionStore")
    }
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }

    /// Removes sessions past their expiry; returns how many.
    pub async fn delete_expired(&self) -> Result<u64, sqlx::Error> {
        let now = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let mut tx = self.db.begin().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(tx.conn()).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }
}

/// How a session id is stored: its SHA-256, never the id itself.
pub(crate) fn key(id: &Id) -> String {
    hex::encode(Sha256::digest(id.to_string().as_bytes()))
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn expiry_ms(record: &Record) -> i64 {
    (record.expiry_date.unix_timestamp_nanos() / 1_000_000) as i64
}

#[async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut tx = self.db.begin().await.map_err(backend)?;
        loop {
            let taken = sqlx::query("SELECT 1 FROM sessions WHERE id = $1")
                .bind(key(&record.id))
                .fetch_optional(tx.conn())
                .await
                .map_err(backend)?;
            if taken.is_none() {
                break;
            }
            record.id = Id::default();
        }
        upsert(&mut tx, record).await?;
        tx.commit().await.map_err(backend)
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let mut tx = self.db.begin().await.map_err(backend)?;
        upsert(&mut tx, record).await?;
        tx.commit().await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let row = sqlx::query("SELECT record FROM sessions WHERE id = $1 AND expires_at > $2")
            .bind(key(id))
            .bind(now_ms)
            .fetch_optional(self.db.pool())
            .await
            .map_err(backend)?;
        match row {
            Some(row) => {
                let text: String = row.try_get("record").map_err(backend)?;
                let record = serde_json::from_str(&text).map_err(|e| session_store::Error::Decode(e.to_string()))?;
                Ok(Some(record))
            }
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let mut tx = self.db.begin().await.map_err(backend)?;
        sqlx::query("DELETE FROM sessions WHERE id = $1").bind(key(id)).execute(tx.conn()).await.map_err(backend)?;
        tx.commit().await.map_err(backend)
    }
}

async fn upsert(tx: &mut crate::store::Tx, record: &Record) -> session_store::Result<()> {
    let text = serde_json::to_string(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let user_id = record.data.get(USER_ID_KEY).and_then(|v| v.as_i64());
    sqlx::query(
        "INSERT INTO sessions (id, user_id, record, expires_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, record = excluded.record, \
         expires_at = excluded.expires_at",
    )
    .bind(key(&record.id))
    .bind(user_id)
    .bind(text)
    .bind(expiry_ms(record))
    .execute(tx.conn())
    .await
    .map_err(backend)?;
    Ok(())
}

/// Ends every session of a user (inside the transaction that disables them or resets their
/// password).
pub async fn end_all_for(tx: &mut crate::store::Tx, user_id: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(tx.conn()).await?;
    Ok(done.rows_affected())
}

/// Whether the stored session `key` is live and signed in as `user_id` (a stream's check).
pub async fn holds(conn: &mut sqlx::AnyConnection, key: &str, user_id: i64) -> Result<bool, sqlx::Error> {
    let now_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
    let row = sqlx::query("SELECT 1 AS one FROM sessions WHERE id = $1 AND user_id = $2 AND expires_at > $3")
        .bind(key)
        .bind(user_id)
        .bind(now_ms)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}
