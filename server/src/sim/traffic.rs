//! Vehicles and their journeys through the network: realistic timing from distance and speed,
//! ~3% misreads with the typical confusions (R5), some cloned plates (one VRM on two vehicles
//! far apart, R17), some vehicles travelling in convoy — pairs that always travel together, and
//! strangers who happen to follow one another once — and commuters, who drive the same route
//! at about the same time every working day. The pairs and commuters are the known answers the
//! analyses are tested against.

use super::network::{distance_m, Site};
use chrono::{DateTime, Duration, Utc};
use image::Rgb;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

pub const MISREAD_RATE: f64 = 0.03;
const CONVOY_RATE: f64 = 0.03;
/// Share of journeys made by one of the pairs that always travel together.
const PAIR_JOURNEYS: f64 = 0.005;
/// Where local time is counted for commuters.
const TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::London;

#[derive(Debug, Clone)]
pub struct Vehicle {
    pub plate: String,
    pub make: &'static str,
    pub model: &'static str,
    pub colour: (&'static str, Rgb<u8>),
}

const MODELS: [(&str, &str); 12] = [
    ("Ford", "Fiesta"),
    ("Ford", "Focus"),
    ("Vauxhall", "Corsa"),
    ("Volkswagen", "Golf"),
    ("Toyota", "Prius"),
    ("BMW", "3 Series"),
    ("Mercedes-Benz", "Sprinter"),
    ("Nissan", "Qashqai"),
    ("Kia", "Sportage"),
    ("Tesla", "Model 3"),
    ("Land Rover", "Range Rover"),
    ("Ford", "Transit"),
];

const COLOURS: [(&str, [u8; 3]); 8] = [
    ("black", [25, 25, 28]),
    ("white", [235, 235, 235]),
    ("silver", [180, 184, 190]),
    ("grey", [110, 112, 118]),
    ("blue", [30, 70, 160]),
    ("red", [170, 30, 30]),
    ("green", [30, 110, 60]),
    ("yellow", [230, 190, 30]),
];

/// A current-style GB mark: area letters, age digits, three random letters.
pub fn random_plate(rng: &mut StdRng) -> String {
    const AREA: &[u8] = b"ABCDEFGHKLMNOPRSVWXY";
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNOPRSTUVWXYZ";
    let age = [2, 3, 51, 53, 8, 58, 12, 62, 15, 65, 19, 69, 21, 71, 24, 74][rng.gen_range(0..16)];
    let mut plate = String::with_capacity(7);
    plate.push(AREA[rng.gen_range(0..AREA.len())] as char);
    plate.push(LETTERS[rng.gen_range(0..LETTERS.len())] as char);
    plate.push_str(&format!("{age:02}"));
    for _ in 0..3 {
        plate.push(LETTERS[rng.gen_range(0..LETTERS.len())] as char);
    }
    plate
}

pub fn random_vehicle(rng: &mut StdRng, plate: String) -> Vehicle {
    let (make, model) = MODELS[rng.gen_range(0..MODELS.len())];
    let (name, rgb) = COLOURS[rng.gen_range(0..COLOURS.len())];
    Vehicle { plate, make, model, colour: (name, Rgb(rgb)) }
}

/// A plate as a camera might misread it: one character swapped for a typical confusion (R5).
pub fn misread(plate: &str, rng: &mut StdRng) -> String {
    const PAIRS: [(char, &str); 14] = [
        ('0', "ODQ"),
        ('O', "0DQ"),
        ('D', "0O"),
        ('Q', "O0"),
        ('1', "IL"),
        ('I', "1L"),
        ('L', "1I"),
        ('2', "Z"),
        ('Z', "2"),
        ('5', "S"),
        ('S', "5"),
        ('8', "B"),
        ('B', "8"),
        ('6', "G"),
    ];
    let chars: Vec<char> = plate.chars().collect();
    let confusable: Vec<usize> =
        (0..chars.len()).filter(|i| PAIRS.iter().any(|(c, _)| *c == chars[*i]) || chars[*i] == 'G').collect();
    let Some(&i) = confusable.choose(rng) else { return plate.to_owned() };
    let options = PAIRS.iter().find(|(c, _)| *c == chars[i]).map(|(_, o)| *o).unwrap_or("6");
    let mut out = chars.clone();
    out[i] = options.chars().nth(rng.gen_range(0..options.chars().count())).unwrap_or(chars[i]);
    out.into_iter().collect()
}

/// One sighting due: which vehicle at which site, read as what.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub vehicle: usize,
    pub site: usize,
    pub at: DateTime<Utc>,
    pub read_as: String,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Due {
    at: DateTime<Utc>,
    journey: usize,
}

struct Journey {
    vehicle: usize,
    route: Vec<usize>,
    next: usize,
    /// Offset after the leader, for a vehicle in convoy.
    start: DateTime<Utc>,
    speed_mps: f64,
}

/// A vehicle that drives `route` each working day, leaving about `morning` and coming back by
/// the reverse route about `evening` (minutes after local midnight).
#[derive(Debug, Clone)]
pub struct Commuter {
    pub vehicle: usize,
    pub route: Vec<usize>,
    pub morning: u32,
    pub evening: u32,
    /// The next departure: its local day and whether it is the evening one.
    next: Option<(chrono::NaiveDate, bool)>,
}

/// Vehicles making journeys through the network in simulated time.
pub struct Traffic {
    pub sites: Vec<Site>,
    pub vehicles: Vec<Vehicle>,
    /// Leaders and the vehicle that always follows them (ground truth for convoy analysis).
    pub pairs: Vec<(usize, usize)>,
    /// Ground truth for pattern-of-life analysis.
    pub commuters: Vec<Commuter>,
    neighbours: Vec<Vec<usize>>,
    journeys: Vec<Option<Journey>>,
    /// Slots of finished journeys, to reuse.
    free: Vec<usize>,
    due: BinaryHeap<Reverse<Due>>,
    rng: StdRng,
    active: usize,
}

impl Traffic {
    /// `vehicles` vehicles, `clones` of whose plates are also carried by a second vehicle.
    pub fn new(sites: Vec<Site>, vehicles: usize, clones: usize, mut rng: StdRng) -> Traffic {
        let mut fleet: Vec<Vehicle> = (0..vehicles)
            .map(|_| {
                let plate = random_plate(&mut rng);
                random_vehicle(&mut rng, plate)
            })
            .collect();
        for i in 0..clones.min(vehicles) {
            // The same VRM on another vehicle, which will drive elsewhere (R17).
            let twin = random_vehicle(&mut rng, fleet[i].plate.clone());
            fleet.push(twin);
        }
        let neighbours = sites
            .iter()
            .map(|a| {
                let mut near: Vec<(f64, usize)> = sites
                    .iter()
                    .enumerate()
                    .map(|(j, b)| (distance_m((a.lat, a.lon), (b.lat, b.lon)), j))
                    .filter(|(d, _)| *d > 50.0)
                    .collect();
                near.sort_by(|x, y| x.0.total_cmp(&y.0));
                near.into_iter().take(6).map(|(_, j)| j).collect()
            })
            .collect();
        // After the cloned plates: pairs, then commuters, each about one vehicle in a hundred.
        let first = clones.min(vehicles);
        let n = (vehicles / 100).max(1);
        let pairs: Vec<(usize, usize)> =
            (0..n).map(|i| (first + 2 * i, first + 2 * i + 1)).filter(|(_, f)| *f < vehicles).collect();
        let mut traffic = Traffic {
            sites,
            vehicles: fleet,
            pairs,
            commuters: Vec::new(),
            neighbours,
            journeys: Vec::new(),
            free: Vec::new(),
            due: BinaryHeap::new(),
            rng,
            active: 0,
        };
        let after_pairs = first + 2 * n;
        traffic.commuters = (after_pairs..(after_pairs + n).min(vehicles))
            .map(|vehicle| {
                let from = traffic.rng.gen_range(0..traffic.sites.len());
                let route = traffic.route_from(from);
                Commuter {
                    vehicle,
                    route,
                    morning: traffic.rng.gen_range(7 * 60..8 * 60 + 30),
                    evening: traffic.rng.gen_range(16 * 60 + 30..18 * 60 + 30),
                    next: None,
                }
            })
            .collect();
        traffic
    }

