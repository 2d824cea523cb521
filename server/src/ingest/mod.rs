//! Reads in: every format is turned into `NativeRead`s, then one path checks each read, brings
//! its images within the limits (R2), refuses reads from cameras that are not approved (R3),
//! stores the good ones durably — the response is sent only after the commit — and keeps what
//! it refused in the dead-letter store.

#[cfg(test)]
pub(crate) mod fuzz;
pub mod group;
pub mod hikvision;
pub mod openalpr;
pub mod platerecognizer;

use crate::audit::{self, Actor, Event};
use crate::cameras::{CameraCache, Feed};
use crate::clock::to_millis;
use crate::config::Config;
use crate::error::AppResult;
use crate::hotlists::AlertStream;
use crate::imagery::{self, store::Images, Conformed};
use crate::reads::days::ReadDays;
use crate::reads::{self, write::NewRead};
use crate::search::grant::stamp;
use crate::store::{Db, Tx};
use chrono::{DateTime, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use shared::reads::{ImageProblem, Refusal};
use shared::{AuditAction, CameraStatus, CameraView, ImageKind, IngestReport, NativeRead, ReadView};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::broadcast;

/// Longest payload kept in a dead letter.
const DEAD_LETTER_MAX: usize = 64 * 1024;

/// One read of a request, as its format's parser left it.
pub struct Submitted {
    pub index: usize,
    pub read: Result<NativeRead, String>,
    /// The read as received, kept if it is refused.
    pub raw: Box<RawValue>,
    /// The frames the engine saw the vehicle in, when it names them.
    pub sighting: Option<Sighting>,
}

/// An engine's own names for the frames it saw one vehicle in (OpenALPR's group uuids). A read
/// naming a frame of a stored read is the same sighting sent again: a final replaces the
/// preview it follows (R1: the read keeps the final's plate, confidence and images); anything
/// else is a duplicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    /// First frame first; the first names the stored read.
    pub frames: Vec<String>,
    pub preview: bool,
}

/// A stored preview, to be replaced by its final.
pub struct Preview {
    id: i64,
    images: Vec<String>,
}

/// A read that passed every check, with its camera and its images ready to store.
pub struct Accepted {
    read: NativeRead,
    camera: CameraView,
    plate_image: Option<(String, Conformed)>,
    overview_image: Option<(String, Conformed)>,
    sighting: Option<Sighting>,
}

/// What taking reads in needs of the server: its clock reading, settings, database, stores,
/// caches, writer and the channels that show stored reads and alerts live.
pub struct Intake<'a> {
    pub now: DateTime<Utc>,
    pub config: &'a Config,
    pub db: &'a Db,
    pub images: &'a Images,
    pub cameras: &'a CameraCache,
    pub read_days: &'a ReadDays,
    pub writer: &'a group::GroupCommit,
    pub alerts: &'a AlertStream,
    pub live: &'a broadcast::Sender<Arc<ReadView>>,
}

