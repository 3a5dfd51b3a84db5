//! Todoist's open tasks as tips, against a fake Todoist API on the fake OAuth provider:
//! a task due today is offered, `done` closes it at Todoist, a second decision within a
//! minute asks nothing and a later one asks with the ETag (304), a 429 is waited out
//! while the last answer is served, a refused refresh offers "Reconnect Todoist", the
//! tasks never reach a table, and another person sees none of it.

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::integrations_fakes::{FakeProvider, Shared, connect, dump, grant, outcome};
use crate::recommend::{feedback, recommend};

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";
/// A Tuesday, mid-morning: no seeded advice for an unplanned day, so a Todoist task due
/// today is the only thing worth saying.
const QUIET_MORNING: &str = "2026-03-10T10:30:00Z";
/// The task's text, looked for in every table afterwards.
const CANARY: &str = "Buy oat milk canary-7d41";
const TASK_ID: &str = "2995104339";

/// What the fake Todoist API holds and saw.
#[derive(Debug, Default)]
struct Todo {
    tasks: Vec<Value>,
    /// Bumped on every change: the ETag is `"v{version}"`.
    version: u32,
    /// Every `GET /rest/v2/tasks`: its `If-None-Match`, and what was answered.
    requests: Vec<(Option<String>, u16)>,
    closed: Vec<String>,
    /// Answer 429 with this `Retry-After` (seconds).
    rate_limit: Option<u64>,
}

type Api = Arc<Mutex<Todo>>;

async fn tasks(State((oauth, api)): State<(Shared, Api)>, headers: HeaderMap) -> Response {
    if !oauth.lock().unwrap().authorized(&headers) {
        return AxumStatus::UNAUTHORIZED.into_response();
    }
    let mut api = api.lock().unwrap();
    let asked = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let etag = format!("\"v{}\"", api.version);
    let (status, response) = if let Some(wait) = api.rate_limit {
        (
            429,
            (
                AxumStatus::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, wait.to_string())],
            )
                .into_response(),
        )
    } else if asked.as_deref() == Some(etag.as_str()) {
        (304, AxumStatus::NOT_MODIFIED.into_response())
    } else {
        (
            200,
            (
                [(header::ETAG, etag)],
                Json(Value::Array(api.tasks.clone())),
            )
                .into_response(),
        )
    };
    api.requests.push((asked, status));
    response
}

