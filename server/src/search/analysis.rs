//! Pattern analyses run under a grant like any search (R10–R13): convoy, several places,
//! vehicle description and pattern of life. A convoy or several-places result is a set of
//! reads no single filter describes: it is listed with the stored search (`analysis_reads`),
//! and the read gate finds a read under it only if listed and still within the grant. The
//! vehicles an analysis names are kept (`analysis_plates`) so that their history may be
//! searched under the same request.

use super::grant::{Permitted, Plan};
use super::query::{self, Near};
use crate::clock::to_millis;
use crate::error::{AppError, AppResult};
use crate::store::{Db, Tx};
use chrono::{Datelike, Timelike};
use shared::analysis::{
    AnalysisResult, Associate, ConvoyResult, PatternResult, PlacesResult, PlacesVehicle, ReadPair, SharedPlace,
    MAX_VEHICLES,
};
use shared::plate::skeleton;
use shared::search::SearchQuery;
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// The time zone in which a pattern of life counts hours and days.
const TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::London;

/// What an analysis found, to be stored with its search.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub result: Option<AnalysisResult>,
    /// The reads it found (id, capture instant), when no filter describes them.
    pub listed: Option<Vec<(i64, i64)>>,
    /// The vehicles it names, each with a camera it saw it at.
    pub plates: Vec<(String, i64)>,
}

impl Found {
    /// The vehicles it names, each once, best first.
    pub fn vehicles(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.plates.iter().map(|(p, _)| p.as_str()).filter(|p| seen.insert(*p)).collect()
    }
}

/// Runs the analysis `p` is, if it is one.
pub(crate) async fn find(db: &Db, p: &Permitted) -> AppResult<Option<Found>> {
    Ok(Some(match (&p.plan, &p.search.query) {
        (Plan::Convoy { plate, window_seconds }, _) => convoy(db, p, plate, *window_seconds).await?,
        (Plan::Places { .. }, _) => places(db, p).await?,
        // The request names the target already: a pattern of life names no one else.
        (_, SearchQuery::Pattern { .. }) => {
            Found { result: Some(AnalysisResult::Pattern(pattern(db, p).await?)), ..Found::default() }
        }
        (_, SearchQuery::Description { .. }) => Found { plates: query::plates(db, p).await?, ..Found::default() },
        _ => return Ok(None),
    }))
}

/// Keeps what the analysis found with its stored search, in the search's transaction.
pub(crate) async fn keep(tx: &mut Tx, search_id: i64, found: &Found) -> AppResult<()> {
    // A read in two overlapping windows is listed once.
    let listed: Vec<(i64, i64)> = found.listed.iter().flatten().copied().collect::<BTreeSet<_>>().into_iter().collect();
    for chunk in listed.chunks(300) {
        let values: Vec<String> = chunk.iter().map(|(id, at)| format!("({search_id}, {id}, {at})")).collect();
        sqlx::query(&format!(
            "INSERT INTO analysis_reads (search_id, read_id, captured_at) VALUES {}",
            values.join(", ")
        ))
        .execute(tx.conn())
        .await?;
    }
    if let Some(result) = &found.result {
        sqlx::query("INSERT INTO analysis_results (search_id, result) VALUES ($1, $2)")
            .bind(search_id)
            .bind(serde_json::to_string(result).map_err(AppError::internal)?)
            .execute(tx.conn())
            .await?;
    }
    let plates: BTreeSet<&(String, i64)> = found.plates.iter().collect();
    for (plate, camera_id) in plates {
        sqlx::query("INSERT INTO analysis_plates (search_id, plate, camera_id) VALUES ($1, $2, $3)")
            .bind(search_id)
            .bind(plate)
            .bind(camera_id)
            .execute(tx.conn())
            .await?;
    }
    Ok(())
}

