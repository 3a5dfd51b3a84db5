//! The outbox's NATS JetStream relay against the machine's NATS server (127.0.0.1:4222,
//! or `TEST_NATS_URL`). NATS is always there in CI: a test that cannot reach it fails.
//! Each test relays to a stream and subject prefix of its own and deletes the stream.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::jetstream::{self, stream::Stream};
use futures_util::StreamExt;
use lifeos_gateway::app::{self, StartError};
use lifeos_gateway::config::NatsConfig;
use lifeos_gateway::relay::RelayError;
use lifeos_kernel::outbox::Event;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, TestClock, with_db, with_writer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

use crate::common::{self, TestApp};

fn nats_url() -> String {
    std::env::var("TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A stream and prefix no other test (or run) uses.
fn private_nats() -> NatsConfig {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    NatsConfig {
        url: nats_url(),
        stream: format!("LIFEOS_TEST_{suffix}"),
        subject_prefix: format!("lifeos-test.{suffix}"),
    }
}

async fn client() -> async_nats::Client {
    async_nats::connect(nats_url())
        .await
        .expect("NATS is reachable (CI always runs it)")
}

async fn jetstream() -> jetstream::Context {
    jetstream::new(client().await)
}

async fn outbox_events(db: &Db) -> Vec<Event> {
    const SQL: &str = "SELECT tx_id, seq, id, user_id, topic, payload, occurred_at \
                       FROM outbox_events ORDER BY tx_id, seq";
    with_db!(db, pool => {
        sqlx::query_as::<_, Event>(SQL).fetch_all(pool).await.unwrap()
    })
}

/// Every message the stream holds, in stream order.
async fn messages(stream: &Stream) -> Vec<jetstream::message::StreamMessage> {
    let info = stream.get_info().await.unwrap();
    let mut out = Vec::new();
    for seq in info.state.first_sequence..=info.state.last_sequence {
        if info.state.messages == 0 {
            break;
        }
        if let Ok(message) = stream.get_raw_message(seq).await {
            out.push(message);
        }
    }
    out
}

/// Waits until the stream holds a message whose id is `id`.
async fn wait_for(stream: &Stream, id: uuid::Uuid) -> Vec<jetstream::message::StreamMessage> {
    for _ in 0..150 {
        let all = messages(stream).await;
        if all.iter().any(|m| msg_id(m) == id.to_string()) {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("event {id} never reached the stream");
}

fn msg_id(message: &jetstream::message::StreamMessage) -> String {
    message
        .headers
        .get("Nats-Msg-Id")
        .map(|v| v.as_str().to_owned())
        .unwrap_or_default()
}

async fn set_consent(app: &TestApp, token: &str, granted: bool) {
    let reply = app
        .call(
            Method::PUT,
            "/api/v1/me/consents/recommendations",
            Some(token),
            Some(json!({ "granted": granted })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// The last `identity.consent_changed` event in the outbox.
async fn last_consent_event(app: &TestApp) -> Event {
    outbox_events(app.db())
        .await
        .into_iter()
        .rev()
        .find(|e| e.topic == "identity.consent_changed")
        .expect("a consent event")
}

/// Asserts that the stream holds each outbox event exactly once, as the relay shapes it.
fn assert_once_each(
    nats: &NatsConfig,
    events: &[Event],
    stored: &[jetstream::message::StreamMessage],
) {
    let mut by_id: HashMap<String, Vec<&jetstream::message::StreamMessage>> = HashMap::new();
    for message in stored {
        by_id.entry(msg_id(message)).or_default().push(message);
    }
    assert_eq!(
        stored.len(),
        events.len(),
        "one message per event: {by_id:?}"
    );
    for event in events {
        let copies = by_id
            .get(&event.id.to_string())
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert_eq!(
            copies.len(),
            1,
            "event {} ({}) stored once",
            event.id,
            event.topic
        );
        let message = copies[0];
        assert_eq!(
            message.subject.as_str(),
            format!("{}.{}", nats.subject_prefix, event.topic)
        );
        let body: Value = serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(body["id"], event.id.to_string());
        assert_eq!(body["topic"], event.topic);
        assert_eq!(body["payload"], event.payload.0);
        assert_eq!(
            body["userId"],
            event
                .user_id
                .map_or(Value::Null, |u| Value::String(u.to_string()))
        );
        assert_eq!(body["occurredAt"], json!(event.occurred_at));
        assert!(
            body.get("seq").is_none() && body.get("txId").is_none(),
            "{body}"
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn every_event_reaches_the_stream_once_even_when_redelivered(db: TestDatabase) {
        let nats = private_nats();
        let config = nats.clone();
        let app = TestApp::spawn_with(&db, |c| c.nats = Some(config)).await;
        let js = jetstream().await;
        // The relay created the stream at start, with the plan's subjects.
        let stream = js.get_stream(&nats.stream).await.expect("the relay created the stream");
        assert_eq!(
            stream.cached_info().config.subjects,
            vec![format!("{}.>", nats.subject_prefix)]
        );

        let token = app.user("ada@example.com").await;
        set_consent(&app, &token, true).await;
        let granted = last_consent_event(&app).await;
        assert_eq!(granted.payload.0, json!({ "purpose": "recommendations", "granted": true }));
        let stored = wait_for(&stream, granted.id).await;
        assert_once_each(&nats, &outbox_events(app.db()).await, &stored);

        // Core NATS subscribers see every publish, duplicates too: the proof that the
        // relay did publish again.
        let client = client().await;
        let mut published = client
            .subscribe(format!("{}.>", nats.subject_prefix))
            .await
            .unwrap();
        client.flush().await.unwrap();
        // Rewind the relay's cursor: every event is published again, and JetStream keeps
        // one copy of each (Nats-Msg-Id). The withdrawal, after them in delivery order,
        // says when the replay is through.
        with_writer!(app.db(), pool => {
            sqlx::query("UPDATE outbox_cursors SET tx_id = 0, position = 0 WHERE subscriber = 'nats.relay'")
                .execute(pool)
                .await
                .unwrap();
        });
        set_consent(&app, &token, false).await;
        let withdrawn = last_consent_event(&app).await;
        let stored = wait_for(&stream, withdrawn.id).await;
        assert_once_each(&nats, &outbox_events(app.db()).await, &stored);
        let mut republished = 0;
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_millis(500), published.next()).await
        {
            let id = message.headers.as_ref().and_then(|h| h.get("Nats-Msg-Id"));
            if id.map(|v| v.as_str()) == Some(granted.id.to_string().as_str()) {
                republished += 1;
            }
        }
        assert_eq!(republished, 1, "the rewound cursor published the grant again");

        app.stop().await;
        js.delete_stream(&nats.stream).await.unwrap();
    }
}

lifeos_kernel::dialect_test! {
    async fn an_existing_stream_is_used_as_it_is(db: TestDatabase) {
        let nats = private_nats();
        let js = jetstream().await;
        let mut mine = lifeos_gateway::relay::stream_config(&nats);
        mine.max_age = Duration::from_secs(3600);
        js.create_stream(mine).await.unwrap();
        let config = nats.clone();
        let app = TestApp::spawn_with(&db, |c| c.nats = Some(config)).await;
        let token = app.user("ada@example.com").await;
        set_consent(&app, &token, true).await;
        let stream = js.get_stream(&nats.stream).await.unwrap();
        wait_for(&stream, last_consent_event(&app).await.id).await;
        assert_eq!(stream.cached_info().config.max_age, Duration::from_secs(3600));
        app.stop().await;
        js.delete_stream(&nats.stream).await.unwrap();
    }
}

#[tokio::test]
async fn an_unreachable_nats_fails_the_start() {
    let db = lifeos_kernel::testing::sqlite();
    let mail = tempfile::tempdir().unwrap();
    let mut config = common::config(&db.url, mail.path());
    // Port 1: nothing listens there.
    config.nats = Some(NatsConfig::new("nats://127.0.0.1:1"));
    let clock = Arc::new(TestClock::starting_now());
    let Err(error) = app::start(&config, clock, std::future::pending()).await else {
        panic!("the start fails");
    };
    assert!(
        matches!(error, StartError::Nats(RelayError::Connect { .. })),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("could not connect to NATS at nats://127.0.0.1:1"),
        "{error}"
    );
}
