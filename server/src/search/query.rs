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
            Plan::Partial { .. } | Plan::Cameras(_) => None,
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
        }
        let from = f.param(Value::Int(to_millis(p.from)));
        let to = f.param(Value::Int(to_millis(p.to)));
        f.and(&format!("r.captured_at >= {from} AND r.captured_at <= {to}"));
        if let Some(held) = p.received_by {
            let held = f.param(Value::Int(to_millis(held)));
            f.and(&format!("r.received_at <= {held}"));
        }
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
        if !p.excluded_cameras.is_empty() {
            let list = f.list(&p.excluded_cameras);
            f.and(&format!("r.camera_id NOT IN ({list})"));
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
