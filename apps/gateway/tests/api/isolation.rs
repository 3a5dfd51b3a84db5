//! One user's data is reachable only by that user.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;

lifeos_kernel::dialect_test! {
    async fn users_cannot_see_or_change_each_others_data(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;

        let key = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "ada's key", "scopes": ["read", "write"] }),
            )
            .await;
        let key_id = key.body["id"].as_str().unwrap().to_owned();
        let ada_key = key.body["key"].as_str().unwrap().to_owned();
        app.call(
            Method::PUT,
            "/api/v1/me/consents/health_data",
            Some(&ada),
            Some(json!({ "granted": true })),
        )
        .await;
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({ "displayName": "Ada" })),
        )
        .await;

        // Bob sees only himself.
        assert_eq!(
            app.get("/api/v1/me", &bob).await.body["email"],
            "bob@example.com"
        );
        assert_eq!(
            app.get("/api/v1/me/api-keys", &bob).await.body["items"],
            json!([])
        );
        assert_eq!(
            app.get("/api/v1/me/consents", &bob).await.body["items"][0]["granted"],
            false
        );
        let export = app.get("/api/v1/me/export", &bob).await;
        // Ada's own strings, not "ada" alone: a random UUID can hold those hex letters.
        let exported = export.body.to_string();
        for hers in ["ada@example.com", "ada's key", "\"Ada\""] {
            assert!(!exported.contains(hers), "{hers}: {exported}");
        }

        // Ada's key id is "not found" for Bob, exactly like a missing one.
        let theirs = app
            .call(
                Method::DELETE,
                &format!("/api/v1/me/api-keys/{key_id}"),
                Some(&bob),
                None,
            )
            .await;
        let missing = app
            .call(
                Method::DELETE,
                "/api/v1/me/api-keys/01900000-0000-7000-8000-000000000000",
                Some(&bob),
                None,
            )
            .await;
        theirs.assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(theirs.body["detail"], missing.body["detail"]);
        assert_eq!(
            app.with_key(Method::GET, "/api/v1/me", &ada_key, None)
                .await
                .status,
            StatusCode::OK,
            "Ada's key still works"
        );

        // Bob's changes stay his.
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&bob),
            Some(json!({ "displayName": "Bob" })),
        )
        .await;
        app.call(
            Method::PUT,
            "/api/v1/me/consents/health_data",
            Some(&bob),
            Some(json!({ "granted": false })),
        )
        .await;
        assert_eq!(app.get("/api/v1/me", &ada).await.body["displayName"], "Ada");
        assert_eq!(
            app.get("/api/v1/me/consents", &ada).await.body["items"][0]["granted"],
            true
        );

        // An idempotency key is per user: the same key from two users is two requests.
        let a = app
            .idempotent(
                Method::PATCH,
                "/api/v1/me",
                &ada,
                "same-key",
                json!({ "displayName": "Ada 2" }),
            )
            .await;
        let b = app
            .idempotent(
                Method::PATCH,
                "/api/v1/me",
                &bob,
                "same-key",
                json!({ "displayName": "Bob 2" }),
            )
            .await;
        assert_eq!((a.status, b.status), (StatusCode::OK, StatusCode::OK));
        assert_eq!(
            app.get("/api/v1/me", &bob).await.body["displayName"],
            "Bob 2"
        );

        // Deleting Bob leaves Ada whole.
        assert_eq!(
            app.call(Method::DELETE, "/api/v1/me", Some(&bob), None)
                .await
                .status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            app.get("/api/v1/me", &ada).await.body["displayName"],
            "Ada 2"
        );
        assert_eq!(
            app.get("/api/v1/me/api-keys", &ada).await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        app.stop().await;
    }
}
