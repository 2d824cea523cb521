//! The simulated camera network, placed like the seeds' London network: sites around the
//! congestion-charge zone and along the low-emission-zone boundary (approved), and an
//! expansion ring that governance has not approved yet (R3: new zones are not approved by
//! default).

use rand::rngs::StdRng;
use rand::Rng;

#[derive(Debug, Clone)]
pub struct Site {
    pub external_id: String,
    pub name: String,
    pub zone: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub bearing: i32,
}

pub const CCZ: &str = "ccz";
pub const LEZ: &str = "lez-boundary";
pub const EXPANSION: &str = "expansion";

/// The congestion-charge zone, roughly (lat, lon), clockwise from Marylebone.
const CCZ_OUTLINE: [(f64, f64); 10] = [
    (51.5228, -0.1610),
    (51.5275, -0.1330),
    (51.5305, -0.1040),
    (51.5240, -0.0790),
    (51.5105, -0.0715),
    (51.4960, -0.0870),
    (51.4935, -0.1060),
    (51.4950, -0.1420),
    (51.5030, -0.1560),
    (51.5130, -0.1600),
];

/// A point `t` (0..1) of the way round a closed outline.
fn along(outline: &[(f64, f64)], t: f64) -> (f64, f64) {
    let n = outline.len();
    let lengths: Vec<f64> = (0..n)
        .map(|i| {
            let (a, b) = (outline[i], outline[(i + 1) % n]);
            ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
        })
        .collect();
    let mut left = t.rem_euclid(1.0) * lengths.iter().sum::<f64>();
    for i in 0..n {
        if left <= lengths[i] {
            let f = left / lengths[i];
            let (a, b) = (outline[i], outline[(i + 1) % n]);
            return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f);
        }
        left -= lengths[i];
    }
    outline[0]
}

/// A point on an ellipse round central London, `scale` of the way to Greater London's edge.
fn ring(t: f64, scale: f64, rng: &mut StdRng) -> (f64, f64) {
    let angle = t * std::f64::consts::TAU;
    let wobble = 1.0 + rng.gen_range(-0.06..0.06);
    (51.495 + 0.175 * scale * wobble * angle.sin(), -0.115 + 0.300 * scale * wobble * angle.cos())
}

/// About 700 sites, the same every time for the same seed.
pub fn london(rng: &mut StdRng) -> Vec<Site> {
    let mut sites = Vec::with_capacity(720);
    let mut push = |zone: &'static str, label: &str, n: usize, (lat, lon): (f64, f64), rng: &mut StdRng| {
        sites.push(Site {
            external_id: format!("{}-{n:04}", zone.to_uppercase()),
            name: format!("{label} {n:03}"),
            zone,
            lat: lat + rng.gen_range(-0.0008..0.0008),
            lon: lon + rng.gen_range(-0.0012..0.0012),
            bearing: [0, 90, 180, 270][rng.gen_range(0..4)],
        });
    };
    for n in 0..230 {
        let p = along(&CCZ_OUTLINE, n as f64 / 230.0);
        push(CCZ, "Congestion zone", n, p, rng);
    }
    for n in 0..400 {
        let p = ring(n as f64 / 400.0, 1.0, rng);
        push(LEZ, "LEZ boundary", n, p, rng);
    }
    for n in 0..70 {
        let p = ring(n as f64 / 70.0, 0.55, rng);
        push(EXPANSION, "Expansion", n, p, rng);
    }
    sites
}

/// Metres between two points (equirectangular: plenty for a city).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let lat = (a.0 + b.0).to_radians() / 2.0;
    let dy = (a.0 - b.0).to_radians();
    let dx = (a.1 - b.1).to_radians() * lat.cos();
    6_371_000.0 * (dx * dx + dy * dy).sqrt()
}
