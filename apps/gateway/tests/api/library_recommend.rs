//! Recommendations through HTTP: the nutrition worked example, out-of-range people, and
//! programs ranked from the seeded templates with a barbell program cut for a person with
//! dumbbells only. Nothing the person sends is stored.

use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;

const NUTRITION: &str = "/api/v1/recommendations/nutrition";
const PROGRAMS: &str = "/api/v1/recommendations/programs";

/// The worked example of the recommender's unit tests.
fn the_man() -> Value {
    json!({ "goal": "lose", "weightKg": 80, "heightCm": 180, "age": 30, "sex": "male",
            "activityLevel": "moderate" })
}

lifeos_kernel::dialect_test! {
    async fn nutrition_gives_the_worked_example_with_its_formula(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let reply = app.post(NUTRITION, Some(&ada), the_man()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", app.label, reply.body);
        let body = &reply.body;
        // 10 × 80 + 6.25 × 180 − 5 × 30 + 5 = 1780; × 1.55 = 2759; × 0.8 = 2207.
        assert_eq!(body["bmrKcal"], 1780.0);
        assert_eq!(body["activityFactor"], 1.55);
        assert_eq!(body["maintenanceKcal"], 2759.0);
        assert_eq!(body["adjustment"], -0.2);
        assert_eq!(body["energyKcal"], 2207.0);
        assert_eq!(
            (&body["proteinG"], &body["fatG"], &body["carbsG"]),
            (&json!(144.0), &json!(61.0), &json!(270.0))
        );
        let formula = body["formula"].as_str().unwrap();
        assert!(formula.contains("10 × 80 kg + 6.25 × 180 cm − 5 × 30 y + 5 = 1780 kcal"), "{formula}");
        assert!(formula.contains("1780 × 1.55 (moderate) = 2759 kcal"), "{formula}");
        let rules: Vec<&str> = body["rules"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
        assert!(rules.contains(&"nutrition.bmr_mifflin_st_jeor"), "{rules:?}");
        let templates = body["templates"].as_array().unwrap();
        assert!(!templates.is_empty(), "{}: the seeded templates for losing", app.label);
        assert!(templates.iter().all(|t| t["goal"] == "lose"), "{templates:?}");

        // A woman: 10 × 65 + 6.25 × 165 − 5 × 40 − 161 = 1320; × 1.55 = 2046, maintained.
        let her = json!({ "goal": "maintain", "weightKg": 65, "heightCm": 165, "age": 40,
                          "sex": "female", "activityLevel": "moderate" });
        let reply = app.post(NUTRITION, Some(&ada), her).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert_eq!(
            (&reply.body["bmrKcal"], &reply.body["energyKcal"], &reply.body["proteinG"]),
            (&json!(1320.0), &json!(2046.0), &json!(91.0))
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn out_of_range_people_are_422_with_the_field(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        for (field, value) in [
            ("weightKg", json!(29.5)),
            ("weightKg", json!(301)),
            ("heightCm", json!(119)),
            ("heightCm", json!(231)),
            ("age", json!(17)),
            ("age", json!(101)),
        ] {
            let mut body = the_man();
            body[field] = value.clone();
            let reply = app.post(NUTRITION, Some(&ada), body).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(reply.body["errors"][0]["field"], field, "{}: {field} = {value}", app.label);
        }
        // Outside the vocabularies, or unknown fields: the body itself is refused.
        for (field, value) in [("sex", json!("other")), ("activityLevel", json!("extreme")), ("bodyFat", json!(20))] {
            let mut body = the_man();
            body[field] = value;
            let reply = app.post(NUTRITION, Some(&ada), body).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
            assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
        }
        let days = app.post(PROGRAMS, Some(&ada), json!({ "goal": "strength", "daysPerWeek": 8,
            "equipment": [], "experience": "beginner" })).await;
        days.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(days.body["errors"][0]["field"], "daysPerWeek");
        let minutes = app.post(PROGRAMS, Some(&ada), json!({ "goal": "strength", "daysPerWeek": 3,
            "equipment": [], "experience": "beginner", "minutesPerSession": 5 })).await;
        minutes.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(minutes.body["errors"][0]["field"], "minutesPerSession");
        // Authenticated like every endpoint.
        let anonymous = app.post(NUTRITION, None, the_man()).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn programs_are_ranked_with_reasons_and_barbell_programs_cut_for_dumbbells(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let request = json!({ "goal": "strength", "daysPerWeek": 3,
            "equipment": ["dumbbell", "bench"], "experience": "beginner", "minutesPerSession": 60 });
        let reply = app.post(PROGRAMS, Some(&ada), request.clone()).await;
        assert_eq!(reply.status, StatusCode::OK, "{}: {}", app.label, reply.body);
        let ranked = reply.body["programs"].as_array().unwrap();
        assert!(!ranked.is_empty(), "{}: {}", app.label, reply.body);
        let scores: Vec<f64> = ranked.iter().map(|r| r["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "best first: {scores:?}");
        assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
        for candidate in ranked {
            let needs = candidate["program"]["equipment"].as_array().unwrap();
            assert!(
                needs.iter().all(|e| ["dumbbell", "bench", "none"].contains(&e.as_str().unwrap())),
                "a candidate needs only what the person has: {needs:?}"
            );
            let reasons = candidate["reasons"].as_array().unwrap();
            assert!(reasons.iter().any(|r| r["rule"] == "programs.goal_match"), "{reasons:?}");
            assert!(reasons.iter().all(|r| r["effect"] != "cut" && r["detail"].as_str().is_some_and(|d| !d.is_empty())));
        }
        // The seeded dumbbell program leads; a beginner's barbell program is cut, with why.
        assert_eq!(ranked[0]["program"]["equipment"], json!(["bench", "dumbbell"]), "{}", ranked[0]);
        let excluded = reply.body["excluded"].as_array().unwrap();
        let barbell = excluded
            .iter()
            .find(|e| e["name"].as_str().unwrap().contains("StrongLifts"))
            .unwrap_or_else(|| panic!("{}: StrongLifts is cut: {excluded:?}", app.label));
        let cut = barbell["reasons"].as_array().unwrap();
        assert!(
            cut.iter().any(|r| r["rule"] == "programs.equipment_available" && r["effect"] == "cut"
                && r["detail"].as_str().unwrap().contains("barbell")),
            "{cut:?}"
        );
        assert!(barbell["programId"].as_str().is_some());

        // Deterministic: the same request, the same answer.
        let again = app.post(PROGRAMS, Some(&ada), request).await;
        assert_eq!(again.body, reply.body);
        app.stop().await;
    }
}
