//! A local fake OAuth provider (authorize, token, revoke) that checks what a real one
//! checks: PKCE S256, the redirect URI, single-use codes, the client's credentials. Each
//! test file mounts its provider's API routes (Todoist, Google Calendar) on the same
//! server with [`FakeProvider::start_with`], and [`connect`] runs the whole browser dance.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use lifeos_gateway::config::Config;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use lifeos_kernel::{Db, Dialect, with_db};

use crate::common::{Reply, TestApp};

/// One authorization the fake granted, waiting for its code to be exchanged.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub challenge: String,
}

/// What the fake saw and how it behaves; tests read and set it between requests.
#[derive(Debug)]
pub struct FakeState {
    pub grants: HashMap<String, Grant>,
    /// Every token request's form (secrets included: the fake is the provider).
    pub token_requests: Vec<HashMap<String, String>>,
    pub refreshes: u32,
    /// How long a refresh takes (to let concurrent callers pile up).
    pub refresh_delay: Duration,
    /// Answer refreshes with `invalid_grant`.
    pub refuse_refresh: bool,
    /// `expires_in` of issued access tokens.
    pub expires_in: i64,
    pub issued: u32,
    /// Access tokens the API routes accept.
    pub live: HashSet<String>,
    /// Refresh tokens issued and not revoked.
    pub refresh_tokens: HashSet<String>,
    /// Tokens revoked at `/revoke`.
    pub revoked: Vec<String>,
}

impl Default for FakeState {
    fn default() -> Self {
        Self {
            grants: HashMap::new(),
            token_requests: Vec::new(),
            refreshes: 0,
            refresh_delay: Duration::ZERO,
            refuse_refresh: false,
            expires_in: 3600,
            issued: 0,
            live: HashSet::new(),
            refresh_tokens: HashSet::new(),
            revoked: Vec::new(),
        }
    }
}

pub type Shared = Arc<Mutex<FakeState>>;

impl FakeState {
    /// Whether the request carries a live bearer token.
    pub fn authorized(&self, headers: &HeaderMap) -> bool {
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|token| self.live.contains(token))
    }

    fn issue(&mut self, refresh: Option<String>) -> Value {
        self.issued += 1;
        let access = format!(
            "fake-access-{}-{}",
            self.issued,
            lifeos_kernel::id::new_id().simple()
        );
        let refresh = refresh.unwrap_or_else(|| {
            format!(
                "fake-refresh-{}-{}",
                self.issued,
                lifeos_kernel::id::new_id().simple()
            )
        });
        self.live.insert(access.clone());
        self.refresh_tokens.insert(refresh.clone());
        json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "refresh_token": refresh,
            "scope": "granted-scope",
        })
    }
}

/// The fake provider, on 127.0.0.1 for the test's lifetime.
pub struct FakeProvider {
    pub url: String,
    pub state: Shared,
}

impl FakeProvider {
    pub async fn start() -> FakeProvider {
        Self::start_with(|_| Router::new()).await
    }

