//! Alert latency (R7): reads sent through ingest at a steady rate, some of them listed plates,
//! while a signed-in member of the list's audience listens on the alert stream; prints the time
//! from sending the ingest request to receiving the alert, p50 and p99.

use chrono::{Duration, Utc};
use futures_util::StreamExt;
use rand::distributions::{Alphanumeric, DistString};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use server::access::users;
use server::audit::Actor;
use server::sim::network::{Site, EXPANSION};
use server::sim::traffic::random_plate;
use server::store::Db;
use shared::endpoints::{path, ALERTS_LIVE, BASE, HOTLISTS, HOTLIST_ENTRIES, HOTLIST_IMPORT, INGEST_READS, SIGN_IN};
use shared::{AccessTier, NativeRead, Plate, Role};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

pub struct LatencyResult {
    pub sent: usize,
    pub hits: usize,
    pub received: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Entries listed while measuring.
    pub entries: usize,
    /// Each new entry's request through `url`, retroactive matching included (ms, sorted).
    pub entry_added_ms: Vec<f64>,
    /// From that answer to the first alert on a read of the plate sent to the listening server
    /// (ms, sorted): how soon a change on one server matches on the other.
    pub entry_in_force_ms: Vec<f64>,
}

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A read of `plate` at `site`, text only.
fn text_read(plate: &str, captured_at: chrono::DateTime<Utc>, site: &Site) -> anyhow::Result<NativeRead> {
    Ok(NativeRead {
        plate: Plate::parse(plate)?,
        captured_at,
        camera: site.external_id.clone(),
        confidence: 0.9,
        direction: None,
        lane: None,
        make: None,
        model: None,
        colour: None,
        plate_image: None,
        overview_image: None,
    })
}

