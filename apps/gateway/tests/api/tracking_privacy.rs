//! Tracking data is reachable only by its owner, is exported, and is erased with the account.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::account::rows_referring_to;
use crate::common::{TestApp, token};

/// Another user gets 404 for reading, changing and deleting each resource, exactly like a
/// missing one, and the owner still has it.
async fn assert_private(app: &TestApp, owner: &str, other: &str, paths: &[String]) {
    for path in paths {
        app.get(path, other)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.call(Method::PATCH, path, Some(other), Some(json!({})))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.call(Method::DELETE, path, Some(other), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(
            app.get(path, owner).await.status,
            StatusCode::OK,
            "{}: {path} untouched for its owner",
            app.label
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn other_users_get_not_found_for_every_tracking_resource(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let id = |reply: crate::common::Reply| reply.body["id"].as_str().unwrap().to_owned();
        let day = id(app
            .post(
                "/api/v1/day-types",
                Some(&ada),
                json!({ "date": "2026-02-02", "plannedType": "focus" }),
            )
            .await);
        let hike = id(app
            .post(
                "/api/v1/hikes",
                Some(&ada),
                json!({ "date": "2026-02-08", "distanceKm": 8.5 }),
            )
            .await);
        let car = id(app
            .post("/api/v1/vehicles", Some(&ada), json!({ "name": "Golf" }))
            .await);
        let record = id(app
            .post(
                "/api/v1/vehicle-maintenance",
                Some(&ada),
                json!({ "vehicleId": car, "date": "2026-02-06", "serviceType": "oil_change" }),
            )
            .await);

        assert_private(
            &app,
            &ada,
            &bob,
            &[
                format!("/api/v1/day-types/{day}"),
                format!("/api/v1/hikes/{hike}"),
                format!("/api/v1/vehicles/{car}"),
                format!("/api/v1/vehicle-maintenance/{record}"),
            ],
        )
        .await;
        app.get("/api/v1/day-types/date/2026-02-02", &bob)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get(&format!("/api/v1/vehicles/{car}/service-due"), &bob)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        for list in [
            "/api/v1/day-types",
            "/api/v1/hikes",
            "/api/v1/vehicles",
            "/api/v1/vehicle-maintenance",
        ] {
            assert_eq!(app.get(list, &bob).await.body["items"], json!([]), "{list}");
        }
        assert_eq!(
            app.get("/api/v1/day-types/report/monthly?month=2026-02", &bob)
                .await
                .body["days"],
            json!([])
        );
        let borrowed = app
            .post(
                "/api/v1/vehicle-maintenance",
                Some(&bob),
                json!({ "vehicleId": car, "date": "2026-02-07", "serviceType": "battery" }),
            )
            .await;
        borrowed.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        // Bob may plan the same date: uniqueness is per user.
        let own = app
            .post(
                "/api/v1/day-types",
                Some(&bob),
                json!({ "date": "2026-02-02", "plannedType": "free" }),
            )
            .await;
        assert_eq!(own.status, StatusCode::CREATED);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn tracking_data_is_exported_and_erased_with_the_account(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let session = app.register("ada@example.com").await;
        let ada = token(&session);
        let user_id: Uuid = session["user"]["id"].as_str().unwrap().parse().unwrap();
        app.post(
            "/api/v1/day-types",
            Some(&ada),
            json!({ "date": "2026-02-02", "plannedType": "focus" }),
        )
        .await;
        let deleted = app
            .post(
                "/api/v1/day-types",
                Some(&ada),
                json!({ "date": "2026-02-03", "plannedType": "free" }),
            )
            .await;
        app.call(
            Method::DELETE,
            &format!("/api/v1/day-types/{}", deleted.body["id"].as_str().unwrap()),
            Some(&ada),
            None,
        )
        .await;
        app.post("/api/v1/hikes", Some(&ada), json!({ "date": "2026-02-08", "distanceKm": 8.5, "track": { "type": "LineString", "coordinates": [[11.0, 47.0], [11.0, 47.001]] } })).await;
        let car = app
            .post("/api/v1/vehicles", Some(&ada), json!({ "name": "Golf" }))
            .await;
        app.post("/api/v1/vehicle-maintenance", Some(&ada), json!({ "vehicleId": car.body["id"], "date": "2026-02-06", "serviceType": "oil_change", "mileage": 47000 })).await;

        let export = app.get("/api/v1/me/export", &ada).await;
        let tracking = &export.body["data"]["tracking"];
        assert_eq!(
            tracking["day_types"].as_array().unwrap().len(),
            2,
            "{}: tombstones are data too: {tracking}",
            app.label
        );
        assert_eq!(tracking["hikes"][0]["distance_m"], 8500);
        assert_eq!(tracking["hikes"][0]["track"]["type"], "LineString");
        assert_eq!(tracking["vehicles"][0]["name"], "Golf");
        assert_eq!(
            tracking["vehicle_maintenance"][0]["vehicle_id"],
            car.body["id"]
        );
        assert_eq!(tracking["vehicle_maintenance"][0]["mileage"], 47000);

        assert_eq!(
            app.call(Method::DELETE, "/api/v1/me", Some(&ada), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        let left: Vec<_> = rows_referring_to(app.db(), user_id)
            .await
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert!(
            left.is_empty(),
            "{}: rows still refer to the erased user: {left:?}",
            app.label
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn plans_time_and_docs_are_private_and_erased(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let session = app.register("ada@example.com").await;
        let ada = token(&session);
        let user_id: Uuid = session["user"]["id"].as_str().unwrap().parse().unwrap();
        let bob = app.user("bob@example.com").await;
        let id = |reply: crate::common::Reply| reply.body["id"].as_str().unwrap().to_owned();
        let track = id(app
            .post("/api/v1/tracks", Some(&ada), json!({ "title": "Health" }))
            .await);
        let habit = id(app
            .post(
                &format!("/api/v1/tracks/{track}/nodes"),
                Some(&ada),
                json!({ "type": "habit", "title": "Stretch" }),
            )
            .await);
        app.call(
            Method::PUT,
            &format!("/api/v1/nodes/{habit}/habit-schedule"),
            Some(&ada),
            Some(json!({ "frequency": "daily" })),
        )
        .await;
        let entry = id(app
            .post(
                "/api/v1/time-entries/start",
                Some(&ada),
                json!({ "nodeId": habit }),
            )
            .await);
        let doc = id(app
            .post(
                "/api/v1/docs",
                Some(&ada),
                json!({ "title": "Routine", "body": "10 min", "nodeId": habit }),
            )
            .await);

        assert_private(
            &app,
            &ada,
            &bob,
            &[
                format!("/api/v1/tracks/{track}"),
                format!("/api/v1/nodes/{habit}"),
                format!("/api/v1/time-entries/{entry}"),
                format!("/api/v1/docs/{doc}"),
            ],
        )
        .await;
        let schedule = format!("/api/v1/nodes/{habit}/habit-schedule");
        app.get(&schedule, &bob)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.call(
            Method::PUT,
            &schedule,
            Some(&bob),
            Some(json!({ "frequency": "daily" })),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get(
            &format!("{schedule}/occurrences?from=2026-01-01&to=2026-01-31"),
            &bob,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.get(&format!("/api/v1/tracks/{track}/nodes"), &bob)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.post(
            &format!("/api/v1/tracks/{track}/nodes"),
            Some(&bob),
            json!({ "type": "task", "title": "x" }),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
        for action in ["lock", "unlock"] {
            app.post(
                &format!("/api/v1/nodes/{habit}/{action}"),
                Some(&bob),
                json!({}),
            )
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        }
        app.post(
            &format!("/api/v1/time-entries/{entry}/stop"),
            Some(&bob),
            json!({}),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.post(
            "/api/v1/nodes/reorder",
            Some(&bob),
            json!({ "trackId": track, "ids": [habit] }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.post(
            "/api/v1/time-entries/start",
            Some(&bob),
            json!({ "nodeId": habit }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            app.get("/api/v1/tracks", &bob).await.body["items"],
            json!([])
        );
        assert_eq!(
            app.get("/api/v1/habits/due", &bob).await.body["items"],
            json!([])
        );
        assert_eq!(app.get("/api/v1/docs", &bob).await.body["items"], json!([]));
        assert_eq!(
            app.get("/api/v1/time-entries", &bob).await.body["items"],
            json!([])
        );
        let bob_summary = app
            .get(
                "/api/v1/time-entries/summary?from=2026-01-01&to=2026-12-31",
                &bob,
            )
            .await;
        assert_eq!(bob_summary.body["totalMinutes"], 0);
        let bob_start = app
            .post("/api/v1/time-entries/start", Some(&bob), json!({}))
            .await;
        assert_eq!(
            bob_start.status,
            StatusCode::CREATED,
            "Ada's running timer is not Bob's"
        );

        assert_eq!(
            app.call(Method::DELETE, "/api/v1/me", Some(&ada), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        let left: Vec<_> = rows_referring_to(app.db(), user_id)
            .await
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert!(
            left.is_empty(),
            "{}: rows still refer to the erased user: {left:?}",
            app.label
        );
        assert_eq!(
            app.get("/api/v1/time-entries", &bob).await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        app.stop().await;
    }
}
