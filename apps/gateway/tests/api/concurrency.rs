//! Races: twenty copies of one write sent at once, and what a user would check afterwards.
//! Every write that reads to decide (positions, the running timer, locks, reorders, one
//! day type per date, merging a patch, baselines, one-time tokens) must come out as if
//! the requests had arrived one after the other (ADR 0010). SQLite serialises writers
//! anyway; PostgreSQL is where a missing lock shows.

use std::collections::BTreeSet;

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db, with_writer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::seed::{node, track};
use crate::common::{Reply, TestApp, refresh_token, token};

/// How many copies of a request race.
const N: usize = 20;

/// Races that a lost race can hide run this often (each round is a fresh chance to show).
const ROUNDS: i64 = 3;

/// One request of a race.
struct Call {
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<Value>,
}

impl Call {
    fn new(method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Call {
        Call {
            method,
            path: path.to_owned(),
            token: token.map(str::to_owned),
            body,
        }
    }

    fn post(path: &str, token: &str, body: Value) -> Call {
        Call::new(Method::POST, path, Some(token), Some(body))
    }
}

/// Sends every call at once, each from its own task, and returns the replies in order.
async fn race(app: &TestApp, calls: Vec<Call>) -> Vec<Reply> {
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|call| {
            let mut request = app.http.request(call.method, app.url(&call.path));
            if let Some(token) = call.token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = call.body {
                request = request.json(&body);
            }
            tokio::spawn(async move { Reply::from(request.send().await.expect("sent")).await })
        })
        .collect();
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await.expect("request task"));
    }
    replies
}

/// `N` copies of one call.
fn copies(make: impl Fn() -> Call) -> Vec<Call> {
    (0..N).map(|_| make()).collect()
}

/// The replies with `status`.
fn with_status(replies: &[Reply], status: StatusCode) -> Vec<&Reply> {
    replies.iter().filter(|r| r.status == status).collect()
}

/// Exactly one reply is `won`; every other one is the problem `status`/`code`.
#[track_caller]
fn one_winner<'r>(
    app: &TestApp,
    replies: &'r [Reply],
    won: StatusCode,
    status: StatusCode,
    code: &str,
) -> &'r Reply {
    let winners = with_status(replies, won);
    let answers: Vec<String> = replies
        .iter()
        .map(|r| format!("{} {}", r.status.as_u16(), r.body["code"]))
        .collect();
    assert_eq!(winners.len(), 1, "{}: one {won}: {answers:?}", app.label);
    for loser in replies.iter().filter(|r| r.status != won) {
        loser.assert_problem(status, code);
    }
    winners[0]
}

/// Every reply is `status`.
#[track_caller]
fn all_succeed(app: &TestApp, replies: &[Reply], status: StatusCode) {
    for reply in replies {
        assert_eq!(reply.status, status, "{}: {}", app.label, reply.body);
    }
}

fn version(body: &Value) -> i64 {
    body["version"].as_i64().expect("version")
}

/// The `position`s of `items`, which must be 0..len in some order.
#[track_caller]
fn assert_contiguous(app: &TestApp, items: &[&Value]) {
    let positions: BTreeSet<i64> = items
        .iter()
        .map(|i| i["position"].as_i64().unwrap())
        .collect();
    let expected: BTreeSet<i64> = (0..i64::try_from(items.len()).unwrap()).collect();
    assert_eq!(positions, expected, "{}: distinct, contiguous", app.label);
}

async fn outbox_count(app: &TestApp, topic: &str) -> i64 {
    with_db!(app.db(), pool => {
        sqlx::query_scalar("SELECT count(*) FROM outbox_events WHERE topic = $1").bind(topic).fetch_one(pool).await.unwrap()
    })
}

/// The items of a list reply.
fn items(reply: &Reply) -> Vec<&Value> {
    reply.body["items"].as_array().unwrap().iter().collect()
}

