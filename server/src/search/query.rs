//! The SQL of a permitted search over `reads` (R10, R12, R13, R16): one WHERE clause built from
//! a [`Permitted`] search — its plate, misread form, partial plate or cameras, its window,
//! the restricted cameras left out — for a page, a count, every read, chosen reads or one read.
//! Only a `Permitted` reaches it, so no query here runs without a grant.

use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::reads::{days, read_from_row, READ_COLUMNS};
use crate::search::grant::{Permitted, Plan};
use crate::store::{Backend, Db};
use chrono::NaiveDate;
use shared::plate::skeleton;
use shared::search::{CameraCount, COUNT_CAP, PAGE_SIZE};
use shared::ReadView;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

/// Where the next page starts: after the read captured at `at` with id `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    at: i64,
    id: i64,
}

impl Cursor {
    pub fn parse(raw: &str) -> AppResult<Cursor> {
        raw.split_once('-')
            .and_then(|(at, id)| Some(Cursor { at: at.parse().ok()?, id: id.parse().ok()? }))
            .ok_or_else(|| AppError::Invalid(format!("`{raw}` is not a page cursor from this search")))
    }

    fn of(read: &ReadView) -> Cursor {
        Cursor { at: to_millis(read.captured_at), id: read.id }
    }

    pub fn encode(self) -> String {
        format!("{}-{}", self.at, self.id)
    }
}

/// A value bound into the generated SQL.
enum Value {
    Int(i64),
    Text(String),
}

/// The WHERE clause of a permitted search, with its values in order, and the reads it looks in.
struct Filter {
    /// `reads r`, or on PostgreSQL the union of the day partitions a plate was read on.
    reads: String,
    sql: String,
    values: Vec<Value>,
    backend: Backend,
}

impl Filter {
    fn new(backend: Backend) -> Self {
        Filter { reads: "reads r".into(), sql: String::new(), values: Vec::new(), backend }
    }

    fn param(&mut self, value: Value) -> String {
        self.values.push(value);
        self.backend.parameter(self.values.len())
    }

    fn and(&mut self, clause: &str) {
        if !self.sql.is_empty() {
            self.sql.push_str(" AND ");
        }
        self.sql.push_str(clause);
    }

    /// `column` starts with one of `prefixes` and is `LIKE` the pattern. Plates hold only A–Z
    /// and 0–9, all below `~`: each prefix is one index range.
    fn partial(&mut self, column: &str, prefixes: &[String], like: &str) -> String {
        let ranges: Vec<String> = prefixes
            .iter()
            .map(|prefix| {
                let lo = self.param(Value::Text(prefix.clone()));
                let hi = self.param(Value::Text(format!("{prefix}~")));
                format!("({column} >= {lo} AND {column} < {hi})")
            })
            .collect();
        let v = self.param(Value::Text(like.to_owned()));
        format!("(({}) AND {column} LIKE {v})", ranges.join(" OR "))
    }

    fn list(&mut self, ids: &[i64]) -> String {
        ids.iter().map(|id| self.param(Value::Int(*id))).collect::<Vec<_>>().join(",")
    }

    /// The search's filter, or `None` when it can match nothing (no cameras to read, or no
    /// day on which its plate was read).
    async fn of(db: &Db, p: &Permitted, after: Option<Cursor>) -> AppResult<Option<Filter>> {
        let (from, to) = (to_millis(p.from), to_millis(p.to));
        let days = match &p.plan {
            Plan::Plate(plate) => days::seen_on(db, &skeleton(plate), from, to).await?,
            Plan::Skeleton(skeleton) => days::seen_on(db, skeleton, from, to).await?,
            _ => None,
        };
        Ok(Filter::with(db.backend(), p, days.as_deref(), after))
    }