/// A new account `username` holding `role` (an investigator of the local tier), signed in at
/// `base`: its id, and a client that holds its session.
async fn probe(db: &Db, base: &str, username: &str, role: Role) -> anyhow::Result<(i64, reqwest::Client)> {
    let password = Alphanumeric.sample_string(&mut rand::rngs::OsRng, 24);
    let new = shared::NewUser {
        username: shared::Username::parse(username)?,
        display_name: "Latency probe".into(),
        password: password.clone(),
        roles: [role].into_iter().collect(),
        tier: (role == Role::Investigator).then_some(AccessTier::Local),
        rank: None,
    };
    let user = users::create(db, Utc::now(), Actor::system(), new).await?;
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let login = client
        .post(format!("{base}{BASE}{SIGN_IN}"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await?;
    anyhow::ensure!(login.status().is_success(), "probe sign-in refused: {}", login.status());
    Ok((user.id, client))
}

/// Runs for `seconds` at `rate` reads a second; one read in `hit_every` is a listed plate. The
/// reads go to `url`; the alerts are listened for at `listen_url` (another server of the same
/// database), or at `url`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    db: &Db,
    url: &str,
    listen_url: Option<&str>,
    key: &str,
    sites: &[Site],
    rate: usize,
    seconds: u64,
    hit_every: usize,
    entries: usize,
) -> anyhow::Result<LatencyResult> {
    let base = url.trim_end_matches('/').to_owned();
    // A probe that manages a list, and a probe in the list's audience who listens for its alerts
    // (a list's managers never hear it: R8).
    let name = format!("latency{}", Alphanumeric.sample_string(&mut rand::rngs::OsRng, 6).to_lowercase());
    let (_, client) = probe(db, &base, &name, Role::HotlistAdmin).await?;
    let (listener_id, listening) = probe(db, &base, &format!("{name}-listener"), Role::Investigator).await?;
    let list: Value = client
        .post(format!("{base}{BASE}{HOTLISTS}"))
        .json(&json!({
            "name": format!("Latency {name}"),
            "kind": "voi",
            "audience": { "type": "members", "user_ids": [listener_id] },
        }))
        .send()
        .await?
        .json()
        .await?;
    let list_id = list["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no hotlist created: {list}"))?;
    let mut rng = StdRng::from_entropy();
    let listed: Vec<String> = (0..entries.max(1)).map(|_| random_plate(&mut rng)).collect();
    // An import body is at most 64 KiB: a thousand rows a request.
    for part in listed.chunks(1_000) {
        let csv = std::iter::once("vrm,intelligence_ref,reason".to_owned())
            .chain(part.iter().map(|p| format!("{p},LAT/1,latency probe")))
            .collect::<Vec<_>>()
            .join("\n");
        let imported =
            client.post(format!("{base}{BASE}{}", path(HOTLIST_IMPORT, &[&list_id]))).body(csv).send().await?;
        anyhow::ensure!(imported.status().is_success(), "entries refused: {}", imported.text().await?);
    }

    // Listen before sending.
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let listen_base = listen_url.map_or_else(|| base.clone(), |u| u.trim_end_matches('/').to_owned());
    let stream = listening.get(format!("{listen_base}{BASE}{ALERTS_LIVE}")).send().await?;
    anyhow::ensure!(stream.status().is_success(), "alert stream refused: {}", stream.status());
    let listener = {
        let (sent_at, latencies) = (sent_at.clone(), latencies.clone());
        tokio::spawn(async move {
            let mut bytes = stream.bytes_stream();
            let mut buffer = String::new();
            while let Some(Ok(chunk)) = bytes.next().await {
                let now = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) else { continue };
                    let Ok(alert) = serde_json::from_str::<Value>(data) else { continue };
                    let key = format!(
                        "{}@{}",
                        alert["read"]["plate"].as_str().unwrap_or(""),
                        alert["read"]["captured_at"].as_str().unwrap_or("")
                    );
                    if let Some(at) = sent_at.lock().expect("lock").remove(&key) {
                        latencies.lock().expect("lock").push(now.duration_since(at).as_secs_f64() * 1000.0);
                    }
                }
            }
        })
    };

    let approved: Vec<&Site> = sites.iter().filter(|s| s.zone != EXPANSION).collect();
    let ingest_url = format!("{base}{BASE}{INGEST_READS}");
    let ticks_per_sec = 10;
    let per_tick = (rate / ticks_per_sec).max(1);
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(1000 / ticks_per_sec as u64));
    let (mut sent, mut hits) = (0, 0);
    // Stored to the millisecond: start on one so the alert's capture time matches the key.
    let start = server::clock::from_millis(Utc::now().timestamp_millis());
    for _ in 0..seconds * ticks_per_sec as u64 {
        tick.tick().await;
        let mut reads = Vec::with_capacity(per_tick);
        let mut keys = Vec::new();
        for _ in 0..per_tick {
            sent += 1;
            let hit = sent % hit_every == 0;
            let plate = if hit { listed[rng.gen_range(0..listed.len())].clone() } else { random_plate(&mut rng) };
            let captured_at = start + Duration::milliseconds(sent as i64);
            if hit {
                hits += 1;
                keys.push(format!("{plate}@{}", captured_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)));
            }
            reads.push(text_read(&plate, captured_at, approved[rng.gen_range(0..approved.len())])?);
        }
        let now = Instant::now();
        sent_at.lock().expect("lock").extend(keys.into_iter().map(|k| (k, now)));
        let response = client
            .post(&ingest_url)
            .header("x-api-key", key)
            .json(&shared::reads::NativeBatch { reads })
            .send()
            .await?;
        anyhow::ensure!(response.status().is_success(), "batch refused: {}", response.status());
    }
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let mut all = std::mem::take(&mut *latencies.lock().expect("lock"));
    all.sort_by(f64::total_cmp);

    // A new entry added through `url`; reads of its plate sent to the listening server until
    // one raises an alert there.
    let (mut entry_added_ms, mut entry_in_force_ms) = (Vec::new(), Vec::new());
    let other_ingest = format!("{listen_base}{BASE}{INGEST_READS}");
    let mut n = sent;
    for _ in 0..20 {
        let plate = random_plate(&mut rng);
        let asked = Instant::now();
        let added = client
            .post(format!("{base}{BASE}{}", path(HOTLIST_ENTRIES, &[&list_id])))
            .json(&json!({ "vrm": plate, "intelligence_ref": "LAT/2", "reason": "latency probe", "warning_markers": [], "action": "" }))
            .send()
            .await?;
        anyhow::ensure!(added.status().is_success(), "entry refused: {}", added.text().await?);
        let answered = Instant::now();
        entry_added_ms.push(answered.duration_since(asked).as_secs_f64() * 1000.0);
        let before = latencies.lock().expect("lock").len();
        while latencies.lock().expect("lock").len() == before && answered.elapsed().as_secs() < 3 {
            n += 1;
            let captured_at = start + Duration::milliseconds(n as i64);
            let key_of = format!("{plate}@{}", captured_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
            sent_at.lock().expect("lock").insert(key_of, answered);
            let read = text_read(&plate, captured_at, approved[rng.gen_range(0..approved.len())])?;
            let body = shared::reads::NativeBatch { reads: vec![read] };
            client.post(&other_ingest).header("x-api-key", key).json(&body).send().await?;
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        if let Some(first) = latencies.lock().expect("lock").get(before) {
            entry_in_force_ms.push(*first);
        }
    }
    listener.abort();
    entry_added_ms.sort_by(f64::total_cmp);
    entry_in_force_ms.sort_by(f64::total_cmp);
    Ok(LatencyResult {
        entries: listed.len(),
        entry_added_ms,
        entry_in_force_ms,
        sent,
        hits,
        received: all.len(),
        p50_ms: percentile(&all, 0.5),
        p99_ms: percentile(&all, 0.99),
        max_ms: all.last().copied().unwrap_or(f64::NAN),
    })
}
