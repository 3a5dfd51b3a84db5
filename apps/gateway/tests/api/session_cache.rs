//! The session-liveness cache (ADR 0012): revocations take effect at once in the process
//! that made them, even for a session or key just cached; revocations behind identity's
//! back are seen within the TTL; and a second gateway process on the same database refuses
//! a revoked session or key within the stated window (PostgreSQL: NOTIFY, well under the
//! TTL; SQLite: the TTL).

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration as StdDuration, Instant};

use lifeos_kernel::testing::TestDatabase;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::Connection;
use time::Duration;

use crate::common::{JWT_SECRET, PASSWORD, Reply, TestApp, refresh_token, token};

/// Long enough that no test here sees an entry expire unless it moves the clock.
const LONG: StdDuration = StdDuration::from_secs(3600);

async fn long_ttl_app(db: &TestDatabase) -> TestApp {
    TestApp::spawn_with(db, |config| config.auth_cache_ttl = LONG).await
}

async fn new_key(app: &TestApp, token: &str) -> (String, String) {
    let created = app
        .post(
            "/api/v1/me/api-keys",
            Some(token),
            json!({ "name": "voice", "scopes": ["read"] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    (
        created.body["id"].as_str().unwrap().to_owned(),
        created.body["key"].as_str().unwrap().to_owned(),
    )
}

/// A statement run behind identity's back (no invalidation), on a connection of its own.
async fn sql(database_url: &str, statement: &str) {
    let statement = sqlx::AssertSqlSafe(statement.to_owned());
    if database_url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(database_url).await.unwrap();
        sqlx::query(statement).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(database_url).await.unwrap();
        sqlx::query(statement).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

lifeos_kernel::dialect_test! {
    async fn logout_refuses_a_cached_session_at_once(db: TestDatabase) {
        let app = long_ttl_app(&db).await;
        let session = app.register("ada@example.com").await;
        let access = token(&session);
        assert_eq!(app.get("/api/v1/me", &access).await.status, StatusCode::OK);
        assert_eq!(app.get("/api/v1/me", &access).await.status, StatusCode::OK, "cached");
        let out = app
            .post("/api/v1/auth/logout", None, json!({ "refreshToken": refresh_token(&session) }))
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        app.get("/api/v1/me", &access)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn refresh_reuse_refuses_the_cached_successor_at_once(db: TestDatabase) {
        let app = long_ttl_app(&db).await;
        let first = app.register("ada@example.com").await;
        assert_eq!(app.get("/api/v1/me", &token(&first)).await.status, StatusCode::OK);
        let second = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": refresh_token(&first) }))
            .await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let access = token(&second.body);
        assert_eq!(app.get("/api/v1/me", &access).await.status, StatusCode::OK);
        // Past the retry grace, the first token presented again is reuse.
        app.clock.advance(Duration::seconds(31));
        app.post("/api/v1/auth/refresh", None, json!({ "refreshToken": refresh_token(&first) }))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_reused");
        app.get("/api/v1/me", &access)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn erasure_refuses_cached_sessions_and_keys_at_once(db: TestDatabase) {
        let app = long_ttl_app(&db).await;
        let ada = app.user("ada@example.com").await;
        let other_session = app.login("ada@example.com").await;
        let (_, key) = new_key(&app, &ada).await;
        let bob = app.user("bob@example.com").await;
        let (_, bob_key) = new_key(&app, &bob).await;
        for reply in [
            app.get("/api/v1/me", &ada).await,
            app.get("/api/v1/me", &other_session).await,
            app.with_key(Method::GET, "/api/v1/me", &key, None).await,
            app.get("/api/v1/me", &bob).await,
            app.with_key(Method::GET, "/api/v1/me", &bob_key, None).await,
        ] {
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        }
        let erased = app.call(Method::DELETE, "/api/v1/me", Some(&ada), None).await;
        assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.body);
        for access in [&ada, &other_session] {
            app.get("/api/v1/me", access)
                .await
                .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        }
        app.with_key(Method::GET, "/api/v1/me", &key, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
        assert_eq!(app.get("/api/v1/me", &bob).await.status, StatusCode::OK, "others live on");
        assert_eq!(
            app.with_key(Method::GET, "/api/v1/me", &bob_key, None).await.status,
            StatusCode::OK
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn key_deletion_refuses_a_cached_key_at_once(db: TestDatabase) {
        let app = long_ttl_app(&db).await;
        let ada = app.user("ada@example.com").await;
        let (id, key) = new_key(&app, &ada).await;
        let (_, kept) = new_key(&app, &ada).await;
        for _ in 0..2 {
            let me = app.with_key(Method::GET, "/api/v1/me", &key, None).await;
            assert_eq!(me.status, StatusCode::OK, "{}", me.body);
        }
        assert_eq!(app.with_key(Method::GET, "/api/v1/me", &kept, None).await.status, StatusCode::OK);
        // A cached lookup with a wrong secret is still refused.
        let mut forged = key.clone();
        forged.replace_range(forged.len() - 4.., "AAAA");
        app.with_key(Method::GET, "/api/v1/me", &forged, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");

        let deleted = app
            .call(Method::DELETE, &format!("/api/v1/me/api-keys/{id}"), Some(&ada), None)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        app.with_key(Method::GET, "/api/v1/me", &key, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
        assert_eq!(
            app.with_key(Method::GET, "/api/v1/me", &kept, None).await.status,
            StatusCode::OK,
            "the other key lives on"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_revocation_behind_identitys_back_is_seen_within_the_ttl(db: TestDatabase) {
        // The staleness window, stated in ADR 0012: what another process (or a hand on the
        // database) revokes without a notice is refused once the TTL has passed.
        let app = TestApp::spawn_with(&db, |c| c.auth_cache_ttl = StdDuration::from_secs(5)).await;
        let ada = app.user("ada@example.com").await;
        let (_, key) = new_key(&app, &ada).await;
        assert_eq!(app.get("/api/v1/me", &ada).await.status, StatusCode::OK);
        assert_eq!(app.with_key(Method::GET, "/api/v1/me", &key, None).await.status, StatusCode::OK);
        sql(&db.url, "UPDATE auth_sessions SET revoked_at = created_at").await;
        sql(&db.url, "DELETE FROM api_keys").await;
        assert_eq!(app.get("/api/v1/me", &ada).await.status, StatusCode::OK, "cached");
        assert_eq!(app.with_key(Method::GET, "/api/v1/me", &key, None).await.status, StatusCode::OK);
        app.clock.advance(Duration::milliseconds(4_900));
        assert_eq!(app.get("/api/v1/me", &ada).await.status, StatusCode::OK, "still cached");
        app.clock.advance(Duration::milliseconds(100));
        app.get("/api/v1/me", &ada)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.with_key(Method::GET, "/api/v1/me", &key, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_zero_ttl_asks_the_database_every_time(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |c| c.auth_cache_ttl = StdDuration::ZERO).await;
        let ada = app.user("ada@example.com").await;
        let (_, key) = new_key(&app, &ada).await;
        assert_eq!(app.get("/api/v1/me", &ada).await.status, StatusCode::OK);
        assert_eq!(app.with_key(Method::GET, "/api/v1/me", &key, None).await.status, StatusCode::OK);
        sql(&db.url, "UPDATE auth_sessions SET revoked_at = created_at").await;
        sql(&db.url, "DELETE FROM api_keys").await;
        app.get("/api/v1/me", &ada)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.with_key(Method::GET, "/api/v1/me", &key, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
        app.stop().await;
    }
}

/// A `lifeos serve` child process, killed when dropped (its log is printed if the test
/// failed).
struct Gateway {
    child: Child,
    base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Gateway {
    async fn start(database_url: &str, ttl: StdDuration) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("lifeos.log");
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
            .env("LIFEOS_AUTH_CACHE_TTL_MS", ttl.as_millis().to_string())
            .env("LIFEOS_DB_MAX_CONNECTIONS", "4")
            .env("LIFEOS_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .env_remove("LIFEOS_SMTP_URL")
            .env_remove("LIFEOS_PUBLIC_URL")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr.log")).unwrap())
            .spawn()
            .expect("lifeos starts");
        let mut gateway = Gateway {
            child,
            base: format!("http://{addr}"),
            log,
            _dir: dir,
        };
        gateway.wait_until_ready().await;
        gateway
    }

    async fn wait_until_ready(&mut self) {
        let http = client();
        let deadline = Instant::now() + StdDuration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("lifeos exited with {status} before it was ready");
            }
            if let Ok(reply) = http.get(format!("{}/health", self.base)).send().await
                && reply.status() == StatusCode::OK
            {
                return;
            }
            assert!(Instant::now() < deadline, "lifeos did not become ready");
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        api_key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut request = client().request(method, format!("{}{path}", self.base));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(key) = api_key {
            request = request.header("x-api-key", key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request sent")).await
    }

    async fn me(&self, bearer: &str) -> StatusCode {
        self.send(Method::GET, "/api/v1/me", Some(bearer), None, None)
            .await
            .status
    }

    async fn me_by_key(&self, key: &str) -> StatusCode {
        self.send(Method::GET, "/api/v1/me", None, Some(key), None)
            .await
            .status
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let dir = self.log.parent().unwrap();
            for name in ["lifeos.log", "stderr.log"] {
                let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
                eprintln!("--- {} {name}:\n{text}", self.base);
            }
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// A port nothing listens on right now (the child binds it a moment later).
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

/// How long until `refused` holds, polling every 20 ms up to `limit` (None: it never did).
async fn time_until<F, Fut>(limit: StdDuration, mut refused: F) -> Option<StdDuration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if refused().await {
            return Some(start.elapsed());
        }
        if start.elapsed() > limit {
            return None;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_second_process_refuses_within_the_window(db: TestDatabase) {
        // PostgreSQL: a TTL far longer than the bound proves the notice did it.
        // SQLite: no notices; the TTL alone bounds it.
        let (ttl, bound) = match db.label {
            "postgres" => (StdDuration::from_secs(60), StdDuration::from_secs(2)),
            _ => (StdDuration::from_secs(1), StdDuration::from_secs(2)),
        };
        let a = Gateway::start(&db.url, ttl).await;
        let b = Gateway::start(&db.url, ttl).await;

        // A session made on A, used (and so cached) on B, ended on A.
        let registered = a
            .send(
                Method::POST,
                "/api/v1/auth/register",
                None,
                None,
                Some(json!({ "email": "ada@example.com", "password": PASSWORD })),
            )
            .await;
        assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.body);
        let access = token(&registered.body);
        assert_eq!(b.me(&access).await, StatusCode::OK);
        assert_eq!(b.me(&access).await, StatusCode::OK);
        let login = a
            .send(
                Method::POST,
                "/api/v1/auth/login",
                None,
                None,
                Some(json!({ "email": "ada@example.com", "password": PASSWORD })),
            )
            .await;
        let second = token(&login.body);

        let out = a
            .send(
                Method::POST,
                "/api/v1/auth/logout",
                None,
                None,
                Some(json!({ "refreshToken": refresh_token(&registered.body) })),
            )
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(a.me(&access).await, StatusCode::UNAUTHORIZED, "A refuses at once");
        let (on_b, session) = (&b, &access);
        let took = time_until(bound, || async move {
            on_b.me(session).await == StatusCode::UNAUTHORIZED
        })
        .await;
        eprintln!("{}: B refused the logged-out session after {took:?}", db.label);
        assert!(took.is_some(), "{}: B still accepts the session after {bound:?}", db.label);

        // An API key made on A, used on B, deleted on A.
        let created = a
            .send(
                Method::POST,
                "/api/v1/me/api-keys",
                Some(&second),
                None,
                Some(json!({ "name": "voice", "scopes": ["read"] })),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let key = created.body["key"].as_str().unwrap().to_owned();
        let id = created.body["id"].as_str().unwrap().to_owned();
        assert_eq!(b.me_by_key(&key).await, StatusCode::OK);
        assert_eq!(b.me_by_key(&key).await, StatusCode::OK);
        let deleted = a
            .send(Method::DELETE, &format!("/api/v1/me/api-keys/{id}"), Some(&second), None, None)
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        let deleted_key = &key;
        let took = time_until(bound, || async move {
            on_b.me_by_key(deleted_key).await == StatusCode::UNAUTHORIZED
        })
        .await;
        eprintln!("{}: B refused the deleted key after {took:?}", db.label);
        assert!(took.is_some(), "{}: B still accepts the key after {bound:?}", db.label);

        // B really answers from its cache: a revocation written behind identity's back (no
        // notice) is not seen on PostgreSQL's long TTL.
        if db.label == "postgres" {
            assert_eq!(b.me(&second).await, StatusCode::OK);
            sql(&db.url, "UPDATE auth_sessions SET revoked_at = created_at").await;
            assert_eq!(a.me(&second).await, StatusCode::OK, "cached on A too");
            assert_eq!(b.me(&second).await, StatusCode::OK, "cached on B");
        }
        drop(b);
        drop(a);
    }
}
