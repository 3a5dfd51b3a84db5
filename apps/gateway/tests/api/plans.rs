//! Tracks and nodes: CRUD, aggregates, reorders, locks, moves and the events they publish.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::seed::{node, track};

fn titles(list: &Value) -> Vec<&str> {
    let items = list.get("items").unwrap_or(list);
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect()
}

async fn topics(db: &Db) -> Vec<String> {
    with_db!(db, pool => {
        sqlx::query_scalar::<_, String>("SELECT topic FROM outbox_events WHERE topic LIKE 'tracking.%' ORDER BY seq").fetch_all(pool).await.unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn tracks_list_in_order_with_aggregates_and_reorder_fully(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let health = track(&app, &ada, "Health").await;
        let home = track(&app, &ada, "Home").await;
        for title in ["Write report", "Call bank"] {
            node(&app, &ada, &work, "task", title).await;
        }
        let done = node(&app, &ada, &work, "task", "Old task").await;
        app.call(
            Method::PATCH,
            &format!("/api/v1/nodes/{done}"),
            Some(&ada),
            Some(json!({ "status": "done" })),
        )
        .await;
        node(&app, &ada, &work, "milestone", "Ship v1").await;
        node(&app, &ada, &health, "habit", "Stretch").await;
        // 45 minutes on Work this week.
        let start = app.now() - time::Duration::minutes(50);
        let end = start + time::Duration::minutes(45);
        let logged = app
            .post(
                "/api/v1/time-entries",
                Some(&ada),
                json!({ "trackId": work, "startedAt": start, "endedAt": end }),
            )
            .await;
        assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.body);

        let list = app.get("/api/v1/tracks", &ada).await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        assert_eq!(titles(&list.body), vec!["Work", "Health", "Home"]);
        let w = &list.body["items"][0];
        assert_eq!(w["position"], 0);
        assert_eq!(
            w["stats"]["nodesByType"],
            json!({ "focus_session": 0, "habit": 0, "milestone": 1, "task": 3 })
        );
        assert_eq!(
            w["stats"]["nodesByStatus"],
            json!({ "archived": 0, "done": 1, "open": 3 })
        );
        assert_eq!(w["stats"]["openTasks"], 2);
        assert_eq!(w["stats"]["minutesThisWeek"], 45, "{}", app.label);
        assert_eq!(
            list.body["items"][2]["stats"]["openTasks"], 0,
            "an empty track has zero figures"
        );
        assert_eq!(
            app.get(&format!("/api/v1/tracks/{work}"), &ada).await.body["stats"]["openTasks"],
            2
        );

        let reordered = app
            .post(
                "/api/v1/tracks/reorder",
                Some(&ada),
                json!({ "ids": [home, work, health] }),
            )
            .await;
        assert_eq!(reordered.status, StatusCode::OK, "{}", reordered.body);
        assert_eq!(titles(&reordered.body), vec!["Home", "Work", "Health"]);
        let positions: Vec<i64> = reordered
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["position"].as_i64().unwrap())
            .collect();
        assert_eq!(positions, vec![0, 1, 2]);
        assert_eq!(
            titles(&app.get("/api/v1/tracks", &ada).await.body),
            vec!["Home", "Work", "Health"]
        );
        for bad in [
            json!({ "ids": [home, work] }),
            json!({ "ids": [home, work, health, home] }),
            json!({ "ids": [home, work, "01950000-0000-7000-8000-000000000000"] }),
        ] {
            app.post("/api/v1/tracks/reorder", Some(&ada), bad)
                .await
                .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        }
        assert_eq!(
            titles(&app.get("/api/v1/tracks", &ada).await.body),
            vec!["Home", "Work", "Health"],
            "a refused reorder changes nothing"
        );

        let archived = app
            .call(
                Method::PATCH,
                &format!("/api/v1/tracks/{home}"),
                Some(&ada),
                Some(json!({ "archived": true, "color": "#22aa88" })),
            )
            .await;
        assert!(archived.body["archivedAt"].is_string());
        assert_eq!(archived.body["color"], "#22aa88");
        app.call(
            Method::PATCH,
            &format!("/api/v1/tracks/{home}"),
            Some(&ada),
            Some(json!({ "color": "green" })),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        assert_eq!(
            app.call(
                Method::DELETE,
                &format!("/api/v1/tracks/{health}"),
                Some(&ada),
                None
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        app.get(&format!("/api/v1/tracks/{health}/nodes"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn nodes_reorder_move_lock_and_publish_events(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let other = track(&app, &ada, "Side project").await;
        let a = node(&app, &ada, &work, "task", "A").await;
        let b = node(&app, &ada, &work, "focus_session", "B").await;
        let c = node(&app, &ada, &work, "task", "C").await;
        let nodes = |filter: &'static str| {
            let app = &app;
            let ada = ada.clone();
            let work = work.clone();
            async move {
                app.get(&format!("/api/v1/tracks/{work}/nodes{filter}"), &ada)
                    .await
                    .body
            }
        };
        assert_eq!(titles(&nodes("").await), vec!["A", "B", "C"]);
        assert_eq!(titles(&nodes("?type=task").await), vec!["A", "C"]);

        let reordered = app
            .post(
                "/api/v1/nodes/reorder",
                Some(&ada),
                json!({ "trackId": work, "ids": [c, a, b] }),
            )
            .await;
        assert_eq!(titles(&reordered.body), vec!["C", "A", "B"]);
        assert_eq!(titles(&nodes("").await), vec!["C", "A", "B"]);
        app.post(
            "/api/v1/nodes/reorder",
            Some(&ada),
            json!({ "trackId": work, "ids": [c, a] }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        let path = format!("/api/v1/nodes/{a}");
        let locked = app
            .post(&format!("{path}/lock"), Some(&ada), json!({}))
            .await;
        assert_eq!(locked.body["locked"], true);
        app.call(
            Method::PATCH,
            &path,
            Some(&ada),
            Some(json!({ "title": "A2" })),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "node_locked");
        app.call(
            Method::PATCH,
            &path,
            Some(&ada),
            Some(json!({ "status": "done" })),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "node_locked");
        app.call(Method::DELETE, &path, Some(&ada), None)
            .await
            .assert_problem(StatusCode::CONFLICT, "node_locked");
        app.post(&format!("{path}/unlock"), Some(&ada), json!({}))
            .await;
        let edited = app
            .call(
                Method::PATCH,
                &path,
                Some(&ada),
                Some(json!({ "title": "A2", "dueOn": "2026-03-01", "estimateMinutes": 30 })),
            )
            .await;
        assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
        assert_eq!(edited.body["dueOn"], "2026-03-01");

        let moved = app
            .call(
                Method::PATCH,
                &path,
                Some(&ada),
                Some(json!({ "trackId": other })),
            )
            .await;
        assert_eq!(moved.body["trackId"], json!(other));
        assert_eq!(titles(&nodes("").await), vec!["C", "B"]);
        assert_eq!(
            titles(
                &app.get(&format!("/api/v1/tracks/{other}/nodes"), &ada)
                    .await
                    .body
            ),
            vec!["A2"]
        );
        app.call(
            Method::PATCH,
            &path,
            Some(&ada),
            Some(json!({ "trackId": "01950000-0000-7000-8000-000000000000" })),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.post(
            &format!("/api/v1/tracks/{work}/nodes"),
            Some(&ada),
            json!({ "type": "chore", "title": "x" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");

        let events = topics(app.db()).await;
        assert_eq!(
            events,
            vec![
                "tracking.node_created",
                "tracking.node_created",
                "tracking.node_created",
                "tracking.node_locked",
                "tracking.node_unlocked",
                "tracking.node_updated",
                "tracking.node_updated",
            ],
            "{}: each change published with it",
            app.label
        );
        app.stop().await;
    }
}
