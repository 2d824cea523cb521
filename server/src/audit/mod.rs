//! The audit log (R21): append-only, each row chained to the one before by a SHA-256 hash,
//! written in the same transaction as the act it records, so an act and its record stand or
//! fall together.

use crate::clock::{from_millis, to_millis};
use crate::store::{Db, Tx};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use shared::{AuditAction, AuditEntry, AuditFilter, ChainReport, UserView};
use sqlx::Row;

/// The hash the first row links back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(user: &UserView) -> Self {
        Actor { id: Some(user.id), name: user.username.to_string() }
    }

    /// Someone not signed in, known only by the name they gave (a failed login).
    pub fn claimed(name: &str) -> Self {
        Actor { id: None, name: name.chars().take(64).collect() }
    }

    /// The server itself, or an operator at its command line.
    pub fn system() -> Self {
        Actor { id: None, name: "system".into() }
    }
}

/// One act to record.
#[derive(Debug, Clone)]
pub struct Event {
    pub actor: Actor,
    pub action: AuditAction,
    pub subject: Option<String>,
    pub details: serde_json::Value,
}

impl Event {
    pub fn new(actor: Actor, action: AuditAction) -> Self {
        Event { actor, action, subject: None, details: serde_json::Value::Object(Default::default()) }
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// The stored fields of a row that its hash covers.
#[derive(Debug, Clone, Copy, serde::Serialize)]
struct Sealed<'a> {
    seq: i64,
    at_ms: i64,
    actor_id: Option<i64>,
    actor: &'a str,
    action: &'a str,
    subject: Option<&'a str>,
    details: &'a str,
    prev_hash: &'a str,
}

impl Sealed<'_> {
    /// SHA-256 over an unambiguous (JSON) encoding of every field, the previous hash included.
    fn hash(&self) -> String {
        let encoded = serde_json::to_vec(self).expect("plain values always serialise");
        hex::encode(Sha256::digest(encoded))
    }
}

/// Appends `event` inside `tx`. Returns the row's sequence number.
pub async fn record(tx: &mut Tx, at: DateTime<Utc>, event: Event) -> Result<i64, sqlx::Error> {
    // Moving the head first locks it until commit: appends from concurrent transactions (and
    // other servers, on PostgreSQL) queue here, so the chain never forks.
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(tx.conn())
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev_hash: String = head.try_get("hash")?;
    let at_ms = to_millis(at);
    let details = event.details.to_string();
    let action = event.action.as_str();
    let hash = Sealed {
        seq,
        at_ms,
        actor_id: event.actor.id,
        actor: &event.actor.name,
        action,
        subject: event.subject.as_deref(),
        details: &details,
        prev_hash: &prev_hash,
    }
    .hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor_id, actor, action, subject, details, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(seq)
    .bind(at_ms)
    .bind(event.actor.id)
    .bind(&event.actor.name)
    .bind(action)
    .bind(event.subject.as_deref())
    .bind(&details)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(tx.conn())
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1").bind(&hash).execute(tx.conn()).await?;
    Ok(seq)
}

/// Records `event` in a transaction of its own (for acts that change nothing else, such as a
/// refused login).
pub async fn record_alone(db: &Db, at: DateTime<Utc>, event: Event) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let seq = record(&mut tx, at, event).await?;
    tx.commit().await?;
    Ok(seq)
}

const ENTRY_COLUMNS: &str = "seq, at, actor_id, actor, action, subject, details, prev_hash, hash";

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, sqlx::Error> {
    let details: String = row.try_get("details")?;
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: from_millis(row.try_get("at")?),
        actor_id: row.try_get("actor_id")?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        subject: row.try_get("subject")?,
        // A row whose details are not JSON has been tampered with; show the raw text.
        details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Walks the whole chain in order and names the first row that does not hold: a gap in the
/// sequence, a link to the wrong previous hash, a hash that does not match the row's content,
/// or a head that does not match the last row (rows removed from the end).
pub async fn verify(db: &Db) -> Result<ChainReport, sqlx::Error> {
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log ORDER BY seq");
    let mut rows = sqlx::query(&sql).fetch(db.pool());
    let mut expected_seq = 1_i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut checked = 0_i64;
    let broken = |seq: i64, checked: i64, why: &str| ChainReport {
        rows_checked: checked,
        first_broken: Some(seq),
        reason: Some(why.to_owned()),
    };
    while let Some(row) = rows.try_next().await? {
        let seq: i64 = row.try_get("seq")?;
        let details: String = row.try_get("details")?;
        let actor: String = row.try_get("actor")?;
        let action: String = row.try_get("action")?;
        let subject: Option<String> = row.try_get("subject")?;
        let stored_prev: String = row.try_get("prev_hash")?;
        let stored_hash: String = row.try_get("hash")?;
        checked += 1;
        if seq != expected_seq {
            return Ok(broken(expected_seq, checked, "row missing from the sequence"));
        }
        if stored_prev != prev_hash {
            return Ok(broken(seq, checked, "row does not link to the previous row's hash"));
        }
        let recomputed = Sealed {
            seq,
            at_ms: row.try_get("at")?,
            actor_id: row.try_get("actor_id")?,
            actor: &actor,
            action: &action,
            subject: subject.as_deref(),
            details: &details,
            prev_hash: &stored_prev,
        }
        .hash();
        if recomputed != stored_hash {
            return Ok(broken(seq, checked, "row content does not match its hash"));
        }
        prev_hash = stored_hash;
        expected_seq += 1;
    }
    drop(rows);
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1").fetch_one(db.pool()).await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    if head_seq != expected_seq - 1 || head_hash != prev_hash {
        return Ok(broken(expected_seq, checked, "rows missing from the end of the log"));
    }
    Ok(ChainReport { rows_checked: checked, first_broken: None, reason: None })
}