pub async fn ingest(
    state: &Intake<'_>,
    feed: &Feed,
    format: &'static str,
    submitted: Vec<Submitted>,
) -> AppResult<IngestReport> {
    let now = state.now;
    let cameras = state.cameras.of_feed(state.db, feed.id).await?;

    let mut report = IngestReport::default();
    let mut dead = Vec::new();
    let mut refused_by_camera: HashMap<i64, i64> = HashMap::new();
    let mut refused_unknown: HashMap<String, i64> = HashMap::new();
    let mut candidates = Vec::new();
    // Checked at the door (R1, R18): a capture time too far ahead of the server's clock, or
    // before the retention cutoff, is refused and never stored; a backlog inside retention is
    // taken.
    let latest = now + chrono::Duration::seconds(state.config.ingest.max_future_seconds);
    let cutoff = crate::access::policy::retention_cutoff(&state.config.access, now);
    for Submitted { index, read, raw, sighting } in submitted {
        // Reads from unknown or unapproved cameras are counted against them, not kept (R3).
        let mut counted_only = false;
        let verdict = read.and_then(|read| {
            read.check()?;
            let camera = cameras.get(read.camera.trim());
            let time_refusal = if read.captured_at > latest {
                Some(format!(
                    "captured_at {} is more than {} s after the server's clock ({})",
                    stamp(read.captured_at),
                    state.config.ingest.max_future_seconds,
                    stamp(now)
                ))
            } else if read.captured_at < cutoff {
                Some(format!(
                    "captured_at {} is before the retention cutoff {}: such reads are not kept (R18)",
                    stamp(read.captured_at),
                    stamp(cutoff)
                ))
            } else {
                None
            };
            if let (Some(why), Some(camera)) = (&time_refusal, camera) {
                *refused_by_camera.entry(camera.id).or_default() += 1;
                return Err(why.clone());
            }
            match camera {
                None => {
                    *refused_unknown.entry(read.camera.trim().to_owned()).or_default() += 1;
                    counted_only = true;
                    Err(format!("camera `{}` is not registered for this feed", read.camera))
                }
                Some(camera) if camera.status != CameraStatus::Approved => {
                    *refused_by_camera.entry(camera.id).or_default() += 1;
                    counted_only = true;
                    Err(format!("camera `{}` is {}, not approved", read.camera, camera.status.as_str()))
                }
                Some(camera) => match time_refusal {
                    Some(why) => Err(why),
                    None => Ok((index, read, camera.clone(), sighting)),
                },
            }
        });
        match verdict {
            Ok(candidate) => candidates.push(candidate),
            Err(reason) => {
                // What a reason quotes of a payload is kept printable, whatever the format.
                let reason = printable_reason(reason);
                if !counted_only {
                    dead.push((reason.clone(), raw));
                }
                report.refused.push(Refusal { index, reason });
            }
        }
    }

    let (accepted, problems) = prepare_images(feed.id, candidates).await;
    report.image_problems = problems;
    let offered = accepted.len();
    // A sighting already held is settled before its images are stored, so a late preview
    // cannot overwrite its final's images.
    let (fresh, finals) = match_sightings(state.db, feed.id, accepted).await?;
    store_images(state.images, fresh.iter().chain(finals.iter().map(|(_, a)| a))).await?;

    let batch = group::Batch {
        feed_id: feed.id,
        feed_name: feed.name.clone(),
        format,
        now,
        fresh,
        finals,
        refused_by_camera,
        refused_unknown,
        dead: dead.iter().map(|(reason, raw)| (reason.clone(), describe_raw(raw))).collect(),
        refused: report.refused.len(),
        image_problems: report.image_problems.len(),
    };
    // Every read's day has its partition before the writer takes the group.
    let days = batch
        .fresh
        .iter()
        .chain(batch.finals.iter().map(|(_, a)| a))
        .map(|a| crate::reads::days::day_of(a.read.captured_at));
    state.read_days.ensure(state.db, days).await?;
    // Durable once this returns: the writer commits it with whatever else arrived meanwhile.
    let committed = state.writer.commit(batch).await?;
    report.accepted = committed.accepted;
    report.replaced = committed.replaced;
    report.duplicates = offered - report.accepted - report.replaced;
    for key in committed.gone_images {
        if let Err(e) = state.images.delete(&key).await {
            tracing::warn!(error = %e, key, "could not delete a replaced preview's image");
        }
    }

    // Only now, with the reads and their alerts durable, are they shown live.
    crate::hotlists::publish(state.db, state.alerts, &committed.alerts).await?;
    if state.live.receiver_count() > 0 {
        for view in committed.stored {
            let _ = state.live.send(Arc::new(view));
        }
    }
    Ok(report)
}

/// A reason as it can be kept: what it quotes of a payload may hold control characters, shown
/// as U+FFFD.
pub fn printable_reason(reason: String) -> String {
    if reason.chars().any(char::is_control) {
        reason.chars().map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect()
    } else {
        reason
    }
}

