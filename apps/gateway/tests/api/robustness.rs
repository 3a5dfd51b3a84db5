//! Bad input gets a clear problem+json 4xx, never a 500; platform behaviour (request
//! ids, idempotent replays, headers, metrics).

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{PASSWORD, Reply, TestApp};

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut request = app.http.request(method, app.url(path)).body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    Reply::from(request.send().await.unwrap()).await
}

lifeos_kernel::dialect_test! {
    async fn malformed_requests_answer_problem_json(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let json = Some("application/json");

        raw(
            &app,
            Method::POST,
            "/api/v1/auth/login",
            None,
            json,
            b"{\"email\": ".to_vec(),
        )
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
        raw(
            &app,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some("text/plain"),
            b"{}".to_vec(),
        )
        .await
        .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");

        let unknown = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": "eve@example.com", "password": PASSWORD, "isAdmin": true }),
            )
            .await;
        unknown.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        assert_eq!(unknown.body["errors"][0]["field"], "isAdmin");

        let wrong_type = app
            .call(
                Method::PATCH,
                "/api/v1/me",
                Some(&ada),
                Some(json!({ "dayStartHour": "four" })),
            )
            .await;
        wrong_type.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        assert_eq!(wrong_type.body["errors"][0]["field"], "dayStartHour");

        let missing = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "ada@example.com" }),
            )
            .await;
        missing.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        assert_eq!(missing.body["errors"][0]["field"], "password");

        let long_password = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": "eve@example.com", "password": "p".repeat(129) }),
            )
            .await;
        long_password.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let long_email = app
            .post("/api/v1/auth/register", None, json!({ "email": format!("{}@example.com", "e".repeat(300)), "password": PASSWORD }))
            .await;
        assert_eq!(long_email.body["errors"][0]["field"], "email");
        let long_name = app
            .call(
                Method::PATCH,
                "/api/v1/me",
                Some(&ada),
                Some(json!({ "displayName": "n".repeat(101) })),
            )
            .await;
        long_name.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let long_key_name = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "k".repeat(101), "scopes": ["read"] }),
            )
            .await;
        long_key_name.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");

        app.call(
            Method::DELETE,
            "/api/v1/me/api-keys/not-a-uuid",
            Some(&ada),
            None,
        )
        .await
        .assert_problem(StatusCode::BAD_REQUEST, "invalid_path_parameter");
        app.get("/api/v1/me/api-keys?limit=0", &ada)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");
        app.get("/api/v1/me/api-keys?limit=lots", &ada)
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_query");
        app.get("/api/v1/me/api-keys?cursor=garbage", &ada)
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_query");

        let two_mib = vec![b' '; 2 * 1024 * 1024];
        raw(
            &app,
            Method::POST,
            "/api/v1/auth/login",
            None,
            json,
            two_mib.clone(),
        )
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
        raw(&app, Method::PATCH, "/api/v1/me", Some(&ada), json, two_mib)
            .await
            .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");

        app.get("/api/v1/nothing-here", &ada)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let wrong_method = app
            .call(Method::PUT, "/api/v1/auth/login", None, Some(json!({})))
            .await;
        wrong_method.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

        let anonymous = app.call(Method::GET, "/api/v1/me", None, None).await;
        anonymous.assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
        assert_eq!(anonymous.headers["www-authenticate"], "Bearer");
        let both = app
            .http
            .get(app.url("/api/v1/me"))
            .bearer_auth(&ada)
            .header("x-api-key", "lfs_x")
            .send()
            .await
            .unwrap();
        assert_eq!(both.status(), StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn request_ids_flow_through_responses_and_problems(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let reply = Reply::from(
            app.http
                .get(app.url("/api/v1/me"))
                .header("x-request-id", "trace-abc-123")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(reply.headers["x-request-id"], "trace-abc-123");
        assert_eq!(reply.body["requestId"], "trace-abc-123");
        let generated = app.call(Method::GET, "/health", None, None).await;
        let id = generated.headers["x-request-id"].to_str().unwrap();
        assert_eq!(id.len(), 36, "a UUID is generated when none is sent");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn idempotency_key_replays_the_first_answer(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let running = &app;
        let patch = |token: String, key: &'static str, name: &'static str| async move {
            running
                .idempotent(
                    Method::PATCH,
                    "/api/v1/me",
                    &token,
                    key,
                    json!({ "displayName": name }),
                )
                .await
        };
        let first = patch(ada.clone(), "voice-42", "First").await;
        assert_eq!(first.status, StatusCode::OK);
        assert!(first.headers.get("idempotent-replayed").is_none());

        app.clock.advance(time::Duration::minutes(1));
        app.call(
            Method::PATCH,
            "/api/v1/me",
            Some(&ada),
            Some(json!({ "displayName": "Changed since" })),
        )
        .await;
        let replay = patch(ada.clone(), "voice-42", "First").await;
        assert_eq!(replay.status, StatusCode::OK);
        assert_eq!(replay.headers["idempotent-replayed"], "true");
        assert_eq!(
            replay.body, first.body,
            "the stored answer, not a second write"
        );
        assert_eq!(
            app.get("/api/v1/me", &ada).await.body["displayName"],
            "Changed since"
        );

        patch(ada.clone(), "voice-42", "Other")
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");

        // A created API key's secret is never stored for replay: the key is released instead.
        let body = json!({ "name": "k", "scopes": ["read"] });
        let created = app
            .idempotent(Method::POST, "/api/v1/me/api-keys", &ada, "key-1", body)
            .await;
        assert_eq!(created.status, StatusCode::CREATED);
        let stored: i64 = lifeos_kernel::with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT count(*) FROM idempotency_keys WHERE key = 'key-1'").fetch_one(pool).await.unwrap()
        });
        assert_eq!(
            stored, 0,
            "{}: secrets never rest in the replay store",
            app.label
        );

        // A wrong method is not a use of the key.
        let wrong = app
            .idempotent(
                Method::POST,
                "/api/v1/me/consents/health_data",
                &ada,
                "k-405",
                json!({ "granted": true }),
            )
            .await;
        wrong.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        let right = app
            .idempotent(
                Method::PATCH,
                "/api/v1/me",
                &ada,
                "k-405",
                json!({ "dayStartHour": 3 }),
            )
            .await;
        assert_eq!(right.status, StatusCode::OK, "{}", right.body);
        // An undeclared method with a key already used is still a wrong method, not a reuse.
        let used_key_wrong_method = app
            .idempotent(
                Method::POST,
                "/api/v1/me",
                &ada,
                "k-405",
                json!({ "dayStartHour": 3 }),
            )
            .await;
        used_key_wrong_method.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");

        app.clock.advance(time::Duration::hours(25));
        let login = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "ada@example.com", "password": PASSWORD }),
            )
            .await;
        let expired = patch(crate::common::token(&login.body), "voice-42", "Other").await;
        assert_eq!(expired.status, StatusCode::OK, "keys expire after 24 hours");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn security_headers_cors_and_metrics(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let me = app.get("/api/v1/me", &ada).await;
        assert_eq!(me.headers["x-content-type-options"], "nosniff");
        assert_eq!(me.headers["cache-control"], "no-store");
        assert!(
            me.headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );

        let preflight = |origin: &'static str| {
            app.http
                .request(Method::OPTIONS, app.url("/api/v1/me"))
                .header("origin", origin)
                .header("access-control-request-method", "PATCH")
                .header(
                    "access-control-request-headers",
                    "authorization,idempotency-key",
                )
                .send()
        };
        let allowed = preflight("https://app.lifeos.test").await.unwrap();
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "https://app.lifeos.test"
        );
        let denied = preflight("https://evil.example").await.unwrap();
        assert!(
            denied
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );

        let swagger = app.http.get(app.url("/swagger-ui/")).send().await.unwrap();
        assert_eq!(swagger.status(), StatusCode::OK);
        assert!(swagger.text().await.unwrap().contains("swagger"));

        let metrics = app
            .http
            .get(app.metrics_url())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            metrics.contains(
                r#"lifeos_http_requests_total{method="GET",route="/api/v1/me",status="200"} 1"#
            ),
            "{metrics}"
        );
        assert!(
            metrics.contains("lifeos_http_request_duration_seconds_bucket"),
            "{metrics}"
        );
        assert!(
            metrics.contains(r#"lifeos_db_pool_connections{state="max"} 5"#),
            "{metrics}"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn dates_and_timestamps_outside_1900_to_2200_are_refused(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let refused = |reply: &Reply, field: &str| {
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "date_out_of_range");
            assert_eq!(reply.body["errors"][0]["field"], field, "{}", reply.body);
            assert!(
                reply.body["detail"].as_str().unwrap().contains("1900 to 2200"),
                "{}",
                reply.body
            );
        };
        for year in ["0000", "1899", "2201", "9999"] {
            let body = json!({ "date": format!("{year}-06-01"), "plannedType": "focus" });
            refused(&app.post("/api/v1/day-types", Some(&ada), body).await, "date");
            let body = json!({
                "date": "2026-06-01",
                "startedAt": format!("{year}-06-01T08:00:00Z"),
                "distanceKm": 5.0,
            });
            refused(&app.post("/api/v1/hikes", Some(&ada), body).await, "startedAt");
            let list = app.get(&format!("/api/v1/day-types?from={year}-01-01"), &ada).await;
            refused(&list, "from");
            let by_date = app.get(&format!("/api/v1/day-types/date/{year}-06-01"), &ada).await;
            refused(&by_date, "date");
        }
        for date in ["1900-01-01", "2200-12-31"] {
            let body = json!({ "date": date, "plannedType": "free" });
            let created = app.post("/api/v1/day-types", Some(&ada), body).await;
            assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
            let stored = app.get(&format!("/api/v1/day-types/date/{date}"), &ada).await;
            assert_eq!(stored.body["date"], date, "{}", stored.body);
            let listed = app
                .get(&format!("/api/v1/day-types?from={date}&to={date}"), &ada)
                .await;
            assert_eq!(listed.body["items"][0]["date"], date, "{}", listed.body);
            let at = format!("{date}T23:59:59Z");
            let body = json!({ "date": date, "startedAt": at, "distanceKm": 5.0 });
            let hike = app.post("/api/v1/hikes", Some(&ada), body).await;
            assert_eq!(hike.status, StatusCode::CREATED, "{}", hike.body);
            assert_eq!(hike.body["startedAt"], at, "{}", hike.body);
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn request_bodies_are_objects_and_whole_floats_are_integers(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let day = app
            .post(
                "/api/v1/day-types",
                Some(&ada),
                json!({ "date": "2026-06-01", "plannedType": "focus" }),
            )
            .await;
        let id = day.body["id"].as_str().unwrap().to_owned();
        // serde would read `[null, null]` as the patch's first two fields.
        let array = app
            .call(
                Method::PATCH,
                &format!("/api/v1/day-types/{id}"),
                Some(&ada),
                Some(json!([null, null])),
            )
            .await;
        array.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        // JSON Schema calls 20.0 an integer: the contract's integer fields take it.
        let settings = json!({
            "keywords": ["Board"],
            "dropThreshold": 0.9999999999999999,
            "coolingMinutes": 20.0,
            "reflectionHour": 9,
        });
        let put = app
            .call(Method::PUT, "/api/v1/brake/settings", Some(&ada), Some(settings))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.body);
        assert_eq!(put.body["coolingMinutes"], 20, "{}", put.body);
        let empty_cursor = app.get("/api/v1/day-types?cursor=", &ada).await;
        assert_eq!(empty_cursor.status, StatusCode::OK, "{}", empty_cursor.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn idempotency_keys_are_visible_ascii(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let body = |day: &str| json!({ "date": day, "plannedType": "focus" });
        for key in ["a b", "tab\there"] {
            app.idempotent(Method::POST, "/api/v1/day-types", &ada, key, body("2026-06-01"))
                .await
                .assert_problem(StatusCode::BAD_REQUEST, "invalid_idempotency_key");
        }
        let long = "k".repeat(256);
        app.idempotent(Method::POST, "/api/v1/day-types", &ada, &long, body("2026-06-02"))
            .await
            .assert_problem(StatusCode::BAD_REQUEST, "invalid_idempotency_key");
        let ok = app
            .idempotent(Method::POST, "/api/v1/day-types", &ada, "!~key-1", body("2026-06-03"))
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
        app.stop().await;
    }
}