/// The cameras at which analyses `user_id` ran under request `request_id` saw `plate` (none if
/// they named no such vehicle): its history at those cameras may be searched under the request.
pub(crate) async fn named_under(db: &Db, user_id: i64, request_id: i64, plate: &str) -> AppResult<Vec<i64>> {
    let rows = sqlx::query(
        "SELECT DISTINCT ap.camera_id FROM analysis_plates ap JOIN searches s ON s.id = ap.search_id \
         WHERE s.user_id = $1 AND s.request_id = $2 AND ap.plate = $3 ORDER BY ap.camera_id",
    )
    .bind(user_id)
    .bind(request_id)
    .bind(plate)
    .fetch_all(db.pool())
    .await?;
    Ok(rows.iter().map(|r| r.try_get("camera_id")).collect::<Result<_, _>>()?)
}

/// What the stored analysis `p` found, shown again only as far as the grant reaches now: reads
/// since out of reach or at a camera now restricted are left out, with what rested on them.
pub(crate) async fn reopened(db: &Db, p: &Permitted, search_id: i64) -> AppResult<Option<AnalysisResult>> {
    if let SearchQuery::Pattern { .. } = p.search.query {
        return Ok(Some(AnalysisResult::Pattern(pattern(db, p).await?)));
    }
    if !matches!(p.plan, Plan::Convoy { .. } | Plan::Places { .. }) {
        return Ok(None);
    }
    let row = sqlx::query("SELECT result FROM analysis_results WHERE search_id = $1")
        .bind(search_id)
        .fetch_optional(db.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let stored: AnalysisResult =
        serde_json::from_str(&row.try_get::<String, _>("result")?).map_err(AppError::internal)?;
    let open = query::ids(db, p).await?;
    Ok(Some(within(stored, &open)))
}

/// `result` with only the reads in `open`, and what rested on the others dropped.
fn within(result: AnalysisResult, open: &HashSet<i64>) -> AnalysisResult {
    match result {
        AnalysisResult::Convoy(mut c) => {
            c.target_reads.retain(|id| open.contains(id));
            for a in &mut c.associates {
                for place in &mut a.shared {
                    place.pairs.retain(|pair| open.contains(&pair.target) && open.contains(&pair.other));
                }
                a.shared.retain(|place| !place.pairs.is_empty());
                a.places = a.shared.len();
                a.sightings = a.shared.iter().map(|s| s.pairs.len()).sum();
                a.score = round(a.shared.iter().map(|s| s.weight).sum());
            }
            c.associates.retain(|a| a.places > 0);
            c.associates.sort_by(rank_associates);
            AnalysisResult::Convoy(c)
        }
        AnalysisResult::Places(mut pl) => {
            for v in &mut pl.vehicles {
                for reads in &mut v.reads {
                    reads.retain(|id| open.contains(id));
                }
                v.windows = v.reads.iter().filter(|r| !r.is_empty()).count();
            }
            let k = pl.min_windows;
            pl.vehicles.retain(|v| v.windows >= k);
            AnalysisResult::Places(pl)
        }
        pattern => pattern,
    }
}

fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn rank_associates(a: &Associate, b: &Associate) -> std::cmp::Ordering {
    b.score
        .total_cmp(&a.score)
        .then(b.places.cmp(&a.places))
        .then(b.sightings.cmp(&a.sightings))
        .then(a.plate.cmp(&b.plate))
}

/// Vehicles that passed the target's cameras within ±`window_seconds` of it (R10: only the
/// target's reads within the grant are looked around). Each is scored by the distinct places it
/// shared with the target, each place weighted by how few others were beside the target there:
/// log2(1 + vehicles beside the target anywhere / vehicles beside it at that camera). A car next
/// to the target once on a busy road scores little; at four quiet sites, a lot.
async fn convoy(db: &Db, p: &Permitted, target: &str, window_seconds: u32) -> AppResult<Found> {
    let as_target = Permitted { plan: Plan::Plate(target.to_owned()), ..p.clone() };
    let target_reads = query::all(db, &as_target).await?;
    let names: HashMap<i64, String> = target_reads.iter().map(|r| (r.camera_id, r.camera_name.clone())).collect();
    let at: HashMap<i64, i64> = target_reads.iter().map(|r| (r.id, to_millis(r.captured_at))).collect();
    let targets: Vec<(i64, i64, i64)> =
        target_reads.iter().map(|r| (r.id, r.camera_id, to_millis(r.captured_at))).collect();
    let target_skeleton = skeleton(target);
    // A misread of the target beside itself is the target, not a companion (R5).
    let near: Vec<Near> = query::beside(db, p, &targets, i64::from(window_seconds) * 1000)
        .await?
        .into_iter()
        .filter(|n| skeleton(&n.vehicle) != target_skeleton)
        .collect();

    let mut crowd: HashMap<i64, HashSet<&str>> = HashMap::new();
    for n in &near {
        crowd.entry(n.camera_id).or_default().insert(&n.vehicle);
    }
    let beside = near.iter().map(|n| n.vehicle.as_str()).collect::<HashSet<_>>().len() as i64;
    let weight = |camera: i64| round((1.0 + beside as f64 / crowd[&camera].len() as f64).log2());

    // Each read of another vehicle paired once, with the nearest in time of the target's reads.
    let mut nearest: BTreeMap<i64, &Near> = BTreeMap::new();
    for n in &near {
        let distance = |m: &Near| (at[&m.of] - m.at).abs();
        match nearest.get(&n.id) {
            Some(m) if distance(m) <= distance(n) => {}
            _ => {
                nearest.insert(n.id, n);
            }
        }
    }
    let mut by_vehicle: BTreeMap<&str, BTreeMap<i64, Vec<ReadPair>>> = BTreeMap::new();
    for n in nearest.values() {
        by_vehicle
            .entry(&n.vehicle)
            .or_default()
            .entry(n.camera_id)
            .or_default()
            .push(ReadPair { target: n.of, other: n.id });
    }
    let mut associates: Vec<Associate> = by_vehicle
        .into_iter()
        .map(|(plate, cameras)| {
            let shared: Vec<SharedPlace> = cameras
                .into_iter()
                .map(|(camera_id, pairs)| SharedPlace {
                    camera_id,
                    camera_name: names.get(&camera_id).cloned().unwrap_or_default(),
                    crowd: crowd[&camera_id].len() as i64,
                    weight: weight(camera_id),
                    pairs,
                })
                .collect();
            Associate {
                plate: plate.to_owned(),
                score: round(shared.iter().map(|s| s.weight).sum()),
                places: shared.len(),
                sightings: shared.iter().map(|s| s.pairs.len()).sum(),
                shared,
            }
        })
        .collect();
    associates.sort_by(rank_associates);
    associates.truncate(MAX_VEHICLES);

    let mut listed: Vec<(i64, i64)> = target_reads.iter().map(|r| (r.id, to_millis(r.captured_at))).collect();
    let at_of: HashMap<i64, i64> = near.iter().map(|n| (n.id, n.at)).collect();
    for a in &associates {
        listed.extend(a.shared.iter().flat_map(|s| s.pairs.iter()).map(|pair| (pair.other, at_of[&pair.other])));
    }
    Ok(Found {
        plates: associates.iter().flat_map(|a| a.shared.iter().map(|s| (a.plate.clone(), s.camera_id))).collect(),
        result: Some(AnalysisResult::Convoy(ConvoyResult {
            target: target.to_owned(),
            window_seconds,
            target_reads: target_reads.iter().map(|r| r.id).collect(),
            vehicles_beside: beside,
            associates,
        })),
        listed: Some(listed),
    })
}

/// Vehicles seen in at least K of the windows, those in the most first, each with its reads in
/// each window.
async fn places(db: &Db, p: &Permitted) -> AppResult<Found> {
    let Plan::Places { windows, min_windows } = &p.plan else { unreachable!("a several-places plan") };
    let bounds: Vec<(Vec<i64>, i64, i64)> =
        windows.iter().map(|w| (w.cameras.clone(), to_millis(w.from.max(p.from)), to_millis(w.to.min(p.to)))).collect();
    let near = query::in_windows(db, p, &bounds).await?;
    let mut by_vehicle: BTreeMap<&str, Vec<Vec<(i64, i64)>>> = BTreeMap::new();
    for n in &near {
        by_vehicle.entry(&n.vehicle).or_insert_with(|| vec![Vec::new(); windows.len()])[n.of as usize]
            .push((n.at, n.id));
    }
    let camera_of: HashMap<i64, i64> = near.iter().map(|n| (n.id, n.camera_id)).collect();
    let mut vehicles: Vec<(PlacesVehicle, Vec<(i64, i64)>)> = by_vehicle
        .into_iter()
        .filter_map(|(plate, mut reads)| {
            let seen_in = reads.iter().filter(|r| !r.is_empty()).count();
            (seen_in >= *min_windows).then(|| {
                reads.iter_mut().for_each(|r| r.sort_unstable());
                let listed = reads.iter().flatten().map(|(at, id)| (*id, *at)).collect();
                let ids = reads.iter().map(|r| r.iter().map(|(_, id)| *id).collect()).collect();
                (PlacesVehicle { plate: plate.to_owned(), windows: seen_in, reads: ids }, listed)
            })
        })
        .collect();
    let total = |v: &PlacesVehicle| v.reads.iter().map(Vec::len).sum::<usize>();
    vehicles
        .sort_by(|(a, _), (b, _)| b.windows.cmp(&a.windows).then(total(b).cmp(&total(a))).then(a.plate.cmp(&b.plate)));
    vehicles.truncate(MAX_VEHICLES);
    Ok(Found {
        plates: vehicles
            .iter()
            .flat_map(|(v, listed)| listed.iter().map(|(id, _)| (v.plate.clone(), camera_of[id])))
            .collect(),
        listed: Some(vehicles.iter().flat_map(|(_, l)| l.iter().copied()).collect()),
        result: Some(AnalysisResult::Places(PlacesResult {
            min_windows: *min_windows,
            window_cameras: windows.iter().map(|w| w.cameras.clone()).collect(),
            vehicles: vehicles.into_iter().map(|(v, _)| v).collect(),
        })),
    })
}

/// Where and when the plate is seen: its cameras, the busiest first, and its sightings by hour
/// of the day and day of the week in local time.
async fn pattern(db: &Db, p: &Permitted) -> AppResult<PatternResult> {
    let Plan::Plate(plate) = &p.plan else { unreachable!("a pattern of life follows a plate") };
    let reads = query::all(db, p).await?;
    let mut hours = vec![0; 24];
    let mut weekdays = vec![0; 7];
    for r in &reads {
        let local = r.captured_at.with_timezone(&TIME_ZONE);
        hours[local.hour() as usize] += 1;
        weekdays[local.weekday().num_days_from_monday() as usize] += 1;
    }
    Ok(PatternResult {
        plate: plate.clone(),
        sightings: reads.len() as i64,
        first: reads.first().map(|r| r.captured_at),
        last: reads.last().map(|r| r.captured_at),
        cameras: query::per_camera(db, p).await?,
        hours,
        weekdays,
        time_zone: TIME_ZONE.name().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_left_the_grant_leaves_the_result() {
        let place = |camera_id, weight, pairs: Vec<(i64, i64)>| SharedPlace {
            camera_id,
            camera_name: format!("C{camera_id}"),
            crowd: 2,
            weight,
            pairs: pairs.into_iter().map(|(target, other)| ReadPair { target, other }).collect(),
        };
        let convoy = AnalysisResult::Convoy(ConvoyResult {
            target: "AB12CDE".into(),
            window_seconds: 60,
            target_reads: vec![1, 2, 3],
            vehicles_beside: 2,
            associates: vec![
                Associate {
                    plate: "XX11AAA".into(),
                    score: 3.0,
                    places: 2,
                    sightings: 2,
                    shared: vec![place(10, 1.5, vec![(1, 11)]), place(20, 1.5, vec![(2, 12)])],
                },
                Associate {
                    plate: "YY22BBB".into(),
                    score: 1.0,
                    places: 1,
                    sightings: 1,
                    shared: vec![place(30, 1.0, vec![(3, 13)])],
                },
            ],
        });
        // Read 2 (the target at camera 20) and read 13 are now out of reach.
        let open: HashSet<i64> = [1, 3, 11, 12].into();
        let AnalysisResult::Convoy(c) = within(convoy, &open) else { panic!("a convoy") };
        assert_eq!(c.target_reads, [1, 3]);
        assert_eq!(c.associates.len(), 1, "YY22BBB rested only on read 13");
        assert_eq!((c.associates[0].places, c.associates[0].sightings, c.associates[0].score), (1, 1, 1.5));
    }
}
