//! Layered configuration: built-in defaults < a TOML file (`ANPR_CONFIG`, default `anpr.toml`
//! when present) < `ANPR_*` environment variables (`__` separates nested keys, e.g.
//! `ANPR_LOGIN__MAX_FAILURES=3`).

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use shared::MapSettings;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where the server listens.
    pub listen: SocketAddr,
    /// `sqlite://path` (the embedded default) or `postgres://…` for production.
    pub database_url: String,
    /// This server's name among the servers sharing one database; its audit chains carry it
    /// (R21). Empty: the host's name and the port it listens on.
    pub node: String,
    /// Where images are kept: `file://DIR` (default), `memory://`, or `s3://BUCKET[/PREFIX]`.
    pub images_url: String,
    /// The S3 store's settings by object_store's names (`aws_endpoint`, `aws_region`,
    /// `aws_access_key_id`, `aws_secret_access_key`, `aws_allow_http`, …), over the usual `AWS_*`
    /// environment variables, e.g. `ANPR_IMAGES_OPTIONS__AWS_ENDPOINT=http://minio:9000`.
    #[serde(deserialize_with = "text_values")]
    pub images_options: std::collections::BTreeMap<String, String>,
    /// Largest ingest request body, in MiB (a batch of 1,000 reads with images).
    pub ingest_max_body_mib: usize,
    /// How far back a new hotlist entry is matched against stored reads, in hours (R7).
    pub hotlist_retro_hours: i64,
    /// How often the heads of every audit chain are sealed in an anchor row, in seconds (0:
    /// never).
    pub audit_anchor_seconds: u64,
    /// The built site (cargo-leptos output): `pkg/` with the WASM, CSS and vendored Leaflet.
    pub site_root: PathBuf,
    /// Mark the session cookie `Secure` (set this behind TLS).
    pub cookie_secure: bool,
    /// A session ends after this long without a request.
    pub session_idle_minutes: i64,
    pub login: LoginThrottleConfig,
    pub access: AccessConfig,
    pub audit_sample: SampleConfig,
    pub clones: CloneConfig,
    pub locker: LockerConfig,
    pub exports: ExportsConfig,
    pub hotlists: HotlistConfig,
    pub retention: RetentionConfig,
    pub ingest: IngestConfig,
    pub limits: RateLimitConfig,
    pub oversight: OversightConfig,
    pub outages: OutageConfig,
    pub flags: FlagConfig,
    pub map: MapSettings,
}

/// Rate limits (R21's audit log and the server's memory are what a flood would cost). A limit
/// of 0 turns that limit off. Beyond a limit the answer is 429 with `Retry-After`, before any
/// work is done.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Requests a second to the session API from one client address (feeds' ingest excluded).
    pub requests_per_second_per_address: u32,
    /// How many of those may come at once before the rate applies.
    pub request_burst_per_address: u32,
    /// Sign-in attempts a minute from one client address (each costs a 19 MiB password check).
    pub sign_ins_per_minute_per_address: u32,
    pub sign_in_burst_per_address: u32,
    /// Ingest requests a second from one feed (one read a request, as engines send them).
    pub ingest_requests_per_second_per_feed: u32,
    pub ingest_burst_per_feed: u32,
    /// Ingest attempts a minute from one client address without a valid feed key (none, or an
    /// unknown one): beyond it they are answered 429 instead of 401. Requests with a valid key
    /// are not counted.
    pub unauthenticated_ingest_per_minute_per_address: u32,
    pub unauthenticated_ingest_burst_per_address: u32,
    /// A sign-in waits at most this long for a password check to be free, then gets 503.
    pub password_queue_seconds: u64,
    /// Live streams (alerts, watches) one user may hold open at once on one server; beyond it
    /// a new one is answered 429 (0: no limit).
    pub streams_per_user: usize,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        RateLimitConfig {
            requests_per_second_per_address: 1_000,
            request_burst_per_address: 2_000,
            sign_ins_per_minute_per_address: 600,
            sign_in_burst_per_address: 60,
            ingest_requests_per_second_per_feed: 20_000,
            ingest_burst_per_feed: 40_000,
            unauthenticated_ingest_per_minute_per_address: 60,
            unauthenticated_ingest_burst_per_address: 20,
            password_queue_seconds: 5,
            streams_per_user: 8,
        }
    }
}

