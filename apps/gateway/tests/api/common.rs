//! Black-box harness: the real app on port 0 against a fresh database, driven over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use lifeos_gateway::app::{self, Server};
use lifeos_gateway::config::{Config, Env, LogFormat, MailTarget};
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, TestClock, Timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub mod seed;

pub const JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123456789";
pub const PASSWORD: &str = "correct horse battery";

/// A fresh id (UUID v7) as text, for rows a test names before it writes them.
pub fn new_id() -> String {
    lifeos_kernel::id::new_id().to_string()
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: Arc<TestClock>,
    pub label: &'static str,
    pub mail_dir: tempfile::TempDir,
    server: Option<Server>,
}

pub fn config(database_url: &str, mail_dir: &std::path::Path) -> Config {
    Config {
        env: Env::Dev,
        database_url: database_url.to_owned(),
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        metrics_bind: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        public_url: "http://lifeos.test".into(),
        app_url: None,
        registration: lifeos_identity::RegistrationPolicy::Open,
        web: lifeos_gateway::web::WebApp::default(),
        jwt_secret: JWT_SECRET.as_bytes().to_vec(),
        mail: MailTarget::Directory(mail_dir.to_path_buf()),
        mail_from: "lifeos <no-reply@lifeos.test>".into(),
        cors_origins: vec!["https://app.lifeos.test".into()],
        body_limit_bytes: 1024 * 1024,
        request_timeout: Duration::from_secs(30),
        db_max_connections: Some(5),
        trust_proxy: false,
        log_format: LogFormat::Pretty,
        brake_checks_per_minute: 120,
        completions_per_minute: 120,
        auth_cache_ttl: Duration::from_secs(5),
        admin_emails: vec![ADMIN_EMAIL.into()],
        nats: None,
        recommender: lifeos_recommender::RecommenderConfig::default(),
        vault: Arc::new(test_vault()),
        integrations: lifeos_integrations::IntegrationsConfig::new("http://lifeos.test"),
    }
}

/// The vault key every test app seals with (`test:<32 bytes of 0x2a>`).
pub fn test_vault() -> lifeos_integrations::vault::Vault {
    lifeos_integrations::vault::Vault::single("test", &[0x2a; 32]).unwrap()
}

/// The account `LIFEOS_ADMIN_EMAILS` names in every test app.
pub const ADMIN_EMAIL: &str = "admin@lifeos.test";

