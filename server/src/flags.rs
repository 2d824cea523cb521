//! Unusual use, flagged for the audit unit (R21, R22): a scan reads the searches stored since the
//! last one (watches and analyses are searches too) and flags each that an auditor would look
//! at first, with the reason and its figures — outside the user's usual hours, many more than
//! their usual count, the same plate under several requests, just before the approval expired,
//! a broad area by a local-tier user, a plate on a members-only list the user is not in the
//! audience of (R8), and a partial or misread-tolerant search reaching many plates the request
//! did not name. Auditors review each flag with a note (audited, R21); the annual report counts
//! them (R23). The thresholds are [`FlagConfig`]. This module owns `usage_flags`,
//! `usage_plates` and `usage_scan`.

use crate::access::Auditor;
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::FlagConfig;
use crate::error::{AppError, AppResult};
use crate::store::{decode, Db};
use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde_json::json;
use shared::flags::{FlagKind, FlagReview, FlagView, FlagsQuery, ReviewFlag};
use shared::hotlists::EntryPattern;
use shared::requests::{Area, RequestScope};
use shared::search::{PlateMode, SearchQuery};
use shared::AuditAction;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};

/// Searches scanned a batch at a time (a backlog after downtime included).
const BATCH: i64 = 500;
/// Searches stored this recently may still be committing out of id order: scanned next time.
const SETTLE_SECONDS: i64 = 5;
const DAY_MS: i64 = 86_400_000;
/// The mean radius of the Earth, in km.
const EARTH_KM: f64 = 6_371.008_8;

/// What one scan did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Scanned {
    pub searches: usize,
    pub flagged: usize,
}

/// The area of a rectangle on the map, in km² (on a sphere).
pub fn area_km2(a: &Area) -> f64 {
    let band = (a.north.to_radians().sin() - a.south.to_radians().sin()).abs();
    EARTH_KM * EARTH_KM * band * (a.east - a.west).to_radians().abs()
}

/// The area a search covers by rectangles (an area search's, a vehicle description's, the
/// several places' together), if it draws any.
fn drawn_area(query: &SearchQuery) -> Option<f64> {
    match query {
        SearchQuery::Area { area: Some(a), .. } | SearchQuery::Description { area: Some(a), .. } => Some(area_km2(a)),
        SearchQuery::Places { windows, .. } => {
            let total: f64 = windows.iter().filter_map(|w| w.area.as_ref()).map(area_km2).sum();
            (total > 0.0).then_some(total)
        }
        _ => None,
    }
}

/// The whole plate a search names: a plate search's (exact or misread-tolerant), a convoy's or
/// a pattern of life's target.
fn named_plate(query: &SearchQuery) -> Option<String> {
    let plate = match query {
        SearchQuery::Plate { plate, mode: PlateMode::Exact | PlateMode::Misread } => plate,
        SearchQuery::Convoy { plate, .. } | SearchQuery::Pattern { plate } => plate,
        _ => return None,
    };
    shared::plate::Plate::parse(plate).ok().map(|p| p.as_str().to_owned())
}

