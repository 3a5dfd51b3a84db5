//! Candidates from real domain data through the gateway's ports: habits due, tasks on a
//! free day, a high-stakes meeting, a running timer and vehicle service, each written
//! through its own domain's API and read back as `POST /recommend` decides.
//!
//! Each test clears the seeded time-of-day advice, so the candidates it checks are the
//! only ones: the incumbent then shows the one there is (softmax over a single candidate),
//! and the logged candidates say what was (not) offered.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db, with_writer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::TestApp;
use crate::common::seed::{daily_habit_in, node, track};
use crate::recommend::recommend;

const ADA: &str = "ada@example.com";
/// A Tuesday, mid-morning in UTC (the default zone): hours left in the local day.
const NOW: &str = "2026-03-10T10:00:00Z";
const TODAY: &str = "2026-03-10";

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// An app at [`NOW`] without the time-of-day advice.
async fn quiet_app(db: &TestDatabase) -> TestApp {
    let app = TestApp::spawn(db).await;
    app.clock.set(at(NOW));
    with_writer!(app.db(), pool => {
        sqlx::query("DELETE FROM rec_advice_rules").execute(pool).await.unwrap();
    });
    app
}

/// `email` registered, with the recommendations consent.
async fn consenting(app: &TestApp, email: &str) -> String {
    let token = app.user(email).await;
    let consent = app
        .call(
            Method::PUT,
            "/api/v1/me/consents/recommendations",
            Some(&token),
            Some(json!({ "granted": true })),
        )
        .await;
    assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
    token
}

/// The candidates the decision logged.
async fn logged(app: &TestApp, decision: &Value) -> Vec<Value> {
    let id = Uuid::parse_str(decision["decisionId"].as_str().unwrap()).unwrap();
    let text: String = with_db!(app.db(), pool => {
        sqlx::query_scalar("SELECT CAST(candidates AS TEXT) FROM rec_decisions WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .unwrap()
    });
    serde_json::from_str(&text).unwrap()
}

/// The `entity:id` keys of the decision's candidates.
async fn sources(app: &TestApp, decision: &Value) -> Vec<String> {
    logged(app, decision)
        .await
        .iter()
        .map(|c| {
            format!(
                "{}:{}",
                c["source"]["entity"].as_str().unwrap(),
                c["source"]["id"].as_str().unwrap()
            )
        })
        .collect()
}

/// Asserts the decision showed a tip from `entity` `id` with a reason; the tip.
#[track_caller]
fn assert_tip<'a>(decision: &'a Value, kind: &str, entity: &str, id: &str) -> &'a Value {
    let tip = &decision["tip"];
    assert_eq!(tip["kind"], kind, "{decision}");
    assert_eq!(
        tip["source"],
        json!({ "entity": entity, "id": id }),
        "{decision}"
    );
    assert!(
        !tip["reason"].as_str().unwrap().trim().is_empty(),
        "{decision}"
    );
    assert!(
        !tip["text"].as_str().unwrap().trim().is_empty(),
        "{decision}"
    );
    tip
}

