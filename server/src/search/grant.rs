//! The one place that decides whether a search may run (R10, R12, R13). A [`Grant`] is issued
//! for a user under one of their approved, unexpired requests; it turns a search into a
//! [`Permitted`] search only if the request's scope covers it and it reaches no further back
//! than the user may see. The search functions take nothing else.

use crate::access::policy::Reach;
use crate::access::Investigator;
use crate::cameras::purposes::{Exclusion, Sources};
use crate::clock::{to_millis, to_stored};
use crate::config::AccessConfig;
use crate::error::{AppError, AppResult};
use crate::requests;
use crate::store::Db;
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use shared::hotlists::EntryPattern;
use shared::requests::{RequestStatus, RequestView, Seriousness};
use shared::search::{partial_prefixes, Capability, LeftOut, NewSearch, PlateMode, SearchError, SearchQuery};
use shared::ReadView;
use sqlx::Row;
use std::collections::BTreeSet;

/// A user's standing to search under one request, at one instant.
#[derive(Debug, Clone)]
pub struct Grant {
    reach: Reach,
    request: RequestView,
    /// The oldest instant any search under this grant may reach.
    earliest: DateTime<Utc>,
    /// Why `earliest` is where it is, for the refusal message.
    limit: &'static str,
    /// Searches reaching before this go beyond the standard window (R12, R22).
    standard_floor: DateTime<Utc>,
}

/// How a permitted search finds its reads.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Plan {
    /// `reads.plate` equal to the value.
    Plate(String),
    /// `reads.plate_skeleton` equal to the value (R5).
    Skeleton(String),
    /// Plates starting with one of the prefixes that fit the partial plate.
    Partial { prefixes: Vec<String>, like: String, pattern: EntryPattern },
    /// Reads at these cameras.
    Cameras(Vec<i64>),
    /// Reads at these cameras of a vehicle described by the keys of its make, model and colour
    /// (each `None` when not asked), and optionally a plate `LIKE` the pattern.
    Description {
        cameras: Vec<i64>,
        makes: Option<Vec<String>>,
        models: Option<Vec<String>>,
        colours: Option<Vec<String>>,
        like: Option<String>,
    },
    /// Vehicles seen beside `plate` at its cameras within ±`window_seconds`; the reads found
    /// are those listed for the stored analysis ([`Permitted::found`]).
    Convoy { plate: String, window_seconds: u32 },
    /// Vehicles seen in at least `min_windows` of the windows; the reads found are those listed
    /// for the stored analysis.
    Places { windows: Vec<PlacedWindow>, min_windows: usize },
}

impl Plan {
    /// How a plate search in `mode` finds the reads of `pattern` (checked for that mode).
    pub(crate) fn of_plate(mode: PlateMode, pattern: EntryPattern) -> Result<Plan, SearchError> {
        Ok(match (mode, pattern) {
            (PlateMode::Misread, EntryPattern::Plate(p)) => Plan::Skeleton(p.skeleton()),
            (_, EntryPattern::Plate(p)) => Plan::Plate(p.as_str().to_owned()),
            (_, EntryPattern::Wildcard(w)) => Plan::Partial {
                prefixes: partial_prefixes(&w)?,
                like: w.replace('?', "_").replace('*', "%"),
                pattern: EntryPattern::Wildcard(w),
            },
        })
    }
}

/// One window of a several-places analysis with its cameras chosen.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlacedWindow {
    pub cameras: Vec<i64>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// A search the grant allows, with its bounds fixed. Only [`Grant::permit`] makes one.
#[derive(Debug, Clone)]
pub struct Permitted {
    pub(crate) user_id: i64,
    pub(crate) request_id: i64,
    pub(crate) reference: String,
    pub(crate) search: NewSearch,
    pub(crate) plan: Plan,
    /// The oldest instant returned: the later of the search's start and the grant's reach, so
    /// nothing older is returned even if the search was stored when the reach was longer.
    pub(crate) from: DateTime<Utc>,
    pub(crate) to: DateTime<Utc>,
    pub(crate) excluded_cameras: Vec<i64>,
    /// A search (not a watch) finds only reads the server held when it ran: what arrives later
    /// was never among its results, and is no one's to reach through it (R10, R21).
    pub(crate) received_by: Option<DateTime<Utc>>,
    pub(crate) beyond_standard: bool,
    /// The stored search whose listed reads a convoy or several-places analysis finds; `None`
    /// before it has run, when it finds nothing.
    pub(crate) found: Option<i64>,
    /// For the history of a vehicle an analysis named, outside the request's own plates: the
    /// cameras the analyses saw it at, the only ones searched.
    pub(crate) only_cameras: Option<Vec<i64>>,
    /// Where the reads the request's purpose may not use lie, left out of every query (R3, R10).
    pub(crate) other_purposes: Vec<Exclusion>,
    /// The same, in words, for the answer.
    pub(crate) left_out: Vec<LeftOut>,
}