/// Decodes and conforms every image, spread over the blocking pool. A bad image costs the
/// read that image, not the read.
async fn prepare_images(
    feed_id: i64,
    candidates: Vec<(usize, NativeRead, CameraView, Option<Sighting>)>,
) -> (Vec<Accepted>, Vec<ImageProblem>) {
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let chunk = candidates.len().div_ceil(workers).max(1);
    let mut chunks = Vec::new();
    let mut rest = candidates;
    while !rest.is_empty() {
        let tail = rest.split_off(chunk.min(rest.len()));
        chunks.push(std::mem::replace(&mut rest, tail));
    }
    let jobs = chunks.into_iter().map(|chunk| {
        tokio::task::spawn_blocking(move || {
            let mut accepted = Vec::with_capacity(chunk.len());
            let mut problems = Vec::new();
            for (index, mut read, camera, sighting) in chunk {
                let mut conform = |kind: ImageKind, data: Option<String>| {
                    let data = data?;
                    let done = imagery::from_base64(&data).and_then(|bytes| imagery::conform(kind, &bytes));
                    match done {
                        Ok(image) => {
                            let key = Images::key(
                                read.captured_at,
                                feed_id,
                                camera.id,
                                read.plate.as_str(),
                                kind,
                                image.format.extension(),
                            );
                            Some((key, image))
                        }
                        Err(e) => {
                            problems.push(ImageProblem { index, image: kind, reason: e.to_string() });
                            None
                        }
                    }
                };
                let plate_image = conform(ImageKind::Plate, read.plate_image.take());
                let overview_image = conform(ImageKind::Overview, read.overview_image.take());
                accepted.push(Accepted { read, camera, plate_image, overview_image, sighting });
            }
            (accepted, problems)
        })
    });
    let mut accepted = Vec::new();
    let mut problems = Vec::new();
    for job in futures_util::future::join_all(jobs).await {
        let (a, p) = job.expect("image work does not panic");
        accepted.extend(a);
        problems.extend(p);
    }
    problems.sort_by_key(|p| p.index);
    (accepted, problems)
}

