//! Feeds and cameras, and their governance (R3): a feed submits reads with an API key of its
//! own (kept only as a hash); a camera's reads are accepted only while it is approved, and every
//! change of status records who made it, when and why.

pub mod purposes;

use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::{is_unique_violation, Db, Tx};
use chrono::{DateTime, Utc};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use sha2::{Digest, Sha256};
use shared::cameras::{FeedCreated, NewCamera, StatusChange, ZoneStatusChange, ZoneStatusChanged};
use shared::{AuditAction, CameraStatus, CameraView, FeedView};
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long another server's change to a camera may take to reach this server's ingest.
pub const CAMERA_CACHE_TTL: Duration = Duration::from_secs(2);

type FeedCameras = Arc<HashMap<String, CameraView>>;

/// Each feed's cameras by their external id, as ingest checks reads against them (R3), kept
/// for a moment so that a batch does not read the whole network again. A change made through
/// this server clears it at once; one made through another server is seen within
/// [`CAMERA_CACHE_TTL`].
#[derive(Clone, Default)]
pub struct CameraCache {
    feeds: Arc<Mutex<HashMap<i64, (Instant, FeedCameras)>>>,
}

impl CameraCache {
    pub async fn of_feed(&self, db: &Db, feed_id: i64) -> Result<FeedCameras, sqlx::Error> {
        let cached = self.feeds.lock().expect("camera cache lock").get(&feed_id).cloned();
        if let Some((_, cameras)) = cached.filter(|(at, _)| at.elapsed() < CAMERA_CACHE_TTL) {
            return Ok(cameras);
        }
        let cameras: FeedCameras =
            Arc::new(cameras_of_feed(db, feed_id).await?.into_iter().map(|c| (c.external_id.clone(), c)).collect());
        self.feeds.lock().expect("camera cache lock").insert(feed_id, (Instant::now(), cameras.clone()));
        Ok(cameras)
    }

    pub fn clear(&self) {
        self.feeds.lock().expect("camera cache lock").clear();
    }
}

/// A feed, as an ingest request authenticates it.
#[derive(Debug, Clone)]
pub struct Feed {
    pub id: i64,
    pub name: String,
}

fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn new_key() -> String {
    format!("anpr_{}", Alphanumeric.sample_string(&mut rand::rngs::OsRng, 40))
}

fn feed_from_row(row: &AnyRow) -> Result<FeedView, sqlx::Error> {
    Ok(FeedView {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: from_millis(row.try_get("created_at")?),
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
        purposes: shared::requests::Purpose::ALL.to_vec(),
        legal_basis: None,
        bases: Vec::new(),
    })
}

/// Creates a feed and returns its API key, shown this once.
pub async fn create_feed(db: &Db, now: DateTime<Utc>, actor: Actor, name: &str) -> AppResult<FeedCreated> {
    shared::cameras::NewFeed { name: name.to_owned() }.check().map_err(AppError::Invalid)?;
    let name = name.trim();
    let key = new_key();
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "INSERT INTO feeds (name, api_key_hash, created_at) VALUES ($1, $2, $3) \
         RETURNING id, name, created_at, disabled_at",
    )
    .bind(name)
    .bind(key_hash(&key))
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::Conflict(format!("a feed named `{name}` exists already"))
        } else {
            e.into()
        }
    })?;
    let feed = feed_from_row(&row)?;
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::FeedCreated)
            .subject(format!("feed {}", feed.id))
            .details(json!({ "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(FeedCreated { feed, api_key: key })
}

/// Gives a feed a new API key (the old one stops working at once); returns the new key.
pub async fn rotate_key(db: &Db, now: DateTime<Utc>, actor: Actor, feed_id: i64) -> AppResult<String> {
    let key = new_key();
    let mut tx = db.begin().await?;
    let done = sqlx::query("UPDATE feeds SET api_key_hash = $1 WHERE id = $2")
        .bind(key_hash(&key))
        .bind(feed_id)
        .execute(tx.conn())
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("no feed with id {feed_id}")));
    }
    audit::record(&mut tx, now, Event::new(actor, AuditAction::FeedKeyRotated).subject(format!("feed {feed_id}")))
        .await?;
    tx.commit().await?;
    Ok(key)
}

/// Every feed, with the purposes its reads may serve at `now` and every act on them (R3, R10).
pub async fn feeds(db: &Db, now: DateTime<Utc>) -> Result<Vec<FeedView>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT id, name, created_at, disabled_at FROM feeds ORDER BY name").fetch_all(db.pool()).await?;
    let mut acts = purposes::acts(db).await?;
    let mut feeds = rows.iter().map(feed_from_row).collect::<Result<Vec<_>, _>>()?;
    for feed in &mut feeds {
        feed.bases = acts.remove(&feed.id).unwrap_or_default();
        if let Some(basis) = purposes::in_force(&feed.bases, now) {
            feed.purposes = basis.purposes.clone();
            feed.legal_basis = Some(basis.legal_basis.clone());
        }
    }
    Ok(feeds)
}