/// Patches of two different fields raced on one row: the row keeps, for each field, the
/// value of the last patch that set it (a patch must not write back a stale copy of the
/// field it did not touch).
#[track_caller]
fn assert_merged(app: &TestApp, replies: &[Reply], last: &Value, fields: [&str; 2]) {
    all_succeed(app, replies, StatusCode::OK);
    for (parity, field) in fields.into_iter().enumerate() {
        let newest = replies
            .iter()
            .skip(parity)
            .step_by(2)
            .max_by_key(|r| version(&r.body))
            .unwrap();
        assert_eq!(
            last[field], newest.body[field],
            "{}: {field} of the newest patch that set it survives: {last}",
            app.label
        );
    }
}

/// Races `N` patches of `path`, alternately setting `fields[0]` and `fields[1]` to a
/// value from `value(field, i)`, and checks the row merged them all.
async fn race_patches(
    app: &TestApp,
    ada: &str,
    path: &str,
    fields: [&str; 2],
    value: impl Fn(&str, usize) -> Value,
) {
    let calls = (0..N)
        .map(|i| {
            let field = fields[i % 2];
            let body = json!({ field: value(field, i) });
            Call::new(Method::PATCH, path, Some(ada), Some(body))
        })
        .collect();
    let replies = race(app, calls).await;
    let last = app.get(path, ada).await;
    assert_merged(app, &replies, &last.body, fields);
}

