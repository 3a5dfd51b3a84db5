//! The MCP server (ADR 0020) through the official Rust SDK's client: over Streamable HTTP
//! against `/mcp` of a live server, and over stdio against `lifeos mcp` started as a child
//! process on the same database. Every effect is checked through the REST API.

use std::collections::HashMap;
use std::process::Stdio;

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Value, json};

use crate::common::seed::daily_habit;
use crate::common::{self, TestApp};

type Client = RunningService<RoleClient, ()>;

const WRITE_TOOLS: &[&str] = &[
    "log_day_type",
    "log_hike",
    "log_vehicle_maintenance",
    "start_timer",
    "stop_timer",
    "complete_habit",
    "get_tip",
    "answer_tip",
];
const READ_TOOLS: &[&str] = &["due_today", "brake_state"];

/// A Tuesday, mid-morning: no seeded advice applies, so a due habit is the tip.
const QUIET_MORNING: &str = "2026-03-10T10:30:00Z";

async fn api_key(app: &TestApp, token: &str, scopes: &[&str]) -> String {
    let created = app
        .post(
            "/api/v1/me/api-keys",
            Some(token),
            json!({ "name": format!("assistant {scopes:?}"), "scopes": scopes }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    created.body["key"].as_str().unwrap().to_owned()
}

async fn over_http(app: &TestApp, key: &str) -> Client {
    let mut headers = HashMap::new();
    headers.insert(
        HeaderName::from_static("x-api-key"),
        HeaderValue::from_str(key).unwrap(),
    );
    let config =
        StreamableHttpClientTransportConfig::with_uri(app.url("/mcp")).custom_headers(headers);
    ().serve(StreamableHttpClientTransport::from_config(config))
        .await
        .expect("an MCP session over Streamable HTTP")
}

/// `lifeos mcp` as a child process on `db`, holding `key`.
async fn over_stdio(dir: &std::path::Path, db: &TestDatabase, key: &str) -> Client {
    let mut command = common::lifeos(dir, &db.url);
    command.arg("mcp").env("LIFEOS_API_KEY", key);
    let (transport, _) = TokioChildProcess::builder(tokio::process::Command::from(command))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("lifeos mcp starts");
    ().serve(transport)
        .await
        .expect("an MCP session over stdio")
}

async fn names(client: &Client) -> Vec<String> {
    let mut names: Vec<String> = client
        .list_all_tools()
        .await
        .expect("tools/list")
        .into_iter()
        .map(|tool| tool.name.into_owned())
        .collect();
    names.sort();
    names
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

async fn call(client: &Client, tool: &str, arguments: Value) -> CallToolResult {
    let Value::Object(arguments) = arguments else {
        panic!("arguments are an object");
    };
    client
        .call_tool(CallToolRequestParams::new(tool.to_owned()).with_arguments(arguments))
        .await
        .unwrap_or_else(|e| panic!("tools/call {tool}: {e}"))
}

/// The tool's result, asserting it succeeded.
#[track_caller]
fn ok(result: &CallToolResult) -> Value {
    assert_eq!(result.is_error, Some(false), "{result:?}");
    let value = result
        .structured_content
        .clone()
        .expect("structured result");
    // The text says the same, for clients that only show text.
    let text = result.content[0].as_text().expect("text").text.clone();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), value);
    value
}

/// The tool error's code, asserting the text is a sentence naming it.
#[track_caller]
fn refused(result: &CallToolResult) -> (String, String) {
    assert_eq!(result.is_error, Some(true), "{result:?}");
    let problem = result.structured_content.clone().expect("the problem");
    let code = problem["code"].as_str().unwrap().to_owned();
    let text = result.content[0].as_text().expect("text").text.clone();
    assert!(
        text.contains(problem["detail"].as_str().unwrap()) && text.contains(&code),
        "{text}"
    );
    (code, text)
}

/// A vehicle named `name` with one `service_type` record on each of `dates`; its id.
async fn vehicle_serviced(
    app: &TestApp,
    token: &str,
    name: &str,
    service_type: &str,
    dates: &[&str],
) -> String {
    let vehicle = app
        .post("/api/v1/vehicles", Some(token), json!({ "name": name }))
        .await;
    assert_eq!(vehicle.status, StatusCode::CREATED, "{}", vehicle.body);
    let id = vehicle.body["id"].as_str().unwrap().to_owned();
    for date in dates {
        let record = json!({ "vehicleId": id, "date": date, "serviceType": service_type });
        let logged = app
            .post("/api/v1/vehicle-maintenance", Some(token), record)
            .await;
        assert_eq!(logged.status, StatusCode::CREATED, "{}", logged.body);
    }
    id
}

lifeos_kernel::dialect_test! {
    async fn due_today_names_the_days_plan_its_habits_and_the_services_that_came_due(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock.set(Timestamp::parse(QUIET_MORNING).unwrap());
        let ada = app.user("ada@example.com").await;
        let reader = over_http(&app, &api_key(&app, &ada, &["read"]).await).await;

        // Nothing logged yet: an empty day, not an error.
        let empty = ok(&call(&reader, "due_today", json!({})).await);
        assert_eq!(empty, json!({ "date": "2026-03-10", "dayType": null, "habits": [], "services": [] }));

        let plan = app.post("/api/v1/day-types", Some(&ada), json!({ "date": "2026-03-10", "plannedType": "focus" })).await;
        assert_eq!(plan.status, StatusCode::CREATED, "{}", plan.body);
        let meditate = daily_habit(&app, &ada, "Meditate").await;
        // Oil every 91 days, last on 1 December: due on 2 March, 8 days ago. Tyres every
        // 214 days, last on 1 January: not due until August. The van's oil is due today.
        let golf = vehicle_serviced(&app, &ada, "Golf", "oil_change", &["2025-09-01", "2025-12-01"]).await;
        let tyres = json!({ "vehicleId": golf, "serviceType": "tire_rotation" });
        for date in ["2025-06-01", "2026-01-01"] {
            let mut record = tyres.clone();
            record["date"] = json!(date);
            assert_eq!(app.post("/api/v1/vehicle-maintenance", Some(&ada), record).await.status, StatusCode::CREATED);
        }
        let van = vehicle_serviced(&app, &ada, "Van", "oil_change", &["2025-09-09", "2025-12-09"]).await;
        // Another person's overdue car is not Ada's business.
        let bob = app.user("bob@example.com").await;
        vehicle_serviced(&app, &bob, "Bob's car", "oil_change", &["2025-01-01", "2025-02-01"]).await;

        let due = ok(&call(&reader, "due_today", json!({})).await);
        assert_eq!(due["date"], "2026-03-10");
        assert_eq!(due["dayType"]["id"], plan.body["id"], "{due}");
        assert_eq!(due["dayType"]["plannedType"], "focus");
        let habits: Vec<&Value> = due["habits"].as_array().unwrap().iter().map(|h| &h["node"]["id"]).collect();
        assert_eq!(habits, [&json!(meditate)], "{due}");
        let services: Vec<(&str, &str, &str, i64)> = due["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (s["vehicleName"].as_str().unwrap(), s["serviceType"].as_str().unwrap(),
                 s["nextDueDate"].as_str().unwrap(), s["daysOverdue"].as_i64().unwrap())
            })
            .collect();
        assert_eq!(services, [("Golf", "oil_change", "2026-03-02", 8), ("Van", "oil_change", "2026-03-10", 0)], "{due}");
        assert_eq!(due["services"][0]["vehicleId"], golf.as_str());
        assert_eq!(due["services"][1]["vehicleId"], van.as_str());

        // The same prediction REST gives for the car.
        let rest = app.get(&format!("/api/v1/vehicles/{golf}/service-due"), &ada).await;
        let oil = rest.body["items"].as_array().unwrap().iter().find(|p| p["serviceType"] == "oil_change").unwrap();
        assert_eq!(oil["nextDueDate"], due["services"][0]["nextDueDate"]);
    }
}