async fn close(
    State((oauth, api)): State<(Shared, Api)>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AxumStatus {
    if !oauth.lock().unwrap().authorized(&headers) {
        return AxumStatus::UNAUTHORIZED;
    }
    let mut api = api.lock().unwrap();
    let before = api.tasks.len();
    api.tasks.retain(|t| t["id"] != id);
    if api.tasks.len() == before {
        return AxumStatus::NOT_FOUND;
    }
    api.version += 1;
    api.closed.push(id);
    AxumStatus::NO_CONTENT
}

/// The fake provider with Todoist's two routes, holding one task due on 2026-03-10.
async fn fake_todoist() -> (FakeProvider, Api) {
    let api: Api = Arc::new(Mutex::new(Todo {
        tasks: vec![json!({
            "id": TASK_ID,
            "content": CANARY,
            "project_id": "2203306141",
            "priority": 4,
            "due": { "date": "2026-03-10", "string": "today", "is_recurring": false, "lang": "en" },
            "labels": [],
        })],
        version: 1,
        ..Todo::default()
    }));
    let mounted = api.clone();
    let fake = FakeProvider::start_with(move |oauth| {
        Router::new()
            .route("/rest/v2/tasks", get(tasks))
            .route("/rest/v2/tasks/{id}/close", post(close))
            .with_state((oauth, mounted))
    })
    .await;
    (fake, api)
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

async fn app_with(db: &TestDatabase, fake: &FakeProvider) -> TestApp {
    let app = TestApp::spawn_with(db, |c| fake.configure(c, "todoist")).await;
    app.clock.set(at(QUIET_MORNING));
    app
}

/// `email` with both consents and Todoist connected.
async fn connected(app: &TestApp, email: &str) -> String {
    let token = app.user(email).await;
    grant(app, &token, "recommendations", true).await;
    grant(app, &token, "integrations", true).await;
    let callback = connect(app, &token, "todoist").await;
    assert_eq!(outcome(&callback), "connected", "{}", app.label);
    token
}

#[track_caller]
fn todoist_tip(decision: &Value) -> &Value {
    let tip = &decision["tip"];
    assert_eq!(tip["kind"], "todo", "{decision}");
    assert_eq!(
        tip["source"],
        json!({ "entity": "todoist_task", "id": TASK_ID }),
        "{decision}"
    );
    assert_eq!(tip["text"], CANARY, "{decision}");
    assert_eq!(
        tip["reason"], "due today in Todoist, priority 1",
        "{decision}"
    );
    tip
}

fn requests(api: &Api) -> Vec<(Option<String>, u16)> {
    api.lock().unwrap().requests.clone()
}

lifeos_kernel::dialect_test! {
    async fn a_todoist_task_is_a_tip_and_done_closes_it_at_todoist(db: TestDatabase) {
        let (fake, api) = fake_todoist().await;
        let app = app_with(&db, &fake).await;
        let ada = connected(&app, ADA).await;

        let decision = recommend(&app, &ada).await;
        let tip = todoist_tip(&decision).clone();
        assert_eq!(requests(&api).len(), 1, "{}", app.label);

        // Within the minute the cache answers: Todoist is not asked again.
        app.clock.advance(time::Duration::seconds(30));
        todoist_tip(&recommend(&app, &ada).await);
        assert_eq!(requests(&api).len(), 1, "{}: served from the cache", app.label);

        // After it, the request carries the ETag and Todoist's 304 keeps the tasks.
        app.clock.advance(time::Duration::seconds(45));
        todoist_tip(&recommend(&app, &ada).await);
        assert_eq!(
            requests(&api),
            vec![(None, 200), (Some("\"v1\"".to_owned()), 304)],
            "{}",
            app.label
        );

        let done = feedback(&app, &ada, tip["id"].as_str().unwrap(), "done").await;
        assert_eq!(done.status, StatusCode::OK, "{}: {}", app.label, done.body);
        assert_eq!(done.body["kind"], "done");
        assert_eq!(api.lock().unwrap().closed, vec![TASK_ID.to_owned()]);

        // Closed: the next decision (cache time or not) no longer offers it.
        let after = recommend(&app, &ada).await;
        assert_eq!(after["tip"], Value::Null, "{}: {after}", app.label);

        // Nothing of the task but its id reached a table (the decision log keeps the
        // source and the reason, never the text).
        let everything = dump(app.db()).await;
        assert!(
            !everything.contains(CANARY),
            "{}: a Todoist task's text is in a table",
            app.label
        );
        assert!(everything.contains(TASK_ID), "the log names the task by its id");
    }
}

lifeos_kernel::dialect_test! {
    async fn done_on_a_task_todoist_no_longer_has_records_nothing(db: TestDatabase) {
        let (fake, api) = fake_todoist().await;
        let app = app_with(&db, &fake).await;
        let ada = connected(&app, ADA).await;
        let decision = recommend(&app, &ada).await;
        let tip = todoist_tip(&decision)["id"].as_str().unwrap().to_owned();

        // Closed elsewhere in the meantime (in the Todoist app).
        api.lock().unwrap().tasks.clear();
        let done = feedback(&app, &ada, &tip, "done").await;
        done.assert_problem(StatusCode::NOT_FOUND, "not_found");
        // Nothing was recorded: another kind of feedback is still accepted.
        let later = feedback(&app, &ada, &tip, "not_now").await;
        assert_eq!(later.status, StatusCode::OK, "{}: {}", app.label, later.body);
    }
}

lifeos_kernel::dialect_test! {
    async fn a_429_is_waited_out_while_the_last_answer_is_served(db: TestDatabase) {
        let (fake, api) = fake_todoist().await;
        let app = app_with(&db, &fake).await;
        let ada = connected(&app, ADA).await;
        todoist_tip(&recommend(&app, &ada).await);

        // The cache runs out, and Todoist says: not for two minutes.
        api.lock().unwrap().rate_limit = Some(120);
        app.clock.advance(time::Duration::seconds(61));
        todoist_tip(&recommend(&app, &ada).await);
        assert_eq!(requests(&api).len(), 2);
        assert_eq!(requests(&api)[1].1, 429);

        // Until Retry-After passes nothing is asked, and the last answer is served.
        for _ in 0..3 {
            app.clock.advance(time::Duration::seconds(30));
            todoist_tip(&recommend(&app, &ada).await);
        }
        assert_eq!(requests(&api).len(), 2, "{}: no request during the back-off", app.label);

        // After it, Todoist is asked again (with the ETag it last gave).
        api.lock().unwrap().rate_limit = None;
        app.clock.advance(time::Duration::seconds(31));
        todoist_tip(&recommend(&app, &ada).await);
        assert_eq!(
            requests(&api).last().cloned(),
            Some((Some("\"v1\"".to_owned()), 304)),
            "{}",
            app.label
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn a_429_before_any_answer_serves_nothing_and_waits(db: TestDatabase) {
        let (fake, api) = fake_todoist().await;
        let app = app_with(&db, &fake).await;
        let ada = connected(&app, ADA).await;
        api.lock().unwrap().rate_limit = Some(60);

        let decision = recommend(&app, &ada).await;
        assert_eq!(decision["tip"], Value::Null, "{}: {decision}", app.label);
        app.clock.advance(time::Duration::seconds(59));
        assert_eq!(recommend(&app, &ada).await["tip"], Value::Null);
        assert_eq!(requests(&api).len(), 1, "{}", app.label);

        api.lock().unwrap().rate_limit = None;
        app.clock.advance(time::Duration::seconds(2));
        todoist_tip(&recommend(&app, &ada).await);
        assert_eq!(requests(&api).len(), 2);
    }
}

lifeos_kernel::dialect_test! {
    async fn a_refused_refresh_offers_to_reconnect_todoist(db: TestDatabase) {
        let (fake, api) = fake_todoist().await;
        let app = app_with(&db, &fake).await;
        let ada = connected(&app, ADA).await;
        let bob = app.user(BOB).await;
        grant(&app, &bob, "recommendations", true).await;
        todoist_tip(&recommend(&app, &ada).await);

        // The access token expires (an hour) and Todoist refuses the refresh. 11:31:
        // still a quiet hour for Bob below.
        fake.state().refuse_refresh = true;
        app.clock.advance(time::Duration::minutes(61));
        let ada = app.login(ADA).await;
        let decision = recommend(&app, &ada).await;
        let tip = &decision["tip"];
        assert_eq!(
            tip["source"],
            json!({ "entity": "integration", "id": "todoist" }),
            "{}: {decision}",
            app.label
        );
        assert_eq!(tip["kind"], "todo");
        assert_eq!(tip["text"], "Reconnect Todoist");
        assert_eq!(tip["reason"], "lifeos can no longer read your Todoist tasks");
        assert_eq!(requests(&api).len(), 1, "no task is read without a live token");

        // Bob, who never connected Todoist, is offered none of it.
        let bob = app.login(BOB).await;
        let his = recommend(&app, &bob).await;
        assert_eq!(his["tip"], Value::Null, "{}: {his}", app.label);
        // Nor can he act on Ada's tip.
        let theirs = feedback(&app, &bob, tip["id"].as_str().unwrap(), "done").await;
        theirs.assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
}

lifeos_kernel::dialect_test! {
    async fn another_person_sees_no_todoist_task_and_cannot_close_one(db: TestDatabase) {
        let (fake, api) = fake_todoist().await;
        let app = app_with(&db, &fake).await;
        let ada = connected(&app, ADA).await;
        let bob = app.user(BOB).await;
        grant(&app, &bob, "recommendations", true).await;
        grant(&app, &bob, "integrations", true).await;

        let tip = todoist_tip(&recommend(&app, &ada).await)["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let his = recommend(&app, &bob).await;
        assert_eq!(his["tip"], Value::Null, "{}: {his}", app.label);
        assert_eq!(requests(&api).len(), 1, "Bob's decision asked Todoist nothing");

        let theirs = feedback(&app, &bob, &tip, "done").await;
        theirs.assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert!(api.lock().unwrap().closed.is_empty(), "{}", app.label);
    }
}

lifeos_kernel::dialect_test! {
    async fn a_token_todoist_refuses_offers_to_reconnect(db: TestDatabase) {
        let (fake, api) = fake_todoist().await;
        let app = app_with(&db, &fake).await;
        let ada = connected(&app, ADA).await;

        // Revoked in Todoist's settings: the token is no longer live there.
        fake.state().live.clear();
        let decision = recommend(&app, &ada).await;
        assert_eq!(
            decision["tip"]["source"],
            json!({ "entity": "integration", "id": "todoist" }),
            "{}: {decision}",
            app.label
        );
        assert_eq!(requests(&api).len(), 0, "the fake refused before counting");
        let listed = app.get("/api/v1/integrations", &ada).await;
        let todoist = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["provider"] == "todoist")
            .cloned()
            .unwrap();
        assert_eq!(todoist["status"], "refresh_failed", "{}: {listed:?}", app.label);
    }
}
