//! The database handle: one pool, SQLite or PostgreSQL, chosen from the URL.
//!
//! Stores write each query once and run it on either dialect through [`with_db!`] and
//! [`with_tx!`]: the macro expands the body once per driver, so both are type-checked.
//! Write transactions go through [`Db::begin`], which on SQLite takes the write lock up
//! front (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes fails
//! under concurrency and the busy timeout does not save it.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

/// The default database when no `DATABASE_URL` is given.
pub const DEFAULT_SQLITE_URL: &str = "sqlite://./data/lifeos.db";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open write transaction on either dialect.
#[derive(Debug)]
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

#[derive(Debug, Clone)]
pub struct PoolConfig {
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

impl Db {
    /// Opens a pool for `url` (`sqlite://path`, `sqlite::memory:`, `postgres://...`).
    pub async fn connect(url: &str, config: &PoolConfig) -> Result<Db, ConnectError> {
        if url.starts_with("sqlite:") {
            Self::connect_sqlite(url, config).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(config.max_connections.unwrap_or(16))
                .acquire_timeout(config.acquire_timeout)
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
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let path = options.get_filename();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| ConnectError::CreateDir {
                path: path.display().to_string(),
                source,
            })?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(config.max_connections.unwrap_or(8))
            .acquire_timeout(config.acquire_timeout)
            .connect_with(options)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    /// Starts a write transaction (`BEGIN IMMEDIATE` on SQLite).
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Starts a transaction that only reads: a plain (deferred) `BEGIN` on SQLite, so
    /// readers run side by side under WAL. Never write in it: a deferred transaction that
    /// turns into a writer fails under concurrency. Use [`Db::begin`] to write.
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin().await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        crate::with_db!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))
    }

    pub fn stats(&self) -> PoolStats {
        crate::with_db!(self, pool => PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    pub async fn close(&self) {
        crate::with_db!(self, pool => pool.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Tx::Sqlite(_) => Dialect::Sqlite,
            Tx::Postgres(_) => Dialect::Postgres,
        }
    }
}

/// Runs `$body` with `$pool` bound to the concrete pool (`&SqlitePool` or `&PgPool`).
#[macro_export]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the transaction's connection
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
