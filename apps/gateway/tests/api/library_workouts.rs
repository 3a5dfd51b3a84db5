//! Workouts: the log's life cycle, other people's ids, references to the library, and
//! progress (Epley one-rep max per local day, volume per ISO week) with figures a person
//! can check by hand.

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::TestApp;

const EXERCISES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/library/seed/data/exercises.json"
));
const PROGRAMS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/library/seed/data/programs.json"
));

/// The id of the seed row named `name` (the loader puts every seed row in the library).
fn seed_id(file: &str, name: &str) -> String {
    let seed: Value = serde_json::from_str(file).unwrap();
    seed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == name)
        .unwrap_or_else(|| panic!("{name} is in the seed"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn back_squat() -> String {
    seed_id(EXERCISES, "Back Squat")
}

fn bench_press() -> String {
    seed_id(EXERCISES, "Bench Press")
}

fn first_program() -> String {
    let seed: Value = serde_json::from_str(PROGRAMS).unwrap();
    seed["rows"][0]["id"].as_str().unwrap().to_owned()
}

/// A Berlin user (so that local dates differ from UTC ones) at a fixed instant.
async fn berlin_user(app: &TestApp, email: &str) -> String {
    app.clock
        .set(Timestamp::parse("2026-12-10T12:00:00Z").unwrap());
    let token = app.user(email).await;
    let reply = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "timezone": "Europe/Berlin" })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    token
}

