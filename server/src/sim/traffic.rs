//! Vehicles and their journeys through the network: realistic timing from distance and speed,
//! ~3% misreads with the typical confusions (R5), some cloned plates (one VRM on two vehicles
//! far apart, R17) and some vehicles travelling in convoy.

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

/// Vehicles making journeys through the network in simulated time.
pub struct Traffic {
    pub sites: Vec<Site>,
    pub vehicles: Vec<Vehicle>,
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
        Traffic {
            sites,
            vehicles: fleet,
            neighbours,
            journeys: Vec::new(),
            free: Vec::new(),
            due: BinaryHeap::new(),
            rng,
            active: 0,
        }
    }

    pub fn active_journeys(&self) -> usize {
        self.active
    }

    /// Starts a journey at a random time in the next `within`; sometimes with a follower.
    pub fn start_journey(&mut self, now: DateTime<Utc>, within: Duration) {
        let vehicle = self.rng.gen_range(0..self.vehicles.len());
        let mut route = vec![self.rng.gen_range(0..self.sites.len())];
        for _ in 0..self.rng.gen_range(1..8) {
            let here = *route.last().expect("not empty");
            let options: Vec<usize> = self.neighbours[here].iter().copied().filter(|s| !route.contains(s)).collect();
            match options.choose(&mut self.rng) {
                Some(&next) => route.push(next),
                None => break,
            }
        }
        let offset = Duration::milliseconds(self.rng.gen_range(0..within.num_milliseconds().max(1)));
        let speed_mps = self.rng.gen_range(4.0..13.0); // 15–45 km/h, London traffic
        self.push_journey(Journey { vehicle, route: route.clone(), next: 0, start: now + offset, speed_mps });
        if self.rng.gen_bool(CONVOY_RATE) {
            let follower = self.rng.gen_range(0..self.vehicles.len());
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
}
