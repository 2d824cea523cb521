//! Group commit (R1, R21): the server's writers take the checked reads of every ingest request
//! and commit those that arrived while the last commit was in flight in one transaction — one
//! multi-row insert, one audit row for the group — then answer each request. A request is
//! answered only after its reads are durable; a group that fails is retried request by request,
//! so one request's failure never fails another's.
//!
//! On PostgreSQL several writers take turns: while one group commits (and waits for the disk),
//! the next is gathered and inserted by another; their audit rows go to the server's ingest
//! chain in commit order, the chain's head being the last thing each group takes. SQLite has one
//! writer.

use super::{dead_letter, insert_reads, replace_previews, Accepted, Preview};
use crate::audit::{self, Actor, Event};
use crate::changes::{self, Change};
use crate::error::{AppError, AppResult};
use crate::hotlists::Matcher;
use crate::store::{Backend, Db, Tx};
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::{AuditAction, ReadView};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Requests waiting for the writer; a full queue makes requests wait to be queued.
const QUEUE: usize = 4096;

/// What one request brings to the writer: its checked reads, and what it refused.
pub struct Batch {
    pub feed_id: i64,
    pub feed_name: String,
    pub format: &'static str,
    pub now: DateTime<Utc>,
    pub fresh: Vec<Accepted>,
    pub finals: Vec<(Preview, Accepted)>,
    pub refused_by_camera: HashMap<i64, i64>,
    pub refused_unknown: HashMap<String, i64>,
    /// Refused reads kept for inspection: (reason, payload as described).
    pub dead: Vec<(String, String)>,
    /// For the audit row: reads refused and images dropped at the door.
    pub refused: usize,
    pub image_problems: usize,
}

impl Batch {
    fn reads(&self) -> usize {
        self.fresh.len() + self.finals.len()
    }
}

/// What the writer did with a request's reads, once durable.
#[derive(Debug, Default)]
pub struct Committed {
    /// New reads and replaced previews, as they now stand.
    pub stored: Vec<ReadView>,
    pub accepted: usize,
    pub replaced: usize,
    pub alerts: Vec<i64>,
    /// Entries suspended for matching too many vehicles (R10).
    pub suspended: Vec<i64>,
    /// Images of replaced previews no longer used.
    pub gone_images: Vec<String>,
}

struct Pending {
    batch: Batch,
    reply: oneshot::Sender<AppResult<Committed>>,
}

/// The handle requests give their reads to.
#[derive(Clone)]
pub struct GroupCommit {
    queue: mpsc::Sender<Pending>,
}

impl GroupCommit {
    /// Starts `writers` writers (one on SQLite). A group holds at most `max_reads` reads (more
    /// only when one request alone brings more).
    pub fn start(db: Db, matcher: Matcher, max_reads: usize, writers: usize) -> GroupCommit {
        let (queue, incoming) = mpsc::channel(QUEUE);
        let incoming = Arc::new(Mutex::new(incoming));
        let writers = if db.backend() == Backend::Postgres { writers.max(1) } else { 1 };
        for _ in 0..writers {
            tokio::spawn(run(db.clone(), matcher.clone(), incoming.clone(), max_reads.max(1)));
        }
        GroupCommit { queue }
    }

