//! Storage: one sqlx `Any` pool over SQLite (the embedded default, WAL) or PostgreSQL
//! (selected by a `postgres://` URL). Every query is written once, in SQL both accept; the
//! migrations are kept per backend. A PostgreSQL URL may name a Citus coordinator: the same
//! SQL, with the tables laid out across the cluster after the migrations ([`citus`]).
//!
//! Only a transaction writes: every connection of the pool that [`Db::pool`] hands out is
//! read-only (SQLite `query_only`, PostgreSQL `default_transaction_read_only`), so an INSERT,
//! UPDATE or DELETE outside [`Db::begin`] fails instead of landing without its audit row. A
//! write transaction declares itself READ WRITE on PostgreSQL; on SQLite, which writes one at a
//! time anyway, it takes the one writing connection.

pub mod citus;

use crate::reads::days::NotedDays;
use sha2::Digest;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A server's hold on its node name (see [`Db::claim_node`]); given back when dropped.
pub struct NodeClaim(#[allow(dead_code)] Option<AnyConnection>);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL `{0}`: use sqlite://path or postgres://…")]
    UnsupportedUrl(String),
    #[error("could not create the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Citus(#[from] citus::CitusError),
}

#[derive(Clone)]
pub struct Db {
    /// Read-only connections (see the module's note).
    pool: AnyPool,
    backend: Backend,
    /// A Citus coordinator (PostgreSQL to every query; see [`citus`]).
    citus: bool,
    /// SQLite's one writing connection, and the lock writers queue on for it: taken before a
    /// write transaction, it makes them wait here instead of failing with SQLITE_BUSY when a
    /// transaction that began by reading later writes. PostgreSQL needs neither.
    sqlite_writer: Option<(AnyPool, Arc<Mutex<()>>)>,
    /// This server's name among those sharing the database: its audit chains carry it (R21).
    node: Arc<str>,
    url: Arc<str>,
    /// The plates' days this server has seen committed (see [`NotedDays`]).
    noted: NotedDays,
}

/// A write transaction. On SQLite it holds the writer lock until it ends.
pub struct Tx {
    tx: Transaction<'static, Any>,
    backend: Backend,
    node: Arc<str>,
    noted: NotedDays,
    /// What this server learns once the transaction has committed (and forgets if it does not).
    after_commit: Vec<Box<dyn FnOnce() + Send>>,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// The server writing (whose audit chains this transaction appends to).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// The plates' days this server has seen committed.
    pub fn noted_days(&self) -> &NotedDays {
        &self.noted
    }

    /// Runs `learn` once the transaction has committed; never if it rolls back.
    pub fn after_commit(&mut self, learn: impl FnOnce() + Send + 'static) {
        self.after_commit.push(Box::new(learn));
    }

    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await?;
        for learn in self.after_commit {
            learn();
        }
        Ok(())
    }
}

