//! The pools (ADR 0013): on SQLite every write goes through the one writer connection and
//! reads through read-only connections; on both dialects a single-statement read runs
//! without a transaction and sees what was committed before it.

// Tests: a panic is a failed assertion (clippy.toml allows it in unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::testing;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{
    Db, Dialect, StoreError, Timestamp, migrate, sync_row, with_db, with_tx, with_writer,
};
use uuid::Uuid;

async fn open(url: &str) -> Db {
    testing::open_migrated(url, &[migrate::platform()]).await
}

fn at() -> Timestamp {
    Timestamp::parse("2026-12-02T09:00:00Z").unwrap()
}

const WRITERS: usize = 24;
const WRITES_EACH: i64 = 20;
const READERS: usize = 4;

/// One write of `user` as services do it: the lock (a version) first, then the row, in
/// one transaction; every other write a single statement outside a transaction.
async fn write(db: &Db, outbox: &Outbox, user: Uuid, n: i64) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    sync_row::stamp(&mut tx, user, at()).await?;
    let event = NewEvent {
        user_id: Some(user),
        topic: "test.written".into(),
        payload: serde_json::json!({ "n": n }),
    };
    outbox.append(&mut tx, at(), event).await?;
    tx.commit().await?;
    if n % 2 == 0 {
        with_writer!(db, pool => {
            sqlx::query("UPDATE users SET updated_at = $2 WHERE id = $1")
                .bind(user).bind(at()).execute(pool).await?;
        });
    }
    Ok(())
}

