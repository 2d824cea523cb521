//! Reads in: every format is turned into `NativeRead`s, then one path checks each read, brings
//! its images within the limits (R2), refuses reads from cameras that are not approved (R3),
//! stores the good ones durably — the response is sent only after the commit — and keeps what
//! it refused in the dead-letter store.

pub mod group;
pub mod openalpr;

use crate::audit::{self, Actor, Event};
use crate::cameras::Feed;
use crate::clock::to_millis;
use crate::error::AppResult;
use crate::imagery::{self, store::Images, Conformed};
use crate::search::grant::stamp;
use crate::state::AppState;
use crate::store::{Db, Tx};
use chrono::{DateTime, Utc};
use futures_util::{stream, StreamExt, TryStreamExt};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use shared::reads::{ImageProblem, Refusal};
use shared::{AuditAction, CameraStatus, CameraView, ImageKind, IngestReport, NativeRead, ReadView};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Longest payload kept in a dead letter.
const DEAD_LETTER_MAX: usize = 64 * 1024;
/// Parameters per stored read.
const READ_PARAMETERS: usize = 16;
/// Rows per INSERT statement (250 × 16 parameters stays far below both databases' limits).
const ROWS_PER_INSERT: usize = 250;

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

pub async fn ingest(
    state: &AppState,
    feed: &Feed,
    format: &'static str,
    submitted: Vec<Submitted>,
) -> AppResult<IngestReport> {
    let now = state.clock.now();
    let cameras = state.cameras.of_feed(&state.db, feed.id).await?;

    let mut report = IngestReport::default();
    let mut dead = Vec::new();
    let mut refused_by_camera: HashMap<i64, i64> = HashMap::new();
    let mut refused_unknown: HashMap<String, i64> = HashMap::new();
    let mut candidates = Vec::new();
    // Checked at the door (R1, R18): a capture time too far ahead of the server's clock, or
    // before the retention cutoff, is refused and never stored; a backlog inside retention is
    // taken.
    let latest = now + chrono::Duration::seconds(state.config.ingest.max_future_seconds);
    let cutoff = crate::search::grant::retention_cutoff(&state.config.access, now);
    for Submitted { index, read, raw, sighting } in submitted {
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
                    Err(format!("camera `{}` is not registered for this feed", read.camera))
                }
                Some(camera) if camera.status != CameraStatus::Approved => {
                    *refused_by_camera.entry(camera.id).or_default() += 1;
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
                dead.push((reason.clone(), raw));
                report.refused.push(Refusal { index, reason });
            }
        }
    }

    let (accepted, problems) = prepare_images(feed.id, candidates).await;
    report.image_problems = problems;
    let offered = accepted.len();
    // A sighting already held is settled before its images are stored, so a late preview
    // cannot overwrite its final's images.
    let (fresh, finals) = match_sightings(&state.db, feed.id, accepted).await?;
    store_images(&state.images, fresh.iter().chain(finals.iter().map(|(_, a)| a))).await?;

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
    state.read_days.ensure(&state.db, days).await?;
    // Durable once this returns: the writer commits it with whatever else arrived meanwhile.
    let committed = state.ingest.commit(batch).await?;
    report.accepted = committed.accepted;
    report.replaced = committed.replaced;
    report.duplicates = offered - report.accepted - report.replaced;
    for key in committed.gone_images {
        if let Err(e) = state.images.delete(&key).await {
            tracing::warn!(error = %e, key, "could not delete a replaced preview's image");
        }
    }

    // Only now, with the reads and their alerts durable, are they shown live.
    crate::hotlists::publish(&state.db, &state.alerts, &committed.alerts).await?;
    if state.live.receiver_count() > 0 {
        for view in committed.stored {
            let _ = state.live.send(Arc::new(view));
        }
    }
    Ok(report)
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
        let marks = (0..sighting.frames.len()).map(|i| db.backend().parameter(i + 2)).collect::<Vec<_>>().join(",");
        let sql = format!(
            "SELECT id, provisional, plate_image, overview_image FROM reads WHERE feed_id = $1 AND source_key IN ({marks}) \
             ORDER BY id LIMIT 1"
        );
        let mut query = sqlx::query(&sql).bind(feed_id);
        for frame in &sighting.frames {
            query = query.bind(frame);
        }
        match query.fetch_optional(db.pool()).await? {
            None => fresh.push(a),
            Some(held) if held.try_get::<i64, _>("provisional")? == 1 && !sighting.preview => {
                let images = ["plate_image", "overview_image"]
                    .into_iter()
                    .filter_map(|c| held.try_get::<Option<String>, _>(c).transpose())
                    .collect::<Result<Vec<_>, _>>()?;
                finals.push((Preview { id: held.try_get("id")?, images }, a));
            }
            Some(_) => {}
        }
    }
    Ok((fresh, finals))
}