    /// The filter of a search that can find reads only on `days`, if known.
    fn with(backend: Backend, p: &Permitted, days: Option<&[NaiveDate]>, after: Option<Cursor>) -> Option<Filter> {
        let mut f = Filter::new(backend);
        // A corrected read is found by its corrected plate as well as the plate as read (R16).
        match &p.plan {
            Plan::Plate(plate) => {
                let (v1, v2) = (f.param(Value::Text(plate.clone())), f.param(Value::Text(plate.clone())));
                f.and(&format!("(r.plate = {v1} OR r.corrected_plate = {v2})"));
            }
            Plan::Skeleton(skeleton) => {
                let (v1, v2) = (f.param(Value::Text(skeleton.clone())), f.param(Value::Text(skeleton.clone())));
                f.and(&format!("(r.plate_skeleton = {v1} OR r.corrected_skeleton = {v2})"));
            }
            Plan::Partial { prefixes, like, .. } => {
                let either = ["r.plate", "r.corrected_plate"].map(|column| f.partial(column, prefixes, like));
                f.and(&format!("({})", either.join(" OR ")));
            }
            Plan::Cameras(ids) if ids.is_empty() => return None,
            Plan::Cameras(ids) => {
                let list = f.list(ids);
                f.and(&format!("r.camera_id IN ({list})"));
            }
            Plan::Description { cameras, .. } if cameras.is_empty() => return None,
            Plan::Description { cameras, makes, models, colours, like } => {
                let list = f.list(cameras);
                f.and(&format!("r.camera_id IN ({list})"));
                for (column, keys) in [("r.make", makes), ("r.model", models), ("r.colour", colours)] {
                    if let Some(keys) = keys {
                        let list: Vec<String> = keys.iter().map(|k| f.param(Value::Text(k.clone()))).collect();
                        f.and(&format!("{} IN ({})", description_key(column), list.join(",")));
                    }
                }
                if let Some(like) = like {
                    let (v1, v2) = (f.param(Value::Text(like.clone())), f.param(Value::Text(like.clone())));
                    f.and(&format!("(r.plate LIKE {v1} OR r.corrected_plate LIKE {v2})"));
                }
            }
            Plan::Convoy { .. } | Plan::Places { .. } => {
                let search_id = f.param(Value::Int(p.found?));
                f.and(&format!(
                    "(r.id, r.captured_at) IN (SELECT read_id, captured_at FROM analysis_reads WHERE search_id = {search_id})"
                ));
            }
        }
        bounds(&mut f, p);
        // Only the days' partitions are read, named: planning a query over them costs about
        // half of pruning a year of partitions down to them (PostgreSQL: 4.7 against 5–12 ms
        // for a plate read on 29 days).
        match days {
            Some([]) => return None,
            Some(days) => {
                let each: Vec<String> =
                    days.iter().map(|d| format!("SELECT * FROM {}", days::partition_name(*d))).collect();
                f.reads = format!("({}) r", each.join(" UNION ALL "));
            }
            None => {}
        }
        match &p.only_cameras {
            Some(ids) if ids.is_empty() => return None,
            Some(ids) => {
                let list = f.list(ids);
                f.and(&format!("r.camera_id IN ({list})"));
            }
            None => {}
        }
        if let Some(c) = after {
            let (at1, at2, id) = (f.param(Value::Int(c.at)), f.param(Value::Int(c.at)), f.param(Value::Int(c.id)));
            f.and(&format!("(r.captured_at > {at1} OR (r.captured_at = {at2} AND r.id > {id}))"));
        }
        Some(f)
    }

    /// `sql` with the filter's values bound. Never kept as a prepared statement: PostgreSQL
    /// would, from its sixth run, plan it once for every partition of a year (≈ 250 ms) to
    /// weigh a generic plan, where planning it for the values given prunes to their days.
    fn query<'q>(&'q self, sql: &'q str) -> Query<'q, Any, AnyArguments<'q>> {
        let mut query = sqlx::query(sql).persistent(false);
        for value in &self.values {
            query = match value {
                Value::Int(v) => query.bind(*v),
                Value::Text(v) => query.bind(v.as_str()),
            };
        }
        query
    }
}

/// `column` as [`shared::analysis::key`] compares it: lower case, without spaces and the usual
/// punctuation ("Mercedes-Benz" → "mercedesbenz").
fn description_key(column: &str) -> String {
    let mut sql = format!("LOWER({column})");
    for c in [" ", "-", ".", "_", "/"] {
        sql = format!("REPLACE({sql}, '{c}', '')");
    }
    sql
}

