//! The reads of a nation on Citus, the distributed PostgreSQL (R4): the tests' databases on a
//! cluster (`ANPR_TEST_CITUS_URL`, its coordinator: scripts/citus-cluster.sh or .ci/run start
//! one), and what the distribution promises.

use crate::helpers::{read, start_time, Backend, TestApp};
use server::reads::days::{partition_name, DAYS_AHEAD};
use server::store::citus::{placement, DISTRIBUTED, REFERENCE};
use shared::Role;
use sqlx::{Connection, Row};

/// A fresh database `name` on the Citus cluster whose coordinator `admin_url` names, with the
/// `citus` extension on every node and the nodes added as in the cluster's own `postgres`
/// database (README, "Past one database"); its URL. Few shards: a test's tables are small, and
/// each day partition of `reads` is a table per shard.
pub async fn create_database(admin_url: &str, name: &str) -> String {
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(admin_url).await.expect("connect to the Citus coordinator");
    let nodes = sqlx::query("SELECT nodename::text AS host, nodeport::bigint AS port, groupid::bigint AS g FROM pg_dist_node ORDER BY nodeid")
        .fetch_all(&mut admin)
        .await
        .expect("the cluster's nodes");
    let nodes: Vec<(String, i64, bool)> = nodes
        .iter()
        .map(|r| (r.get::<String, _>("host"), r.get::<i64, _>("port"), r.get::<i64, _>("g") == 0))
        .collect();
    // Created on every node at once (Citus 12.2 and later).
    sqlx::query("SET citus.enable_create_database_propagation = on").execute(&mut admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
    sqlx::query(&format!("ALTER DATABASE {name} SET citus.shard_count = 4")).execute(&mut admin).await.unwrap();
    admin.close().await.ok();
    for (host, port, _) in nodes.iter().filter(|(_, _, coordinator)| !coordinator) {
        let worker = on_node(admin_url, host, *port, name);
        let mut conn = sqlx::AnyConnection::connect(&worker).await.expect("connect to a Citus worker");
        sqlx::query("CREATE EXTENSION citus").execute(&mut conn).await.expect("citus on a worker");
        conn.close().await.ok();
    }
    let url = crate::helpers::database_url(admin_url, name);
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect to the new database");
    sqlx::query("CREATE EXTENSION citus").execute(&mut conn).await.expect("citus on the coordinator");
    for (host, port, coordinator) in &nodes {
        let add = if *coordinator { "citus_set_coordinator_host" } else { "citus_add_node" };
        sqlx::query(&format!("SELECT 1 FROM {add}($1, CAST($2 AS INT))"))
            .bind(host)
            .bind(port)
            .execute(&mut conn)
            .await
            .expect("add a node");
    }
    conn.close().await.ok();
    url
}

/// Drops database `name` from every node of the cluster. Dropped from the coordinator it goes
/// from the workers too, unless a worker's Citus daemon still holds it: then from each node.
pub async fn drop_database(admin_url: &str, name: &str) {
    let Ok(mut admin) = sqlx::AnyConnection::connect(admin_url).await else { return };
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let _ = sqlx::query("SET citus.enable_create_database_propagation = on").execute(&mut admin).await;
    if sqlx::query(&drop).execute(&mut admin).await.is_ok() {
        return;
    }
    let workers =
        sqlx::query("SELECT nodename::text AS host, nodeport::bigint AS port FROM pg_dist_node WHERE groupid <> 0")
            .fetch_all(&mut admin)
            .await
            .unwrap_or_default();
    for row in &workers {
        let url = on_node(admin_url, &row.get::<String, _>("host"), row.get::<i64, _>("port"), "postgres");
        if let Ok(mut worker) = sqlx::AnyConnection::connect(&url).await {
            let _ = sqlx::query(&drop).execute(&mut worker).await;
        }
    }
    let _ = sqlx::query("SET citus.enable_create_database_propagation = off").execute(&mut admin).await;
    let _ = sqlx::query(&drop).execute(&mut admin).await;
}

/// `admin_url` (`postgres://user@host:port/db`) pointed at database `name` on `host:port`.
fn on_node(admin_url: &str, host: &str, port: i64, name: &str) -> String {
    let rest = admin_url.split_once("://").map(|(_, r)| r).unwrap_or(admin_url);
    let rest = rest.split_once('@').map(|(_, r)| r).unwrap_or(rest);
    let authority = rest.split('/').next().unwrap_or(rest);
    crate::helpers::database_url(&admin_url.replacen(authority, &format!("{host}:{port}"), 1), name)
}

/// A server on a fresh Citus database, or `None` (said) when no cluster is named.
async fn on_citus() -> Option<TestApp> {
    let app = TestApp::spawn(Backend::Citus).await;
    if app.is_none() {
        eprintln!("skipped on Citus: ANPR_TEST_CITUS_URL is not set");
    }
    app
}

/// How many of the workers hold a table named `like` (an SQL LIKE pattern): shards are named
/// after their table (`reads_20260302_102040`).
pub async fn workers_holding(app: &TestApp, like: &str) -> i64 {
    let answers: Vec<String> = sqlx::query_scalar(
        "SELECT result FROM run_command_on_workers(format('SELECT COUNT(*) FROM pg_class WHERE relname LIKE %L', $1::text))",
    )
    .bind(like)
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    answers.iter().filter(|n| n.parse::<i64>().expect("a count") > 0).count() as i64
}

async fn workers(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM pg_dist_node WHERE groupid <> 0 AND shouldhaveshards")
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

/// The tables lie where the design puts them (README, "Past one database"): reads by plate and
/// the plates' days by skeleton across the workers, every day partition on every worker; the
/// small tables the reads' queries join on every node; the workbench's own records (R21's
/// audit log among them) on the coordinator. A restart lays out nothing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schema_is_laid_out_across_the_cluster() {
    let Some(app) = on_citus().await else { return };
    assert!(app.db.is_citus());
    let mut conn = app.raw_conn().await;
    for (table, column) in DISTRIBUTED {
        assert_eq!(placement(&mut conn, table).await.unwrap().as_deref(), Some("distributed"), "{table}");
        let by: String = sqlx::query_scalar(
            "SELECT column_to_column_name(logicalrelid, partkey) FROM pg_dist_partition WHERE logicalrelid = to_regclass($1)",
        )
        .bind(*table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(by, *column);
    }
    for table in REFERENCE {
        assert_eq!(placement(&mut conn, table).await.unwrap().as_deref(), Some("reference"), "{table}");
    }
    for table in ["audit_log", "audit_chains", "requests", "searches", "locker_items", "exports", "sessions", "alerts"]
    {
        assert_eq!(placement(&mut conn, table).await.unwrap().as_deref(), Some("local"), "{table}");
    }
    // Today and a week ahead, each day's partition spread over every worker.
    let today = partition_name(start_time().date_naive());
    assert_eq!(workers_holding(&app, &format!("{today}\\_%")).await, workers(&app).await);
    let spread: Vec<i64> = sqlx::query_scalar(
        "SELECT COUNT(DISTINCT pl.nodeport) FROM pg_inherits i JOIN pg_dist_shard s ON s.logicalrelid = i.inhrelid \
         JOIN pg_dist_shard_placement pl ON pl.shardid = s.shardid WHERE i.inhparent = 'reads'::regclass \
         GROUP BY i.inhrelid",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(spread.len() as i64, DAYS_AHEAD + 1);
    let all = workers(&app).await;
    assert!(spread.iter().all(|n| *n == all), "{spread:?}");
    let again = server::store::Db::connect(&app.database_url).await.expect("laid out again");
    assert!(again.is_citus());
    again.close().await;
}

/// The number of tasks Citus splits `sql` into (`Task Count` of its plan).
async fn tasks(app: &TestApp, sql: &str) -> i64 {
    let plan: Vec<String> =
        sqlx::query_scalar(&format!("EXPLAIN {sql}")).fetch_all(app.db.pool()).await.expect("a plan");
    let line = plan.iter().find(|l| l.contains("Task Count:")).unwrap_or_else(|| panic!("{plan:#?}"));
    line.rsplit(':').next().unwrap().trim().parse().unwrap()
}

/// Why `plate` is the distribution column (R4 at a nation's scale): a vehicle's history is read
/// from one shard, as its reads were written, while an area search asks every shard at once.
/// The plate search as sent names its days' partitions and also finds corrected reads by their
/// corrected plate (R16), which may lie on any shard: that search asks every shard too, where
/// only the rare corrected reads' own index is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plate_is_one_shard_and_an_area_every_shard() {
    let Some(app) = on_citus().await else { return };
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let at = crate::helpers::ts(start_time() - chrono::Duration::hours(1));
    let plates = ["AB12CDE", "XY34ZZZ", "LM56NOP", "QR78STU", "GH90JKL", "CD11EFG"];
    app.ingest(&net.key, plates.iter().map(|p| read(p, "CAM-A", &at)).collect()).await;
    let shards: i64 =
        sqlx::query_scalar("SELECT shard_count::bigint FROM citus_tables WHERE table_name = 'reads'::regclass")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(shards > 1);
    // The rows are spread over the shards: more than one holds some.
    let holding: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT get_shard_id_for_distribution_column('reads', plate) FROM reads GROUP BY 1) s",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert!(holding > 1, "six plates on one shard");
    let day = partition_name(start_time().date_naive());
    let camera: i64 = sqlx::query_scalar("SELECT id FROM cameras WHERE external_id = 'CAM-A'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    let from = format!("(SELECT * FROM {day}) r JOIN cameras c ON c.id = r.camera_id");
    assert_eq!(
        tasks(&app, "SELECT r.id, c.name FROM reads r JOIN cameras c ON c.id = r.camera_id WHERE r.plate = 'AB12CDE'")
            .await,
        1
    );
    assert_eq!(
        tasks(
            &app,
            &format!("SELECT r.id, c.name FROM {from} WHERE r.plate = 'AB12CDE' ORDER BY r.captured_at LIMIT 10")
        )
        .await,
        1
    );
    assert_eq!(
        tasks(
            &app,
            &format!("SELECT r.id, c.name FROM {from} WHERE r.camera_id IN ({camera}) ORDER BY r.captured_at LIMIT 10")
        )
        .await,
        shards
    );
    let with_corrections =
        format!("SELECT r.id FROM {from} WHERE (r.plate = 'AB12CDE' OR r.corrected_plate = 'AB12CDE')");
    assert_eq!(tasks(&app, &with_corrections).await, shards, "R16: a corrected read may lie on any shard");
}
