//! The reads of a nation on Citus, the distributed PostgreSQL (R4): the tests' databases on a
//! cluster (`ANPR_TEST_CITUS_URL`, its coordinator: scripts/citus-cluster.sh or .ci/run start
//! one), and what the distribution promises.

use crate::helpers::{self, read, start_time, ts, Backend, TestApp};
use chrono::Duration;
use server::reads::days::{partition_name, DAYS_AHEAD};
use server::store::citus::{placement, CitusError, DISTRIBUTED, REFERENCE};
use server::store::{Db, StoreError};
use shared::{AccessTier, Role};
use sqlx::{Connection, Row};

/// A fresh database `name` on the Citus cluster whose coordinator `admin_url` names, with the
/// `citus` extension on every node and the nodes added as in the cluster's own `postgres`
/// database (README, "Past one database"); its URL. Few shards: a test's tables are small, and
/// each day partition of `reads` is a table per shard.
pub async fn create_database(admin_url: &str, name: &str) -> String {
    let (url, nodes) = database_without_nodes(admin_url, name).await;
    add_nodes(&url, &nodes).await;
    url
}

/// A node of the cluster, as its coordinator's `pg_dist_node` in `postgres` names it.
struct Node {
    host: String,
    port: i64,
    coordinator: bool,
}

/// The cluster's nodes, the coordinator among them, in the order they were added.
async fn cluster_nodes(admin_url: &str) -> Vec<Node> {
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(admin_url).await.expect("connect to the Citus coordinator");
    let nodes = sqlx::query("SELECT nodename::text AS host, nodeport::bigint AS port, groupid::bigint AS g FROM pg_dist_node ORDER BY nodeid")
        .fetch_all(&mut admin)
        .await
        .expect("the cluster's nodes");
    admin.close().await.ok();
    nodes
        .iter()
        .map(|r| Node { host: r.get("host"), port: r.get("port"), coordinator: r.get::<i64, _>("g") == 0 })
        .collect()
}

