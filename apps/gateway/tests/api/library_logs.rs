//! Meals, supplement logs and the day's nutrition: life cycles, other people's ids,
//! references to the library, and a day's figures a person can check by hand against the
//! seed's foods (IFCT 2017) and supplements.

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Reply, TestApp};

const FOODS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/library/seed/data/foods.json"
));
const SUPPLEMENTS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../crates/library/seed/data/supplements.json"
));

/// The id of the seed row with `code`.
fn seed_id(file: &str, code: &str) -> String {
    let seed: Value = serde_json::from_str(file).unwrap();
    seed["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["code"] == code)
        .unwrap_or_else(|| panic!("{code} is in the seed"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Chicken breast, skinless, per 100 g: 168.3 kcal, 21.81 g protein, 9 g fat, 0 g carbs,
/// 0.83 mg iron.
fn chicken_breast() -> String {
    seed_id(FOODS, "N003")
}

/// Rice, raw, milled, per 100 g: 356.4 kcal, 7.94 g protein, 0.52 g fat, 78.24 g carbs,
/// 0.65 mg iron.
fn rice() -> String {
    seed_id(FOODS, "A015")
}

/// One tablet: 8 mg iron (upper limit 45 mg a day, food and supplements).
fn iron_tablet() -> String {
    seed_id(SUPPLEMENTS, "single-fe")
}

/// One tablet: 90 mg vitamin C (upper limit 2000 mg a day).
fn vitamin_c() -> String {
    seed_id(SUPPLEMENTS, "single-vitc")
}

/// A Berlin user (so that local days differ from UTC ones) at 2026-12-10 13:00 local.
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

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let reply = app.post(path, Some(token), body).await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "{}: {}",
        app.label,
        reply.body
    );
    reply.body
}

fn fields(reply: &Reply) -> Vec<String> {
    reply.body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors in {}", reply.body))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

/// Values of the API are rounded to 0.01; compare with a little slack all the same.
#[track_caller]
fn close(value: &Value, expected: f64) {
    let got = value
        .as_f64()
        .unwrap_or_else(|| panic!("a number: {value}"));
    assert!((got - expected).abs() < 0.006, "{got} vs {expected}");
}

lifeos_kernel::dialect_test! {
    async fn a_meal_is_logged_read_changed_and_deleted(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        let id = Uuid::new_v4().to_string();
        let sent = json!({
            "id": id,
            "eatenAt": "2026-12-10T11:00:00Z",
            "name": "Lunch",
            "items": [
                { "foodId": chicken_breast(), "grams": 150 },
                { "text": "Green salad", "energyKcal": 30 }
            ],
            "notes": "at the canteen"
        });
        let meal = created(&app, "/api/v1/meals", &ada, sent.clone()).await;
        for field in ["id", "eatenAt", "name", "notes"] {
            assert_eq!(meal[field], sent[field], "{}: {field} echoed", app.label);
        }
        assert_eq!(meal["items"][0]["foodId"], sent["items"][0]["foodId"]);
        assert_eq!(meal["items"][1]["text"], "Green salad");
        // 150 g chicken: 168.3 × 1.5 = 252.45 kcal, 21.81 × 1.5 = 32.715 g protein, 13.5 g
        // fat; the salad adds 30 kcal.
        close(&meal["energyKcal"], 282.45);
        close(&meal["proteinG"], 32.715);
        close(&meal["fatG"], 13.5);
        close(&meal["carbsG"], 0.0);
        let path = format!("/api/v1/meals/{id}");
        assert_eq!(app.get(&path, &ada).await.body, meal);

        let patched = app
            .call(Method::PATCH, &path, Some(&ada), Some(json!({
                "name": null,
                "items": [{ "foodId": rice(), "grams": 100 }]
            })))
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert_eq!(patched.body["name"], Value::Null);
        assert_eq!(patched.body["notes"], "at the canteen", "untouched");
        close(&patched.body["energyKcal"], 356.4);
        close(&patched.body["carbsG"], 78.24);
        assert!(patched.body["version"].as_i64() > meal["version"].as_i64());

        let listed = app.get("/api/v1/meals?from=2026-12-10&to=2026-12-10", &ada).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(listed.body["items"][0], patched.body);
        let before = app.get("/api/v1/meals?to=2026-12-09", &ada).await;
        assert_eq!(before.body["items"].as_array().unwrap().len(), 0);
        app.get("/api/v1/meals?from=2026-12-11&to=2026-12-10", &ada)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        let deleted = app.call(Method::DELETE, &path, Some(&ada), None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        app.get(&path, &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.post("/api/v1/meals", Some(&ada), sent)
            .await
            .assert_problem(StatusCode::CONFLICT, "library_id_conflict");
    }
}

lifeos_kernel::dialect_test! {
    async fn another_users_meals_and_logs_are_not_found(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let meal = created(&app, "/api/v1/meals", &ada, json!({
            "eatenAt": "2026-12-10T11:00:00Z",
            "items": [{ "foodId": rice(), "grams": 80 }]
        }))
        .await;
        let log = created(&app, "/api/v1/supplement-logs", &ada, json!({
            "supplementId": iron_tablet(), "amount": 1, "unit": "serving",
            "takenAt": "2026-12-10T08:00:00Z"
        }))
        .await;
        for path in [
            format!("/api/v1/meals/{}", meal["id"].as_str().unwrap()),
            format!("/api/v1/supplement-logs/{}", log["id"].as_str().unwrap()),
        ] {
            app.get(&path, &bob)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
            app.call(Method::PATCH, &path, Some(&bob), Some(json!({ "notes": "mine" })))
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
            app.call(Method::DELETE, &path, Some(&bob), None)
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
            assert_eq!(app.get(&path, &ada).await.status, StatusCode::OK, "still Ada's");
        }
        assert_eq!(app.get("/api/v1/meals", &bob).await.body["items"], json!([]));
        assert_eq!(app.get("/api/v1/supplement-logs", &bob).await.body["items"], json!([]));
        // Ada's meal id is taken for Bob too.
        app.post("/api/v1/meals", Some(&bob), json!({
            "id": meal["id"], "eatenAt": "2026-12-10T11:00:00Z",
            "items": [{ "text": "Toast" }]
        }))
        .await
        .assert_problem(StatusCode::CONFLICT, "library_id_conflict");
    }
}

lifeos_kernel::dialect_test! {
    async fn meals_name_library_foods_and_items_of_one_shape(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        let unknown = app.post("/api/v1/meals", Some(&ada), json!({
            "eatenAt": "2026-12-10T11:00:00Z",
            "items": [
                { "foodId": rice(), "grams": 100 },
                { "foodId": Uuid::new_v4(), "grams": 100 }
            ]
        }))
        .await;
        unknown.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(fields(&unknown), ["items[1].foodId"]);
        assert_eq!(unknown.body["errors"][0]["message"], "is not a food in the library");

        for item in [
            json!({ "grams": 100 }),
            json!({ "foodId": rice(), "grams": 100, "text": "rice" }),
            json!({ "foodId": rice() }),
            json!("rice"),
        ] {
            let reply = app.post("/api/v1/meals", Some(&ada), json!({
                "eatenAt": "2026-12-10T11:00:00Z", "items": [item]
            }))
            .await;
            assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{item}: {}", reply.body);
            let message = reply.body["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("must be a food item"), "{item}: {message}");
        }

        let bounds = app.post("/api/v1/meals", Some(&ada), json!({
            "eatenAt": "2026-12-10T11:00:00Z",
            "items": [
                { "foodId": rice(), "grams": 0 },
                { "text": "", "proteinG": -1 }
            ]
        }))
        .await;
        bounds.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(fields(&bounds), ["items[0].grams", "items[1].text", "items[1].proteinG"]);
        let empty = app.post("/api/v1/meals", Some(&ada), json!({
            "eatenAt": "2026-12-10T11:00:00Z", "items": []
        }))
        .await;
        assert_eq!(fields(&empty), ["items"]);
    }
}

lifeos_kernel::dialect_test! {
    async fn the_days_nutrition_sums_its_meals_on_the_local_day(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        // 00:30 in Berlin on the 10th (still the 9th in UTC): 100 g rice and a lassi.
        created(&app, "/api/v1/meals", &ada, json!({
            "eatenAt": "2026-12-09T23:30:00Z",
            "items": [
                { "foodId": rice(), "grams": 100 },
                { "text": "Mango lassi", "energyKcal": 250, "proteinG": 6, "fatG": 5, "carbsG": 45 }
            ]
        }))
        .await;
        // 12:00 in Berlin on the 10th: 200 g chicken breast.
        created(&app, "/api/v1/meals", &ada, json!({
            "eatenAt": "2026-12-10T11:00:00Z",
            "items": [{ "foodId": chicken_breast(), "grams": 200 }]
        }))
        .await;
        // 23:30 in Berlin on the 9th: another day.
        created(&app, "/api/v1/meals", &ada, json!({
            "eatenAt": "2026-12-09T22:30:00Z",
            "items": [{ "text": "Late snack", "energyKcal": 500 }]
        }))
        .await;
        app.get("/api/v1/nutrition/targets", &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        let day = app.get("/api/v1/nutrition/daily?date=2026-12-10", &ada).await;
        assert_eq!(day.status, StatusCode::OK, "{}", day.body);
        assert_eq!(day.body["date"], "2026-12-10");
        assert_eq!(day.body["meals"], 2);
        // Energy: rice 356.4 + lassi 250 + chicken 2 × 168.3 = 336.6 -> 943 kcal.
        close(&day.body["energyKcal"], 943.0);
        // Protein: 7.94 + 6 + 2 × 21.81 = 57.56 g. Fat: 0.52 + 5 + 18 = 23.52 g.
        // Carbohydrate: 78.24 + 45 + 0 = 123.24 g.
        close(&day.body["proteinG"], 57.56);
        close(&day.body["fatG"], 23.52);
        close(&day.body["carbsG"], 123.24);
        // Iron from the foods: 0.65 + 2 × 0.83 = 2.31 mg (text items carry no nutrients).
        close(&day.body["nutrients"]["fe"], 2.31);
        assert_eq!(day.body["targets"], Value::Null);
        assert_eq!(day.body["warnings"], json!([]));
        let today = app.get("/api/v1/nutrition/daily", &ada).await;
        assert_eq!(today.body, day.body, "the default is the user's today");
        let before = app.get("/api/v1/nutrition/daily?date=2026-12-09", &ada).await;
        close(&before.body["energyKcal"], 500.0);
        assert_eq!(before.body["meals"], 1);

        let targets = json!({ "energyKcal": 2200, "proteinG": 140, "fatG": 70, "carbsG": 250 });
        let put = app.call(Method::PUT, "/api/v1/nutrition/targets", Some(&ada), Some(targets.clone())).await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        close(&put.body["energyKcal"], 2200.0);
        let again = json!({ "energyKcal": 2000, "proteinG": 150, "fatG": 60, "carbsG": 200 });
        let replaced = app.call(Method::PUT, "/api/v1/nutrition/targets", Some(&ada), Some(again)).await;
        assert_eq!(replaced.body["id"], put.body["id"], "one row per person");
        assert!(replaced.body["version"].as_i64() > put.body["version"].as_i64());
        assert_eq!(app.get("/api/v1/nutrition/targets", &ada).await.body, replaced.body);
        let day = app.get("/api/v1/nutrition/daily?date=2026-12-10", &ada).await;
        assert_eq!(day.body["targets"], json!({ "energyKcal": 2000.0, "proteinG": 150.0, "fatG": 60.0, "carbsG": 200.0 }));
        let bad = app.call(Method::PUT, "/api/v1/nutrition/targets", Some(&ada),
            Some(json!({ "energyKcal": 0, "proteinG": 150, "fatG": 60, "carbsG": 200 }))).await;
        assert_eq!(fields(&bad), ["energyKcal"]);
    }
}

lifeos_kernel::dialect_test! {
    async fn a_supplement_past_an_upper_limit_warns(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = berlin_user(&app, "ada@example.com").await;
        created(&app, "/api/v1/meals", &ada, json!({
            "eatenAt": "2026-12-10T11:00:00Z",
            "items": [{ "foodId": chicken_breast(), "grams": 200 }, { "foodId": rice(), "grams": 100 }]
        }))
        .await;
        // Five iron tablets: 40 mg + 2.31 mg from food = 42.31 mg, under 45 mg.
        let first = created(&app, "/api/v1/supplement-logs", &ada, json!({
            "supplementId": iron_tablet(), "amount": 5, "unit": "serving",
            "takenAt": "2026-12-10T07:00:00Z", "notes": "with breakfast"
        }))
        .await;
        assert_eq!(first["warnings"], json!([]), "{}", first);
        assert_eq!(first["unit"], "serving");
        let path = format!("/api/v1/supplement-logs/{}", first["id"].as_str().unwrap());
        let read = app.get(&path, &ada).await;
        assert_eq!(read.body["notes"], "with breakfast");
        assert_eq!(read.body.get("warnings"), None, "only writes carry warnings");

        // One more tablet: 48 + 2.31 = 50.31 mg, past 45 mg.
        let second = created(&app, "/api/v1/supplement-logs", &ada, json!({
            "supplementId": iron_tablet(), "amount": 1, "unit": "serving",
            "takenAt": "2026-12-10T11:30:00Z"
        }))
        .await;
        let warnings = second["warnings"].as_array().unwrap();
        assert_eq!(warnings.len(), 1, "{second}");
        assert_eq!(warnings[0]["nutrientCode"], "fe");
        assert_eq!(warnings[0]["unit"], "mg");
        assert_eq!(warnings[0]["appliesTo"], "total");
        close(&warnings[0]["total"], 50.31);
        close(&warnings[0]["upperLimit"], 45.0);
        let day = app.get("/api/v1/nutrition/daily?date=2026-12-10", &ada).await;
        assert_eq!(day.body["supplementLogs"], 2);
        close(&day.body["nutrients"]["fe"], 50.31);
        assert_eq!(day.body["warnings"][0]["nutrientCode"], "fe");

        // Back to four tablets: 32 + 8 + 2.31 = 42.31 mg, no warning.
        let patched = app.call(Method::PATCH, &path, Some(&ada), Some(json!({ "amount": 4 }))).await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        assert_eq!(patched.body["warnings"], json!([]));
        assert_eq!(patched.body["notes"], "with breakfast");

        // By mass: 2.5 g of vitamin C is 2500 mg, past 2000 mg.
        let vitamin = created(&app, "/api/v1/supplement-logs", &ada, json!({
            "supplementId": vitamin_c(), "amount": 2.5, "unit": "g",
            "takenAt": "2026-12-10T09:00:00Z"
        }))
        .await;
        assert_eq!(vitamin["warnings"][0]["nutrientCode"], "vitc", "{vitamin}");
        close(&vitamin["warnings"][0]["total"], 2500.0);

        let unknown = app.post("/api/v1/supplement-logs", Some(&ada), json!({
            "supplementId": Uuid::new_v4(), "amount": 1, "unit": "serving",
            "takenAt": "2026-12-10T09:00:00Z"
        }))
        .await;
        unknown.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(fields(&unknown), ["supplementId"]);
        let too_much = app.post("/api/v1/supplement-logs", Some(&ada), json!({
            "supplementId": iron_tablet(), "amount": 0, "unit": "mg",
            "takenAt": "2026-12-10T09:00:00Z"
        }))
        .await;
        assert_eq!(fields(&too_much), ["amount"]);

        let listed = app.get("/api/v1/supplement-logs?from=2026-12-10&to=2026-12-10&limit=2", &ada).await;
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 2);
        let cursor = listed.body["nextCursor"].as_str().unwrap();
        let rest = app.get(&format!("/api/v1/supplement-logs?from=2026-12-10&limit=2&cursor={cursor}"), &ada).await;
        assert_eq!(rest.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(app.call(Method::DELETE, &path, Some(&ada), None).await.status, StatusCode::NO_CONTENT);
        app.get(&path, &ada).await.assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
}
