//! The decision brake end to end with the test clock: HRV drop → brake → Delay → cooling
//! → brake again → Proceed → locked; every reason; consent; a full cycle with the day-7
//! reflection at 09:00 in Europe/Berlin across the spring DST change.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Reply, TestApp};

const EMAIL: &str = "ada@example.com";

/// Moves the clock and signs in again (access tokens live 15 minutes).
async fn at(app: &TestApp, instant: &str) -> String {
    app.clock.set(Timestamp::parse(instant).unwrap());
    app.login(EMAIL).await
}

/// A Berlin user who consented to health data, on a cycle that started on `cycle_start`.
async fn person(app: &TestApp, now: &str, cycle_start: &str) -> String {
    app.clock.set(Timestamp::parse(now).unwrap());
    consenting_user(app, EMAIL, cycle_start).await
}

/// `email` registered in Europe/Berlin, with health-data consent, on a cycle that started
/// on `cycle_start` (at the test clock's time).
pub(crate) async fn consenting_user(app: &TestApp, email: &str, cycle_start: &str) -> String {
    let token = app.user(email).await;
    let me = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "timezone": "Europe/Berlin" })),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let consent = app
        .call(
            Method::PUT,
            "/api/v1/me/consents/health_data",
            Some(&token),
            Some(json!({ "granted": true })),
        )
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    let cycle = app
        .post(
            "/api/v1/brake/cycle",
            Some(&token),
            json!({ "startDate": cycle_start }),
        )
        .await;
    assert_eq!(cycle.status, StatusCode::OK, "{}", cycle.body);
    token
}