/// What ingest refuses at the door (R1, R18), and how long refused payloads are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestConfig {
    /// A read captured more than this many seconds after the server's clock is refused (a
    /// camera whose clock runs fast, or a made-up time).
    pub max_future_seconds: i64,
    /// Refused payloads (which hold plates) are purged after this many days.
    pub dead_letter_days: i64,
    /// The most reads the ingest writer commits in one transaction (requests that arrive
    /// while a commit is in flight are committed together, up to this).
    pub group_max_reads: usize,
    /// Ingest writers taking turns (PostgreSQL; SQLite has one): while one group commits, the
    /// next is written by another. Four keep a feed's four requests in flight each in a writer
    /// (measured: a day's first three million reads 37,600 reads/s with two, 42,800 with four,
    /// 41,400 with eight; docs/PERFORMANCE.md).
    pub group_writers: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig { max_future_seconds: 300, dead_letter_days: 30, group_max_reads: 5000, group_writers: 4 }
    }
}

/// Cloned-plate indicators (R17).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloneConfig {
    /// Two sightings of one plate that would need a faster average speed than this, in km/h,
    /// are flagged.
    pub max_speed_kmh: f64,
    /// Sightings closer than this, in km, are never flagged (cameras at one junction, clock
    /// drift between cameras).
    pub min_distance_km: f64,
    /// How often the scan looks at newly stored reads, in seconds.
    pub scan_seconds: u64,
}

impl Default for CloneConfig {
    fn default() -> Self {
        CloneConfig { max_speed_kmh: 200.0, min_distance_km: 1.0, scan_seconds: 30 }
    }
}

/// Evidence locker reviews (R19).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockerConfig {
    /// An item is due for review this many calendar months after preservation or its last review.
    pub review_months: u32,
    /// After an unanswered review, the next attempt is due this many days later.
    pub retry_days: i64,
    /// After this many unanswered attempts in a row the item is deleted (R19).
    pub max_unanswered: i64,
}

impl Default for LockerConfig {
    fn default() -> Self {
        LockerConfig { review_months: 6, retry_days: 14, max_unanswered: shared::locker::MAX_UNANSWERED }
    }
}

/// Exported data's lifecycle (R20): when an export's keeper is asked whether it is deleted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportsConfig {
    /// An export falls due for review this many days after it was made (sooner if its request
    /// closes). 28 days, the default approval's length (`access.approval_days`): an intelligence
    /// product is for the work the request was approved for, and that work is asked about
    /// within the time an approval lasts, however long the request runs.
    pub review_days: i64,
    /// A keeper who has not answered this many days after their export fell due has it escalated
    /// to the supervisor who approved its request (the audit unit for a subject access
    /// disclosure). 7 days: a working week, with a weekend, for an officer on shifts or leave,
    /// short beside the review period so nothing waits unanswered for long.
    pub answer_days: i64,
}

impl Default for ExportsConfig {
    fn default() -> Self {
        ExportsConfig { review_days: 28, answer_days: 7 }
    }
}

/// Hotlist entries (R6–R9): reviews, and the safeguards on partial plates, which would
/// otherwise make a list a standing search of everything without a request (R10).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotlistConfig {
    /// An entry lapses unless reviewed within this many days (R9).
    pub review_days: i64,
    /// A partial plate (`?`, `*`) needs at least this many letters or digits besides its wildcards.
    pub pattern_min_literals: usize,
    /// A partial plate lapses this many days after it was added, reviewed or not.
    pub pattern_days: i64,
    /// An entry whose alerts name more distinct plates than this within 24 hours is suspended and
    /// flagged to auditors.
    pub max_plates_per_day: i64,
    /// The most alerts matching one change of entries against stored reads may raise.
    pub retro_max_alerts: usize,
}

impl Default for HotlistConfig {
    fn default() -> Self {
        HotlistConfig {
            review_days: 14,
            pattern_min_literals: 5,
            pattern_days: 7,
            max_plates_per_day: 20,
            retro_max_alerts: 100,
        }
    }
}

/// The retention purge (R18); how long reads are kept is `access.retention_months`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// How often the purge runs, in hours (it also runs when the server starts); 0 leaves it to
    /// `server retention purge` (from cron, say).
    pub purge_every_hours: u64,
}

impl Default for RetentionConfig {
    fn default() -> Self {
        RetentionConfig { purge_every_hours: 24 }
    }
}

/// How far back searches reach (R12) and how long approvals last (R10).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// A local-tier investigator's reach, in days.
    pub local_days: i64,
    /// A central-tier investigator's reach, in calendar months.
    pub central_months: u32,
    /// The standard window, in days: searches reaching further back are for serious crime only,
    /// and are sampled for audit at the higher rate (R22).
    pub standard_days: i64,
    /// Nothing older than this, in calendar months, is ever returned, whether or not the purge
    /// has run.
    pub retention_months: u32,
    /// How long an approval lasts unless the approver says otherwise, in days.
    pub approval_days: i64,
    /// The longest an approver may let an approval last, in days.
    pub max_approval_days: i64,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            local_days: 90,
            central_months: 12,
            standard_days: 90,
            retention_months: 12,
            approval_days: 28,
            max_approval_days: 90,
        }
    }
}

