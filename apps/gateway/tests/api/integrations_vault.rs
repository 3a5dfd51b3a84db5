//! The token vault end to end: a tampered or moved ciphertext does not open (and says so
//! without the token), `lifeos vault rotate` moves every sealed value to the active key and
//! keeps it readable, withdrawing the consent or erasing the account revokes at the
//! provider first, and a canary: the provider's tokens appear nowhere but sealed (not in
//! any table, the export, an error body, or the server's debug log).

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration as StdDuration, Instant};

use axum::Router;
use axum::http::StatusCode as AxumStatus;
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lifeos_integrations::oauth::Provider;
use lifeos_integrations::vault::{Binding, Vault};
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, Timestamp, with_db, with_writer};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{JWT_SECRET, PASSWORD, Reply, TestApp, token};
use crate::integrations_fakes::{FakeProvider, connect, dump, grant, outcome};

/// `LIFEOS_VAULT_KEYS` naming the test apps' key (`test`, 32 bytes of 0x2a).
fn test_spec() -> String {
    format!("test:{}", STANDARD.encode([0x2a_u8; 32]))
}

/// A new key `b`, alone.
fn b_spec() -> String {
    format!("b:{}", STANDARD.encode([0x5b_u8; 32]))
}

/// After a rotation is decided: `b` seals, `test` still opens.
fn rotated_spec() -> String {
    format!("{},{}", b_spec(), test_spec())
}

/// The sealed columns, by table (what `lifeos vault rotate` walks).
const SEALED: &[(&str, &[&str])] = &[
    (
        "int_connections",
        &["access_token", "refresh_token", "sync_token"],
    ),
    ("int_oauth_states", &["verifier"]),
    ("int_ics_feeds", &["url"]),
];

async fn user_id(app: &TestApp, token: &str) -> Uuid {
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.body["id"].as_str().unwrap().parse().unwrap()
}

/// A user with the integrations consent and a Todoist connection: their token and id.
async fn connected(app: &TestApp, email: &str) -> (String, Uuid) {
    let token = app.user(email).await;
    grant(app, &token, "integrations", true).await;
    let callback = connect(app, &token, "todoist").await;
    assert_eq!(outcome(&callback), "connected", "{}", app.label);
    let id = user_id(app, &token).await;
    (token, id)
}

/// The row id and sealed `column` of the user's Todoist connection.
async fn sealed_of(db: &Db, user: Uuid, column: &str) -> (Uuid, Option<String>) {
    let sql = format!(
        "SELECT id, {column} FROM int_connections WHERE user_id = $1 AND provider = 'todoist'"
    );
    with_db!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user).fetch_one(pool).await.unwrap()
    })
}

async fn set_column(db: &Db, table: &str, column: &str, row: Uuid, value: Option<&str>) {
    let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2");
    with_writer!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).bind(row).execute(pool).await.unwrap();
    });
}

async fn count(db: &Db, sql: &str, user: Uuid) -> i64 {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    with_db!(db, pool => {
        sqlx::query_scalar(sql).bind(user).fetch_one(pool).await.unwrap()
    })
}

async fn connections_of(db: &Db, user: Uuid) -> i64 {
    count(
        db,
        "SELECT COUNT(*) FROM int_connections WHERE user_id = $1",
        user,
    )
    .await
}

/// Every sealed value in the database: (table, row id, user id, owner, column, value).
async fn sealed_values(db: &Db) -> Vec<(String, Uuid, Uuid, String, String, String)> {
    let mut all = Vec::new();
    for (table, columns) in SEALED {
        let owner = if *table == "int_connections" {
            "provider".to_owned()
        } else if *table == "int_oauth_states" {
            "'oauth_state'".to_owned()
        } else {
            "'ics'".to_owned()
        };
        for column in *columns {
            let sql = format!(
                "SELECT id, user_id, {owner}, {column} FROM {table} WHERE {column} IS NOT NULL"
            );
            let rows: Vec<(Uuid, Uuid, String, String)> = with_db!(db, pool => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap()
            });
            for (id, user, owner, value) in rows {
                all.push((
                    (*table).to_owned(),
                    id,
                    user,
                    owner,
                    (*column).to_owned(),
                    value,
                ));
            }
        }
    }
    all
}

