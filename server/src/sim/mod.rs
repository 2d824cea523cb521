//! The simulated London feed: ~700 camera sites placed like the seeds' network, vehicles making
//! journeys through them, plate patches and overviews rendered to show the plate, misreads,
//! cloned plates and convoys — fed to a running server through the real ingest API.

pub mod font;
pub mod images;
pub mod network;
pub mod traffic;

use crate::audit::Actor;
use crate::cameras;
use crate::store::Db;
use anyhow::Context;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use network::{Site, CCZ, LEZ};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::cameras::{NewCamera, ZoneStatusChange};
use shared::{CameraStatus, NativeRead, Plate};
use std::collections::HashSet;
use std::future::Future;
use traffic::{Sighting, Traffic};

/// The same sites every run, so a restarted simulator finds its cameras registered.
const NETWORK_SEED: u64 = 2026;
pub const FEED_NAME: &str = "sim-london";

pub fn sites() -> Vec<Site> {
    network::london(&mut StdRng::seed_from_u64(NETWORK_SEED))
}

/// Makes sure the feed `feed_name` and a camera per site exist, approving the congestion and
/// low-emission zones when they are first registered (the expansion ring stays pending, R3),
/// and returns a fresh API key for the feed.
pub async fn setup(db: &Db, now: DateTime<Utc>, feed_name: &str, sites: &[Site]) -> anyhow::Result<String> {
    let system = Actor::system();
    let (feed_id, key) = match cameras::feed_by_name(db, feed_name).await? {
        Some(feed) => (feed.id, cameras::rotate_key(db, now, system.clone(), feed.id).await?),
        None => {
            let created = cameras::create_feed(db, now, system.clone(), feed_name).await?;
            (created.feed.id, created.api_key)
        }
    };
    let known: HashSet<String> =
        cameras::cameras_of_feed(db, feed_id).await?.into_iter().map(|c| c.external_id).collect();
    let mut registered = 0;
    for site in sites.iter().filter(|s| !known.contains(&s.external_id)) {
        let new = NewCamera {
            feed_id,
            external_id: site.external_id.clone(),
            name: site.name.clone(),
            lat: site.lat,
            lon: site.lon,
            bearing: Some(site.bearing),
            zone: site.zone.to_owned(),
        };
        cameras::create_camera(db, now, system.clone(), new).await.context("registering a simulated camera")?;
        registered += 1;
    }
    if registered > 0 {
        for zone in [CCZ, LEZ] {
            let change = ZoneStatusChange {
                zone: zone.to_owned(),
                status: CameraStatus::Approved,
                reason: "simulated network: approved at set-up".into(),
            };
            cameras::set_zone_status(db, now, system.clone(), change).await?;
        }
    }
    Ok(key)
}

/// `bytes` in base64, as ingest takes images.
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The read a camera would send for `sighting`.
pub fn to_read(traffic: &Traffic, sighting: &Sighting, with_images: bool, rng: &mut StdRng) -> NativeRead {
    let vehicle = &traffic.vehicles[sighting.vehicle];
    let site = &traffic.sites[sighting.site];
    let rear = rng.gen_bool(0.5);
    let (plate_image, overview_image) = if with_images {
        // Now and then an overview far over 25 KB, as some cameras send: ingest downgrades it.
        let (w, h) = if rng.gen_bool(0.03) { (1280, 800) } else { (320, 200) };
        let caption = format!("{} {}", site.external_id, sighting.at.format("%Y-%m-%d %H:%M:%S"));
        (
            Some(b64(&images::patch(&sighting.read_as, rear))),
            Some(b64(&images::overview(&sighting.read_as, vehicle.colour.1, &caption, w, h))),
        )
    } else {
        (None, None)
    };
    let misread = sighting.read_as != vehicle.plate;
    NativeRead {
        plate: Plate::parse(&sighting.read_as).expect("simulated plates are valid"),
        captured_at: sighting.at,
        camera: site.external_id.clone(),
        confidence: if misread { rng.gen_range(0.55..0.85) } else { rng.gen_range(0.80..0.995) },
        direction: Some(if rear { "away".into() } else { "towards".into() }),
        lane: Some(rng.gen_range(1..=2)),
        make: Some(vehicle.make.into()),
        model: Some(vehicle.model.into()),
        colour: Some(vehicle.colour.0.into()),
        plate_image,
        overview_image,
    }
}

/// Feeds `base_url`'s ingest API at about `rate` reads a second until `stop` completes.
pub async fn run(
    base_url: String,
    key: String,
    rate: f64,
    with_images: bool,
    stop: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut rng = StdRng::from_entropy();
    let mut traffic = Traffic::new(sites(), 20_000, 25, StdRng::from_rng(&mut rng)?);
    let client = reqwest::Client::new();
    let url =
        format!("{}{}{}", base_url.trim_end_matches('/'), shared::endpoints::BASE, shared::endpoints::INGEST_READS);
    // A journey yields about five reads over several minutes: start journeys at a fifth of the
    // read rate, and begin as if the simulation had been running for ten minutes.
    let starts_per_sec = rate / 5.0;
    let mut now = Utc::now();
    for _ in 0..(starts_per_sec * 600.0) as usize {
        traffic.start_journey(now - Duration::seconds(600), Duration::seconds(600));
    }
    let _ = traffic.sightings_until(now);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut carry = 0.0;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => return Ok(()),
            _ = tick.tick() => {}
        }
        now = Utc::now();
        carry += starts_per_sec;
        while carry >= 1.0 {
            traffic.start_journey(now, Duration::seconds(1));
            carry -= 1.0;
        }
        let mut due = traffic.sightings_until(now);
        if due.is_empty() {
            continue;
        }
        // A simulator that cannot keep up (images drawn on a slow or busy machine) sends at most
        // two seconds' worth a tick and lets the rest go, instead of falling further behind.
        due.truncate((rate * 2.0).ceil().max(1.0) as usize);
        let reads: Vec<NativeRead> = due.iter().map(|s| to_read(&traffic, s, with_images, &mut rng)).collect();
        for batch in reads.chunks(shared::reads::MAX_BATCH) {
            let sent = client
                .post(&url)
                .header("x-api-key", &key)
                .json(&shared::reads::NativeBatch { reads: batch.to_vec() })
                .send()
                .await;
            match sent {
                // 422: every read of the batch refused (the pending ring's cameras): expected.
                Ok(r) if r.status().is_success() || r.status() == reqwest::StatusCode::UNPROCESSABLE_ENTITY => {}
                Ok(r) => {
                    let status = r.status();
                    let body = r.text().await.unwrap_or_default();
                    tracing::warn!(%status, %body, "simulator: batch refused");
                }
                Err(e) => tracing::warn!(error = %e, "simulator: could not reach the server"),
            }
        }
    }
}
