//! Each source for its own purpose (R3, R10): the purposes a feed's reads — or one zone's of
//! it — may serve, under which legal basis, from when. Owner of `source_purposes`.
//!
//! A read is judged by the basis in force when it was captured: the latest act on its zone that
//! had taken effect by then, else the latest on its whole feed, else none (every purpose). A
//! change is a new act from its date, so reads already stored keep the purposes they were
//! collected under, unless the act dates itself back (its basis says so). Searches, watches and
//! analyses leave out what their request's purpose may not use, and say so; hotlists match only
//! reads their purpose may use.

use crate::access::SystemAdmin;
use crate::audit::{self, Actor, Event};
use crate::clock::{from_millis, to_millis};
use crate::error::{AppError, AppResult};
use crate::store::Db;
use chrono::{DateTime, Days, TimeZone, Utc};
use serde_json::json;
use shared::cameras::{PurposesChange, SourceBasis};
use shared::requests::Purpose;
use shared::search::LeftOut;
use shared::AuditAction;
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One act in force from `effective_from` (milliseconds).
#[derive(Debug, Clone)]
struct Basis {
    id: i64,
    feed_id: i64,
    zone: Option<String>,
    purposes: Vec<Purpose>,
    legal_basis: String,
    effective_from: i64,
}

/// Where the reads a purpose may not use lie: cameras, and the capture spans `[from, until)`
/// (milliseconds; `None` for no end) in which their basis does not allow it.
#[derive(Debug, Clone, PartialEq)]
pub struct Exclusion {
    pub cameras: Vec<i64>,
    pub spans: Vec<(i64, Option<i64>)>,
}

impl Exclusion {
    pub fn covers(&self, camera_id: i64, at: i64) -> bool {
        self.cameras.contains(&camera_id)
            && self.spans.iter().any(|(from, until)| at >= *from && until.is_none_or(|u| at < u))
    }
}

/// The sources' bases as they stand, with each camera's feed and zone.
#[derive(Debug, Default)]
pub struct Sources {
    /// Ordered by when they take effect, then by when they were recorded.
    bases: Vec<Basis>,
    cameras: HashMap<i64, (i64, String)>,
    feeds: HashMap<i64, String>,
}

/// A group of cameras judged alike: a feed's cameras outside its governed zones, or one
/// governed zone's.
type Source = (i64, Option<String>);

/// Captured from, until (milliseconds; `None` for no end), and the basis holding then.
type Span<'a> = (i64, Option<i64>, &'a Basis);

fn encode(purposes: &[Purpose]) -> String {
    purposes.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(",")
}

fn decode(raw: &str) -> Result<Vec<Purpose>, sqlx::Error> {
    raw.split(',').map(|p| crate::store::decode("purposes", p, Purpose::parse)).collect()
}

/// "national security only", "crime investigation and safeguarding".
fn purposes_in_words(purposes: &[Purpose]) -> String {
    let words: Vec<String> = purposes.iter().map(|p| p.as_str().replace('_', " ")).collect();
    match words.as_slice() {
        [one] => format!("{one} only"),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => "no purpose".into(),
    }
}

