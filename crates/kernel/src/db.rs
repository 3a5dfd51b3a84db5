//! The database handle: SQLite or PostgreSQL, chosen from the URL.
//!
//! Stores write each query once and run it on either dialect through [`with_db!`] (reads),
//! [`with_writer!`] (single-statement writes) and [`with_tx!`]: the macros expand the body
//! once per driver, so both are type-checked.
//!
//! On SQLite there are two pools (ADR 0013): one writer connection, the only connection
//! that ever writes, and a read pool of read-only connections for everything else. Under
//! WAL readers never wait for the writer, and writers queue in the pool (in process, in
//! order) instead of spinning on `SQLITE_BUSY`. A write sent to the read pool fails
//! loudly (`attempt to write a readonly database`). On PostgreSQL both are one pool.
//!
//! Write transactions go through [`Db::begin`], which on SQLite runs on the writer and
//! takes the write lock up front (`BEGIN IMMEDIATE`). A read of one statement takes a
//! plain pooled connection through [`Db::read`] (no `BEGIN`/`COMMIT`); reads of several
//! statements that must agree take [`Db::begin_read`], one snapshot on both dialects.

use std::ops::{Deref, DerefMut};
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Database, PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// The default database when no `DATABASE_URL` is given.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://./data/lifeos.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePools),
    Postgres(PgPool),
}

/// SQLite's two pools: `writer` holds the one connection that writes, `reader` the
/// read-only connections (`PoolConfig::max_connections` of them). For an in-memory
/// database both are the same pool, since each connection would otherwise see its own.
#[derive(Debug, Clone)]
pub struct SqlitePools {
    pub reader: SqlitePool,
    pub writer: SqlitePool,
    /// Whether `reader` and `writer` are one pool (an in-memory database).
    shared: bool,
}

/// A connection in use: inside a transaction ([`Db::begin`], [`Db::begin_read`]) or a
/// plain pooled connection where each statement commits on its own ([`Db::read`]).
/// Derefs to the driver's connection, so [`with_tx!`] works on both.
#[derive(Debug)]
pub enum Conn<DB: Database> {
    Transaction(Transaction<'static, DB>),
    Pooled(PoolConnection<DB>),
}

impl<DB: Database> Deref for Conn<DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Conn::Transaction(tx) => tx,
            Conn::Pooled(conn) => conn,
        }
    }
}

impl<DB: Database> DerefMut for Conn<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Conn::Transaction(tx) => tx,
            Conn::Pooled(conn) => conn,
        }
    }
}

impl<DB: Database> Conn<DB> {
    async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Conn::Transaction(tx) => tx.commit().await,
            Conn::Pooled(_) => Ok(()),
        }
    }
}

/// A connection a request works on, on either dialect: a write transaction
/// ([`Db::begin`]), a read snapshot ([`Db::begin_read`]) or a plain read connection
/// ([`Db::read`]). Functions that take `&mut Tx` run on whichever they are given.
#[derive(Debug)]
pub enum Tx {
    Sqlite(Conn<Sqlite>),
    Postgres(Conn<Postgres>),
}

#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// The read pool's size on SQLite (default 8; the writer is one more connection), the
    /// pool's size on PostgreSQL (default [`default_postgres_pool`]).
    pub max_connections: Option<u32>,
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: None,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// Connections of the pool that serves reads (on SQLite the read pool; see [`Db::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL scheme (expected sqlite:// or postgres://): {0}")]
    UnsupportedScheme(String),
    #[error("could not create the directory for the SQLite file {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("could not connect to the database: {0}")]
    Connect(#[from] sqlx::Error),
}

/// The PostgreSQL pool size when none is configured: four connections per core, at
/// least 8 and at most 64. More connections than the server's cores can serve only add
/// context switches: on 2 cores, 8 connections answered point reads about 30% faster
/// and with a p99 of 13-16 ms against 23 ms for 16 (issue 9, `just bench`).
pub fn default_postgres_pool() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    u32::try_from(cores.saturating_mul(4))
        .unwrap_or(u32::MAX)
        .clamp(8, 64)
}

