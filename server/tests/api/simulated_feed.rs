//! The simulated London feed, through the real ingest API.

use crate::helpers::TestApp;
use crate::on_every_backend;
use serde_json::Value;
use server::clock::Clock;
use server::sim;
use shared::Role;

on_every_backend!(the_simulator_feeds_reads_with_images_through_ingest);

async fn the_simulator_feeds_reads_with_images_through_ingest(app: TestApp) {
    // The simulator stamps reads with the real time; the server's clock must agree, as ingest
    // refuses reads from the future.
    app.clock.set(chrono::Utc::now());
    let sites = sim::sites();
    let key = sim::setup(&app.db, app.clock.now(), sim::FEED_NAME, &sites).await.unwrap();
    // Setting up again finds the cameras and only renews the key.
    let key = {
        let again = sim::setup(&app.db, app.clock.now(), sim::FEED_NAME, &sites).await.unwrap();
        assert_ne!(again, key);
        again
    };
    // Runs until enough reads are stored and some refused (or 60 s pass), however busy the
    // machine is. The watcher is a task of its own: the simulator polls `stop` only between
    // its ticks.
    let db = app.db.clone();
    let (enough, stop) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            let row = sqlx::query(
                "SELECT (SELECT COUNT(*) FROM reads) AS stored, \
                 (SELECT CAST(SUM(refused_reads) AS BIGINT) FROM cameras) AS refused",
            )
            .fetch_one(db.pool())
            .await
            .unwrap();
            let stored: i64 = sqlx::Row::get(&row, "stored");
            let refused: Option<i64> = sqlx::Row::get(&row, "refused");
            if stored >= 50 && refused.unwrap_or(0) > 0 {
                break;
            }
        }
        let _ = enough.send(());
    });
    let stop = async move {
        let _ = stop.await;
    };
    sim::run(app.address.clone(), key, 100.0, true, stop).await.unwrap();

    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let cameras: Vec<Value> = app.get_json(&admin, "/cameras").await;
    assert_eq!(cameras.len(), sites.len());
    let in_zone =
        |zone: &str, status: &str| cameras.iter().filter(|c| c["zone"] == zone && c["status"] == status).count();
    assert_eq!(in_zone("ccz", "approved"), 230);
    assert_eq!(in_zone("lez-boundary", "approved"), 400);
    assert_eq!(in_zone("expansion", "pending"), 70, "a new zone is not approved by default (R3)");
    let refused: i64 = cameras.iter().map(|c| c["refused_reads"].as_i64().unwrap()).sum();
    assert!(refused > 0, "reads from the pending expansion ring are refused and counted");

    let reads = app.stored_reads().await;
    assert!(reads.len() >= 50, "{} reads", reads.len());
    assert!(reads.iter().all(|r| r["plate_image"].is_string() && r["overview_image"].is_string()));
    for kind in ["plate_image", "overview_image"] {
        let bytes = app.image_bytes(reads[0][kind].as_str().unwrap()).await.expect("stored");
        image::load_from_memory(&bytes).expect("a whole image");
    }
}
