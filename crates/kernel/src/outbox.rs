//! The event outbox: a domain change and the events it causes commit together.
//!
//! Writers call [`Outbox::append`] inside their transaction and [`Outbox::wake`] after
//! commit. Each subscriber reads through an [`EventSource`] with its own cursor, so a
//! slow consumer never holds back another. Delivery here is in process (a wake-up plus a
//! polling fallback, which also notices events written by other replicas); a NATS
//! JetStream or LISTEN/NOTIFY transport can implement [`EventSource`] later.
//!
//! On PostgreSQL, appends take a transaction-scoped advisory lock so sequence numbers
//! commit in order: a reader never skips an event whose transaction committed late.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use sqlx::types::Json;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{Db, Dialect, StoreError, Timestamp, Tx, with_db, with_tx};

/// Arbitrary constant naming the outbox's advisory lock.
const OUTBOX_LOCK_KEY: i64 = 0x6c69_6665_6f73_0001;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewEvent {
    pub user_id: Option<Uuid>,
    /// `<domain>.<what_happened>`, e.g. `identity.consent_changed`.
    pub topic: String,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Event {
    pub seq: i64,
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub topic: String,
    pub payload: Json<serde_json::Value>,
    pub occurred_at: Timestamp,
}

/// Reading side: one cursor per subscriber.
#[async_trait]
pub trait EventSource: Send + Sync {
    /// Up to `max` events after `subscriber`'s cursor, oldest first.
    async fn fetch(&self, subscriber: &str, max: u32) -> Result<Vec<Event>, StoreError>;
    /// Moves `subscriber`'s cursor past `seq`.
    async fn ack(&self, subscriber: &str, seq: i64, at: Timestamp) -> Result<(), StoreError>;
    /// Resolves when new events may exist, or after `timeout`.
    async fn wait(&self, timeout: Duration);
}

#[derive(Debug, Clone)]
pub struct Outbox {
    db: Db,
    notify: Arc<Notify>,
}

impl Outbox {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            notify: Arc::new(Notify::new()),
        }
    }

    /// Writes `event` inside `tx`; it becomes visible when `tx` commits.
    pub async fn append(
        &self,
        tx: &mut Tx,
        at: Timestamp,
        event: NewEvent,
    ) -> Result<Uuid, StoreError> {
        const INSERT: &str = "INSERT INTO outbox_events (id, user_id, topic, payload, occurred_at) \
                              VALUES ($1, $2, $3, $4, $5)";
        let id = crate::id::new_id();
        let serialize_commits = tx.dialect() == Dialect::Postgres;
        with_tx!(tx, conn => {
            if serialize_commits {
                sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(OUTBOX_LOCK_KEY).execute(&mut *conn).await?;
            }
            sqlx::query(INSERT)
                .bind(id)
                .bind(event.user_id)
                .bind(&event.topic)
                .bind(Json(&event.payload))
                .bind(at)
                .execute(&mut *conn)
                .await?;
        });
        Ok(id)
    }

    /// Tells in-process subscribers that a transaction with events committed.
    pub fn wake(&self) {
        self.notify.notify_waiters();
    }
}

#[async_trait]
impl EventSource for Outbox {
    async fn fetch(&self, subscriber: &str, max: u32) -> Result<Vec<Event>, StoreError> {
        const SQL: &str = "SELECT seq, id, user_id, topic, payload, occurred_at FROM outbox_events \
                           WHERE seq > COALESCE((SELECT position FROM outbox_cursors WHERE subscriber = $1), 0) \
                           ORDER BY seq LIMIT $2";
        let events = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Event>(SQL).bind(subscriber).bind(i64::from(max)).fetch_all(pool).await?
        });
        Ok(events)
    }

    async fn ack(&self, subscriber: &str, seq: i64, at: Timestamp) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO outbox_cursors (subscriber, position, updated_at) VALUES ($1, $2, $3) \
                           ON CONFLICT (subscriber) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at \
                           WHERE outbox_cursors.position < excluded.position";
        with_db!(&self.db, pool => {
            sqlx::query(SQL).bind(subscriber).bind(seq).bind(at).execute(pool).await?;
        });
        Ok(())
    }

    async fn wait(&self, timeout: Duration) {
        let _ = tokio::time::timeout(timeout, self.notify.notified()).await;
    }
}

/// A consumer of outbox events, with its own cursor.
#[async_trait]
pub trait Subscriber: Send + Sync {
    /// The cursor's name; stable across releases.
    fn name(&self) -> &'static str;
    /// Handles one event. Delivery is at least once, so handlers are idempotent.
    async fn handle(&self, event: &Event) -> Result<(), StoreError>;
}

/// How long a subscriber sleeps when nothing woke it: also how soon it notices events
/// written by other replicas.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Feeds `subscriber` every event after its cursor, in order, until the task is aborted.
/// A failing handler is retried (after a pause) without moving the cursor.
pub fn spawn_subscriber(
    source: Arc<dyn EventSource>,
    clock: crate::SharedClock,
    subscriber: Arc<dyn Subscriber>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let name = subscriber.name();
        loop {
            let events = match source.fetch(name, 100).await {
                Ok(events) => events,
                Err(error) => {
                    tracing::warn!(subscriber = name, %error, "outbox fetch failed");
                    tokio::time::sleep(POLL_INTERVAL).await;
                    continue;
                }
            };
            if events.is_empty() {
                source.wait(POLL_INTERVAL).await;
                continue;
            }
            for event in events {
                if let Err(error) = subscriber.handle(&event).await {
                    tracing::warn!(subscriber = name, seq = event.seq, %error, "event handler failed; will retry");
                    tokio::time::sleep(POLL_INTERVAL).await;
                    break;
                }
                if let Err(error) = source.ack(name, event.seq, clock.now()).await {
                    tracing::warn!(subscriber = name, %error, "outbox ack failed");
                    break;
                }
            }
        }
    })
}