/// Steps 1 and 2 of the README's setting up: a fresh database `name` on every node with the
/// `citus` extension in it, no node yet in its metadata (not even the coordinator); its URL and
/// the cluster's nodes.
async fn database_without_nodes(admin_url: &str, name: &str) -> (String, Vec<Node>) {
    let nodes = cluster_nodes(admin_url).await;
    let mut admin = sqlx::AnyConnection::connect(admin_url).await.expect("connect to the Citus coordinator");
    // Created on every node at once (Citus 12.2 and later).
    sqlx::query("SET citus.enable_create_database_propagation = on").execute(&mut admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
    sqlx::query(&format!("ALTER DATABASE {name} SET citus.shard_count = 4")).execute(&mut admin).await.unwrap();
    admin.close().await.ok();
    for node in nodes.iter().filter(|n| !n.coordinator) {
        let worker = on_node(admin_url, &node.host, node.port, name);
        let mut conn = sqlx::AnyConnection::connect(&worker).await.expect("connect to a Citus worker");
        sqlx::query("CREATE EXTENSION citus").execute(&mut conn).await.expect("citus on a worker");
        conn.close().await.ok();
    }
    let url = crate::helpers::database_url(admin_url, name);
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect to the new database");
    sqlx::query("CREATE EXTENSION citus").execute(&mut conn).await.expect("citus on the coordinator");
    conn.close().await.ok();
    (url, nodes)
}

/// Step 3: `nodes` added to the metadata of the database at `url`, the coordinator as itself.
async fn add_nodes(url: &str, nodes: &[Node]) {
    let mut conn = sqlx::AnyConnection::connect(url).await.expect("connect to the new database");
    for node in nodes {
        let add = if node.coordinator { "citus_set_coordinator_host" } else { "citus_add_node" };
        // Adding a worker opens connections to it, which a cluster busy with the other tests'
        // databases may drop ("failure on connection marked as essential"): tried again a few
        // times (adding a node already added is answered with its id).
        for attempt in 1.. {
            let added = sqlx::query(&format!("SELECT 1 FROM {add}($1, CAST($2 AS INT))"))
                .bind(&node.host)
                .bind(node.port)
                .execute(&mut conn)
                .await;
            match added {
                Ok(_) => break,
                Err(e) if attempt < 5 => {
                    eprintln!("adding {}:{} failed ({e}); trying again", node.host, node.port);
                    tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
                }
                Err(e) => panic!("add a node: {e}"),
            }
        }
    }
    conn.close().await.ok();
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

/// The cluster's coordinator (`ANPR_TEST_CITUS_URL`), or `None` (said) when no cluster is named.
fn citus_url() -> Option<String> {
    let url = std::env::var(Backend::Citus.url_variable().expect("a variable")).ok().filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!("skipped on Citus: ANPR_TEST_CITUS_URL is not set");
    }
    url
}

/// Database `name` on the cluster, dropped from every node when this goes (also when a test
/// fails), as a [`TestApp`]'s own database is.
struct Dropped {
    admin_url: String,
    name: String,
}

impl Drop for Dropped {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // From a thread of its own: Drop cannot await, and may run during a panic.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(drop_database(&admin_url, &name));
        })
        .join();
    }
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
/// after their table (`reads_20260302_102040`). Tables only: every worker in the metadata also
/// holds each distributed table's empty shell, whose indexes are named after it too
/// (`reads_20260302_plate_captured_at_idx`), shards or not.
pub async fn workers_holding(app: &TestApp, like: &str) -> i64 {
    let answers: Vec<String> = sqlx::query_scalar(
        "SELECT result FROM run_command_on_workers(format(\
         'SELECT COUNT(*) FROM pg_class WHERE relkind IN (''r'', ''p'') AND relname LIKE %L', $1::text))",
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

/// The server will not start on a coordinator missing from its own metadata (R4; README, "Past
/// one database", step 3 left out): in a database with the `citus` extension where
/// `citus_set_coordinator_host` was never run it refuses, naming that call, instead of letting
/// Citus take the coordinator for the one node and keep every shard there; once the call is made
/// and the workers added, it starts and lays the reads out on the workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinator_missing_from_its_own_metadata_is_refused_and_named() {
    let Some(admin_url) = citus_url() else { return };
    let name = format!("anpr_test_{}_no_coordinator", std::process::id());
    let _dropped = Dropped { admin_url: admin_url.clone(), name: name.clone() };
    let (url, nodes) = database_without_nodes(&admin_url, &name).await;
    let Err(refused) = Db::connect(&url).await else { panic!("started with no coordinator in the metadata") };
    assert!(matches!(refused, StoreError::Citus(CitusError::NoCoordinator)), "{refused}");
    assert!(refused.to_string().contains("citus_set_coordinator_host"), "`{refused}` should name the call to make");
    // Refused before anything was distributed: Citus itself would have added the coordinator as
    // `localhost` and put every shard on it.
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_dist_node").fetch_one(&mut conn).await.unwrap();
    assert_eq!(known, 0);
    assert_eq!(placement(&mut conn, "reads").await.unwrap(), None);
    add_nodes(&url, &nodes).await;
    let db = Db::connect(&url).await.expect("started once the coordinator is in its metadata");
    assert!(db.is_citus());
    assert_eq!(placement(&mut conn, "reads").await.unwrap().as_deref(), Some("distributed"));
    let on_coordinator: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_dist_placement p JOIN pg_dist_shard s ON s.shardid = p.shardid \
         WHERE s.logicalrelid = 'reads'::regclass AND p.groupid = 0",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(on_coordinator, 0, "the reads' shards lie on the workers");
    conn.close().await.ok();
    db.close().await;
}

/// How many shards of `reads` and of its day partitions each node holds (`host:port`), by node.
async fn reads_shards_by_node(app: &TestApp) -> Vec<(String, i64)> {
    let rows = sqlx::query(
        "SELECT pl.nodename || ':' || pl.nodeport AS node, COUNT(*) AS n FROM pg_dist_shard s \
         JOIN pg_dist_shard_placement pl ON pl.shardid = s.shardid \
         WHERE s.logicalrelid = 'reads'::regclass \
            OR s.logicalrelid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'reads'::regclass) \
         GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    rows.iter().map(|r| (r.get("node"), r.get("n"))).collect()
}

/// The node (`host:port`) holding the shard of `reads` that `plate`'s reads lie in.
async fn node_of(app: &TestApp, plate: &str) -> String {
    sqlx::query_scalar(
        "SELECT nodename || ':' || nodeport FROM pg_dist_shard_placement \
         WHERE shardid = get_shard_id_for_distribution_column('reads', $1::text)",
    )
    .bind(plate)
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

async fn reads_held(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM reads").fetch_one(app.db.pool()).await.unwrap()
}

/// A worker added as the README says (R4 at a nation's scale; "Past one database", to add a
/// worker) takes its share of the reads: on a database whose metadata names one worker every
/// shard of `reads` lies on it; after `citus_add_node` and `rebalance_table_shards` half of them
/// lie on the new worker, every read stored before is still found by its plate, and the reads
/// and the day partitions that come after lie on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_added_takes_its_share_of_the_reads() {
    let Some(admin_url) = citus_url() else { return };
    let workers: Vec<Node> = cluster_nodes(&admin_url).await.into_iter().filter(|n| !n.coordinator).collect();
    assert!(workers.len() >= 2, "a cluster of two workers at least");
    let (kept, added) = (&workers[0], &workers[1]);
    let (kept_node, added_node) = (format!("{}:{}", kept.host, kept.port), format!("{}:{}", added.host, added.port));
    // The database as it was before the cluster grew: its metadata names one worker.
    let app = TestApp::spawn_prepared(
        Backend::Citus,
        |_| {},
        async |url: &str| {
            let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
            for worker in &workers[1..] {
                sqlx::query("SELECT 1 FROM citus_remove_node($1, CAST($2 AS INT))")
                    .bind(&worker.host)
                    .bind(worker.port)
                    .execute(&mut conn)
                    .await
                    .expect("a worker left out");
            }
            conn.close().await.ok();
        },
    )
    .await
    .expect("a cluster");
    let admin = app.signed_in("root", &[Role::SystemAdmin]).await;
    let net = app.network(&admin, "tfl").await;
    let now = start_time();
    let plates: Vec<String> = (0..120).map(|n| format!("KP{n:03}XYZ")).collect();
    let at = ts(now - Duration::hours(1));
    let report = app.ingest(&net.key, plates.iter().map(|p| read(p, "CAM-A", &at)).collect()).await;
    assert_eq!(report["accepted"], 120, "{report}");
    let before = reads_shards_by_node(&app).await;
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(before[0].0, kept_node);

    let mut conn = app.raw_conn().await;
    sqlx::query("SELECT 1 FROM citus_add_node($1, CAST($2 AS INT))")
        .bind(&added.host)
        .bind(added.port)
        .execute(&mut conn)
        .await
        .expect("a worker added");
    let today = format!("{}\\_%", partition_name(now.date_naive()));
    assert_eq!(workers_holding(&app, &today).await, 1, "added, the worker holds nothing yet");
    sqlx::query("SELECT 1 FROM rebalance_table_shards(shard_transfer_mode => 'block_writes')")
        .execute(&mut conn)
        .await
        .expect("the shards rebalanced");
    conn.close().await.ok();

    let after = reads_shards_by_node(&app).await;
    let nodes: Vec<&str> = after.iter().map(|(node, _)| node.as_str()).collect();
    let mut both = vec![kept_node.as_str(), added_node.as_str()];
    both.sort_unstable();
    assert_eq!(nodes, both, "{after:?}");
    assert_eq!(after[0].1, after[1].1, "half the shards moved: {after:?}");
    assert_eq!(after[0].1 + after[1].1, before[0].1);
    assert_eq!(workers_holding(&app, &today).await, 2, "today's partition on both workers");
    // Every read stored before is still there, each found on its plate's shard.
    assert_eq!(reads_held(&app).await, 120);
    let (mut stayed, mut moved) = (None, None);
    for p in &plates {
        assert!(app.stored_read(p).await.is_some(), "{p} lost");
        let on = if node_of(&app, p).await == added_node { &mut moved } else { &mut stayed };
        on.get_or_insert_with(|| p.clone());
    }
    let (stayed, moved) = (stayed.expect("a plate left where it was"), moved.expect("a plate moved"));

    // A backlog from two days ago: its day's partition is made now, on both workers.
    let earlier = now - Duration::days(2);
    let day = format!("{}\\_%", partition_name(earlier.date_naive()));
    assert_eq!(workers_holding(&app, &day).await, 0);
    let late: Vec<String> = (0..8).map(|n| format!("NW{n:03}XYZ")).collect();
    let report = app.ingest(&net.key, late.iter().map(|p| read(p, "CAM-A", &ts(earlier))).collect()).await;
    assert_eq!(report["accepted"], 8, "{report}");
    assert_eq!(workers_holding(&app, &day).await, 2, "a new day's partition on both workers");
    assert_eq!(reads_held(&app).await, 128);
    let mut late_moved = None;
    for p in &late {
        if late_moved.is_none() && node_of(&app, p).await == added_node {
            late_moved = Some(p.clone());
        }
    }
    let late_moved = late_moved.expect("a new plate on the new worker");

    // A vehicle's history, searched as an investigator does, on either worker.
    let inv = app.investigator("ivy", AccessTier::Local).await;
    let (from, to) = (now - Duration::days(3), now);
    let wanted = [stayed.as_str(), moved.as_str(), late_moved.as_str()];
    let id = app.approved(&inv, helpers::request("serious", helpers::plates_scope(&wanted, from, to))).await;
    for p in wanted {
        let found = helpers::found(app.search(&inv, id, helpers::plate(p, "exact"), from, to).await).await;
        assert_eq!(found, vec![p.to_owned()], "{p}");
    }
}