lifeos_kernel::dialect_test! {
    async fn a_due_habit_is_offered_until_it_is_done(db: TestDatabase) {
        let app = quiet_app(&db).await;
        let ada = consenting(&app, ADA).await;
        let health = track(&app, &ada, "Health").await;
        let stretch = daily_habit_in(&app, &ada, &health, "Stretch").await;
        // Not due today: never offered.
        let weekend = node(&app, &ada, &health, "habit", "Long run").await;
        let schedule = app
            .call(
                Method::PUT,
                &format!("/api/v1/nodes/{weekend}/habit-schedule"),
                Some(&ada),
                Some(json!({ "frequency": "weekly", "daysOfWeek": [6, 7] })),
            )
            .await;
        assert_eq!(schedule.status, StatusCode::OK, "{}", schedule.body);

        let decision = recommend(&app, &ada).await;
        let tip = assert_tip(&decision, "todo", "node", &stretch);
        assert!(tip["text"].as_str().unwrap().contains("Stretch"), "{tip}");
        assert!(tip["reason"].as_str().unwrap().contains("due today"), "{tip}");
        assert_eq!(sources(&app, &decision).await, vec![format!("node:{stretch}")], "{}", app.label);

        // Bob sees nothing of Ada's plans.
        let bob = consenting(&app, "bob@example.com").await;
        let theirs = recommend(&app, &bob).await;
        assert!(theirs["tip"].is_null(), "{theirs}");
        assert!(logged(&app, &theirs).await.is_empty());

        let done = app
            .post(&format!("/api/v1/nodes/{stretch}/complete"), Some(&ada), json!({}))
            .await;
        assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
        let after = recommend(&app, &ada).await;
        assert!(after["tip"].is_null(), "{after}");
        assert!(!sources(&app, &after).await.contains(&format!("node:{stretch}")));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_free_day_keeps_habits_and_drops_tasks(db: TestDatabase) {
        let app = quiet_app(&db).await;
        let ada = consenting(&app, ADA).await;
        let life = track(&app, &ada, "Life").await;
        let walk = daily_habit_in(&app, &ada, &life, "Walk").await;
        let taxes = app
            .post(
                &format!("/api/v1/tracks/{life}/nodes"),
                Some(&ada),
                json!({ "type": "task", "title": "File taxes", "dueOn": TODAY }),
            )
            .await;
        assert_eq!(taxes.status, StatusCode::CREATED, "{}", taxes.body);
        let taxes = taxes.body["id"].as_str().unwrap().to_owned();

        // A working day: both are candidates.
        let workday = recommend(&app, &ada).await;
        let offered = sources(&app, &workday).await;
        assert!(offered.contains(&format!("node:{taxes}")), "{offered:?}");
        assert!(offered.contains(&format!("node:{walk}")), "{offered:?}");

        let free = app
            .post("/api/v1/day-types", Some(&ada), json!({ "date": TODAY, "plannedType": "free" }))
            .await;
        assert_eq!(free.status, StatusCode::CREATED, "{}", free.body);
        let decision = recommend(&app, &ada).await;
        assert_tip(&decision, "todo", "node", &walk);
        assert_eq!(sources(&app, &decision).await, vec![format!("node:{walk}")], "{}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_high_stakes_meeting_under_way_is_quiet(db: TestDatabase) {
        let app = quiet_app(&db).await;
        let ada = consenting(&app, ADA).await;
        let health = app
            .call(
                Method::PUT,
                "/api/v1/me/consents/health_data",
                Some(&ada),
                Some(json!({ "granted": true })),
            )
            .await;
        assert_eq!(health.status, StatusCode::OK, "{}", health.body);
        let life = track(&app, &ada, "Life").await;
        let walk = daily_habit_in(&app, &ada, &life, "Walk").await;
        let events = json!({ "events": [
            { "externalId": "evt-board", "title": "Q1 Board review", "startsAt": "2026-03-10T09:30:00Z", "endsAt": "2026-03-10T11:00:00Z" },
            { "externalId": "evt-lunch", "title": "Lunch with Sam", "startsAt": "2026-03-10T12:00:00Z", "endsAt": "2026-03-10T13:00:00Z" },
        ]});
        let reply = app.post("/api/v1/brake/calendar-events", Some(&ada), events).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(reply.body["highStakes"], 1, "{}", reply.body);

        let during = recommend(&app, &ada).await;
        assert!(during["tip"].is_null(), "{during}");
        assert!(logged(&app, &during).await.is_empty(), "{}", app.label);

        // The meeting over (the lunch is not high stakes): the habit again.
        app.clock.set(at("2026-03-10T12:15:00Z"));
        let ada = app.login(ADA).await;
        let after = recommend(&app, &ada).await;
        assert_tip(&after, "todo", "node", &walk);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_timer_running_for_three_hours_is_advice(db: TestDatabase) {
        let app = quiet_app(&db).await;
        let ada = consenting(&app, ADA).await;
        let work = track(&app, &ada, "Work").await;
        let report = node(&app, &ada, &work, "task", "Quarterly report").await;
        let lock = app
            .call(Method::POST, &format!("/api/v1/nodes/{report}/lock"), Some(&ada), None)
            .await;
        assert_eq!(lock.status, StatusCode::OK, "{}", lock.body);
        let started = app
            .post("/api/v1/time-entries/start", Some(&ada), json!({ "nodeId": report }))
            .await;
        assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
        let entry = started.body["id"].as_str().unwrap().to_owned();

        // Just started: nothing to say (the task is locked).
        let fresh = recommend(&app, &ada).await;
        assert!(fresh["tip"].is_null(), "{fresh}");

        app.clock.set(at("2026-03-10T13:00:00Z"));
        let ada = app.login(ADA).await;
        let decision = recommend(&app, &ada).await;
        let tip = assert_tip(&decision, "advice", "time_entry", &entry);
        assert!(tip["reason"].as_str().unwrap().contains("3 h"), "{tip}");
        assert!(tip["text"].as_str().unwrap().contains("Quarterly report"), "{tip}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn vehicle_service_due_in_three_days_is_a_todo(db: TestDatabase) {
        let app = quiet_app(&db).await;
        let ada = consenting(&app, ADA).await;
        let golf = app.post("/api/v1/vehicles", Some(&ada), json!({ "name": "Blue Golf" })).await;
        assert_eq!(golf.status, StatusCode::CREATED, "{}", golf.body);
        let golf = golf.body["id"].as_str().unwrap().to_owned();
        let mut last = String::new();
        // 100 days apart: the next oil change is due 100 days after the last, 3 from today.
        for date in ["2025-08-25", "2025-12-03"] {
            let record = app
                .post(
                    "/api/v1/vehicle-maintenance",
                    Some(&ada),
                    json!({ "vehicleId": golf, "date": date, "serviceType": "oil_change" }),
                )
                .await;
            assert_eq!(record.status, StatusCode::CREATED, "{}", record.body);
            last = record.body["id"].as_str().unwrap().to_owned();
        }
        let due = app.get(&format!("/api/v1/vehicles/{golf}/service-due"), &ada).await;
        assert_eq!(due.body["items"][0]["nextDueDate"], "2026-03-13", "{}", due.body);

        let decision = recommend(&app, &ada).await;
        let tip = assert_tip(&decision, "todo", "vehicle_maintenance", &last);
        assert!(tip["text"].as_str().unwrap().contains("Blue Golf"), "{tip}");
        assert!(tip["reason"].as_str().unwrap().contains("due in 3 days"), "{tip}");
        app.stop().await;
    }
}

/// The logged candidate from `key` (`entity:id`), if the decision had one.
async fn candidate(app: &TestApp, decision: &Value, key: &str) -> Option<Value> {
    logged(app, decision).await.into_iter().find(|c| {
        format!(
            "{}:{}",
            c["source"]["entity"].as_str().unwrap(),
            c["source"]["id"].as_str().unwrap()
        ) == key
    })
}

lifeos_kernel::dialect_test! {
    async fn a_streak_at_risk_late_in_the_day(db: TestDatabase) {
        let app = quiet_app(&db).await;
        app.clock.set(at("2026-03-08T10:00:00Z"));
        let ada = consenting(&app, ADA).await;
        let me = app
            .call(Method::PATCH, "/api/v1/me", Some(&ada), Some(json!({ "dayStartHour": 0 })))
            .await;
        assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        let life = track(&app, &ada, "Life").await;
        let walk = daily_habit_in(&app, &ada, &life, "Walk").await;
        for morning in ["2026-03-08T10:00:00Z", "2026-03-09T10:00:00Z"] {
            app.clock.set(at(morning));
            let ada = app.login(ADA).await;
            let done = app
                .post(&format!("/api/v1/nodes/{walk}/complete"), Some(&ada), json!({}))
                .await;
            assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
        }

        // Mid-morning of the third day: the habit, no alarm yet.
        app.clock.set(at("2026-03-10T10:00:00Z"));
        let ada = app.login(ADA).await;
        let morning = recommend(&app, &ada).await;
        assert_tip(&morning, "todo", "node", &walk);
        assert_eq!(morning["tip"]["reason"], "due today, streak 2", "{}", app.label);

        // Three hours before the day ends, nothing done yet.
        app.clock.set(at("2026-03-10T21:00:00Z"));
        let ada = app.login(ADA).await;
        let evening = recommend(&app, &ada).await;
        let streak = candidate(&app, &evening, "streak:current").await.expect("the streak advice");
        assert_eq!(streak["reason"], "streak 2 at risk, 3 h left today", "{streak}");
        let habit = candidate(&app, &evening, &format!("node:{walk}")).await.expect("the habit");
        assert_eq!(habit["reason"], "due today, streak 2 at risk", "{habit}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn the_evening_brings_the_protein_gap_and_supplements(db: TestDatabase) {
        let app = quiet_app(&db).await;
        app.clock.set(at("2026-03-10T19:00:00Z"));
        let targets = json!({ "energyKcal": 2200, "proteinG": 140, "fatG": 70, "carbsG": 250 });
        let ada = consenting(&app, ADA).await;
        let put = app
            .call(Method::PUT, "/api/v1/nutrition/targets", Some(&ada), Some(targets.clone()))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        let lunch = json!({
            "eatenAt": "2026-03-10T12:00:00Z",
            "items": [{ "text": "Chicken salad", "energyKcal": 450, "proteinG": 30 }],
        });
        let meal = app.post("/api/v1/meals", Some(&ada), lunch).await;
        assert_eq!(meal.status, StatusCode::CREATED, "{}", meal.body);

        let decision = recommend(&app, &ada).await;
        let protein = candidate(&app, &decision, "advice_rule:protein_gap").await.expect("protein");
        assert_eq!(protein["reason"], "110 g of protein still to go today", "{protein}");
        assert!(candidate(&app, &decision, "advice_rule:supplements").await.is_some(), "{}", app.label);

        // Targets but no meal today: the whole target is missing, and no supplement nudge
        // for a day nobody logs.
        let carol = consenting(&app, "carol@example.com").await;
        app.call(Method::PUT, "/api/v1/nutrition/targets", Some(&carol), Some(targets)).await;
        let hers = recommend(&app, &carol).await;
        assert_eq!(sources(&app, &hers).await, vec!["advice_rule:protein_gap".to_owned()]);
        assert_eq!(hers["tip"]["reason"], "140 g of protein still to go today", "{hers}");

        // Someone who never logs food hears nothing about it.
        let bob = consenting(&app, "bob@example.com").await;
        let his = recommend(&app, &bob).await;
        assert!(his["tip"].is_null(), "{his}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_delay_brings_calm_once_the_meeting_is_over(db: TestDatabase) {
        let app = quiet_app(&db).await;
        app.clock.set(at("2026-03-25T08:40:00Z"));
        let ada = crate::brake::consenting_user(&app, ADA, "2026-03-23").await;
        let consent = app
            .call(
                Method::PUT,
                "/api/v1/me/consents/recommendations",
                Some(&ada),
                Some(json!({ "granted": true })),
            )
            .await;
        assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);
        crate::brake::baseline(&app, &ada).await;
        let events = json!({ "events": [
            { "externalId": "evt-board", "title": "Q1 Board review", "startsAt": "2026-03-25T08:30:00Z", "endsAt": "2026-03-25T10:30:00Z" },
        ]});
        let reply = app.post("/api/v1/brake/calendar-events", Some(&ada), events).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let hrv = json!({ "hrvSample": { "measuredAt": app.now(), "valueMs": 45.0, "metric": "rmssd", "source": "oura" } });
        let shown = app.post("/api/v1/brake/check", Some(&ada), hrv).await;
        assert_eq!(shown.body["shouldDisplay"], true, "{}: {}", app.label, shown.body);
        let delay = app
            .post(
                "/api/v1/brake/decisions",
                Some(&ada),
                json!({ "decisionType": "delay", "eventId": "evt-board" }),
            )
            .await;
        assert_eq!(delay.status, StatusCode::OK, "{}", delay.body);

        app.clock.set(at("2026-03-25T10:35:00Z"));
        let ada = app.login(ADA).await;
        let decision = recommend(&app, &ada).await;
        let tip = assert_tip(&decision, "advice", "advice_rule", "after_delay");
        assert_eq!(tip["reason"], "you chose Delay 1 h 55 min ago", "{tip}");

        // Past two hours the calm advice is gone.
        app.clock.set(at("2026-03-25T10:45:00Z"));
        let ada = app.login(ADA).await;
        let later = recommend(&app, &ada).await;
        assert!(later["tip"].is_null(), "{later}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn done_on_a_node_tip_completes_it_through_gamification(db: TestDatabase) {
        let app = quiet_app(&db).await;
        let ada = consenting(&app, ADA).await;
        let life = track(&app, &ada, "Life").await;
        let walk = daily_habit_in(&app, &ada, &life, "Walk").await;
        let shown = recommend(&app, &ada).await;
        assert_tip(&shown, "todo", "node", &walk);
        let tip = shown["tip"]["id"].as_str().unwrap();
        let feedback = app
            .post(&format!("/api/v1/tips/{tip}/feedback"), Some(&ada), json!({ "kind": "done" }))
            .await;
        assert_eq!(feedback.status, StatusCode::OK, "{}: {}", app.label, feedback.body);
        let completions = app.get("/api/v1/completions", &ada).await;
        let items = completions.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", completions.body);
        assert_eq!(items[0]["nodeId"], walk.as_str());
        let stats = app.get("/api/v1/me/stats", &ada).await;
        assert!(stats.body["xp"].as_i64().unwrap() > 0, "{}", stats.body);

        // A task locked after its tip was shown: the completion route's refusal, verbatim.
        let report = app
            .post(
                &format!("/api/v1/tracks/{life}/nodes"),
                Some(&ada),
                json!({ "type": "task", "title": "Quarterly report", "dueOn": TODAY }),
            )
            .await;
        let report = report.body["id"].as_str().unwrap().to_owned();
        let shown = recommend(&app, &ada).await;
        assert_tip(&shown, "todo", "node", &report);
        let lock = app
            .call(Method::POST, &format!("/api/v1/nodes/{report}/lock"), Some(&ada), None)
            .await;
        assert_eq!(lock.status, StatusCode::OK, "{}", lock.body);
        let tip = shown["tip"]["id"].as_str().unwrap();
        app.post(&format!("/api/v1/tips/{tip}/feedback"), Some(&ada), json!({ "kind": "done" }))
            .await
            .assert_problem(StatusCode::CONFLICT, "node_locked");
        let direct = app
            .post(&format!("/api/v1/nodes/{report}/complete"), Some(&ada), json!({}))
            .await;
        direct.assert_problem(StatusCode::CONFLICT, "node_locked");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_focus_day_suggests_a_focus_session(db: TestDatabase) {
        let app = quiet_app(&db).await;
        let ada = consenting(&app, ADA).await;
        let plain = recommend(&app, &ada).await;
        assert!(plain["tip"].is_null(), "{plain}");
        let focus = app
            .post("/api/v1/day-types", Some(&ada), json!({ "date": TODAY, "plannedType": "focus" }))
            .await;
        assert_eq!(focus.status, StatusCode::CREATED, "{}", focus.body);
        let decision = recommend(&app, &ada).await;
        let tip = assert_tip(&decision, "advice", "advice_rule", "focus_session");
        assert_eq!(tip["reason"], "today is a focus day", "{tip}");
        let features = &logged(&app, &decision).await[0]["features"];
        assert_eq!(features["focus_day"], 1.0, "{features}");
        assert_eq!(features["free_day"], 0.0, "{features}");
        app.stop().await;
    }
}