pub async fn feed_by_name(db: &Db, name: &str) -> Result<Option<FeedView>, sqlx::Error> {
    let row = sqlx::query("SELECT id, name, created_at, disabled_at FROM feeds WHERE name = $1")
        .bind(name)
        .fetch_optional(db.pool())
        .await?;
    row.as_ref().map(feed_from_row).transpose()
}

/// The feed whose key this is: 401 for a missing or unknown key, 403 for a disabled feed.
pub async fn authenticate(db: &Db, key: Option<&str>) -> AppResult<Feed> {
    let key = key.ok_or_else(|| AppError::Unauthorized("send the feed's API key in the X-Api-Key header".into()))?;
    let row = sqlx::query("SELECT id, name, disabled_at FROM feeds WHERE api_key_hash = $1")
        .bind(key_hash(key))
        .fetch_optional(db.pool())
        .await?
        .ok_or_else(|| AppError::Unauthorized("unknown API key".into()))?;
    if row.try_get::<Option<i64>, _>("disabled_at")?.is_some() {
        return Err(AppError::Forbidden("this feed is disabled".into()));
    }
    Ok(Feed { id: row.try_get("id")?, name: row.try_get("name")? })
}

const CAMERA_COLUMNS: &str = "id, feed_id, external_id, name, lat, lon, bearing, zone, status, \
     status_changed_by, status_changed_at, status_reason, refused_reads";

pub fn camera_from_row(row: &AnyRow) -> Result<CameraView, sqlx::Error> {
    let status: String = row.try_get("status")?;
    Ok(CameraView {
        id: row.try_get("id")?,
        feed_id: row.try_get("feed_id")?,
        external_id: row.try_get("external_id")?,
        name: row.try_get("name")?,
        lat: row.try_get("lat")?,
        lon: row.try_get("lon")?,
        bearing: row.try_get::<Option<i64>, _>("bearing")?.map(|b| b as i32),
        zone: row.try_get("zone")?,
        status: crate::store::decode("status", &status, CameraStatus::parse)?,
        status_changed_by: row.try_get("status_changed_by")?,
        status_changed_at: from_millis(row.try_get("status_changed_at")?),
        status_reason: row.try_get("status_reason")?,
        refused_reads: row.try_get("refused_reads")?,
    })
}

pub async fn cameras(db: &Db) -> Result<Vec<CameraView>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {CAMERA_COLUMNS} FROM cameras ORDER BY zone, name, id"))
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(camera_from_row).collect()
}

/// A feed's cameras, for ingest to check reads against.
pub async fn cameras_of_feed(db: &Db, feed_id: i64) -> Result<Vec<CameraView>, sqlx::Error> {
    let rows = sqlx::query(&format!("SELECT {CAMERA_COLUMNS} FROM cameras WHERE feed_id = $1"))
        .bind(feed_id)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(camera_from_row).collect()
}

/// Registers a camera. It starts `pending`: nothing it sends is accepted until it is approved.
pub async fn create_camera(db: &Db, now: DateTime<Utc>, actor: Actor, new: NewCamera) -> AppResult<CameraView> {
    new.check().map_err(AppError::Invalid)?;
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(&format!(
        "INSERT INTO cameras (feed_id, external_id, name, lat, lon, bearing, zone, status, status_changed_by, \
         status_changed_at, status_reason) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9, 'registered') \
         RETURNING {CAMERA_COLUMNS}"
    ))
    .bind(new.feed_id)
    .bind(new.external_id.trim())
    .bind(new.name.trim())
    .bind(new.lat)
    .bind(new.lon)
    .bind(new.bearing.map(i64::from))
    .bind(new.zone.trim())
    .bind(&actor.name)
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::Conflict(format!("feed {} already has a camera `{}`", new.feed_id, new.external_id)))
        }
        Err(sqlx::Error::Database(e)) if e.is_foreign_key_violation() => {
            return Err(AppError::Invalid(format!("no feed with id {}", new.feed_id)))
        }
        Err(e) => return Err(e.into()),
    };
    let camera = camera_from_row(&row)?;
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::CameraRegistered)
            .subject(format!("camera {}", camera.id))
            .details(json!({ "feed_id": camera.feed_id, "external_id": camera.external_id, "zone": camera.zone,
                             "lat": camera.lat, "lon": camera.lon })),
    )
    .await?;
    tx.commit().await?;
    Ok(camera)
}

