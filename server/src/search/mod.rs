//! Searches of stored reads under a [`Grant`] (R10, R12, R13): vehicle history by plate (exact,
//! partial, misread-tolerant, R5) and area-and-time. Every search and every further page is
//! audited with its request reference, query and result count (R21), and a share of searches
//! is drawn for the audit unit (R22).

pub mod analysis;
pub mod grant;
pub mod query;
pub mod sample;
pub mod watch;

pub use query::{all, among, count, find_one, found_among, page, per_camera, Cursor};

pub use grant::{Grant, Permitted};

use crate::access::Investigator;
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::config::{AccessConfig, SampleConfig};
use crate::error::{AppError, AppResult};
use crate::store::Db;
use chrono::{DateTime, Utc};
use serde_json::json;
use shared::search::{CameraCount, NewSearch, PlateMode, SearchPage, SearchQuery, COUNT_CAP};
use shared::AuditAction;
use sqlx::Row;

/// Runs a permitted search: its first page, stored and audited with its result count (R21),
/// and drawn into the audit sample at the configured rate (R22).
pub async fn run(
    db: &Db,
    now: DateTime<Utc>,
    rates: &SampleConfig,
    user: &Investigator,
    p: &Permitted,
) -> AppResult<SearchPage> {
    // Its results, now and on every later page, are the reads held now.
    let mut p = Permitted { received_by: Some(now), ..p.clone() };
    let found = analysis::find(db, &p).await?;
    let listed = found.as_ref().and_then(|f| f.listed.as_ref());
    // A first page that holds every result is its own count.
    let (first, total, total_capped) = match listed {
        Some(reads) => (None, reads.len() as i64, false),
        None => {
            let (results, next) = page(db, &p, None).await?;
            let (total, capped) = match next {
                None => (results.len() as i64, false),
                Some(_) => count(db, &p).await?,
            };
            (Some((results, next)), total, capped)
        }
    };
    let mut tx = db.begin().await?;
    let search_id = store(&mut tx, now, rates, &p, total, false).await?;
    if let Some(found) = &found {
        analysis::keep(&mut tx, search_id, found).await?;
    }
    let vehicles = found.as_ref().map(analysis::Found::vehicles);
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(user), AuditAction::SearchRun).subject(&p.reference).details(json!({
            "search_id": search_id,
            "query": p.search.query,
            "from": p.search.from,
            "to": p.search.to,
            "result_count": total,
            "result_count_capped": total_capped,
            "beyond_standard": p.beyond_standard,
            "vehicles": vehicles,
            "left_out": p.left_out,
        })),
    )
    .await?;
    tx.commit().await?;
    // An analysis's listed reads are reached only once stored.
    p.found = Some(search_id);
    let (results, next) = match first {
        Some(first) => first,
        None => page(db, &p, None).await?,
    };
    let analysis = found.and_then(|f| f.result);
    let left_out = p.left_out.clone();
    Ok(SearchPage { search_id, reference: p.reference.clone(), total, total_capped, results, next, analysis, left_out })
}

