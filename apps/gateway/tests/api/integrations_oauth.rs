//! OAuth connections against the local fake provider: connect with PKCE and a single-use
//! state, the callback's outcomes, listing, disconnecting (revoked at the provider),
//! consent, configuration, cross-user isolation, and single-flight refresh.

use lifeos_integrations::oauth::Provider;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, with_db};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Reply, TestApp};
use crate::integrations_fakes::{FakeProvider, connect, follow_authorize, grant, outcome};

const ADA: &str = "ada@example.com";
const BOB: &str = "bob@example.com";

async fn user_id(app: &TestApp, token: &str) -> Uuid {
    let me = app.get("/api/v1/me", token).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    me.body["id"].as_str().unwrap().parse().unwrap()
}

/// `email` registered with the integrations consent: their token and id.
async fn consenting(app: &TestApp, email: &str) -> (String, Uuid) {
    let token = app.user(email).await;
    grant(app, &token, "integrations", true).await;
    let id = user_id(app, &token).await;
    (token, id)
}

async fn fake_app(db: &TestDatabase, provider: &'static str) -> (FakeProvider, TestApp) {
    let fake = FakeProvider::start().await;
    let app = TestApp::spawn_with(db, |c| fake.configure(c, provider)).await;
    (fake, app)
}

/// The listed item of `provider`.
async fn listed(app: &TestApp, token: &str, provider: &str) -> Value {
    let list = app.get("/api/v1/integrations", token).await;
    assert_eq!(list.status, StatusCode::OK, "{}: {}", app.label, list.body);
    let items = list.body["items"].as_array().unwrap();
    assert_eq!(items.len(), Provider::ALL.len(), "one item per provider");
    items
        .iter()
        .find(|i| i["provider"] == provider)
        .cloned()
        .unwrap_or_else(|| panic!("{provider} listed: {}", list.body))
}

/// `POST .../connect`: the authorize URL.
async fn start(app: &TestApp, token: &str, provider: &str) -> String {
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
        "{}: {}",
        app.label,
        started.body
    );
    assert!(started.body["expiresAt"].is_string(), "{}", started.body);
    started.body["authorizeUrl"].as_str().unwrap().to_owned()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap()
}

/// The fake provider's redirect back to lifeos for `authorize` (its callback URL, on the
/// test server), without following it.
async fn provider_redirect(app: &TestApp, authorize: &str) -> url::Url {
    let at_provider = browser().get(authorize).send().await.unwrap();
    assert_eq!(at_provider.status(), StatusCode::FOUND);
    let back = at_provider.headers()["location"]
        .to_str()
        .unwrap()
        .replace("http://lifeos.test", &app.base);
    url::Url::parse(&back).unwrap()
}

/// `callback` with its query parameters replaced by `params`.
async fn call_back(callback: &url::Url, params: &[(&str, &str)]) -> Reply {
    let mut url = callback.clone();
    url.query_pairs_mut().clear().extend_pairs(params);
    Reply::from(browser().get(url).send().await.unwrap()).await
}