impl Sources {
    /// Every basis and every camera's source. With no basis recorded, nothing is read further.
    pub async fn load(conn: &mut AnyConnection) -> Result<Sources, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT s.id, s.feed_id, s.zone, s.purposes, s.legal_basis, s.effective_from, f.name \
             FROM source_purposes s JOIN feeds f ON f.id = s.feed_id ORDER BY s.effective_from, s.id",
        )
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(Sources::default());
        }
        let mut sources = Sources::default();
        for row in &rows {
            let basis = Basis {
                id: row.try_get("id")?,
                feed_id: row.try_get("feed_id")?,
                zone: row.try_get("zone")?,
                purposes: decode(&row.try_get::<String, _>("purposes")?)?,
                legal_basis: row.try_get("legal_basis")?,
                effective_from: row.try_get("effective_from")?,
            };
            sources.feeds.insert(basis.feed_id, row.try_get("name")?);
            sources.bases.push(basis);
        }
        let governed: Vec<i64> = sources.feeds.keys().copied().collect();
        for row in sqlx::query("SELECT id, feed_id, zone FROM cameras").fetch_all(&mut *conn).await? {
            let feed_id: i64 = row.try_get("feed_id")?;
            if governed.contains(&feed_id) {
                sources.cameras.insert(row.try_get("id")?, (feed_id, row.try_get("zone")?));
            }
        }
        Ok(sources)
    }

    /// The source a camera's reads are judged by.
    fn source_of(&self, feed_id: i64, zone: &str) -> Source {
        let governed = self.bases.iter().any(|b| b.feed_id == feed_id && b.zone.as_deref() == Some(zone));
        (feed_id, governed.then(|| zone.to_owned()))
    }

    /// The basis in force for reads of `source` captured at `at`: the latest act on its feed or
    /// on its zone, whichever came last — a later act on the whole feed governs its zones too.
    fn basis_at(&self, source: &Source, at: i64) -> Option<&Basis> {
        self.bases.iter().rev().find(|b| b.feed_id == source.0 && self.governs(b, source) && b.effective_from <= at)
    }

    /// Whether act `basis` bears on `source`: an act on the feed bears on all of it.
    fn governs(&self, basis: &Basis, source: &Source) -> bool {
        basis.feed_id == source.0 && (basis.zone.is_none() || basis.zone == source.1)
    }

    /// The purposes an act on `feed_id` (or its `zone`) taking effect at `from` would give reads
    /// already captured, up to `until`, that the bases then in force did not allow (R3).
    pub fn widened(
        &self,
        feed_id: i64,
        zone: Option<&str>,
        from: i64,
        until: i64,
        purposes: &[Purpose],
    ) -> Vec<Purpose> {
        let affected: BTreeSet<Source> = self
            .cameras
            .values()
            .filter(|(f, z)| *f == feed_id && zone.is_none_or(|zone| z == zone))
            .map(|(f, z)| self.source_of(*f, z))
            .collect();
        let mut out: Vec<Purpose> = Vec::new();
        for source in &affected {
            let later = self
                .bases
                .iter()
                .filter(|b| self.governs(b, source) && b.effective_from > from && b.effective_from <= until);
            for basis in self.basis_at(source, from).into_iter().chain(later) {
                out.extend(purposes.iter().filter(|p| !basis.purposes.contains(p)));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Whether a read at `camera_id` captured at `at` (milliseconds) may serve `purpose`.
    pub fn allows(&self, camera_id: i64, at: i64, purpose: Purpose) -> bool {
        let Some((feed_id, zone)) = self.cameras.get(&camera_id) else { return true };
        let source = self.source_of(*feed_id, zone);
        self.basis_at(&source, at).is_none_or(|b| b.purposes.contains(&purpose))
    }

    /// Each source's spans in which `purpose` may not use its reads, with the basis of each.
    fn spans(&self, purpose: Purpose) -> BTreeMap<Source, Vec<Span<'_>>> {
        let sources: BTreeSet<Source> =
            self.cameras.values().map(|(feed_id, zone)| self.source_of(*feed_id, zone)).collect();
        let mut out = BTreeMap::new();
        for source in sources {
            // The basis can change only where an act on the feed or on this zone takes effect.
            let mut changes: Vec<i64> =
                self.bases.iter().filter(|b| self.governs(b, &source)).map(|b| b.effective_from).collect();
            changes.sort_unstable();
            changes.dedup();
            let mut spans: Vec<Span> = Vec::new();
            for (i, from) in changes.iter().enumerate() {
                let until = changes.get(i + 1).copied();
                let Some(basis) = self.basis_at(&source, *from) else { continue };
                if basis.purposes.contains(&purpose) {
                    continue;
                }
                match spans.last_mut() {
                    // One span while the same basis holds on.
                    Some(last) if last.1 == Some(*from) && last.2.id == basis.id => last.1 = until,
                    _ => spans.push((*from, until, basis)),
                }
            }
            if !spans.is_empty() {
                out.insert(source, spans);
            }
        }
        out
    }

    fn cameras_of(&self, source: &Source) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .cameras
            .iter()
            .filter(|(_, (feed_id, zone))| self.source_of(*feed_id, zone) == *source)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Where the reads `purpose` may not use lie, for a search's WHERE clause.
    pub fn exclusions(&self, purpose: Purpose) -> Vec<Exclusion> {
        self.spans(purpose)
            .iter()
            .map(|(source, spans)| Exclusion {
                cameras: self.cameras_of(source),
                spans: spans.iter().map(|(from, until, _)| (*from, *until)).collect(),
            })
            .filter(|e| !e.cameras.is_empty())
            .collect()
    }

    /// What a search under `purpose` over `[from, to]` leaves out, in words — counting only
    /// `among` cameras when it reads chosen cameras, and never a camera `withheld` from the user
    /// (R13): the search would not have read it whatever its purpose.
    pub fn left_out(
        &self,
        purpose: Purpose,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        among: Option<&[i64]>,
        withheld: &BTreeSet<i64>,
    ) -> Vec<LeftOut> {
        let (from, to) = (to_millis(from), to_millis(to));
        let mut out = Vec::new();
        for (source, spans) in self.spans(purpose) {
            let cameras = self
                .cameras_of(&source)
                .into_iter()
                .filter(|id| among.is_none_or(|a| a.contains(id)) && !withheld.contains(id))
                .count();
            if cameras == 0 {
                continue;
            }
            for (start, until, basis) in spans {
                if start > to || until.is_some_and(|u| u <= from) {
                    continue;
                }
                let feed = self.feeds.get(&source.0).cloned().unwrap_or_default();
                let whose = match &source.1 {
                    Some(zone) => format!("the {zone} zone of the {feed} feed"),
                    None => format!("the {feed} feed"),
                };
                let mut when = String::new();
                if start > from {
                    when.push_str(&format!(" captured from {}", crate::search::grant::stamp(from_millis(start))));
                }
                if let Some(u) = until.filter(|u| *u <= to) {
                    when.push_str(&format!(" until {}", crate::search::grant::stamp(from_millis(u))));
                }
                let reason = format!(
                    "reads from {whose}{when} are available for {} ({}): {cameras} camera{} left out",
                    purposes_in_words(&basis.purposes),
                    basis.legal_basis,
                    if cameras == 1 { "" } else { "s" }
                );
                out.push(LeftOut {
                    feed,
                    zone: source.1.clone(),
                    cameras,
                    purposes: basis.purposes.clone(),
                    legal_basis: basis.legal_basis.clone(),
                    from: Some(from_millis(start)),
                    until: until.map(from_millis),
                    reason,
                });
            }
        }
        out
    }
}

/// Every act on the feeds' purposes, newest first, by feed.
pub async fn acts(db: &Db) -> Result<HashMap<i64, Vec<SourceBasis>>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.id, s.feed_id, s.zone, s.purposes, s.legal_basis, s.reason, s.effective_from, s.recorded_at, \
         u.display_name FROM source_purposes s JOIN users u ON u.id = s.recorded_by ORDER BY s.id DESC",
    )
    .fetch_all(db.pool())
    .await?;
    let mut by_feed: HashMap<i64, Vec<SourceBasis>> = HashMap::new();
    for row in &rows {
        by_feed.entry(row.try_get("feed_id")?).or_default().push(SourceBasis {
            id: row.try_get("id")?,
            zone: row.try_get("zone")?,
            purposes: decode(&row.try_get::<String, _>("purposes")?)?,
            legal_basis: row.try_get("legal_basis")?,
            reason: row.try_get("reason")?,
            effective_from: from_millis(row.try_get("effective_from")?),
            recorded_by: row.try_get("display_name")?,
            recorded_at: from_millis(row.try_get("recorded_at")?),
        });
    }
    Ok(by_feed)
}

