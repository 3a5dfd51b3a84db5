//! The access log as an operator reads it: the real binary's stderr, one line per request
//! with the route template (never the raw path), status, latency, request id and caller.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::lifeos;

/// A `lifeos serve` process logging to a file; killed when dropped.
struct Served {
    child: Child,
    base: String,
    log: std::path::PathBuf,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Served {
    async fn start(database_url: &str, format: &str) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("stderr.log");
        let addr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap()
        };
        let child = lifeos(dir.path(), database_url)
            .arg("serve")
            .env("LIFEOS_BIND", addr.to_string())
            .env("LIFEOS_LOG_FORMAT", format)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("lifeos starts");
        let served = Served {
            child,
            base: format!("http://{addr}"),
            log,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            _dir: dir,
        };
        served.wait_until_ready().await;
        served
    }

    async fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(reply) = self.http.get(self.url("/ready")).send().await
                && reply.status() == StatusCode::OK
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "lifeos did not become ready: {}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends `request`; its status, `x-request-id` and JSON body.
    async fn send(&self, request: reqwest::RequestBuilder) -> (StatusCode, String, Value) {
        let response = request.send().await.unwrap();
        let status = response.status();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, id, body)
    }

    /// SIGTERM (a graceful stop, as an orchestrator does), then the whole log.
    fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let terminated = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .is_ok_and(|s| s.success());
        if !terminated {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        self.logs()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The access lines of a JSON log.
fn access_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| line["target"] == "lifeos::access")
        .collect()
}

/// The access line of the request with `id`.
#[track_caller]
fn line_of<'a>(lines: &'a [Value], id: &str, log: &str) -> &'a Value {
    let found: Vec<&Value> = lines.iter().filter(|l| l["request_id"] == id).collect();
    assert_eq!(found.len(), 1, "one line for request {id}: {log}");
    found[0]
}

lifeos_kernel::dialect_test! {
    async fn every_request_is_one_json_line_with_its_route_template(db: TestDatabase) {
        let served = Served::start(&db.url, "json").await;
        let http = &served.http;

        let (status, health, _) = served.send(http.get(served.url("/health"))).await;
        assert_eq!(status, StatusCode::OK);

        let (status, _, session) = served
            .send(http.post(served.url("/api/v1/auth/register")).json(&json!({
                "email": "ada@example.com", "password": crate::common::PASSWORD
            })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{session}");
        let token = crate::common::token(&session);
        let (status, _, car) = served
            .send(http.post(served.url("/api/v1/vehicles")).bearer_auth(&token).json(&json!({ "name": "Blue Golf" })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{car}");
        let car_id = car["id"].as_str().unwrap().to_owned();
        let car_path = format!("/api/v1/vehicles/{car_id}");
        let (status, by_session, _) = served
            .send(http.get(served.url(&car_path)).bearer_auth(&token))
            .await;
        assert_eq!(status, StatusCode::OK);

        let (status, _, key) = served
            .send(http.post(served.url("/api/v1/me/api-keys")).bearer_auth(&token).json(&json!({ "name": "voice", "scopes": ["read"] })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{key}");
        let key = key["key"].as_str().unwrap().to_owned();
        let (status, by_key, _) = served
            .send(http.get(served.url(&car_path)).header("x-api-key", &key))
            .await;
        assert_eq!(status, StatusCode::OK);

        // A path no route takes, carrying the id too: the id must not reach the log.
        let (status, unknown, _) = served
            .send(http.get(served.url(&format!("/no/such/{car_id}"))).bearer_auth(&token))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A client's own request id is the one logged.
        let (status, chosen, _) = served
            .send(http.get(served.url("/health")).header("x-request-id", "ops-logs-1"))
            .await;
        assert_eq!((status, chosen.as_str()), (StatusCode::OK, "ops-logs-1"));

        let log = served.stop();
        assert!(!log.contains(&car_id), "{}: a raw id reached the log: {log}", db.label);
        assert!(!log.contains(&key) && !log.contains(&token), "{}: a credential reached the log", db.label);
        let lines = access_lines(&log);

        let line = line_of(&lines, &health, &log);
        assert_eq!(line["level"], "INFO", "{line}");
        assert_eq!(line["method"], "GET", "{line}");
        assert_eq!(line["route"], "/health", "{line}");
        assert_eq!(line["status"], 200, "{line}");
        assert_eq!(line["principal"], "anonymous", "{line}");
        assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");

        let line = line_of(&lines, &by_session, &log);
        assert_eq!(line["route"], "/api/v1/vehicles/{id}", "{line}");
        assert_eq!(line["status"], 200, "{line}");
        assert_eq!(line["principal"], "session", "{line}");

        let line = line_of(&lines, &by_key, &log);
        assert_eq!(line["route"], "/api/v1/vehicles/{id}", "{line}");
        assert_eq!(line["principal"], "api_key", "{line}");

        let line = line_of(&lines, &unknown, &log);
        assert_eq!(line["route"], "unmatched", "{line}");
        assert_eq!(line["status"], 404, "{line}");
        assert_eq!(line["principal"], "session", "{line}");

        line_of(&lines, "ops-logs-1", &log);
    }
}

#[tokio::test]
async fn the_pretty_log_has_no_colours_when_piped() {
    let db = lifeos_kernel::testing::sqlite();
    let served = Served::start(&db.url, "pretty").await;
    let (status, id, _) = served.send(served.http.get(served.url("/health"))).await;
    assert_eq!(status, StatusCode::OK);
    let log = served.stop();
    assert!(
        !log.contains("\x1b["),
        "ANSI escapes in a piped log: {log:?}"
    );
    let line = log
        .lines()
        .find(|line| line.contains(&id))
        .unwrap_or_else(|| panic!("no line for {id}: {log}"));
    assert!(
        line.contains("route=/health") && line.contains("status=200"),
        "{line}"
    );
}