fn param(url: &url::Url, name: &str) -> String {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

type TokenColumns = (String, Option<String>, String, String, Option<String>);

/// Every text column of every integrations row, for plaintext checks.
async fn stored_text(db: &Db) -> String {
    let rows: Vec<TokenColumns> = with_db!(db, pool => {
        sqlx::query_as(
            "SELECT provider, refresh_token, access_token, scopes, sync_token FROM int_connections",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    let states: Vec<(String, String)> = with_db!(db, pool => {
        sqlx::query_as("SELECT state_hash, verifier FROM int_oauth_states")
            .fetch_all(pool)
            .await
            .unwrap()
    });
    format!("{rows:?} {states:?}")
}

async fn status_in_db(db: &Db, user: Uuid, provider: &str) -> Option<String> {
    with_db!(db, pool => {
        sqlx::query_scalar("SELECT status FROM int_connections WHERE user_id = $1 AND provider = $2")
            .bind(user)
            .bind(provider)
            .fetch_optional(pool)
            .await
            .unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn connecting_stores_sealed_tokens_and_lists_the_connection(db: TestDatabase) {
        let (fake, app) = fake_app(&db, "todoist").await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        assert_eq!(listed(&app, &ada, "todoist").await["status"], "not_connected");

        let callback = connect(&app, &ada, "todoist").await;
        assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", app.label);
        let location = callback.headers["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("http://lifeos.test/?"), "{location}");
        assert!(location.contains("integration=todoist"), "{location}");
        assert_eq!(outcome(&callback), "connected", "{}", app.label);

        assert_eq!(status_in_db(app.db(), ada_id, "todoist").await.as_deref(), Some("connected"));
        let item = listed(&app, &ada, "todoist").await;
        assert_eq!(item["status"], "connected", "{item}");
        assert_eq!(item["name"], "Todoist");
        assert_eq!(item["scopes"], json!(["granted-scope"]));
        assert!(item["connectedAt"].is_string(), "{item}");
        assert!(item["lastSyncAt"].is_null() && item["lastError"].is_null(), "{item}");
        // Google is listed too, not configured on this server.
        assert_eq!(listed(&app, &ada, "google").await["status"], "not_configured");

        // The token request proved PKCE and named our redirect URI.
        let exchanged = fake.state().token_requests.last().cloned().unwrap();
        assert_eq!(exchanged["grant_type"], "authorization_code");
        assert_eq!(exchanged["redirect_uri"], "http://lifeos.test/api/v1/integrations/todoist/callback");
        assert!(!exchanged["code_verifier"].is_empty());

        // No plaintext token, refresh token or verifier in the database or the answers.
        let stored = stored_text(app.db()).await;
        let secrets: Vec<String> = {
            let s = fake.state();
            s.live.iter().chain(s.refresh_tokens.iter()).cloned()
                .chain(std::iter::once(exchanged["code_verifier"].clone()))
                .collect()
        };
        assert!(secrets.len() >= 3);
        for secret in &secrets {
            assert!(!stored.contains(secret.as_str()), "{}: a secret is stored in plaintext", app.label);
            assert!(!location.contains(secret.as_str()));
        }
        assert!(stored.contains("v1:test:"), "{}: tokens are vault blobs", app.label);
        // And the live token is what was issued.
        let token = app.integrations().connections.access_token(ada_id, Provider::Todoist).await.unwrap();
        assert!(fake.state().live.contains(token.expose()));
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn google_asks_for_offline_access_and_its_calendar_scope(db: TestDatabase) {
        let (fake, app) = fake_app(&db, "google").await;
        let (ada, _) = consenting(&app, ADA).await;
        let authorize = url::Url::parse(&start(&app, &ada, "google").await).unwrap();
        assert!(authorize.as_str().starts_with(&format!("{}/authorize?", fake.url)));
        assert_eq!(param(&authorize, "access_type"), "offline");
        assert_eq!(param(&authorize, "prompt"), "consent");
        assert_eq!(param(&authorize, "client_id"), "client-google");
        assert_eq!(param(&authorize, "code_challenge_method"), "S256");
        assert_eq!(param(&authorize, "scope"), "https://www.googleapis.com/auth/calendar.readonly");
        let callback = follow_authorize(&app, authorize.as_str()).await;
        assert_eq!(outcome(&callback), "connected", "{}", app.label);
        assert_eq!(listed(&app, &ada, "google").await["status"], "connected");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_state_is_single_use_unforgeable_and_expires(db: TestDatabase) {
        let (fake, app) = fake_app(&db, "todoist").await;
        let (ada, ada_id) = consenting(&app, ADA).await;

        // Tampered: one character of the state changed.
        let back = provider_redirect(&app, &start(&app, &ada, "todoist").await).await;
        let (code, state) = (param(&back, "code"), param(&back, "state"));
        let mut tampered = state.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let reply = call_back(&back, &[("code", &code), ("state", &tampered)]).await;
        assert_eq!(outcome(&reply), "invalid_state", "{}", app.label);
        // Missing state.
        assert_eq!(outcome(&call_back(&back, &[("code", &code)]).await), "invalid_state");
        assert_eq!(status_in_db(app.db(), ada_id, "todoist").await, None);

        // The real state works once; the second use is refused.
        let first = call_back(&back, &[("code", &code), ("state", &state)]).await;
        assert_eq!(outcome(&first), "connected", "{}", app.label);
        let again = call_back(&back, &[("code", &code), ("state", &state)]).await;
        assert_eq!(outcome(&again), "invalid_state", "{}", app.label);

        // Two callbacks racing with the same state: exactly one wins.
        let back = provider_redirect(&app, &start(&app, &ada, "todoist").await).await;
        let params = [("code", param(&back, "code")), ("state", param(&back, "state"))];
        let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (one, two) = tokio::join!(call_back(&back, &params), call_back(&back, &params));
        let mut outcomes = [outcome(&one), outcome(&two)];
        outcomes.sort();
        assert_eq!(outcomes, ["connected".to_owned(), "invalid_state".to_owned()], "{}", app.label);

        // A state for another provider's callback does not count.
        let back = provider_redirect(&app, &start(&app, &ada, "todoist").await).await;
        let mut google = back.clone();
        google.set_path("/api/v1/integrations/google/callback");
        let crossed = call_back(&google, &[("code", &param(&back, "code")), ("state", &param(&back, "state"))]).await;
        assert_eq!(outcome(&crossed), "invalid_state");

        // Expired: 11 minutes later.
        let back = provider_redirect(&app, &start(&app, &ada, "todoist").await).await;
        app.clock.advance(time::Duration::minutes(11));
        let late = call_back(&back, &[("code", &param(&back, "code")), ("state", &param(&back, "state"))]).await;
        assert_eq!(outcome(&late), "invalid_state", "{}", app.label);

        // A verifier the fake does not accept (the code of another authorization) fails.
        let one = provider_redirect(&app, &start(&app, &ada, "todoist").await).await;
        let other = provider_redirect(&app, &start(&app, &ada, "todoist").await).await;
        let mixed = call_back(&one, &[("code", &param(&other, "code")), ("state", &param(&one, "state"))]).await;
        assert_eq!(outcome(&mixed), "failed", "{}: PKCE mismatch", app.label);
        let _ = fake;
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_refusal_at_the_provider_is_denied_and_names_nothing(db: TestDatabase) {
        let (_fake, app) = fake_app(&db, "todoist").await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        let back = provider_redirect(&app, &start(&app, &ada, "todoist").await).await;
        let reply = call_back(
            &back,
            &[("error", "access_denied"), ("error_description", "secret-ish words"), ("state", &param(&back, "state"))],
        )
        .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER);
        assert_eq!(outcome(&reply), "denied", "{}", app.label);
        let location = reply.headers["location"].to_str().unwrap();
        assert!(!location.contains("secret-ish") && !location.contains("access_denied"), "{location}");
        assert_eq!(status_in_db(app.db(), ada_id, "todoist").await, None);
        // The state was spent by the refusal.
        let late = call_back(&back, &[("code", &param(&back, "code")), ("state", &param(&back, "state"))]).await;
        assert_eq!(outcome(&late), "invalid_state");
        // A control character comes from no provider: the API's one text rule answers.
        let garbled = call_back(&back, &[("state", "\u{84}")]).await;
        garbled.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_text");
        assert_eq!(garbled.body["errors"][0]["field"], "state", "{}", garbled.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn connecting_needs_the_consent_a_configured_and_a_known_provider(db: TestDatabase) {
        let (_fake, app) = fake_app(&db, "todoist").await;
        let ada = app.user(ADA).await;
        app.post("/api/v1/integrations/todoist/connect", Some(&ada), json!({}))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "consent_required");
        grant(&app, &ada, "integrations", true).await;
        app.post("/api/v1/integrations/google/connect", Some(&ada), json!({}))
            .await
            .assert_problem(StatusCode::NOT_IMPLEMENTED, "provider_not_configured");
        assert_eq!(listed(&app, &ada, "google").await["status"], "not_configured");
        app.post("/api/v1/integrations/myspace/connect", Some(&ada), json!({}))
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.call(Method::DELETE, "/api/v1/integrations/myspace", Some(&ada), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let unknown = browser()
            .get(app.url("/api/v1/integrations/myspace/callback?code=x&state=y"))
            .send()
            .await
            .unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        // Without credentials.
        let anonymous = app.post("/api/v1/integrations/todoist/connect", None, json!({})).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{}", anonymous.body);
        let anonymous = browser().get(app.url("/api/v1/integrations")).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_state_connects_only_its_user_and_each_sees_and_deletes_their_own(db: TestDatabase) {
        let (fake, app) = fake_app(&db, "todoist").await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        let (bob, bob_id) = consenting(&app, BOB).await;

        // Ada's authorization, completed in Bob's browser (with Bob's credentials even):
        // it connects Ada, never Bob.
        let authorize = start(&app, &ada, "todoist").await;
        let back = provider_redirect(&app, &authorize).await;
        let reply = Reply::from(
            browser().get(back.clone()).bearer_auth(&bob).send().await.unwrap(),
        )
        .await;
        assert_eq!(outcome(&reply), "connected");
        assert_eq!(status_in_db(app.db(), ada_id, "todoist").await.as_deref(), Some("connected"));
        assert_eq!(status_in_db(app.db(), bob_id, "todoist").await, None);
        assert_eq!(listed(&app, &bob, "todoist").await["status"], "not_connected");
        assert_eq!(listed(&app, &ada, "todoist").await["status"], "connected");

        // Bob cannot disconnect Ada.
        app.call(Method::DELETE, "/api/v1/integrations/todoist", Some(&bob), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(status_in_db(app.db(), ada_id, "todoist").await.as_deref(), Some("connected"));
        assert!(fake.state().revoked.is_empty());
        // Bob's own connection is separate from Ada's.
        assert_eq!(outcome(&connect(&app, &bob, "todoist").await), "connected");
        let ada_token = app.integrations().connections.access_token(ada_id, Provider::Todoist).await.unwrap();
        let bob_token = app.integrations().connections.access_token(bob_id, Provider::Todoist).await.unwrap();
        assert_ne!(ada_token.expose(), bob_token.expose());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn disconnecting_revokes_at_the_provider_and_deletes(db: TestDatabase) {
        let (fake, app) = fake_app(&db, "todoist").await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        assert_eq!(outcome(&connect(&app, &ada, "todoist").await), "connected");
        let token = app.integrations().connections.access_token(ada_id, Provider::Todoist).await.unwrap();

        let removed = app.call(Method::DELETE, "/api/v1/integrations/todoist", Some(&ada), None).await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}: {}", app.label, removed.body);
        assert_eq!(fake.state().revoked, vec![token.expose().to_owned()]);
        assert!(!fake.state().live.contains(token.expose()));
        assert_eq!(status_in_db(app.db(), ada_id, "todoist").await, None);
        assert_eq!(listed(&app, &ada, "todoist").await["status"], "not_connected");
        app.call(Method::DELETE, "/api/v1/integrations/todoist", Some(&ada), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let gone = app.integrations().connections.access_token(ada_id, Provider::Todoist).await;
        assert!(gone.is_err());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn google_revokes_its_refresh_token_and_disconnect_all_clears_everything(db: TestDatabase) {
        let fake = FakeProvider::start().await;
        let app = TestApp::spawn_with(&db, |c| {
            fake.configure(c, "todoist");
            fake.configure(c, "google");
        })
        .await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        assert_eq!(outcome(&connect(&app, &ada, "google").await), "connected");
        let refresh: Vec<String> = fake.state().refresh_tokens.iter().cloned().collect();
        app.call(Method::DELETE, "/api/v1/integrations/google", Some(&ada), None).await;
        assert_eq!(fake.state().revoked, refresh, "Google revokes the grant through the refresh token");

        assert_eq!(outcome(&connect(&app, &ada, "google").await), "connected");
        assert_eq!(outcome(&connect(&app, &ada, "todoist").await), "connected");
        start(&app, &ada, "todoist").await;
        let (_bob, bob_id) = consenting(&app, BOB).await;
        let revoked_before = fake.state().revoked.len();
        app.integrations().connections.disconnect_all(ada_id).await.unwrap();
        assert_eq!(fake.state().revoked.len(), revoked_before + 2);
        let left: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM int_oauth_states WHERE user_id = $1")
                .bind(ada_id).fetch_one(pool).await.unwrap()
        });
        assert_eq!(left, 0);
        assert_eq!(status_in_db(app.db(), ada_id, "todoist").await, None);
        assert_eq!(status_in_db(app.db(), ada_id, "google").await, None);
        let _ = bob_id;
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn concurrent_callers_share_one_refresh(db: TestDatabase) {
        let (fake, app) = fake_app(&db, "google").await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        assert_eq!(outcome(&connect(&app, &ada, "google").await), "connected");
        let first = app.integrations().connections.access_token(ada_id, Provider::Google).await.unwrap();
        assert_eq!(fake.state().refreshes, 0, "a live token is not refreshed");

        // The token lapses; the refresh takes 200 ms so that the callers pile up.
        app.clock.advance(time::Duration::seconds(3600));
        fake.state().refresh_delay = std::time::Duration::from_millis(200);
        let connections = &app.integrations().connections;
        let calls = (0..20).map(|_| connections.access_token(ada_id, Provider::Google));
        let tokens = futures_util::future::join_all(calls).await;
        let n = fake.state().refreshes;
        eprintln!("single-flight refreshes: {n}");
        assert_eq!(n, 1, "{}: one refresh for 20 callers", app.label);
        let tokens: Vec<String> = tokens.into_iter().map(|t| t.unwrap().expose().to_owned()).collect();
        assert!(tokens.iter().all(|t| t == &tokens[0]), "everyone got the same token");
        assert_ne!(tokens[0], first.expose());
        assert!(fake.state().live.contains(&tokens[0]));
        // Fresh again: no further refresh.
        connections.access_token(ada_id, Provider::Google).await.unwrap();
        assert_eq!(fake.state().refreshes, 1);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_refused_refresh_asks_for_a_reconnect(db: TestDatabase) {
        let (fake, app) = fake_app(&db, "todoist").await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        let (bob, bob_id) = consenting(&app, BOB).await;
        assert_eq!(outcome(&connect(&app, &bob, "todoist").await), "connected");
        // Ada's token lives 30 s: within the refresh margin at once.
        fake.state().expires_in = 30;
        assert_eq!(outcome(&connect(&app, &ada, "todoist").await), "connected");
        let connections = &app.integrations().connections;
        assert_eq!(connections.connected_users(Provider::Todoist).await.unwrap().len(), 2);

        fake.state().refuse_refresh = true;
        let refused = connections.access_token(ada_id, Provider::Todoist).await;
        assert!(
            matches!(refused, Err(lifeos_integrations::IntegrationsError::ReconnectRequired(_))),
            "{refused:?}"
        );
        let item = listed(&app, &ada, "todoist").await;
        assert_eq!(item["status"], "refresh_failed", "{item}");
        assert!(item["lastError"].is_string(), "{item}");
        assert_eq!(connections.needing_reconnect(ada_id).await.unwrap(), vec![Provider::Todoist]);
        assert!(connections.needing_reconnect(bob_id).await.unwrap().is_empty());
        assert_eq!(connections.connected_users(Provider::Todoist).await.unwrap(), vec![bob_id]);
        // No second attempt at the provider while refused.
        let refreshes = fake.state().refreshes;
        assert!(connections.access_token(ada_id, Provider::Todoist).await.is_err());
        assert_eq!(fake.state().refreshes, refreshes);

        // Connecting again clears it.
        fake.state().refuse_refresh = false;
        fake.state().expires_in = 3600;
        assert_eq!(outcome(&connect(&app, &ada, "todoist").await), "connected");
        assert_eq!(listed(&app, &ada, "todoist").await["status"], "connected");
        assert!(connections.needing_reconnect(ada_id).await.unwrap().is_empty());
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_sync_cursor_is_sealed_and_recorded(db: TestDatabase) {
        use lifeos_integrations::oauth::service::SyncOutcome;
        let (_fake, app) = fake_app(&db, "google").await;
        let (ada, ada_id) = consenting(&app, ADA).await;
        let connections = &app.integrations().connections;
        assert!(connections.sync_state(ada_id, Provider::Google).await.unwrap().is_none());
        assert_eq!(outcome(&connect(&app, &ada, "google").await), "connected");
        let empty = connections.sync_state(ada_id, Provider::Google).await.unwrap().unwrap();
        assert!(empty.sync_token.is_none() && empty.last_sync_at.is_none());

        connections
            .record_sync(ada_id, Provider::Google, SyncOutcome::Synced { sync_token: Some("cursor-secret-1".into()), full: true })
            .await
            .unwrap();
        let state = connections.sync_state(ada_id, Provider::Google).await.unwrap().unwrap();
        assert_eq!(state.sync_token.unwrap().expose(), "cursor-secret-1");
        assert_eq!(state.last_sync_at, Some(app.now()));
        assert_eq!(state.last_full_sync_at, Some(app.now()));
        assert!(!stored_text(app.db()).await.contains("cursor-secret-1"));

        app.clock.advance(time::Duration::minutes(5));
        connections
            .record_sync(ada_id, Provider::Google, SyncOutcome::Failed("Google Calendar did not answer".into()))
            .await
            .unwrap();
        let item = listed(&app, &ada, "google").await;
        assert_eq!(item["lastError"], "Google Calendar did not answer");
        let state = connections.sync_state(ada_id, Provider::Google).await.unwrap().unwrap();
        assert_eq!(state.sync_token.unwrap().expose(), "cursor-secret-1", "a failure keeps the cursor");

        connections
            .record_sync(ada_id, Provider::Google, SyncOutcome::Synced { sync_token: Some("cursor-2".into()), full: false })
            .await
            .unwrap();
        let state = connections.sync_state(ada_id, Provider::Google).await.unwrap().unwrap();
        assert_eq!(state.sync_token.unwrap().expose(), "cursor-2");
        assert_eq!(state.last_sync_at, Some(app.now()));
        assert!(state.last_full_sync_at < Some(app.now()));
        assert!(listed(&app, &ada, "google").await["lastError"].is_null());
        app.stop().await;
    }
}