/// Six mornings of RMSSD around 60 ms before 2026-03-25.
pub(crate) async fn baseline(app: &TestApp, token: &str) {
    let samples: Vec<Value> = (19..=24)
        .map(|day| json!({ "measuredAt": format!("2026-03-{day}T05:00:00Z"), "valueMs": 60.0, "metric": "rmssd", "source": "oura" }))
        .collect();
    let reply = app
        .post(
            "/api/v1/brake/hrv-samples",
            Some(token),
            json!({ "samples": samples }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({ "stored": 6, "duplicates": 0 }));
}

async fn board_meeting(app: &TestApp, token: &str) {
    let events = json!({ "events": [
        { "externalId": "evt-board", "title": "Q1 Board review", "startsAt": "2026-03-25T08:30:00Z", "endsAt": "2026-03-25T10:30:00Z" },
        { "externalId": "evt-lunch", "title": "Lunch with Sam", "startsAt": "2026-03-25T11:00:00Z", "endsAt": "2026-03-25T12:00:00Z" },
    ]});
    let reply = app
        .post("/api/v1/brake/calendar-events", Some(token), events)
        .await;
    assert_eq!(
        reply.body,
        json!({ "upserted": 2, "highStakes": 1 }),
        "{}",
        reply.body
    );
}

async fn check(app: &TestApp, token: &str, hrv: Option<f64>) -> Reply {
    let body = match hrv {
        Some(value) => {
            json!({ "hrvSample": { "measuredAt": app.now(), "valueMs": value, "metric": "rmssd", "source": "oura" } })
        }
        None => json!({}),
    };
    app.post("/api/v1/brake/check", Some(token), body).await
}

lifeos_kernel::dialect_test! {
    async fn drop_brake_delay_cooling_brake_proceed_locked(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let token = person(&app, "2026-03-25T08:40:00Z", "2026-03-23").await;
        baseline(&app, &token).await;
        board_meeting(&app, &token).await;

        let shown = check(&app, &token, Some(45.0)).await;
        assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
        assert_eq!(
            shown.body["shouldDisplay"], true,
            "{}: {}",
            app.label, shown.body
        );
        assert_eq!(shown.body["reason"], "display");
        assert_eq!(shown.body["eventId"], "evt-board");
        assert_eq!(shown.body["currentDay"], 3);
        assert_eq!(shown.body["phase"], "intervention");
        assert_eq!(shown.body["hrvCurrent"], 45.0);
        assert_eq!(shown.body["hrvBaselineMean"], 60.0);
        assert_eq!(shown.body["hrvBaselineStdDev"], 0.0);

        let delay = app
            .post(
                "/api/v1/brake/decisions",
                Some(&token),
                json!({ "decisionType": "delay", "eventId": "evt-board" }),
            )
            .await;
        assert_eq!(delay.status, StatusCode::OK, "{}", delay.body);
        assert_eq!(delay.body["status"], "decision_recorded");
        assert_eq!(delay.body["nextAction"], "cooling_period_activated");
        assert_eq!(delay.body["reTriggerTime"], "2026-03-25T09:00:00Z");

        app.clock.advance(time::Duration::minutes(10));
        let cooling = check(&app, &token, Some(44.0)).await;
        assert_eq!(cooling.body["shouldDisplay"], false);
        assert_eq!(cooling.body["reason"], "cooling_period_active");
        assert_eq!(cooling.body["coolingEndsAt"], "2026-03-25T09:00:00Z");
        app.post(
            "/api/v1/brake/decisions",
            Some(&token),
            json!({ "decisionType": "proceed", "eventId": "evt-board" }),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "no_brake_displayed");

        let token = at(&app, "2026-03-25T09:01:00Z").await;
        // Stored checks joined the baseline (now lower), so this drop is larger.
        let again = check(&app, &token, Some(40.0)).await;
        assert_eq!(
            again.body["reason"], "display",
            "after cooling the brake shows again: {}",
            again.body
        );
        let proceed = app
            .post(
                "/api/v1/brake/decisions",
                Some(&token),
                json!({ "decisionType": "proceed", "eventId": "evt-board" }),
            )
            .await;
        assert_eq!(proceed.body["nextAction"], "decision_locked");
        assert_eq!(proceed.body["reTriggerTime"], Value::Null);

        app.clock.advance(time::Duration::minutes(10));
        let locked = check(&app, &token, Some(40.0)).await;
        assert_eq!(locked.body["reason"], "decision_locked");
        assert_eq!(locked.body["shouldDisplay"], false);

        let state = app.get("/api/v1/brake/state", &token).await;
        assert_eq!(state.body["lockedEvents"], json!(["evt-board"]));
        let history = app.get("/api/v1/brake/decisions/history", &token).await;
        let types: Vec<&str> = history.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["decisionType"].as_str().unwrap())
            .collect();
        assert_eq!(types, vec!["proceed", "delay"], "newest first");
        assert_eq!(history.body["items"][0]["cycleDay"], 3);
        assert!(
            history.body["items"][0].get("eventId").is_none(),
            "no decision content is kept"
        );
        let events: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE topic = 'brake.decision_recorded'").fetch_one(pool).await.unwrap()
        });
        assert_eq!(events, 2, "{}", app.label);
        let titles: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM brake_calendar_events").fetch_one(pool).await.unwrap()
        });
        assert_eq!(titles, 2);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn every_reason_and_consent(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock
            .set(Timestamp::parse("2026-03-25T08:40:00Z").unwrap());
        let token = app.user(EMAIL).await;
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "timezone": "Europe/Berlin" })),
        )
        .await;

        check(&app, &token, Some(45.0))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "consent_required");
        let samples = json!({ "samples": [{ "measuredAt": "2026-03-24T05:00:00Z", "valueMs": 60.0, "metric": "rmssd", "source": "oura" }] });
        app.post("/api/v1/brake/hrv-samples", Some(&token), samples)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "consent_required");

        app.call(
            Method::PUT,
            "/api/v1/me/consents/health_data",
            Some(&token),
            Some(json!({ "granted": true })),
        )
        .await;
        // The first brake call started a cycle today: day 1.
        let first = check(&app, &token, Some(45.0)).await;
        assert_eq!(
            first.body["reason"], "not_intervention_phase",
            "{}",
            first.body
        );
        assert_eq!(first.body["currentDay"], 1);
        assert_eq!(first.body["phase"], "baseline");

        app.post(
            "/api/v1/brake/cycle",
            Some(&token),
            json!({ "startDate": "2026-03-23" }),
        )
        .await;
        assert_eq!(
            check(&app, &token, Some(45.0)).await.body["reason"],
            "no_active_high_stakes_event"
        );
        board_meeting(&app, &token).await;
        assert_eq!(
            check(&app, &token, None).await.body["reason"],
            "insufficient_data",
            "no HRV in the last hour and no baseline"
        );
        baseline(&app, &token).await;
        app.clock.advance(time::Duration::minutes(1));
        let steady = check(&app, &token, Some(58.0)).await;
        assert_eq!(steady.body["reason"], "hrv_not_dropped");
        assert_eq!(steady.body["hrvCurrent"], 58.0);
        // The sample sent inline is now the latest of the last hour.
        assert_eq!(check(&app, &token, None).await.body["hrvCurrent"], 58.0);

        let repeat = app
            .post("/api/v1/brake/hrv-samples", Some(&token), json!({ "samples": [
                { "measuredAt": "2026-03-24T05:00:00Z", "valueMs": 61.0, "metric": "rmssd", "source": "oura" },
                { "measuredAt": "2026-03-24T05:00:00Z", "valueMs": 61.0, "metric": "sdnn", "source": "healthkit" }
            ] }))
            .await;
        assert_eq!(
            repeat.body,
            json!({ "stored": 1, "duplicates": 1 }),
            "idempotent per (source, metric, measuredAt)"
        );
        let bad = app
            .post("/api/v1/brake/hrv-samples", Some(&token), json!({ "samples": [{ "measuredAt": "2026-03-24T05:00:00Z", "valueMs": -3, "metric": "rmssd", "source": "oura" }] }))
            .await;
        bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(bad.body["errors"][0]["field"], "samples[0].valueMs");
        app.call(Method::PUT, "/api/v1/brake/settings", Some(&token), Some(json!({ "keywords": [], "dropThreshold": 1.5, "coolingMinutes": 20, "reflectionHour": 9 })))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let settings = app
            .call(Method::PUT, "/api/v1/brake/settings", Some(&token), Some(json!({ "keywords": ["Board", "Pitch"], "dropThreshold": 0.1, "coolingMinutes": 30, "reflectionHour": 8 })))
            .await;
        assert_eq!(settings.status, StatusCode::OK, "{}", settings.body);
        assert_eq!(
            app.get("/api/v1/brake/settings", &token).await.body["coolingMinutes"],
            30
        );
        app.clock.advance(time::Duration::minutes(1));
        let lower = check(&app, &token, Some(50.0)).await;
        assert_eq!(
            lower.body["reason"], "display",
            "a 14% drop passes the 10% threshold: {}",
            lower.body
        );

        // Withdrawing consent deletes the stored HRV data (asynchronously, via the outbox).
        app.call(
            Method::PUT,
            "/api/v1/me/consents/health_data",
            Some(&token),
            Some(json!({ "granted": false })),
        )
        .await;
        let mut left = -1_i64;
        for _ in 0..50 {
            left = with_db!(app.db(), pool => {
                sqlx::query_scalar("SELECT count(*) FROM hrv_samples").fetch_one(pool).await.unwrap()
            });
            if left == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(left, 0, "{}: samples deleted after withdrawal", app.label);
        let baselines: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM hrv_baselines").fetch_one(pool).await.unwrap()
        });
        assert_eq!(baselines, 0);
        check(&app, &token, Some(45.0))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "consent_required");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_full_cycle_with_the_day_seven_reflection_across_dst(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        person(&app, "2026-03-23T11:00:00Z", "2026-03-23").await;
        let phases = [
            ("2026-03-23T11:00:00Z", 1, "baseline"),
            ("2026-03-24T11:00:00Z", 2, "baseline"),
            ("2026-03-25T11:00:00Z", 3, "intervention"),
            ("2026-03-27T11:00:00Z", 5, "intervention"),
            ("2026-03-28T11:00:00Z", 6, "integration"),
            ("2026-03-28T23:30:00Z", 7, "reflection"),
        ];
        for (instant, day, phase) in phases {
            let token = at(&app, instant).await;
            let state = app.get("/api/v1/brake/state", &token).await;
            assert_eq!(
                (
                    state.body["currentDay"].as_i64(),
                    state.body["phase"].as_str()
                ),
                (Some(day), Some(phase)),
                "{}: {instant}",
                app.label
            );
            assert_eq!(state.body["shouldDisplayReflection"], false, "{instant}");
        }
        // 2026-03-29 is day 7 and the DST day: 09:00 local is 07:00Z.
        let token = at(&app, "2026-03-29T06:59:00Z").await;
        assert_eq!(
            app.get("/api/v1/brake/state", &token).await.body["shouldDisplayReflection"],
            false
        );
        app.post(
            "/api/v1/brake/reflections",
            Some(&token),
            json!({ "response": "yes" }),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "reflection_not_due");
        let token = at(&app, "2026-03-29T07:00:00Z").await;
        let state = app.get("/api/v1/brake/state", &token).await;
        assert_eq!(
            state.body["shouldDisplayReflection"], true,
            "{}",
            state.body
        );
        assert_eq!(state.body["reflectionOverdue"], false);
        let reflected = app
            .post(
                "/api/v1/brake/reflections",
                Some(&token),
                json!({ "response": "yes" }),
            )
            .await;
        assert_eq!(reflected.status, StatusCode::OK, "{}", reflected.body);
        assert_eq!(reflected.body["status"], "reflection_recorded");
        assert_eq!(reflected.body["response"], "yes");
        assert_eq!(
            reflected.body["cycleReset"],
            json!({ "status": "cycle_reset", "newCycleStart": "2026-03-29T22:00:00Z", "currentDay": 1 })
        );
        app.post(
            "/api/v1/brake/reflections",
            Some(&token),
            json!({ "response": "no" }),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "reflection_not_due");
        let token = at(&app, "2026-03-30T10:00:00Z").await;
        let next = app.get("/api/v1/brake/state", &token).await;
        assert_eq!(next.body["cycleStart"], "2026-03-30");
        assert_eq!(next.body["currentDay"], 1);
        let history = app.get("/api/v1/brake/reflections/history", &token).await;
        assert_eq!(history.body["items"][0]["response"], "yes");
        assert_eq!(history.body["items"][0]["cycleDay"], 7);

        // A missed day 7 stays day 7, overdue, until answered.
        app.post(
            "/api/v1/brake/cycle",
            Some(&token),
            json!({ "startDate": "2026-03-24" }),
        )
        .await;
        let token = at(&app, "2026-04-02T05:00:00Z").await;
        let overdue = app.get("/api/v1/brake/state", &token).await;
        assert_eq!(overdue.body["currentDay"], 7);
        assert_eq!(overdue.body["reflectionOverdue"], true);
        assert_eq!(overdue.body["shouldDisplayReflection"], true);
        app.post(
            "/api/v1/brake/cycle",
            Some(&token),
            json!({ "startDate": "2025-01-01" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn brake_data_is_private_and_erased(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let token = person(&app, "2026-03-25T08:40:00Z", "2026-03-23").await;
        baseline(&app, &token).await;
        board_meeting(&app, &token).await;
        check(&app, &token, Some(45.0)).await;
        app.post(
            "/api/v1/brake/decisions",
            Some(&token),
            json!({ "decisionType": "delay", "eventId": "evt-board" }),
        )
        .await;
        let bob = app.user("bob@example.com").await;
        app.call(
            Method::PUT,
            "/api/v1/me/consents/health_data",
            Some(&bob),
            Some(json!({ "granted": true })),
        )
        .await;
        assert_eq!(
            app.get("/api/v1/brake/decisions/history", &bob).await.body["items"],
            json!([])
        );
        let bob_state = app.get("/api/v1/brake/state", &bob).await;
        assert_eq!(bob_state.body["lockedEvents"], json!([]));
        assert_eq!(
            bob_state.body["cooling"],
            Value::Null,
            "Ada's cooling is not Bob's"
        );
        assert_eq!(
            check(&app, &bob, Some(45.0)).await.body["reason"],
            "not_intervention_phase"
        );
        app.post(
            "/api/v1/brake/decisions",
            Some(&bob),
            json!({ "decisionType": "proceed", "eventId": "evt-board" }),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "no_brake_displayed");

        let export = app.get("/api/v1/me/export", &token).await;
        let brake = &export.body["data"]["brake"];
        assert_eq!(
            brake["hrv_samples"].as_array().unwrap().len(),
            7,
            "{}: {brake}",
            app.label
        );
        assert_eq!(brake["brake_decisions"][0]["decision_type"], "delay");
        assert!(
            !export.body.to_string().contains("Board review"),
            "titles are never stored"
        );

        let user_id: uuid::Uuid = app.get("/api/v1/me", &token).await.body["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(
            app.call(Method::DELETE, "/api/v1/me", Some(&token), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        let left: Vec<_> = crate::account::rows_referring_to(app.db(), user_id)
            .await
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert!(left.is_empty(), "{}: {left:?}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn checks_are_rate_limited_per_user(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |config| config.brake_checks_per_minute = 3).await;
        let token = person(&app, "2026-03-25T08:40:00Z", "2026-03-23").await;
        for _ in 0..3 {
            assert_eq!(check(&app, &token, None).await.status, StatusCode::OK);
        }
        let limited = check(&app, &token, None).await;
        limited.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        assert!(limited.headers.contains_key("retry-after"));
        app.clock.advance(time::Duration::minutes(1));
        assert_eq!(
            check(&app, &token, None).await.status,
            StatusCode::OK,
            "a new minute, a new quota"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    /// Reads never write: state, settings and a check that changes nothing answer the
    /// defaults without storing a state row; the first real write stores it.
    async fn reads_store_no_state(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock.set(Timestamp::parse("2026-03-25T08:40:00Z").unwrap());
        let token = app.user(EMAIL).await;
        app.call(Method::PUT, "/api/v1/me/consents/health_data", Some(&token), Some(json!({ "granted": true }))).await;
        let rows = |app: &TestApp| {
            let db = app.db().clone();
            async move {
                with_db!(&db, pool => {
                    sqlx::query_scalar::<_, i64>("SELECT count(*) FROM brake_states").fetch_one(pool).await.unwrap()
                })
            }
        };
        let state = app.get("/api/v1/brake/state", &token).await;
        assert_eq!(state.status, StatusCode::OK, "{}", state.body);
        assert_eq!(state.body["currentDay"], 1);
        assert_eq!(state.body["cycleStart"], "2026-03-25");
        let settings = app.get("/api/v1/brake/settings", &token).await;
        assert_eq!(settings.status, StatusCode::OK, "{}", settings.body);
        assert_eq!(check(&app, &token, None).await.status, StatusCode::OK);
        assert_eq!(rows(&app).await, 0, "{}: reads store nothing", app.label);
        let started = app.post("/api/v1/brake/cycle", Some(&token), json!({})).await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        assert_eq!(rows(&app).await, 1, "{}: the first write stores the state", app.label);
        app.stop().await;
    }
}