/// The share of searches drawn at random for the audit unit (R22), in percent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleConfig {
    /// Of searches reaching beyond the standard window.
    pub beyond_standard_percent: f64,
    /// Of the others.
    pub other_percent: f64,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig { beyond_standard_percent: 5.0, other_percent: 2.0 }
    }
}

/// Login throttling: after `max_failures` failed logins for one username within
/// `window_minutes`, that username is refused for `lockout_minutes`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginThrottleConfig {
    pub max_failures: i64,
    pub window_minutes: i64,
    pub lockout_minutes: i64,
}

/// The yearly figures for oversight bodies (R23).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OversightConfig {
    /// The smallest count the figures show exactly: a count from 1 to this less one could point
    /// at one investigation, and is shown as "fewer than" this (0 and larger counts are exact;
    /// 1 shows every count).
    pub min_count: i64,
}

/// Camera and feed outages (R3, R23's technical difficulties), found by counting each camera's
/// reads per hour as they are stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageConfig {
    /// How often the reads are counted and the cameras looked at (0: never; `server` runs it).
    pub scan_seconds: u64,
    /// A camera is silent when, at the rates it usually reads at those hours of the day (over
    /// the last `usual_days`), it should have sent at least this many reads since its last one.
    pub min_expected: f64,
    /// Never silent for less than this.
    pub floor_minutes: i64,
    /// The days its usual hourly rates are taken from.
    pub usual_days: i64,
    /// A camera refusing at least this many reads between two looks, with none accepted, is
    /// refusing reads.
    pub refused_min: i64,
}

impl Default for OutageConfig {
    fn default() -> Self {
        OutageConfig { scan_seconds: 60, min_expected: 10.0, floor_minutes: 15, usual_days: 7, refused_min: 10 }
    }
}

/// Unusual use, flagged for the audit unit (R21, R22): the thresholds of each kind of flag.
/// Hours of the day are UTC.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagConfig {
    /// How often new searches, watches and analyses are scanned (0: never; `server` runs it).
    pub scan_seconds: u64,
    /// The days before a search that tell what is usual for its user (their hours, their daily
    /// count) and over which the same plate under several requests is looked for.
    pub usual_days: i64,
    /// Hours are judged only for a user with at least this many searches in those days.
    pub min_history: i64,
    /// A search is outside the user's usual hours when fewer than this share (0–1) of their
    /// searches in those days ran in its hour of the day.
    pub rare_hour_share: f64,
    /// Flagged when the user's searches in the 24 hours up to one reach this many times their
    /// daily mean over the `usual_days` before those 24 hours…
    pub volume_factor: f64,
    /// …and at least this many (once a day per user).
    pub volume_min: i64,
    /// The same plate searched by one user under at least this many distinct requests within
    /// `usual_days`.
    pub plate_requests: i64,
    /// A search this close (minutes) before its request's approval expires.
    pub before_expiry_minutes: i64,
    /// An area (or the several places' areas together) larger than this, in km², searched by a
    /// local-tier user.
    pub local_area_km2: f64,
    /// A partial-plate or misread-tolerant search whose results held more than this many
    /// distinct plates that the request did not name.
    pub outside_plates: i64,
}

impl Default for FlagConfig {
    fn default() -> Self {
        FlagConfig {
            scan_seconds: 300,
            usual_days: 28,
            min_history: 20,
            rare_hour_share: 0.02,
            volume_factor: 3.0,
            volume_min: 10,
            plate_requests: 3,
            before_expiry_minutes: 60,
            local_area_km2: 25.0,
            outside_plates: 20,
        }
    }
}

impl Default for OversightConfig {
    fn default() -> Self {
        OversightConfig { min_count: 5 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://data/anpr.db".into(),
            node: String::new(),
            images_url: "file://data/images".into(),
            images_options: Default::default(),
            ingest_max_body_mib: 64,
            hotlist_retro_hours: 24,
            audit_anchor_seconds: 60,
            site_root: PathBuf::from("target/site"),
            cookie_secure: false,
            session_idle_minutes: 8 * 60,
            login: LoginThrottleConfig { max_failures: 5, window_minutes: 15, lockout_minutes: 15 },
            access: AccessConfig::default(),
            audit_sample: SampleConfig::default(),
            clones: CloneConfig::default(),
            locker: LockerConfig::default(),
            exports: ExportsConfig::default(),
            hotlists: HotlistConfig::default(),
            retention: RetentionConfig::default(),
            ingest: IngestConfig::default(),
            limits: RateLimitConfig::default(),
            oversight: OversightConfig::default(),
            outages: OutageConfig::default(),
            flags: FlagConfig::default(),
            map: MapSettings::default(),
        }
    }
}

