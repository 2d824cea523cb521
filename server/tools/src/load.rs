//! A load tool: drives ingest through HTTP with pre-built batches (so building them is not
//! measured) and prints reads a second.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use futures_util::{stream, StreamExt};
use image::Rgb;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use server::sim::network::{Site, EXPANSION};
use server::sim::{b64, images, traffic};
use shared::endpoints::{BASE, INGEST_READS};
use shared::{NativeRead, Plate};
use std::time::Instant;

pub struct LoadPlan {
    pub reads: usize,
    pub batch: usize,
    pub concurrency: usize,
    pub with_images: bool,
    /// The vehicles the reads are drawn from, each with its own plate.
    pub vehicles: u64,
    pub seed: u64,
    /// When the first read was captured (by default so that the last was an hour ago), and the
    /// milliseconds between reads.
    pub start: Option<DateTime<Utc>>,
    pub step_ms: i64,
}

pub struct LoadResult {
    pub sent: usize,
    pub accepted: u64,
    pub duplicates: u64,
    pub refused: u64,
    pub seconds: f64,
    pub body_bytes: usize,
    /// Each request's time from sending to its answer, ms: p50, p99, max.
    pub request_ms: (f64, f64, f64),
}

/// The plate of vehicle `i`: the same in every run.
fn plate_of(vehicle: u64) -> Plate {
    Plate::parse(&traffic::random_plate(&mut StdRng::seed_from_u64(vehicle))).expect("valid")
}

/// Builds the request bodies: reads of vehicles drawn uniformly from the plan's, at approved
/// sites, with images from a small pool of rendered ones when asked for.
pub fn bodies(plan: &LoadPlan, sites: &[Site]) -> Vec<Bytes> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let approved: Vec<&Site> = sites.iter().filter(|s| s.zone != EXPANSION).collect();
    let pool: Vec<(String, String)> = if plan.with_images {
        (0..64)
            .map(|i| {
                let plate = traffic::random_plate(&mut rng);
                let colour = Rgb([rng.gen(), rng.gen(), rng.gen()]);
                (b64(&images::patch(&plate, i % 2 == 0)), b64(&images::overview(&plate, colour, "LOAD", 320, 200)))
            })
            .collect()
    } else {
        Vec::new()
    };
    // All in the past (ingest refuses reads from the future), `step_ms` apart.
    let step = Duration::milliseconds(plan.step_ms.max(1));
    let start = plan.start.unwrap_or_else(|| Utc::now() - Duration::hours(1) - step * plan.reads as i32);
    let reads: Vec<NativeRead> = (0..plan.reads)
        .map(|i| {
            let site = approved[rng.gen_range(0..approved.len())];
            let images = pool.get(i % pool.len().max(1));
            NativeRead {
                plate: plate_of(rng.gen_range(0..plan.vehicles)),
                captured_at: start + step * i as i32,
                camera: site.external_id.clone(),
                confidence: 0.9,
                direction: Some("towards".into()),
                lane: Some(1),
                make: Some("Ford".into()),
                model: Some("Focus".into()),
                colour: Some("blue".into()),
                plate_image: images.map(|(p, _)| p.clone()),
                overview_image: images.map(|(_, o)| o.clone()),
            }
        })
        .collect();
    reads
        .chunks(plan.batch)
        .map(|chunk| {
            Bytes::from(serde_json::to_vec(&shared::reads::NativeBatch { reads: chunk.to_vec() }).expect("serialises"))
        })
        .collect()
}

/// Sends the bodies to the servers at `urls` in turn (several servers of one system share the
/// load as a balancer in front of them would).
pub async fn run(urls: &[String], key: &str, plan: &LoadPlan, bodies: Vec<Bytes>) -> anyhow::Result<LoadResult> {
    anyhow::ensure!(!urls.is_empty(), "no server to send to");
    let client = reqwest::Client::new();
    let urls: Vec<String> =
        urls.iter().map(|url| format!("{}{BASE}{INGEST_READS}", url.trim_end_matches('/'))).collect();
    let body_bytes = bodies.iter().map(|b| b.len()).sum();
    let started = Instant::now();
    let answers: Vec<anyhow::Result<(Value, f64)>> = stream::iter(bodies.into_iter().enumerate())
        .map(|(i, body)| {
            let url = &urls[i % urls.len()];
            let request =
                client.post(url).header("x-api-key", key).header("content-type", "application/json").body(body);
            async move {
                let sent = Instant::now();
                let response = request.send().await?;
                let status = response.status();
                let answer: Value = response.json().await?;
                anyhow::ensure!(status.is_success(), "batch refused: {status} {answer}");
                Ok((answer, sent.elapsed().as_secs_f64() * 1000.0))
            }
        })
        .buffer_unordered(plan.concurrency.max(1))
        .collect()
        .await;
    let seconds = started.elapsed().as_secs_f64();
    let mut result = LoadResult {
        sent: plan.reads,
        accepted: 0,
        duplicates: 0,
        refused: 0,
        seconds,
        body_bytes,
        request_ms: (0.0, 0.0, 0.0),
    };
    let mut times = Vec::with_capacity(answers.len());
    for answer in answers {
        let (answer, ms) = answer?;
        times.push(ms);
        result.accepted += answer["accepted"].as_u64().unwrap_or(0);
        result.duplicates += answer["duplicates"].as_u64().unwrap_or(0);
        result.refused += answer["refused"].as_array().map_or(0, |r| r.len() as u64);
    }
    times.sort_by(f64::total_cmp);
    let p = |q| crate::latency::percentile(&times, q);
    result.request_ms = (p(0.5), p(0.99), p(1.0));
    Ok(result)
}
