//! Error messages a voice can read (issue 10): one plain sentence per problem, the field
//! named once, no parser positions doubled, a did-you-mean for near misses, and a 404 that
//! names the `/api/v1` path a client forgot the prefix of.

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Reply, TestApp};

const MAINTENANCE: &str = "/api/v1/vehicle-maintenance";

/// A maintenance record that is valid, with `change` merged in (a `null` removes a field).
fn record(change: Value) -> Value {
    let mut body = json!({ "date": "2026-02-06", "serviceType": "oil_change", "mileage": 47000 });
    for (key, value) in change.as_object().unwrap() {
        match value {
            Value::Null => body.as_object_mut().unwrap().remove(key),
            value => body
                .as_object_mut()
                .unwrap()
                .insert(key.clone(), value.clone()),
        };
    }
    body
}

/// Asserts the problem and that its detail is `detail`, read aloud as it stands.
#[track_caller]
fn says(reply: &Reply, status: StatusCode, code: &str, detail: &str) {
    reply.assert_problem(status, code);
    let got = reply.body["detail"].as_str().unwrap_or_default();
    assert_eq!(got, detail, "{}", reply.body);
    assert!(
        !got.contains("line 1 column") && !got.contains('`'),
        "{got}"
    );
}

/// The single `errors` entry: (field, message).
#[track_caller]
fn only_error(reply: &Reply) -> (String, String) {
    let errors = reply.body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{}", reply.body);
    let text = |key: &str| errors[0][key].as_str().unwrap().to_owned();
    (text("field"), text("message"))
}

async fn raw_post(app: &TestApp, token: &str, path: &str, body: &str) -> Reply {
    let request = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned());
    Reply::from(request.send().await.unwrap()).await
}