/// Stores a permitted search (or, `live`, a watch) with its result count, and draws it for the
/// audit sample at the configured rate (R22). Returns its id.
async fn store(
    tx: &mut crate::store::Tx,
    now: DateTime<Utc>,
    rates: &SampleConfig,
    p: &Permitted,
    result_count: i64,
    live: bool,
) -> AppResult<i64> {
    let query = serde_json::to_string(&p.search.query).map_err(AppError::internal)?;
    let search_id: i64 = sqlx::query(
        "INSERT INTO searches (user_id, request_id, at, capability, query, window_from, window_to, result_count, \
         beyond_standard, live) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(p.user_id)
    .bind(p.request_id)
    .bind(to_millis(now))
    .bind(p.search.query.capability().as_str())
    .bind(&query)
    .bind(to_millis(p.search.from))
    .bind(to_millis(p.search.to))
    .bind(result_count)
    .bind(i64::from(p.beyond_standard))
    .bind(i64::from(live))
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    if sample::draw(rates, p.beyond_standard, &mut rand::thread_rng()) {
        sqlx::query("INSERT INTO audit_samples (search_id, sampled_at) VALUES ($1, $2)")
            .bind(search_id)
            .bind(to_millis(now))
            .execute(tx.conn())
            .await?;
    }
    Ok(search_id)
}

/// A stored search, for fetching its further pages.
struct Stored {
    user_id: i64,
    /// The last instant at which a read it finds may have been stored: when a search ran, or
    /// when a watch was closed; `None` for an open watch, which goes on finding reads as they
    /// arrive.
    held_by: Option<DateTime<Utc>>,
    request_id: i64,
    search: NewSearch,
    result_count: i64,
}

async fn stored(db: &Db, search_id: i64) -> AppResult<Option<Stored>> {
    let row = sqlx::query(
        "SELECT user_id, request_id, at, live, closed_at, query, window_from, window_to, result_count \
         FROM searches WHERE id = $1",
    )
    .bind(search_id)
    .fetch_optional(db.pool())
    .await?;
    let Some(row) = row else { return Ok(None) };
    let query: String = row.try_get("query")?;
    let request_id: i64 = row.try_get("request_id")?;
    Ok(Some(Stored {
        user_id: row.try_get("user_id")?,
        held_by: match row.try_get::<i64, _>("live")? {
            0 => Some(from_millis(row.try_get("at")?)),
            _ => row.try_get::<Option<i64>, _>("closed_at")?.map(from_millis),
        },
        request_id,
        search: NewSearch {
            request_id,
            query: serde_json::from_str(&query).map_err(AppError::internal)?,
            from: from_millis(row.try_get("window_from")?),
            to: from_millis(row.try_get("window_to")?),
        },
        result_count: row.try_get("result_count")?,
    }))
}

/// The distinct plates (as read) a stored partial-plate or misread-tolerant search reached when
/// it ran (for a watch: up to its closing), leaving out the cameras its user is kept from
/// now (R13); `None` for any other search. For the audit unit's flags, not for the user: no
/// grant is asked for, and nothing of the reads is returned but their plates.
pub async fn plates_reached(db: &Db, search_id: i64) -> AppResult<Option<std::collections::BTreeSet<String>>> {
    let Some(stored) = stored(db, search_id).await? else { return Ok(None) };
    let SearchQuery::Plate { plate, mode: mode @ (PlateMode::Partial | PlateMode::Misread) } = &stored.search.query
    else {
        return Ok(None);
    };
    let plan = grant::Plan::of_plate(*mode, SearchQuery::pattern(plate, *mode)?)?;
    let mut conn = db.pool().acquire().await?;
    let excluded = crate::access::restrictions::of(&mut conn, stored.user_id).await?.denied_cameras;
    // What the request's purpose may not use was never reached (R3, R10).
    let purpose = crate::requests::find(&mut conn, stored.request_id)
        .await?
        .ok_or_else(|| AppError::internal("a stored search's request vanished"))?
        .request
        .purpose;
    let other_purposes = crate::cameras::purposes::Sources::load(&mut conn).await?.exclusions(purpose);
    drop(conn);
    let permitted = Permitted {
        user_id: stored.user_id,
        request_id: stored.request_id,
        reference: String::new(),
        plan,
        from: stored.search.from,
        to: stored.search.to,
        excluded_cameras: excluded.into_iter().collect(),
        received_by: stored.held_by,
        beyond_standard: false,
        found: Some(search_id),
        only_cameras: None,
        other_purposes,
        left_out: Vec::new(),
        search: stored.search,
    };
    Ok(Some(query::plates(db, &permitted).await?.into_iter().map(|(plate, _)| plate).collect()))
}

/// A search `user` ran, re-permitted under their grant as it is now, with the count its first
/// run found — `None` when the user's reach has since shrunk past the search's start, since
/// that count would tell how many reads lie out of reach now (R12). What has meanwhile left the
/// user's reach is dropped, not refused.
pub async fn reopen(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    search_id: i64,
) -> AppResult<(Permitted, Option<i64>)> {
    let stored = stored(db, search_id)
        .await?
        .filter(|s| s.user_id == user.id)
        .ok_or_else(|| AppError::NotFound(format!("you ran no search with id {search_id}")))?;
    let grant = Grant::issue(db, policy, now, user, stored.request_id).await?;
    let mut search = stored.search;
    let shrunk = grant.earliest() > search.from;
    search.from = search.from.max(grant.earliest());
    let permitted =
        Permitted { received_by: stored.held_by, found: Some(search_id), ..grant.permit(db, search).await? };
    Ok((permitted, (!shrunk).then_some(stored.result_count)))
}

/// A page of a search the user ran — the first without `after` — re-permitted under their grant
/// as it is now.
pub async fn next_page(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    search_id: i64,
    after: Option<Cursor>,
) -> AppResult<SearchPage> {
    let (permitted, stored_count) = reopen(db, now, policy, user, search_id).await?;
    let (results, next) = page(db, &permitted, after).await?;
    let analysis = match after {
        None => analysis::reopened(db, &permitted, search_id).await?,
        Some(_) => None,
    };
    // Counted again when the reach has shrunk or a camera is kept from the user: only what
    // is open to them now (R12, R13).
    let (result_count, total_capped) = match stored_count {
        Some(n) if permitted.excluded_cameras.is_empty() => (n, n >= COUNT_CAP),
        _ => count(db, &permitted).await?,
    };
    audit::record_alone(
        db,
        now,
        Event::new(Actor::user(user), AuditAction::SearchPageViewed).subject(permitted.reference()).details(json!({
            "search_id": search_id,
            "after": after.map(Cursor::encode),
            "count": results.len(),
        })),
    )
    .await?;
    Ok(SearchPage {
        search_id,
        reference: permitted.reference.clone(),
        total: result_count,
        total_capped,
        results,
        next,
        analysis,
        left_out: permitted.left_out.clone(),
    })
}

/// Where the reads of a search the user ran were taken, counted per camera, re-permitted under
/// their grant as it is now and audited like a page of it (R21).
pub async fn cameras(
    db: &Db,
    now: DateTime<Utc>,
    policy: &AccessConfig,
    user: &Investigator,
    search_id: i64,
) -> AppResult<Vec<CameraCount>> {
    let (permitted, _) = reopen(db, now, policy, user, search_id).await?;
    let counts = per_camera(db, &permitted).await?;
    audit::record_alone(
        db,
        now,
        Event::new(Actor::user(user), AuditAction::SearchCamerasViewed).subject(permitted.reference()).details(json!({
            "search_id": search_id,
            "cameras": counts.len(),
            "reads": counts.iter().map(|c| c.reads).sum::<i64>(),
        })),
    )
    .await?;
    Ok(counts)
}
