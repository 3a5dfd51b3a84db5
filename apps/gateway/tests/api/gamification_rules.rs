//! Gamification's rules through the API, as a user would check them: what completes and
//! how often, XP per node type, retries (client ids and `Idempotency-Key`), two devices
//! racing, undo, another user's data, the activity badges tracking's events earn, and a
//! property test that the stored stats always equal a from-scratch recomputation (checked
//! by the real `lifeos gamification recompute` process).
//!
//! Unless a test says otherwise a user lives in UTC with `dayStartHour` 0 and the test
//! clock stands at noon UTC of a day in the past, so "today" is the clock's UTC date and
//! every time entry of the morning is already over.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration as StdDuration, Instant};

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime, Time};

use crate::common::seed::{daily_habit_in, node, track};
use crate::common::{JWT_SECRET, Reply, TestApp};

// ---- helpers -------------------------------------------------------------------------

/// Noon UTC of the latest day whose noon has passed: a fixed time of day, in the past.
fn last_noon() -> Timestamp {
    let now = OffsetDateTime::now_utc();
    let noon = now.replace_time(Time::from_hms(12, 0, 0).unwrap());
    let noon = if noon > now {
        noon - Duration::days(1)
    } else {
        noon
    };
    Timestamp::from(noon)
}

/// An app whose clock stands at `last_noon() - days_back`.
async fn spawn_at_noon(db: &TestDatabase, days_back: i64) -> TestApp {
    let app = TestApp::spawn(db).await;
    app.clock.set(last_noon() - Duration::days(days_back));
    app
}

fn today(app: &TestApp) -> Date {
    app.now().as_offset_date_time().date()
}

/// The instant `hh:mm` UTC on `date`.
fn at(date: Date, hour: u8, minute: u8) -> Timestamp {
    Timestamp::from(
        date.with_time(Time::from_hms(hour, minute, 0).unwrap())
            .assume_utc(),
    )
}

/// Registers `email` in UTC with day start 0; returns (token, user id).
async fn utc_user(app: &TestApp, email: &str) -> (String, String) {
    let session = app.register(email).await;
    let token = crate::common::token(&session);
    let id = session["user"]["id"].as_str().unwrap().to_owned();
    let me = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "timezone": "UTC", "dayStartHour": 0 })),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    (token, id)
}

/// Moves the clock on and signs in again (the access token lives 15 minutes).
async fn advance(app: &TestApp, email: &str, by: Duration) -> String {
    app.clock.advance(by);
    app.login(email).await
}

fn complete_path(node: &str) -> String {
    format!("/api/v1/nodes/{node}/complete")
}

async fn complete(app: &TestApp, token: &str, node: &str, body: Value) -> Reply {
    app.post(&complete_path(node), Some(token), body).await
}