/// The rows of the query `sql` builds around the search's filter, or `None` when the search can
/// match nothing. A day partition the purge dropped between the lookup of the plate's days and
/// the query (R18) is an undefined table: the days are looked up again, once.
async fn rows(
    db: &Db,
    p: &Permitted,
    after: Option<Cursor>,
    sql: impl Fn(&mut Filter) -> String,
) -> AppResult<Option<Vec<AnyRow>>> {
    let mut retried = false;
    loop {
        let Some(mut f) = Filter::of(db, p, after).await? else { return Ok(None) };
        let sql = sql(&mut f);
        match f.query(&sql).fetch_all(db.pool()).await {
            Err(sqlx::Error::Database(e)) if !retried && e.code().as_deref() == Some(UNDEFINED_TABLE) => retried = true,
            rows => return Ok(Some(rows?)),
        }
    }
}

/// PostgreSQL's SQLSTATE for a table that does not exist.
const UNDEFINED_TABLE: &str = "42P01";

/// One page of a permitted search's reads, oldest first, and the cursor of the next.
pub async fn page(db: &Db, p: &Permitted, after: Option<Cursor>) -> AppResult<(Vec<ReadView>, Option<String>)> {
    let rows = rows(db, p, after, |f| {
        format!(
            "SELECT {READ_COLUMNS} FROM {} JOIN cameras c ON c.id = r.camera_id WHERE {} \
             ORDER BY r.captured_at, r.id LIMIT {}",
            f.reads,
            f.sql,
            PAGE_SIZE + 1
        )
    })
    .await?;
    let mut reads = rows.unwrap_or_default().iter().map(read_from_row).collect::<Result<Vec<_>, _>>()?;
    let next = (reads.len() > PAGE_SIZE).then(|| {
        reads.truncate(PAGE_SIZE);
        Cursor::of(reads.last().expect("a full page")).encode()
    });
    Ok((reads, next))
}

/// How many reads the search finds, counting up to [`COUNT_CAP`].
pub async fn count(db: &Db, p: &Permitted) -> AppResult<(i64, bool)> {
    let rows = rows(db, p, None, |f| {
        format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM {} WHERE {} LIMIT {}) t",
            f.reads,
            f.sql,
            COUNT_CAP + 1
        )
    })
    .await?;
    let n: i64 = match rows.as_deref() {
        Some([row]) => row.try_get("n")?,
        _ => 0,
    };
    Ok((n.min(COUNT_CAP), n > COUNT_CAP))
}

/// Every read the search finds, counted per camera, the busiest first: the whole result on a map,
/// however many pages it runs to.
pub async fn per_camera(db: &Db, p: &Permitted) -> AppResult<Vec<CameraCount>> {
    let rows = rows(db, p, None, |f| {
        format!(
            "SELECT r.camera_id, c.name, c.lat, c.lon, COUNT(*) AS n, MIN(r.captured_at) AS first, \
             MAX(r.captured_at) AS last FROM {} JOIN cameras c ON c.id = r.camera_id WHERE {} \
             GROUP BY r.camera_id, c.name, c.lat, c.lon ORDER BY n DESC, r.camera_id",
            f.reads, f.sql
        )
    })
    .await?;
    let each = |row: &AnyRow| -> Result<CameraCount, sqlx::Error> {
        Ok(CameraCount {
            camera_id: row.try_get("camera_id")?,
            camera_name: row.try_get("name")?,
            lat: row.try_get("lat")?,
            lon: row.try_get("lon")?,
            reads: row.try_get("n")?,
            first: from_millis(row.try_get("first")?),
            last: from_millis(row.try_get("last")?),
        })
    };
    Ok(rows.unwrap_or_default().iter().map(each).collect::<Result<_, _>>()?)
}

/// Every read the search finds, oldest first, up to [`COUNT_CAP`].
pub async fn all(db: &Db, p: &Permitted) -> AppResult<Vec<ReadView>> {
    let mut reads = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = page(db, p, after).await?;
        reads.extend(page);
        match next {
            Some(cursor) if reads.len() < COUNT_CAP as usize => after = Some(Cursor::parse(&cursor)?),
            _ => break,
        }
    }
    reads.truncate(COUNT_CAP as usize);
    Ok(reads)
}

