//! Cache invalidation across replicas: PostgreSQL `LISTEN`/`NOTIFY`.
//!
//! A process that keeps a cache of database state (identity's session liveness, ADR 0012)
//! [`publish`]es a short payload on a channel after the write that makes an entry stale
//! has committed; every replica runs a [`spawn_listener`] task that hands each payload on
//! that channel to its [`Subscriber`]. Notifications are fire-and-forget: one sent while a
//! listener's connection is down is lost, so whenever the listener (re)connects or fails it
//! tells the subscriber to forget everything ([`Subscriber::missed`]).
//!
//! SQLite has no notifications: [`publish`] does nothing and there is no listener, so a
//! cache shared by several processes on one SQLite file is bounded by its own expiry only.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use tokio::task::JoinHandle;

use crate::Db;

/// PostgreSQL's limit on a notification payload, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 7999;

/// Waits between attempts when the listener cannot connect.
const RETRY_MIN: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// Receives the payloads published on one channel.
pub trait Subscriber: Send + Sync + 'static {
    /// One payload, as published (possibly by this process itself).
    fn notified(&self, payload: &str);
    /// Notifications may have been missed (the listener is connecting, reconnected, or
    /// failed): drop everything cached.
    fn missed(&self);
}

/// Tells every listener on `channel` about `payload` (`pg_notify`); a no-op on SQLite.
///
/// Call it after the write it announces has committed: PostgreSQL delivers a notification
/// when the sending transaction commits, and here that is this statement's own.
pub async fn publish(db: &Db, channel: &str, payload: &str) -> Result<(), sqlx::Error> {
    match db {
        Db::Sqlite(_) => Ok(()),
        Db::Postgres(pool) => {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel)
                .bind(payload)
                .execute(pool)
                .await?;
            Ok(())
        }
    }
}

/// Starts a task that listens on `channel` and feeds `subscriber`, on its own connection
/// (not one of the pool's); `None` on SQLite. Abort the handle to stop it.
///
/// The subscriber is told [`Subscriber::missed`] each time the listener starts listening
/// (nothing published before was seen), when the connection drops, and on any error;
/// then it reconnects with a growing pause (100 ms to 5 s).
pub fn spawn_listener(
    db: &Db,
    channel: &str,
    subscriber: Arc<dyn Subscriber>,
) -> Option<JoinHandle<()>> {
    let Db::Postgres(pool) = db else {
        return None;
    };
    // A pool of one for the listener alone, from the same connect options: it neither takes
    // a connection from the application's pool nor ends when that pool is closed.
    let own: PgPool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with((*pool.connect_options()).clone());
    let channel = channel.to_owned();
    Some(tokio::spawn(listen(own, channel, subscriber)))
}

async fn listen(pool: sqlx::Pool<Postgres>, channel: String, subscriber: Arc<dyn Subscriber>) {
    let mut pause = RETRY_MIN;
    loop {
        match listen_once(&pool, &channel, subscriber.as_ref(), &mut pause).await {
            Ok(()) => tracing::warn!(%channel, "invalidation listener lost its connection"),
            Err(error) => tracing::warn!(%channel, %error, "invalidation listener failed"),
        }
        subscriber.missed();
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(RETRY_MAX);
    }
}

/// Listens until the connection drops (`Ok`) or fails (`Err`).
async fn listen_once(
    pool: &PgPool,
    channel: &str,
    subscriber: &dyn Subscriber,
    pause: &mut Duration,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.ignore_pool_close_event(true);
    // Reconnection is this loop's job, so that the subscriber hears of every gap.
    listener.eager_reconnect(false);
    listener.listen(channel).await?;
    // From here on nothing is missed; what was cached before may be stale.
    subscriber.missed();
    *pause = RETRY_MIN;
    while let Some(notification) = listener.try_recv().await? {
        subscriber.notified(notification.payload());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::testing;

    #[derive(Default)]
    struct Recorder {
        events: Mutex<Vec<String>>,
    }

    impl Subscriber for Recorder {
        fn notified(&self, payload: &str) {
            self.events.lock().unwrap().push(payload.to_owned());
        }
        fn missed(&self) {
            self.events.lock().unwrap().push("<missed>".to_owned());
        }
    }

    impl Recorder {
        fn events(&self) -> Vec<String> {
            self.events.lock().unwrap().clone()
        }

        async fn wait_for(&self, n: usize) -> Vec<String> {
            for _ in 0..200 {
                let events = self.events();
                if events.len() >= n {
                    return events;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            self.events()
        }
    }

    #[tokio::test]
    async fn sqlite_publishes_nothing_and_has_no_listener() {
        let db = testing::sqlite();
        let db = Db::connect(&db.url, &crate::db::PoolConfig::default())
            .await
            .unwrap();
        publish(&db, "lifeos_test", "x").await.unwrap();
        let recorder = Arc::new(Recorder::default());
        assert!(spawn_listener(&db, "lifeos_test", recorder).is_none());
    }

    #[tokio::test]
    async fn postgres_delivers_payloads_and_reports_gaps() {
        let Some(test_db) = testing::postgres_if_configured().await else {
            return;
        };
        let db = Db::connect(&test_db.url, &crate::db::PoolConfig::default())
            .await
            .unwrap();
        let recorder = Arc::new(Recorder::default());
        let task = spawn_listener(&db, "lifeos_test", recorder.clone()).unwrap();
        // Listening starts with a gap (nothing before it was seen).
        assert_eq!(recorder.wait_for(1).await, ["<missed>"]);
        publish(&db, "lifeos_test", "one").await.unwrap();
        publish(&db, "lifeos_other", "not ours").await.unwrap();
        publish(&db, "lifeos_test", "two").await.unwrap();
        assert_eq!(recorder.wait_for(3).await, ["<missed>", "one", "two"]);

        // The listener's connection is killed: it reports the gap and listens again.
        let Db::Postgres(pool) = &db else {
            unreachable!()
        };
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'",
        )
        .execute(pool)
        .await
        .unwrap();
        let events = recorder.wait_for(5).await;
        assert_eq!(&events[3..], ["<missed>", "<missed>"], "{events:?}");
        publish(&db, "lifeos_test", "three").await.unwrap();
        assert_eq!(recorder.wait_for(6).await.last().unwrap(), "three");
        task.abort();
        db.close().await;
    }
}