impl TestApp {
    pub async fn spawn(db: &TestDatabase) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: &TestDatabase, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mail_dir = tempfile::tempdir().unwrap();
        let mut config = config(&db.url, mail_dir.path());
        adjust(&mut config);
        let clock = Arc::new(TestClock::starting_now());
        let server = app::start(&config, clock.clone(), std::future::pending())
            .await
            .expect("app starts");
        TestApp {
            base: format!("http://{}", server.local_addr),
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            clock,
            label: db.label,
            mail_dir,
            server: Some(server),
        }
    }

    pub fn db(&self) -> &Db {
        &self.server.as_ref().expect("running").db
    }

    /// Registers a sync device named `name` for the token's user; its id.
    pub async fn device(&self, token: &str, name: &str) -> String {
        let reply = self
            .post(
                "/api/v1/devices",
                Some(token),
                json!({ "name": name, "platform": "web" }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}: {}",
            self.label,
            reply.body
        );
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Sync's services: its hub and entity registry, for jobs a test runs itself.
    pub fn sync(&self) -> &lifeos_sync::SyncState {
        &self.server.as_ref().expect("running").sync
    }

    /// The recommender's services: its push scheduler, for decision points a test runs itself.
    pub fn recommender(&self) -> &lifeos_recommender::RecommenderState {
        &self.server.as_ref().expect("running").recommender
    }

    /// Integrations' services: calendar sync, feed refresh and imports, for jobs a test
    /// runs itself.
    pub fn integrations(&self) -> &lifeos_integrations::IntegrationsState {
        &self.server.as_ref().expect("running").integrations
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// `/metrics` on the app's metrics listener (never the API's port).
    pub fn metrics_url(&self) -> String {
        let server = self.server.as_ref().expect("running");
        let addr = server.metrics_addr.expect("the metrics listener is on");
        format!("http://{addr}/metrics")
    }

    /// Sends `method path` with an optional JSON body and bearer token.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, Some(body)).await
    }

    /// Sends a JSON request with an `Idempotency-Key`.
    pub async fn idempotent(
        &self,
        method: Method,
        path: &str,
        token: &str,
        key: &str,
        body: Value,
    ) -> Reply {
        let request = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .header("idempotency-key", key)
            .json(&body);
        Reply::from(request.send().await.unwrap()).await
    }

    pub async fn with_key(
        &self,
        method: Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, self.url(path))
            .header("x-api-key", key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.unwrap()).await
    }

    /// Registers `email` and returns the session body.
    pub async fn register(&self, email: &str) -> Value {
        let reply = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{}: register {email}: {}",
            self.label,
            reply.body
        );
        reply.body
    }

    /// Registers and returns the access token.
    pub async fn user(&self, email: &str) -> String {
        token(&self.register(email).await)
    }

    /// Signs in again (e.g. after moving the clock past the access token's life).
    pub async fn login(&self, email: &str) -> String {
        let reply = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": PASSWORD }),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{}: login {email}: {}",
            self.label,
            reply.body
        );
        token(&reply.body)
    }

    /// The token of the newest mail to `to` whose link goes to `/{path}?token=`.
    pub fn mailed_token(&self, to: &str, path: &str) -> Option<String> {
        let mut mails: Vec<(std::time::SystemTime, String)> =
            std::fs::read_dir(self.mail_dir.path())
                .unwrap()
                .filter_map(|entry| {
                    let entry = entry.ok()?;
                    let modified = entry.metadata().ok()?.modified().ok()?;
                    let raw = std::fs::read_to_string(entry.path()).ok()?;
                    Some((modified, decode_quoted_printable(&raw)))
                })
                .filter(|(_, mail)| mail.contains(&format!("To: {to}")))
                .collect();
        mails.sort_by_key(|(modified, _)| *modified);
        let marker = format!("/{path}?token=");
        mails.iter().rev().find_map(|(_, mail)| {
            let start = mail.find(&marker)? + marker.len();
            let token: String = mail[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            Some(token)
        })
    }

    pub fn now(&self) -> Timestamp {
        lifeos_kernel::Clock::now(self.clock.as_ref())
    }
}

/// Enough of RFC 2045 quoted-printable for our ASCII mails.
fn decode_quoted_printable(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=3D", "=")
}

pub fn token(session: &Value) -> String {
    session["accessToken"]
        .as_str()
        .expect("accessToken")
        .to_owned()
}

pub fn refresh_token(session: &Value) -> String {
    session["refreshToken"]
        .as_str()
        .expect("refreshToken")
        .to_owned()
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub async fn from(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts a problem+json answer with `status` and `code`.
    #[track_caller]
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "body: {}",
            self.body
        );
        assert_eq!(self.body["code"], code, "body: {}", self.body);
        assert_eq!(self.body["status"], status.as_u16());
        assert!(
            self.body["requestId"].is_string(),
            "problem carries the request id: {}",
            self.body
        );
        assert!(
            self.body["type"]
                .as_str()
                .unwrap()
                .starts_with("urn:lifeos:problem:")
        );
    }
}

/// The `lifeos` binary as a process, configured as a development server in `dir` on
/// `database_url` (mail under `dir/mail`, metrics on a free port, warnings only). Tests
/// add arguments and any variables they change.
pub fn lifeos(dir: &std::path::Path, database_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lifeos"));
    command
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LIFEOS_ENV", "dev")
        .env("DATABASE_URL", database_url)
        .env("LIFEOS_JWT_SECRET", JWT_SECRET)
        .env(
            "LIFEOS_VAULT_KEYS",
            "test:KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=",
        )
        .env("LIFEOS_MAIL_DIR", dir.join("mail"))
        .env("LIFEOS_METRICS_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null());
    command
}