lifeos_kernel::dialect_test! {
    async fn parallel_node_creates_get_distinct_contiguous_positions(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let path = format!("/api/v1/tracks/{work}/nodes");
        let calls = (0..N)
            .map(|i| Call::post(&path, &ada, json!({ "type": "task", "title": format!("Task {i}") })))
            .collect();
        let replies = race(&app, calls).await;
        all_succeed(&app, &replies, StatusCode::CREATED);
        let bodies: Vec<&Value> = replies.iter().map(|r| &r.body).collect();
        assert_contiguous(&app, &bodies);
        let listed = app.get(&path, &ada).await;
        assert_contiguous(&app, &items(&listed));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_track_creates_get_distinct_contiguous_positions(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let calls = (0..N)
            .map(|i| Call::post("/api/v1/tracks", &ada, json!({ "title": format!("Track {i}") })))
            .collect();
        let replies = race(&app, calls).await;
        all_succeed(&app, &replies, StatusCode::CREATED);
        let bodies: Vec<&Value> = replies.iter().map(|r| &r.body).collect();
        assert_contiguous(&app, &bodies);
        let listed = app.get("/api/v1/tracks", &ada).await;
        assert_contiguous(&app, &items(&listed));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_creates_with_one_client_id_make_one_row(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for round in 1..=ROUNDS {
            let date = format!("2026-02-0{round}");
            let cases = [
                ("/api/v1/tracks", json!({ "title": "Work" })),
                ("/api/v1/docs", json!({ "title": "Plan", "body": "x" })),
                ("/api/v1/vehicles", json!({ "name": "Golf" })),
                ("/api/v1/vehicle-maintenance", json!({ "date": date, "serviceType": "oil_change" })),
                ("/api/v1/day-types", json!({ "date": date, "plannedType": "focus" })),
            ];
            for (path, mut body) in cases {
                let id = lifeos_kernel::id::new_id();
                body["id"] = json!(id);
                let replies = race(&app, copies(|| Call::post(path, &ada, body.clone()))).await;
                let won = with_status(&replies, StatusCode::CREATED);
                assert_eq!(won.len(), 1, "{}: {path}: one row", app.label);
                assert_eq!(won[0].body["id"], json!(id));
                for lost in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
                    assert_eq!(lost.status, StatusCode::CONFLICT, "{}: {path}: {}", app.label, lost.body);
                }
            }
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn two_users_racing_for_one_client_id_get_one_row_and_409s(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let cases = [
            ("/api/v1/tracks", json!({ "title": "Work" })),
            ("/api/v1/docs", json!({ "title": "Plan", "body": "x" })),
            ("/api/v1/vehicles", json!({ "name": "Golf" })),
            ("/api/v1/vehicle-maintenance", json!({ "date": "2026-02-01", "serviceType": "oil_change" })),
            ("/api/v1/day-types", json!({ "date": "2026-02-01", "plannedType": "focus" })),
            ("/api/v1/hikes", json!({ "date": "2026-02-01", "distanceKm": 5.0, "durationMinutes": 60 })),
        ];
        for round in 0..ROUNDS {
            for (path, body) in &cases {
                let id = lifeos_kernel::id::new_id();
                let mut body = body.clone();
                body["id"] = json!(id);
                if let Some(date) = body.get_mut("date") {
                    *date = json!(format!("2026-03-0{}", round + 1));
                }
                let calls = (0..N)
                    .map(|i| Call::post(path, if i % 2 == 0 { &ada } else { &bob }, body.clone()))
                    .collect();
                let replies = race(&app, calls).await;
                let won = with_status(&replies, StatusCode::CREATED);
                assert_eq!(won.len(), 1, "{}: {path}: one row of that id", app.label);
                // The winner's own retries may meet its day first.
                let codes: &[&str] = if path.ends_with("day-types") { &["id_conflict", "day_already_planned"] } else { &["id_conflict"] };
                for lost in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
                    assert_eq!(lost.status, StatusCode::CONFLICT, "{}: {path}: {}", app.label, lost.body);
                    assert!(codes.contains(&lost.body["code"].as_str().unwrap()), "{}: {path}: {}", app.label, lost.body);
                }
            }
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_stops_of_one_timer_let_exactly_one_win(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for round in 1..=ROUNDS {
            let started = app.post("/api/v1/time-entries/start", Some(&ada), json!({})).await;
            assert_eq!(started.status, StatusCode::CREATED, "{}", started.body);
            let id = started.body["id"].as_str().unwrap();
            app.clock.advance(time::Duration::minutes(1));
            let stop = format!("/api/v1/time-entries/{id}/stop");
            let replies = race(&app, copies(|| Call::post(&stop, &ada, json!({})))).await;
            let won = one_winner(&app, &replies, StatusCode::OK, StatusCode::CONFLICT, "timer_not_running");
            let entry = app.get(&format!("/api/v1/time-entries/{id}"), &ada).await;
            assert_eq!(entry.body["endedAt"], won.body["endedAt"]);
            assert_eq!(version(&entry.body), version(&started.body) + 1, "{}: one change", app.label);
            assert_eq!(outbox_count(&app, "tracking.time_entry_stopped").await, round);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_starts_leave_one_running_timer(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let start = || Call::post("/api/v1/time-entries/start", &ada, json!({}));
        let replies = race(&app, copies(start)).await;
        let won = one_winner(&app, &replies, StatusCode::CREATED, StatusCode::CONFLICT, "timer_already_running");
        for lost in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
            assert_eq!(lost.body["runningId"], won.body["id"]);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_locks_and_unlocks_change_the_node_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let id = node(&app, &ada, &work, "task", "Report").await;
        let path = format!("/api/v1/nodes/{id}");
        let before = version(&app.get(&path, &ada).await.body);
        for round in 1..=ROUNDS {
            for (action, locked) in [("lock", true), ("unlock", false)] {
                let call = || Call::post(&format!("{path}/{action}"), &ada, json!({}));
                let replies = race(&app, copies(call)).await;
                all_succeed(&app, &replies, StatusCode::OK);
                for reply in &replies {
                    assert_eq!(reply.body["locked"], locked);
                }
                let topic = format!("tracking.node_{action}ed");
                assert_eq!(outbox_count(&app, &topic).await, round, "{}: one {topic} a round", app.label);
            }
        }
        let after = version(&app.get(&path, &ada).await.body);
        assert_eq!(after, before + 2 * ROUNDS, "{}: a lock and an unlock a round", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn writes_racing_a_lock_respect_it(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let health = track(&app, &ada, "Health").await;
        let stretch = node(&app, &ada, &health, "habit", "Stretch").await;
        let node_path = format!("/api/v1/nodes/{stretch}");
        let schedule = format!("{node_path}/habit-schedule");
        let lock_at = N / 2;
        let calls = (0..N)
            .map(|i| match (i == lock_at, i % 2) {
                (true, _) => Call::post(&format!("{node_path}/lock"), &ada, json!({})),
                (false, 0) => {
                    let body = json!({ "frequency": "weekly", "daysOfWeek": [i % 7 + 1] });
                    Call::new(Method::PUT, &schedule, Some(&ada), Some(body))
                }
                (false, _) => {
                    let body = json!({ "title": format!("Stretch {i}") });
                    Call::new(Method::PATCH, &node_path, Some(&ada), Some(body))
                }
            })
            .collect();
        let replies = race(&app, calls).await;
        let locked = &replies[lock_at];
        assert_eq!(locked.status, StatusCode::OK, "{}", locked.body);
        for reply in replies.iter().filter(|r| r.status != StatusCode::OK) {
            reply.assert_problem(StatusCode::CONFLICT, "node_locked");
        }
        // Whatever changed the node or its schedule did so before the lock.
        for (i, reply) in replies.iter().enumerate() {
            if i != lock_at && reply.status == StatusCode::OK {
                assert!(version(&reply.body) < version(&locked.body), "{}: a write after the lock: {}", app.label, reply.body);
            }
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_reorders_and_creates_keep_positions_contiguous(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let mut ids = Vec::new();
        for title in ["A", "B", "C", "D", "E"] {
            ids.push(node(&app, &ada, &work, "task", title).await);
        }
        let nodes = format!("/api/v1/tracks/{work}/nodes");
        let calls = (0..N)
            .map(|i| {
                if i % 4 == 3 {
                    Call::post(&nodes, &ada, json!({ "type": "task", "title": format!("New {i}") }))
                } else {
                    let mut order = ids.clone();
                    order.rotate_left(i % ids.len());
                    Call::post("/api/v1/nodes/reorder", &ada, json!({ "trackId": work, "ids": order }))
                }
            })
            .collect();
        let replies = race(&app, calls).await;
        for reply in &replies {
            if reply.status == StatusCode::UNPROCESSABLE_ENTITY {
                // A reorder that came after a create no longer names every node.
                reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            } else {
                assert!(reply.status.is_success(), "{}: {}", app.label, reply.body);
            }
        }
        let listed = app.get(&nodes, &ada).await;
        assert_eq!(items(&listed).len(), 10);
        assert_contiguous(&app, &items(&listed));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_plans_of_one_date_keep_one_day_type(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let plan = || Call::post("/api/v1/day-types", &ada, json!({ "date": "2026-02-03", "plannedType": "focus" }));
        let replies = race(&app, copies(plan)).await;
        let won = one_winner(&app, &replies, StatusCode::CREATED, StatusCode::CONFLICT, "day_already_planned");
        for lost in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
            assert_eq!(lost.body["existingId"], won.body["id"], "{}", lost.body);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_patches_of_one_row_merge(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let created = |path: &'static str, body: Value| {
            let app = &app;
            let ada = &ada;
            async move {
                let reply = app.post(path, Some(ada), body).await;
                assert_eq!(reply.status, StatusCode::CREATED, "{path}: {}", reply.body);
                reply.body["id"].as_str().unwrap().to_owned()
            }
        };
        let day = created("/api/v1/day-types", json!({ "date": "2026-02-03", "plannedType": "focus" })).await;
        let kinds = ["free", "focus", "buffer"];
        race_patches(&app, &ada, &format!("/api/v1/day-types/{day}"), ["notes", "actualType"], |field, i| {
            if field == "notes" { json!(format!("note {i}")) } else { json!(kinds[i % 3]) }
        })
        .await;
        let doc = created("/api/v1/docs", json!({ "title": "Plan", "body": "x" })).await;
        race_patches(&app, &ada, &format!("/api/v1/docs/{doc}"), ["title", "body"], |field, i| {
            json!(format!("{field} {i}"))
        })
        .await;
        let car = created("/api/v1/vehicles", json!({ "name": "Golf" })).await;
        race_patches(&app, &ada, &format!("/api/v1/vehicles/{car}"), ["name", "make"], |field, i| {
            json!(format!("{field} {i}"))
        })
        .await;
        let service = created("/api/v1/vehicle-maintenance", json!({ "date": "2026-02-06", "serviceType": "oil_change" })).await;
        race_patches(&app, &ada, &format!("/api/v1/vehicle-maintenance/{service}"), ["notes", "provider"], |field, i| {
            json!(format!("{field} {i}"))
        })
        .await;
        let hike = created("/api/v1/hikes", json!({ "date": "2026-02-08", "distanceKm": 8.5, "durationMinutes": 135 })).await;
        race_patches(&app, &ada, &format!("/api/v1/hikes/{hike}"), ["notes", "elevationGainM"], |field, i| {
            if field == "notes" { json!(format!("note {i}")) } else { json!(100 + i) }
        })
        .await;
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_schedule_replaces_leave_one_schedule(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let health = track(&app, &ada, "Health").await;
        let stretch = node(&app, &ada, &health, "habit", "Stretch").await;
        let path = format!("/api/v1/nodes/{stretch}/habit-schedule");
        let calls = (0..N)
            .map(|i| {
                let body = json!({ "frequency": "weekly", "daysOfWeek": [i % 7 + 1] });
                Call::new(Method::PUT, &path, Some(&ada), Some(body))
            })
            .collect();
        let replies = race(&app, calls).await;
        all_succeed(&app, &replies, StatusCode::OK);
        let versions: BTreeSet<i64> = replies.iter().map(|r| version(&r.body)).collect();
        assert_eq!(versions.len(), N, "{}: each replace its own version", app.label);
        let newest = replies.iter().max_by_key(|r| version(&r.body)).unwrap();
        let kept = app.get(&path, &ada).await;
        assert_eq!(kept.body, newest.body, "{}: the last replace is the schedule", app.label);
        let rows: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM habit_schedules").fetch_one(pool).await.unwrap()
        });
        assert_eq!(rows, 1);
        app.stop().await;
    }
}

/// A Berlin user with health-data consent on day 3 of a cycle, six mornings of RMSSD at
/// 60 ms, at 2026-03-25 08:40 UTC.
async fn brake_user(app: &TestApp, email: &str) -> String {
    app.clock
        .set(Timestamp::parse("2026-03-25T08:40:00Z").unwrap());
    let token = crate::brake::consenting_user(app, email, "2026-03-23").await;
    crate::brake::baseline(app, &token).await;
    token
}

async fn brake_check(app: &TestApp, token: &str, value_ms: f64) -> Reply {
    let sample = json!({ "measuredAt": app.now(), "valueMs": value_ms, "metric": "rmssd", "source": "oura" });
    let reply = app
        .post(
            "/api/v1/brake/check",
            Some(token),
            json!({ "hrvSample": sample }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply
}

lifeos_kernel::dialect_test! {
    async fn parallel_decisions_on_one_brake_record_one(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = brake_user(&app, "ada@example.com").await;
        let events = json!({ "events": [
            { "externalId": "evt-board", "title": "Q1 Board review", "startsAt": "2026-03-25T08:30:00Z", "endsAt": "2026-03-25T10:30:00Z" },
        ]});
        let upserted = app.post("/api/v1/brake/calendar-events", Some(&ada), events).await;
        assert_eq!(upserted.status, StatusCode::OK, "{}", upserted.body);
        let shown = brake_check(&app, &ada, 45.0).await;
        assert_eq!(shown.body["reason"], "display", "{}", shown.body);
        let decide = || Call::post("/api/v1/brake/decisions", &ada, json!({ "decisionType": "delay", "eventId": "evt-board" }));
        let replies = race(&app, copies(decide)).await;
        one_winner(&app, &replies, StatusCode::OK, StatusCode::CONFLICT, "no_brake_displayed");
        let history = app.get("/api/v1/brake/decisions/history", &ada).await;
        assert_eq!(items(&history).len(), 1, "{}: one decision", app.label);
        assert_eq!(outbox_count(&app, "brake.decision_recorded").await, 1);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_brake_settings_all_land(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = brake_user(&app, "ada@example.com").await;
        let calls = (0..N)
            .map(|i| {
                let body = json!({ "keywords": ["Board"], "dropThreshold": 0.2, "coolingMinutes": 10 + i, "reflectionHour": 9 });
                Call::new(Method::PUT, "/api/v1/brake/settings", Some(&ada), Some(body))
            })
            .collect();
        let replies = race(&app, calls).await;
        // A full replace has no state rule: each one lands, none is turned away as busy.
        all_succeed(&app, &replies, StatusCode::OK);
        let kept = app.get("/api/v1/brake/settings", &ada).await;
        assert!(replies.iter().any(|r| r.body == kept.body), "{}: {}", app.label, kept.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_samples_all_reach_the_baseline(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        // The same samples, sent at once by Ada and one after another by Bob.
        let ada = brake_user(&app, "ada@example.com").await;
        let bob = brake_user(&app, "bob@example.com").await;
        for token in [&ada, &bob] {
            brake_check(&app, token, 60.0).await; // builds the stored baseline
        }
        let sample = |i: usize| {
            let measured = format!("2026-03-24T{:02}:{:02}:00Z", 6 + i / 60, i % 60);
            let value = 40.0 + 2.0 * f64::from(u32::try_from(i).unwrap());
            json!({ "samples": [{ "measuredAt": measured, "valueMs": value, "metric": "rmssd", "source": "oura" }] })
        };
        let calls = (0..N).map(|i| Call::post("/api/v1/brake/hrv-samples", &ada, sample(i))).collect();
        all_succeed(&app, &race(&app, calls).await, StatusCode::OK);
        for i in 0..N {
            let reply = app.post("/api/v1/brake/hrv-samples", Some(&bob), sample(i)).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        }
        app.clock.advance(time::Duration::minutes(1));
        let (raced, serial) = (brake_check(&app, &ada, 60.0).await, brake_check(&app, &bob, 60.0).await);
        for field in ["hrvBaselineMean", "hrvBaselineStdDev"] {
            let (a, b) = (raced.body[field].as_f64().unwrap(), serial.body[field].as_f64().unwrap());
            assert!((a - b).abs() < 1e-9, "{}: {field} {a} vs {b}", app.label);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_refreshes_rotate_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let session = app.register("ada@example.com").await;
        let first = refresh_token(&session);
        let refresh = || Call::new(Method::POST, "/api/v1/auth/refresh", None, Some(json!({ "refreshToken": first })));
        let replies = race(&app, copies(refresh)).await;
        // The losers are retries inside the grace window: they get the winner's pair.
        all_succeed(&app, &replies, StatusCode::OK);
        let successors: BTreeSet<String> = replies.iter().map(|r| refresh_token(&r.body)).collect();
        assert_eq!(successors.len(), 1, "{}: one rotation", app.label);
        let rows: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM refresh_tokens").fetch_one(pool).await.unwrap()
        });
        assert_eq!(rows, 2, "{}: the first token and one successor", app.label);
        let next = successors.into_iter().next().unwrap();
        let again = app.post("/api/v1/auth/refresh", None, json!({ "refreshToken": next })).await;
        assert_eq!(again.status, StatusCode::OK, "{}: the session lives on: {}", app.label, again.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_uses_of_one_time_tokens_succeed_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.register("ada@example.com").await;
        let verify = app.mailed_token("ada@example.com", "verify-email").unwrap();
        let call = || Call::new(Method::POST, "/api/v1/auth/verify-email", None, Some(json!({ "token": verify })));
        let replies = race(&app, copies(call)).await;
        one_winner(&app, &replies, StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");

        let asked = app.post("/api/v1/auth/magic-link", None, json!({ "email": "ada@example.com" })).await;
        assert_eq!(asked.status, StatusCode::ACCEPTED);
        let link = app.mailed_token("ada@example.com", "magic-link").unwrap();
        let call = || Call::new(Method::POST, "/api/v1/auth/magic-link/consume", None, Some(json!({ "token": link })));
        let replies = race(&app, copies(call)).await;
        let won = one_winner(&app, &replies, StatusCode::OK, StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
        assert_eq!(app.get("/api/v1/me", &token(&won.body)).await.status, StatusCode::OK);
        let sessions: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM auth_sessions").fetch_one(pool).await.unwrap()
        });
        assert_eq!(sessions, 2, "{}: registration's and the link's", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_revokes_of_one_api_key_succeed_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let created = app
            .post("/api/v1/me/api-keys", Some(&ada), json!({ "name": "script", "scopes": ["read"] }))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let path = format!("/api/v1/me/api-keys/{}", created.body["id"].as_str().unwrap());
        let replies = race(&app, copies(|| Call::new(Method::DELETE, &path, Some(&ada), None))).await;
        one_winner(&app, &replies, StatusCode::NO_CONTENT, StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

/// The seed's Iron tablet: 8 mg of iron a serving; iron's upper limit is 45 mg a day.
const IRON: &str = "8b55c42e-0eff-5ab7-85ed-35b5b23db626";

lifeos_kernel::dialect_test! {
    async fn parallel_supplement_logs_each_count_the_ones_before(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let taken_at = app.now();
        let log = || {
            Call::post(
                "/api/v1/supplement-logs",
                &ada,
                json!({ "supplementId": IRON, "amount": 1, "unit": "serving", "takenAt": taken_at }),
            )
        };
        let replies = race(&app, copies(log)).await;
        all_succeed(&app, &replies, StatusCode::CREATED);
        // Each write sees the tablets committed before it, so the day's iron totals the
        // answers report are 48, 56, ... 160 mg: one each, none counted twice or missed.
        let totals: BTreeSet<i64> = replies
            .iter()
            .flat_map(|r| r.body["warnings"].as_array().unwrap().clone())
            .filter(|w| w["nutrientCode"] == "fe")
            .map(|w| w["total"].as_f64().unwrap().round() as i64)
            .collect();
        let expected: BTreeSet<i64> = (6..=20).map(|tablets| tablets * 8).collect();
        assert_eq!(totals, expected, "{}", app.label);
        let warned = replies.iter().filter(|r| r.body["warnings"] != json!([])).count();
        assert_eq!(warned, 15, "{}: the 6th to the 20th tablet pass 45 mg", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn parallel_target_saves_leave_one_row_holding_the_last(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let calls = (0..N)
            .map(|n| {
                let energy = 2000 + n;
                Call::new(
                    Method::PUT,
                    "/api/v1/nutrition/targets",
                    Some(&ada),
                    Some(json!({ "energyKcal": energy, "proteinG": 120, "fatG": 70, "carbsG": 250 })),
                )
            })
            .collect();
        let replies = race(&app, calls).await;
        all_succeed(&app, &replies, StatusCode::OK);
        let versions: BTreeSet<i64> = replies.iter().map(|r| version(&r.body)).collect();
        assert_eq!(versions.len(), N, "{}: each save is its own version", app.label);
        let newest = replies.iter().max_by_key(|r| version(&r.body)).unwrap();
        let saved = app.get("/api/v1/nutrition/targets", &ada).await;
        assert_eq!(saved.body["energyKcal"], newest.body["energyKcal"], "{}", app.label);
        let rows: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM nutrition_targets").fetch_one(pool).await.unwrap()
        });
        assert_eq!(rows, 1, "{}: one row of targets, however many devices save", app.label);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn replicas_starting_at_once_load_the_seed_without_a_conflict(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        // A dataset an older binary left behind: the foods' recorded version is gone and
        // one food's name is stale, as if four replicas of a newer release start at once.
        with_writer!(app.db(), pool => {
            sqlx::query("DELETE FROM library_seed_versions WHERE dataset = 'foods'").execute(pool).await.unwrap();
            sqlx::query("UPDATE foods SET name = 'stale' WHERE code = 'A001'").execute(pool).await.unwrap();
        });
        let loads: Vec<_> = (0..4)
            .map(|_| {
                let db = app.db().clone();
                let now = app.now();
                tokio::spawn(async move {
                    lifeos_library::load_seed(&db, now, lifeos_library::LoadMode::IfNewer).await
                })
            })
            .collect();
        let mut changed = 0;
        for load in loads {
            let report = load.await.unwrap().unwrap_or_else(|e| panic!("{}: {e}", app.label));
            changed += report.datasets.iter().map(|d| d.changed).sum::<u64>();
        }
        assert_eq!(changed, 1, "{}: the stale food is fixed once", app.label);
        let (foods, name): (i64, String) = with_db!(app.db(), pool => {
            sqlx::query_as("SELECT (SELECT count(*) FROM foods), (SELECT name FROM foods WHERE code = 'A001')")
                .fetch_one(pool).await.unwrap()
        });
        assert_eq!((foods, name.as_str()), (542, "Amaranth seed, black"), "{}", app.label);
        app.stop().await;
    }
}
