//! Meals, supplement logs, workouts, nutrition targets and completions as sync entities,
//! through HTTP: pushes run the REST rules, rejections carry the REST codes, a pull's
//! `data` is the REST GET body, and a pushed completion earns what a REST one earns.

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::seed::{node, track};
use crate::common::{TestApp, new_id};
use crate::sync_device::{Device, assert_applied, assert_rejected};

const FOODS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/library/seed/data/foods.json"
));
const SUPPLEMENTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/library/seed/data/supplements.json"
));
const EXERCISES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/library/seed/data/exercises.json"
));

/// The id of the seed row whose `key` is `value`.
fn seed_id(file: &str, key: &str, value: &str) -> String {
    let seed: Value = serde_json::from_str(file).unwrap();
    seed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row[key] == value)
        .unwrap_or_else(|| panic!("{value} is in the seed"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Chicken breast: 168.3 kcal per 100 g.
fn chicken_breast() -> String {
    seed_id(FOODS, "code", "N003")
}

/// Rice, raw, milled: 356.4 kcal per 100 g.
fn rice() -> String {
    seed_id(FOODS, "code", "A015")
}

fn iron_tablet() -> String {
    seed_id(SUPPLEMENTS, "code", "single-fe")
}

fn back_squat() -> String {
    seed_id(EXERCISES, "name", "Back Squat")
}

/// A user at a fixed instant (UTC, day starting at midnight).
async fn user(app: &TestApp, email: &str) -> String {
    app.clock
        .set(Timestamp::parse("2026-12-10T12:00:00Z").unwrap());
    app.user(email).await
}

/// Every change of `entities` (a full pull, all pages).
async fn pull(app: &TestApp, token: &str, entities: &[&str]) -> Vec<Value> {
    let mut changes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({ "entities": entities, "limit": 20 });
        if let Some(cursor) = &cursor {
            body["cursor"] = json!(cursor);
        }
        let reply = app.post("/api/v1/sync/pull", Some(token), body).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: pull: {}",
            app.label,
            reply.body
        );
        changes.extend(reply.body["changes"].as_array().unwrap().iter().cloned());
        cursor = Some(reply.body["cursor"].as_str().unwrap().to_owned());
        if reply.body["hasMore"] != json!(true) {
            return changes;
        }
    }
}

/// The pulled data of the live row `id` of `entity` (a full pull carries live rows only).
async fn pulled(app: &TestApp, token: &str, entity: &str, id: &str) -> Option<Value> {
    pull(app, token, &[entity])
        .await
        .into_iter()
        .find(|c| c["entityId"] == id)
        .map(|c| {
            assert_eq!(c["op"], "upsert", "{c}");
            assert_eq!(c["entity"], entity, "{c}");
            c["data"].clone()
        })
}

/// GET `path` and assert 200.
async fn rest(app: &TestApp, token: &str, path: &str) -> Value {
    let reply = app.get(path, token).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{}: {path}: {}",
        app.label,
        reply.body
    );
    reply.body
}

/// A pushed create, update and delete of one entity, each checked through REST and pull.
struct LifeCycle<'a> {
    entity: &'a str,
    path: &'a str,
    create: Value,
    update: Value,
    /// The REST body field the update changes, and its value then.
    changed: (&'a str, Value),
}

async fn life_cycle(app: &TestApp, token: &str, device: &mut Device<'_>, case: LifeCycle<'_>) {
    let id = new_id();
    let rest_path = format!("{}/{id}", case.path);
    let created = assert_applied(
        &device
            .push_one((case.entity, &id, "upsert", case.create, None))
            .await,
    );
    let body = rest(app, token, &rest_path).await;
    assert_eq!(
        body["id"],
        id.as_str(),
        "{}: the entity id is the row's",
        app.label
    );
    assert_eq!(body["version"], created, "{}", app.label);
    assert_eq!(pulled(app, token, case.entity, &id).await, Some(body));

    let updated = assert_applied(
        &device
            .push_one((case.entity, &id, "upsert", case.update, None))
            .await,
    );
    assert!(updated > created);
    let body = rest(app, token, &rest_path).await;
    assert_eq!(
        body[case.changed.0], case.changed.1,
        "{}: {body}",
        app.label
    );
    assert_eq!(body["version"], updated);
    assert_eq!(pulled(app, token, case.entity, &id).await, Some(body));

    assert_applied(
        &device
            .push_one((case.entity, &id, "delete", Value::Null, None))
            .await,
    );
    app.get(&rest_path, token)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(pulled(app, token, case.entity, &id).await, None);
}