async fn store_images(images: &Images, accepted: impl Iterator<Item = &Accepted>) -> AppResult<()> {
    let mut objects = Vec::new();
    for a in accepted {
        for (key, image) in [&a.plate_image, &a.overview_image].into_iter().flatten() {
            objects.push((key.clone(), image.bytes.clone()));
        }
    }
    stream::iter(objects)
        .map(|(key, bytes)| {
            let images = images.clone();
            async move { images.put(&key, bytes).await }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<()>>()
        .await
        .map_err(crate::error::AppError::internal)?;
    Ok(())
}

/// Sorts reads that name their frames by what is held already: new (stored like any read), a
/// final whose preview is held (replaces it), or a sighting held already (dropped as a
/// duplicate). Returns the reads to insert, and the finals with the preview each replaces.
async fn match_sightings(
    db: &Db,
    feed_id: i64,
    accepted: Vec<Accepted>,
) -> Result<(Vec<Accepted>, Vec<(Preview, Accepted)>), sqlx::Error> {
    let mut fresh = Vec::with_capacity(accepted.len());
    let mut finals = Vec::new();
    for a in accepted {
        let Some(sighting) = &a.sighting else {
            fresh.push(a);
            continue;
        };
        match reads::write::held_sighting(db, feed_id, &sighting.frames).await? {
            None => fresh.push(a),
            Some(held) if held.provisional && !sighting.preview => {
                finals.push((Preview { id: held.id, images: held.images }, a));
            }
            Some(_) => {}
        }
    }
    Ok((fresh, finals))
}

impl Accepted {
    /// The read as `reads` stores it.
    fn to_store(&self, feed_id: i64, received_at: DateTime<Utc>) -> NewRead<'_> {
        NewRead {
            feed_id,
            camera_id: self.camera.id,
            read: &self.read,
            received_at,
            plate_image: self.plate_image.as_ref().map(|(k, _)| k.as_str()),
            overview_image: self.overview_image.as_ref().map(|(k, _)| k.as_str()),
            source_key: self.sighting.as_ref().and_then(|s| s.frames.first()).map(String::as_str),
            provisional: self.sighting.as_ref().is_some_and(|s| s.preview),
        }
    }
}

/// Puts each final in its preview's place. Returns the reads as they now stand, and the preview
/// images no longer used. A final that would collide with another stored read is a duplicate.
async fn replace_previews(
    tx: &mut Tx,
    feed_id: i64,
    now: DateTime<Utc>,
    finals: &[(Preview, Accepted)],
) -> Result<(Vec<ReadView>, Vec<String>), sqlx::Error> {
    let mut replaced = Vec::new();
    let mut gone = Vec::new();
    for (preview, a) in finals {
        if reads::write::replace_preview(tx, preview.id, &a.to_store(feed_id, now)).await? {
            let kept = [&a.plate_image, &a.overview_image].map(|i| i.as_ref().map(|(k, _)| k.as_str()));
            gone.extend(preview.images.iter().filter(|k| !kept.contains(&Some(k.as_str()))).cloned());
            replaced.push(view_of(preview.id, a));
        }
    }
    Ok((replaced, gone))
}

/// Stores the reads of a group, skipping any already held. Each comes with its request's place
/// in the group, its feed and its receipt time; returns the ones stored, each with its
/// request's place.
async fn insert_reads(
    tx: &mut Tx,
    fresh: &[(usize, i64, DateTime<Utc>, &Accepted)],
) -> Result<Vec<(usize, ReadView)>, sqlx::Error> {
    let rows: Vec<NewRead> = fresh.iter().map(|(_, feed_id, now, a)| a.to_store(*feed_id, *now)).collect();
    let stored = reads::write::insert(tx, &rows).await?;
    Ok(stored.into_iter().map(|(i, id)| (fresh[i].0, view_of(id, fresh[i].3))).collect())
}

fn view_of(id: i64, a: &Accepted) -> ReadView {
    let r = &a.read;
    ReadView {
        id,
        plate: r.plate.to_string(),
        captured_at: r.captured_at,
        camera_id: a.camera.id,
        camera_name: a.camera.name.clone(),
        lat: a.camera.lat,
        lon: a.camera.lon,
        confidence: r.confidence,
        direction: r.direction.clone(),
        lane: r.lane.map(i64::from),
        make: r.make.clone(),
        model: r.model.clone(),
        colour: r.colour.clone(),
        has_plate_image: a.plate_image.is_some(),
        has_overview_image: a.overview_image.is_some(),
        verdict: None,
        corrected_plate: None,
    }
}

fn describe_raw(raw: &RawValue) -> String {
    describe_text(raw.get())
}

/// A refused payload as kept for diagnosis (R3, R21): its shape and fields, with every plate
/// masked and every image dropped, so the dead-letter store is no way to read plates. What is not
/// JSON is kept as its length only.
fn describe_text(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut value) => {
            mask(&mut value, false);
            value.to_string()
        }
        Err(_) => format!("[{} bytes that are not JSON]", text.len()),
    }
}

/// Whether a field's name says what it holds is safe to keep for diagnosis: the camera, a
/// time, a confidence. Every other text is masked, wherever it is: a plate may be sent under
/// any name, or as a bare string.
fn safe_to_keep(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["camera", "captured_at", "time", "date", "epoch", "confidence", "data_type", "version", "uuid"]
        .iter()
        .any(|k| key.contains(k))
        && !["plate", "vrm", "registration", "candidate"].iter().any(|k| key.contains(k))
}

fn names_an_image(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["image", "jpeg", "jpg", "png", "photo", "picture", "overview", "patch"].iter().any(|k| key.contains(k))
}

/// Masks every value not under a field safe to keep; drops images.
fn mask(value: &mut Value, safe: bool) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if names_an_image(key) && !v.is_object() && !v.is_array() {
                    *v = Value::String("[image dropped]".into());
                } else {
                    mask(v, safe_to_keep(key));
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| mask(v, false)),
        Value::String(s) if s.len() > 256 => *s = "[long text dropped]".into(),
        Value::String(_) if safe => {}
        Value::String(s) => *s = format!("[text masked: {} characters]", s.chars().count()),
        Value::Number(n) if !safe => *value = Value::String(format!("[number masked: {} digits]", n.to_string().len())),
        _ => {}
    }
}

