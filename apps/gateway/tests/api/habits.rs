//! Habit schedules: only for habits, occurrences in the user's calendar, habits due on a day,
//! and no completion without a schedule.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::seed::{node, track};

fn dates(reply: &Value) -> Vec<&str> {
    reply["dates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect()
}

lifeos_kernel::dialect_test! {
    async fn habit_schedules_and_due_habits(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let health = track(&app, &ada, "Health").await;
        let stretch = node(&app, &ada, &health, "habit", "Stretch").await;
        let read = node(&app, &ada, &health, "habit", "Read").await;
        let task = node(&app, &ada, &health, "task", "Book dentist").await;
        let schedule = |id: &str| format!("/api/v1/nodes/{id}/habit-schedule");

        app.call(
            Method::PATCH,
            &format!("/api/v1/nodes/{stretch}"),
            Some(&ada),
            Some(json!({ "status": "done" })),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "habit_without_schedule");
        app.get(&schedule(&stretch), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");

        let weekly = app
            .call(
                Method::PUT,
                &schedule(&stretch),
                Some(&ada),
                Some(json!({ "frequency": "weekly", "daysOfWeek": [5, 1, 3] })),
            )
            .await;
        assert_eq!(weekly.status, StatusCode::OK, "{}", weekly.body);
        assert_eq!(weekly.body["schedule"]["frequency"], "weekly");
        assert_eq!(weekly.body["schedule"]["daysOfWeek"], json!([1, 3, 5]));
        assert_eq!(
            app.get(&schedule(&stretch), &ada).await.body["schedule"],
            weekly.body["schedule"]
        );

        // Across the spring DST change in Europe/Berlin (2026-03-29): no day lost or doubled.
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({ "timezone": "Europe/Berlin" })),
        )
        .await;
        let occurrences = app
            .get(
                &format!(
                    "{}/occurrences?from=2026-03-23&to=2026-04-05",
                    schedule(&stretch)
                ),
                &ada,
            )
            .await;
        assert_eq!(
            dates(&occurrences.body),
            vec![
                "2026-03-23",
                "2026-03-25",
                "2026-03-27",
                "2026-03-30",
                "2026-04-01",
                "2026-04-03"
            ]
        );

        let monthly = app
            .call(
                Method::PUT,
                &schedule(&read),
                Some(&ada),
                Some(json!({ "frequency": "monthly", "daysOfMonth": [31], "target": 20 })),
            )
            .await;
        assert_eq!(monthly.status, StatusCode::OK, "{}", monthly.body);
        let last_days = app
            .get(
                &format!(
                    "{}/occurrences?from=2026-01-01&to=2026-04-30",
                    schedule(&read)
                ),
                &ada,
            )
            .await;
        assert_eq!(
            dates(&last_days.body),
            vec!["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30"],
            "31 means the month's last day"
        );

        let due = app.get("/api/v1/habits/due?date=2026-03-31", &ada).await;
        let due_titles: Vec<&str> = due.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["node"]["title"].as_str().unwrap())
            .collect();
        assert_eq!(due_titles, vec!["Read"], "Tuesday: only the monthly habit");
        let friday = app.get("/api/v1/habits/due?date=2026-04-03", &ada).await;
        assert_eq!(friday.body["items"][0]["node"]["title"], "Stretch");

        let completed = app
            .call(
                Method::PATCH,
                &format!("/api/v1/nodes/{stretch}"),
                Some(&ada),
                Some(json!({ "status": "done" })),
            )
            .await;
        assert_eq!(
            completed.status,
            StatusCode::OK,
            "with a schedule the habit can be completed"
        );

        app.call(
            Method::PUT,
            &schedule(&task),
            Some(&ada),
            Some(json!({ "frequency": "daily" })),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let bad = app
            .call(
                Method::PUT,
                &schedule(&read),
                Some(&ada),
                Some(json!({ "frequency": "weekly", "daysOfWeek": [0, 8] })),
            )
            .await;
        bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(bad.body["errors"][0]["field"], "daysOfWeek");
        app.call(
            Method::PUT,
            &schedule(&read),
            Some(&ada),
            Some(json!({ "frequency": "every_n_days", "interval": 3 })),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let every = app
            .call(
                Method::PUT,
                &schedule(&read),
                Some(&ada),
                Some(
                    json!({ "frequency": "every_n_days", "interval": 3, "startOn": "2026-03-27" }),
                ),
            )
            .await;
        assert_eq!(every.status, StatusCode::OK, "{}", every.body);
        let every_dates = app
            .get(
                &format!(
                    "{}/occurrences?from=2026-03-26&to=2026-04-05",
                    schedule(&read)
                ),
                &ada,
            )
            .await;
        assert_eq!(
            dates(&every_dates.body),
            vec!["2026-03-27", "2026-03-30", "2026-04-02", "2026-04-05"]
        );

        app.post(&format!("/api/v1/nodes/{read}/lock"), Some(&ada), json!({}))
            .await;
        app.call(
            Method::PUT,
            &schedule(&read),
            Some(&ada),
            Some(json!({ "frequency": "daily" })),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "node_locked");
        app.post(
            &format!("/api/v1/nodes/{read}/unlock"),
            Some(&ada),
            json!({}),
        )
        .await;
        assert_eq!(
            app.call(Method::DELETE, &schedule(&read), Some(&ada), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        app.get(&schedule(&read), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let again = app
            .call(
                Method::PUT,
                &schedule(&read),
                Some(&ada),
                Some(json!({ "frequency": "daily" })),
            )
            .await;
        assert_eq!(
            again.status,
            StatusCode::OK,
            "a schedule can be set again after removal"
        );
        app.stop().await;
    }
}