/// A sealed value with one ciphertext byte flipped (still well-formed).
fn flip_a_byte(sealed: &str) -> String {
    let (head, body) = sealed.rsplit_once(':').unwrap();
    let mut bytes = STANDARD.decode(body).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    format!("{head}:{}", STANDARD.encode(bytes))
}

/// An ICS feed row sealed as the ICS service seals it (`owner: "ics"`, `column: "url"`),
/// without fetching anything: the tests here need a sealed address, not a calendar.
async fn insert_feed(db: &Db, vault: &Vault, user: Uuid, url: &str, at: Timestamp) -> Uuid {
    const SQL: &str = "INSERT INTO int_ics_feeds (id, user_id, url, url_host, url_hash, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
    let id = lifeos_kernel::id::new_id();
    let sealed = vault
        .seal(
            url,
            Binding {
                user_id: user,
                owner: "ics",
                row_id: id,
                column: "url",
            },
        )
        .unwrap();
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(id).bind(user).bind(sealed).bind("calendar.example.com")
            .bind(format!("hash-{id}")).bind(at).execute(pool).await.unwrap();
    });
    id
}

/// Polls `done` every 50 ms for up to 10 s (outbox subscribers run in the background).
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + StdDuration::from_secs(10);
    while !done().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
}

/// Every secret the fake provider handed out or was sent: tokens, codes, verifiers.
fn canaries(fake: &FakeProvider) -> Vec<String> {
    let state = fake.state();
    let mut all: Vec<String> = state
        .live
        .iter()
        .chain(state.refresh_tokens.iter())
        .chain(state.revoked.iter())
        .cloned()
        .collect();
    for form in &state.token_requests {
        for key in ["code", "code_verifier", "refresh_token"] {
            if let Some(value) = form.get(key) {
                all.push(value.clone());
            }
        }
    }
    all.retain(|s| !s.is_empty());
    all.sort();
    all.dedup();
    all
}

#[track_caller]
fn assert_no_canary(place: &str, text: &str, canaries: &[String]) {
    for canary in canaries {
        assert!(
            !text.contains(canary.as_str()),
            "a provider secret appears in {place}"
        );
    }
}