async fn log(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.post("/api/v1/workouts", Some(token), body).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

fn fields(reply: &crate::common::Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

lifeos_kernel::dialect_test! {
    async fn a_workout_is_logged_read_changed_and_deleted(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        let id = Uuid::new_v4().to_string();
        let sent = json!({
            "id": id,
            "startedAt": "2026-12-09T17:00:00Z",
            "endedAt": "2026-12-09T18:05:00Z",
            "name": "Leg day",
            "programId": first_program(),
            "programDay": 1,
            "exercises": [{ "exerciseId": back_squat(), "sets": [
                { "reps": 5, "weightKg": 100.0, "rpe": 8.5 },
                { "reps": 5, "weightKg": 100.0 }
            ] }],
            "notes": "felt strong"
        });
        let created = log(&app, &ada, sent.clone()).await;
        for field in ["id", "startedAt", "endedAt", "name", "programId", "programDay", "notes"] {
            assert_eq!(created[field], sent[field], "{}: {field} echoed", app.label);
        }
        assert_eq!(created["exercises"][0]["exerciseId"], sent["exercises"][0]["exerciseId"]);
        assert_eq!(created["exercises"][0]["sets"][0]["rpe"], 8.5);
        assert_eq!(created["exercises"][0]["sets"][1]["durationS"], Value::Null);
        let path = format!("/api/v1/workouts/{id}");
        assert_eq!(app.get(&path, &ada).await.body, created);

        let patched = app
            .call(Method::PATCH, &path, Some(&ada), Some(json!({
                "name": null,
                "exercises": [{ "exerciseId": back_squat(), "sets": [
                    { "reps": 5, "weightKg": 102.5 }, { "durationS": 45 }
                ] }]
            })))
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert_eq!(patched.body["name"], Value::Null);
        assert_eq!(patched.body["notes"], "felt strong", "untouched fields stay");
        assert_eq!(patched.body["exercises"][0]["sets"][0]["weightKg"], 102.5);
        assert_eq!(patched.body["exercises"][0]["sets"][1]["durationS"], 45);
        assert!(patched.body["version"].as_i64() > created["version"].as_i64());

        let listed = app.get("/api/v1/workouts?from=2026-12-09&to=2026-12-09", &ada).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1, "{}", listed.body);
        assert_eq!(listed.body["items"][0], patched.body);

        // The export holds the stored row, its sets as JSON (not a string) on both dialects.
        let export = app.get("/api/v1/me/export", &ada).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.body);
        let exported = &export.body["data"]["library"]["workouts"][0];
        assert_eq!(exported["id"], json!(id), "{}", export.body["data"]["library"]);
        assert_eq!(exported["exercises"][0]["sets"][0]["weightKg"], 102.5);

        let deleted = app.call(Method::DELETE, &path, Some(&ada), None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        app.get(&path, &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let listed = app.get("/api/v1/workouts", &ada).await;
        assert_eq!(listed.body["items"], json!([]));
        // A tombstone keeps its id: a client cannot reuse it for something else.
        let reused = app.post("/api/v1/workouts", Some(&ada), sent).await;
        reused.assert_problem(StatusCode::CONFLICT, "library_id_conflict");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn another_users_workout_is_not_found(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let body = json!({
            "startedAt": "2026-12-09T17:00:00Z",
            "exercises": [{ "exerciseId": bench_press(), "sets": [{ "reps": 8, "weightKg": 60 }] }]
        });
        let workout = log(&app, &ada, body.clone()).await;
        let path = format!("/api/v1/workouts/{}", workout["id"].as_str().unwrap());
        app.get(&path, &bob)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.call(Method::PATCH, &path, Some(&bob), Some(json!({ "name": "mine now" })))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.call(Method::DELETE, &path, Some(&bob), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let mut taken = body;
        taken["id"] = workout["id"].clone();
        app.post("/api/v1/workouts", Some(&bob), taken)
            .await
            .assert_problem(StatusCode::CONFLICT, "library_id_conflict");
        assert_eq!(app.get("/api/v1/workouts", &bob).await.body["items"], json!([]));
        let progress = app
            .get(&format!("/api/v1/workouts/progress?exerciseId={}", bench_press()), &bob)
            .await;
        assert_eq!(progress.body["points"], json!([]), "{}", progress.body);
        assert_eq!(app.get(&path, &ada).await.body, workout, "Ada's workout is untouched");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn references_and_sets_are_checked(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        let unknown = Uuid::new_v4().to_string();
        let reply = app
            .post("/api/v1/workouts", Some(&ada), json!({
                "startedAt": "2026-12-09T17:00:00Z",
                "programId": unknown,
                "exercises": [
                    { "exerciseId": back_squat(), "sets": [{ "reps": 5, "weightKg": 100 }] },
                    { "exerciseId": unknown, "sets": [{ "reps": 5 }] }
                ]
            }))
            .await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(fields(&reply), ["exercises[1].exerciseId", "programId"]);
        assert_eq!(reply.body["errors"][0]["message"], "is not an exercise in the library");

        let reply = app
            .post("/api/v1/workouts", Some(&ada), json!({
                "startedAt": "2026-12-10T12:05:00Z",
                "endedAt": "2026-12-10T12:00:00Z",
                "programDay": 2,
                "exercises": [{ "exerciseId": back_squat(), "sets": [
                    { "weightKg": 100 }, { "reps": 5, "weightKg": 1001, "rpe": 7.3 }
                ] }]
            }))
            .await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            fields(&reply),
            [
                "startedAt",
                "endedAt",
                "programDay",
                "exercises[0].sets[0]",
                "exercises[0].sets[1].weightKg",
                "exercises[0].sets[1].rpe",
            ]
        );

        let workout = log(&app, &ada, json!({
            "startedAt": "2026-12-09T17:00:00Z",
            "exercises": [{ "exerciseId": back_squat(), "sets": [{ "reps": 5, "weightKg": 100 }] }]
        }))
        .await;
        let path = format!("/api/v1/workouts/{}", workout["id"].as_str().unwrap());
        let reply = app
            .call(Method::PATCH, &path, Some(&ada), Some(json!({
                "exercises": [{ "exerciseId": unknown, "sets": [{ "reps": 5 }] }]
            })))
            .await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(fields(&reply), ["exercises[0].exerciseId"]);
        assert_eq!(app.get(&path, &ada).await.body, workout, "nothing changed");

        let reply = app
            .get(&format!("/api/v1/workouts/progress?exerciseId={unknown}"), &ada)
            .await;
        reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(fields(&reply), ["exerciseId"]);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn progress_over_three_workouts(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        let squat = back_squat();
        // Monday 30 Nov: 5 × 100 and 8 × 80.
        log(&app, &ada, json!({
            "startedAt": "2026-11-30T17:00:00Z",
            "exercises": [{ "exerciseId": squat, "sets": [
                { "reps": 5, "weightKg": 100 }, { "reps": 8, "weightKg": 80 }
            ] }]
        }))
        .await;
        // Thursday 3 Dec: 3 × 110 and 5 × 100 (the bench press is another exercise).
        log(&app, &ada, json!({
            "startedAt": "2026-12-03T17:00:00Z",
            "exercises": [
                { "exerciseId": squat, "sets": [
                    { "reps": 3, "weightKg": 110 }, { "reps": 5, "weightKg": 100 }
                ] },
                { "exerciseId": bench_press(), "sets": [{ "reps": 5, "weightKg": 200 }] }
            ]
        }))
        .await;
        // Sunday 23:30 UTC is Monday 7 Dec 00:30 in Berlin: a single of 125, and an
        // unloaded set that does not count.
        log(&app, &ada, json!({
            "startedAt": "2026-12-06T23:30:00Z",
            "exercises": [{ "exerciseId": squat, "sets": [
                { "reps": 1, "weightKg": 125 }, { "reps": 10, "weightKg": 0 }
            ] }]
        }))
        .await;

        let reply = app
            .get(&format!("/api/v1/workouts/progress?exerciseId={squat}"), &ada)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let progress = reply.body;
        assert_eq!(progress["exerciseId"], squat);
        assert_eq!(progress["formula"], "epley");
        assert_eq!(progress["formulaText"], "1RM = weight × (1 + reps / 30)");
        // 100 × (1 + 5/30) = 116.67 beats 80 × (1 + 8/30) = 101.33;
        // 110 × (1 + 3/30) = 121 beats 116.67; a single of 125 is 125.
        assert_eq!(
            progress["points"],
            json!([
                { "date": "2026-11-30", "estimatedOneRepMaxKg": 116.67, "weightKg": 100.0, "reps": 5 },
                { "date": "2026-12-03", "estimatedOneRepMaxKg": 121.0, "weightKg": 110.0, "reps": 3 },
                { "date": "2026-12-07", "estimatedOneRepMaxKg": 125.0, "weightKg": 125.0, "reps": 1 }
            ])
        );
        // Week of 30 Nov: 5×100 + 8×80 + 3×110 + 5×100 = 500 + 640 + 330 + 500 = 1970.
        // Week of 7 Dec: 1×125 = 125 (the set of 10 × 0 kg does not count).
        assert_eq!(
            progress["weeklyVolume"],
            json!([
                { "weekStart": "2026-11-30", "volumeKg": 1970.0, "sets": 4 },
                { "weekStart": "2026-12-07", "volumeKg": 125.0, "sets": 1 }
            ])
        );

        // Lists filter on the same local dates.
        let monday = app.get("/api/v1/workouts?from=2026-12-07&to=2026-12-07", &ada).await;
        let items = monday.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{}", monday.body);
        assert_eq!(items[0]["startedAt"], "2026-12-06T23:30:00Z");
        let sunday = app.get("/api/v1/workouts?from=2026-12-06&to=2026-12-06", &ada).await;
        assert_eq!(sunday.body["items"], json!([]));
        let paged = app.get("/api/v1/workouts?limit=2", &ada).await;
        assert_eq!(paged.body["items"].as_array().unwrap().len(), 2);
        let cursor = paged.body["nextCursor"].as_str().unwrap();
        let rest = app.get(&format!("/api/v1/workouts?limit=2&cursor={cursor}"), &ada).await;
        assert_eq!(rest.body["items"][0]["startedAt"], "2026-12-06T23:30:00Z");
        assert_eq!(rest.body["nextCursor"], Value::Null);
        app.stop().await;
    }
}