/// Puts each final in its preview's place (same id, so alerts and searches that found the
/// preview find the final). Returns the reads as they now stand, and the preview images no
/// longer used. A final that would collide with another stored read is a duplicate.
async fn replace_previews(
    tx: &mut Tx,
    feed_id: i64,
    now: DateTime<Utc>,
    finals: &[(Preview, Accepted)],
) -> Result<(Vec<ReadView>, Vec<String>), sqlx::Error> {
    let mut replaced = Vec::new();
    let mut gone = Vec::new();
    for (preview, a) in finals {
        let done = bind_read(
            sqlx::query(
                "UPDATE reads SET camera_id = $1, plate = $2, captured_at = $3, received_at = $4, confidence = $5, \
             direction = $6, lane = $7, make = $8, model = $9, colour = $10, plate_image = $11, overview_image = $12, \
             plate_skeleton = $13, provisional = 0 \
             WHERE id = $14 AND provisional = 1 AND NOT EXISTS (SELECT 1 FROM reads other \
               WHERE other.camera_id = $1 AND other.captured_at = $3 AND other.plate = $2 AND other.feed_id = $15 \
               AND other.id <> $14)",
            ),
            a,
            now,
        )
        .bind(preview.id)
        .bind(feed_id)
        .execute(tx.conn())
        .await?;
        if done.rows_affected() == 1 {
            let kept = [&a.plate_image, &a.overview_image].map(|i| i.as_ref().map(|(k, _)| k.as_str()));
            gone.extend(preview.images.iter().filter(|k| !kept.contains(&Some(k.as_str()))).cloned());
            replaced.push(view_of(preview.id, a));
        }
    }
    Ok((replaced, gone))
}

/// Binds a read's stored fields, in the order both the insert and a preview's replacement name
/// them: camera, plate, capture and receipt times, confidence, direction, lane, make, model,
/// colour, image keys, plate skeleton.
fn bind_read<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    a: &'q Accepted,
    now: DateTime<Utc>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let r = &a.read;
    query
        .bind(a.camera.id)
        .bind(r.plate.as_str())
        .bind(to_millis(r.captured_at))
        .bind(to_millis(now))
        .bind(r.confidence)
        .bind(r.direction.as_deref())
        .bind(r.lane.map(i64::from))
        .bind(r.make.as_deref())
        .bind(r.model.as_deref())
        .bind(r.colour.as_deref())
        .bind(a.plate_image.as_ref().map(|(k, _)| k.as_str()))
        .bind(a.overview_image.as_ref().map(|(k, _)| k.as_str()))
        .bind(r.plate.skeleton())
}