    /// A route of two to eight neighbouring sites from `start`.
    fn route_from(&mut self, start: usize) -> Vec<usize> {
        let mut route = vec![start];
        for _ in 0..self.rng.gen_range(1..8) {
            let here = *route.last().expect("not empty");
            let options: Vec<usize> = self.neighbours[here].iter().copied().filter(|s| !route.contains(s)).collect();
            match options.choose(&mut self.rng) {
                Some(&next) => route.push(next),
                None => break,
            }
        }
        route
    }

    /// Starts every commute due by `until`, from the first working day the simulation reaches.
    fn commute_until(&mut self, until: DateTime<Utc>) {
        for c in 0..self.commuters.len() {
            let first = (next_working_day(until), false);
            loop {
                let commuter = &mut self.commuters[c];
                let (day, evening) = *commuter.next.get_or_insert(first);
                let minutes = if evening { commuter.evening } else { commuter.morning };
                let jitter = self.rng.gen_range(-8..=8);
                let Some(leaves) = local(day, i64::from(minutes) + jitter).filter(|t| *t <= until) else { break };
                let commuter = &mut self.commuters[c];
                commuter.next = Some(if evening { (next_working_day_after(day), false) } else { (day, true) });
                let mut route = commuter.route.clone();
                if evening {
                    route.reverse();
                }
                let (vehicle, speed_mps) = (commuter.vehicle, self.rng.gen_range(6.0..11.0));
                self.push_journey(Journey { vehicle, route, next: 0, start: leaves, speed_mps });
            }
        }
    }