lifeos_kernel::dialect_test! {
    async fn meals_logs_and_workouts_sync_through_their_rest_rules(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = user(&app, "ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        life_cycle(&app, &ada, &mut phone, LifeCycle {
            entity: "meal",
            path: "/api/v1/meals",
            create: json!({
                "eatenAt": "2026-12-10T11:00:00Z", "name": "Lunch",
                "items": [{ "foodId": chicken_breast(), "grams": 100 }, { "text": "Salad", "energyKcal": 30 }]
            }),
            update: json!({ "items": [{ "foodId": rice(), "grams": 100 }], "name": null }),
            // The totals are computed from the foods, as in the REST answer.
            changed: ("energyKcal", json!(356.4)),
        })
        .await;
        life_cycle(&app, &ada, &mut phone, LifeCycle {
            entity: "supplement_log",
            path: "/api/v1/supplement-logs",
            create: json!({
                "supplementId": iron_tablet(), "amount": 1, "unit": "serving",
                "takenAt": "2026-12-10T08:00:00Z"
            }),
            update: json!({ "amount": 2 }),
            changed: ("amount", json!(2.0)),
        })
        .await;
        life_cycle(&app, &ada, &mut phone, LifeCycle {
            entity: "workout",
            path: "/api/v1/workouts",
            create: json!({
                "startedAt": "2026-12-10T07:00:00Z", "name": "Legs",
                "exercises": [{ "exerciseId": back_squat(), "sets": [{ "reps": 5, "weightKg": 100 }] }]
            }),
            update: json!({ "notes": "felt strong" }),
            changed: ("notes", json!("felt strong")),
        })
        .await;

        // A REST write shows up in a pull in the same form.
        let meal = app
            .post("/api/v1/meals", Some(&ada), json!({
                "eatenAt": "2026-12-10T09:00:00Z", "items": [{ "foodId": rice(), "grams": 50 }]
            }))
            .await;
        assert_eq!(meal.status, StatusCode::CREATED, "{}", meal.body);
        let id = meal.body["id"].as_str().unwrap();
        assert_eq!(pulled(&app, &ada, "meal", id).await, Some(meal.body.clone()));
    }
}