pub async fn recent(db: &Db, before_seq: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
    entries(db, &AuditFilter { before_seq, ..AuditFilter::default() }, limit).await
}

/// The newest entries that pass `filter`, newest first, at most `limit`.
pub async fn entries(db: &Db, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
    enum Value {
        Text(String),
        Number(i64),
    }
    let mut values = vec![Value::Number(filter.before_seq.unwrap_or(i64::MAX))];
    let mut conditions = vec!["seq < $1".to_owned()];
    if filter.refusals {
        let names: Vec<String> =
            AuditAction::ALL.iter().filter(|a| a.is_refusal()).map(|a| format!("'{}'", a.as_str())).collect();
        conditions.push(format!("action IN ({})", names.join(",")));
    }
    if filter.without_ingest {
        conditions.push(format!("action <> '{}'", AuditAction::ReadsIngested.as_str()));
    }
    let mut add = |condition: &str, value: Value| {
        values.push(value);
        conditions.push(condition.replace('?', &format!("${}", values.len())));
    };
    if let Some(actor) = filter.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        add("actor = ?", Value::Text(actor.to_owned()));
    }
    if let Some(action) = filter.action {
        add("action = ?", Value::Text(action.as_str().to_owned()));
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let escaped = text.replace('!', "!!").replace('%', "!%").replace('_', "!_");
        add("(subject LIKE ? ESCAPE '!' OR details LIKE ? ESCAPE '!')", Value::Text(format!("%{escaped}%")));
    }
    if let Some(from) = filter.from {
        add("at >= ?", Value::Number(to_millis(from)));
    }
    if let Some(to) = filter.to {
        add("at < ?", Value::Number(to_millis(to)));
    }
    values.push(Value::Number(limit));
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM audit_log WHERE {} ORDER BY seq DESC LIMIT ${}",
        conditions.join(" AND "),
        values.len()
    );
    let mut query = sqlx::query(&sql);
    for value in values {
        query = match value {
            Value::Text(t) => query.bind(t),
            Value::Number(n) => query.bind(n),
        };
    }
    let rows = query.fetch_all(db.pool()).await?;
    rows.iter().map(entry_from_row).collect()
}

/// Records that `actor` was refused `action` — what was asked and why — in a transaction of its
/// own: a refusal is audited like the access itself (R21).
pub async fn refused(
    db: &Db,
    at: DateTime<Utc>,
    actor: Actor,
    action: AuditAction,
    asked: serde_json::Value,
    why: &crate::error::AppError,
) -> Result<i64, sqlx::Error> {
    record_alone(
        db,
        at,
        Event::new(actor, action).details(serde_json::json!({ "asked": asked, "reason": why.to_string() })),
    )
    .await
}

/// `result`, with a refusal (any error but a server fault) recorded as `action` with what was
/// asked and why, before it is answered (R21: refused attempts are what an audit unit looks for).
pub async fn noting_refusal<T>(
    result: crate::error::AppResult<T>,
    db: &Db,
    at: DateTime<Utc>,
    actor: Actor,
    action: AuditAction,
    asked: serde_json::Value,
) -> crate::error::AppResult<T> {
    match result {
        Err(why) if !matches!(why, crate::error::AppError::Internal(_)) => {
            refused(db, at, actor, action, asked, &why).await?;
            Err(why)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Sealed<'static> = Sealed {
        seq: 1,
        at_ms: 10,
        actor_id: Some(2),
        actor: "ann",
        action: "logout",
        subject: Some("x"),
        details: "{}",
        prev_hash: GENESIS_HASH,
    };

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let base = BASE.hash();
        assert_eq!(base.len(), 64);
        let variants = [
            Sealed { seq: 2, ..BASE },
            Sealed { at_ms: 11, ..BASE },
            Sealed { actor_id: None, ..BASE },
            Sealed { actor: "bob", ..BASE },
            Sealed { action: "login_failed", ..BASE },
            Sealed { subject: None, ..BASE },
            Sealed { details: "{\"a\":1}", ..BASE },
            Sealed { prev_hash: "1111", ..BASE },
        ];
        for v in variants {
            assert_ne!(v.hash(), base, "{v:?}");
        }
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        // "ab" + "c" and "a" + "bc" must not hash alike.
        let a = Sealed { actor: "ab", action: "c", ..BASE };
        let b = Sealed { actor: "a", action: "bc", ..BASE };
        assert_ne!(a.hash(), b.hash());
    }
}