lifeos_kernel::dialect_test! {
    async fn concurrent_writers_of_different_users_all_succeed_while_readers_run(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let outbox = Outbox::new(db.clone());
        let mut users = Vec::new();
        for i in 0..WRITERS {
            users.push(testing::insert_user(&db, &format!("user{i}@example.com")).await);
        }

        let writing = Arc::new(AtomicBool::new(true));
        let reads = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let (db, writing, reads, user) = (db.clone(), writing.clone(), reads.clone(), users[r]);
                tokio::spawn(async move {
                    while writing.load(Ordering::Relaxed) {
                        let mut conn = db.read().await?;
                        sync_row::current_version(&mut conn, user).await?;
                        conn.commit().await?;
                        with_db!(&db, pool => {
                            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox_events")
                                .fetch_one(pool).await?
                        });
                        reads.fetch_add(1, Ordering::Relaxed);
                        tokio::task::yield_now().await;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();

        let writers: Vec<_> = users
            .iter()
            .map(|&user| {
                let (db, outbox) = (db.clone(), outbox.clone());
                tokio::spawn(async move {
                    for n in 0..WRITES_EACH {
                        write(&db, &outbox, user, n).await?;
                    }
                    Ok::<_, StoreError>(())
                })
            })
            .collect();
        for writer in writers {
            // A SQLITE_BUSY ("database is locked") or a pool timeout fails here.
            writer.await.unwrap().unwrap_or_else(|e| panic!("{}: a write failed: {e}", test_db.label));
        }
        writing.store(false, Ordering::Relaxed);
        for reader in readers {
            reader.await.unwrap().unwrap_or_else(|e| panic!("{}: a read failed: {e}", test_db.label));
        }
        assert!(reads.load(Ordering::Relaxed) > 0, "{}: the readers ran", test_db.label);

        let mut conn = db.read().await.unwrap();
        for &user in &users {
            assert_eq!(sync_row::current_version(&mut conn, user).await.unwrap(), WRITES_EACH, "{}: every write counted", test_db.label);
        }
        let events: i64 = with_db!(&db, pool => {
            sqlx::query_scalar("SELECT count(*) FROM outbox_events").fetch_one(pool).await.unwrap()
        });
        assert_eq!(events, WRITERS as i64 * WRITES_EACH, "{}", test_db.label);
    }
}

lifeos_kernel::dialect_test! {
    async fn a_read_sees_a_committed_write_at_once(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let user = testing::insert_user(&db, "ada@example.com").await;
        for expected in 1..=50 {
            let mut tx = db.begin().await.unwrap();
            sync_row::stamp(&mut tx, user, at()).await.unwrap();
            tx.commit().await.unwrap();
            let mut conn = db.read().await.unwrap();
            assert_eq!(sync_row::current_version(&mut conn, user).await.unwrap(), expected, "{}: a transaction's write", test_db.label);
            drop(conn);

            let name = format!("n{expected}");
            with_writer!(&db, pool => {
                sqlx::query("UPDATE users SET display_name = $2 WHERE id = $1").bind(user).bind(&name).execute(pool).await.unwrap();
            });
            let seen: Option<String> = with_db!(&db, pool => {
                sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1").bind(user).fetch_one(pool).await.unwrap()
            });
            assert_eq!(seen.as_deref(), Some(name.as_str()), "{}: a single-statement write", test_db.label);
        }
    }
}

lifeos_kernel::dialect_test! {
    async fn a_plain_read_is_not_a_transaction(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let mut conn = db.read().await.unwrap();
        // In a PostgreSQL transaction a failed statement aborts every later one; on a plain
        // connection the next statement runs.
        let failed = with_tx!(&mut conn, c => {
            sqlx::query("SELECT * FROM no_such_table").execute(&mut *c).await.map(|_| ())
        });
        assert!(failed.is_err());
        let one: i32 = with_tx!(&mut conn, c => sqlx::query_scalar("SELECT 1").fetch_one(&mut *c).await.unwrap());
        assert_eq!(one, 1, "{}", test_db.label);
        conn.commit().await.expect("commit of a plain read is a no-op");
    }
}

lifeos_kernel::dialect_test! {
    async fn on_sqlite_only_the_writer_writes(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let user = testing::insert_user(&db, "ada@example.com").await;
        let Db::Sqlite(pools) = &db else {
            assert_eq!(db.dialect(), Dialect::Postgres);
            return;
        };
        assert_eq!(pools.writer.options().get_max_connections(), 1, "one writer connection");
        // A write sent to the read pool fails loudly instead of contending for the lock.
        let refused = sqlx::query("UPDATE users SET display_name = 'x' WHERE id = $1")
            .bind(user)
            .execute(&pools.reader)
            .await
            .expect_err("the read pool is read-only");
        assert!(refused.to_string().contains("readonly"), "{refused}");
        let mut read = db.begin_read().await.unwrap();
        let refused = sync_row::next_version(&mut read, user).await.expect_err("a read transaction cannot write");
        assert!(refused.to_string().contains("readonly"), "{refused}");
    }
}

/// Whether the next connection the pool hands out is still inside a transaction: two
/// statements outside one get two transaction ids, inside one the same.
async fn next_connection_is_inside_a_transaction(db: &Db) -> bool {
    let mut tx = db.read().await.unwrap();
    let ids: Result<(i64, i64), StoreError> = async {
        Ok(with_tx!(&mut tx, conn => {
            let first = sqlx::query_scalar::<_, i64>("SELECT txid_current()")
                .fetch_one(&mut *conn)
                .await?;
            let second = sqlx::query_scalar::<_, i64>("SELECT txid_current()")
                .fetch_one(&mut *conn)
                .await?;
            (first, second)
        }))
    }
    .await;
    // A connection in an aborted transaction refuses every statement.
    ids.map_or(true, |(first, second)| first == second)
}

/// A request cancelled while its transaction begins (a client that hangs up, a timeout)
/// must not leave the connection inside that transaction for the next request: sqlx 0.9.0
/// did so on PostgreSQL (transact-rs/sqlx#4393, fixed in 0.9.1), and every later statement
/// on that connection failed. On SQLite sqlx has rolled back such a BEGIN since 0.6.
#[tokio::test]
async fn a_cancelled_begin_leaves_no_open_transaction_on_postgres() {
    let Some(test_db) = testing::postgres_if_configured().await else {
        return;
    };
    let config = lifeos_kernel::db::PoolConfig {
        max_connections: Some(1),
        ..Default::default()
    };
    let db = Db::connect(&test_db.url, &config).await.unwrap();
    for micros in (0..400).step_by(5) {
        let budget = std::time::Duration::from_micros(micros);
        let begun = tokio::time::timeout(budget, db.begin()).await;
        drop(begun);
        assert!(
            !next_connection_is_inside_a_transaction(&db).await,
            "a begin cancelled after {micros} µs left its transaction open on the pooled connection"
        );
    }
    db.close().await;
}