impl Permitted {
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// Whether `read` could be among this search's reads, judged from the read alone: a quick
    /// sieve for a watch's stream. What passes is confirmed against the stored read through the
    /// search's own query before it is sent.
    pub fn may_find(&self, read: &ReadView) -> bool {
        let plates = || std::iter::once(read.plate.as_str()).chain(read.corrected_plate.as_deref());
        let by_query = match &self.plan {
            Plan::Plate(plate) => plates().any(|p| p == plate),
            Plan::Skeleton(skeleton) => plates().any(|p| shared::plate::skeleton(p) == *skeleton),
            Plan::Partial { pattern, .. } => plates().any(|p| pattern.matches(p)),
            Plan::Cameras(ids) => ids.contains(&read.camera_id),
            Plan::Description { .. } | Plan::Convoy { .. } | Plan::Places { .. } => false,
        };
        by_query
            && self.only_cameras.as_ref().is_none_or(|ids| ids.contains(&read.camera_id))
            && read.captured_at >= self.from
            && read.captured_at <= self.to
            && !self.excluded_cameras.contains(&read.camera_id)
            && !self.other_purposes.iter().any(|e| e.covers(read.camera_id, to_millis(read.captured_at)))
    }

    pub fn left_out(&self) -> &[LeftOut] {
        &self.left_out
    }
}

pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl Grant {
    /// The grant of `user` under request `request_id` at `now`, or why there is none.
    pub async fn issue(
        db: &Db,
        policy: &AccessConfig,
        now: DateTime<Utc>,
        user: &Investigator,
        request_id: i64,
    ) -> AppResult<Grant> {
        let now = to_stored(now);
        let reach = Reach::of(db, policy, now, user).await?;
        let mut conn = db.pool().acquire().await?;
        let request = requests::find(&mut conn, request_id)
            .await?
            .filter(|r| r.requester_id == user.id)
            .ok_or_else(|| AppError::NotFound(format!("you have no request with id {request_id}")))?;
        drop(conn);
        let reference = &request.reference;
        if let Some(at) = request.withdrawn_at {
            return Err(AppError::Forbidden(format!("{reference} was withdrawn at {}", stamp(at))));
        }
        if let Some(at) = request.closed_at {
            return Err(AppError::Forbidden(format!("{reference} was closed by its officer at {}", stamp(at))));
        }
        if let Some(at) = request.revoked_at {
            return Err(AppError::Forbidden(format!("{reference}'s approval was revoked at {}", stamp(at))));
        }
        match (request.status, request.expires_at) {
            (RequestStatus::Pending, _) => {
                return Err(AppError::Forbidden(format!("{reference} is awaiting a supervisor's decision")))
            }
            (RequestStatus::Rejected, _) => return Err(AppError::Forbidden(format!("{reference} was rejected"))),
            (RequestStatus::Approved, Some(expiry)) if now >= expiry => {
                return Err(AppError::Forbidden(format!("{reference}'s approval expired at {}", stamp(expiry))))
            }
            (RequestStatus::Approved, _) => {}
        }

        let standard_floor = now - Duration::days(policy.standard_days);
        let mut limits = vec![(reach.earliest, reach.limit)];
        if request.request.seriousness == Seriousness::Volume {
            limits.push((standard_floor, "beyond the standard window is for serious crime only"));
        }
        let (earliest, limit) = limits.into_iter().max_by_key(|(t, _)| *t).expect("at least one limit");
        Ok(Grant { reach, request, earliest, limit, standard_floor })
    }

    /// When a live-time watch under this grant ends by itself: the end of the request's window
    /// or of its approval, whichever comes first.
    pub fn watch_ends_at(&self) -> DateTime<Utc> {
        let window = self.request.request.scope.to;
        self.request.expires_at.map_or(window, |expiry| expiry.min(window))
    }

    pub fn request(&self) -> &RequestView {
        &self.request
    }

    pub fn earliest(&self) -> DateTime<Utc> {
        self.earliest
    }

    /// Checks `search` against the request's scope, the user's restrictions and the reach.
    pub async fn permit(&self, db: &Db, mut search: NewSearch) -> AppResult<Permitted> {
        search.check()?;
        // Instants are kept to the millisecond: compare at that precision, so what is
        // permitted now is permitted again when the stored search is reopened.
        search.from = to_stored(search.from);
        search.to = to_stored(search.to);
        let reference = &self.request.reference;
        if search.request_id != self.request.id {
            return Err(AppError::Forbidden(format!(
                "this grant is for {reference}, not request {}",
                search.request_id
            )));
        }
        let scope = &self.request.request.scope;
        let capability = search.query.capability();
        if self.reach.restrictions.denied_capabilities.contains(&capability) {
            return Err(AppError::Forbidden(format!("you are restricted from {}", capability.label())));
        }
        // An analysis runs only under a request made for it (R10, R11).
        if let Some(analysis) = search.query.analysis() {
            if scope.analysis != Some(analysis) {
                return Err(AppError::Forbidden(format!(
                    "{reference} is not a request for a {} analysis: ask for one, approved by an inspector{}",
                    analysis.as_str(),
                    if analysis.needs_inspector() { "" } else { " or a sergeant" }
                )));
            }
        }
        if search.from < to_stored(scope.from) || search.to > to_stored(scope.to) {
            return Err(AppError::Forbidden(format!(
                "{reference} covers {} to {}: the search's time range lies outside it",
                stamp(scope.from),
                stamp(scope.to)
            )));
        }
        if search.from < self.earliest {
            return Err(AppError::Forbidden(format!(
                "searches under {reference} may reach back to {} ({})",
                stamp(self.earliest),
                self.limit
            )));
        }
        let mut only_cameras = None;
        let plan = match &search.query {
            SearchQuery::Plate { plate, mode } => {
                let pattern = SearchQuery::pattern(plate, *mode)?;
                if !scope.covers_pattern(&pattern) {
                    // Beyond its plates, an analysis request reaches the history of a vehicle
                    // the user's analyses under it named, by its exact plate, at the cameras
                    // they saw it at — while the user may still run that analysis (R13).
                    let named = match (&pattern, mode, scope.analysis) {
                        (EntryPattern::Plate(p), PlateMode::Exact, Some(a))
                            if !self.reach.restrictions.denied_capabilities.contains(&Capability::Analysis(a)) =>
                        {
                            super::analysis::named_under(db, self.reach.user_id, self.request.id, p.as_str()).await?
                        }
                        _ => Vec::new(),
                    };
                    if named.is_empty() {
                        return Err(AppError::Forbidden(format!(
                            "{reference} does not cover the plate {}",
                            pattern.as_str()
                        )));
                    }
                    only_cameras = Some(named);
                }
                Plan::of_plate(*mode, pattern)?
            }
            SearchQuery::Area { area, cameras } => Plan::Cameras(self.cameras_for(db, area.as_ref(), cameras).await?),
            SearchQuery::Convoy { plate, window_seconds } => {
                Plan::Convoy { plate: self.target(plate)?, window_seconds: *window_seconds }
            }
            SearchQuery::Pattern { plate } => Plan::Plate(self.target(plate)?),
            SearchQuery::Places { windows, min_windows } => {
                let mut placed = Vec::with_capacity(windows.len());
                for w in windows {
                    let cameras = self.cameras_for(db, w.area.as_ref(), &w.cameras).await?;
                    placed.push(PlacedWindow { cameras, from: to_stored(w.from), to: to_stored(w.to) });
                }
                Plan::Places { windows: placed, min_windows: *min_windows }
            }
            SearchQuery::Description { plate, area, cameras, .. } => {
                let description = search.query.description().expect("a description");
                let cameras = match (area, cameras.is_empty()) {
                    // By default, everywhere the request covers.
                    (None, true) => {
                        let mut all = self.cameras_for(db, scope.area.as_ref(), &[]).await?;
                        let denied = &self.reach.restrictions.denied_cameras;
                        all.extend(scope.cameras.iter().filter(|c| !denied.contains(c)));
                        all.sort_unstable();
                        all.dedup();
                        all
                    }
                    _ => self.cameras_for(db, area.as_ref(), cameras).await?,
                };
                let pattern = plate.as_deref().map(EntryPattern::parse).transpose().map_err(SearchError::from)?;
                let like = pattern.map(|p| p.as_str().replace('?', "_").replace('*', "%"));
                Plan::Description {
                    cameras,
                    makes: description.makes(),
                    models: description.models(),
                    colours: description.colours(),
                    like,
                }
            }
        };
        // What the request's purpose may not use is left out, and named (R3, R10).
        let purpose = self.request.request.purpose;
        let sources = Sources::load(&mut *db.pool().acquire().await?).await?;
        let read_cameras: Option<Vec<i64>> = match &plan {
            Plan::Cameras(ids) | Plan::Description { cameras: ids, .. } => Some(ids.clone()),
            Plan::Places { windows, .. } => Some(windows.iter().flat_map(|w| w.cameras.iter().copied()).collect()),
            _ => only_cameras.clone(),
        };
        let from = search.from.max(self.earliest);
        let left_out = sources.left_out(
            purpose,
            from,
            search.to,
            read_cameras.as_deref(),
            &self.reach.restrictions.denied_cameras,
        );
        Ok(Permitted {
            user_id: self.reach.user_id,
            request_id: self.request.id,
            reference: reference.clone(),
            from,
            to: search.to,
            beyond_standard: search.from < self.standard_floor,
            excluded_cameras: self.reach.restrictions.denied_cameras.iter().copied().collect(),
            received_by: None,
            found: None,
            only_cameras,
            other_purposes: sources.exclusions(purpose),
            left_out,
            plan,
            search,
        })
    }

    /// The target of a convoy or pattern-of-life analysis: a whole plate the request names.
    fn target(&self, plate: &str) -> AppResult<String> {
        let plate = shared::plate::Plate::parse(plate).map_err(SearchError::from)?;
        let pattern = EntryPattern::Plate(plate.clone());
        if !self.request.request.scope.covers_pattern(&pattern) {
            return Err(AppError::Forbidden(format!(
                "{} does not name the plate {} as its target",
                self.request.reference,
                plate.as_str()
            )));
        }
        Ok(plate.as_str().to_owned())
    }

    /// The cameras an area search reads: those named and those inside the rectangle, each
    /// within the request's area or cameras; the user's restricted cameras are refused when
    /// named and left out when merely inside the rectangle.
    async fn cameras_for(&self, db: &Db, area: Option<&shared::requests::Area>, named: &[i64]) -> AppResult<Vec<i64>> {
        let reference = &self.request.reference;
        let scope = &self.request.request.scope;
        if scope.area.is_none() && scope.cameras.is_empty() {
            return Err(AppError::Forbidden(format!("{reference} covers plates only, not an area")));
        }
        if let Some(area) = area {
            if !scope.area.is_some_and(|s| s.covers(area)) {
                return Err(AppError::Forbidden(format!("{reference} does not cover the drawn area")));
            }
        }
        let rows = sqlx::query("SELECT id, lat, lon FROM cameras").fetch_all(db.pool()).await?;
        let mut chosen = BTreeSet::new();
        for row in rows {
            let (id, lat, lon): (i64, f64, f64) = (row.try_get("id")?, row.try_get("lat")?, row.try_get("lon")?);
            let in_scope = scope.cameras.contains(&id) || scope.area.is_some_and(|a| a.contains(lat, lon));
            if named.contains(&id) {
                if self.reach.restrictions.denied_cameras.contains(&id) {
                    return Err(AppError::Forbidden(format!("you are restricted from camera {id}")));
                }
                if !in_scope {
                    return Err(AppError::Forbidden(format!("{reference} does not cover camera {id}")));
                }
                chosen.insert(id);
            } else if area.is_some_and(|a| a.contains(lat, lon))
                && !self.reach.restrictions.denied_cameras.contains(&id)
            {
                chosen.insert(id);
            }
        }
        if let Some(unknown) = named.iter().find(|id| !chosen.contains(id)) {
            return Err(AppError::Invalid(format!("no camera with id {unknown}")));
        }
        Ok(chosen.into_iter().collect())
    }
}
