//! The event outbox: a domain change and the events it causes commit together.
//!
//! Writers call [`Outbox::append`] inside their transaction and [`Outbox::wake`] after
//! commit. Each subscriber reads through an [`EventSource`] with its own cursor, so a
//! slow consumer never holds back another. Delivery here is in process (a wake-up plus a
//! polling fallback, which also notices events written by other replicas); a NATS
//! JetStream or LISTEN/NOTIFY transport can implement [`EventSource`] later.
//!
//! Ordering without a global lock (ADR 0008): every event records the id of the
//! transaction that wrote it (`tx_id`) and is delivered in `(tx_id, seq)` order, and a
//! cursor is such a pair. On PostgreSQL a fetch returns only events whose `tx_id` is below
//! the xmin of its own snapshot: every transaction below xmin has ended, so no event can
//! appear there later, and a cursor never passes an event that has yet to commit. Writers
//! take no shared lock, so different users' writes never wait for each other; a
//! transaction that stays open only delays delivery of events from transactions that took
//! their id after it, until it ends. On SQLite writers hold the write lock from
//! `BEGIN IMMEDIATE` to commit, so `seq` order is commit order and `tx_id` is always 0.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use sqlx::types::Json;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::{Db, StoreError, Timestamp, Tx, with_db, with_tx, with_writer};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NewEvent {
    pub user_id: Option<Uuid>,
    /// `<domain>.<what_happened>`, e.g. `identity.consent_changed`.
    pub topic: String,
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct Event {
    /// The id of the transaction that wrote the event on PostgreSQL; 0 on SQLite and for
    /// events written before ADR 0008. Events are delivered in `(tx_id, seq)` order.
    pub tx_id: i64,
    /// Unique, increasing in append order (on PostgreSQL not necessarily in commit order).
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
    /// Up to `max` events after `subscriber`'s cursor, in delivery order. An event that
    /// cannot be placed in that order yet (a transaction that took its id earlier is still
    /// open) comes in a later fetch, and never behind the cursor.
    async fn fetch(&self, subscriber: &str, max: u32) -> Result<Vec<Event>, StoreError>;
    /// Moves `subscriber`'s cursor past `event`, one this source fetched. Acking an event
    /// at or before the cursor changes nothing.
    async fn ack(&self, subscriber: &str, event: &Event, at: Timestamp) -> Result<(), StoreError>;
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

    /// Writes `event` inside `tx`; it becomes visible when `tx` commits. Takes no lock: on
    /// PostgreSQL the `tx_id` column's default stamps the row with the transaction's id.
    pub async fn append(
        &self,
        tx: &mut Tx,
        at: Timestamp,
        event: NewEvent,
    ) -> Result<Uuid, StoreError> {
        const INSERT: &str = "INSERT INTO outbox_events (id, user_id, topic, payload, occurred_at) \
                              VALUES ($1, $2, $3, $4, $5)";
        let id = crate::id::new_id();
        with_tx!(tx, conn => {
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

/// The fetch query, given `$bound`: a `tx_id` below which every transaction has ended.
macro_rules! fetch_sql {
    ($bound:literal) => {
        concat!(
            "SELECT tx_id, seq, id, user_id, topic, payload, occurred_at FROM outbox_events \
             WHERE (tx_id, seq) > (\
                 COALESCE((SELECT tx_id FROM outbox_cursors WHERE subscriber = $1), 0), \
                 COALESCE((SELECT position FROM outbox_cursors WHERE subscriber = $1), 0)) \
             AND tx_id < ",
            $bound,
            " ORDER BY tx_id, seq LIMIT $2"
        )
    };
}

/// PostgreSQL: the xmin of the statement's own snapshot. Every transaction with a smaller
/// id has committed or aborted, and the committed ones are visible to that snapshot.
const FETCH_POSTGRES: &str = fetch_sql!("pg_snapshot_xmin(pg_current_snapshot())::text::bigint");
/// SQLite: `tx_id` is always 0 and `seq` order is commit order, so every committed row is final.
const FETCH_SQLITE: &str = fetch_sql!("9223372036854775807");

#[async_trait]
impl EventSource for Outbox {
    async fn fetch(&self, subscriber: &str, max: u32) -> Result<Vec<Event>, StoreError> {
        let sql = match &self.db {
            Db::Sqlite(_) => FETCH_SQLITE,
            Db::Postgres(_) => FETCH_POSTGRES,
        };
        let events = with_db!(&self.db, pool => {
            sqlx::query_as::<_, Event>(sql).bind(subscriber).bind(i64::from(max)).fetch_all(pool).await?
        });
        Ok(events)
    }

    async fn ack(&self, subscriber: &str, event: &Event, at: Timestamp) -> Result<(), StoreError> {
        const SQL: &str = "INSERT INTO outbox_cursors (subscriber, tx_id, position, updated_at) \
                           VALUES ($1, $2, $3, $4) \
                           ON CONFLICT (subscriber) DO UPDATE SET tx_id = excluded.tx_id, \
                           position = excluded.position, updated_at = excluded.updated_at \
                           WHERE (outbox_cursors.tx_id, outbox_cursors.position) < (excluded.tx_id, excluded.position)";
        with_writer!(&self.db, pool => {
            sqlx::query(SQL).bind(subscriber).bind(event.tx_id).bind(event.seq).bind(at).execute(pool).await?;
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
            // One ack per batch, after the last event handled: acking each event cost a
            // write per event and subscriber. A crash before the ack redelivers the batch,
            // which handlers allow (delivery is at least once).
            let mut handled = None;
            let mut failed = false;
            for event in &events {
                if let Err(error) = subscriber.handle(event).await {
                    tracing::warn!(subscriber = name, tx_id = event.tx_id, seq = event.seq, %error, "event handler failed; will retry");
                    failed = true;
                    break;
                }
                handled = Some(event);
            }
            if let Some(event) = handled
                && let Err(error) = source.ack(name, event, clock.now()).await
            {
                tracing::warn!(subscriber = name, %error, "outbox ack failed");
            }
            if failed {
                tokio::time::sleep(POLL_INTERVAL).await;
            }
        }
    })
}