impl Db {
    /// Opens the pools for `url` (`sqlite://path`, `sqlite::memory:`, `postgres://...`).
    pub async fn connect(url: &str, config: &PoolConfig) -> Result<Db, ConnectError> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url, config).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections.unwrap_or_else(default_postgres_pool))
                .acquire_timeout(config.acquire_timeout)
                // No ping round trip before each acquire: a dead connection fails its
                // query instead (and is closed), which the next request retries on.
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let scheme = url.split(':').next().unwrap_or_default().to_owned();
            Err(ConnectError::UnsupportedScheme(scheme))
        }
    }

    async fn connect_sqlite(url: &str, config: &PoolConfig) -> Result<Db, ConnectError> {
        let options = SqliteConnectOptions::from_str(url)?
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let readers = config.max_connections.unwrap_or(8);
        if in_memory {
            // One shared in-memory database: a single pool, serialised by `BEGIN IMMEDIATE`.
            let pool = SqlitePoolOptions::new()
                .max_connections(readers)
                .acquire_timeout(config.acquire_timeout)
                .connect_with(options)
                .await?;
            return Ok(Db::Sqlite(SqlitePools {
                reader: pool.clone(),
                writer: pool,
                shared: true,
            }));
        }
        let path = options.get_filename();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ConnectError::CreateDir {
                path: path.display().to_string(),
                source,
            })?;
        }
        // The writer first: it creates the file and switches it to WAL (a persistent
        // setting). `synchronous=NORMAL` under WAL syncs at checkpoints, not at each
        // commit: a power loss may lose the last commits, never corrupts (ADR 0013).
        // It stays open for the process's life, so the WAL and its index stay in place
        // for the read-only connections.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .test_before_acquire(false)
            .acquire_timeout(config.acquire_timeout)
            .connect_with(
                options
                    .clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal),
            )
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .test_before_acquire(false)
            .acquire_timeout(config.acquire_timeout)
            .connect_with(options.read_only(true))
            .await?;
        Ok(Db::Sqlite(SqlitePools {
            reader,
            writer,
            shared: false,
        }))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a write transaction: on SQLite on the writer connection, with
    /// `BEGIN IMMEDIATE`.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pools) => Tx::Sqlite(Conn::Transaction(
                pools.writer.begin_with("BEGIN IMMEDIATE").await?,
            )),
            Db::Postgres(pool) => Tx::Postgres(Conn::Transaction(pool.begin().await?)),
        })
    }

    /// Starts a transaction that only reads, for several statements that must see one
    /// snapshot: a deferred `BEGIN` on a read connection on SQLite, `REPEATABLE READ, READ
    /// ONLY` on PostgreSQL (which never fails to commit). Never write in it; for a single
    /// statement use [`Db::read`], which saves the `BEGIN` and `COMMIT` round trips.
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pools) => Tx::Sqlite(Conn::Transaction(pools.reader.begin().await?)),
            Db::Postgres(pool) => Tx::Postgres(Conn::Transaction(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            )),
        })
    }

    /// A read connection without a transaction: each statement is its own snapshot. For
    /// reads of one statement through functions that take a `&mut Tx`; `commit` is a
    /// no-op. Never write on it (on SQLite the connection is read-only).
    pub async fn read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pools) => Tx::Sqlite(Conn::Pooled(pools.reader.acquire().await?)),
            Db::Postgres(pool) => Tx::Postgres(Conn::Pooled(pool.acquire().await?)),
        })
    }

    /// A round trip to the database, for readiness checks: on the read pool, so a queue
    /// of writes does not make the process look down.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        crate::with_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    /// The pool gauges: on SQLite the read pool's, so `max` is the configured
    /// `max_connections` (the writer is always one more connection, busy while a write
    /// runs; its queue shows as write latency, not here).
    pub fn stats(&self) -> PoolStats {
        crate::with_db!(self, pool => PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pools) => {
                pools.reader.close().await;
                if !pools.shared {
                    pools.writer.close().await;
                }
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    /// Commits the transaction; a no-op for a plain connection from [`Db::read`].
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(conn) => conn.commit().await,
            Tx::Postgres(conn) => conn.commit().await,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// Runs `$body` with `$pool` bound to the concrete read pool (`&SqlitePool` or `&PgPool`).
/// For reads only: on SQLite these connections are read-only. Writes use [`with_writer!`].
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.reader;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool that writes (`&SqlitePool` of the one
/// writer connection, or `&PgPool`): for a write of one statement outside a transaction.
#[macro_export]
macro_rules! with_writer {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(pools) => {
                let $pool = &pools.writer;
                $body
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the connection
/// (`&mut SqliteConnection` or `&mut PgConnection`); reborrow with `&mut *$conn`.
#[macro_export]
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::db::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}