    pub fn active_journeys(&self) -> usize {
        self.active
    }

    /// Starts a journey at a random time in the next `within`; sometimes with a follower.
    pub fn start_journey(&mut self, now: DateTime<Utc>, within: Duration) {
        // A pair's leader never travels without its follower.
        let vehicle = match !self.pairs.is_empty() && self.rng.gen_bool(PAIR_JOURNEYS) {
            true => self.pairs[self.rng.gen_range(0..self.pairs.len())].0,
            false => self.rng.gen_range(0..self.vehicles.len()),
        };
        let partner = self.pairs.iter().find(|(leader, _)| *leader == vehicle).map(|(_, follower)| *follower);
        let start = self.rng.gen_range(0..self.sites.len());
        let route = self.route_from(start);
        let offset = Duration::milliseconds(self.rng.gen_range(0..within.num_milliseconds().max(1)));
        let speed_mps = self.rng.gen_range(4.0..13.0); // 15–45 km/h, London traffic
        self.push_journey(Journey { vehicle, route: route.clone(), next: 0, start: now + offset, speed_mps });
        if partner.is_some() || self.rng.gen_bool(CONVOY_RATE) {
            let follower = partner.unwrap_or_else(|| self.rng.gen_range(0..self.vehicles.len()));
            let gap = Duration::seconds(self.rng.gen_range(2..15));
            self.push_journey(Journey { vehicle: follower, route, next: 0, start: now + offset + gap, speed_mps });
        }
    }

    fn push_journey(&mut self, journey: Journey) {
        let at = journey.start;
        let slot = match self.free.pop() {
            Some(slot) => {
                self.journeys[slot] = Some(journey);
                slot
            }
            None => {
                self.journeys.push(Some(journey));
                self.journeys.len() - 1
            }
        };
        self.active += 1;
        self.due.push(Reverse(Due { at, journey: slot }));
    }

    /// Every sighting due by `until`, in time order.
    pub fn sightings_until(&mut self, until: DateTime<Utc>) -> Vec<Sighting> {
        self.commute_until(until);
        let mut out = Vec::new();
        while self.due.peek().is_some_and(|Reverse(d)| d.at <= until) {
            let Reverse(Due { at, journey: j }) = self.due.pop().expect("peeked");
            let Some(journey) = self.journeys[j].as_mut() else { continue };
            let site = journey.route[journey.next];
            let plate = &self.vehicles[journey.vehicle].plate;
            let read_as = if self.rng.gen_bool(MISREAD_RATE) { misread(plate, &mut self.rng) } else { plate.clone() };
            out.push(Sighting { vehicle: journey.vehicle, site, at, read_as });
            journey.next += 1;
            if journey.next < journey.route.len() {
                let (a, b) = (&self.sites[site], &self.sites[journey.route[journey.next]]);
                let metres = distance_m((a.lat, a.lon), (b.lat, b.lon)) * 1.3; // roads are not straight
                let secs = metres / journey.speed_mps;
                self.due.push(Reverse(Due { at: at + Duration::milliseconds((secs * 1000.0) as i64), journey: j }));
            } else {
                self.journeys[j] = None;
                self.free.push(j);
                self.active -= 1;
            }
        }
        out
    }
}

/// `minutes` after local midnight of `day`, in UTC.
fn local(day: chrono::NaiveDate, minutes: i64) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let at = day.and_hms_opt(0, 0, 0)? + Duration::minutes(minutes);
    TIME_ZONE.from_local_datetime(&at).earliest().map(|t| t.with_timezone(&Utc))
}