fn stamp(ms: i64) -> String {
    from_millis(ms).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One stored search as the scan reads it.
struct Searched {
    id: i64,
    user_id: i64,
    request_id: i64,
    at: i64,
    query: SearchQuery,
    live: bool,
    local: bool,
    expires_at: Option<i64>,
    scope: RequestScope,
}

fn searched_from_row(row: &AnyRow) -> AppResult<Searched> {
    let query: String = row.try_get("query")?;
    let scope: String = row.try_get("scope")?;
    Ok(Searched {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        request_id: row.try_get("request_id")?,
        at: row.try_get("at")?,
        query: serde_json::from_str(&query).map_err(AppError::internal)?,
        live: row.try_get::<i64, _>("live")? == 1,
        local: row.try_get::<Option<String>, _>("tier")?.as_deref() == Some("local"),
        expires_at: row.try_get("expires_at")?,
        scope: serde_json::from_str(&scope).map_err(AppError::internal)?,
    })
}

/// Flags the searches stored since the last scan, a batch at a time. Runs on one server at a
/// time.
pub async fn scan(db: &Db, now: DateTime<Utc>, config: &FlagConfig) -> AppResult<Scanned> {
    let mut done = Scanned::default();
    loop {
        let (searches, flagged, more) = batch(db, now, config).await?;
        done.searches += searches;
        done.flagged += flagged;
        if !more {
            return Ok(done);
        }
    }
}

/// What the scan knows of one user within a batch: their searches' times around the batch, the
/// plates they searched under which requests, and when they were last flagged for volume.
#[derive(Default)]
struct UserHistory {
    /// Every search of theirs from `usual_days` and a day before the batch's first to its last.
    times: Vec<i64>,
    /// (plate, when, request) of their plate searches within `usual_days` before, and in, the batch.
    plates: Vec<(String, i64, i64)>,
    last_volume_flag: Option<i64>,
}

/// Scans one batch: returns the searches scanned, the flags raised, and whether more wait.
async fn batch(db: &Db, now: DateTime<Utc>, config: &FlagConfig) -> AppResult<(usize, usize, bool)> {
    let last: i64 =
        sqlx::query("SELECT last_search_id FROM usage_scan WHERE id = 1").fetch_one(db.pool()).await?.try_get(0)?;
    let rows = sqlx::query(&format!(
        "SELECT s.id, s.user_id, s.request_id, s.at, s.query, s.live, u.tier, q.expires_at, q.scope \
         FROM searches s JOIN users u ON u.id = s.user_id JOIN requests q ON q.id = s.request_id \
         WHERE s.id > $1 ORDER BY s.id LIMIT {BATCH}"
    ))
    .bind(last)
    .fetch_all(db.pool())
    .await?;
    let settled = to_millis(now) - SETTLE_SECONDS * 1000;
    // In id order, stopping at the first not yet settled, so none is passed over.
    let mut searched = Vec::new();
    for row in &rows {
        let s = searched_from_row(row)?;
        if s.at > settled {
            break;
        }
        searched.push(s);
    }
    let more = rows.len() as i64 == BATCH && searched.len() == rows.len();
    let Some(high) = searched.last().map(|s| s.id) else { return Ok((0, 0, false)) };

    let usual_ms = config.usual_days.max(1) * DAY_MS;
    let mut users: HashMap<i64, UserHistory> = HashMap::new();
    for s in &searched {
        if users.contains_key(&s.user_id) {
            continue;
        }
        let first = searched.iter().filter(|t| t.user_id == s.user_id).map(|t| t.at).min().unwrap_or(s.at);
        let end = searched.iter().filter(|t| t.user_id == s.user_id).map(|t| t.at).max().unwrap_or(s.at);
        let mut history = UserHistory::default();
        for row in sqlx::query("SELECT at FROM searches WHERE user_id = $1 AND at >= $2 AND at <= $3 AND id <= $4")
            .bind(s.user_id)
            .bind(first - usual_ms - DAY_MS)
            .bind(end)
            .bind(high)
            .fetch_all(db.pool())
            .await?
        {
            history.times.push(row.try_get("at")?);
        }
        history.times.sort_unstable();
        for row in sqlx::query("SELECT plate, at, request_id FROM usage_plates WHERE user_id = $1 AND at >= $2")
            .bind(s.user_id)
            .bind(first - usual_ms)
            .fetch_all(db.pool())
            .await?
        {
            history.plates.push((row.try_get("plate")?, row.try_get("at")?, row.try_get("request_id")?));
        }
        history.last_volume_flag = sqlx::query(
            "SELECT MAX(s.at) AS at FROM usage_flags f JOIN searches s ON s.id = f.search_id \
             WHERE f.kind = 'volume' AND s.user_id = $1",
        )
        .bind(s.user_id)
        .fetch_one(db.pool())
        .await?
        .try_get("at")?;
        users.insert(s.user_id, history);
    }

    let mut flags: Vec<(i64, FlagKind, String)> = Vec::new();
    let mut plates: Vec<(&Searched, String)> = Vec::new();
    for s in &searched {
        let history = users.get_mut(&s.user_id).expect("loaded above");
        let mut flag = |kind: FlagKind, reason: String| flags.push((s.id, kind, reason));
        if let Some(reason) = unusual_hour(config, &history.times, s.at) {
            flag(FlagKind::UnusualHour, reason);
        }
        if let Some(reason) = volume(config, history, s.at) {
            history.last_volume_flag = Some(s.at);
            flag(FlagKind::Volume, reason);
        }
        if let Some(reason) = before_expiry(config, s) {
            flag(FlagKind::BeforeExpiry, reason);
        }
        if let Some(area) = drawn_area(&s.query).filter(|a| s.local && *a > config.local_area_km2) {
            flag(
                FlagKind::BroadArea,
                format!(
                    "an area of {area:.1} km² searched by a local-tier user (more than {} km²)",
                    config.local_area_km2
                ),
            );
        }
        if let Some(plate) = named_plate(&s.query) {
            if let Some(reason) = same_plate(config, &history.plates, s, &plate) {
                flag(FlagKind::SamePlate, reason);
            }
            if let Some(reason) = restricted(db, s, &plate).await? {
                flag(FlagKind::RestrictedPlate, reason);
            }
            history.plates.push((plate.clone(), s.at, s.request_id));
            plates.push((s, plate));
        }
        if !s.live {
            if let Some(reason) = outside_plates(db, config, s).await? {
                flags.push((s.id, FlagKind::OutsidePlates, reason));
            }
        }
    }

    let mut tx = db.begin().await?;
    let mut raised = Vec::new();
    for (search_id, kind, reason) in &flags {
        let inserted = sqlx::query(
            "INSERT INTO usage_flags (search_id, kind, reason, flagged_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (search_id, kind) DO NOTHING",
        )
        .bind(search_id)
        .bind(kind.as_str())
        .bind(reason)
        .bind(to_millis(now))
        .execute(tx.conn())
        .await?;
        if inserted.rows_affected() == 1 {
            raised.push(json!({ "search_id": search_id, "kind": kind }));
        }
    }
    for (s, plate) in &plates {
        sqlx::query(
            "INSERT INTO usage_plates (search_id, user_id, request_id, plate, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (search_id) DO NOTHING",
        )
        .bind(s.id)
        .bind(s.user_id)
        .bind(s.request_id)
        .bind(plate)
        .bind(s.at)
        .execute(tx.conn())
        .await?;
    }
    sqlx::query("UPDATE usage_scan SET last_search_id = $1, scanned_at = $2 WHERE id = 1")
        .bind(high)
        .bind(to_millis(now))
        .execute(tx.conn())
        .await?;
    if !raised.is_empty() {
        audit::record(
            &mut tx,
            now,
            Event::new(Actor::system(), AuditAction::UsageFlagsRaised)
                .details(json!({ "searches_scanned": searched.len(), "flags": raised })),
        )
        .await?;
    }
    tx.commit().await?;
    if !raised.is_empty() {
        tracing::info!(flags = raised.len(), "unusual use flagged for audit");
    }
    Ok((searched.len(), raised.len(), more))
}

/// Outside the user's usual hours: of their searches in the `usual_days` before this one (at
/// least `min_history` of them), fewer than `rare_hour_share` ran in its hour of the day (UTC).
fn unusual_hour(config: &FlagConfig, times: &[i64], at: i64) -> Option<String> {
    let since = at - config.usual_days.max(1) * DAY_MS;
    let before: Vec<i64> = times.iter().copied().filter(|&t| t >= since && t < at).collect();
    if (before.len() as i64) < config.min_history.max(1) {
        return None;
    }
    let hour = from_millis(at).hour();
    let same = before.iter().filter(|&&t| from_millis(t).hour() == hour).count();
    let share = same as f64 / before.len() as f64;
    (share < config.rare_hour_share).then(|| {
        format!(
            "run at {hour:02}:00–{:02}:00 UTC, an hour that held {same} of their {} searches in the previous {} days \
             ({:.1}%, under {}%)",
            (hour + 1) % 24,
            before.len(),
            config.usual_days,
            share * 100.0,
            config.rare_hour_share * 100.0
        )
    })
}

/// Many more than usual: the user's searches in the 24 hours up to this one reach
/// `volume_factor` times their daily mean over the `usual_days` before those 24 hours, and
/// `volume_min`; flagged once a day per user.
fn volume(config: &FlagConfig, history: &UserHistory, at: i64) -> Option<String> {
    if history.last_volume_flag.is_some_and(|last| last > at - DAY_MS) {
        return None;
    }
    let day_start = at - DAY_MS;
    let days = config.usual_days.max(1);
    let in_day = history.times.iter().filter(|&&t| t > day_start && t <= at).count() as i64;
    let before = history.times.iter().filter(|&&t| t >= day_start - days * DAY_MS && t <= day_start).count();
    let mean = before as f64 / days as f64;
    (in_day >= config.volume_min && in_day as f64 >= config.volume_factor * mean).then(|| {
        format!(
            "{in_day} searches in 24 h against a usual {mean:.1} a day over the previous {days} days \
             (flagged from {}× that and at least {})",
            config.volume_factor, config.volume_min
        )
    })
}

/// Run within `before_expiry_minutes` before its request's approval expired.
fn before_expiry(config: &FlagConfig, s: &Searched) -> Option<String> {
    let expires = s.expires_at?;
    let left = expires - s.at;
    (left > 0 && left <= config.before_expiry_minutes * 60_000).then(|| {
        format!(
            "run {} min {} s before its request's approval expired at {} (within {} min)",
            left / 60_000,
            left % 60_000 / 1000,
            stamp(expires),
            config.before_expiry_minutes
        )
    })
}

/// The same plate under `plate_requests` distinct requests of the user within `usual_days`,
/// flagged when a request joins them (not again for more searches under one already counted).
fn same_plate(config: &FlagConfig, plates: &[(String, i64, i64)], s: &Searched, plate: &str) -> Option<String> {
    let since = s.at - config.usual_days.max(1) * DAY_MS;
    let earlier: BTreeSet<i64> =
        plates.iter().filter(|(p, at, _)| p == plate && *at >= since && *at <= s.at).map(|(_, _, r)| *r).collect();
    if earlier.contains(&s.request_id) {
        return None;
    }
    let n = earlier.len() as i64 + 1;
    (n >= config.plate_requests).then(|| {
        format!(
            "{plate} searched under {n} distinct requests within {} days (flagged from {})",
            config.usual_days, config.plate_requests
        )
    })
}

/// The plate is an entry, live when searched, of a list whose audience is members only and
/// does not hold the user (R8): a way round the list's audience.
async fn restricted(db: &Db, s: &Searched, plate: &str) -> AppResult<Option<String>> {
    let row = sqlx::query(
        "SELECT h.name FROM hotlist_entries e JOIN hotlists h ON h.id = e.hotlist_id \
         WHERE e.vrm = $1 AND h.audience_role IS NULL AND e.added_at <= $2 AND (e.ended_at IS NULL OR e.ended_at > $3) \
         AND NOT EXISTS (SELECT 1 FROM hotlist_members m WHERE m.hotlist_id = h.id AND m.user_id = $4) \
         ORDER BY h.id LIMIT 1",
    )
    .bind(plate)
    .bind(s.at)
    .bind(s.at)
    .bind(s.user_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let list: String = row.try_get("name")?;
    Ok(Some(format!("{plate} is on the list “{list}”, whose audience (members only) does not include the user")))
}

/// A partial-plate or misread-tolerant search (not a watch) whose results held more than
/// `outside_plates` distinct plates that its request does not name as whole plates.
async fn outside_plates(db: &Db, config: &FlagConfig, s: &Searched) -> AppResult<Option<String>> {
    if !matches!(s.query, SearchQuery::Plate { mode: PlateMode::Partial | PlateMode::Misread, .. }) {
        return Ok(None);
    }
    let Some(found) = crate::search::plates_reached(db, s.id).await? else { return Ok(None) };
    let named: BTreeSet<&str> = s
        .scope
        .plates
        .iter()
        .filter_map(|p| match p {
            EntryPattern::Plate(p) => Some(p.as_str()),
            EntryPattern::Wildcard(_) => None,
        })
        .collect();
    let outside = found.iter().filter(|p| !named.contains(p.as_str())).count() as i64;
    Ok((outside > config.outside_plates).then(|| {
        format!(
            "its results held {outside} distinct plates the request did not name ({} named; flagged above {})",
            named.len(),
            config.outside_plates
        )
    }))
}

const FLAG_COLUMNS: &str = "f.id, f.search_id, u.username AS searched_by, s.request_id, q.reference, f.kind, \
     f.reason, f.flagged_at, s.at, s.query, s.live, f.note, au.username AS reviewed_by, f.reviewed_at";
const FLAG_FROM: &str = "usage_flags f JOIN searches s ON s.id = f.search_id JOIN users u ON u.id = s.user_id \
     JOIN requests q ON q.id = s.request_id LEFT JOIN users au ON au.id = f.reviewed_by";

fn flag_from_row(row: &AnyRow) -> Result<FlagView, sqlx::Error> {
    let query: String = row.try_get("query")?;
    let review = match row.try_get::<Option<i64>, _>("reviewed_at")? {
        None => None,
        Some(at) => Some(FlagReview {
            note: row.try_get::<Option<String>, _>("note")?.unwrap_or_default(),
            reviewed_by: row.try_get::<Option<String>, _>("reviewed_by")?.unwrap_or_default(),
            reviewed_at: from_millis(at),
        }),
    };
    Ok(FlagView {
        id: row.try_get("id")?,
        search_id: row.try_get("search_id")?,
        user: row.try_get("searched_by")?,
        request_id: row.try_get("request_id")?,
        reference: row.try_get("reference")?,
        kind: decode("kind", &row.try_get::<String, _>("kind")?, FlagKind::parse)?,
        reason: row.try_get("reason")?,
        flagged_at: from_millis(row.try_get("flagged_at")?),
        searched_at: from_millis(row.try_get("at")?),
        query: serde_json::from_str(&query)
            .map_err(|e| sqlx::Error::ColumnDecode { index: "query".into(), source: Box::new(e) })?,
        watch: row.try_get::<i64, _>("live")? == 1,
        review,
    })
}

/// Open flags, oldest first (none waits forever), or reviewed ones, the latest review first;
/// of one kind if asked.
pub async fn list(db: &Db, query: &FlagsQuery) -> Result<Vec<FlagView>, sqlx::Error> {
    let limit = query.limit.unwrap_or(200).clamp(1, 1000);
    let kind = if query.kind.is_some() { " AND f.kind = $2" } else { "" };
    let filter = if query.reviewed {
        format!("f.reviewed_at IS NOT NULL{kind} ORDER BY f.reviewed_at DESC, f.id DESC")
    } else {
        format!("f.reviewed_at IS NULL{kind} ORDER BY f.flagged_at, f.id")
    };
    let sql = format!("SELECT {FLAG_COLUMNS} FROM {FLAG_FROM} WHERE {filter} LIMIT $1");
    let mut q = sqlx::query(&sql).bind(limit);
    if let Some(kind) = query.kind {
        q = q.bind(kind.as_str());
    }
    q.fetch_all(db.pool()).await?.iter().map(flag_from_row).collect()
}

/// Records an auditor's review of a flag with their note, once, and audits it in the same
/// transaction (R21).
pub async fn review(db: &Db, now: DateTime<Utc>, by: &Auditor, id: i64, review: ReviewFlag) -> AppResult<FlagView> {
    AppError::unless_valid(&review)?;
    let mut tx = db.begin().await?;
    let changed = sqlx::query(
        "UPDATE usage_flags SET reviewed_by = $1, reviewed_at = $2, note = $3 WHERE id = $4 AND reviewed_at IS NULL",
    )
    .bind(by.id)
    .bind(to_millis(now))
    .bind(review.note.trim())
    .bind(id)
    .execute(tx.conn())
    .await?;
    let row = sqlx::query(&format!("SELECT {FLAG_COLUMNS} FROM {FLAG_FROM} WHERE f.id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    let Some(row) = row else { return Err(AppError::NotFound(format!("there is no flag {id}"))) };
    if changed.rows_affected() != 1 {
        return Err(AppError::Conflict(format!("flag {id} was reviewed already")));
    }
    let flag = flag_from_row(&row)?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(by), AuditAction::UsageFlagReviewed).subject(&flag.reference).details(json!({
            "flag_id": id,
            "search_id": flag.search_id,
            "kind": flag.kind,
            "note": review.note.trim(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(flag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rectangle_has_its_area_on_the_sphere() {
        // A degree square at the equator is about 111.2 km a side.
        let square = Area { south: 0.0, west: 0.0, north: 1.0, east: 1.0 };
        assert!((area_km2(&square) - 12_364.0).abs() < 5.0, "{}", area_km2(&square));
        // Narrower in longitude at London's latitude.
        let london = Area { south: 51.49, west: -0.11, north: 51.53, east: -0.07 };
        assert!((area_km2(&london) - 12.3).abs() < 0.1, "{}", area_km2(&london));
    }

    #[test]
    fn usual_hours_need_a_history_and_a_rare_hour() {
        let config = FlagConfig { min_history: 4, rare_hour_share: 0.25, usual_days: 28, ..FlagConfig::default() };
        let day = |d: i64, h: i64| d * DAY_MS + h * 3_600_000;
        let at = day(30, 3);
        let history: Vec<i64> = (26..30).map(|d| day(d, 10)).collect();
        assert!(unusual_hour(&config, &history, at).unwrap().contains("held 0 of their 4 searches"));
        assert_eq!(unusual_hour(&config, &history[1..], at), None, "three searches tell nothing");
        let mut once = history.clone();
        once[0] = day(26, 3);
        assert_eq!(unusual_hour(&config, &once, at), None, "a quarter of them is not under a quarter");
    }
}
