//! Docs: linked to tracks and nodes, searchable, up to 1 MiB.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;
use crate::common::seed::{node, track};

lifeos_kernel::dialect_test! {
    async fn docs_link_search_and_size_limits(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let work = track(&app, &ada, "Work").await;
        let task = node(&app, &ada, &work, "task", "Report").await;
        let create = |body: serde_json::Value| {
            let app = &app;
            let ada = ada.clone();
            async move { app.post("/api/v1/docs", Some(&ada), body).await }
        };
        let plan =
            create(json!({ "title": "Quarter PLAN", "body": "# Goals\n- ship", "trackId": work }))
                .await;
        assert_eq!(plan.status, StatusCode::CREATED, "{}", plan.body);
        create(json!({ "title": "Notes", "body": "the plan is 100% done", "nodeId": task })).await;
        create(json!({ "title": "Groceries", "body": "milk" })).await;

        let titles = |reply: &crate::common::Reply| -> Vec<String> {
            reply.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["title"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            titles(&app.get("/api/v1/docs?q=plan", &ada).await),
            vec!["Quarter PLAN", "Notes"],
            "{}: case-insensitive, title or body",
            app.label
        );
        assert_eq!(
            titles(&app.get("/api/v1/docs?q=100%25", &ada).await),
            vec!["Notes"],
            "% is literal"
        );
        assert_eq!(
            titles(&app.get("/api/v1/docs?q=_", &ada).await),
            Vec::<String>::new(),
            "_ is literal"
        );
        assert_eq!(
            titles(&app.get(&format!("/api/v1/docs?trackId={work}"), &ada).await),
            vec!["Quarter PLAN"]
        );
        assert_eq!(
            titles(&app.get(&format!("/api/v1/docs?nodeId={task}"), &ada).await),
            vec!["Notes"]
        );

        let id = plan.body["id"].as_str().unwrap();
        let patched = app
            .call(
                Method::PATCH,
                &format!("/api/v1/docs/{id}"),
                Some(&ada),
                Some(json!({ "trackId": null, "body": "moved" })),
            )
            .await;
        assert_eq!(patched.body["trackId"], serde_json::Value::Null);
        assert_eq!(patched.body["body"], "moved");

        let big = "x".repeat(1024 * 1024);
        assert_eq!(
            create(json!({ "title": "Big", "body": big })).await.status,
            StatusCode::CREATED,
            "1 MiB fits"
        );
        create(json!({ "title": "Too big", "body": format!("{big}x") }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        create(json!({ "title": "", "body": "x" }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        create(
            json!({ "title": "x", "body": "x", "trackId": "01950000-0000-7000-8000-000000000000" }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(
            app.call(
                Method::DELETE,
                &format!("/api/v1/docs/{id}"),
                Some(&ada),
                None
            )
            .await
            .status,
            StatusCode::NO_CONTENT
        );
        app.get(&format!("/api/v1/docs/{id}"), &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}