lifeos_kernel::dialect_test! {
    async fn tools_over_http_use_the_domain_services(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.clock.set(Timestamp::parse(QUIET_MORNING).unwrap());
        let ada = app.user("ada@example.com").await;
        let write_key = api_key(&app, &ada, &["read", "write"]).await;
        let read_key = api_key(&app, &ada, &["read"]).await;
        let writer = over_http(&app, &write_key).await;
        let reader = over_http(&app, &read_key).await;

        // A write key sees every tool, a read key only the read tools.
        let all: Vec<&str> = WRITE_TOOLS.iter().chain(READ_TOOLS).copied().collect();
        assert_eq!(names(&writer).await, sorted(&all));
        assert_eq!(names(&reader).await, sorted(READ_TOOLS));
        let tools = writer.list_all_tools().await.unwrap();
        let day_tool = tools.iter().find(|t| t.name == "log_day_type").unwrap();
        let schema = Value::Object((*day_tool.input_schema).clone());
        // The REST type's schema, its enum inlined, and the retry key.
        assert_eq!(schema["properties"]["plannedType"]["enum"], json!(["free", "focus", "buffer"]), "{schema}");
        assert_eq!(schema["properties"]["requestId"]["type"], "string");
        assert!(schema["required"].as_array().unwrap().contains(&json!("date")), "{schema}");

        // log_day_type, twice with one requestId: one row, the same answer.
        let args = json!({ "date": "2026-03-11", "plannedType": "focus", "requestId": "plan-1" });
        let first = ok(&call(&writer, "log_day_type", args.clone()).await);
        let again = ok(&call(&writer, "log_day_type", args).await);
        assert_eq!(first, again);
        let days = app.get("/api/v1/day-types", &ada).await;
        assert_eq!(days.body["items"].as_array().unwrap().len(), 1, "{}", days.body);
        assert_eq!(days.body["items"][0]["id"], first["id"]);
        assert_eq!(days.body["items"][0]["plannedType"], "focus");
        // The same requestId for other arguments is refused; without one, REST's rule.
        let other = call(&writer, "log_day_type", json!({ "date": "2026-03-12", "plannedType": "free", "requestId": "plan-1" })).await;
        assert_eq!(refused(&other).0, "idempotency_key_reused");
        let twice = call(&writer, "log_day_type", json!({ "date": "2026-03-11", "plannedType": "free" })).await;
        assert_eq!(refused(&twice).0, "day_already_planned");

        // Bad arguments: REST's codes and sentences, naming the field.
        let bad = call(&writer, "log_day_type", json!({ "date": "2026-03-13", "plannedType": "holiday" })).await;
        let (code, text) = refused(&bad);
        assert_eq!(code, "invalid_body");
        assert!(text.contains("plannedType"), "{text}");
        let missing = call(&writer, "log_hike", json!({ "date": "2026-03-10" })).await;
        assert!(refused(&missing).1.contains("distanceKm"));
        let bad_id = call(&writer, "log_hike", json!({ "date": "2026-03-10", "distanceKm": 3.0, "requestId": 7 })).await;
        assert_eq!(refused(&bad_id).0, "validation_failed");

        // log_hike and log_vehicle_maintenance.
        let hike = ok(&call(&writer, "log_hike", json!({ "date": "2026-03-08", "distanceKm": 12.5, "elevationGainM": 640, "requestId": "hike-1" })).await);
        ok(&call(&writer, "log_hike", json!({ "date": "2026-03-08", "distanceKm": 12.5, "elevationGainM": 640, "requestId": "hike-1" })).await);
        let hikes = app.get("/api/v1/hikes", &ada).await;
        assert_eq!(hikes.body["items"].as_array().unwrap().len(), 1, "{}", hikes.body);
        assert_eq!(hikes.body["items"][0]["id"], hike["id"]);
        assert_eq!(hikes.body["items"][0]["distanceKm"], 12.5);
        let service = ok(&call(&writer, "log_vehicle_maintenance", json!({ "date": "2026-03-01", "serviceType": "oil_change", "mileage": 47000 })).await);
        let record = app.get(&format!("/api/v1/vehicle-maintenance/{}", service["id"].as_str().unwrap()), &ada).await;
        assert_eq!(record.status, StatusCode::OK);
        assert_eq!(record.body["mileage"], 47000);

        // start_timer / stop_timer: REST sees it run, then stop.
        let started = ok(&call(&writer, "start_timer", json!({ "note": "writing" })).await);
        let entry = format!("/api/v1/time-entries/{}", started["id"].as_str().unwrap());
        let running = app.get(&entry, &ada).await;
        assert_eq!(running.status, StatusCode::OK, "{}", running.body);
        assert_eq!(running.body["endedAt"], Value::Null);
        let again = call(&writer, "start_timer", json!({})).await;
        assert_eq!(refused(&again).0, "timer_already_running");
        // (Less than the access token's 15 minutes.)
        app.clock.advance(time::Duration::minutes(10));
        let stopped = ok(&call(&writer, "stop_timer", json!({ "requestId": "stop-1" })).await);
        assert_eq!(stopped["id"], started["id"]);
        let after = app.get(&entry, &ada).await;
        assert_eq!(after.status, StatusCode::OK, "{}", after.body);
        assert_ne!(after.body["endedAt"], Value::Null, "{}", after.body);
        // The retry answers the first stop; a new stop has nothing to stop.
        assert_eq!(ok(&call(&writer, "stop_timer", json!({ "requestId": "stop-1" })).await), stopped);
        assert_eq!(refused(&call(&writer, "stop_timer", json!({})).await).0, "timer_not_running");

        // complete_habit by name, retried: one completion, its XP once.
        let stretch = daily_habit(&app, &ada, "Morning stretch").await;
        let due = ok(&call(&reader, "due_today", json!({})).await);
        assert_eq!(due["habits"][0]["node"]["id"], stretch.as_str(), "{due}");
        let done = ok(&call(&writer, "complete_habit", json!({ "name": " morning STRETCH", "requestId": "c-1" })).await);
        assert_eq!(ok(&call(&writer, "complete_habit", json!({ "name": " morning STRETCH", "requestId": "c-1" })).await), done);
        assert!(done["xpAwarded"].as_i64().unwrap() > 0, "{done}");
        let completions = app.get("/api/v1/completions", &ada).await;
        assert_eq!(completions.body["items"].as_array().unwrap().len(), 1, "{}", completions.body);
        assert_eq!(completions.body["items"][0]["nodeId"], stretch.as_str());
        let stats = app.get("/api/v1/me/stats", &ada).await;
        assert_eq!(stats.body["xp"], done["xpAwarded"], "{}", stats.body);
        let unknown = call(&writer, "complete_habit", json!({ "name": "Juggling" })).await;
        let (code, text) = refused(&unknown);
        assert_eq!(code, "not_found");
        assert!(text.contains("Juggling"), "{text}");
        assert_eq!(refused(&call(&writer, "complete_habit", json!({ "name": "Morning stretch" })).await).0, "already_completed");

        // get_tip needs the consent, as on REST; then the due habit is the tip, and
        // answer_tip's `done` completes it.
        assert_eq!(refused(&call(&writer, "get_tip", json!({})).await).0, "consent_required");
        let consent = app.call(Method::PUT, "/api/v1/me/consents/recommendations", Some(&ada), Some(json!({ "granted": true }))).await;
        assert_eq!(consent.status, StatusCode::OK);
        let read = daily_habit(&app, &ada, "Read ten pages").await;
        let decision = ok(&call(&writer, "get_tip", json!({})).await);
        assert_eq!(decision["tip"]["source"]["id"], read.as_str(), "{decision}");
        let tip = decision["tip"]["id"].as_str().unwrap();
        let answer = ok(&call(&writer, "answer_tip", json!({ "tipId": tip, "kind": "done" })).await);
        assert_eq!(answer["kind"], "done");
        let completions = app.get("/api/v1/completions", &ada).await;
        assert_eq!(completions.body["items"].as_array().unwrap().len(), 2, "{}", completions.body);
        let twice = call(&writer, "answer_tip", json!({ "tipId": tip, "kind": "not_now" })).await;
        assert_eq!(refused(&twice).0, "tip_feedback_recorded");

        // brake_state: what REST answers.
        let brake = ok(&call(&reader, "brake_state", json!({})).await);
        assert_eq!(brake, app.get("/api/v1/brake/state", &ada).await.body);

        // A read key's write call is refused with REST's code, and writes nothing.
        let denied = call(&reader, "log_hike", json!({ "date": "2026-03-09", "distanceKm": 5.0 })).await;
        assert_eq!(refused(&denied).0, "insufficient_scope");
        assert_eq!(app.get("/api/v1/hikes", &ada).await.body["items"].as_array().unwrap().len(), 1);
        assert_eq!(refused(&call(&reader, "no_such_tool", json!({})).await).0, "not_found");

        // Another user's key sees none of Ada's data, and her requestIds are not his.
        let bob = app.user("bob@example.com").await;
        let bob_key = api_key(&app, &bob, &["read", "write"]).await;
        let bob_client = over_http(&app, &bob_key).await;
        assert_eq!(ok(&call(&bob_client, "due_today", json!({})).await)["habits"], json!([]));
        assert_eq!(refused(&call(&bob_client, "complete_habit", json!({ "name": "Morning stretch" })).await).0, "not_found");
        let bob_day = ok(&call(&bob_client, "log_day_type", json!({ "date": "2026-03-11", "plannedType": "buffer", "requestId": "plan-1" })).await);
        assert_ne!(bob_day["id"], first["id"]);
        assert_eq!(app.get("/api/v1/day-types", &ada).await.body["items"].as_array().unwrap().len(), 1);

        // Without a valid key, /mcp answers 401 problem+json.
        let initialize = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "curl", "version": "1" } } });
        for (key, code) in [(None, "unauthenticated"), (Some("lfs_not-a-key"), "invalid_api_key")] {
            let mut request = reqwest::Client::new()
                .post(app.url("/mcp"))
                .header("accept", "application/json, text/event-stream")
                .json(&initialize);
            if let Some(key) = key {
                request = request.header("x-api-key", key);
            }
            let reply = common::Reply::from(request.send().await.unwrap()).await;
            reply.assert_problem(StatusCode::UNAUTHORIZED, code);
        }

        for client in [writer, reader, bob_client] {
            client.cancel().await.unwrap();
        }
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn lifeos_mcp_serves_the_tools_over_stdio(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let write_key = api_key(&app, &ada, &["read", "write"]).await;
        let read_key = api_key(&app, &ada, &["read"]).await;
        let dir = tempfile::tempdir().unwrap();

        let writer = over_stdio(dir.path(), &db, &write_key).await;
        let all: Vec<&str> = WRITE_TOOLS.iter().chain(READ_TOOLS).copied().collect();
        assert_eq!(names(&writer).await, sorted(&all));
        let today = time::OffsetDateTime::now_utc().date();
        let hike = json!({ "date": today.to_string(), "distanceKm": 8.0, "requestId": "walk" });
        let logged = ok(&call(&writer, "log_hike", hike.clone()).await);
        assert_eq!(ok(&call(&writer, "log_hike", hike).await), logged);
        let hikes = app.get("/api/v1/hikes", &ada).await;
        assert_eq!(hikes.body["items"].as_array().unwrap().len(), 1, "{}", hikes.body);
        assert_eq!(hikes.body["items"][0]["id"], logged["id"]);
        let started = ok(&call(&writer, "start_timer", json!({})).await);
        let running = app.get(&format!("/api/v1/time-entries/{}", started["id"].as_str().unwrap()), &ada).await;
        assert_eq!(running.status, StatusCode::OK, "{}", running.body);
        assert_eq!(running.body["endedAt"], Value::Null);
        let stopped = ok(&call(&writer, "stop_timer", json!({})).await);
        assert_eq!(stopped["id"], started["id"]);
        assert_ne!(stopped["endedAt"], Value::Null);
        let bad = call(&writer, "log_day_type", json!({ "date": "2026-02-30", "plannedType": "free" })).await;
        assert!(refused(&bad).1.contains("date"));
        writer.cancel().await.unwrap();

        let reader = over_stdio(dir.path(), &db, &read_key).await;
        assert_eq!(names(&reader).await, sorted(READ_TOOLS));
        let denied = call(&reader, "start_timer", json!({})).await;
        assert_eq!(refused(&denied).0, "insufficient_scope");
        assert_eq!(ok(&call(&reader, "brake_state", json!({})).await), app.get("/api/v1/brake/state", &ada).await.body);
        reader.cancel().await.unwrap();

        // No key, or a key the server refuses: a sentence on stderr, exit status 1, and
        // nothing on stdout (the protocol's channel).
        for key in [None, Some("lfs_not-a-key")] {
            let mut command = common::lifeos(dir.path(), &db.url);
            command.arg("mcp");
            if let Some(key) = key {
                command.env("LIFEOS_API_KEY", key);
            }
            let output = command.output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert_eq!(output.status.code(), Some(1), "{stderr}");
            assert!(output.stdout.is_empty());
            assert!(stderr.contains("LIFEOS_API_KEY"), "{stderr}");
        }
        app.stop().await;
    }
}
