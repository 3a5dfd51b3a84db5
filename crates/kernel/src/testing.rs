//! Test support: a fresh database per test on every backend under test.
//!
//! SQLite always (a file in a temp dir). PostgreSQL when `TEST_DATABASE_URL` is set: a
//! new database is created on that server for each test and dropped afterwards. If the
//! variable is set but the server is unreachable the test fails: CI must not silently
//! skip PostgreSQL.

// Test support: a database that cannot be made is a failed test, so it panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// An empty database that is removed when dropped.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub label: &'static str,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(PgConnectOptions, String)>,
}

/// An empty PostgreSQL database on the `TEST_DATABASE_URL` server, or `None` (with a
/// note on stderr) when the variable is unset: PostgreSQL tests then pass vacuously, and
/// CI, which sets it, fails when the server is unreachable.
pub async fn postgres_if_configured() -> Option<TestDatabase> {
    match std::env::var(TEST_DATABASE_URL) {
        Ok(url) if !url.is_empty() => Some(postgres(&url).await),
        _ => {
            eprintln!("{TEST_DATABASE_URL} is not set: skipping the PostgreSQL run");
            None
        }
    }
}

/// Declares one test per dialect for an `async fn(TestDatabase)`: a module named after the
/// function with `sqlite` and `postgres` tests, so a failure names its dialect and one
/// dialect's failure never hides the other's result.
///
/// ```ignore
/// lifeos_kernel::dialect_test! {
///     async fn day_types_crud(db: TestDatabase) { /* ... */ }
/// }
/// ```
#[macro_export]
macro_rules! dialect_test {
    ($(#[$meta:meta])* async fn $name:ident($db:ident : $ty:ty) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($db: $ty) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::testing::sqlite()).await
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = $crate::testing::postgres_if_configured().await {
                    run(db).await
                }
            }
        }
    };
}

impl TestDatabase {
    /// A database this value does not own (nothing is dropped), e.g. reached through a proxy.
    pub fn borrowed(url: &str) -> TestDatabase {
        TestDatabase {
            url: url.to_owned(),
            label: "postgres",
            _dir: None,
            postgres: None,
        }
    }
}

pub fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("lifeos.db").display());
    TestDatabase {
        url,
        label: "sqlite",
        _dir: Some(dir),
        postgres: None,
    }
}

pub async fn postgres(admin_url: &str) -> TestDatabase {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let name = format!(
        "lifeos_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        crate::id::new_id()
            .simple()
            .to_string()
            .get(24..)
            .unwrap_or_default()
    );
    let admin = PgConnectOptions::from_str(admin_url).expect("TEST_DATABASE_URL is a postgres URL");
    let mut conn = admin
        .connect()
        .await
        .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is set but PostgreSQL is unreachable: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    let url = admin.clone().database(&name).to_url_lossy().to_string();
    TestDatabase {
        url,
        label: "postgres",
        _dir: None,
        postgres: Some((admin, name)),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs outside async context; a short-lived runtime on its own thread does the cleanup.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(mut conn) = admin.connect().await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Connects to `url` and applies `sets` (the platform set first): the database a store
/// test works on. The pool has 16 connections whatever the machine's cores, so a test
/// that holds several transactions open at once does not depend on the default size.
pub async fn open_migrated(url: &str, sets: &[crate::migrate::MigrationSet]) -> crate::Db {
    let config = crate::db::PoolConfig {
        max_connections: Some(16),
        ..crate::db::PoolConfig::default()
    };
    let db = crate::Db::connect(url, &config).await.expect("connect");
    crate::migrate::run(&db, sets).await.expect("migrate");
    db
}

/// Inserts a `users` row for `email` and returns its id.
pub async fn insert_user(db: &crate::Db, email: &str) -> uuid::Uuid {
    let id = crate::id::new_id();
    let now = crate::Timestamp::parse("2026-01-01T08:00:00Z").expect("a valid instant");
    crate::with_writer!(db, pool => {
        sqlx::query("INSERT INTO users (id, email, email_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
            .bind(id).bind(email).bind(email.to_lowercase()).bind(now)
            .execute(pool).await.expect("insert user");
    });
    id
}
