//! The audit log (R21): append-only, each row chained to the one before it in its chain by a
//! SHA-256 hash, written in the same transaction as the act it records, so an act and its record
//! stand or fall together.
//!
//! The log is several chains, one per stream of acts (ingest, sign-ins, the other acts) and
//! server, each with its own head: appending locks that chain's head only, so no one lock holds
//! up every act of every server. A periodic anchor row, in a chain of its own, seals the heads of
//! every chain; verification walks every chain and checks each anchor against the chains.

use crate::clock::{from_millis, to_millis};
use crate::store::{Backend, Db, Tx};
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use shared::{AuditAction, AuditEntry, AuditFilter, ChainReport, UserView};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet};

/// The hash the first row of a chain links back to.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain the rows written before the log had several chains belong to. Their hashes do not
/// cover a chain name.
pub const FIRST_CHAIN: &str = "main";

/// The chain of anchor rows, one for all servers.
pub const ANCHOR_CHAIN: &str = "anchors";

/// The chain an act of `action` by server `node` is appended to.
pub fn chain_of(action: AuditAction, node: &str) -> String {
    match action.stream() {
        "anchors" => ANCHOR_CHAIN.to_owned(),
        stream => format!("{stream}@{node}"),
    }
}

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
    #[serde(skip_serializing_if = "is_first_chain")]
    chain: &'a str,
    seq: i64,
    at_ms: i64,
    actor_id: Option<i64>,
    actor: &'a str,
    action: &'a str,
    subject: Option<&'a str>,
    details: &'a str,
    prev_hash: &'a str,
}

fn is_first_chain(chain: &&str) -> bool {
    *chain == FIRST_CHAIN
}

impl Sealed<'_> {
    /// SHA-256 over an unambiguous (JSON) encoding of every field, the previous hash included.
    fn hash(&self) -> String {
        let encoded = serde_json::to_vec(self).expect("plain values always serialise");
        hex::encode(Sha256::digest(encoded))
    }
}

/// Appends `event` inside `tx`, to the chain of its stream and server. Returns the row's place
/// in the whole log.
pub async fn record(tx: &mut Tx, at: DateTime<Utc>, event: Event) -> Result<i64, sqlx::Error> {
    let chain = chain_of(event.action, tx.node());
    let (chain_seq, prev_hash) = move_head(tx, &chain).await?;
    let at_ms = to_millis(at);
    let details = event.details.to_string();
    let action = event.action.as_str();
    let hash = Sealed {
        chain: &chain,
        seq: chain_seq,
        at_ms,
        actor_id: event.actor.id,
        actor: &event.actor.name,
        action,
        subject: event.subject.as_deref(),
        details: &details,
        prev_hash: &prev_hash,
    }
    .hash();
    // PostgreSQL draws the row's place from a sequence (no lock); SQLite has one writer anyway.
    let place = match tx.backend() {
        Backend::Postgres => "DEFAULT",
        Backend::Sqlite => "(SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_log)",
    };
    let seq: i64 = sqlx::query_scalar(&format!(
        "INSERT INTO audit_log (seq, chain, chain_seq, at, actor_id, actor, action, subject, details, prev_hash, hash) \
         VALUES ({place}, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING seq"
    ))
    .bind(&chain)
    .bind(chain_seq)
    .bind(at_ms)
    .bind(event.actor.id)
    .bind(&event.actor.name)
    .bind(action)
    .bind(event.subject.as_deref())
    .bind(&details)
    .bind(&prev_hash)
    .bind(&hash)
    .fetch_one(tx.conn())
    .await?;
    sqlx::query("UPDATE audit_chains SET hash = $1, last_row = $2 WHERE chain = $3")
        .bind(&hash)
        .bind(seq)
        .bind(&chain)
        .execute(tx.conn())
        .await?;
    Ok(seq)
}

/// Moves `chain`'s head one on and returns the new position and the hash to link to. Moving it
/// first locks it until commit: appends to this chain (from this server) queue here, so the
/// chain never forks; other chains are not held up. A chain's first append creates its head.
async fn move_head(tx: &mut Tx, chain: &str) -> Result<(i64, String), sqlx::Error> {
    let advance = "UPDATE audit_chains SET seq = seq + 1 WHERE chain = $1 RETURNING seq, hash";
    if let Some(head) = sqlx::query(advance).bind(chain).fetch_optional(tx.conn()).await? {
        return Ok((head.try_get("seq")?, head.try_get("hash")?));
    }
    sqlx::query(
        "INSERT INTO audit_chains (chain, seq, hash, last_row) VALUES ($1, 0, $2, 0) ON CONFLICT (chain) DO NOTHING",
    )
    .bind(chain)
    .bind(GENESIS_HASH)
    .execute(tx.conn())
    .await?;
    let head = sqlx::query(advance).bind(chain).fetch_one(tx.conn()).await?;
    Ok((head.try_get("seq")?, head.try_get("hash")?))
}

