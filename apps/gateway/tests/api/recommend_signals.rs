//! The recommender's signals from other domains' events, and consent withdrawal: real
//! actions over HTTP, the subscriber's effect read from the database.

use std::time::Duration;

use lifeos_kernel::outbox::{Event, Subscriber};
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, Timestamp, with_db, with_writer};
use lifeos_recommender::signals::SignalListener;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::TestApp;
use crate::common::seed::daily_habit;

async fn user_id(db: &Db, email: &str) -> Uuid {
    with_db!(db, pool => {
        sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

/// The user's `signal` row: (count, last_at).
async fn signal(db: &Db, user: Uuid, name: &str) -> Option<(i64, Timestamp)> {
    const SQL: &str = "SELECT CAST(count AS BIGINT), last_at FROM rec_signals \
                       WHERE user_id = $1 AND signal = $2";
    with_db!(db, pool => {
        sqlx::query_as(SQL).bind(user).bind(name).fetch_optional(pool).await.unwrap()
    })
}

/// Rows of `table` that belong to the user.
async fn rows(db: &Db, table: &str, user: Uuid) -> i64 {
    let sql = match table {
        "rec_decisions" => "SELECT COUNT(*) FROM rec_decisions WHERE user_id = $1",
        "rec_suppressions" => "SELECT COUNT(*) FROM rec_suppressions WHERE user_id = $1",
        "rec_signals" => "SELECT COUNT(*) FROM rec_signals WHERE user_id = $1",
        other => panic!("not a recommender table: {other}"),
    };
    with_db!(db, pool => {
        sqlx::query_scalar(sql).bind(user).fetch_one(pool).await.unwrap()
    })
}

/// Polls until the user's `signal` has `count` (the subscriber runs beside the request).
async fn wait_for_count(app: &TestApp, user: Uuid, name: &str, count: i64) -> Timestamp {
    for _ in 0..100 {
        if let Some((seen, last_at)) = signal(app.db(), user, name).await
            && seen == count
        {
            return last_at;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "{}: {name} never reached {count}: {:?}",
        app.label,
        signal(app.db(), user, name).await
    );
}

async fn set_consent(app: &TestApp, token: &str, purpose: &str, granted: bool) {
    let reply = app
        .call(
            Method::PUT,
            &format!("/api/v1/me/consents/{purpose}"),
            Some(token),
            Some(json!({ "granted": granted })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// Completes `node`; the completion's id.
async fn complete(app: &TestApp, token: &str, node: &str) -> String {
    let reply = app
        .post(
            &format!("/api/v1/nodes/{node}/complete"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body["completion"]["id"].as_str().unwrap().to_owned()
}

async fn outbox_event(db: &Db, topic: &str) -> Event {
    const SQL: &str = "SELECT tx_id, seq, id, user_id, topic, payload, occurred_at \
                       FROM outbox_events WHERE topic = $1 ORDER BY tx_id, seq";
    with_db!(db, pool => {
        sqlx::query_as::<_, Event>(SQL).bind(topic).fetch_one(pool).await.unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn completions_and_undos_are_counted_once_each(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let token = app.user("ada@example.com").await;
        let ada = user_id(app.db(), "ada@example.com").await;
        set_consent(&app, &token, "recommendations", true).await;
        let run = daily_habit(&app, &token, "Run").await;
        let read = daily_habit(&app, &token, "Read").await;

        let completion = complete(&app, &token, &run).await;
        assert_eq!(wait_for_count(&app, ada, "completion", 1).await, app.now());
        // Two completions in one clock tick are two signals (why the subscriber does not
        // de-duplicate by time).
        complete(&app, &token, &read).await;
        wait_for_count(&app, ada, "completion", 2).await;

        app.clock.advance(time::Duration::minutes(5));
        let undone = app
            .call(Method::DELETE, &format!("/api/v1/completions/{completion}"), Some(&token), None)
            .await;
        assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
        assert_eq!(wait_for_count(&app, ada, "undo", 1).await, app.now());
        assert_eq!(signal(app.db(), ada, "completion").await.unwrap().0, 2, "an undo is its own signal");

        // A redelivered event (the outbox is at least once) changes nothing.
        let listener = SignalListener::new(
            app.db().clone(),
            app.recommender().clock.clone(),
            app.recommender().consent.clone(),
        );
        let first = outbox_event(app.db(), "gamification.completion_recorded").await;
        listener.handle(&first).await.unwrap();
        listener.handle(&outbox_event(app.db(), "gamification.completion_undone").await).await.unwrap();
        assert_eq!(signal(app.db(), ada, "completion").await.unwrap().0, 2);
        assert_eq!(signal(app.db(), ada, "undo").await.unwrap().0, 1);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn without_the_consent_nothing_is_counted(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let bob_token = app.user("bob@example.com").await;
        let bob = user_id(app.db(), "bob@example.com").await;
        let walk = daily_habit(&app, &bob_token, "Walk").await;
        complete(&app, &bob_token, &walk).await;
        // Ada's completion comes after Bob's in the outbox: once it is counted, Bob's was seen.
        let token = app.user("ada@example.com").await;
        let ada = user_id(app.db(), "ada@example.com").await;
        set_consent(&app, &token, "recommendations", true).await;
        let run = daily_habit(&app, &token, "Run").await;
        complete(&app, &token, &run).await;
        wait_for_count(&app, ada, "completion", 1).await;
        assert_eq!(signal(app.db(), bob, "completion").await, None, "Bob never consented");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_stopped_timer_is_a_time_entry_signal(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let token = app.user("ada@example.com").await;
        let ada = user_id(app.db(), "ada@example.com").await;
        set_consent(&app, &token, "recommendations", true).await;
        let started = app.post("/api/v1/time-entries/start", Some(&token), json!({})).await;
        assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
        app.clock.advance(time::Duration::minutes(30));
        let token = app.login("ada@example.com").await;
        let id = started.body["id"].as_str().unwrap();
        let stopped = app
            .post(&format!("/api/v1/time-entries/{id}/stop"), Some(&token), json!({}))
            .await;
        assert_eq!(stopped.status, StatusCode::OK, "{}", stopped.body);
        wait_for_count(&app, ada, "time_entry", 1).await;
        assert_eq!(signal(app.db(), ada, "completion").await, None);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_brake_delay_is_a_brake_delay_signal(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock.set(Timestamp::parse("2026-03-25T08:40:00Z").unwrap());
        let token = crate::brake::consenting_user(&app, "ada@example.com", "2026-03-23").await;
        let ada = user_id(app.db(), "ada@example.com").await;
        set_consent(&app, &token, "recommendations", true).await;
        crate::brake::baseline(&app, &token).await;
        let events = json!({ "events": [
            { "externalId": "evt-board", "title": "Q1 Board review", "startsAt": "2026-03-25T08:30:00Z", "endsAt": "2026-03-25T10:30:00Z" },
        ]});
        let upserted = app.post("/api/v1/brake/calendar-events", Some(&token), events).await;
        assert_eq!(upserted.body["highStakes"], 1, "{}", upserted.body);
        let sample = json!({ "hrvSample": { "measuredAt": app.now(), "valueMs": 45.0, "metric": "rmssd", "source": "oura" } });
        let shown = app.post("/api/v1/brake/check", Some(&token), sample).await;
        assert_eq!(shown.body["shouldDisplay"], true, "{}", shown.body);

        let delay = app
            .post(
                "/api/v1/brake/decisions",
                Some(&token),
                json!({ "decisionType": "delay", "eventId": "evt-board" }),
            )
            .await;
        assert_eq!(delay.status, StatusCode::OK, "{}", delay.body);
        assert_eq!(wait_for_count(&app, ada, "brake_delay", 1).await, app.now());
        assert_eq!(signal(app.db(), ada, "brake_proceed").await, None);
        app.stop().await;
    }
}

/// A consenting user with a decision (POST /recommend), a completion signal and a
/// suppression.
async fn known_user(app: &TestApp, email: &str) -> (String, Uuid) {
    let token = app.user(email).await;
    let id = user_id(app.db(), email).await;
    set_consent(app, &token, "recommendations", true).await;
    let habit = daily_habit(app, &token, "Stretch").await;
    let decision = app.post("/api/v1/recommend", Some(&token), json!({})).await;
    assert_eq!(
        decision.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        decision.body
    );
    complete(app, &token, &habit).await;
    wait_for_count(app, id, "completion", 1).await;
    let until = app.now() + time::Duration::hours(4);
    with_writer!(app.db(), pool => {
        sqlx::query("INSERT INTO rec_suppressions (user_id, source_key, until, reason) VALUES ($1, $2, $3, 'not_now')")
            .bind(id)
            .bind(format!("node:{habit}"))
            .bind(until)
            .execute(pool)
            .await
            .unwrap();
    });
    (token, id)
}

async fn learned(app: &TestApp, user: Uuid) -> Value {
    json!({
        "decisions": rows(app.db(), "rec_decisions", user).await,
        "suppressions": rows(app.db(), "rec_suppressions", user).await,
        "signals": rows(app.db(), "rec_signals", user).await,
    })
}

lifeos_kernel::dialect_test! {
    async fn withdrawing_the_recommendations_consent_forgets_that_user_only(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let (ada_token, ada) = known_user(&app, "ada@example.com").await;
        let (bob_token, bob) = known_user(&app, "bob@example.com").await;
        let everything = json!({ "decisions": 1, "suppressions": 1, "signals": 1 });
        assert_eq!(learned(&app, ada).await, everything, "{}", app.label);
        assert_eq!(learned(&app, bob).await, everything, "{}", app.label);

        // Another purpose's withdrawal forgets nothing; it comes first, so once Ada's
        // rows are gone it was handled too.
        set_consent(&app, &bob_token, "health_data", true).await;
        set_consent(&app, &bob_token, "health_data", false).await;
        set_consent(&app, &ada_token, "recommendations", false).await;
        let nothing = json!({ "decisions": 0, "suppressions": 0, "signals": 0 });
        let mut seen = Value::Null;
        for _ in 0..100 {
            seen = learned(&app, ada).await;
            if seen == nothing {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(seen, nothing, "{}: Ada's log is deleted", app.label);
        assert_eq!(learned(&app, bob).await, everything, "{}: Bob's is untouched", app.label);

        // Without the consent there is no tip to decide.
        app.post("/api/v1/recommend", Some(&ada_token), json!({}))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "consent_required");
        app.stop().await;
    }
}
