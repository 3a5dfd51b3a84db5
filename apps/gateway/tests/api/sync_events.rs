//! Live pokes (`GET /sync/events`): the current version at once, a poke within a second of
//! a push or a REST write, none for another user's writes, 401 without credentials, and
//! across two gateway processes on one PostgreSQL database.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lifeos_kernel::Timestamp;
use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{JWT_SECRET, PASSWORD, Reply, TestApp, token};

/// How soon a write must reach a listener (the bound, for every path).
const WITHIN: Duration = Duration::from_secs(1);

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn send(
    base: &str,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut request = client().request(method, format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    Reply::from(request.send().await.expect("request sent")).await
}

async fn register(base: &str, email: &str) -> String {
    let reply = send(
        base,
        Method::POST,
        "/api/v1/auth/register",
        None,
        Some(json!({ "email": email, "password": PASSWORD })),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "register {email}: {}",
        reply.body
    );
    token(&reply.body)
}

/// Registers a device and returns its id.
async fn device(base: &str, token: &str) -> String {
    let reply = send(
        base,
        Method::POST,
        "/api/v1/devices",
        Some(token),
        Some(json!({ "name": "phone", "platform": "ios" })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::CREATED, "device: {}", reply.body);
    reply.body["id"].as_str().unwrap().to_owned()
}

/// Pushes one document upsert as `mutation_id` and returns the push's `latestVersion`.
async fn push_document(
    base: &str,
    token: &str,
    device: &str,
    mutation_id: i64,
    at: Timestamp,
) -> i64 {
    let mutation = json!({
        "mutationId": mutation_id,
        "entity": "document",
        "entityId": lifeos_kernel::id::new_id(),
        "op": "upsert",
        "fields": { "key": format!("note-{mutation_id}"), "data": { "n": mutation_id } },
        "clientTimestamp": at,
    });
    let reply = send(
        base,
        Method::POST,
        "/api/v1/sync/push",
        Some(token),
        Some(json!({ "deviceId": device, "mutations": [mutation] })),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "push: {}", reply.body);
    assert_eq!(
        reply.body["results"][0]["status"], "applied",
        "push: {}",
        reply.body
    );
    reply.body["latestVersion"].as_i64().unwrap()
}

/// A REST write of a syncable row (a day type); returns its version.
async fn plan_day(base: &str, token: &str, date: &str) -> i64 {
    let reply = send(
        base,
        Method::POST,
        "/api/v1/day-types",
        Some(token),
        Some(json!({ "date": date, "plannedType": "focus" })),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::CREATED,
        "day type: {}",
        reply.body
    );
    reply.body["version"].as_i64().unwrap()
}

/// An open `GET /sync/events` stream, read event by event.
struct Events {
    response: reqwest::Response,
    buffer: String,
}

impl Events {
    async fn open(base: &str, token: &str) -> Events {
        let response = client()
            .get(format!("{base}/api/v1/sync/events"))
            .bearer_auth(token)
            .send()
            .await
            .expect("events request sent");
        assert_eq!(response.status(), StatusCode::OK);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}"
        );
        Events {
            response,
            buffer: String::new(),
        }
    }

    /// The version of the next poke within `wait`, skipping keep-alive comments; `None`
    /// if none came (or the stream ended).
    async fn next_poke(&mut self, wait: Duration) -> Option<i64> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(version) = poke_version(&block) {
                    return Some(version);
                }
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buffer.push_str(std::str::from_utf8(&bytes).unwrap()),
                Ok(Ok(None) | Err(_)) | Err(_) => return None,
            }
        }
    }

    /// Asserts the next poke, within a second, carries `version`.
    async fn expect_poke(&mut self, version: i64) {
        assert_eq!(
            self.next_poke(WITHIN).await,
            Some(version),
            "a poke within {WITHIN:?}"
        );
    }
}

/// A `poke` block's version (`event: poke` / `data: {"version": n}`); `None` for comments.
fn poke_version(block: &str) -> Option<i64> {
    let mut event = None;
    let mut data = None;
    for line in block.lines() {
        if let Some(name) = line.strip_prefix("event:") {
            event = Some(name.trim());
        } else if let Some(text) = line.strip_prefix("data:") {
            data = Some(text.trim());
        }
    }
    assert!(
        event.is_none() || event == Some("poke"),
        "unexpected event: {block}"
    );
    let data: Value = serde_json::from_str(data?).unwrap();
    Some(data["version"].as_i64().expect("version"))
}