/// Records `event` in a transaction of its own (for acts that change nothing else, such as a
/// refused login).
pub async fn record_alone(db: &Db, at: DateTime<Utc>, event: Event) -> Result<i64, sqlx::Error> {
    let mut tx = db.begin().await?;
    let seq = record(&mut tx, at, event).await?;
    tx.commit().await?;
    Ok(seq)
}

const ENTRY_COLUMNS: &str = "seq, chain, chain_seq, at, actor_id, actor, action, subject, details, prev_hash, hash";

fn entry_from_row(row: &sqlx::any::AnyRow) -> Result<AuditEntry, sqlx::Error> {
    let details: String = row.try_get("details")?;
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        chain: row.try_get("chain")?,
        chain_seq: row.try_get("chain_seq")?,
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

/// A chain's head as stored.
struct Head {
    seq: i64,
    hash: String,
    last_row: i64,
}

/// Where a chain first fails to hold: the row's place in the whole log, and why.
type Break = (i64, String);

/// Walks every chain in order and names the first row (by its place in the whole log) that
/// does not hold: a gap in a chain, a link to the wrong previous hash, a hash that does not match
/// the row's content, a head that does not match its chain's last row (rows removed from the
/// end), or a chain that no longer holds what the latest anchor sealed (a chain cut or
/// rewritten, head and all).
pub async fn verify(db: &Db) -> Result<ChainReport, sqlx::Error> {
    let mut heads = BTreeMap::new();
    for row in sqlx::query("SELECT chain, seq, hash, last_row FROM audit_chains").fetch_all(db.pool()).await? {
        let head = Head { seq: row.try_get("seq")?, hash: row.try_get("hash")?, last_row: row.try_get("last_row")? };
        heads.insert(row.try_get::<String, _>("chain")?, head);
    }
    let mut chains: BTreeSet<String> = heads.keys().cloned().collect();
    chains.extend(sqlx::query_scalar::<_, String>("SELECT DISTINCT chain FROM audit_log").fetch_all(db.pool()).await?);

    let mut checked = 0_i64;
    let mut breaks: Vec<(Break, String)> = Vec::new();
    let mut last_anchor = None;
    for chain in &chains {
        let walked = walk(db, chain, heads.get(chain), &mut checked, &mut last_anchor).await?;
        if let Some(at) = walked {
            breaks.push((at, chain.clone()));
        }
    }
    if let Some((anchor_seq, sealed)) = last_anchor {
        if let Some(at) = check_anchor(db, anchor_seq, &sealed).await? {
            breaks.push(at);
        }
    }
    let first = breaks.into_iter().min_by_key(|((seq, _), _)| *seq);
    Ok(ChainReport {
        rows_checked: checked,
        chains_checked: chains.len() as i64,
        first_broken: first.as_ref().map(|((seq, _), _)| *seq),
        reason: first.as_ref().map(|((_, why), _)| why.clone()),
        chain: first.map(|(_, chain)| chain),
    })
}

/// Walks one chain; returns where it first fails to hold. The anchor chain's last intact row
/// is kept in `last_anchor`.
async fn walk(
    db: &Db,
    chain: &str,
    head: Option<&Head>,
    checked: &mut i64,
    last_anchor: &mut Option<(i64, serde_json::Value)>,
) -> Result<Option<Break>, sqlx::Error> {
    // Rows appended after the heads were read are the next check's: the chain is walked as far
    // as its head then stood (all of it, for a chain without a head).
    let sql = format!("SELECT {ENTRY_COLUMNS} FROM audit_log WHERE chain = $1 AND chain_seq <= $2 ORDER BY chain_seq");
    let until = head.map_or(i64::MAX, |h| h.seq);
    let mut rows = sqlx::query(&sql).bind(chain).bind(until).fetch(db.pool());
    let mut expected = 1_i64;
    let mut prev_hash = GENESIS_HASH.to_owned();
    let mut last_row = None;
    while let Some(row) = rows.try_next().await? {
        let seq: i64 = row.try_get("seq")?;
        let chain_seq: i64 = row.try_get("chain_seq")?;
        let details: String = row.try_get("details")?;
        let actor: String = row.try_get("actor")?;
        let action: String = row.try_get("action")?;
        let subject: Option<String> = row.try_get("subject")?;
        let stored_prev: String = row.try_get("prev_hash")?;
        let stored_hash: String = row.try_get("hash")?;
        *checked += 1;
        if chain_seq != expected {
            return Ok(Some((seq, "row missing from the sequence before this row".into())));
        }
        if stored_prev != prev_hash {
            return Ok(Some((seq, "row does not link to the previous row's hash".into())));
        }
        let recomputed = Sealed {
            chain,
            seq: chain_seq,
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
            return Ok(Some((seq, "row content does not match its hash".into())));
        }
        if chain == ANCHOR_CHAIN {
            *last_anchor = serde_json::from_str(&details).ok().map(|d| (seq, d));
        }
        prev_hash = stored_hash;
        expected += 1;
        last_row = Some(seq);
    }
    let held = (expected - 1, prev_hash.as_str());
    if head.is_some() {
        // A row is appended with its chain's head, in one transaction: a row beyond the head as
        // it stands now (read after the row) was not appended by the log.
        let beyond: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(seq) FROM audit_log WHERE chain = $1 AND chain_seq > \
             (SELECT seq FROM audit_chains WHERE chain = $1)",
        )
        .bind(chain)
        .fetch_one(db.pool())
        .await?;
        if let Some(seq) = beyond {
            return Ok(Some((seq, "a row beyond its chain's head".into())));
        }
    }
    Ok(match head {
        Some(head) if (head.seq, head.hash.as_str()) == held => None,
        Some(head) => Some((head.last_row, "rows missing from the end of the log".into())),
        None => last_row.map(|seq| (seq, "a chain without a head".into())),
    })
}