    /// Commits `batch` with whatever else is waiting, and answers once it is durable.
    pub async fn commit(&self, batch: Batch) -> AppResult<Committed> {
        let (reply, answer) = oneshot::channel();
        let stopped = || AppError::internal("the ingest writer has stopped");
        self.queue.send(Pending { batch, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// One writer: gathers a group while holding the queue, then lets the next writer gather while
/// it commits.
async fn run(db: Db, matcher: Matcher, incoming: Arc<Mutex<mpsc::Receiver<Pending>>>, max_reads: usize) {
    while let Some(group) = gather(&incoming, max_reads).await {
        commit_group(&db, &matcher, group).await;
    }
}

/// The requests waiting, up to `max_reads` reads; `None` once the server has stopped.
async fn gather(incoming: &Mutex<mpsc::Receiver<Pending>>, max_reads: usize) -> Option<Vec<Pending>> {
    let mut incoming = incoming.lock().await;
    let first = incoming.recv().await?;
    let mut reads = first.batch.reads();
    let mut group = vec![first];
    while reads < max_reads {
        match incoming.try_recv() {
            Ok(next) => {
                reads += next.batch.reads();
                group.push(next);
            }
            Err(_) => break,
        }
    }
    Some(group)
}

async fn commit_group(db: &Db, matcher: &Matcher, group: Vec<Pending>) {
    let (batches, replies): (Vec<Batch>, Vec<_>) = group.into_iter().map(|p| (p.batch, p.reply)).unzip();
    match write(db, matcher, &batches).await {
        Ok(done) => {
            let (alerts, reads) = ids_of(&done);
            let suspended = suspended_by(matcher, &done);
            for (reply, committed) in replies.into_iter().zip(done) {
                let _ = reply.send(Ok(committed));
            }
            tell_other_servers(db, alerts, reads, suspended).await;
        }
        // Alone, each request stands or falls by itself.
        Err(e) if batches.len() > 1 => {
            tracing::warn!(error = %e, requests = batches.len(), "an ingest group failed; committing its requests one by one");
            for (batch, reply) in batches.into_iter().zip(replies) {
                match write(db, matcher, std::slice::from_ref(&batch)).await {
                    Ok(mut done) => {
                        let (alerts, reads) = ids_of(&done);
                        let suspended = suspended_by(matcher, &done);
                        let _ = reply.send(Ok(done.remove(0)));
                        tell_other_servers(db, alerts, reads, suspended).await;
                    }
                    Err(e) => {
                        let _ = reply.send(Err(AppError::from(e)));
                    }
                }
            }
        }
        Err(e) => {
            for reply in replies {
                let _ = reply.send(Err(AppError::internal(e.to_string())));
            }
        }
    }
}

/// The alerts raised and reads stored by a committed group.
fn ids_of(done: &[Committed]) -> (Vec<i64>, Vec<i64>) {
    let alerts = done.iter().flat_map(|d| d.alerts.iter().copied()).collect();
    let reads = done.iter().flat_map(|d| d.stored.iter().map(|r| r.id)).collect();
    (alerts, reads)
}

/// The entries a committed group suspended, taken out of this server's index at once.
fn suspended_by(matcher: &Matcher, done: &[Committed]) -> Vec<i64> {
    let suspended: Vec<i64> = done.iter().flat_map(|d| d.suspended.iter().copied()).collect();
    matcher.apply(&[], &suspended);
    suspended
}

/// Once per group, never once per read: the other servers send the alerts to their audiences
/// and the reads to their live-time watches, and take suspended entries out of their index.
async fn tell_other_servers(db: &Db, alerts: Vec<i64>, reads: Vec<i64>, suspended: Vec<i64>) {
    changes::announce(db, Change::Alerts { ids: alerts }).await;
    changes::announce(db, Change::Reads { ids: reads }).await;
    if !suspended.is_empty() {
        changes::announce(db, Change::Entries { ids: suspended }).await;
    }
}

/// Writes every batch of the group and its one audit row in one transaction.
async fn write(db: &Db, matcher: &Matcher, batches: &[Batch]) -> Result<Vec<Committed>, sqlx::Error> {
    let mut tx = db.begin().await?;
    let mut done: Vec<Committed> = batches.iter().map(|_| Committed::default()).collect();
    let fresh: Vec<(usize, i64, DateTime<Utc>, &Accepted)> =
        batches.iter().enumerate().flat_map(|(i, b)| b.fresh.iter().map(move |a| (i, b.feed_id, b.now, a))).collect();
    for (i, view) in insert_reads(&mut tx, &fresh).await? {
        done[i].stored.push(view);
    }
    for (b, d) in batches.iter().zip(done.iter_mut()) {
        d.accepted = d.stored.len();
        let (replaced, gone) = replace_previews(&mut tx, b.feed_id, b.now, &b.finals).await?;
        d.replaced = replaced.len();
        d.stored.extend(replaced);
        d.gone_images = gone;
        let raised = crate::hotlists::raise_alerts(&mut tx, matcher, b.now, &d.stored).await?;
        (d.alerts, d.suspended) = (raised.alerts, raised.suspended);
        crate::cameras::count_refusals(&mut tx, b.feed_id, b.now, &b.refused_by_camera, &b.refused_unknown).await?;
        for (reason, payload) in &b.dead {
            dead_letter(&mut tx, Some(b.feed_id), b.now, b.format, reason, payload).await?;
        }
    }
    record(&mut tx, batches, &done).await?;
    tx.commit().await?;
    Ok(done)
}

/// One audit row for the group (R21): who sent it, and what became of its reads.
async fn record(tx: &mut Tx, batches: &[Batch], done: &[Committed]) -> Result<(), sqlx::Error> {
    let feeds: BTreeMap<i64, &str> = batches.iter().map(|b| (b.feed_id, b.feed_name.as_str())).collect();
    let (actor, subject) = match feeds.iter().next() {
        Some((id, name)) if feeds.len() == 1 => (format!("feed:{name}"), format!("feed {id}")),
        _ => {
            ("ingest".to_owned(), format!("feeds {}", feeds.keys().map(i64::to_string).collect::<Vec<_>>().join(", ")))
        }
    };
    let formats: std::collections::BTreeSet<&str> = batches.iter().map(|b| b.format).collect();
    let accepted: usize = done.iter().map(|d| d.accepted).sum();
    let replaced: usize = done.iter().map(|d| d.replaced).sum();
    let offered: usize = batches.iter().map(Batch::reads).sum();
    let at = batches.iter().map(|b| b.now).max().unwrap_or_default();
    let details = json!({
        "format": formats.into_iter().collect::<Vec<_>>().join(","),
        "requests": batches.len(),
        "accepted": accepted,
        "replaced": replaced,
        "duplicates": offered - accepted - replaced,
        "refused": batches.iter().map(|b| b.refused).sum::<usize>(),
        "image_problems": batches.iter().map(|b| b.image_problems).sum::<usize>(),
        "alerts": done.iter().map(|d| d.alerts.len()).sum::<usize>(),
    });
    let event =
        Event::new(Actor { id: None, name: actor }, AuditAction::ReadsIngested).subject(subject).details(details);
    audit::record(tx, at, event).await.map(|_| ())
}