lifeos_kernel::dialect_test! {
    async fn body_errors_are_one_sentence_naming_the_field_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;

        // An unknown field: the nearest known one in the detail, all of them in `errors`.
        let reply = app.post(MAINTENANCE, Some(&ada), record(json!({ "cost": 8900 }))).await;
        says(&reply, unprocessable, "invalid_body", r#"unknown field "cost"; did you mean "costMinor"?"#);
        let (field, message) = only_error(&reply);
        assert_eq!(field, "cost");
        assert!(message.starts_with(r#"unknown field "cost"; expected one of "#), "{message}");
        for known in [r#""costMinor""#, r#""date""#, r#""serviceType""#, r#""notes""#] {
            assert!(message.contains(known), "{message}");
        }
        assert_eq!(message.matches("cost\"").count(), 1, "{message}");
        // Nothing near: no guess.
        let reply = app.post(MAINTENANCE, Some(&ada), record(json!({ "isAdmin": true }))).await;
        says(&reply, unprocessable, "invalid_body", r#"unknown field "isAdmin""#);

        let reply = app.post(MAINTENANCE, Some(&ada), record(json!({ "date": null }))).await;
        says(&reply, unprocessable, "invalid_body", r#"missing field "date""#);
        assert_eq!(only_error(&reply), ("date".into(), r#"missing field "date""#.into()));

        let reply = app.post(MAINTENANCE, Some(&ada), record(json!({ "mileage": "far" }))).await;
        says(&reply, unprocessable, "invalid_body", r#""mileage" must be a whole number, not a string"#);
        assert_eq!(only_error(&reply), ("mileage".into(), "must be a whole number, not a string".into()));
        let reply = app.post(MAINTENANCE, Some(&ada), record(json!({ "mileage": 4.5e9 }))).await;
        says(&reply, unprocessable, "invalid_body", r#""mileage" must be a whole number from -2147483648 to 2147483647"#);

        let reply = app.post(MAINTENANCE, Some(&ada), record(json!({ "serviceType": "oil_chnage" }))).await;
        says(&reply, unprocessable, "invalid_body", r#""serviceType" cannot be "oil_chnage"; did you mean "oil_change"?"#);
        let (field, message) = only_error(&reply);
        assert_eq!(field, "serviceType");
        assert!(message.starts_with(r#"must be one of "oil_change", "tire_rotation""#), "{message}");

        let reply = app.post(MAINTENANCE, Some(&ada), record(json!({ "date": "2026-13-01" }))).await;
        says(&reply, unprocessable, "invalid_body", r#""date" must be a date such as 2026-01-31 (its month is not valid)"#);

        // Not JSON at all: one sentence, a position only where it helps, said once.
        let reply = raw_post(&app, &ada, MAINTENANCE, r#"{"date": "#).await;
        says(&reply, StatusCode::BAD_REQUEST, "malformed_json", "the body is not valid JSON (it ends where a value should be)");
        let reply = raw_post(&app, &ada, MAINTENANCE, r#"{"date" "2026-02-06"}"#).await;
        says(&reply, StatusCode::BAD_REQUEST, "malformed_json", "the body is not valid JSON (a colon is missing after a key at line 1, column 9)");
        let reply = raw_post(&app, &ada, MAINTENANCE, "").await;
        says(&reply, StatusCode::BAD_REQUEST, "malformed_json", "the body is empty; send a JSON object");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn query_and_path_errors_name_the_parameter(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bad = StatusCode::BAD_REQUEST;

        let reply = app.get(&format!("{MAINTENANCE}?limit=lots"), &ada).await;
        says(&reply, bad, "invalid_query", r#"the query parameter "limit" must be a whole number"#);
        assert_eq!(only_error(&reply), ("limit".into(), "must be a whole number".into()));
        let reply = app.get(&format!("{MAINTENANCE}?vehicleId=my-car"), &ada).await;
        says(&reply, bad, "invalid_query", r#"the query parameter "vehicleId" must be a UUID"#);
        let reply = app.get(&format!("{MAINTENANCE}?serviceType=batery"), &ada).await;
        says(&reply, bad, "invalid_query", r#"the query parameter "serviceType" cannot be "batery"; did you mean "battery"?"#);

        let reply = app.get("/api/v1/vehicles/my-car", &ada).await;
        says(&reply, bad, "invalid_path_parameter", r#"the path parameter "id" must be a UUID"#);
        let reply = app.get("/api/v1/day-types/date/yesterday", &ada).await;
        reply.assert_problem(bad, "invalid_path_parameter");
        let detail = reply.body["detail"].as_str().unwrap();
        assert!(detail.starts_with(r#"the path parameter "date" "#), "{detail}");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_path_without_the_prefix_is_told_where_it_lives(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let not_found = StatusCode::NOT_FOUND;

        let reply = app.get("/vehicles", &ada).await;
        says(&reply, not_found, "not_found", "there is no /vehicles here; the API lives under /api/v1: try /api/v1/vehicles");
        // The query string is not repeated (it may hold a token); the method does not matter.
        let reply = app.get("/vehicle-maintenance?cursor=secret", &ada).await;
        says(&reply, not_found, "not_found", "there is no /vehicle-maintenance here; the API lives under /api/v1: try /api/v1/vehicle-maintenance");
        let reply = app.call(Method::DELETE, "/vehicles", Some(&ada), None).await;
        says(&reply, not_found, "not_found", "there is no /vehicles here; the API lives under /api/v1: try /api/v1/vehicles");
        let id = uuid::Uuid::now_v7();
        let reply = app.call(Method::GET, &format!("/vehicles/{id}/service-due"), None, None).await;
        says(&reply, not_found, "not_found", &format!("there is no /vehicles/{id}/service-due here; the API lives under /api/v1: try /api/v1/vehicles/{id}/service-due"));
        let reply = app.get("/v1/vehicles", &ada).await;
        says(&reply, not_found, "not_found", "there is no /v1/vehicles here; the API lives under /api/v1: try /api/v1/vehicles");

        // A path that is nowhere: the plain 404.
        for path in ["/nothing/here", "/api/v1/nothing", "/vehicles/a/b/c"] {
            let reply = app.get(path, &ada).await;
            says(&reply, not_found, "not_found", "resource not found");
        }
        app.stop().await;
    }
}