impl Db {
    /// Opens the database named by `url`, creating a SQLite file (and its directory) if
    /// missing, and brings its schema up to date.
    pub async fn connect(url: &str) -> Result<Db, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(url.to_owned()));
        };
        let mut citus = false;
        let (pool, sqlite_writer) = match backend {
            Backend::Sqlite => {
                let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
                let path = path.split('?').next().unwrap_or(path);
                if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .map_err(|source| StoreError::DataDir { path: dir.display().to_string(), source })?;
                }
                let sep = if url.contains('?') { '&' } else { '?' };
                let options = AnyConnectOptions::from_str(&format!("{url}{sep}mode=rwc"))?;
                let mut conn = AnyConnection::connect_with(&options).await?;
                SQLITE_MIGRATIONS.run(&mut conn).await?;
                conn.close().await?;
                let readers = sqlite_pool(8, true).connect_with(options.clone()).await?;
                let writer = sqlite_pool(1, false).connect_with(options).await?;
                (readers, Some((writer, Arc::new(Mutex::new(())))))
            }
            Backend::Postgres => {
                let mut conn = AnyConnection::connect(url).await?;
                POSTGRES_MIGRATIONS.run(&mut conn).await?;
                citus = citus::is_coordinator(&mut conn).await?;
                if citus {
                    citus::lay_out(&mut conn).await?;
                }
                conn.close().await?;
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute("SET default_transaction_read_only = on").await?;
                            // The server's statements are index lookups, many a second: compiling
                            // one to machine code (PostgreSQL's JIT, which a large estimate sets
                            // off) costs more than it saves. Measured: the clone scan's batch of
                            // 5,000 reads took 190 ms with it, 90 without (docs/PERFORMANCE.md).
                            conn.execute("SET jit = off").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?;
                (pool, None)
            }
        };
        let noted = NotedDays::default();
        Ok(Db { pool, backend, citus, sqlite_writer, node: Arc::from("server"), url: Arc::from(url), noted })
    }

    /// Names this server among those sharing the database.
    pub fn for_node(mut self, node: &str) -> Db {
        self.node = Arc::from(node);
        self
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// Runs `job` unless another server sharing the database is running the job named `name`
    /// (a PostgreSQL advisory lock, held on a connection of its own so that it goes with the
    /// connection if this server stops mid-job). `None`: another server has it. On SQLite there
    /// is one server, and the job always runs.
    pub async fn as_only_runner<T>(&self, name: &str, job: impl Future<Output = T>) -> Result<Option<T>, sqlx::Error> {
        if self.backend != Backend::Postgres {
            return Ok(Some(job.await));
        }
        let key = lock_key(&format!("anpr job {name}"));
        let Some(mut conn) = self.try_session_lock(key).await? else { return Ok(None) };
        let done = job.await;
        sqlx::query("SELECT pg_advisory_unlock($1)").bind(key).execute(&mut conn).await?;
        conn.close().await.ok();
        Ok(Some(done))
    }

    /// Claims this server's node name among the servers of one PostgreSQL database, for as long
    /// as the returned claim is held: `None` when another live server holds it. The claim is a
    /// session advisory lock on a connection of its own, so a server that dies gives its name
    /// back with its connection. (SQLite serves one server: always claimed.)
    pub async fn claim_node(&self) -> Result<Option<NodeClaim>, sqlx::Error> {
        if self.backend != Backend::Postgres {
            return Ok(Some(NodeClaim(None)));
        }
        let key = lock_key(&format!("anpr node {}", self.node));
        Ok(self.try_session_lock(key).await?.map(|conn| NodeClaim(Some(conn))))
    }

    /// A connection of its own holding the session advisory lock `key`, or `None` when another
    /// session holds it (PostgreSQL).
    async fn try_session_lock(&self, key: i64) -> Result<Option<AnyConnection>, sqlx::Error> {
        let mut conn = AnyConnection::connect(&self.url).await?;
        let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(key).fetch_one(&mut conn).await?;
        if mine {
            Ok(Some(conn))
        } else {
            conn.close().await.ok();
            Ok(None)
        }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// True on a Citus coordinator (whose SQL is PostgreSQL's: [`Db::backend`] says `Postgres`).
    pub fn is_citus(&self) -> bool {
        self.citus
    }

    /// Begins a transaction that will write: the only way to write (see the module's note).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        let (tx, writer) = match &self.sqlite_writer {
            Some((writer, lock)) => {
                let held = lock.clone().lock_owned().await;
                (writer.begin().await?, Some(held))
            }
            None => {
                let mut tx = self.pool.begin().await?;
                tx.execute("SET TRANSACTION READ WRITE").await?;
                if self.citus {
                    // One connection per worker for the whole transaction: it may read or write
                    // many shards and then write the coordinator's tables that refer to
                    // reference tables, which Citus allows only after sequential work.
                    tx.execute("SET LOCAL citus.multi_shard_modify_mode TO 'sequential'").await?;
                }
                (tx, None)
            }
        };
        Ok(Tx {
            tx,
            backend: self.backend,
            node: self.node.clone(),
            noted: self.noted.clone(),
            after_commit: Vec::new(),
            _writer: writer,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some((writer, _)) = &self.sqlite_writer {
            writer.close().await;
        }
    }
}

/// SQLite connections as every one of this server's is set up; read-only ones for reading.
fn sqlite_pool(max: u32, read_only: bool) -> AnyPoolOptions {
    AnyPoolOptions::new().max_connections(max).after_connect(move |conn, _| {
        Box::pin(async move {
            // WAL lets readers work while one writer commits; FULL makes every acknowledged
            // commit survive a power cut, not only a crash.
            conn.execute("PRAGMA journal_mode = WAL").await?;
            conn.execute("PRAGMA synchronous = FULL").await?;
            conn.execute("PRAGMA foreign_keys = ON").await?;
            conn.execute("PRAGMA busy_timeout = 10000").await?;
            // Reads arrive in plate order nowhere: a large page cache keeps the indexes' hot
            // pages in memory as the table grows.
            conn.execute("PRAGMA cache_size = -65536").await?;
            if read_only {
                conn.execute("PRAGMA query_only = ON").await?;
            }
            Ok(())
        })
    })
}

impl Backend {
    /// The `n`th (from 1) bind parameter in SQL generated for many rows. SQLite looks up every
    /// numbered parameter by name, which costs time quadratic in their number; its anonymous
    /// `?` binds by position. PostgreSQL takes `$n`.
    pub fn parameter(self, n: usize) -> String {
        match self {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${n}"),
        }
    }
}

/// True when `e` is a unique-constraint violation (mapped to 409 by callers).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// A stored name decoded by `parse`; a name it does not know is a decode error, never a guess.
pub fn decode<T>(column: &str, raw: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, sqlx::Error> {
    parse(raw).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: column.into(),
        source: format!("unknown {column} `{raw}`").into(),
    })
}

/// An advisory lock's key for `label`: the first eight bytes of its SHA-256.
fn lock_key(label: &str) -> i64 {
    let digest = sha2::Sha256::digest(label.as_bytes());
    i64::from_be_bytes(digest[..8].try_into().expect("eight bytes"))
}
