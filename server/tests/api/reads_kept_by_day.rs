//! Reads by capture day on PostgreSQL (R18): a partition per day made ahead and on demand, the
//! purge dropping whole days and deleting only the cutoff's own day row by row, and a database
//! from before partitioning moved into days in place.

use crate::helpers::{found, plate, plates_scope, read, request, start_time, Backend, TestApp};
use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use serde_json::json;
use server::clock::Clock;
use server::reads::days::{partition_name, DAYS_AHEAD};
use shared::Role;
use sqlx::Row;

crate::on_postgres_and_citus!(
    partitions_are_made_a_week_ahead_and_on_demand_for_a_backlog,
    the_purge_drops_whole_days_and_deletes_only_the_cutoffs_day_row_by_row,
    a_plate_search_meeting_the_purge_of_one_of_its_days_looks_again,
    a_plates_day_is_noted_once_committed_and_not_before,
);

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

async fn partitions(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar::<_, String>(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = 'reads'::regclass ORDER BY 1",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap()
}

/// The partition that holds the read of `plate`.
async fn home_of(app: &TestApp, plate: &str) -> String {
    let home = sqlx::query_scalar::<_, String>("SELECT tableoid::regclass::text FROM reads WHERE plate = $1")
        .bind(plate)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    partition_of(app, home)
}

/// The day partition of a row's `tableoid::regclass`: on Citus that names the partition's shard
/// on a worker, `<partition>_<shard id>`.
fn partition_of(app: &TestApp, home: String) -> String {
    match app.backend {
        Backend::Citus => home.rsplit_once('_').map(|(partition, _)| partition.to_owned()).unwrap_or(home),
        _ => home,
    }
}

fn day(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

/// The days each plate (by its skeleton) is noted as read on, for plate searches to narrow by.
async fn seen(app: &TestApp) -> Vec<(String, NaiveDate)> {
    let rows = sqlx::query("SELECT skeleton, day FROM read_skeleton_days ORDER BY day, skeleton")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    rows.iter().map(|r| (r.get::<String, _>("skeleton"), epoch + Duration::days(r.get::<i64, _>("day")))).collect()
}

fn noted(plate: &str, on: NaiveDate) -> (String, NaiveDate) {
    (shared::plate::skeleton(plate), on)
}

/// Ingests `plate` captured at `at` with the clock a minute after it, then puts the clock back.
async fn ingest_at(app: &TestApp, key: &str, plate: &str, at: DateTime<Utc>) {
    let now = app.clock.now();
    app.clock.set(at + Duration::minutes(1));
    let report = app.ingest(key, vec![read(plate, "CAM-A", &ts(at))]).await;
    assert_eq!(report["accepted"], 1, "{report}");
    app.clock.set(now);
}

async fn partitions_are_made_a_week_ahead_and_on_demand_for_a_backlog(app: TestApp) {
    let today = day(start_time());
    let held = partitions(&app).await;
    let ahead: Vec<String> = (0..=DAYS_AHEAD).map(|n| partition_name(today + Duration::days(n))).collect();
    assert_eq!(held, ahead, "today and a week ahead, nothing else");

    // A camera back after forty days offline sends its backlog: the days are made as needed.
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let midnight = (today - Duration::days(40)).and_hms_opt(0, 0, 0).unwrap().and_utc();
    ingest_at(&app, &net.key, "LAST1MS", midnight - Duration::milliseconds(1)).await;
    ingest_at(&app, &net.key, "FIRST1MS", midnight).await;
    app.ingest(&net.key, vec![read("TODAY1", "CAM-A", &ts(start_time()))]).await;
    assert_eq!(home_of(&app, "LAST1MS").await, partition_name(day(midnight) - Duration::days(1)));
    assert_eq!(home_of(&app, "FIRST1MS").await, partition_name(day(midnight)));
    assert_eq!(home_of(&app, "TODAY1").await, partition_name(today));
    assert_eq!(partitions(&app).await.len(), ahead.len() + 2);
    // Every read is found through the parent as before, and noted on its own day.
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reads").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        seen(&app).await,
        [noted("LAST1MS", day(midnight) - Duration::days(1)), noted("FIRST1MS", day(midnight)), noted("TODAY1", today)]
    );
}

async fn the_purge_drops_whole_days_and_deletes_only_the_cutoffs_day_row_by_row(app: TestApp) {
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let now = start_time();
    let policy = app.state.config.access.clone();
    let cutoff = server::access::policy::retention_cutoff(&policy, now);
    let cutoff_day = day(cutoff).and_hms_opt(0, 0, 0).unwrap().and_utc();
    assert!(cutoff > cutoff_day + Duration::seconds(1), "the cutoff falls inside its day");
    // Two days wholly past the cutoff, the cutoff's own day on both sides of it, and today.
    let reads = [
        ("TWODAYS", cutoff_day - Duration::days(2) + Duration::hours(12)),
        ("DAYBEFORE", cutoff_day - Duration::milliseconds(1)),
        ("DAYSTART", cutoff_day),
        ("JUSTBEFORE", cutoff - Duration::seconds(1)),
        ("JUSTAFTER", cutoff + Duration::seconds(1)),
        ("TODAY", now - Duration::hours(1)),
    ];
    for (plate, at) in reads {
        ingest_at(&app, &net.key, plate, at).await;
    }
    // An alert on a read of a dropped day goes with it.
    let hal = app.signed_in("hal", &[Role::HotlistAdmin]).await;
    let list: serde_json::Value = app
        .post_json(
            &hal,
            "/hotlists",
            &json!({ "name": "VOI", "kind": "voi", "audience": { "type": "role", "role": "investigator" } }),
        )
        .await;
    let list = list["id"].as_i64().unwrap();
    sqlx::query(
        "INSERT INTO alerts (read_id, entry_id, hotlist_id, match_kind, raised_at) VALUES ($1, $2, $3, 'exact', 0)",
    )
    .bind(app.stored_read_id("DAYBEFORE").await)
    .bind(app.new_entry(&hal, list, "ZZ99ZZZ").await)
    .bind(list)
    .execute(&mut app.raw_conn().await)
    .await
    .unwrap();

    let report = server::retention::purge(&app.db, &app.state.images, now, &policy).await.unwrap();
    assert_eq!((report.reads, report.days_dropped, report.alerts), (4, 2, 1));
    let held = partitions(&app).await;
    assert_eq!(held.first(), Some(&partition_name(day(cutoff))), "the cutoff's day stays: {held:?}");
    if app.backend == Backend::Citus {
        // Dropped from every worker's shards too; the cutoff's day is still on every worker.
        let gone = partition_name(day(cutoff) - Duration::days(1));
        assert_eq!(crate::citus::workers_holding(&app, &format!("{gone}\\_%")).await, 0);
        let kept = partition_name(day(cutoff));
        assert!(crate::citus::workers_holding(&app, &format!("{kept}\\_%")).await > 0);
    }
    // The days past go from the plates' days too; the cutoff's own day stays noted until the
    // next day's purge.
    let mut expected: Vec<_> = ["DAYSTART", "JUSTAFTER", "JUSTBEFORE"].map(|p| noted(p, day(cutoff))).into();
    expected.sort();
    expected.push(noted("TODAY", day(now - Duration::hours(1))));
    assert_eq!(seen(&app).await, expected);
    let left: Vec<String> =
        sqlx::query_scalar("SELECT plate FROM reads ORDER BY captured_at").fetch_all(app.db.pool()).await.unwrap();
    assert_eq!(left, ["JUSTAFTER", "TODAY"]);
    let purged = app.audit_rows("retention_purged").await;
    assert_eq!(
        purged[0].details["days_dropped"],
        json!([(day(cutoff) - Duration::days(2)).to_string(), (day(cutoff) - Duration::days(1)).to_string()])
    );
    // A second run finds nothing more, and ingest goes on.
    let again = server::retention::purge(&app.db, &app.state.images, now, &policy).await.unwrap();
    assert_eq!((again.reads, again.days_dropped), (0, 0));
    app.ingest(&net.key, vec![read("AFTERPURGE", "CAM-A", &ts(now))]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_day_partitions_is_moved_into_days_in_place() {
    moved_into_days_in_place(Backend::Postgres).await
}

/// On Citus the single-node database is restored into the coordinator as it was: the migration
/// moves its reads into days there, and the server then moves them onto the workers' shards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_from_before_day_partitions_is_moved_into_days_and_shards_in_place_on_citus() {
    moved_into_days_in_place(Backend::Citus).await
}

async fn moved_into_days_in_place(backend: Backend) {
    let before: std::sync::Arc<std::sync::Mutex<Vec<(i64, String, i64)>>> = Default::default();
    let kept = before.clone();
    let prepared = TestApp::spawn_prepared(backend, |_| {}, async move |url: &str| {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let all = sqlx::migrate!("./migrations/postgres");
        let old = sqlx::migrate::Migrator {
            migrations: all.migrations.iter().filter(|m| m.version <= 8).cloned().collect::<Vec<_>>().into(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        old.run(&pool).await.unwrap();
        sqlx::query("INSERT INTO feeds (name, api_key_hash, created_at) VALUES ('old', 'x', 0)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO cameras (feed_id, external_id, name, lat, lon, zone, status, status_changed_by, \
             status_changed_at, status_reason) VALUES (1, 'OLD-1', 'Old 1', 51.5, -0.1, 'ccz', 'approved', 'x', 0, 'x')",
        )
        .execute(&pool)
        .await
        .unwrap();
        // 300 reads, one every 14 minutes from three days ago: four days' worth.
        let first = start_time() - Duration::days(3);
        for i in 0..300i64 {
            let at = first + Duration::minutes(i * 14) + Duration::milliseconds(i % 7);
            sqlx::query(
                "INSERT INTO reads (feed_id, camera_id, plate, captured_at, received_at, confidence, plate_skeleton) \
                 VALUES (1, 1, $1, $2, $2, 0.9, $3)",
            )
            .bind(format!("OLD{i:03}"))
            .bind(at.timestamp_millis())
            .bind(shared::plate::skeleton(&format!("OLD{i:03}")))
            .execute(&pool)
            .await
            .unwrap();
        }
        let rows = sqlx::query("SELECT id, plate, captured_at FROM reads ORDER BY id").fetch_all(&pool).await.unwrap();
        *kept.lock().unwrap() =
            rows.iter().map(|r| (r.get::<i64, _>(0), r.get::<String, _>(1), r.get::<i64, _>(2))).collect();
        pool.close().await;
    })
    .await;
    let Some(app) = prepared else { return };
    let before = before.lock().unwrap().clone();
    assert_eq!(before.len(), 300);

    // Every read is still there, under its id, each in its day's partition.
    let rows = sqlx::query("SELECT id, plate, captured_at, tableoid::regclass::text AS home FROM reads ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    let after: Vec<(i64, String, i64)> = rows
        .iter()
        .map(|r| (r.get::<i64, _>("id"), r.get::<String, _>("plate"), r.get::<i64, _>("captured_at")))
        .collect();
    assert_eq!(after, before);
    for r in &rows {
        let at = server::clock::from_millis(r.get::<i64, _>("captured_at"));
        assert_eq!(partition_of(&app, r.get::<String, _>("home")), partition_name(day(at)));
    }
    let days: std::collections::BTreeSet<String> =
        rows.iter().map(|r| partition_of(&app, r.get::<String, _>("home"))).collect();
    assert_eq!(days.len(), 4, "{days:?}");
    // New reads take ids after the old ones, and a retried one is still a duplicate.
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let body = vec![read("NEW1", "CAM-A", &ts(start_time()))];
    app.ingest(&net.key, body.clone()).await;
    assert_eq!(app.ingest(&net.key, body).await["duplicates"], 1);
    assert!(app.stored_read_id("NEW1").await > before.last().unwrap().0);
    let legacy: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('reads_undivided')::text").fetch_one(app.db.pool()).await.unwrap();
    assert_eq!(legacy, None);
    // The plates' days are noted from the reads already held (migration 0010).
    let mut expected: Vec<_> =
        before.iter().map(|(_, plate, at)| noted(plate, day(server::clock::from_millis(*at)))).collect();
    expected.push(noted("NEW1", day(start_time())));
    expected.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    assert_eq!(seen(&app).await, expected);
}

/// A plate search reads the day partitions its plate was read on by name. A purge that drops
/// one of them while the search runs (R18) makes that name undefined: the search looks up the
/// plate's days again and answers with what is left, instead of failing.
async fn a_plate_search_meeting_the_purge_of_one_of_its_days_looks_again(app: TestApp) {
    let d = app.desk().await;
    let now = app.clock.now();
    let (old, recent) = (now - Duration::days(5), now - Duration::days(1));
    app.ingest(&d.key, vec![read("AB12CDE", "N1", &ts(old)), read("AB12CDE", "N2", &ts(recent))]).await;
    let inv = app.investigator("ivy", shared::AccessTier::Local).await;
    let scope = plates_scope(&["AB12CDE"], now - Duration::days(10), now);
    let id = app.approved(&inv, request("serious", scope)).await;
    let both = found(app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(10), now).await).await;
    assert_eq!(both.len(), 2);

    // The older day's purge, not yet committed: its partition and its plates' days are gone.
    let mut purge = app.db.begin().await.unwrap();
    server::reads::days::drop_day(&mut purge, day(old)).await.unwrap();
    server::reads::days::forget_seen_before(&mut purge, day(old) + Duration::days(1)).await.unwrap();
    let searching = app.search(&inv, id, plate("AB12CDE", "exact"), now - Duration::days(10), now);
    let committing = async {
        // The search has looked up both days and waits for the dropped one's partition.
        let waiting =
            "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%UNION ALL%'";
        for _ in 0..500 {
            let n: i64 = sqlx::query_scalar(waiting).fetch_one(app.db.pool()).await.unwrap();
            if n == 1 {
                return purge.commit().await.unwrap();
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("the search never waited for the partition being dropped");
    };
    let (response, ()) = tokio::join!(searching, committing);
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let page: serde_json::Value = response.json().await.unwrap();
    let left: Vec<&str> =
        page["results"].as_array().unwrap().iter().map(|r| r["camera_name"].as_str().unwrap()).collect();
    assert_eq!(left, ["N2"], "{page}");
}

/// A plate's day is noted in the transaction that stores its read, and a server notes each
/// (skeleton, day) only until it has seen one committed (R16: a search finds the read by the
/// day noted). Noted in a transaction that rolled back (a failed ingest group), it is noted
/// again by the next; once committed, the server sends it no more.
async fn a_plates_day_is_noted_once_committed_and_not_before(app: TestApp) {
    use server::reads::days::note_seen;
    let day = start_time().timestamp_millis();
    let seen = || vec![("6C00A8C".to_owned(), day)];
    let held = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM read_skeleton_days WHERE skeleton = '6C00A8C'")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    let mut tx = app.db.begin().await.unwrap();
    note_seen(&mut tx, seen()).await.unwrap();
    drop(tx);
    assert_eq!(held().await, 0, "rolled back");
    let mut tx = app.db.begin().await.unwrap();
    note_seen(&mut tx, seen()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(held().await, 1, "noted again after the rollback");

    // Taken away behind the server's back, it is not noted again: the server remembers it.
    sqlx::query("DELETE FROM read_skeleton_days").execute(&mut app.raw_conn().await).await.unwrap();
    let mut tx = app.db.begin().await.unwrap();
    note_seen(&mut tx, seen()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(held().await, 0, "the server sent what it had seen committed");
    // Another day of the same skeleton is noted.
    let mut tx = app.db.begin().await.unwrap();
    note_seen(&mut tx, vec![("6C00A8C".to_owned(), day + 86_400_000)]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(held().await, 1);
}