/// Approves, suspends or re-enables one camera, with the reason (R3).
pub async fn set_status(
    db: &Db,
    now: DateTime<Utc>,
    actor: Actor,
    id: i64,
    change: StatusChange,
) -> AppResult<CameraView> {
    change.check().map_err(AppError::Invalid)?;
    let mut tx = db.begin().await?;
    let before: Option<String> = sqlx::query("SELECT status FROM cameras WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await?
        .map(|r| r.try_get("status"))
        .transpose()?;
    let before = before.ok_or_else(|| AppError::NotFound(format!("no camera with id {id}")))?;
    let row = sqlx::query(&format!(
        "UPDATE cameras SET status = $1, status_changed_by = $2, status_changed_at = $3, status_reason = $4 \
         WHERE id = $5 RETURNING {CAMERA_COLUMNS}"
    ))
    .bind(change.status.as_str())
    .bind(&actor.name)
    .bind(to_millis(now))
    .bind(change.reason.trim())
    .bind(id)
    .fetch_one(tx.conn())
    .await?;
    let camera = camera_from_row(&row)?;
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::CameraStatusChanged)
            .subject(format!("camera {id}"))
            .details(json!({ "before": before, "after": change.status, "reason": change.reason.trim() })),
    )
    .await?;
    tx.commit().await?;
    Ok(camera)
}

/// The same decision for every camera of a zone at once ("switched on or off as business
/// demands change", R3).
pub async fn set_zone_status(
    db: &Db,
    now: DateTime<Utc>,
    actor: Actor,
    change: ZoneStatusChange,
) -> AppResult<ZoneStatusChanged> {
    StatusChange { status: change.status, reason: change.reason.clone() }.check().map_err(AppError::Invalid)?;
    let mut tx = db.begin().await?;
    let done = sqlx::query(
        "UPDATE cameras SET status = $1, status_changed_by = $2, status_changed_at = $3, status_reason = $4 \
         WHERE zone = $5 AND status <> $1",
    )
    .bind(change.status.as_str())
    .bind(&actor.name)
    .bind(to_millis(now))
    .bind(change.reason.trim())
    .bind(&change.zone)
    .execute(tx.conn())
    .await?;
    let changed = done.rows_affected() as i64;
    let in_zone: i64 = sqlx::query("SELECT COUNT(*) AS n FROM cameras WHERE zone = $1")
        .bind(&change.zone)
        .fetch_one(tx.conn())
        .await?
        .try_get("n")?;
    if in_zone == 0 {
        return Err(AppError::NotFound(format!("no cameras in zone `{}`", change.zone)));
    }
    audit::record(
        &mut tx,
        now,
        Event::new(actor, AuditAction::ZoneStatusChanged)
            .subject(format!("zone {}", change.zone))
            .details(json!({ "after": change.status, "reason": change.reason.trim(), "cameras_changed": changed })),
    )
    .await?;
    tx.commit().await?;
    Ok(ZoneStatusChanged { zone: change.zone, cameras_changed: changed })
}

/// Every camera's health at `now` (figures, no plates): reads in the last hour and day, the
/// newest read's time, and whether an approved camera is silent for longer than usual for it.
pub async fn health(db: &Db, now: DateTime<Utc>) -> Result<Vec<shared::CameraHealth>, sqlx::Error> {
    let day_ago = to_millis(now - chrono::Duration::days(1));
    let hour_ago = to_millis(now - chrono::Duration::hours(1));
    let rows = sqlx::query(
        "SELECT camera_id, COUNT(*) AS day, SUM(CASE WHEN captured_at >= $1 THEN 1 ELSE 0 END) AS hour, \
         MIN(captured_at) AS first, MAX(captured_at) AS last FROM reads WHERE captured_at >= $2 AND captured_at <= $3 GROUP BY camera_id",
    )
    .bind(hour_ago)
    .bind(day_ago)
    .bind(to_millis(now))
    .fetch_all(db.pool())
    .await?;
    let mut seen = std::collections::HashMap::with_capacity(rows.len());
    for row in &rows {
        let camera_id: i64 = row.try_get("camera_id")?;
        let day: i64 = row.try_get("day")?;
        let hour: Option<i64> = row.try_get("hour")?;
        let first: Option<i64> = row.try_get("first")?;
        let last: Option<i64> = row.try_get("last")?;
        let at = |t: Option<i64>| t.map(crate::clock::from_millis);
        seen.insert(camera_id, (day, hour.unwrap_or(0), at(first), at(last)));
    }
    let open = crate::outages::list(db, &shared::cameras::OutagesQuery { open: true, ..Default::default() }).await?;
    Ok(cameras(db)
        .await?
        .into_iter()
        .map(|camera| {
            let (day, hour, first, last) = seen.get(&camera.id).copied().unwrap_or((0, 0, None, None));
            let outage = open.iter().find(|o| o.camera_id == camera.id).map(|o| o.kind);
            let silent = outage.is_some()
                || shared::CameraHealth::is_silent(camera.status, day, first, last, now, SILENT_FLOOR_MINUTES);
            let (reads_last_hour, reads_last_day, last_read_at) = (hour, day, last);
            shared::CameraHealth { camera, reads_last_hour, reads_last_day, last_read_at, silent, outage }
        })
        .collect())
}

/// A camera is never called silent for a gap shorter than this.
const SILENT_FLOOR_MINUTES: i64 = 15;

/// Counts refused reads against the cameras that sent them (R3), in key order, so that two
/// writers counting against the same cameras queue rather than deadlock.
pub async fn count_refusals(
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