/// Inserts the reads of a group, skipping any already held (same feed, camera, capture time and
/// plate). Each comes with its request's place in the group, its feed and its receipt time;
/// returns the ones inserted, each with its request's place.
async fn insert_reads(
    tx: &mut Tx,
    reads: &[(usize, i64, DateTime<Utc>, &Accepted)],
) -> Result<Vec<(usize, ReadView)>, sqlx::Error> {
    let mut inserted = Vec::with_capacity(reads.len());
    for rows in reads.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO reads (feed_id, camera_id, plate, captured_at, received_at, confidence, direction, lane, \
             make, model, colour, plate_image, overview_image, plate_skeleton, source_key, provisional) VALUES ",
        );
        for i in 0..rows.len() {
            let b = i * READ_PARAMETERS;
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&(1..=READ_PARAMETERS).map(|k| tx.backend().parameter(b + k)).collect::<Vec<_>>().join(","));
            sql.push(')');
        }
        sql.push_str(
            " ON CONFLICT (camera_id, captured_at, plate, feed_id) DO NOTHING \
             RETURNING id, feed_id, camera_id, plate, captured_at",
        );
        let mut query = sqlx::query(&sql);
        for (_, feed_id, now, a) in rows {
            query = bind_read(query.bind(feed_id), a, *now)
                .bind(a.sighting.as_ref().and_then(|s| s.frames.first()).map(String::as_str))
                .bind(i64::from(a.sighting.as_ref().is_some_and(|s| s.preview)));
        }
        let returned = query.fetch_all(tx.conn()).await?;
        // The same read sent twice in one group is the first sender's; the other's duplicate.
        let mut by_key: HashMap<(i64, i64, &str, i64), (usize, &Accepted)> = HashMap::new();
        for (place, feed_id, _, a) in rows.iter().rev() {
            by_key.insert((*feed_id, a.camera.id, a.read.plate.as_str(), to_millis(a.read.captured_at)), (*place, a));
        }
        for row in returned {
            let id: i64 = row.try_get("id")?;
            let key = (
                row.try_get("feed_id")?,
                row.try_get("camera_id")?,
                row.try_get::<String, _>("plate")?,
                row.try_get("captured_at")?,
            );
            if let Some((place, a)) = by_key.get(&(key.0, key.1, key.2.as_str(), key.3)) {
                inserted.push((*place, view_of(id, a)));
            }
        }
    }
    Ok(inserted)
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

/// Counts refused reads against the cameras that sent them (R3), in key order, so that two
/// writers counting against the same cameras queue rather than deadlock.
async fn count_refusals(
    tx: &mut Tx,
    feed_id: i64,
    now: DateTime<Utc>,
    by_camera: &HashMap<i64, i64>,
    unknown: &HashMap<String, i64>,
) -> Result<(), sqlx::Error> {
    for (camera_id, n) in by_camera.iter().collect::<BTreeMap<_, _>>() {
        sqlx::query("UPDATE cameras SET refused_reads = refused_reads + $1 WHERE id = $2")
            .bind(n)
            .bind(camera_id)
            .execute(tx.conn())
            .await?;
    }
    for (external_id, n) in unknown.iter().collect::<BTreeMap<_, _>>() {
        sqlx::query(
            "INSERT INTO unknown_cameras (feed_id, external_id, refused_reads, last_seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (feed_id, external_id) DO UPDATE SET \
             refused_reads = unknown_cameras.refused_reads + excluded.refused_reads, last_seen_at = excluded.last_seen_at",
        )
        .bind(feed_id)
        .bind(external_id.chars().take(64).collect::<String>())
        .bind(n)
        .bind(to_millis(now))
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

fn describe_raw(raw: &RawValue) -> String {
    serde_json::from_str::<Value>(raw.get()).map(|v| describe(&v)).unwrap_or_else(|_| raw.get().to_owned())
}

/// A refused read or payload as kept for inspection: images reduced to their length.
fn describe(raw: &Value) -> String {
    let mut shown = raw.clone();
    strip_images(&mut shown);
    shown.to_string()
}

fn strip_images(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if s.len() > 256 && (key.contains("image") || key.contains("jpeg")) => {
                        *v = Value::String(format!("[image: {} base64 characters]", s.len()));
                    }
                    other => strip_images(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_images),
        _ => {}
    }
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
        .bind(reason)
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
    let text = String::from_utf8_lossy(payload);
    let shown = serde_json::from_str::<Value>(&text).map(|v| describe(&v)).unwrap_or_else(|_| text.into_owned());
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