/// Whether every chain still holds, at the position the anchor sealed, the hash it sealed.
async fn check_anchor(
    db: &Db,
    anchor_seq: i64,
    sealed: &serde_json::Value,
) -> Result<Option<(Break, String)>, sqlx::Error> {
    let Some(chains) = sealed.get("chains").and_then(|c| c.as_object()) else {
        return Ok(Some(((anchor_seq, "an anchor that seals no chains".into()), ANCHOR_CHAIN.into())));
    };
    for (chain, at) in chains {
        let (Some(position), Some(hash)) = (at["seq"].as_i64(), at["hash"].as_str()) else {
            return Ok(Some(((anchor_seq, format!("an anchor with an unreadable head for {chain}")), chain.clone())));
        };
        let held: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_log WHERE chain = $1 AND chain_seq = $2")
            .bind(chain)
            .bind(position)
            .fetch_optional(db.pool())
            .await?;
        let why = match held {
            Some(h) if h == hash => continue,
            Some(_) => {
                format!("row {position} of the chain was rewritten after the anchor at row {anchor_seq} sealed it")
            }
            None => format!("rows cut from the end of the chain: the anchor at row {anchor_seq} sealed row {position}"),
        };
        return Ok(Some(((anchor_seq, why), chain.clone())));
    }
    Ok(None)
}

/// Seals the head of every chain in an anchor row (R21), unless nothing was appended since the
/// last anchor. Returns the anchor's place in the log, if one was written.
pub async fn anchor(db: &Db, at: DateTime<Utc>) -> Result<Option<i64>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let rows = sqlx::query("SELECT chain, seq, hash FROM audit_chains WHERE chain <> $1 ORDER BY chain")
        .bind(ANCHOR_CHAIN)
        .fetch_all(tx.conn())
        .await?;
    let mut chains = serde_json::Map::new();
    for row in rows {
        let (seq, hash): (i64, String) = (row.try_get("seq")?, row.try_get("hash")?);
        chains.insert(row.try_get("chain")?, serde_json::json!({ "seq": seq, "hash": hash }));
    }
    let sealed = serde_json::json!({ "chains": chains });
    let last: Option<String> =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE chain = $1 ORDER BY chain_seq DESC LIMIT 1")
            .bind(ANCHOR_CHAIN)
            .fetch_optional(tx.conn())
            .await?;
    if chains.is_empty()
        || last.and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok()) == Some(sealed.clone())
    {
        return Ok(None);
    }
    let seq = record(&mut tx, at, Event::new(Actor::system(), AuditAction::AuditAnchored).details(sealed)).await?;
    tx.commit().await?;
    Ok(Some(seq))
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
        chain: "acts@a:1",
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
            Sealed { chain: "acts@b:1", ..BASE },
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
    fn rows_of_the_first_chain_hash_as_they_did_before_there_were_chains() {
        let legacy = Sealed { chain: FIRST_CHAIN, ..BASE };
        let encoded = serde_json::to_string(&legacy).unwrap();
        assert!(encoded.starts_with("{\"seq\":1,"), "{encoded}");
        assert_ne!(legacy.hash(), BASE.hash(), "other chains' names are sealed");
    }

    #[test]
    fn acts_are_chained_by_stream_and_server() {
        assert_eq!(chain_of(AuditAction::ReadsIngested, "a:1"), "ingest@a:1");
        assert_eq!(chain_of(AuditAction::LoginFailed, "a:1"), "sign-in@a:1");
        assert_eq!(chain_of(AuditAction::SearchRun, "b:2"), "acts@b:2");
        assert_eq!(chain_of(AuditAction::AuditAnchored, "b:2"), ANCHOR_CHAIN);
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        // "ab" + "c" and "a" + "bc" must not hash alike.
        let a = Sealed { actor: "ab", action: "c", ..BASE };
        let b = Sealed { actor: "a", action: "bc", ..BASE };
        assert_ne!(a.hash(), b.hash());
    }
}