/// A refusal's reason as kept with its dead letter: what it quotes of the payload (a parser
/// names the value it could not read) masked like the payload.
fn masked_reason(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut quoted = false;
    for c in reason.chars() {
        if c == '"' {
            if quoted {
                out.push_str("[masked]");
            }
            quoted = !quoted;
            out.push(c);
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

/// Keeps a refused payload (or one refused read of it), truncated, for an admin to inspect.
pub async fn dead_letter(
    tx: &mut Tx,
    feed_id: Option<i64>,
    now: DateTime<Utc>,
    format: &str,
    reason: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    let mut end = payload.len().min(DEAD_LETTER_MAX);
    while !payload.is_char_boundary(end) {
        end -= 1;
    }
    sqlx::query("INSERT INTO dead_letters (feed_id, received_at, format, reason, payload) VALUES ($1, $2, $3, $4, $5)")
        .bind(feed_id)
        .bind(to_millis(now))
        .bind(format)
        .bind(masked_reason(reason))
        .bind(&payload[..end])
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Keeps a whole refused payload in a transaction of its own.
pub async fn dead_letter_alone(
    db: &Db,
    feed_id: Option<i64>,
    now: DateTime<Utc>,
    format: &str,
    reason: &str,
    payload: &[u8],
) -> Result<(), sqlx::Error> {
    let shown = describe_text(&String::from_utf8_lossy(payload));
    let mut tx = db.begin().await?;
    dead_letter(&mut tx, feed_id, now, format, reason, &shown).await?;
    tx.commit().await
}

pub async fn dead_letters(db: &Db, limit: i64) -> Result<Vec<shared::reads::DeadLetter>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, feed_id, received_at, format, reason, payload FROM dead_letters ORDER BY id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(shared::reads::DeadLetter {
                id: r.try_get("id")?,
                feed_id: r.try_get("feed_id")?,
                received_at: crate::clock::from_millis(r.try_get("received_at")?),
                format: r.try_get("format")?,
                reason: r.try_get("reason")?,
                payload: r.try_get("payload")?,
            })
        })
        .collect()
}

/// Deletes refused payloads older than `days` (they hold plates, R18), audited with the count.
pub async fn purge_dead_letters(db: &Db, now: DateTime<Utc>, days: i64) -> Result<u64, sqlx::Error> {
    let before = now - chrono::Duration::days(days);
    let mut tx = db.begin().await?;
    let gone = sqlx::query("DELETE FROM dead_letters WHERE received_at < $1")
        .bind(to_millis(before))
        .execute(tx.conn())
        .await?
        .rows_affected();
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::system(), AuditAction::DeadLettersPurged)
            .details(json!({ "received_before": before, "deleted": gone })),
    )
    .await?;
    tx.commit().await?;
    Ok(gone)
}

#[cfg(test)]
mod dead_letter_tests {
    use super::*;

    #[test]
    fn a_dead_letter_keeps_no_plate_wherever_it_was_sent() {
        for payload in [
            r#"{"reads":"PLATE777"}"#,
            r#"{"reads":["AB12CDE",["XY34FGH","CAM1"]]}"#,
            r#"["OA12PLT"]"#,
            r#"{"plate":12345,"direction":"KE19XYZ","extra":"EXTRA99","camera":"CAM-A","captured_at":"2026-03-02T08:00:00Z"}"#,
        ] {
            let kept = describe_text(payload);
            for plate in ["PLATE777", "AB12CDE", "XY34FGH", "OA12PLT", "12345", "KE19XYZ", "EXTRA99"] {
                assert!(!kept.contains(plate), "{plate} kept in {kept}");
            }
            if payload.contains("CAM-A") {
                assert!(kept.contains("CAM-A") && kept.contains("2026-03-02T08:00:00Z"), "{kept}");
            }
        }
        assert_eq!(
            masked_reason(r#"invalid type: string "AB12CDE", expected struct NativeRead"#),
            r#"invalid type: string "[masked]", expected struct NativeRead"#
        );
    }
}