/// Those of `ids` that the search finds, oldest first; an id it does not find is refused.
pub async fn among(db: &Db, p: &Permitted, ids: &[i64]) -> AppResult<Vec<ReadView>> {
    if ids.is_empty() {
        return Err(AppError::Invalid("name reads this search finds".into()));
    }
    let reads = found_among(db, p, ids).await?;
    let found: std::collections::HashSet<i64> = reads.iter().map(|r| r.id).collect();
    if let Some(missing) = ids.iter().find(|id| !found.contains(id)) {
        return Err(AppError::Invalid(format!("read {missing} is not among this search's results")));
    }
    Ok(reads)
}

/// Those of `ids` that the search finds now, oldest first; the rest are left out.
pub async fn found_among(db: &Db, p: &Permitted, ids: &[i64]) -> AppResult<Vec<ReadView>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = rows(db, p, None, |f| {
        let list = f.list(ids);
        f.and(&format!("r.id IN ({list})"));
        format!(
            "SELECT {READ_COLUMNS} FROM {} JOIN cameras c ON c.id = r.camera_id WHERE {} ORDER BY r.captured_at, r.id",
            f.reads, f.sql
        )
    })
    .await?;
    Ok(rows.unwrap_or_default().iter().map(read_from_row).collect::<Result<Vec<_>, _>>()?)
}

/// The ids of every read the search finds now (for what an analysis found when it ran, shown
/// again only as far as the grant reaches now).
pub async fn ids(db: &Db, p: &Permitted) -> AppResult<std::collections::HashSet<i64>> {
    let rows = rows(db, p, None, |f| format!("SELECT r.id FROM {} WHERE {}", f.reads, f.sql)).await?;
    Ok(rows.unwrap_or_default().iter().map(|row| row.try_get("id")).collect::<Result<_, _>>()?)
}

/// Read `id`, if the search finds it.
pub async fn find_one(db: &Db, p: &Permitted, id: i64) -> AppResult<Option<ReadView>> {
    let rows = rows(db, p, None, |f| {
        let v = f.param(Value::Int(id));
        f.and(&format!("r.id = {v}"));
        format!("SELECT {READ_COLUMNS} FROM {} JOIN cameras c ON c.id = r.camera_id WHERE {}", f.reads, f.sql)
    })
    .await?;
    Ok(rows.unwrap_or_default().first().map(read_from_row).transpose()?)
}

/// A read beside another: found near a target's read, or in an analysis window.
#[derive(Debug, Clone)]
pub(crate) struct Near {
    /// The target's read it was near, or the index of the window it lies in.
    pub of: i64,
    pub id: i64,
    pub camera_id: i64,
    pub at: i64,
    /// Its plate as read.
    pub vehicle: String,
}

impl Near {
    fn from_row(row: &AnyRow) -> Result<Near, sqlx::Error> {
        Ok(Near {
            of: row.try_get("near_of")?,
            id: row.try_get("id")?,
            camera_id: row.try_get("camera_id")?,
            at: row.try_get("captured_at")?,
            vehicle: row.try_get("vehicle")?,
        })
    }
}

const NEAR_COLUMNS: &str = "r.id, r.camera_id, r.captured_at, r.plate AS vehicle";

/// The conditions every query of a permitted search keeps from its grant: the reach, what the
/// server held when it ran, the restricted cameras (R12, R13).
fn bounds(f: &mut Filter, p: &Permitted) {
    let (from, to) = (f.param(Value::Int(to_millis(p.from))), f.param(Value::Int(to_millis(p.to))));
    f.and(&format!("r.captured_at >= {from} AND r.captured_at <= {to}"));
    if let Some(held) = p.received_by {
        let held = f.param(Value::Int(to_millis(held)));
        f.and(&format!("r.received_at <= {held}"));
    }
    if !p.excluded_cameras.is_empty() {
        let list = f.list(&p.excluded_cameras);
        f.and(&format!("r.camera_id NOT IN ({list})"));
    }
    // Reads whose source's basis did not allow the request's purpose when they were captured
    // (R3, R10).
    for e in &p.other_purposes {
        let list = f.list(&e.cameras);
        let spans: Vec<String> = e
            .spans
            .iter()
            .map(|(from, until)| {
                let from = f.param(Value::Int(*from));
                match until {
                    Some(until) => {
                        let until = f.param(Value::Int(*until));
                        format!("(r.captured_at >= {from} AND r.captured_at < {until})")
                    }
                    None => format!("r.captured_at >= {from}"),
                }
            })
            .collect();
        f.and(&format!("NOT (r.camera_id IN ({list}) AND ({}))", spans.join(" OR ")));
    }
}