/// `ANPR_*` variables that are read elsewhere, not configuration keys.
const NOT_CONFIG: [&str; 7] = [
    "config",
    "demo_password",
    "admin_password",
    "test_postgres_url",
    "test_citus_url",
    "test_rclone",
    "simulate_rate",
];

/// A map whose values are taken as text, whatever they look like: an environment variable's
/// `true` or `9000` is read as a boolean or a number before it reaches here.
fn text_values<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<std::collections::BTreeMap<String, String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Plain(String),
        Flag(bool),
        Whole(i64),
        Number(f64),
    }
    let map = std::collections::BTreeMap::<String, Text>::deserialize(deserializer)?;
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let text = match v {
                Text::Plain(s) => s,
                Text::Flag(b) => b.to_string(),
                Text::Whole(n) => n.to_string(),
                Text::Number(x) => x.to_string(),
            };
            (k, text)
        })
        .collect())
}

impl Config {
    pub fn load() -> Result<Config, Box<figment::Error>> {
        let file = std::env::var("ANPR_CONFIG").unwrap_or_else(|_| "anpr.toml".into());
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(
                Env::prefixed("ANPR_")
                    .split("__")
                    .filter(|key| !NOT_CONFIG.iter().any(|other| key.as_str().eq_ignore_ascii_case(other))),
            )
            .extract()
            .map_err(Box::new)
    }
}

/// The database URL with any password replaced, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("node", &self.node)
            .field("images_url", &self.images_url)
            // Names only: the values hold the store's secret.
            .field("images_options", &self.images_options.keys().collect::<Vec<_>>())
            .field("ingest_max_body_mib", &self.ingest_max_body_mib)
            .field("hotlist_retro_hours", &self.hotlist_retro_hours)
            .field("audit_anchor_seconds", &self.audit_anchor_seconds)
            .field("site_root", &self.site_root)
            .field("cookie_secure", &self.cookie_secure)
            .field("session_idle_minutes", &self.session_idle_minutes)
            .field("login", &self.login)
            .field("access", &self.access)
            .field("audit_sample", &self.audit_sample)
            .field("clones", &self.clones)
            .field("locker", &self.locker)
            .field("exports", &self.exports)
            .field("hotlists", &self.hotlists)
            .field("retention", &self.retention)
            .field("ingest", &self.ingest)
            .field("limits", &self.limits)
            .field("oversight", &self.oversight)
            .field("outages", &self.outages)
            .field("flags", &self.flags)
            .field("map", &self.map)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_the_logs() {
        assert_eq!(redact_url("postgres://anpr:s3cret@db:5432/anpr"), "postgres://anpr:***@db:5432/anpr");
        assert_eq!(redact_url("postgres://anpr@db/anpr"), "postgres://anpr@db/anpr");
        assert_eq!(redact_url("sqlite://data/anpr.db"), "sqlite://data/anpr.db");
        let config = Config { database_url: "postgres://u:pw@h/d".into(), ..Config::default() };
        assert!(!format!("{config:?}").contains("pw@"));
    }

    #[test]
    #[allow(clippy::result_large_err)] // figment's Jail decides the closure's error type
    fn environment_overrides_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("ANPR_LOGIN__MAX_FAILURES", "3");
            jail.set_env("ANPR_IMAGES_OPTIONS__AWS_ALLOW_HTTP", "true");
            jail.set_env("ANPR_IMAGES_OPTIONS__AWS_ENDPOINT", "http://127.0.0.1:9000");
            jail.set_env("ANPR_COOKIE_SECURE", "true");
            jail.set_env("ANPR_DEMO_PASSWORD", "not a config key");
            jail.set_env("ANPR_TEST_RCLONE", "/usr/bin/rclone");
            let config = Config::load().map_err(|e| *e)?;
            assert_eq!(config.login.max_failures, 3);
            assert!(config.cookie_secure);
            let s3: Vec<(&str, &str)> = config.images_options.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            assert_eq!(s3, [("aws_allow_http", "true"), ("aws_endpoint", "http://127.0.0.1:9000")]);
            assert_eq!(config.login.window_minutes, 15);
            jail.set_env("ANPR_LOGIN__MAX_FAILRES", "3");
            let typo = Config::load().unwrap_err();
            assert!(typo.to_string().contains("max_failres"), "{typo}");
            Ok(())
        });
    }
}