lifeos_kernel::dialect_test! {
    async fn a_listener_hears_the_current_version_at_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut fresh = Events::open(&app.base, &ada).await;
        fresh.expect_poke(0).await;
        plan_day(&app.base, &ada, "2026-03-02").await;
        let version = plan_day(&app.base, &ada, "2026-03-03").await;
        // A client that reconnects learns at once how far the server is.
        let mut again = Events::open(&app.base, &ada).await;
        again.expect_poke(version).await;
        drop((fresh, again));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_push_pokes_the_users_listeners_within_a_second(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let phone = device(&app.base, &ada).await;
        let mut first = Events::open(&app.base, &ada).await;
        let mut second = Events::open(&app.base, &ada).await;
        let start = first.next_poke(WITHIN).await.unwrap();
        assert_eq!(second.next_poke(WITHIN).await, Some(start));
        for mutation_id in 1..=3 {
            let version = push_document(&app.base, &ada, &phone, mutation_id, app.now()).await;
            assert!(version > start);
            first.expect_poke(version).await;
            second.expect_poke(version).await;
        }
        drop((first, second));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_rest_write_pokes_too(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut events = Events::open(&app.base, &ada).await;
        events.expect_poke(0).await;
        // REST writes announce nothing: the hub's poller finds them in the change counter.
        let version = plan_day(&app.base, &ada, "2026-03-02").await;
        events.expect_poke(version).await;
        drop(events);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn another_users_writes_do_not_poke(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let bobs_phone = device(&app.base, &bob).await;
        let mut events = Events::open(&app.base, &ada).await;
        events.expect_poke(0).await;
        push_document(&app.base, &bob, &bobs_phone, 1, app.now()).await;
        plan_day(&app.base, &bob, "2026-03-02").await;
        // Long enough for the poller to have run twice.
        assert_eq!(events.next_poke(Duration::from_millis(1_200)).await, None);
        let version = plan_day(&app.base, &ada, "2026-03-02").await;
        events.expect_poke(version).await;
        drop(events);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_stream_outlives_the_request_timeout(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |c| c.request_timeout = Duration::from_millis(500)).await;
        let ada = app.user("ada@example.com").await;
        let mut events = Events::open(&app.base, &ada).await;
        events.expect_poke(0).await;
        assert_eq!(events.next_poke(Duration::from_millis(1_500)).await, None);
        let version = plan_day(&app.base, &ada, "2026-03-02").await;
        events.expect_poke(version).await;
        drop(events);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn stopping_the_server_ends_open_streams(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let mut events = Events::open(&app.base, &ada).await;
        events.expect_poke(0).await;
        // A graceful shutdown waits for open responses: the hub must end the stream.
        tokio::time::timeout(Duration::from_secs(5), app.stop())
            .await
            .expect("the server stops with a listener connected");
        assert_eq!(events.next_poke(WITHIN).await, None, "the stream ended");
    }
}

lifeos_kernel::dialect_test! {
    async fn listening_needs_credentials(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        send(&app.base, Method::GET, "/api/v1/sync/events", None, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
        send(&app.base, Method::GET, "/api/v1/sync/events", Some("not-a-token"), None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_push_to_one_process_pokes_a_listener_on_another(db: TestDatabase) {
        // SQLite pokes stay inside one process (there is no NOTIFY, and one file is not
        // shared by replicas); across processes is PostgreSQL's case only.
        if db.label != "postgres" {
            return;
        }
        // One after the other: each runs the migrations at start.
        let a = Gateway::start(&db.url).await;
        let b = Gateway::start(&db.url).await;
        let ada = register(&a.base, "ada@example.com").await;
        let phone = device(&a.base, &ada).await;
        let mut on_b = Events::open(&b.base, &ada).await;
        on_b.expect_poke(0).await;
        for mutation_id in 1..=3 {
            let started = Instant::now();
            let version = push_document(&a.base, &ada, &phone, mutation_id, Timestamp::from(time::OffsetDateTime::now_utc())).await;
            assert_eq!(on_b.next_poke(WITHIN).await, Some(version), "poke {mutation_id} on b");
            assert!(started.elapsed() < WITHIN, "{:?}", started.elapsed());
        }
        // And a REST write through b reaches a listener on a.
        let mut on_a = Events::open(&a.base, &ada).await;
        on_a.next_poke(WITHIN).await.unwrap();
        let version = plan_day(&b.base, &ada, "2026-03-02").await;
        on_a.expect_poke(version).await;
    }
}

/// A `lifeos serve` child process, killed when dropped (its logs are printed if the
/// test failed).
struct Gateway {
    child: Child,
    base: String,
    dir: tempfile::TempDir,
}

impl Gateway {
    async fn start(database_url: &str) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let mail = dir.path().join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        let addr = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_lifeos"))
            .arg("serve")
            .env("LIFEOS_METRICS_BIND", "127.0.0.1:0")
            .current_dir(dir.path())
            .env("LIFEOS_ENV", "dev")
            .env(
                "LIFEOS_VAULT_KEYS",
                "t:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
            )
            .env("DATABASE_URL", database_url)
            .env("LIFEOS_BIND", addr.to_string())
            .env("LIFEOS_JWT_SECRET", JWT_SECRET)
            .env("LIFEOS_MAIL_DIR", &mail)
            .env("LIFEOS_DB_MAX_CONNECTIONS", "4")
            .env("LIFEOS_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .env_remove("LIFEOS_SMTP_URL")
            .env_remove("LIFEOS_PUBLIC_URL")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout.log")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("lifeos starts");
        let mut gateway = Gateway {
            child,
            base: format!("http://{addr}"),
            dir,
        };
        gateway.wait_until_ready().await;
        gateway
    }

    async fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "lifeos exited with {status} before it was ready: {}",
                    self.logs()
                );
            }
            if let Ok(reply) = client().get(format!("{}/ready", self.base)).send().await
                && reply.status() == StatusCode::OK
            {
                return;
            }
            assert!(Instant::now() < deadline, "lifeos did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn logs(&self) -> String {
        ["stdout.log", "stderr.log"]
            .iter()
            .map(|name| {
                let path: PathBuf = self.dir.path().join(name);
                format!(
                    "--- {name}:\n{}",
                    std::fs::read_to_string(path).unwrap_or_default()
                )
            })
            .collect()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("{} {}", self.base, self.logs());
        }
    }
}

/// A port nothing listens on right now (the child binds it a moment later).
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}