/// Every read at the camera of one of `targets` (read id, camera, capture instant) within
/// ±`window_ms` of it, inside the grant's bounds, the target's own among them.
pub(crate) async fn beside(
    db: &Db,
    p: &Permitted,
    targets: &[(i64, i64, i64)],
    window_ms: i64,
) -> AppResult<Vec<Near>> {
    let mut found = Vec::new();
    for chunk in targets.chunks(250) {
        let mut f = Filter::new(db.backend());
        let rows: Vec<String> = chunk
            .iter()
            .map(|(id, camera, at)| {
                let v = [*id, *camera, at - window_ms, at + window_ms].map(|v| f.param(Value::Int(v)));
                format!("({})", v.join(", "))
            })
            .collect();
        bounds(&mut f, p);
        let sql = format!(
            "WITH t (target, camera_id, lo, hi) AS (VALUES {}) SELECT t.target AS near_of, {NEAR_COLUMNS} FROM t \
             JOIN reads r ON r.camera_id = t.camera_id AND r.captured_at >= t.lo AND r.captured_at <= t.hi WHERE {}",
            rows.join(", "),
            f.sql
        );
        let rows = f.query(&sql).fetch_all(db.pool()).await?;
        found.extend(rows.iter().map(Near::from_row).collect::<Result<Vec<_>, _>>()?);
    }
    Ok(found)
}

/// Every read in each window (cameras, from, to) within the grant's bounds, `of` its index.
pub(crate) async fn in_windows(db: &Db, p: &Permitted, windows: &[(Vec<i64>, i64, i64)]) -> AppResult<Vec<Near>> {
    let mut f = Filter::new(db.backend());
    let mut each = Vec::new();
    for (i, (cameras, from, to)) in windows.iter().enumerate() {
        if cameras.is_empty() {
            continue;
        }
        let mut w = Filter::new(db.backend());
        std::mem::swap(&mut w.values, &mut f.values);
        let list = w.list(cameras);
        let (lo, hi) = (w.param(Value::Int(*from)), w.param(Value::Int(*to)));
        w.and(&format!("r.camera_id IN ({list}) AND r.captured_at >= {lo} AND r.captured_at <= {hi}"));
        bounds(&mut w, p);
        each.push(format!("SELECT CAST({i} AS BIGINT) AS near_of, {NEAR_COLUMNS} FROM reads r WHERE {}", w.sql));
        std::mem::swap(&mut w.values, &mut f.values);
    }
    if each.is_empty() {
        return Ok(Vec::new());
    }
    let sql = each.join(" UNION ALL ");
    let rows = f.query(&sql).fetch_all(db.pool()).await?;
    Ok(rows.iter().map(Near::from_row).collect::<Result<Vec<_>, _>>()?)
}

/// The distinct vehicles (plates as read) the search finds and the cameras it finds them at,
/// up to [`COUNT_CAP`].
pub(crate) async fn plates(db: &Db, p: &Permitted) -> AppResult<Vec<(String, i64)>> {
    let rows = rows(db, p, None, |f| {
        format!("SELECT DISTINCT r.plate, r.camera_id FROM {} WHERE {} LIMIT {COUNT_CAP}", f.reads, f.sql)
    })
    .await?;
    let each =
        |row: &AnyRow| -> Result<(String, i64), sqlx::Error> { Ok((row.try_get("plate")?, row.try_get("camera_id")?)) };
    Ok(rows.unwrap_or_default().iter().map(each).collect::<Result<_, _>>()?)
}