/// Completes `node` and asserts 201.
#[track_caller]
fn created(app: &TestApp, reply: Reply) -> Value {
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

async fn undo(app: &TestApp, token: &str, completion: &str) -> Reply {
    app.call(
        Method::DELETE,
        &format!("/api/v1/completions/{completion}"),
        Some(token),
        None,
    )
    .await
}

async fn stats(app: &TestApp, token: &str) -> Value {
    let reply = app.get("/api/v1/me/stats", token).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

async fn xp(app: &TestApp, token: &str) -> i64 {
    stats(app, token).await["xp"].as_i64().unwrap()
}

async fn node_status(app: &TestApp, token: &str, node: &str) -> String {
    let reply = app.get(&format!("/api/v1/nodes/{node}"), token).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body["status"].as_str().unwrap().to_owned()
}

async fn set_schedule(app: &TestApp, token: &str, node: &str, schedule: Value) {
    let reply = app
        .call(
            Method::PUT,
            &format!("/api/v1/nodes/{node}/habit-schedule"),
            Some(token),
            Some(schedule),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn node_with(app: &TestApp, token: &str, track: &str, body: Value) -> String {
    let reply = app
        .post(&format!("/api/v1/tracks/{track}/nodes"), Some(token), body)
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

async fn completions(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/completions?limit=500{query}"), token)
        .await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body["items"].as_array().unwrap().clone()
}

async fn log_time(app: &TestApp, token: &str, node: Option<&str>, from: Timestamp, to: Timestamp) {
    let mut body = json!({ "startedAt": from, "endedAt": to });
    if let Some(node) = node {
        body["nodeId"] = json!(node);
    }
    let reply = app.post("/api/v1/time-entries", Some(token), body).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
}

async fn earned_codes(app: &TestApp, token: &str) -> Vec<String> {
    let reply = app.get("/api/v1/me/badges", token).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {}",
        app.label,
        reply.body
    );
    reply
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Polls `/me/badges` until `code` is earned (tracking's events arrive through the
/// outbox: the in-process wake, or the subscriber's 2-second poll).
async fn await_badge(app: &TestApp, token: &str, code: &str) -> Vec<String> {
    let deadline = Instant::now() + StdDuration::from_secs(6);
    loop {
        let codes = earned_codes(app, token).await;
        if codes.iter().any(|c| c == code) {
            return codes;
        }
        assert!(
            Instant::now() < deadline,
            "{}: {code} not earned within 6 s; earned: {codes:?}",
            app.label
        );
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

fn str_of<'v>(value: &'v Value, field: &str) -> &'v str {
    value[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {value}"))
}

// ---- 1. the rules ----------------------------------------------------------------------

lifeos_kernel::dialect_test! {
    async fn tasks_and_milestones_complete_once_and_become_done(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        let (ada, _) = utc_user(&app, "ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Write report").await;

        let first = created(&app, complete(&app, &ada, &task, json!({})).await);
        assert_eq!(first["xpAwarded"], 10, "a task is worth 10 XP");
        assert_eq!(first["completion"]["xpAwarded"], 10);
        assert_eq!(first["completion"]["counted"], true);
        assert_eq!(first["completion"]["nodeType"], "task");
        assert_eq!(first["completion"]["localDate"], today(&app).to_string());
        assert_eq!(first["stats"]["xp"], 10);
        assert_eq!(first["stats"]["completionsToday"], 1);
        assert_eq!(first["levelUp"], Value::Null);
        assert_eq!(node_status(&app, &ada, &task).await, "done", "{}", app.label);
        complete(&app, &ada, &task, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");

        let milestone = node(&app, &ada, &work, "milestone", "Ship v1").await;
        let shipped = created(&app, complete(&app, &ada, &milestone, json!({})).await);
        assert_eq!(shipped["xpAwarded"], 50, "a milestone is worth 50 XP");
        assert_eq!(node_status(&app, &ada, &milestone).await, "done");
        complete(&app, &ada, &milestone, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");

        let valued = node_with(&app, &ada, &work, json!({ "type": "task", "title": "Big one", "xpValue": 37 })).await;
        assert_eq!(
            created(&app, complete(&app, &ada, &valued, json!({})).await)["xpAwarded"],
            37,
            "xpValue overrides the base"
        );
        let free = node_with(&app, &ada, &work, json!({ "type": "milestone", "title": "Nothing", "xpValue": 0 })).await;
        assert_eq!(created(&app, complete(&app, &ada, &free, json!({})).await)["xpAwarded"], 0);
        let too_much = app
            .post(
                &format!("/api/v1/tracks/{work}/nodes"),
                Some(&ada),
                json!({ "type": "task", "title": "Farm", "xpValue": 1001 }),
            )
            .await;
        assert_eq!(too_much.status, StatusCode::UNPROCESSABLE_ENTITY, "xpValue is bounded: {}", too_much.body);

        let locked = node(&app, &ada, &work, "task", "Locked").await;
        let lock = app.post(&format!("/api/v1/nodes/{locked}/lock"), Some(&ada), json!({})).await;
        assert_eq!(lock.status, StatusCode::OK, "{}", lock.body);
        complete(&app, &ada, &locked, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "node_locked");
        assert_eq!(node_status(&app, &ada, &locked).await, "open");

        let archived = node(&app, &ada, &work, "task", "Archived").await;
        let patch = app
            .call(Method::PATCH, &format!("/api/v1/nodes/{archived}"), Some(&ada), Some(json!({ "status": "archived" })))
            .await;
        assert_eq!(patch.status, StatusCode::OK, "{}", patch.body);
        complete(&app, &ada, &archived, json!({}))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        let deleted = node(&app, &ada, &work, "task", "Deleted").await;
        let gone = app.call(Method::DELETE, &format!("/api/v1/nodes/{deleted}"), Some(&ada), None).await;
        assert!(gone.status.is_success(), "{}", gone.body);
        complete(&app, &ada, &deleted, json!({}))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        complete(&app, &ada, &lifeos_kernel::id::new_id().to_string(), json!({}))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        assert_eq!(xp(&app, &ada).await, 10 + 50 + 37, "{}", app.label);
        assert_eq!(completions(&app, &ada, "").await.len(), 4);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn habits_complete_once_per_due_occurrence(db: TestDatabase) {
        let app = spawn_at_noon(&db, 10).await;
        let email = "ada@example.com";
        let (mut ada, _) = utc_user(&app, email).await;
        let health = track(&app, &ada, "Health").await;
        let day0 = today(&app);

        // Weekly on tomorrow's weekday only.
        let weekly = node(&app, &ada, &health, "habit", "Long run").await;
        let tomorrow = day0.next_day().unwrap().weekday().number_from_monday();
        set_schedule(&app, &ada, &weekly, json!({ "frequency": "weekly", "daysOfWeek": [tomorrow] })).await;
        complete(&app, &ada, &weekly, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "habit_not_due");

        let daily = daily_habit_in(&app, &ada, &health, "Stretch").await;
        let stretched = created(&app, complete(&app, &ada, &daily, json!({})).await);
        assert_eq!(stretched["xpAwarded"], 5, "a habit is worth 5 XP");
        complete(&app, &ada, &daily, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");
        assert_eq!(node_status(&app, &ada, &daily).await, "open", "a habit stays open");

        let twice = node(&app, &ada, &health, "habit", "Swim").await;
        set_schedule(&app, &ada, &twice, json!({ "frequency": "times_per_period", "times": 2, "periodDays": 7, "startOn": day0.to_string() })).await;
        created(&app, complete(&app, &ada, &twice, json!({})).await);

        let water = node(&app, &ada, &health, "habit", "Water").await;
        set_schedule(&app, &ada, &water, json!({ "frequency": "daily", "target": 8 })).await;
        let partial = created(&app, complete(&app, &ada, &water, json!({ "value": 3 })).await);
        assert_eq!(partial["completion"]["counted"], false, "3 of 8 does not count yet");
        assert_eq!(partial["completion"]["value"], 3.0);
        assert_eq!(partial["xpAwarded"], 0);
        let reached = created(&app, complete(&app, &ada, &water, json!({ "value": 5 })).await);
        assert_eq!(reached["completion"]["counted"], true, "3 + 5 reaches 8: {}", reached);
        assert_eq!(reached["xpAwarded"], 5);
        complete(&app, &ada, &water, json!({ "value": 1 }))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");
        assert_eq!(xp(&app, &ada).await, 15, "{}", app.label);
        assert_eq!(stats(&app, &ada).await["completionsToday"], 3, "the uncounted value is not a completion");

        // Day 1: the weekly habit is due; the period habit's second time; a new day for the daily one.
        ada = advance(&app, email, Duration::days(1)).await;
        let ran = created(&app, complete(&app, &ada, &weekly, json!({})).await);
        assert_eq!(ran["completion"]["localDate"], day0.next_day().unwrap().to_string());
        created(&app, complete(&app, &ada, &twice, json!({})).await);
        created(&app, complete(&app, &ada, &daily, json!({})).await);
        // Day 2: the period is used up.
        ada = advance(&app, email, Duration::days(1)).await;
        complete(&app, &ada, &twice, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");
        complete(&app, &ada, &weekly, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "habit_not_due");
        // Day 7: the next period.
        ada = advance(&app, email, Duration::days(5)).await;
        let next = created(&app, complete(&app, &ada, &twice, json!({})).await);
        assert_eq!(next["xpAwarded"], 5);
        let swims = completions(&app, &ada, &format!("&nodeId={twice}")).await;
        assert_eq!(swims.len(), 3, "{}: {swims:?}", app.label);
        assert_eq!(xp(&app, &ada).await, 15 + 5 * 3 + 5, "{}", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_focus_sessions_xp_is_its_days_minutes_over_five_capped_at_sixty(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        let (ada, _) = utc_user(&app, "ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let day = today(&app);
        let yesterday = day.previous_day().unwrap();

        let deep = node(&app, &ada, &work, "focus_session", "Deep work").await;
        // 30 + 17 minutes today; yesterday's 50 minutes do not count.
        log_time(&app, &ada, Some(&deep), at(day, 8, 0), at(day, 8, 30)).await;
        log_time(&app, &ada, Some(&deep), at(day, 9, 0), at(day, 9, 17)).await;
        log_time(&app, &ada, Some(&deep), at(yesterday, 23, 0), at(yesterday, 23, 50)).await;
        let focused = created(&app, complete(&app, &ada, &deep, json!({})).await);
        assert_eq!(focused["xpAwarded"], 47 / 5, "{}: {}", app.label, focused);
        complete(&app, &ada, &deep, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");

        let marathon = node(&app, &ada, &work, "focus_session", "Marathon").await;
        log_time(&app, &ada, Some(&marathon), at(day, 1, 0), at(day, 6, 30)).await;
        let long = created(&app, complete(&app, &ada, &marathon, json!({})).await);
        assert_eq!(long["xpAwarded"], 60, "330 minutes are capped at 60 XP: {}", long);

        let idle = node(&app, &ada, &work, "focus_session", "Nothing logged").await;
        assert_eq!(created(&app, complete(&app, &ada, &idle, json!({})).await)["xpAwarded"], 0);

        let fixed = node_with(&app, &ada, &work, json!({ "type": "focus_session", "title": "Fixed", "xpValue": 12 })).await;
        log_time(&app, &ada, Some(&fixed), at(day, 10, 0), at(day, 11, 0)).await;
        assert_eq!(
            created(&app, complete(&app, &ada, &fixed, json!({})).await)["xpAwarded"],
            12,
            "xpValue overrides the minutes"
        );
        assert_eq!(xp(&app, &ada).await, 9 + 60 + 12);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn invalid_completion_bodies_are_422_never_500(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        let (ada, _) = utc_user(&app, "ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Write report").await;
        let habit = node(&app, &ada, &work, "habit", "Count").await;
        set_schedule(&app, &ada, &habit, json!({ "frequency": "daily", "target": 10 })).await;
        let day = today(&app);

        for (body, code, field) in [
            (json!({ "bogus": 1 }), "invalid_body", None),
            (json!({ "value": "three" }), "invalid_body", None),
            (json!({ "id": "not-a-uuid" }), "invalid_body", None),
            (json!({ "localDate": "2026-13-01" }), "invalid_body", None),
            (json!({ "completedAt": "yesterday" }), "invalid_body", None),
            (json!({ "value": -1 }), "validation_failed", Some("value")),
            (json!({ "value": 1e12 }), "validation_failed", Some("value")),
            (json!({ "note": "x".repeat(2001) }), "validation_failed", Some("note")),
            (json!({ "completedAt": app.now() + Duration::hours(1) }), "validation_failed", Some("completedAt")),
            (json!({ "localDate": day.next_day().unwrap().to_string() }), "completion_in_future", None),
            (json!({ "localDate": (day - Duration::days(5)).to_string() }), "completion_too_late", None),
        ] {
            for target in [&task, &habit] {
                let reply = complete(&app, &ada, target, body.clone()).await;
                let shown: String = body.to_string().chars().take(80).collect();
                assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}: {shown}: {}", app.label, reply.body);
                reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, code);
                if let Some(field) = field {
                    assert_eq!(reply.body["errors"][0]["field"], field, "{shown}: {}", reply.body);
                }
            }
        }
        // No body at all (on a node of its own), and a path that is no id: not a server error.
        let spare = node(&app, &ada, &work, "task", "Spare").await;
        let bare = app.call(Method::POST, &complete_path(&spare), Some(&ada), None).await;
        assert!(bare.status.is_client_error() || bare.status == StatusCode::CREATED, "{}: {}", bare.status, bare.body);
        let bad_path = complete(&app, &ada, "not-a-uuid", json!({})).await;
        assert!(bad_path.status.is_client_error(), "{}: {}", bad_path.status, bad_path.body);
        let bad_query = app.get("/api/v1/completions?from=2026-02-02&to=2026-01-01", &ada).await;
        bad_query.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        assert!(completions(&app, &ada, &format!("&nodeId={task}")).await.is_empty(), "nothing was recorded");
        assert!(completions(&app, &ada, &format!("&nodeId={habit}")).await.is_empty());
        assert_eq!(node_status(&app, &ada, &task).await, "open");
        // The longest note allowed.
        let note = created(&app, complete(&app, &ada, &task, json!({ "note": "é".repeat(2000) })).await);
        assert_eq!(note["completion"]["note"].as_str().unwrap().chars().count(), 2000);
        app.stop().await;
    }
}

// ---- 2. retries ---------------------------------------------------------------------------

lifeos_kernel::dialect_test! {
    async fn a_retried_completion_id_answers_the_first_result(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        let (ada, _) = utc_user(&app, "ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        // Worth a level and the first badge, so the replay has something to repeat.
        let big = node_with(&app, &ada, &work, json!({ "type": "task", "title": "Big", "xpValue": 120 })).await;
        let id = lifeos_kernel::id::new_id().to_string();
        let first = complete(&app, &ada, &big, json!({ "id": id, "note": "from the phone" })).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}: {}", app.label, first.body);
        assert_eq!(first.body["completion"]["id"], id.as_str());
        assert_eq!(first.body["levelUp"], json!({ "from": 1, "to": 2 }));
        let badges: Vec<&str> = first.body["newBadges"].as_array().unwrap().iter().map(|b| str_of(b, "code")).collect();
        assert_eq!(badges, vec!["first_completion"], "{}", first.body);

        let again = complete(&app, &ada, &big, json!({ "id": id, "note": "from the watch" })).await;
        assert_eq!(again.status, StatusCode::OK, "{}: {}", app.label, again.body);
        for field in ["completion", "xpAwarded", "levelUp", "newBadges"] {
            assert_eq!(again.body[field], first.body[field], "{}: {field} replayed", app.label);
        }
        assert_eq!(again.body["completion"]["note"], "from the phone", "the first result");
        assert_eq!(again.body["stats"]["xp"], 120);
        assert_eq!(xp(&app, &ada).await, 120, "nothing awarded twice");
        assert_eq!(earned_codes(&app, &ada).await, vec!["first_completion"]);
        assert_eq!(completions(&app, &ada, "").await.len(), 1);

        let other = node(&app, &ada, &work, "task", "Other").await;
        complete(&app, &ada, &other, json!({ "id": id }))
            .await
            .assert_problem(StatusCode::CONFLICT, "completion_id_taken");
        assert_eq!(node_status(&app, &ada, &other).await, "open");

        // An Idempotency-Key replays the stored answer.
        let keyed = node(&app, &ada, &work, "task", "Keyed").await;
        let path = complete_path(&keyed);
        let one = app.idempotent(Method::POST, &path, &ada, "complete-keyed", json!({})).await;
        assert_eq!(one.status, StatusCode::CREATED, "{}", one.body);
        let two = app.idempotent(Method::POST, &path, &ada, "complete-keyed", json!({})).await;
        assert_eq!(two.status, StatusCode::CREATED, "{}", two.body);
        assert_eq!(two.headers.get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
        assert_eq!(two.body, one.body);
        app.idempotent(Method::POST, &path, &ada, "complete-keyed", json!({ "note": "different" }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
        assert_eq!(xp(&app, &ada).await, 130, "{}", app.label);
        assert_eq!(completions(&app, &ada, "").await.len(), 2);
        app.stop().await;
    }
}

// ---- 3. races -----------------------------------------------------------------------------

/// Races that a lost race can hide run this often.
const ROUNDS: usize = 3;

lifeos_kernel::dialect_test! {
    async fn two_devices_completing_a_habit_at_once_count_once(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        for round in 0..ROUNDS {
            let (ada, _) = utc_user(&app, &format!("ada{round}@example.com")).await;
            let health = track(&app, &ada, "Health").await;
            let habit = daily_habit_in(&app, &ada, &health, "Stretch").await;
            let day = today(&app);
            let (a, b) = tokio::join!(
                complete(&app, &ada, &habit, json!({ "id": lifeos_kernel::id::new_id(), "localDate": day.to_string() })),
                complete(&app, &ada, &habit, json!({ "id": lifeos_kernel::id::new_id(), "localDate": day.to_string() })),
            );
            let statuses = [a.status, b.status];
            let (won, lost) = match statuses {
                [StatusCode::CREATED, _] => (a, b),
                [_, StatusCode::CREATED] => (b, a),
                _ => panic!("{} round {round}: no 201: {} / {}", app.label, a.body, b.body),
            };
            assert_eq!(won.status, StatusCode::CREATED);
            lost.assert_problem(StatusCode::CONFLICT, "already_completed");
            assert_eq!(xp(&app, &ada).await, 5, "{} round {round}: XP counted once", app.label);
            assert_eq!(completions(&app, &ada, &format!("&nodeId={habit}")).await.len(), 1);
            assert_eq!(stats(&app, &ada).await["completionsToday"], 1);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn eight_tasks_completed_at_once_all_count(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        for round in 0..ROUNDS {
            let (ada, _) = utc_user(&app, &format!("ada{round}@example.com")).await;
            let work = track(&app, &ada, "Work").await;
            let mut tasks = Vec::new();
            for i in 0..8 {
                tasks.push(node(&app, &ada, &work, "task", &format!("Task {i}")).await);
            }
            let calls = tasks.iter().map(|t| {
                let request = app.http.post(app.url(&complete_path(t))).bearer_auth(&ada).json(&json!({}));
                tokio::spawn(async move { Reply::from(request.send().await.expect("sent")).await })
            });
            let mut replies = Vec::new();
            for call in calls.collect::<Vec<_>>() {
                replies.push(call.await.unwrap());
            }
            let mut seen = BTreeSet::new();
            for reply in &replies {
                assert_eq!(reply.status, StatusCode::CREATED, "{} round {round}: {}", app.label, reply.body);
                seen.insert(reply.body["stats"]["xp"].as_i64().unwrap());
            }
            assert_eq!(
                seen,
                (1..=8).map(|i| i * 10).collect::<BTreeSet<i64>>(),
                "{} round {round}: each saw the one before it",
                app.label
            );
            assert_eq!(xp(&app, &ada).await, 80, "{} round {round}", app.label);
            assert_eq!(completions(&app, &ada, "").await.len(), 8);
            for t in &tasks {
                assert_eq!(node_status(&app, &ada, t).await, "done");
            }
        }
        app.stop().await;
    }
}

// ---- 4. undo ------------------------------------------------------------------------------

lifeos_kernel::dialect_test! {
    async fn undo_within_24_hours_reverses_exactly(db: TestDatabase) {
        let app = spawn_at_noon(&db, 5).await;
        let email = "ada@example.com";
        let (mut ada, _) = utc_user(&app, email).await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Write report").await;

        let first = created(&app, complete(&app, &ada, &task, json!({})).await);
        let first_id = str_of(&first["completion"], "id").to_owned();
        let undone = undo(&app, &ada, &first_id).await;
        assert_eq!(undone.status, StatusCode::OK, "{}: {}", app.label, undone.body);
        assert_eq!(undone.body["completionId"], first_id.as_str());
        assert_eq!(undone.body["xpReversed"], 10);
        assert_eq!(undone.body["stats"]["xp"], 0);
        assert_eq!(undone.body["stats"]["completionsToday"], 0);
        assert_eq!(node_status(&app, &ada, &task).await, "open", "{}: open again", app.label);
        assert!(completions(&app, &ada, "").await.is_empty(), "an undone completion is not listed");
        undo(&app, &ada, &first_id)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        let second = created(&app, complete(&app, &ada, &task, json!({})).await);
        assert_eq!(second["xpAwarded"], 10, "completed again, awarded again");
        assert_eq!(node_status(&app, &ada, &task).await, "done");
        complete(&app, &ada, &task, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "already_completed");
        assert_eq!(xp(&app, &ada).await, 10, "{}: once", app.label);

        // A level gained and lost; the badge stays.
        let big = node_with(&app, &ada, &work, json!({ "type": "milestone", "title": "Big", "xpValue": 100 })).await;
        let leveled = created(&app, complete(&app, &ada, &big, json!({})).await);
        assert_eq!(leveled["stats"]["level"], 2);
        let back = undo(&app, &ada, str_of(&leveled["completion"], "id")).await;
        assert_eq!(back.status, StatusCode::OK, "{}", back.body);
        assert_eq!(back.body["stats"]["level"], 1);
        assert_eq!(back.body["stats"]["xp"], 10);
        assert_eq!(back.body["stats"]["xpIntoLevel"], 10);

        // A habit value below its target carries no XP: its undo reverses nothing.
        let water = node(&app, &ada, &work, "habit", "Water").await;
        set_schedule(&app, &ada, &water, json!({ "frequency": "daily", "target": 8 })).await;
        let partial = created(&app, complete(&app, &ada, &water, json!({ "value": 3 })).await);
        let sip = undo(&app, &ada, str_of(&partial["completion"], "id")).await;
        assert_eq!(sip.status, StatusCode::OK, "{}", sip.body);
        assert_eq!(sip.body["xpReversed"], 0);
        // A habit's day is free again after its undo.
        let daily = daily_habit_in(&app, &ada, &work, "Stretch").await;
        let s1 = created(&app, complete(&app, &ada, &daily, json!({})).await);
        assert_eq!(undo(&app, &ada, str_of(&s1["completion"], "id")).await.status, StatusCode::OK);
        created(&app, complete(&app, &ada, &daily, json!({})).await);
        assert_eq!(xp(&app, &ada).await, 15, "{}", app.label);

        // 23 h 59 min later the second completion can still be undone; a day later not.
        let late = node(&app, &ada, &work, "task", "Late").await;
        let kept = created(&app, complete(&app, &ada, &late, json!({})).await);
        let kept_id = str_of(&kept["completion"], "id").to_owned();
        ada = advance(&app, email, Duration::hours(23) + Duration::minutes(59)).await;
        let second_id = str_of(&second["completion"], "id").to_owned();
        let in_time = undo(&app, &ada, &second_id).await;
        assert_eq!(in_time.status, StatusCode::OK, "{}: {}", app.label, in_time.body);
        ada = advance(&app, email, Duration::minutes(2)).await;
        undo(&app, &ada, &kept_id)
            .await
            .assert_problem(StatusCode::CONFLICT, "undo_window_passed");
        assert_eq!(node_status(&app, &ada, &late).await, "done");
        let now = stats(&app, &ada).await;
        assert_eq!(now["xp"], 15, "{}: {now}", app.label);
        assert!(earned_codes(&app, &ada).await.contains(&"first_completion".to_owned()), "badges are never taken away");

        // Undo everything still undoable: XP never goes below zero.
        let fresh = node(&app, &ada, &work, "task", "Fresh").await;
        created(&app, complete(&app, &ada, &fresh, json!({})).await);
        created(&app, complete(&app, &ada, &daily, json!({})).await);
        assert_eq!(xp(&app, &ada).await, 30);
        for c in completions(&app, &ada, "").await {
            let reply = undo(&app, &ada, str_of(&c, "id")).await;
            assert!(reply.status == StatusCode::OK || reply.status == StatusCode::CONFLICT, "{}", reply.body);
            if reply.status == StatusCode::OK {
                assert!(reply.body["stats"]["xp"].as_i64().unwrap() >= 0, "{}", reply.body);
            }
        }
        let end = stats(&app, &ada).await;
        assert!(end["xp"].as_i64().unwrap() >= 0, "{end}");
        assert_eq!(end["xp"], 15, "{}: only the completions past their window keep their XP: {end}", app.label);
        assert_eq!(completions(&app, &ada, "").await.len(), 2);
        app.stop().await;
    }
}

// ---- 5. another user's data ---------------------------------------------------------------

lifeos_kernel::dialect_test! {
    async fn another_users_gamification_is_not_found(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        let (ada, _) = utc_user(&app, "ada@example.com").await;
        let (bob, _) = utc_user(&app, "bob@example.com").await;
        let bobs = track(&app, &bob, "Bob's").await;
        let task = node(&app, &bob, &bobs, "task", "Bob's task").await;
        let spare = node(&app, &bob, &bobs, "task", "Bob's spare").await;
        let habit = daily_habit_in(&app, &bob, &bobs, "Bob's habit").await;
        let done = created(&app, complete(&app, &bob, &task, json!({})).await);
        let done_id = str_of(&done["completion"], "id").to_owned();
        created(&app, complete(&app, &bob, &habit, json!({})).await);
        let day = today(&app);
        log_time(&app, &bob, None, at(day, 1, 0), at(day, 11, 0)).await;
        let hike = app.post("/api/v1/hikes", Some(&bob), json!({ "date": day.to_string(), "distanceKm": 120 })).await;
        assert_eq!(hike.status, StatusCode::CREATED, "{}", hike.body);
        await_badge(&app, &bob, "hiked_100km").await;

        let missing = complete(&app, &ada, &lifeos_kernel::id::new_id().to_string(), json!({})).await;
        let theirs = complete(&app, &ada, &spare, json!({})).await;
        theirs.assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(theirs.body["detail"], missing.body["detail"], "like a missing node");
        complete(&app, &ada, &habit, json!({}))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        undo(&app, &ada, &done_id)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert!(completions(&app, &ada, &format!("&nodeId={task}")).await.is_empty());
        assert!(completions(&app, &ada, &format!("&trackId={bobs}")).await.is_empty());
        assert!(completions(&app, &ada, "").await.is_empty());
        app.get(&format!("/api/v1/habits/{habit}/stats"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        // Bob's completion id as Ada's client id: refused, and nothing of Bob's shown.
        let ada_work = track(&app, &ada, "Ada's").await;
        let ada_task = node(&app, &ada, &ada_work, "task", "Ada's task").await;
        let borrowed = complete(&app, &ada, &ada_task, json!({ "id": done_id })).await;
        borrowed.assert_problem(StatusCode::CONFLICT, "completion_id_taken");
        assert!(!borrowed.body.to_string().contains(&task), "{}", borrowed.body);
        // On Bob's node it is Bob's node that is not found, as without the id.
        let borrowed_bob = complete(&app, &ada, &task, json!({ "id": done_id })).await;
        borrowed_bob.assert_problem(StatusCode::NOT_FOUND, "not_found");

        // Bob's figures are his.
        let ada_stats = stats(&app, &ada).await;
        assert_eq!(ada_stats["xp"], 0, "{}: {ada_stats}", app.label);
        assert_eq!(ada_stats["currentStreak"], 0);
        assert_eq!(ada_stats["longestStreak"], 0);
        assert_eq!(ada_stats["completionsToday"], 0);
        assert_eq!(ada_stats["lastActiveOn"], Value::Null);
        assert!(earned_codes(&app, &ada).await.is_empty());
        let catalog = app.get("/api/v1/badges", &ada).await;
        assert_eq!(catalog.status, StatusCode::OK, "{}", catalog.body);
        for badge in catalog.body.as_array().unwrap() {
            // Her own level (1) is her only progress.
            let own = if badge["kind"] == "level" { 1 } else { 0 };
            assert_eq!(badge["progress"], own, "{}: {badge}", app.label);
            assert_eq!(badge["earnedAt"], Value::Null, "{badge}");
        }
        for period in ["week", "month"] {
            let summary = app.get(&format!("/api/v1/me/progress/summary?period={period}"), &ada).await;
            assert_eq!(summary.status, StatusCode::OK, "{}", summary.body);
            assert_eq!(summary.body["completions"], 0, "{}", summary.body);
            assert_eq!(summary.body["xp"], 0);
            assert_eq!(summary.body["tracks"], json!([]));
            for d in summary.body["days"].as_array().unwrap() {
                assert_eq!((d["completions"].as_i64(), d["habitsDue"].as_i64(), d["habitsDone"].as_i64()), (Some(0), Some(0), Some(0)), "{d}");
            }
        }
        // And Bob still has his.
        assert_eq!(xp(&app, &bob).await, 15);
        assert_eq!(completions(&app, &bob, "").await.len(), 2);
        app.stop().await;
    }
}

// ---- 6. activity badges -------------------------------------------------------------------

lifeos_kernel::dialect_test! {
    async fn logged_time_and_hikes_earn_their_badges_once(db: TestDatabase) {
        let app = spawn_at_noon(&db, 3).await;
        let (ada, _) = utc_user(&app, "ada@example.com").await;
        let day = today(&app);
        let yesterday = day.previous_day().unwrap();

        log_time(&app, &ada, None, at(yesterday, 6, 0), at(yesterday, 11, 0)).await;
        let first = app.post("/api/v1/hikes", Some(&ada), json!({ "date": day.to_string(), "distanceKm": 40 })).await;
        assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
        let codes = await_badge(&app, &ada, "first_hike").await;
        assert!(!codes.contains(&"hours_10".to_owned()), "300 minutes are not 10 hours: {codes:?}");
        assert!(!codes.contains(&"hiked_100km".to_owned()), "{codes:?}");

        log_time(&app, &ada, None, at(day, 1, 0), at(day, 6, 0)).await;
        await_badge(&app, &ada, "hours_10").await;

        for km in [40, 19] {
            let hike = app.post("/api/v1/hikes", Some(&ada), json!({ "date": day.to_string(), "distanceKm": km })).await;
            assert_eq!(hike.status, StatusCode::CREATED, "{}", hike.body);
        }
        // 99 km: wait for the listener to see the last hike before asserting absence.
        tokio::time::sleep(StdDuration::from_millis(2500)).await;
        assert!(!earned_codes(&app, &ada).await.contains(&"hiked_100km".to_owned()), "{}: 99 km", app.label);
        let last = app.post("/api/v1/hikes", Some(&ada), json!({ "date": day.to_string(), "distanceKm": 1 })).await;
        assert_eq!(last.status, StatusCode::CREATED, "{}", last.body);
        await_badge(&app, &ada, "hiked_100km").await;

        // More events: nothing earned twice.
        log_time(&app, &ada, None, at(day, 7, 0), at(day, 8, 0)).await;
        app.post("/api/v1/hikes", Some(&ada), json!({ "date": day.to_string(), "distanceKm": 10 })).await;
        tokio::time::sleep(StdDuration::from_millis(2500)).await;
        let codes = earned_codes(&app, &ada).await;
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &codes {
            *counts.entry(c.as_str()).or_default() += 1;
        }
        assert_eq!(
            counts,
            BTreeMap::from([("first_hike", 1), ("hiked_100km", 1), ("hours_10", 1)]),
            "{}",
            app.label
        );
        let catalog = app.get("/api/v1/badges", &ada).await;
        let progress: BTreeMap<&str, (i64, i64)> = catalog.body.as_array().unwrap().iter().map(|b| {
            (str_of(b, "code"), (b["progress"].as_i64().unwrap(), b["threshold"].as_i64().unwrap()))
        }).collect();
        assert_eq!(progress["hours_10"], (600, 600));
        assert_eq!(progress["hours_100"], (660, 6000), "{}: {progress:?}", app.label);
        assert_eq!(progress["first_hike"], (1, 1));
        assert_eq!(progress["hiked_100km"], (100000, 100000));
        assert_eq!(xp(&app, &ada).await, 0, "activity badges award no XP");
        app.stop().await;
    }
}

// ---- 7. the projection equals a recomputation -----------------------------------------------

mod stored_stats_equal_a_recomputation {
    //! Random completions and undos (clock moving 0 to 2 days between them), checked
    //! against a model and then by the real repair CLI (`0 changed`).
    //!
    //! The CLI reads the system clock while the app reads the test clock, so every case
    //! runs in the past: its clock starts 45 days ago and moves at most 40 days on. Then
    //! the CLI's "now" is after everything recorded, it compares the stored projection
    //! with the rebuilt one as of that same instant, and `/me/stats` (test clock) must be
    //! byte-for-byte the same before and after the CLI ran.
    //!
    //! Not a `dialect_test!`: proptest's runner is synchronous, so each dialect gets a
    //! plain test that runs the app on a multi-thread runtime and blocks on each case.

    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug, Clone)]
    enum Action {
        Task(usize),
        Habit,
        /// Undo the completion made this many completions ago (modulo how many there are).
        Undo(usize),
    }

    #[derive(Debug, Clone)]
    struct Op {
        /// Days the clock moves before the action (0: one minute).
        days: i64,
        /// Minutes after noon the clock then shows (within 12:00..16:00 UTC).
        minutes: i64,
        action: Action,
    }

    const TASKS: usize = 4;

    fn op() -> impl Strategy<Value = Op> {
        let days = prop_oneof![3 => Just(0i64), 2 => Just(1i64), 1 => Just(2i64)];
        let action = prop_oneof![
            3 => (0..TASKS).prop_map(Action::Task),
            3 => Just(Action::Habit),
            2 => (0usize..8).prop_map(Action::Undo),
        ];
        (days, 0i64..240, action).prop_map(|(days, minutes, action)| Op {
            days,
            minutes,
            action,
        })
    }

    struct Made {
        id: String,
        at: Timestamp,
        date: Date,
        xp: i64,
        task: Option<usize>,
        live: bool,
    }

    fn level_of(xp: i64) -> i64 {
        let mut level = 1;
        while 50 * (level + 1) * level <= xp {
            level += 1;
        }
        level
    }

    /// The runs of consecutive dates in `days` (a daily habit is due every day, so no day
    /// is a rest day): (longest, current as of `today`).
    fn streaks(days: &BTreeSet<Date>, today: Date) -> (i64, i64) {
        let mut longest = 0;
        let mut run = 0;
        let mut prev: Option<Date> = None;
        let mut ends: BTreeMap<Date, i64> = BTreeMap::new();
        for d in days {
            run = if prev.and_then(|p| p.next_day()) == Some(*d) {
                run + 1
            } else {
                1
            };
            ends.insert(*d, run);
            longest = longest.max(run);
            prev = Some(*d);
        }
        let yesterday = today.previous_day().unwrap();
        let current = ends
            .get(&today)
            .or_else(|| ends.get(&yesterday))
            .copied()
            .unwrap_or(0);
        (longest, current)
    }

    static CASE: AtomicUsize = AtomicUsize::new(0);

    async fn run_case(app: &TestApp, db_url: &str, ops: &[Op]) -> Result<(), TestCaseError> {
        let case = CASE.fetch_add(1, Ordering::Relaxed);
        // Each case in its own hour of the past (the registration limit counts per minute).
        let base = Timestamp::from(
            (last_noon() - Duration::days(45))
                .as_offset_date_time()
                .replace_time(Time::from_hms(12, 0, 0).unwrap()),
        ) + Duration::minutes(i64::try_from(case % 200).unwrap());
        app.clock.set(base - Duration::minutes(5));
        let email = format!("case{case}@example.com");
        let (token, user_id) = utc_user(app, &email).await;
        let zone = app
            .call(
                Method::PATCH,
                "/api/v1/me",
                Some(&token),
                Some(json!({ "timezone": "Europe/Berlin", "dayStartHour": 4 })),
            )
            .await;
        prop_assert_eq!(zone.status, StatusCode::OK);
        let key = app
            .post(
                "/api/v1/me/api-keys",
                Some(&token),
                json!({ "name": "prop", "scopes": ["read", "write"] }),
            )
            .await;
        prop_assert_eq!(key.status, StatusCode::CREATED, "{}", key.body);
        let key = str_of(&key.body, "key").to_owned();
        let work = track(app, &token, "Work").await;
        let mut tasks = Vec::new();
        for i in 0..TASKS {
            tasks.push(node(app, &token, &work, "task", &format!("Task {i}")).await);
        }
        let habit = daily_habit_in(app, &token, &work, "Stretch").await;
        app.clock.set(base);

        let send = |method: Method, path: String| {
            let key = key.clone();
            async move {
                let body = (method == Method::POST).then(|| json!({}));
                app.with_key(method, &path, &key, body).await
            }
        };
        let mut made: Vec<Made> = Vec::new();
        let mut day_index = 0i64;
        for (step, op) in ops.iter().enumerate() {
            if op.days == 0 {
                app.clock.advance(Duration::minutes(1));
            } else {
                day_index += op.days;
                let target = base + Duration::days(day_index) + Duration::minutes(op.minutes);
                app.clock.set(target.max(app.now() + Duration::minutes(1)));
            }
            let now = app.now();
            // 12:00-16:xx UTC is 13:00-18:xx in Berlin, after the 04:00 day start: the
            // local date is the UTC date.
            let date = now.as_offset_date_time().date();
            let context = format!("{}: step {step} {op:?}", app.label);
            match &op.action {
                Action::Task(i) => {
                    let taken = made.iter().any(|m| m.live && m.task == Some(*i));
                    let reply = send(Method::POST, complete_path(&tasks[*i])).await;
                    if taken {
                        prop_assert_eq!(
                            reply.status,
                            StatusCode::CONFLICT,
                            "{}: {}",
                            context,
                            reply.body
                        );
                        prop_assert_eq!(&reply.body["code"], "already_completed");
                    } else {
                        prop_assert_eq!(
                            reply.status,
                            StatusCode::CREATED,
                            "{}: {}",
                            context,
                            reply.body
                        );
                        prop_assert_eq!(reply.body["xpAwarded"].as_i64(), Some(10));
                        made.push(Made {
                            id: str_of(&reply.body["completion"], "id").to_owned(),
                            at: now,
                            date,
                            xp: 10,
                            task: Some(*i),
                            live: true,
                        });
                    }
                }
                Action::Habit => {
                    let taken = made
                        .iter()
                        .any(|m| m.live && m.task.is_none() && m.date == date);
                    let reply = send(Method::POST, complete_path(&habit)).await;
                    if taken {
                        prop_assert_eq!(
                            reply.status,
                            StatusCode::CONFLICT,
                            "{}: {}",
                            context,
                            reply.body
                        );
                        prop_assert_eq!(&reply.body["code"], "already_completed");
                    } else {
                        prop_assert_eq!(
                            reply.status,
                            StatusCode::CREATED,
                            "{}: {}",
                            context,
                            reply.body
                        );
                        prop_assert_eq!(
                            &reply.body["completion"]["localDate"],
                            &json!(date.to_string())
                        );
                        made.push(Made {
                            id: str_of(&reply.body["completion"], "id").to_owned(),
                            at: now,
                            date,
                            xp: 5,
                            task: None,
                            live: true,
                        });
                    }
                }
                Action::Undo(back) => {
                    if made.is_empty() {
                        continue;
                    }
                    let index = made.len() - 1 - back % made.len();
                    let reply = send(
                        Method::DELETE,
                        format!("/api/v1/completions/{}", made[index].id),
                    )
                    .await;
                    let target = &mut made[index];
                    if !target.live {
                        prop_assert_eq!(
                            reply.status,
                            StatusCode::NOT_FOUND,
                            "{}: {}",
                            context,
                            reply.body
                        );
                    } else if now.since(target.at) > Duration::hours(24) {
                        prop_assert_eq!(
                            reply.status,
                            StatusCode::CONFLICT,
                            "{}: {}",
                            context,
                            reply.body
                        );
                        prop_assert_eq!(&reply.body["code"], "undo_window_passed");
                    } else {
                        prop_assert_eq!(
                            reply.status,
                            StatusCode::OK,
                            "{}: {}",
                            context,
                            reply.body
                        );
                        prop_assert_eq!(reply.body["xpReversed"].as_i64(), Some(target.xp));
                        target.live = false;
                    }
                }
            }
            let expected_xp: i64 = made.iter().filter(|m| m.live).map(|m| m.xp).sum();
            let got = send(Method::GET, "/api/v1/me/stats".into()).await;
            prop_assert_eq!(
                got.body["xp"].as_i64(),
                Some(expected_xp),
                "{}: {}",
                context,
                got.body
            );
        }

        let live: Vec<&Made> = made.iter().filter(|m| m.live).collect();
        let xp: i64 = live.iter().map(|m| m.xp).sum();
        let days: BTreeSet<Date> = live.iter().map(|m| m.date).collect();
        let (longest, current) = streaks(&days, app.now().as_offset_date_time().date());
        let before = send(Method::GET, "/api/v1/me/stats".into()).await.body;
        let context = format!("{}: {ops:?}: {before}", app.label);
        prop_assert!(before["xp"].as_i64().unwrap() >= 0);
        prop_assert_eq!(before["xp"].as_i64(), Some(xp), "{}", context);
        prop_assert_eq!(before["level"].as_i64(), Some(level_of(xp)), "{}", context);
        prop_assert_eq!(
            before["longestStreak"].as_i64(),
            Some(longest),
            "{}",
            context
        );
        prop_assert_eq!(
            before["currentStreak"].as_i64(),
            Some(current),
            "{}",
            context
        );
        let listed = send(Method::GET, "/api/v1/completions?limit=500".into()).await;
        prop_assert_eq!(
            listed.body["items"].as_array().map(Vec::len),
            Some(live.len()),
            "{}",
            context
        );

        let output = recompute_cli(db_url, &user_id);
        let stderr = String::from_utf8_lossy(&output.stderr);
        prop_assert!(output.status.success(), "{}: {}", context, stderr);
        prop_assert!(
            stderr.contains("recomputed 1 user(s), 0 changed"),
            "{}: the CLI says: {}",
            context,
            stderr
        );
        let after = send(Method::GET, "/api/v1/me/stats".into()).await.body;
        prop_assert_eq!(&after, &before, "{}", context);
        Ok(())
    }

    /// The control: a projection corrupted behind the app's back is reported and repaired
    /// (so `0 changed` above means something).
    async fn corrupted_stats_are_repaired(app: &TestApp, db_url: &str) {
        app.clock.set(last_noon() - Duration::days(2));
        let (token, user_id) = utc_user(app, "control@example.com").await;
        let work = track(app, &token, "Work").await;
        for title in ["One", "Two"] {
            let task = node(app, &token, &work, "task", title).await;
            created(app, complete(app, &token, &task, json!({})).await);
        }
        let id: uuid::Uuid = user_id.parse().unwrap();
        lifeos_kernel::with_writer!(app.db(), pool => {
            sqlx::query("UPDATE user_stats SET xp = xp + 7, longest_streak = longest_streak + 3 WHERE user_id = $1")
                .bind(id).execute(pool).await.unwrap();
        });
        assert_eq!(
            stats(app, &token).await["xp"],
            27,
            "{}: corrupted",
            app.label
        );
        let output = recompute_cli(db_url, &user_id);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{}: {stderr}", app.label);
        assert!(
            stderr.contains("recomputed 1 user(s), 1 changed"),
            "{}: {stderr}",
            app.label
        );
        assert!(stderr.contains("xp 27 -> 20"), "{}: {stderr}", app.label);
        let repaired = stats(app, &token).await;
        assert_eq!(
            (repaired["xp"].as_i64(), repaired["longestStreak"].as_i64()),
            (Some(20), Some(1)),
            "{}: {repaired}",
            app.label
        );
    }

    fn recompute_cli(db_url: &str, user_id: &str) -> std::process::Output {
        let dir = tempfile::tempdir().unwrap();
        std::process::Command::new(env!("CARGO_BIN_EXE_lifeos"))
            .args(["gamification", "recompute", "--user", user_id])
            .current_dir(dir.path())
            .env("LIFEOS_ENV", "dev")
            .env(
                "LIFEOS_VAULT_KEYS",
                "t:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
            )
            .env("DATABASE_URL", db_url)
            .env("LIFEOS_JWT_SECRET", JWT_SECRET)
            .env("LIFEOS_MAIL_DIR", dir.path())
            .env("LIFEOS_DB_MAX_CONNECTIONS", "2")
            .env("RUST_LOG", "warn")
            .env_remove("LIFEOS_SMTP_URL")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("lifeos runs")
    }

    fn check(postgres: bool, cases: u32) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let db = if postgres {
            match runtime.block_on(lifeos_kernel::testing::postgres_if_configured()) {
                Some(db) => db,
                None => return,
            }
        } else {
            lifeos_kernel::testing::sqlite()
        };
        let app = runtime.block_on(TestApp::spawn(&db));
        let mut runner = TestRunner::new(Config {
            cases,
            max_shrink_iters: 16,
            failure_persistence: None,
            ..Config::default()
        });
        let strategy = proptest::collection::vec(op(), 1..=20);
        let result = runner.run(&strategy, |ops| {
            runtime.block_on(run_case(&app, &db.url, &ops))
        });
        if result.is_ok() {
            runtime.block_on(corrupted_stats_are_repaired(&app, &db.url));
        }
        runtime.block_on(app.stop());
        if let Err(error) = result {
            panic!("{}: {error}", db.label);
        }
    }

    #[test]
    fn sqlite() {
        check(false, 8);
    }

    #[test]
    fn postgres() {
        check(true, 4);
    }
}