lifeos_kernel::dialect_test! {
    async fn a_tampered_token_does_not_open_and_says_so_without_the_token(db: TestDatabase) {
        let fake = FakeProvider::start().await;
        let app = TestApp::spawn_with(&db, |c| fake.configure(c, "todoist")).await;
        let (token, ada) = connected(&app, "ada@example.com").await;
        let before = app
            .integrations()
            .connections
            .access_token(ada, Provider::Todoist)
            .await
            .unwrap();
        assert!(fake.state().live.contains(before.expose()), "{}", db.label);
        app.stop().await;

        // One bit of the stored ciphertext flipped, then a fresh process (nothing cached).
        let app = TestApp::spawn_with(&db, |c| fake.configure(c, "todoist")).await;
        let (row, sealed) = sealed_of(app.db(), ada, "access_token").await;
        let sealed = sealed.unwrap();
        set_column(app.db(), "int_connections", "access_token", row, Some(&flip_a_byte(&sealed))).await;
        let error = app
            .integrations()
            .connections
            .access_token(ada, Provider::Todoist)
            .await
            .expect_err("a tampered token does not open");
        let canaries = canaries(&fake);
        assert_no_canary("the error", &format!("{error} {error:?}"), &canaries);
        assert!(!format!("{error:?}").contains(&sealed), "nor the ciphertext");

        // The API still answers, in its formats, without the token.
        let listed = app.get("/api/v1/integrations", &token).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_no_canary("the listing", &listed.body.to_string(), &canaries);
        // A recommendation reads Todoist's tasks with that token: it answers (without the
        // tasks) or refuses in problem+json, never with the token.
        grant(&app, &token, "recommendations", true).await;
        let recommended = app.post("/api/v1/recommend", Some(&token), json!({})).await;
        assert!(
            recommended.status == StatusCode::OK
                || recommended.content_type() == "application/problem+json",
            "{}: {} {}",
            db.label,
            recommended.status,
            recommended.body
        );
        assert_no_canary("a recommendation", &recommended.body.to_string(), &canaries);
        let removed = app
            .call(Method::DELETE, "/api/v1/integrations/todoist", Some(&token), None)
            .await;
        assert!(
            removed.status == StatusCode::NO_CONTENT
                || removed.content_type() == "application/problem+json",
            "{}: {} {}",
            db.label,
            removed.status,
            removed.body
        );
        assert!(removed.status != StatusCode::INTERNAL_SERVER_ERROR || removed.body["code"].is_string());
        assert_no_canary("the disconnect answer", &removed.body.to_string(), &canaries);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_ciphertext_moved_to_another_user_does_not_open(db: TestDatabase) {
        let fake = FakeProvider::start().await;
        let app = TestApp::spawn_with(&db, |c| fake.configure(c, "todoist")).await;
        let (_, ada) = connected(&app, "ada@example.com").await;
        let (bob_token, bob) = connected(&app, "bob@example.com").await;
        let ada_token = app
            .integrations()
            .connections
            .access_token(ada, Provider::Todoist)
            .await
            .unwrap();
        app.stop().await;

        // Ada's sealed tokens copied over Bob's.
        let app = TestApp::spawn_with(&db, |c| fake.configure(c, "todoist")).await;
        let (_, ada_access) = sealed_of(app.db(), ada, "access_token").await;
        let (_, ada_refresh) = sealed_of(app.db(), ada, "refresh_token").await;
        let (bob_row, _) = sealed_of(app.db(), bob, "access_token").await;
        set_column(app.db(), "int_connections", "access_token", bob_row, ada_access.as_deref()).await;
        set_column(app.db(), "int_connections", "refresh_token", bob_row, ada_refresh.as_deref()).await;

        let connections = &app.integrations().connections;
        let moved = connections.access_token(bob, Provider::Todoist).await;
        assert!(moved.is_err(), "{}: a moved ciphertext opened", db.label);
        let error = moved.unwrap_err();
        assert_no_canary("the error", &format!("{error} {error:?}"), &canaries(&fake));
        // Ada's own still opens, and Bob sees nothing of hers.
        let ada_again = connections.access_token(ada, Provider::Todoist).await.unwrap();
        assert_eq!(ada_again.expose(), ada_token.expose());
        let listed = app.get("/api/v1/integrations", &bob_token).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        assert_no_canary("bob's listing", &listed.body.to_string(), &canaries(&fake));
        app.stop().await;
    }
}

/// `lifeos vault rotate` against `database_url` with `keys`: its stderr.
fn run_rotate(database_url: &str, keys: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lifeos"))
        .args(["vault", "rotate"])
        .current_dir(dir.path())
        .env("LIFEOS_ENV", "dev")
        .env("DATABASE_URL", database_url)
        .env("LIFEOS_VAULT_KEYS", keys)
        .env("LIFEOS_JWT_SECRET", JWT_SECRET)
        .env("LIFEOS_MAIL_DIR", dir.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("lifeos runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "lifeos vault rotate failed: {stderr}"
    );
    stderr
}

lifeos_kernel::dialect_test! {
    async fn rotation_re_seals_everything_under_the_new_key_and_keeps_it_readable(db: TestDatabase) {
        let fake = FakeProvider::start().await;
        let app = TestApp::spawn_with(&db, |c| fake.configure(c, "todoist")).await;
        let (_, ada) = connected(&app, "ada@example.com").await;
        let (_, bob) = connected(&app, "bob@example.com").await;
        // Carol starts connecting and leaves: an OAuth state with its sealed verifier.
        let carol = app.user("carol@example.com").await;
        grant(&app, &carol, "integrations", true).await;
        let started = app
            .post("/api/v1/integrations/todoist/connect", Some(&carol), json!({}))
            .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        let feed_url = "https://calendar.example.com/private-4f1c/basic.ics";
        let feed = insert_feed(app.db(), &crate::common::test_vault(), ada, feed_url, app.now()).await;
        let mut before = HashMap::new();
        for user in [ada, bob] {
            let token = app.integrations().connections.access_token(user, Provider::Todoist).await.unwrap();
            before.insert(user, token.expose().to_owned());
        }
        let values = sealed_values(app.db()).await;
        assert!(values.iter().all(|v| v.5.starts_with("v1:test:")), "{}", db.label);
        assert!(values.iter().any(|v| v.0 == "int_oauth_states"), "carol's state is sealed");
        let total = values.len();
        let rows: std::collections::HashSet<(String, Uuid)> =
            values.iter().map(|v| (v.0.clone(), v.1)).collect();

        // An earlier run was interrupted after Ada's connection: her row is already new.
        let rotated = Vault::parse(&rotated_spec()).unwrap();
        let ada_values: Vec<_> = values
            .iter()
            .filter(|v| v.0 == "int_connections" && v.2 == ada)
            .collect();
        for (table, row, user, owner, column, value) in &ada_values {
            let binding = Binding { user_id: *user, owner, row_id: *row, column };
            let resealed = rotated.reseal(value, binding).unwrap();
            set_column(app.db(), table, column, *row, Some(&resealed)).await;
        }
        app.stop().await;

        let printed = run_rotate(&db.url, &rotated_spec());
        let expected = format!(
            "re-sealed {} values in {} rows; {} already current",
            total - ada_values.len(),
            rows.len() - 1,
            ada_values.len()
        );
        assert!(printed.contains(&expected), "{}: expected '{expected}' in: {printed}", db.label);

        // The new key opens everything; the old one is no longer needed.
        let app = TestApp::spawn_with(&db, |c| {
            fake.configure(c, "todoist");
            c.vault = Arc::new(Vault::parse(&rotated_spec()).unwrap());
        })
        .await;
        let after = sealed_values(app.db()).await;
        assert_eq!(after.len(), total);
        let only_b = Vault::parse(&b_spec()).unwrap();
        for (table, row, user, owner, column, value) in &after {
            assert!(value.starts_with("v1:b:"), "{}: {table}.{column} not re-sealed", db.label);
            let binding = Binding { user_id: *user, owner, row_id: *row, column };
            assert!(only_b.open(value, binding).is_ok(), "{table}.{column} opens with b alone");
        }
        let (_, _, _, _, _, sealed_url) = after
            .iter()
            .find(|v| v.0 == "int_ics_feeds" && v.1 == feed)
            .unwrap();
        let binding = Binding { user_id: ada, owner: "ics", row_id: feed, column: "url" };
        assert_eq!(only_b.open(sealed_url, binding).unwrap().expose(), feed_url);
        for user in [ada, bob] {
            let token = app.integrations().connections.access_token(user, Provider::Todoist).await.unwrap();
            assert_eq!(token.expose(), before[&user], "{}: the same token after rotation", db.label);
            assert!(fake.state().live.contains(token.expose()), "and the provider still takes it");
        }

        // A second run has nothing left to do.
        let again = lifeos_integrations::rotate::rotate(app.db(), &rotated).await.unwrap();
        assert_eq!(again.resealed, 0, "{}: {again:?}", db.label);
        assert_eq!(again.rows, 0);
        assert_eq!(usize::try_from(again.current).unwrap(), total);
        assert!(again.unreadable.is_empty());
        app.stop().await;

        // A value under a key no longer listed is reported, not lost, and the run fails.
        let dropped = run_rotate_failing(&db.url, &test_spec());
        assert!(dropped.contains("could not be opened"), "{dropped}");
        assert_no_canary("rotate's output", &dropped, &canaries(&fake));
    }
}

/// `lifeos vault rotate` that is expected to fail: its stderr.
fn run_rotate_failing(database_url: &str, keys: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lifeos"))
        .args(["vault", "rotate"])
        .current_dir(dir.path())
        .env("LIFEOS_ENV", "dev")
        .env("DATABASE_URL", database_url)
        .env("LIFEOS_VAULT_KEYS", keys)
        .env("LIFEOS_JWT_SECRET", JWT_SECRET)
        .env("LIFEOS_MAIL_DIR", dir.path())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("lifeos runs");
    assert!(!output.status.success());
    String::from_utf8_lossy(&output.stderr).into_owned()
}

lifeos_kernel::dialect_test! {
    async fn no_provider_secret_appears_in_the_database_the_export_or_an_error(db: TestDatabase) {
        let fake = FakeProvider::start().await;
        let app = TestApp::spawn_with(&db, |c| fake.configure(c, "todoist")).await;
        let (_, ada) = connected(&app, "ada@example.com").await;
        let mut bodies: Vec<Reply> = Vec::new();

        // Past expiry: the next use refreshes.
        app.clock.advance(time::Duration::hours(2));
        let refreshed = app
            .integrations()
            .connections
            .access_token(ada, Provider::Todoist)
            .await
            .unwrap();
        assert_eq!(fake.state().refreshes, 1, "{}", db.label);
        assert!(fake.state().live.contains(refreshed.expose()));

        // A refresh the provider refuses: the error, the listing's lastError.
        fake.state().refuse_refresh = true;
        app.clock.advance(time::Duration::hours(2));
        let refused = app
            .integrations()
            .connections
            .access_token(ada, Provider::Todoist)
            .await
            .expect_err("a refused refresh");
        let canaries = canaries(&fake);
        assert!(canaries.len() >= 4, "tokens, code and verifier: {}", canaries.len());
        assert_no_canary("the refresh error", &format!("{refused} {refused:?}"), &canaries);

        // The clock moved past the session's access token.
        let token = app.login("ada@example.com").await;
        let listed = app.get("/api/v1/integrations", &token).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        bodies.push(listed);
        // Refusals the API answers.
        bodies.push(app.post("/api/v1/integrations/nope/connect", Some(&token), json!({})).await);
        bodies.push(app.call(Method::DELETE, "/api/v1/integrations/google", Some(&token), None).await);
        let stranger = app.user("eve@example.com").await;
        bodies.push(app.post("/api/v1/integrations/todoist/connect", Some(&stranger), json!({})).await);
        let state_back = client()
            .get(app.url("/api/v1/integrations/todoist/callback?code=x&state=forged"))
            .send()
            .await
            .unwrap();
        let location = state_back
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert_no_canary("a callback redirect", &location, &canaries);
        bodies.push(Reply::from(state_back).await);
        for reply in &bodies {
            assert!(reply.status.is_success() || reply.content_type() == "application/problem+json"
                || reply.status.is_redirection(), "{} {}", reply.status, reply.body);
            assert_no_canary("an answer", &reply.body.to_string(), &canaries);
        }

        // The account export names the connection, never its tokens.
        let export = app
            .http
            .get(app.url("/api/v1/me/export"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(export.status(), StatusCode::OK);
        let export = export.text().await.unwrap();
        assert!(export.contains("int_connections"), "the export has the connection");
        assert_no_canary("the export", &export, &canaries);
        assert!(!export.contains("v1:test:"), "nor a sealed value");

        // Every column of every table, as text.
        let everything = dump(app.db()).await;
        assert!(everything.contains("v1:test:"), "the dump reads the sealed columns");
        assert_no_canary("the database", &everything, &canaries);
        app.stop().await;
    }
}

/// A `lifeos serve` child process with debug logs on stderr, killed when dropped.
struct Gateway {
    child: Child,
    base: String,
    stderr: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Gateway {
    fn start(database_url: &str, fake: &FakeProvider) -> Gateway {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr.log");
        let mail = dir.path().join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        let addr = free_port();
        let base = format!("http://{addr}");
        let child = Command::new(env!("CARGO_BIN_EXE_lifeos"))
            .arg("serve")
            .env("LIFEOS_METRICS_BIND", "127.0.0.1:0")
            .current_dir(dir.path())
            .env("LIFEOS_ENV", "dev")
            .env("LIFEOS_VAULT_KEYS", test_spec())
            .env("DATABASE_URL", database_url)
            .env("LIFEOS_BIND", addr.to_string())
            .env("LIFEOS_PUBLIC_URL", &base)
            .env("LIFEOS_JWT_SECRET", JWT_SECRET)
            .env("LIFEOS_MAIL_DIR", &mail)
            .env("LIFEOS_DB_MAX_CONNECTIONS", "4")
            .env("LIFEOS_LOG_FORMAT", "json")
            .env("RUST_LOG", "debug")
            .env("LIFEOS_TODOIST_CLIENT_ID", "client-todoist")
            .env("LIFEOS_TODOIST_CLIENT_SECRET", "secret-todoist")
            .env("LIFEOS_TODOIST_AUTH_URL", format!("{}/authorize", fake.url))
            .env("LIFEOS_TODOIST_TOKEN_URL", format!("{}/token", fake.url))
            .env("LIFEOS_TODOIST_API_URL", &fake.url)
            .env("LIFEOS_TODOIST_REVOKE_URL", format!("{}/revoke", fake.url))
            .env_remove("LIFEOS_SMTP_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("lifeos starts");
        Gateway {
            child,
            base,
            stderr,
            _dir: dir,
        }
    }

    async fn wait_until_ready(&mut self) {
        let http = client();
        let deadline = Instant::now() + StdDuration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "lifeos exited with {status} before it was ready: {}",
                    self.log()
                );
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
        body: Option<Value>,
    ) -> Reply {
        let mut request = client().request(method, format!("{}{path}", self.base));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Reply::from(request.send().await.expect("request sent")).await
    }

    /// The browser's part of connecting Todoist, against this process.
    async fn connect(&self, bearer: &str) {
        let started = self
            .send(
                Method::POST,
                "/api/v1/integrations/todoist/connect",
                Some(bearer),
                Some(json!({})),
            )
            .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        let authorize = started.body["authorizeUrl"].as_str().unwrap();
        let browser = client();
        let at_provider = browser.get(authorize).send().await.unwrap();
        assert_eq!(at_provider.status(), StatusCode::FOUND);
        let back = at_provider.headers()["location"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(back.starts_with(&self.base), "{back}");
        let landed = browser.get(back).send().await.unwrap();
        let location = landed.headers()["location"].to_str().unwrap();
        assert!(location.contains("outcome=connected"), "{location}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A port nothing listens on right now (the child binds it a moment later).
fn free_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

lifeos_kernel::dialect_test! {
    async fn the_servers_debug_log_never_holds_a_provider_secret(db: TestDatabase) {
        let fake = FakeProvider::start().await;
        // Short-lived tokens: every use refreshes first.
        fake.state().expires_in = 30;
        let mut gateway = Gateway::start(&db.url, &fake);
        gateway.wait_until_ready().await;

        let registered = gateway
            .send(Method::POST, "/api/v1/auth/register", None,
                Some(json!({ "email": "ada@example.com", "password": PASSWORD })))
            .await;
        assert_eq!(registered.status, StatusCode::CREATED, "{}", registered.body);
        let bearer = token(&registered.body);
        let consent = gateway
            .send(Method::PUT, "/api/v1/me/consents/integrations", Some(&bearer),
                Some(json!({ "granted": true })))
            .await;
        assert_eq!(consent.status, StatusCode::OK, "{}", consent.body);

        // Connect, list, disconnect (revocation), connect again, then erase the account
        // (revocation before erasure).
        gateway.connect(&bearer).await;
        let listed = gateway.send(Method::GET, "/api/v1/integrations", Some(&bearer), None).await;
        assert_eq!(listed.status, StatusCode::OK);
        let removed = gateway
            .send(Method::DELETE, "/api/v1/integrations/todoist", Some(&bearer), None)
            .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.body);
        gateway.connect(&bearer).await;
        let erased = gateway.send(Method::DELETE, "/api/v1/me", Some(&bearer), None).await;
        assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.body);
        assert!(!fake.state().revoked.is_empty(), "{}: the fake saw revocations", db.label);

        tokio::time::sleep(StdDuration::from_millis(200)).await;
        let log = gateway.log();
        drop(gateway);
        assert!(log.contains("DEBUG") || log.contains("\"level\":\"DEBUG\""), "debug logging is on");
        assert!(log.contains("integrations") || log.contains("/api/v1/integrations"), "the log saw the requests");
        let canaries = canaries(&fake);
        assert!(canaries.len() >= 6, "two connections' tokens, codes, verifiers: {}", canaries.len());
        assert_no_canary("the server's log", &log, &canaries);
        assert!(!log.contains("secret-todoist"), "nor the client secret");
    }
}

lifeos_kernel::dialect_test! {
    async fn withdrawing_the_consent_revokes_every_connection_and_removes_every_feed(db: TestDatabase) {
        let fake = FakeProvider::start().await;
        let app = TestApp::spawn_with(&db, |c| fake.configure(c, "todoist")).await;
        let (token, ada) = connected(&app, "ada@example.com").await;
        let (_, bob) = connected(&app, "bob@example.com").await;
        let vault = crate::common::test_vault();
        insert_feed(app.db(), &vault, ada, "https://calendar.example.com/a.ics", app.now()).await;
        insert_feed(app.db(), &vault, bob, "https://calendar.example.com/b.ics", app.now()).await;
        let ada_tokens: Vec<String> = {
            let state = fake.state();
            state.live.iter().chain(state.refresh_tokens.iter()).cloned().collect()
        };
        let bob_token = app.integrations().connections.access_token(bob, Provider::Todoist).await.unwrap();

        grant(&app, &token, "integrations", false).await;
        let db_handle = app.db().clone();
        eventually("ada's connection is deleted", || {
            let db_handle = db_handle.clone();
            async move { connections_of(&db_handle, ada).await == 0 }
        })
        .await;
        eventually("ada's feeds are removed", || {
            let db_handle = db_handle.clone();
            async move {
                count(&db_handle, "SELECT COUNT(*) FROM int_ics_feeds WHERE user_id = $1", ada).await == 0
            }
        })
        .await;
        {
            let state = fake.state();
            assert!(!state.revoked.is_empty(), "{}: revoked at the provider", db.label);
            assert!(state.revoked.iter().all(|t| ada_tokens.contains(t) && t != bob_token.expose()),
                "only ada's tokens are revoked");
        }
        let listed = app.get("/api/v1/integrations", &token).await;
        let todoist = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["provider"] == "todoist")
            .unwrap()
            .clone();
        assert_eq!(todoist["status"], "not_connected", "{}", listed.body);

        // Bob keeps his connection and his feed.
        assert_eq!(connections_of(app.db(), bob).await, 1);
        assert_eq!(count(app.db(), "SELECT COUNT(*) FROM int_ics_feeds WHERE user_id = $1", bob).await, 1);
        let still = app.integrations().connections.access_token(bob, Provider::Todoist).await.unwrap();
        assert_eq!(still.expose(), bob_token.expose());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn erasing_the_account_revokes_at_the_provider_before_the_rows_go(db: TestDatabase) {
        // A revocation endpoint that notes whether the user (not yet erased) still existed.
        let watched: Arc<OnceLock<(Db, Uuid)>> = Arc::default();
        let seen: Arc<Mutex<Vec<i64>>> = Arc::default();
        let (watch, note) = (watched.clone(), seen.clone());
        let fake = FakeProvider::start_with(move |shared| {
            Router::new().route(
                "/revoke-checked",
                post(move |body: String| {
                    let (shared, watch, note) = (shared.clone(), watch.clone(), note.clone());
                    async move {
                        if let Some((db, user)) = watch.get() {
                            let rows =
                                count(db, "SELECT COUNT(*) FROM users WHERE id = $1", *user).await;
                            note.lock().unwrap().push(rows);
                        }
                        let token = revoked_token(&body);
                        let mut state = shared.lock().unwrap();
                        state.live.remove(&token);
                        state.refresh_tokens.remove(&token);
                        state.revoked.push(token);
                        AxumStatus::OK
                    }
                }),
            )
        })
        .await;
        let app = TestApp::spawn_with(&db, |c| {
            fake.configure(c, "todoist");
            c.integrations.todoist.revoke_url = Some(format!("{}/revoke-checked", fake.url));
        })
        .await;
        let (token, ada) = connected(&app, "ada@example.com").await;
        let (_, bob) = connected(&app, "bob@example.com").await;
        let ada_tokens: Vec<String> = {
            let state = fake.state();
            state.live.iter().chain(state.refresh_tokens.iter()).cloned().collect()
        };
        let _ = watched.set((app.db().clone(), ada));

        let erased = app.call(Method::DELETE, "/api/v1/me", Some(&token), None).await;
        assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.body);
        let noted = seen.lock().unwrap().clone();
        assert!(!noted.is_empty(), "{}: erasure revoked at the provider", db.label);
        assert!(noted.iter().all(|rows| *rows == 1), "{}: the account still existed each time: {noted:?}", db.label);
        assert!(fake.state().revoked.iter().any(|t| ada_tokens.contains(t)));
        assert_eq!(connections_of(app.db(), ada).await, 0, "and then it was erased");
        assert_eq!(
            count(app.db(), "SELECT COUNT(*) FROM users WHERE id = $1", ada).await,
            0
        );
        assert_eq!(connections_of(app.db(), bob).await, 1, "bob's stays");
        app.stop().await;
    }
}

/// The token a revocation request names (Google: form `token=`; Todoist: JSON).
fn revoked_token(body: &str) -> String {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .or_else(|| {
            serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v["access_token"].as_str().map(str::to_owned))
        })
        .unwrap_or_default()
}
