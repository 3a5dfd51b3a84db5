//! The outbox's relay to NATS JetStream (`LIFEOS_NATS_URL`): an outbox subscriber that
//! publishes every event to `<prefix>.<topic>` on one stream, for consumers outside this
//! process (other services, analytics, a future split of a domain).
//!
//! Delivery: the outbox is at least once, JetStream de-duplicates by `Nats-Msg-Id` (the
//! event id) within the stream's duplicate window, and `handle` returns only once the
//! stream acked the message, so the outbox cursor never passes an event JetStream does
//! not hold. A redelivered event (a crash before the cursor moved, a rewound cursor
//! within the window) is stored once.

use std::time::Duration;

use async_nats::jetstream::{self, message::PublishMessage, stream};
use async_trait::async_trait;
use lifeos_kernel::outbox::{Event, Subscriber};
use lifeos_kernel::{StoreError, Timestamp};
use serde::Serialize;
use uuid::Uuid;

use crate::config::{NatsConfig, redact_url};

/// How long the stream keeps an event: long enough for a consumer that was down for a
/// weekend to catch up.
pub const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The stream's de-duplication window (JetStream's default is 2 minutes): a redelivery
/// after a restart that took longer than that would be stored twice.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(60 * 60);
/// How long connecting may take before the start fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("could not connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("could not create or read the JetStream stream {stream}: {reason}")]
    Stream { stream: String, reason: String },
}

/// The outbox subscriber `nats.relay`.
pub struct NatsRelay {
    jetstream: jetstream::Context,
    subject_prefix: String,
}

impl std::fmt::Debug for NatsRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsRelay")
            .field("subject_prefix", &self.subject_prefix)
            .finish_non_exhaustive()
    }
}

impl NatsRelay {
    /// Connects and makes sure the stream exists (created when missing; an existing
    /// stream's settings are left as its operator made them).
    pub async fn connect(config: &NatsConfig) -> Result<NatsRelay, RelayError> {
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(CONNECT_TIMEOUT)
            .connect(config.url.as_str())
            .await
            .map_err(|e| RelayError::Connect {
                url: redact_url(&config.url),
                reason: e.to_string(),
            })?;
        let jetstream = jetstream::new(client);
        jetstream
            .get_or_create_stream(stream_config(config))
            .await
            .map_err(|e| RelayError::Stream {
                stream: config.stream.clone(),
                reason: e.to_string(),
            })?;
        Ok(NatsRelay {
            jetstream,
            subject_prefix: config.subject_prefix.clone(),
        })
    }

    fn subject(&self, topic: &str) -> String {
        format!("{}.{topic}", self.subject_prefix)
    }
}

/// The stream every relayed subject lands in.
pub fn stream_config(config: &NatsConfig) -> stream::Config {
    stream::Config {
        name: config.stream.clone(),
        subjects: vec![format!("{}.>", config.subject_prefix)],
        storage: stream::StorageType::File,
        max_age: MAX_AGE,
        duplicate_window: DUPLICATE_WINDOW,
        ..stream::Config::default()
    }
}

/// The relayed body: the event as the API names its fields (no delivery position).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    id: Uuid,
    user_id: Option<Uuid>,
    topic: &'a str,
    payload: &'a serde_json::Value,
    occurred_at: Timestamp,
}

/// A NATS failure as the subscriber contract's error: the outbox retries it later.
fn transport(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Io(std::io::Error::other(format!(
        "NATS {what}: {error}"
    ))))
}

#[async_trait]
impl Subscriber for NatsRelay {
    fn name(&self) -> &'static str {
        "nats.relay"
    }

    async fn handle(&self, event: &Event) -> Result<(), StoreError> {
        let body = serde_json::to_vec(&Body {
            id: event.id,
            user_id: event.user_id,
            topic: &event.topic,
            payload: &event.payload.0,
            occurred_at: event.occurred_at,
        })?;
        let message = PublishMessage::build()
            .payload(body.into())
            .message_id(event.id.to_string());
        let ack = self
            .jetstream
            .send_publish(self.subject(&event.topic), message)
            .await
            .map_err(|e| transport("publish", e))?;
        // The ack is what makes the event durable; only then may the cursor move.
        ack.await.map_err(|e| transport("publish ack", e))?;
        Ok(())
    }
}