lifeos_kernel::dialect_test! {
    async fn a_rule_broken_by_a_push_is_rejected_with_the_rest_code(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = user(&app, "ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let unknown = new_id();
        let meal = new_id();
        let log = new_id();
        let workout = new_id();
        let results = phone
            .push(&[
                ("meal", &meal, "upsert", json!({
                    "eatenAt": "2026-12-10T11:00:00Z",
                    "items": [{ "foodId": rice(), "grams": 10 }, { "foodId": unknown, "grams": 10 }]
                }), None),
                ("meal", &new_id(), "upsert", json!({
                    "eatenAt": "2026-12-11T11:00:00Z", "items": [{ "foodId": rice(), "grams": 10 }]
                }), None),
                ("supplement_log", &log, "upsert", json!({
                    "supplementId": unknown, "amount": 1, "unit": "serving",
                    "takenAt": "2026-12-10T08:00:00Z"
                }), None),
                ("workout", &workout, "upsert", json!({
                    "startedAt": "2026-12-10T07:00:00Z",
                    "exercises": [{ "exerciseId": unknown, "sets": [{ "reps": 5 }] }]
                }), None),
                ("meal", &new_id(), "upsert", json!({ "eatenAt": "2026-12-10T11:00:00Z", "items": [], "colour": "red" }), None),
                ("meal", &new_id(), "delete", Value::Null, None),
            ])
            .await;
        // The same codes and fields as REST: 422 with the field that is wrong.
        let message = assert_rejected(&results[0], "validation_failed");
        assert!(message.contains("items[1].foodId"), "{message}");
        let message = assert_rejected(&results[1], "validation_failed");
        assert!(message.contains("eatenAt"), "{message}");
        let message = assert_rejected(&results[2], "validation_failed");
        assert!(message.contains("supplementId"), "{message}");
        let message = assert_rejected(&results[3], "validation_failed");
        assert!(message.contains("exercises[0].exerciseId"), "{message}");
        let message = assert_rejected(&results[4], "invalid_body");
        assert!(message.contains("colour"), "{message}");
        assert_rejected(&results[5], "sync_entity_not_found");
        for path in [
            format!("/api/v1/meals/{meal}"),
            format!("/api/v1/supplement-logs/{log}"),
            format!("/api/v1/workouts/{workout}"),
        ] {
            app.get(&path, &ada)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
        }

        // A patch is checked on the resulting row, as REST checks it.
        let fine = new_id();
        assert_applied(&phone.push_one(("meal", &fine, "upsert", json!({
            "eatenAt": "2026-12-10T11:00:00Z", "items": [{ "foodId": rice(), "grams": 10 }]
        }), None)).await);
        let result = phone
            .push_one(("meal", &fine, "upsert", json!({ "items": [{ "foodId": rice(), "grams": 0 }] }), None))
            .await;
        let message = assert_rejected(&result, "validation_failed");
        assert!(message.contains("items[0].grams"), "{message}");
        let rest_patch = app
            .call(Method::PATCH, &format!("/api/v1/meals/{fine}"), Some(&ada),
                Some(json!({ "items": [{ "foodId": rice(), "grams": 0 }] })))
            .await;
        rest_patch.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(rest(&app, &ada, &format!("/api/v1/meals/{fine}")).await["items"][0]["grams"], 10.0);

        // Another user's meal id is not Ada's to write.
        let bob = app.user("bob@example.com").await;
        let mut bobs = Device::new(&app, &bob).await;
        assert_rejected(
            &bobs.push_one(("meal", &fine, "upsert", json!({ "notes": "mine" }), None)).await,
            "sync_id_conflict",
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn nutrition_targets_stay_one_row_whoever_saves_them(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = user(&app, "ada@example.com").await;
        let mut phone = Device::new(&app, &ada).await;
        let targets = json!({ "energyKcal": 2200, "proteinG": 140, "fatG": 70, "carbsG": 250 });

        // A device's targets take its id; REST reads them and a PUT keeps the id.
        let first = new_id();
        assert_applied(&phone.push_one(("nutrition_target", &first, "upsert", targets.clone(), None)).await);
        let body = rest(&app, &ada, "/api/v1/nutrition/targets").await;
        assert_eq!(body["id"], first.as_str());
        assert_eq!(pulled(&app, &ada, "nutrition_target", &first).await, Some(body));
        let put = app
            .call(Method::PUT, "/api/v1/nutrition/targets", Some(&ada),
                Some(json!({ "energyKcal": 2000, "proteinG": 120, "fatG": 60, "carbsG": 220 })))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        assert_eq!(put.body["id"], first.as_str());
        assert_eq!(pulled(&app, &ada, "nutrition_target", &first).await, Some(put.body));

        // An update patches any of the PUT body's fields, by the PUT's rules.
        assert_applied(&phone.push_one(("nutrition_target", &first, "upsert", json!({ "proteinG": 150 }), None)).await);
        let body = rest(&app, &ada, "/api/v1/nutrition/targets").await;
        assert_eq!((body["proteinG"].clone(), body["energyKcal"].clone()), (json!(150.0), json!(2000.0)));
        let message = assert_rejected(
            &phone.push_one(("nutrition_target", &first, "upsert", json!({ "energyKcal": 0 }), None)).await,
            "validation_failed",
        );
        assert!(message.contains("energyKcal"), "{message}");
        // A create is a whole PUT body; REST answers a body missing a member alike.
        assert_rejected(
            &phone.push_one(("nutrition_target", &new_id(), "upsert", json!({ "energyKcal": 2000 }), None)).await,
            "invalid_body",
        );

        // Targets another device made offline replace the saved ones, as a PUT does: one
        // live row, the old one a tombstone in the pull.
        let mut tablet = Device::new(&app, &ada).await;
        let second = new_id();
        assert_applied(&tablet.push_one(("nutrition_target", &second, "upsert", targets.clone(), None)).await);
        let body = rest(&app, &ada, "/api/v1/nutrition/targets").await;
        assert_eq!(body["id"], second.as_str());
        assert_eq!(body["energyKcal"], 2200.0);
        let changes = pull(&app, &ada, &["nutrition_target"]).await;
        let live: Vec<&Value> = changes.iter().filter(|c| c["op"] == "upsert").collect();
        assert_eq!(live.len(), 1, "{changes:?}");
        assert_eq!(live[0]["data"], body);
        assert_applied(&phone.push_one(("nutrition_target", &first, "delete", Value::Null, None)).await);

        // A delete clears them (REST has none; the daily view then has no targets).
        assert_applied(&tablet.push_one(("nutrition_target", &second, "delete", Value::Null, None)).await);
        app.get("/api/v1/nutrition/targets", &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(rest(&app, &ada, "/api/v1/nutrition/daily?date=2026-12-10").await["targets"], Value::Null);
        let put = app
            .call(Method::PUT, "/api/v1/nutrition/targets", Some(&ada), Some(targets))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}: saved again after a delete", put.body);
    }
}

/// The user's XP by `GET /me/stats` and by the week's summary.
async fn xp(app: &TestApp, token: &str) -> (i64, i64) {
    let stats = rest(app, token, "/api/v1/me/stats").await;
    let summary = rest(
        app,
        token,
        "/api/v1/me/progress/summary?period=week&date=2026-12-10",
    )
    .await;
    (
        stats["xp"].as_i64().unwrap(),
        summary["xp"].as_i64().unwrap(),
    )
}

lifeos_kernel::dialect_test! {
    async fn a_pushed_completion_earns_what_a_rest_one_earns(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        // Ada completes through REST, Bob through a push: the same plans, the same result.
        let ada = user(&app, "ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let mut plans = Vec::new();
        for token in [&ada, &bob] {
            let work = track(&app, token, "Work").await;
            let task = node(&app, token, &work, "task", "Ship").await;
            let habit = node(&app, token, &work, "habit", "Stretch").await;
            plans.push((task, habit));
        }
        let (ada_task, ada_habit) = &plans[0];
        let (bob_task, bob_habit) = &plans[1];
        for node in [ada_task, ada_habit] {
            let reply = app
                .post(&format!("/api/v1/nodes/{node}/complete"), Some(&ada),
                    json!({ "completedAt": "2026-12-10T11:00:00Z", "note": "done" }))
                .await;
            assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        }
        let mut phone = Device::new(&app, &bob).await;
        let (task_done, habit_done) = (new_id(), new_id());
        let results = phone
            .push(&[
                ("completion", &task_done, "upsert",
                    json!({ "nodeId": bob_task, "completedAt": "2026-12-10T11:00:00Z", "note": "done" }), None),
                ("completion", &habit_done, "upsert",
                    json!({ "nodeId": bob_habit, "completedAt": "2026-12-10T11:00:00Z", "note": "done" }), None),
            ])
            .await;
        assert_applied(&results[0]);
        assert_applied(&results[1]);
        let earned = xp(&app, &ada).await;
        assert!(earned.0 > 0, "{earned:?}");
        assert_eq!(xp(&app, &bob).await, earned, "{}: the same XP by both paths", app.label);
        assert_eq!(
            rest(&app, &bob, "/api/v1/me/stats").await,
            rest(&app, &ada, "/api/v1/me/stats").await,
            "{}: streak, level and today's count alike",
            app.label
        );
        assert_eq!(rest(&app, &bob, &format!("/api/v1/nodes/{bob_task}")).await["status"], "done");

        // The pull's data is the REST list's item.
        let listed = rest(&app, &bob, "/api/v1/completions").await;
        let item = listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == task_done.as_str())
            .cloned();
        assert!(item.is_some(), "{listed}");
        assert_eq!(pulled(&app, &bob, "completion", &task_done).await, item);

        // The REST rules, with the REST codes.
        let results = phone
            .push(&[
                ("completion", &new_id(), "upsert", json!({ "nodeId": bob_task }), None),
                ("completion", &new_id(), "upsert", json!({ "nodeId": bob_habit, "localDate": "2026-12-01" }), None),
                ("completion", &new_id(), "upsert", json!({ "nodeId": new_id() }), None),
                ("completion", &new_id(), "upsert", json!({ "nodeId": bob_habit, "value": -1 }), None),
                ("completion", &task_done, "upsert", json!({ "note": "changed my mind" }), None),
                ("completion", &task_done, "upsert", json!({ "nodeId": bob_task, "note": "done" }), None),
            ])
            .await;
        assert_rejected(&results[0], "already_completed");
        assert_rejected(&results[1], "completion_too_late");
        assert_rejected(&results[2], "not_found");
        assert_rejected(&results[3], "validation_failed");
        assert_rejected(&results[4], "completion_immutable");
        // Restating the stored values changes nothing.
        assert_applied(&results[5]);
        assert_eq!(xp(&app, &bob).await, earned);

        // A delete is an undo: the XP goes back and the task opens again, as through REST.
        let undone = app
            .call(Method::DELETE, &format!("/api/v1/completions/{}", completion_of(&app, &ada, ada_task).await), Some(&ada), None)
            .await;
        assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);
        assert_applied(&phone.push_one(("completion", &task_done, "delete", Value::Null, None)).await);
        assert_eq!(xp(&app, &bob).await, xp(&app, &ada).await);
        assert_eq!(rest(&app, &bob, &format!("/api/v1/nodes/{bob_task}")).await["status"], "open");
        assert_eq!(pulled(&app, &bob, "completion", &task_done).await, None);

        // After 24 hours an undo is refused, by push as by REST.
        app.clock.advance(time::Duration::hours(25));
        let bob = app.login("bob@example.com").await;
        let mut laptop = Device::new(&app, &bob).await;
        assert_rejected(
            &laptop.push_one(("completion", &habit_done, "delete", Value::Null, None)).await,
            "undo_window_passed",
        );
        assert!(pulled(&app, &bob, "completion", &habit_done).await.is_some());
    }
}

/// The id of the user's live completion of `node`.
async fn completion_of(app: &TestApp, token: &str, node: &str) -> String {
    let listed = rest(app, token, &format!("/api/v1/completions?nodeId={node}")).await;
    listed["items"][0]["id"].as_str().unwrap().to_owned()
}

lifeos_kernel::dialect_test! {
    async fn an_undone_completion_does_not_come_back_through_a_conflict(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = user(&app, "ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Ship").await;
        let mut phone = Device::new(&app, &ada).await;
        let done = new_id();
        assert_applied(
            &phone
                .push_one(("completion", &done, "upsert", json!({ "nodeId": task, "note": "shipped" }), None))
                .await,
        );
        let earned = xp(&app, &ada).await;
        let undone = app
            .call(Method::DELETE, &format!("/api/v1/completions/{done}"), Some(&ada), None)
            .await;
        assert_eq!(undone.status, StatusCode::OK, "{}", undone.body);

        // An offline device's edit of the completion loses to the undo...
        let result = phone
            .push_one(("completion", &done, "upsert", json!({ "note": "shipped!" }), None))
            .await;
        assert_eq!(result["status"], "conflict", "{result}");
        let conflict = result["conflictId"].as_str().unwrap();
        // ...and choosing it would bring the completion back without its XP: refused.
        app.post(
            &format!("/api/v1/sync/conflicts/{conflict}/resolve"),
            Some(&ada),
            json!({ "choose": "client" }),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "completion_immutable");
        assert_eq!(pulled(&app, &ada, "completion", &done).await, None);
        assert_eq!(xp(&app, &ada).await, (0, 0), "earned {earned:?}, then undone");
        assert_eq!(rest(&app, &ada, &format!("/api/v1/nodes/{task}")).await["status"], "open");
    }
}

lifeos_kernel::dialect_test! {
    async fn the_entities_list_their_rest_bodies(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = user(&app, "ada@example.com").await;
        let listed = rest(&app, &ada, "/api/v1/sync/entities").await;
        let schema = |name: &str, body: &str| {
            let entity = listed["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["name"] == name)
                .unwrap_or_else(|| panic!("{name} in {listed}"));
            let properties = entity["schema"][body]["properties"].as_object().unwrap();
            let mut names: Vec<&str> = properties.keys().map(String::as_str).collect();
            names.sort_unstable();
            names.join(",")
        };
        assert_eq!(schema("meal", "create"), "eatenAt,id,items,name,notes");
        assert_eq!(schema("meal", "update"), "eatenAt,items,name,notes");
        assert!(schema("meal", "data").contains("energyKcal"));
        assert_eq!(schema("supplement_log", "update"), "amount,notes,supplementId,takenAt,unit");
        assert!(schema("workout", "create").contains("exercises"));
        assert_eq!(schema("nutrition_target", "create"), "carbsG,energyKcal,fatG,proteinG");
        assert_eq!(schema("nutrition_target", "update"), "carbsG,energyKcal,fatG,proteinG");
        assert_eq!(schema("completion", "create"), "completedAt,localDate,nodeId,note,value");
        assert!(schema("completion", "data").contains("xpAwarded"));
    }
}
