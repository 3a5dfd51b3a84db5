//! The platform tables and kernel helpers on every backend under test.

// Tests: a panic is a failed assertion (clippy.toml allows it in unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use lifeos_kernel::outbox::{EventSource, NewEvent, Outbox};
use lifeos_kernel::testing;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, Timestamp, migrate, sync_row, with_db, with_writer};
use uuid::Uuid;

async fn open(url: &str) -> Db {
    testing::open_migrated(url, &[migrate::platform()]).await
}

async fn insert_user(db: &Db, email: &str) -> Uuid {
    testing::insert_user(db, email).await
}

lifeos_kernel::dialect_test! {
    async fn migrations_apply_twice_without_clashing(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        migrate::run(&db, &[migrate::platform()])
            .await
            .expect("second run is a no-op");
        let applied = with_db!(&db, pool => {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM _sqlx_migrations_platform").fetch_one(pool).await.unwrap()
        });
        assert!(
            applied >= 1,
            "{}: platform migrations recorded in their own table",
            test_db.label
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn email_is_unique_case_insensitively(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        insert_user(&db, "Ada@Example.com").await;
        let now = Timestamp::parse("2026-11-21T08:00:00Z").unwrap();
        let err = with_writer!(&db, pool => {
            sqlx::query("INSERT INTO users (id, email, email_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)")
                .bind(Uuid::now_v7()).bind("ada@example.COM").bind("ada@example.com").bind(now)
                .execute(pool).await.map(|_| ()).map_err(lifeos_kernel::StoreError::from)
        })
        .unwrap_err();
        assert!(err.is_unique_violation(), "{}: {err}", test_db.label);
    }
}

lifeos_kernel::dialect_test! {
    async fn change_counter_is_per_user_and_transactional(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let bob = insert_user(&db, "bob@example.com").await;

        let mut tx = db.begin().await.unwrap();
        assert_eq!(sync_row::next_version(&mut tx, ada).await.unwrap(), 1);
        assert_eq!(sync_row::next_version(&mut tx, ada).await.unwrap(), 2);
        assert_eq!(sync_row::next_version(&mut tx, bob).await.unwrap(), 1);
        tx.commit().await.unwrap();

        let mut rolled_back = db.begin().await.unwrap();
        assert_eq!(
            sync_row::next_version(&mut rolled_back, ada).await.unwrap(),
            3
        );
        drop(rolled_back);

        let mut tx = db.begin().await.unwrap();
        assert_eq!(
            sync_row::current_version(&mut tx, ada).await.unwrap(),
            2,
            "{}: rollback undid the bump",
            test_db.label
        );
        assert_eq!(sync_row::next_version(&mut tx, ada).await.unwrap(), 3);
        tx.commit().await.unwrap();
    }
}

lifeos_kernel::dialect_test! {
    async fn outbox_events_commit_with_the_change_and_each_subscriber_has_its_cursor(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let outbox = Outbox::new(db.clone());
        let at = Timestamp::parse("2026-11-21T09:00:00Z").unwrap();
        let event = |n: i32| NewEvent {
            user_id: Some(ada),
            topic: "test.happened".into(),
            payload: serde_json::json!({ "n": n }),
        };

        let mut rolled_back = db.begin().await.unwrap();
        outbox.append(&mut rolled_back, at, event(0)).await.unwrap();
        drop(rolled_back);

        let mut tx = db.begin().await.unwrap();
        outbox.append(&mut tx, at, event(1)).await.unwrap();
        outbox.append(&mut tx, at, event(2)).await.unwrap();
        tx.commit().await.unwrap();
        outbox.wake();

        // On PostgreSQL a commit is delivered once every older transaction on the server
        // has ended (ADR 0008); other tests' transactions can delay that, so poll for it.
        let deadline = Instant::now() + Duration::from_secs(30);
        let seen = loop {
            let seen = outbox.fetch("gamification", 10).await.unwrap();
            if !seen.is_empty() || Instant::now() > deadline {
                break seen;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let ns: Vec<i64> = seen
            .iter()
            .map(|e| e.payload.0["n"].as_i64().unwrap())
            .collect();
        assert_eq!(
            ns,
            vec![1, 2],
            "{}: only committed events, in order",
            test_db.label
        );
        assert_eq!(seen[0].occurred_at, at);

        outbox.ack("gamification", &seen[0], at).await.unwrap();
        let after_ack = outbox.fetch("gamification", 10).await.unwrap();
        assert_eq!(after_ack.len(), 1);
        assert_eq!(after_ack[0].payload.0["n"], 2);

        let other = outbox.fetch("recommender", 10).await.unwrap();
        assert_eq!(
            other.len(),
            2,
            "{}: another subscriber still sees everything",
            test_db.label
        );

        outbox.ack("gamification", &seen[0], at).await.unwrap();
        assert_eq!(
            outbox.fetch("gamification", 10).await.unwrap().len(),
            1,
            "an old ack never moves the cursor back"
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn timestamps_round_trip_and_compare_in_sql(test_db: TestDatabase) {
        let db = open(&test_db.url).await;
        let ada = insert_user(&db, "ada@example.com").await;
        let whole = Timestamp::parse("2026-03-29T01:30:00Z").unwrap();
        let fractional = Timestamp::parse("2026-03-29T01:30:00.250001Z").unwrap();
        let mut tx = db.begin().await.unwrap();
        for (key, at) in [("a", whole), ("b", fractional)] {
            lifeos_kernel::with_tx!(&mut tx, conn => {
                sqlx::query("INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(ada).bind(key).bind(vec![0_u8]).bind(at).execute(&mut *conn).await.unwrap();
            });
        }
        tx.commit().await.unwrap();
        let later: Vec<(String, Timestamp)> = with_db!(&db, pool => {
            sqlx::query_as("SELECT key, created_at FROM idempotency_keys WHERE created_at > $1 ORDER BY created_at")
                .bind(whole).fetch_all(pool).await.unwrap()
        });
        assert_eq!(
            later,
            vec![("b".to_owned(), fractional)],
            "{}: SQL order is time order",
            test_db.label
        );
    }
}