/// The feed-wide basis in force at `now` among a feed's acts (newest first).
pub fn in_force(acts: &[SourceBasis], now: DateTime<Utc>) -> Option<&SourceBasis> {
    acts.iter().filter(|a| a.zone.is_none() && a.effective_from <= now).max_by_key(|a| (a.effective_from, a.id))
}

/// Records a change of the purposes feed `feed_id`'s reads (or one zone's) may serve: a
/// governance act, audited in the same transaction (R3, R21). It applies to reads captured from
/// its `effective_from` (now when absent), which may lie at most a year ahead.
pub async fn change(
    db: &Db,
    now: DateTime<Utc>,
    admin: &SystemAdmin,
    feed_id: i64,
    change: PurposesChange,
) -> AppResult<SourceBasis> {
    change.check().map_err(AppError::Invalid)?;
    let effective_from = change.effective_from.unwrap_or(now);
    let earliest = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single().expect("a valid instant");
    let latest = now.checked_add_days(Days::new(366)).unwrap_or(now);
    if effective_from < earliest || effective_from > latest {
        return Err(AppError::Invalid("effective_from must lie between 2000-01-01 and a year from now".into()));
    }
    let zone = change.zone.as_deref().map(str::trim);
    let mut tx = db.begin().await?;
    let feed = sqlx::query("SELECT name FROM feeds WHERE id = $1")
        .bind(feed_id)
        .fetch_optional(tx.conn())
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no feed with id {feed_id}")))?;
    let feed: String = feed.try_get("name")?;
    if let Some(zone) = zone {
        let known = sqlx::query("SELECT 1 AS one FROM cameras WHERE feed_id = $1 AND zone = $2 LIMIT 1")
            .bind(feed_id)
            .bind(zone)
            .fetch_optional(tx.conn())
            .await?;
        if known.is_none() {
            return Err(AppError::Invalid(format!("the {feed} feed has no camera in a zone named `{zone}`")));
        }
    }
    let mut purposes = change.purposes.clone();
    purposes.sort();
    // Reads already collected keep the purposes of the basis they were collected under (R3): an
    // act dated back may narrow them, never widen them — a wider basis applies from now on.
    if effective_from < now {
        let sources = Sources::load(tx.conn()).await?;
        let widened = sources.widened(feed_id, zone, to_millis(effective_from), to_millis(now), &purposes);
        if !widened.is_empty() {
            return Err(AppError::Invalid(format!(
                "effective_from: an act dated back may only narrow what reads already collected may serve; \
                 {} was not allowed for all of the {} feed's reads since {} — record the wider basis from now on",
                purposes_in_words(&widened).trim_end_matches(" only"),
                feed,
                crate::search::grant::stamp(effective_from)
            )));
        }
    }
    let (legal_basis, reason) = (change.legal_basis.trim(), change.reason.trim());
    let id: i64 = sqlx::query(
        "INSERT INTO source_purposes (feed_id, zone, purposes, legal_basis, reason, effective_from, recorded_by, \
         recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(feed_id)
    .bind(zone)
    .bind(encode(&purposes))
    .bind(legal_basis)
    .bind(reason)
    .bind(to_millis(effective_from))
    .bind(admin.id)
    .bind(to_millis(now))
    .fetch_one(tx.conn())
    .await?
    .try_get("id")?;
    audit::record(
        &mut tx,
        now,
        Event::new(Actor::user(admin), AuditAction::SourcePurposesChanged).subject(format!("feed {feed_id}")).details(
            json!({
                "feed": feed,
                "zone": zone,
                "purposes": purposes,
                "legal_basis": legal_basis,
                "reason": reason,
                "effective_from": effective_from,
                "dated_back": effective_from < now,
            }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(SourceBasis {
        id,
        zone: zone.map(str::to_owned),
        purposes,
        legal_basis: legal_basis.to_owned(),
        reason: reason.to_owned(),
        effective_from: crate::clock::to_stored(effective_from),
        recorded_by: admin.display_name.clone(),
        recorded_at: crate::clock::to_stored(now),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basis(id: i64, zone: Option<&str>, purposes: &[Purpose], from: i64) -> Basis {
        Basis {
            id,
            feed_id: 1,
            zone: zone.map(str::to_owned),
            purposes: purposes.to_vec(),
            legal_basis: format!("ref-{id}"),
            effective_from: from,
        }
    }

    fn sources(bases: Vec<Basis>) -> Sources {
        let cameras = [(10, (1, "City".to_owned())), (11, (1, "LEZ".to_owned())), (12, (1, "LEZ".to_owned()))];
        Sources { bases, cameras: cameras.into_iter().collect(), feeds: [(1, "TfL".to_owned())].into_iter().collect() }
    }

    const NS: Purpose = Purpose::NationalSecurity;
    const CRIME: Purpose = Purpose::CrimeInvestigation;

    #[test]
    fn a_basis_holds_from_its_date_and_not_a_millisecond_before() {
        let s = sources(vec![basis(1, None, &[NS], 1_000)]);
        assert!(s.allows(10, 999, CRIME), "before the act every purpose may use the reads");
        assert!(!s.allows(10, 1_000, CRIME));
        assert!(s.allows(10, 1_000, NS));
        assert_eq!(s.exclusions(CRIME), vec![Exclusion { cameras: vec![10, 11, 12], spans: vec![(1_000, None)] }]);
        assert!(s.exclusions(NS).is_empty());
    }

    #[test]
    fn a_later_act_applies_from_its_date_and_earlier_reads_keep_theirs() {
        let s = sources(vec![basis(1, None, &[NS], 1_000), basis(2, None, &[NS, CRIME], 5_000)]);
        assert!(!s.allows(10, 4_999, CRIME));
        assert!(s.allows(10, 5_000, CRIME));
        assert_eq!(s.exclusions(CRIME)[0].spans, vec![(1_000, Some(5_000))]);
    }

    #[test]
    fn a_zone_with_its_own_basis_follows_it_and_the_feed_before_it() {
        let s = sources(vec![basis(1, None, &[NS, CRIME], 0), basis(2, Some("LEZ"), &[NS], 2_000)]);
        assert!(s.allows(11, 1_999, CRIME), "before the zone's act the feed's basis holds");
        assert!(!s.allows(11, 2_000, CRIME));
        assert!(s.allows(10, 2_000, CRIME), "the feed's other cameras are not touched");
        let out = s.exclusions(CRIME);
        assert_eq!(out, vec![Exclusion { cameras: vec![11, 12], spans: vec![(2_000, None)] }]);
        let none = BTreeSet::new();
        let left = s.left_out(CRIME, from_millis(0), from_millis(10_000), None, &none);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].cameras, 2);
        assert!(left[0].reason.contains("LEZ zone of the TfL feed"), "{}", left[0].reason);
        assert!(left[0].reason.contains("national security only"), "{}", left[0].reason);
        // A window wholly before the zone's act leaves nothing out.
        assert!(s.left_out(CRIME, from_millis(0), from_millis(1_999), None, &none).is_empty());
        // A search of other cameras names nothing.
        assert!(s.left_out(CRIME, from_millis(0), from_millis(10_000), Some(&[10]), &none).is_empty());
        // A camera withheld from the user (R13) is not counted as left out by purpose.
        let left = s.left_out(CRIME, from_millis(0), from_millis(10_000), None, &BTreeSet::from([11]));
        assert_eq!(left[0].cameras, 1);
        assert!(left[0].reason.ends_with("1 camera left out"), "{}", left[0].reason);
        assert!(s.left_out(CRIME, from_millis(0), from_millis(10_000), None, &BTreeSet::from([11, 12])).is_empty());
    }

    #[test]
    fn a_later_act_on_the_whole_feed_governs_a_zone_that_had_its_own() {
        let s = sources(vec![basis(1, Some("LEZ"), &[NS, CRIME], 1_000), basis(2, None, &[NS], 2_000)]);
        assert!(s.allows(11, 1_999, CRIME), "the zone's own act holds until the feed's");
        assert!(!s.allows(11, 2_000, CRIME), "the feed-wide act, later, governs the zone too");
        assert!(!s.allows(10, 2_000, CRIME));
        let left = s.left_out(CRIME, from_millis(0), from_millis(10_000), None, &BTreeSet::new());
        assert_eq!(left.iter().map(|l| l.cameras).sum::<usize>(), 3, "{left:?}");
        // A zone act after the feed's governs the zone again.
        let s = sources(vec![basis(1, None, &[NS], 1_000), basis(2, Some("LEZ"), &[NS, CRIME], 2_000)]);
        assert!(!s.allows(11, 1_999, CRIME) && s.allows(11, 2_000, CRIME) && !s.allows(10, 2_000, CRIME));
    }

    #[test]
    fn an_act_dated_back_widens_nothing_already_collected() {
        let s = sources(vec![basis(1, None, &[NS], 1_000)]);
        // Narrowing back is allowed; widening back over a national-security-only stretch is not.
        assert_eq!(s.widened(1, None, 1_500, 5_000, &[NS]), Vec::<Purpose>::new());
        assert_eq!(s.widened(1, None, 1_500, 5_000, &[NS, CRIME]), vec![CRIME]);
        assert_eq!(s.widened(1, Some("LEZ"), 1_500, 5_000, &[CRIME]), vec![CRIME]);
        // Back to before any act, reads were open to every purpose — until the act at 1 000.
        assert_eq!(s.widened(1, None, 500, 999, &[CRIME]), Vec::<Purpose>::new());
        assert_eq!(s.widened(1, None, 500, 1_000, &[CRIME]), vec![CRIME]);
        // Another feed's acts are not this one's.
        assert_eq!(s.widened(2, None, 0, 5_000, &[CRIME]), Vec::<Purpose>::new());
    }

    #[test]
    fn an_unknown_camera_or_feed_without_acts_is_unrestricted() {
        let s = sources(vec![basis(1, None, &[NS], 0)]);
        assert!(s.allows(99, 5, CRIME));
        assert!(Sources::default().allows(10, 5, CRIME));
    }
}