fn is_working_day(day: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    day.weekday().num_days_from_monday() < 5
}

/// The local day of `t`, or the next working day after it.
fn next_working_day(t: DateTime<Utc>) -> chrono::NaiveDate {
    let day = t.with_timezone(&TIME_ZONE).date_naive();
    if is_working_day(day) {
        day
    } else {
        next_working_day_after(day)
    }
}

fn next_working_day_after(day: chrono::NaiveDate) -> chrono::NaiveDate {
    let mut next = day.succ_opt().expect("a later day");
    while !is_working_day(next) {
        next = next.succ_opt().expect("a later day");
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use shared::plate::skeleton;

    #[test]
    fn misreads_are_typical_confusions() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let plate = random_plate(&mut rng);
            let m = misread(&plate, &mut rng);
            assert_eq!(skeleton(&m), skeleton(&plate), "{plate} -> {m}");
            assert!(m.chars().zip(plate.chars()).filter(|(a, b)| a != b).count() <= 1);
        }
    }

    #[test]
    fn journeys_move_at_road_speeds_through_neighbouring_sites() {
        let mut rng = StdRng::seed_from_u64(1);
        let sites = super::super::network::london(&mut rng);
        assert!((680..=720).contains(&sites.len()));
        let mut traffic = Traffic::new(sites, 200, 5, rng);
        assert_eq!(traffic.vehicles.len(), 205);
        let t0 = DateTime::from_timestamp(1_772_441_000, 0).unwrap();
        for _ in 0..100 {
            traffic.start_journey(t0, Duration::seconds(60));
        }
        let sightings = traffic.sightings_until(t0 + Duration::hours(3));
        assert!(sightings.len() > 200, "{}", sightings.len());
        assert_eq!(traffic.active_journeys(), 0);
        assert!(sightings.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
        let misreads = sightings.iter().filter(|s| s.read_as != traffic.vehicles[s.vehicle].plate).count();
        assert!(misreads < sightings.len() / 10, "about 3% misread: {misreads}");
    }

    #[test]
    fn pairs_travel_together_and_commuters_keep_their_hours() {
        use chrono::Timelike;
        let mut rng = StdRng::seed_from_u64(3);
        let sites = super::super::network::london(&mut rng);
        let mut traffic = Traffic::new(sites, 500, 5, rng);
        assert_eq!((traffic.pairs.len(), traffic.commuters.len()), (5, 5));
        // Monday 2 March 2026, 00:00 UTC: two weeks of journeys, an hour at a time.
        let t0 = DateTime::from_timestamp(1_772_409_600, 0).unwrap();
        let mut sightings = Vec::new();
        for hour in 0..14 * 24 {
            let at = t0 + Duration::hours(hour);
            for _ in 0..200 {
                traffic.start_journey(at, Duration::hours(1));
            }
            sightings.extend(traffic.sightings_until(at + Duration::hours(1)));
        }
        // Each pair's follower passes each site its leader passes within seconds.
        let (leader, follower) = traffic.pairs[0];
        let led: Vec<&Sighting> = sightings.iter().filter(|s| s.vehicle == leader).collect();
        let followed = led
            .iter()
            .filter(|l| {
                sightings
                    .iter()
                    .any(|f| f.vehicle == follower && f.site == l.site && (f.at - l.at).num_seconds().abs() <= 60)
            })
            .count();
        assert!(led.len() >= 10 && followed * 10 >= led.len() * 9, "{followed} of {}", led.len());
        // A commuter is seen at its first site in the morning hour it keeps, on working days.
        let c = traffic.commuters[0].clone();
        let mornings: Vec<DateTime<Utc>> = sightings
            .iter()
            .filter(|s| s.vehicle == c.vehicle && s.site == c.route[0] && s.at.hour() < 12)
            .map(|s| s.at)
            .collect();
        assert!((9..=11).contains(&mornings.len()), "ten working days: {}", mornings.len());
        for m in &mornings {
            let minutes = i64::from(m.hour() * 60 + m.minute());
            assert!((minutes - i64::from(c.morning)).abs() <= 9, "{m} against {}", c.morning);
            assert!(is_working_day(m.date_naive()));
        }
    }
}
