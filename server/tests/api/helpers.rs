use base64::Engine;
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};
use server::audit::Actor;
use server::clock::{Clock, ManualClock};
use server::config::Config;
use server::store::Db;
use server::Application;
use shared::{AccessTier, NewUser, Rank, Role, Username};
use sqlx::Connection;
use std::io::Cursor;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// A Citus cluster's coordinator (`ANPR_TEST_CITUS_URL`): PostgreSQL to the server's SQL,
    /// its reads distributed across the workers.
    Citus,
}

impl Backend {
    /// The variable naming the server the tests make their databases on (none for SQLite).
    pub fn url_variable(self) -> Option<&'static str> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres => Some("ANPR_TEST_POSTGRES_URL"),
            Backend::Citus => Some("ANPR_TEST_CITUS_URL"),
        }
    }

    /// PostgreSQL's SQL, on one server or on Citus.
    pub fn is_postgres(self) -> bool {
        self != Backend::Sqlite
    }
}

/// Runs each named test (an `async fn(TestApp)`) once per backend, as `<test>::sqlite`,
/// `<test>::postgres` and `<test>::citus`; `test with |config| …` changes the configuration
/// first. A backend whose server is not named (`ANPR_TEST_POSTGRES_URL`, `ANPR_TEST_CITUS_URL`)
/// is skipped with a line saying so.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident $(with $configure:expr)?),* $(,)?) => {$(
        mod $test {
            #[allow(unused_variables)]
            async fn spawn(backend: $crate::helpers::Backend) -> Option<$crate::helpers::TestApp> {
                $crate::helpers::TestApp::spawn_with(backend, |config: &mut server::config::Config| {
                    $( ($configure)(config); )?
                })
                .await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = spawn($crate::helpers::Backend::Sqlite).await.expect("sqlite");
                super::$test(app).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match spawn($crate::helpers::Backend::Postgres).await {
                    Some(app) => super::$test(app).await,
                    None => eprintln!("skipped: ANPR_TEST_POSTGRES_URL is not set"),
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn citus() {
                match spawn($crate::helpers::Backend::Citus).await {
                    Some(app) => super::$test(app).await,
                    None => eprintln!("skipped on Citus: ANPR_TEST_CITUS_URL is not set"),
                }
            }
        }
    )*};
}

/// Runs each named test (an `async fn(TestApp)`) on the PostgreSQL backends only, one server
/// and Citus, as `<test>::postgres` and `<test>::citus`: what SQLite has no counterpart of
/// (several servers on one database, day partitions).
#[macro_export]
macro_rules! on_postgres_and_citus {
    ($($test:ident),* $(,)?) => {$(
        mod $test {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                match $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                    Some(app) => super::$test(app).await,
                    None => eprintln!("skipped: ANPR_TEST_POSTGRES_URL is not set"),
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn citus() {
                match $crate::helpers::TestApp::spawn($crate::helpers::Backend::Citus).await {
                    Some(app) => super::$test(app).await,
                    None => eprintln!("skipped on Citus: ANPR_TEST_CITUS_URL is not set"),
                }
            }
        }
    )*};
}

/// A second server of the same system (stopped when dropped).
pub struct OtherServer {
    pub address: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl OtherServer {
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.address)
    }
}

/// Runs each test once more with its images in a real S3 server (see [`S3Server`]), on SQLite:
/// `mod s3_store { fn <test> }`.
#[macro_export]
macro_rules! with_images_in_s3 {
    ($($test:ident),* $(,)?) => {
        mod s3_store {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $test() {
                let Some(s3) = $crate::helpers::S3Server::start().await else {
                    return eprintln!("skipped: ANPR_TEST_RCLONE is not set");
                };
                let app = $crate::helpers::TestApp::spawn_with($crate::helpers::Backend::Sqlite, |config| {
                    s3.configure(config)
                })
                .await
                .expect("sqlite");
                assert!(app.state.config.images_url.starts_with("s3://"));
                super::$test(app).await;
                // Every object is kept under the URL's prefix, in the bucket.
                let top: Vec<String> = std::fs::read_dir(s3.bucket_dir())
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect();
                assert!(top.iter().all(|name| name == "images"), "{top:?}");
            }
        )*}
    };
}

