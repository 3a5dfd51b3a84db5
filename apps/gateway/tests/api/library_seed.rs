//! `lifeos serve` brings the library's datasets up to the version its binary carries, and
//! never lets a start undo what people logged against them.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{with_db, with_writer};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;

/// IFCT's A001, as the seed names it.
const AMARANTH: &str = "Amaranth seed, black";

async fn food_name(app: &TestApp, code: &str) -> String {
    with_db!(app.db(), pool => {
        sqlx::query_scalar("SELECT name FROM foods WHERE code = $1").bind(code).fetch_one(pool).await.unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn a_start_loads_a_newer_seed_and_keeps_what_people_logged(db: TestDatabase) {
        let first = TestApp::spawn(&db).await;
        let ada = first.user("ada@example.com").await;
        let food = first.get("/api/v1/library/foods?q=amaranth%20black&limit=1", &ada).await;
        let food_id = food.body["items"][0]["id"].as_str().unwrap().to_owned();
        let meal = first
            .post(
                "/api/v1/meals",
                Some(&ada),
                json!({ "eatenAt": first.now(), "items": [{ "foodId": food_id, "grams": 50 }] }),
            )
            .await;
        assert_eq!(meal.status, StatusCode::CREATED, "{}", meal.body);
        // What a database loaded by an older release looks like: an older foods version
        // and a value since corrected.
        with_writer!(first.db(), pool => {
            sqlx::query("UPDATE library_seed_versions SET version = 0, checksum = 'old' WHERE dataset = 'foods'")
                .execute(pool).await.unwrap();
            sqlx::query("UPDATE foods SET name = 'Amaranth (old name)' WHERE code = 'A001'")
                .execute(pool).await.unwrap();
        });
        first.stop().await;

        let second = TestApp::spawn(&db).await;
        assert_eq!(food_name(&second, "A001").await, AMARANTH, "{}: the start loaded foods again", second.label);
        let version: i64 = with_db!(second.db(), pool => {
            sqlx::query_scalar("SELECT version FROM library_seed_versions WHERE dataset = 'foods'")
                .fetch_one(pool).await.unwrap()
        });
        assert_eq!(version, 1, "{}", second.label);
        let ada = second.login("ada@example.com").await;
        let meals = second.get("/api/v1/meals", &ada).await;
        assert_eq!(meals.body["items"][0]["items"][0]["foodId"], json!(food_id), "{}", second.label);
        let search = second.get("/api/v1/library/foods?q=amaranth&limit=5", &ada).await;
        assert!(
            search.body["items"].as_array().unwrap().iter().any(|f| f["name"] == AMARANTH),
            "{}: the search table follows the reload: {}",
            second.label,
            search.body
        );
        second.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_start_never_loads_an_older_seed_over_a_newer_one(db: TestDatabase) {
        let first = TestApp::spawn(&db).await;
        // A newer release loaded version 2 and renamed a food; this binary carries 1.
        with_writer!(first.db(), pool => {
            sqlx::query("UPDATE library_seed_versions SET version = 2, checksum = 'newer' WHERE dataset = 'foods'")
                .execute(pool).await.unwrap();
            sqlx::query("UPDATE foods SET name = 'Amaranth (renamed by v2)' WHERE code = 'A001'")
                .execute(pool).await.unwrap();
        });
        first.stop().await;
        let second = TestApp::spawn(&db).await;
        assert_eq!(food_name(&second, "A001").await, "Amaranth (renamed by v2)", "{}", second.label);
        second.stop().await;
    }
}