    /// The OAuth endpoints plus the API routes `api` builds on the shared state.
    pub async fn start_with(api: impl FnOnce(Shared) -> Router) -> FakeProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state: Shared = Arc::default();
        let oauth = Router::new()
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/revoke", post(revoke))
            .with_state(state.clone());
        let app = oauth.merge(api(state.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeProvider { url, state }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, FakeState> {
        self.state.lock().unwrap()
    }

    /// Points `provider` (`todoist`, `google`) at this fake, with client `client-<p>`.
    pub fn configure(&self, config: &mut Config, provider: &str) {
        let target = match provider {
            "todoist" => &mut config.integrations.todoist,
            "google" => &mut config.integrations.google,
            other => panic!("no provider {other}"),
        };
        target.client_id = Some(format!("client-{provider}"));
        target.client_secret = Some(format!("secret-{provider}"));
        target.auth_url = format!("{}/authorize", self.url);
        target.token_url = format!("{}/token", self.url);
        target.api_url = self.url.clone();
        target.revoke_url = Some(format!("{}/revoke", self.url));
    }
}

async fn authorize(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| q.get(name).cloned().unwrap_or_default();
    if field("response_type") != "code"
        || field("code_challenge_method") != "S256"
        || field("code_challenge").is_empty()
        || field("state").is_empty()
    {
        return (
            AxumStatus::BAD_REQUEST,
            "authorization request without PKCE S256 or state",
        )
            .into_response();
    }
    let code = format!("code-{}", lifeos_kernel::id::new_id().simple());
    let redirect = format!(
        "{}?code={code}&state={}",
        field("redirect_uri"),
        urlencode(&field("state"))
    );
    state.lock().unwrap().grants.insert(
        code,
        Grant {
            client_id: field("client_id"),
            redirect_uri: field("redirect_uri"),
            challenge: field("code_challenge"),
        },
    );
    (AxumStatus::FOUND, [(header::LOCATION, redirect)]).into_response()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The client's id from HTTP Basic auth or the form.
fn client_of(headers: &HeaderMap, form: &HashMap<String, String>) -> (String, String) {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| {
            let (id, secret) = pair.split_once(':')?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Some((decode(id), decode(secret)))
        });
    basic.unwrap_or_else(|| {
        (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        )
    })
}

fn oauth_error(error: &str) -> Response {
    (AxumStatus::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}

async fn token(
    State(state): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (client_id, client_secret) = client_of(&headers, &form);
    state.lock().unwrap().token_requests.push(form.clone());
    if client_id.is_empty() || client_secret != client_id.replace("client-", "secret-") {
        return oauth_error("invalid_client");
    }
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let mut s = state.lock().unwrap();
            let Some(grant) = form.get("code").and_then(|c| s.grants.remove(c)) else {
                return oauth_error("invalid_grant");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            if challenge != grant.challenge
                || form.get("redirect_uri") != Some(&grant.redirect_uri)
                || grant.client_id != client_id
            {
                return oauth_error("invalid_grant");
            }
            Json(s.issue(None)).into_response()
        }
        Some("refresh_token") => {
            let delay = {
                let mut s = state.lock().unwrap();
                s.refreshes += 1;
                s.refresh_delay
            };
            tokio::time::sleep(delay).await;
            let mut s = state.lock().unwrap();
            let refresh = form.get("refresh_token").cloned().unwrap_or_default();
            if s.refuse_refresh || !s.refresh_tokens.contains(&refresh) {
                return oauth_error("invalid_grant");
            }
            Json(s.issue(Some(refresh))).into_response()
        }
        _ => oauth_error("unsupported_grant_type"),
    }
}

async fn revoke(State(state): State<Shared>, body: String) -> AxumStatus {
    // Google: form `token=...`; Todoist: JSON `{"access_token": ...}`.
    let token = url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .or_else(|| {
            serde_json::from_str::<Value>(&body)
                .ok()
                .and_then(|v| v["access_token"].as_str().map(str::to_owned))
        })
        .unwrap_or_default();
    let mut s = state.lock().unwrap();
    s.live.remove(&token);
    s.refresh_tokens.remove(&token);
    s.revoked.push(token);
    AxumStatus::OK
}

/// Grants `purpose` (`integrations`, `health_data`, `recommendations`) to the token's user.
pub async fn grant(app: &TestApp, token: &str, purpose: &str, granted: bool) {
    let reply = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/me/consents/{purpose}"),
            Some(token),
            Some(json!({ "granted": granted })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// Runs the browser's part of connecting `provider`: `POST .../connect`, the provider's
/// authorize page (which grants at once), and the callback. Returns the callback's
/// answer: a redirect to the return URL with the outcome.
pub async fn connect(app: &TestApp, token: &str, provider: &str) -> Reply {
    let started = app
        .post(
            &format!("/api/v1/integrations/{provider}/connect"),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(
        started.status,
        StatusCode::OK,
        "{}: connect: {}",
        app.label,
        started.body
    );
    let authorize = started.body["authorizeUrl"]
        .as_str()
        .expect("authorizeUrl")
        .to_owned();
    follow_authorize(app, &authorize).await
}

/// Follows an authorize URL to the provider and back to lifeos's callback.
pub async fn follow_authorize(app: &TestApp, authorize: &str) -> Reply {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let at_provider = browser.get(authorize).send().await.unwrap();
    assert_eq!(
        at_provider.status(),
        StatusCode::FOUND,
        "the fake provider grants"
    );
    let back = at_provider.headers()[header::LOCATION.as_str()]
        .to_str()
        .unwrap()
        .replace("http://lifeos.test", &app.base);
    Reply::from(browser.get(back).send().await.unwrap()).await
}

/// The callback's redirect target and its `outcome` parameter.
pub fn outcome(callback: &Reply) -> String {
    let location = callback
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| {
            panic!(
                "callback redirects: {:?} {}",
                callback.status, callback.body
            )
        });
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "outcome")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Every value of every column of every table, as text.
pub async fn dump(db: &Db) -> String {
    let tables: Vec<String> = match db.dialect() {
        Dialect::Postgres => with_db!(db, pool => {
            sqlx::query_scalar("SELECT table_name::text FROM information_schema.tables \
                                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
                .fetch_all(pool).await.unwrap()
        }),
        Dialect::Sqlite => with_db!(db, pool => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(pool).await.unwrap()
        }),
    };
    let mut text = String::new();
    for table in &tables {
        let mut tx = db.begin_read().await.unwrap();
        let columns = lifeos_kernel::user_data::column_names(&mut tx, table)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        for column in &columns {
            let values: Vec<String> = match db.dialect() {
                Dialect::Postgres => {
                    let sql = format!("SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\"");
                    let values: Vec<Option<String>> = with_db!(db, pool => {
                        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap()
                    });
                    values.into_iter().flatten().collect()
                }
                Dialect::Sqlite => {
                    // As bytes: a blob need not be UTF-8.
                    let sql = format!("SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\"");
                    let values: Vec<Option<Vec<u8>>> = with_db!(db, pool => {
                        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.unwrap()
                    });
                    values
                        .into_iter()
                        .flatten()
                        .map(|b| String::from_utf8_lossy(&b).into_owned())
                        .collect()
                }
            };
            for value in values {
                text.push_str(&value);
                text.push('\n');
            }
        }
    }
    text
}