/// A real S3 server for the tests of the S3 image store: `rclone serve s3` over a temporary
/// directory, from `ANPR_TEST_RCLONE` (scripts/setup.sh installs it); `None` when that is not set.
pub struct S3Server {
    child: std::process::Child,
    pub endpoint: String,
    dir: tempfile::TempDir,
}

impl S3Server {
    pub const BUCKET: &str = "anpr-images";

    pub async fn start() -> Option<S3Server> {
        let rclone = std::env::var("ANPR_TEST_RCLONE").ok().filter(|p| !p.is_empty())?;
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join(Self::BUCKET)).expect("bucket directory");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = std::process::Command::new(&rclone)
            .args(["serve", "s3", "--auth-key", "testkey,testsecret", "--addr", &format!("127.0.0.1:{port}")])
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("ANPR_TEST_RCLONE={rclone} does not start: {e}"));
        // Stopped when dropped, on a panic too.
        let server = S3Server { child, endpoint: format!("http://127.0.0.1:{port}"), dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Some(server);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("rclone serve s3 did not listen on {}", server.endpoint);
    }

    /// Where the server keeps the bucket's objects.
    pub fn bucket_dir(&self) -> std::path::PathBuf {
        self.dir.path().join(Self::BUCKET)
    }

    /// Points `config`'s image store at this server.
    pub fn configure(&self, config: &mut Config) {
        config.images_url = format!("s3://{}/images", Self::BUCKET);
        config.images_options = [
            ("aws_endpoint", self.endpoint.as_str()),
            ("aws_region", "us-east-1"),
            ("aws_access_key_id", "testkey"),
            ("aws_secret_access_key", "testsecret"),
            ("aws_allow_http", "true"),
            ("aws_virtual_hosted_style_request", "false"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running server on a free port with a fresh database and a clock the test controls.
pub struct TestApp {
    pub address: String,
    pub clock: ManualClock,
    pub db: Db,
    pub backend: Backend,
    pub database_url: String,
    /// The running server's state, for driving its jobs.
    pub state: server::state::AppState,
    /// The configuration it was started with (for starting another server like it).
    pub config: Config,
    _dir: tempfile::TempDir,
    postgres_cleanup: Option<(String, String)>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        TestApp::spawn_prepared(backend, configure, async |_: &str| {}).await
    }

    /// A server started on a database that `prepare` was given first (its URL, before the
    /// server's migrations run).
    pub async fn spawn_prepared(
        backend: Backend,
        configure: impl FnOnce(&mut Config),
        prepare: impl AsyncFnOnce(&str),
    ) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, postgres_cleanup) = match backend {
            Backend::Sqlite => (format!("sqlite://{}", dir.path().join("anpr.db").display()), None),
            Backend::Postgres | Backend::Citus => {
                let variable = backend.url_variable().expect("a server's variable");
                let admin_url = std::env::var(variable).ok().filter(|u| !u.is_empty())?;
                let name = format!(
                    "anpr_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand_suffix()
                );
                let url = match backend {
                    Backend::Citus => crate::citus::create_database(&admin_url, &name).await,
                    _ => create_postgres_database(&admin_url, &name).await,
                };
                (url, Some((admin_url.clone(), name)))
            }
        };
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: database_url.clone(),
            site_root: dir.path().join("site"),
            images_url: format!("file://{}", dir.path().join("images").display()),
            // Tests run the purge, the audit anchoring, the outage scan and the unusual use scan
            // themselves, at the instants they choose.
            retention: server::config::RetentionConfig { purge_every_hours: 0 },
            audit_anchor_seconds: 0,
            outages: server::config::OutageConfig { scan_seconds: 0, ..Default::default() },
            flags: server::config::FlagConfig { scan_seconds: 0, ..Default::default() },
            ..Config::default()
        };
        configure(&mut config);
        prepare(&database_url).await;
        let clock = ManualClock::new(start_time());
        let db = Db::connect(&database_url).await.expect("open database");
        let app = Application::with_db(config.clone(), Arc::new(clock.clone()), db.clone()).await.expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            let _ = rx.await;
        }));
        Some(TestApp {
            address,
            clock,
            db,
            backend,
            database_url,
            state,
            config,
            _dir: dir,
            postgres_cleanup,
            shutdown: Some(tx),
        })
    }

    /// Another server on the same database, images and clock, named `node`: the several
    /// servers of one force.
    pub async fn another_server(&self, node: &str) -> OtherServer {
        let config = Config { node: node.to_owned(), ..self.config.clone() };
        let db = Db::connect(&self.database_url).await.expect("open database");
        let app = Application::with_db(config, Arc::new(self.clock.clone()), db).await.expect("build app");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            let _ = rx.await;
        }));
        OtherServer { address, _shutdown: tx }
    }

    /// Where the server looks for the built site's files.
    pub fn site_root(&self) -> std::path::PathBuf {
        self.state.config.site_root.clone()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    /// A browser-like client with its own cookie jar, not signed in, not following redirects.
    pub fn client(&self) -> Client {
        Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Creates an account directly in the store (as the system would) and returns its name.
    pub async fn create_user(&self, username: &str, roles: &[Role]) -> String {
        let tier = roles.contains(&Role::Investigator).then_some(AccessTier::Local);
        let rank = roles.contains(&Role::Supervisor).then_some(Rank::Sergeant);
        self.create_user_with(username, roles, tier, rank).await
    }

    /// Creates an account with the given tier and rank.
    pub async fn create_user_with(
        &self,
        username: &str,
        roles: &[Role],
        tier: Option<AccessTier>,
        rank: Option<Rank>,
    ) -> String {
        let new = NewUser {
            username: Username::parse(username).unwrap(),
            display_name: format!("Test {username}"),
            password: PASSWORD.into(),
            roles: roles.iter().copied().collect(),
            tier,
            rank,
        };
        server::access::users::create(&self.db, self.clock.now(), Actor::system(), new).await.expect("create user");
        username.to_owned()
    }

    pub async fn login(&self, client: &Client, username: &str, password: &str) -> Response {
        client
            .post(self.api("/auth/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .unwrap()
    }

    /// A client signed in as a new user holding `roles`.
    pub async fn signed_in(&self, username: &str, roles: &[Role]) -> Client {
        self.create_user(username, roles).await;
        self.sign_in(username).await
    }

    /// A client signed in as an existing user.
    pub async fn sign_in(&self, username: &str) -> Client {
        let client = self.client();
        let response = self.login(&client, username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        client
    }

    pub async fn get(&self, client: &Client, path: &str) -> Response {
        client.get(self.api(path)).send().await.unwrap()
    }

    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, client: &Client, path: &str) -> T {
        self.get(client, path).await.json().await.expect("a JSON answer")
    }

    /// POSTs `body` as JSON and returns the JSON answer, whatever its status.
    pub async fn post_json(&self, client: &Client, path: &str, body: &Value) -> Value {
        client.post(self.api(path)).json(body).send().await.unwrap().json().await.expect("a JSON answer")
    }

    /// The id of `username`, as a system admin's client sees it.
    pub async fn user_id(&self, admin: &Client, username: &str) -> i64 {
        let users: Vec<Value> = self.get_json(admin, "/users").await;
        users.iter().find(|u| u["username"] == username).expect("listed")["id"].as_i64().unwrap()
    }

    /// Runs the server's command line against this app's database.
    pub fn run_cli(&self, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .env("ANPR_DATABASE_URL", &self.database_url)
            .env("ANPR_CONFIG", "/nonexistent/anpr.toml")
            .envs(env.iter().copied())
            .output()
            .expect("run the server binary")
    }

    /// The id of the newest stored read of `plate`, looked up in the database as an operator
    /// would (no API route hands out a read by plate).
    pub async fn stored_read_id(&self, plate: &str) -> i64 {
        self.stored_read(plate).await.unwrap_or_else(|| panic!("no stored read of {plate}")).0
    }

    /// The newest stored read of `plate`: its id and its image keys.
    pub async fn stored_read(&self, plate: &str) -> Option<(i64, Option<String>, Option<String>)> {
        use sqlx::Row;
        let row =
            sqlx::query("SELECT id, plate_image, overview_image FROM reads WHERE plate = $1 ORDER BY id DESC LIMIT 1")
                .bind(plate)
                .fetch_optional(self.db.pool())
                .await
                .unwrap()?;
        Some((row.get("id"), row.get("plate_image"), row.get("overview_image")))
    }

    /// Whether read `id` is stored.
    pub async fn read_is_stored(&self, id: i64) -> bool {
        sqlx::query("SELECT 1 AS one FROM reads WHERE id = $1")
            .bind(id)
            .fetch_optional(self.db.pool())
            .await
            .unwrap()
            .is_some()
    }

    /// Every stored read, newest first, as JSON of its columns (looked up in the database).
    pub async fn stored_reads(&self) -> Vec<Value> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT id, plate, captured_at, camera_id, confidence, direction, make, model, colour, plate_image, \
             overview_image FROM reads ORDER BY id DESC",
        )
        .fetch_all(self.db.pool())
        .await
        .unwrap();
        rows.iter()
            .map(|r| {
                let at = chrono::DateTime::from_timestamp_millis(r.get::<i64, _>("captured_at")).unwrap();
                json!({
                    "id": r.get::<i64, _>("id"),
                    "plate": r.get::<String, _>("plate"),
                    "captured_at": at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                    "camera_id": r.get::<i64, _>("camera_id"),
                    "confidence": r.get::<f64, _>("confidence"),
                    "direction": r.get::<Option<String>, _>("direction"),
                    "make": r.get::<Option<String>, _>("make"),
                    "model": r.get::<Option<String>, _>("model"),
                    "colour": r.get::<Option<String>, _>("colour"),
                    "plate_image": r.get::<Option<String>, _>("plate_image"),
                    "overview_image": r.get::<Option<String>, _>("overview_image"),
                })
            })
            .collect()
    }

    /// The bytes kept under an image key.
    pub async fn image_bytes(&self, key: &str) -> Option<Vec<u8>> {
        self.state.images.get(key).await.ok().map(|b| b.to_vec())
    }

    /// Resets user `id`'s password as `admin` proposes and `second` (another system admin)
    /// approves: whoever sets another's password can sign in as them (separation of duties).
    pub async fn reset_password(&self, admin: &Client, second: &Client, id: i64, password: &str) {
        let r =
            admin.patch(self.api(&format!("/users/{id}"))).json(&json!({ "password": password })).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::ACCEPTED, "a reset is held for a second admin");
        let held = r.headers()["location"].to_str().unwrap().trim_start_matches("/api/v1").to_owned();
        let r = second.post(self.api(&format!("{held}/approve"))).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// The audit rows with `action`, oldest first.
    /// A connection of its own to the test's database, as someone holding the database has:
    /// not the server's pool, which only reads (tampering, faults, backfills).
    pub async fn raw_conn(&self) -> sqlx::AnyConnection {
        sqlx::AnyConnection::connect(&self.database_url).await.expect("a connection to the test database")
    }

    pub async fn audit_rows(&self, action: &str) -> Vec<shared::AuditEntry> {
        let mut rows: Vec<_> = server::audit::recent(&self.db, None, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect();
        rows.reverse();
        rows
    }
}

/// A fresh database `name` on the PostgreSQL server of `admin_url`; its URL.
async fn create_postgres_database(admin_url: &str, name: &str) -> String {
    sqlx::any::install_default_drivers();
    let mut admin = sqlx::AnyConnection::connect(admin_url).await.expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
    admin.close().await.ok();
    database_url(admin_url, name)
}

/// `admin_url` with its database replaced by `name`.
pub fn database_url(admin_url: &str, name: &str) -> String {
    let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
    format!("{base}/{name}")
}

fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos());
    (h.finish() % 1_000_000) as u32
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some((admin_url, name)) = self.postgres_cleanup.take() {
            let citus = self.backend == Backend::Citus;
            // Dropped from a thread of its own: Drop cannot await, and may run during a panic.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if citus {
                        crate::citus::drop_database(&admin_url, &name).await;
                    } else if let Ok(mut admin) = sqlx::AnyConnection::connect(&admin_url).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

/// The `error` message of an API error response.
pub async fn error_of(response: Response) -> String {
    let body: Value = response.json().await.expect("a JSON error body");
    body["error"].as_str().expect("an error message").to_owned()
}

/// Requests as a user makes them: people, feeds, requests, searches, watches and hotlist
/// entries, each as one call.
impl TestApp {
    /// A new hotlist of `admin`'s for `audience`, named afresh; the answer as given.
    pub async fn new_list(&self, admin: &Client, audience: Value) -> Response {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!("Op {}", N.fetch_add(1, Ordering::Relaxed));
        let list = json!({ "name": name, "kind": "operation", "audience": audience });
        admin.post(self.api("/hotlists")).json(&list).send().await.unwrap()
    }

    /// A new hotlist of `admin`'s for `audience`: its id.
    pub async fn list_id(&self, admin: &Client, audience: Value) -> i64 {
        let r = self.new_list(admin, audience).await;
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    pub async fn desk(&self) -> Desk {
        let admin = self.signed_in("admin", &[Role::SystemAdmin]).await;
        let created: Value = self.post_json(&admin, "/feeds", &json!({ "name": "tfl" })).await;
        let feed_id = created["feed"]["id"].as_i64().unwrap();
        let mut ids = Vec::new();
        for (ext, lat, lon) in [("N1", 51.52, -0.10), ("N2", 51.50, -0.08), ("FAR", 51.60, 0.10)] {
            let camera = self
                .post_json(
                    &admin,
                    "/cameras",
                    &json!({ "feed_id": feed_id, "external_id": ext, "name": ext, "lat": lat, "lon": lon, "zone": "ccz" }),
                )
                .await;
            let r = admin
                .patch(self.api(&format!("/cameras/{}/status", camera["id"])))
                .json(&json!({ "status": "approved", "reason": "governance board decision 12" }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            ids.push(camera["id"].as_i64().unwrap());
        }
        Desk { admin, key: created["api_key"].as_str().unwrap().to_owned(), n1: ids[0], n2: ids[1], far: ids[2] }
    }

    /// Keeps `username` away from `cameras` (R13), as a system admin does on the users page.
    pub async fn restrict_cameras(&self, admin: &Client, username: &str, cameras: &[i64]) {
        let id = self.user_id(admin, username).await;
        let r = admin
            .put(self.api(&format!("/users/{id}/restrictions")))
            .json(&json!({ "denied_capabilities": [], "denied_cameras": cameras }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// A list of vehicles of interest whose audience is every investigator; returns its id.
    pub async fn investigators_list(&self, hotlister: &Client) -> i64 {
        let list =
            json!({ "name": "Force VOI", "kind": "voi", "audience": { "type": "role", "role": "investigator" } });
        let created: Value = self.post_json(hotlister, "/hotlists", &list).await;
        created["id"].as_i64().expect("a list")
    }

    pub async fn investigator(&self, name: &str, tier: AccessTier) -> Client {
        self.create_user_with(name, &[Role::Investigator], Some(tier), None).await;
        self.sign_in(name).await
    }

    /// A central-tier investigator who is also an inspector.
    pub async fn investigating_inspector(&self, name: &str) -> Client {
        self.create_user_with(
            name,
            &[Role::Investigator, Role::Supervisor],
            Some(AccessTier::Central),
            Some(Rank::Inspector),
        )
        .await;
        self.sign_in(name).await
    }

    pub async fn supervisor(&self, name: &str, rank: Rank) -> Client {
        self.create_user_with(name, &[Role::Supervisor], None, Some(rank)).await;
        self.sign_in(name).await
    }

    pub async fn submit_request(&self, client: &Client, body: &Value) -> Value {
        let r = client.post(self.api("/requests")).json(body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json().await.unwrap()
    }

    pub async fn decide_request(&self, client: &Client, id: &Value, body: Value) -> reqwest::Response {
        client.post(self.api(&format!("/requests/{id}/decision"))).json(&body).send().await.unwrap()
    }

    /// A request of `client`'s, approved by a new inspector; returns its id.
    pub async fn approved(&self, client: &Client, body: Value) -> i64 {
        let submitted = self.submit_request(client, &body).await;
        let name = format!("insp{}", submitted["id"]);
        let inspector = self.supervisor(&name, Rank::Inspector).await;
        let r = self.decide_request(&inspector, &submitted["id"], approval()).await;
        assert_eq!(r.status(), StatusCode::OK);
        submitted["id"].as_i64().unwrap()
    }

    pub async fn search(
        &self,
        client: &Client,
        request_id: i64,
        query: Value,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> reqwest::Response {
        let body = json!({ "request_id": request_id, "query": query, "from": ts(from), "to": ts(to) });
        client.post(self.api("/searches")).json(&body).send().await.unwrap()
    }

    /// A feed with cameras `CAM-A` (approved), `CAM-P` (pending), `CAM-S` (suspended) in zone
    /// `ccz`, and `1234567` (approved) in zone `lez`.
    pub async fn network(&self, admin: &Client, name: &str) -> Network {
        let created: Value = self.post_json(admin, "/feeds", &json!({ "name": name })).await;
        let feed_id = created["feed"]["id"].as_i64().unwrap();
        let key = created["api_key"].as_str().unwrap().to_owned();
        for (ext, zone, status) in [
            ("CAM-A", "ccz", "approved"),
            ("CAM-P", "ccz", "pending"),
            ("CAM-S", "ccz", "suspended"),
            ("1234567", "lez", "approved"),
        ] {
            let camera: Value = self
                .post_json(
                    admin,
                    "/cameras",
                    &json!({ "feed_id": feed_id, "external_id": ext, "name": format!("{name} {ext}"),
                               "lat": 51.515, "lon": -0.09, "bearing": 90, "zone": zone }),
                )
                .await;
            assert_eq!(camera["status"], "pending", "cameras start pending (R3)");
            if status != "pending" {
                let r = admin
                    .patch(self.api(&format!("/cameras/{}/status", camera["id"])))
                    .json(&json!({ "status": status, "reason": "governance board decision 12" }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::OK);
            }
        }
        Network { key, feed_id }
    }

    pub async fn send_reads(&self, key: &str, path: &str, body: &Value) -> reqwest::Response {
        self.client().post(self.api(path)).header("x-api-key", key).json(body).send().await.unwrap()
    }

    /// Sends a batch and returns the report: 200, or 422 when every read was refused.
    pub async fn ingest(&self, key: &str, reads: Vec<Value>) -> Value {
        let r = self.send_reads(key, "/ingest/reads", &json!({ "reads": reads })).await;
        let status = r.status();
        let report: Value = r.json().await.unwrap();
        let all_refused = report["accepted"] == 0 && report["duplicates"] == 0 && report["refused"] != json!([]);
        let expected = if all_refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        assert_eq!(status, expected, "{report}");
        report
    }

    pub async fn new_entry(&self, admin: &Client, list_id: i64, vrm: &str) -> i64 {
        let r = admin
            .post(self.api(&format!("/hotlists/{list_id}/entries")))
            .json(
                &json!({ "vrm": vrm, "intelligence_ref": "INT/2026/0042", "reason": "linked to a series of burglaries",
                            "warning_markers": ["violence"], "action": "do not stop; report sighting" }),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
    }

    /// An inspector approves partial plate `entry_id` (R10, R11).
    pub async fn approve_entry(&self, inspector: &Client, entry_id: i64) -> reqwest::Response {
        inspector
            .post(self.api(&format!("/hotlists/entries/{entry_id}/approve")))
            .json(&json!({ "rationale": "a witness saw part of the plate at the robbery; narrow enough" }))
            .send()
            .await
            .unwrap()
    }

    /// A signed-in supervisor of inspector rank.
    pub async fn inspector(&self, name: &str) -> Client {
        self.create_user_with(name, &[Role::Supervisor], None, Some(shared::Rank::Inspector)).await;
        self.sign_in(name).await
    }

    /// A local investigator restricted from FAR, with an approved serious request over `plates` and
    /// cameras N1, N2 and FAR whose window runs from a day ago to two hours ahead.
    pub async fn watcher(&self, d: &Desk, plates: &[&str]) -> (Client, i64) {
        let now = self.clock.now();
        let inv = self.investigator("wes", AccessTier::Local).await;
        self.restrict_cameras(&d.admin, "wes", &[d.far]).await;
        let scope = json!({ "plates": plates, "cameras": [d.n1, d.n2, d.far], "from": ts(now - Duration::days(1)),
                            "to": ts(now + Duration::hours(2)) });
        (inv.clone(), self.approved(&inv, request("serious", scope)).await)
    }

    pub async fn open_watch(&self, client: &Client, request_id: i64, query: Value) -> reqwest::Response {
        client
            .post(self.api("/watches"))
            .json(&json!({ "request_id": request_id, "query": query }))
            .send()
            .await
            .unwrap()
    }
}

/// The next server-sent event of `stream`: its name and data (keep-alive comments skipped).
pub async fn next_event(stream: &mut reqwest::Response, buffer: &mut String) -> (String, Value) {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let mut name = String::new();
            let mut data = String::new();
            for line in event.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            if name.is_empty() {
                continue;
            }
            return (name, serde_json::from_str(&data).unwrap());
        }
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(15), stream.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("the stream is open");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

pub fn read(plate: &str, camera: &str, at: &str) -> Value {
    json!({ "plate": plate, "captured_at": at, "camera": camera, "confidence": 0.93, "direction": "N", "lane": 1,
            "make": "Ford", "model": "Focus", "colour": "blue" })
}

/// A small, compliant plate patch as base64 PNG.
pub fn small_png_b64() -> String {
    b64(&encode(DynamicImage::ImageRgb8(ImageBuffer::from_pixel(100, 25, Rgb([255, 210, 0]))), ImageFormat::Png))
}

pub fn approval() -> Value {
    json!({ "approve": true, "rationale": "Necessary and proportionate to identify the vehicle" })
}

/// The plates of a successful search's first page, in order.
pub async fn found(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::CREATED);
    let page: Value = response.json().await.unwrap();
    page["results"].as_array().unwrap().iter().map(|r| r["plate"].as_str().unwrap().to_owned()).collect()
}

pub fn plate(p: &str, mode: &str) -> Value {
    json!({ "kind": "plate", "plate": p, "mode": mode })
}

pub fn plates_scope(plates: &[&str], from: DateTime<Utc>, to: DateTime<Utc>) -> Value {
    json!({ "plates": plates, "from": ts(from), "to": ts(to) })
}

pub async fn refused(response: reqwest::Response, status: StatusCode, words: &str) {
    assert_eq!(response.status(), status);
    let message = error_of(response).await;
    assert!(message.contains(words), "`{message}` should say `{words}`");
}

pub fn request(seriousness: &str, scope: Value) -> Value {
    json!({
        "purpose": "crime_investigation",
        "reason": "Linked series of burglaries; suspect vehicle seen leaving",
        "crime_type": "Burglary",
        "seriousness": seriousness,
        "scope": scope,
        "handling": "Intelligence only; not for disclosure without further approval",
    })
}

/// The area around `N1` and `N2`.
pub fn test_area() -> Value {
    json!({ "south": 51.49, "west": -0.11, "north": 51.53, "east": -0.07 })
}

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub struct Network {
    pub key: String,
    pub feed_id: i64,
}

pub struct Desk {
    pub admin: Client,
    pub key: String,
    /// Cameras `N1` (51.52, −0.10) and `N2` (51.50, −0.08), inside the test area, and `FAR`
    /// (51.60, 0.10) outside it.
    pub n1: i64,
    pub n2: i64,
    pub far: i64,
}
