//! Errors as a person (or a voice) reads them.

use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::TestApp;

lifeos_kernel::dialect_test! {
    async fn a_path_without_the_prefix_is_told_where_the_api_lives(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let token = app.user("prefix@example.com").await;
        let reply = app.get("/hikes", &token).await;
        reply.assert_problem(StatusCode::NOT_FOUND, "not_found");
        let detail = reply.body["detail"].as_str().unwrap();
        assert_eq!(
            detail,
            "there is no /hikes here; the API lives under /api/v1: try /api/v1/hikes",
            "{}",
            db.label
        );
        let unknown = app.get("/no-such-thing", &token).await;
        unknown.assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert!(
            !unknown.body["detail"].as_str().unwrap().contains("/api/v1"),
            "{}",
            unknown.body
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn an_unknown_field_is_one_sentence_with_a_suggestion(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let token = app.user("fields@example.com").await;
        let reply = app
            .post(
                "/api/v1/day-types",
                Some(&token),
                json!({"date": "2026-12-05", "plannedTyp": "focus"}),
            )
            .await;
        assert!(reply.status.is_client_error(), "{}: {}", db.label, reply.body);
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.contains("did you mean \"plannedType\"?"), "{detail}");
        assert!(!detail.contains("line 1"), "{detail}");
        assert_eq!(detail.matches("plannedTyp\"").count(), 1, "{detail}");
        app.stop().await;
    }
}
