//! Web push: subscriptions, schedules, decision points delivered to a fake push service that decrypts.
//!
//! The fake plays both the push service and the browser: it checks the VAPID
//! `Authorization` (an ES256 JWT verified against its `k=` key, `aud` its own origin),
//! opens the aes128gcm body with the browser's private key and auth secret, and keeps
//! the plaintext.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Timestamp, with_db};
use lifeos_recommender::push::scheduler::RunReport;
use lifeos_recommender::push::webpush::p256::elliptic_curve::sec1::ToEncodedPoint;
use lifeos_recommender::push::webpush::{self, Auth, p256};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::seed::{node, track};

/// A browser's subscription keys.
struct Browser {
    secret: p256::SecretKey,
    auth: Auth,
}

impl Browser {
    fn new() -> Browser {
        let secret = loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).unwrap();
            if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
                break secret;
            }
        };
        let mut auth = [0u8; 16];
        getrandom::fill(&mut auth).unwrap();
        Browser {
            secret,
            auth: Auth::from(auth),
        }
    }

    fn p256dh(&self) -> String {
        webpush::encode_base64url(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    fn auth(&self) -> String {
        webpush::encode_base64url(&self.auth)
    }
}

#[derive(Debug, Clone)]
struct Received {
    name: String,
    payload: Value,
    vapid_key: String,
}

struct Inner {
    origin: String,
    browsers: Mutex<HashMap<String, Browser>>,
    received: Mutex<Vec<Received>>,
    /// Requests refused for a bad header, token or body.
    rejected: AtomicUsize,
    /// What the fake answers a good request with.
    status: AtomicU16,
}

/// The fake push service, on 127.0.0.1 for the test's lifetime.
#[derive(Clone)]
struct FakePush(Arc<Inner>);

impl FakePush {
    async fn start() -> FakePush {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let fake = FakePush(Arc::new(Inner {
            origin,
            browsers: Mutex::new(HashMap::new()),
            received: Mutex::new(Vec::new()),
            rejected: AtomicUsize::new(0),
            status: AtomicU16::new(201),
        }));
        let app = axum::Router::new()
            .route("/push/{name}", axum::routing::post(receive))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// A new browser named `name`, and its subscription body.
    fn subscription(&self, name: &str) -> Value {
        let browser = Browser::new();
        let body = json!({
            "endpoint": format!("{}/push/{name}", self.0.origin),
            "expirationTime": null,
            "keys": { "p256dh": browser.p256dh(), "auth": browser.auth() },
        });
        self.0
            .browsers
            .lock()
            .unwrap()
            .insert(name.to_owned(), browser);
        body
    }

    fn received(&self) -> Vec<Received> {
        self.0.received.lock().unwrap().clone()
    }

    fn rejected(&self) -> usize {
        self.0.rejected.load(Ordering::SeqCst)
    }

    fn answer(&self, status: u16) {
        self.0.status.store(status, Ordering::SeqCst);
    }
}

async fn receive(
    State(fake): State<FakePush>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> AxumStatus {
    match open(&fake, &name, &headers, &body) {
        Ok(received) => {
            fake.0.received.lock().unwrap().push(received);
            AxumStatus::from_u16(fake.0.status.load(Ordering::SeqCst)).unwrap()
        }
        Err(why) => {
            eprintln!("fake push service refused a message: {why}");
            fake.0.rejected.fetch_add(1, Ordering::SeqCst);
            AxumStatus::BAD_REQUEST
        }
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str, String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| format!("no {name} header"))
}

/// What a push service and the browser check, then the plaintext.
fn open(fake: &FakePush, name: &str, headers: &HeaderMap, body: &[u8]) -> Result<Received, String> {
    if header(headers, "content-encoding")? != "aes128gcm" {
        return Err("content-encoding is not aes128gcm".into());
    }
    let ttl: u64 = header(headers, "ttl")?.parse().map_err(|_| "bad TTL")?;
    if ttl == 0 || header(headers, "urgency")? != "normal" {
        return Err("bad TTL or Urgency".into());
    }
    let vapid_key = verify_vapid(header(headers, "authorization")?, &fake.0.origin)?;
    let browsers = fake.0.browsers.lock().unwrap();
    let browser = browsers.get(name).ok_or("unknown browser")?;
    let plain = webpush::decrypt(body.to_vec(), &browser.secret, &browser.auth)
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    let payload = serde_json::from_slice(&plain).map_err(|e| e.to_string())?;
    Ok(Received {
        name: name.to_owned(),
        payload,
        vapid_key,
    })
}

/// `vapid t=<jwt>, k=<key>`: the JWT is ES256 by `k`, for this origin; returns `k`.
fn verify_vapid(authorization: &str, origin: &str) -> Result<String, String> {
    let rest = authorization
        .strip_prefix("vapid t=")
        .ok_or("not a vapid authorization")?;
    let (token, key) = rest.split_once(", k=").ok_or("no k=")?;
    let point = webpush::decode_base64url(key).ok_or("k is not base64url")?;
    if point.len() != 65 || point[0] != 4 {
        return Err("k is not an uncompressed P-256 point".into());
    }
    let x = webpush::encode_base64url(&point[1..33]);
    let y = webpush::encode_base64url(&point[33..]);
    let decoding =
        jsonwebtoken::DecodingKey::from_ec_components(&x, &y).map_err(|e| e.to_string())?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[origin]);
    validation.set_required_spec_claims(&["aud", "exp", "sub"]);
    // The server signs with the test clock's time, not the wall clock.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(token, &decoding, &validation)
        .map_err(|e| format!("bad VAPID token: {e}"))?
        .claims;
    if !claims["sub"]
        .as_str()
        .is_some_and(|s| s.starts_with("mailto:"))
    {
        return Err("no mailto: subject".into());
    }
    Ok(key.to_owned())
}

/// An app that accepts the fake's loopback http endpoints and runs no scheduler of its own.
async fn push_app(db: &TestDatabase) -> TestApp {
    TestApp::spawn_with(db, |config| {
        config.recommender.push.allow_loopback_http = true;
        config.recommender.push.scheduler_every = None;
    })
    .await
}

/// 2026-06-10, Berlin summer time: 08:30 local is 06:30Z.
const MORNING: &str = "2026-06-10T06:00:00Z";

fn at(app: &TestApp, instant: &str) {
    app.clock.set(Timestamp::parse(instant).unwrap());
}

/// `email` in Europe/Berlin with a daily habit due (a candidate) and, if `consent`, the
/// recommendations consent.
async fn person(app: &TestApp, email: &str, consent: bool) -> String {
    let token = app.user(email).await;
    let me = app
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&token),
            Some(json!({ "timezone": "Europe/Berlin" })),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    if consent {
        let granted = app
            .call(
                Method::PUT,
                "/api/v1/me/consents/recommendations",
                Some(&token),
                Some(json!({ "granted": true })),
            )
            .await;
        assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
    }
    let health = track(app, &token, "Health").await;
    let habit = node(app, &token, &health, "habit", "Stretch").await;
    let schedule = app
        .call(
            Method::PUT,
            &format!("/api/v1/nodes/{habit}/habit-schedule"),
            Some(&token),
            Some(json!({ "frequency": "daily" })),
        )
        .await;
    assert_eq!(schedule.status, StatusCode::OK, "{}", schedule.body);
    token
}

async fn subscribe(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app
        .post("/api/v1/push/subscriptions", Some(token), body)
        .await;
    assert!(reply.status.is_success(), "{}: {}", app.label, reply.body);
    reply.body
}

async fn put_schedule(app: &TestApp, token: &str, schedule: Value) {
    let reply = app
        .call(
            Method::PUT,
            "/api/v1/push/schedule",
            Some(token),
            Some(schedule.clone()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, schedule);
}

async fn run_at(app: &TestApp, instant: &str) -> RunReport {
    at(app, instant);
    app.recommender().push.run_due().await.unwrap()
}

async fn last_point(app: &TestApp, token: &str) -> Option<String> {
    let me = app.get("/api/v1/me", token).await;
    let id = uuid::Uuid::parse_str(me.body["id"].as_str().unwrap()).unwrap();
    let at: Option<Option<Timestamp>> = with_db!(app.db(), pool => {
        sqlx::query_scalar("SELECT last_point_at FROM rec_schedules WHERE user_id = $1")
            .bind(id).fetch_optional(pool).await.unwrap()
    });
    at.flatten().map(|t| t.to_string())
}

lifeos_kernel::dialect_test! {
    async fn a_decision_point_pushes_the_tip_encrypted_and_signed(db: TestDatabase) {
        let fake = FakePush::start().await;
        let app = push_app(&db).await;
        at(&app, MORNING);
        let ada = person(&app, "ada@example.com", true).await;

        let key = app.get("/api/v1/push/vapid-public-key", &ada).await;
        assert_eq!(key.status, StatusCode::OK, "{}", key.body);
        let public_key = key.body["publicKey"].as_str().unwrap().to_owned();
        assert_eq!(webpush::decode_base64url(&public_key).unwrap().len(), 65);
        assert_eq!(
            app.get("/api/v1/push/vapid-public-key", &ada).await.body["publicKey"],
            public_key.as_str(),
            "generated once"
        );

        let laptop = fake.subscription("laptop");
        let created = app.post("/api/v1/push/subscriptions", Some(&ada), laptop.clone()).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert_eq!(created.body["endpoint"], laptop["endpoint"]);
        let again = app.post("/api/v1/push/subscriptions", Some(&ada), laptop).await;
        assert_eq!(again.status, StatusCode::OK, "{}", again.body);
        assert_eq!(again.body["id"], created.body["id"]);
        subscribe(&app, &ada, fake.subscription("phone")).await;
        let list = app.get("/api/v1/push/subscriptions", &ada).await;
        assert_eq!(list.body["items"].as_array().unwrap().len(), 2, "{}", list.body);

        put_schedule(
            &app,
            &ada,
            json!({ "times": ["08:30", "12:00"], "quietHours": { "start": "22:00", "end": "07:00" } }),
        )
        .await;

        assert_eq!(run_at(&app, "2026-06-10T06:29:00Z").await.points, 0, "not yet");
        let report = run_at(&app, "2026-06-10T06:31:00Z").await;
        assert_eq!(report.points, 1, "{report:?}");
        assert_eq!(report.tips, 1, "a due habit is a candidate: {report:?}");
        assert_eq!((report.pushed, report.failed, fake.rejected()), (2, 0, 0), "{report:?}");
        let received = fake.received();
        let mut names: Vec<&str> = received.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, vec!["laptop", "phone"]);
        let payload = &received[0].payload;
        assert_eq!(received[1].payload, *payload, "one decision, one tip for every browser");
        assert!(payload["tipId"].is_string() && payload["decisionId"].is_string(), "{payload}");
        assert!(payload["text"].is_string() && payload["reason"].is_string(), "{payload}");
        assert!(matches!(payload["kind"].as_str(), Some("todo" | "advice")), "{payload}");
        assert_eq!(received[0].vapid_key, public_key);
        let token = app.login("ada@example.com").await;
        assert_eq!(
            last_point(&app, &token).await.as_deref(),
            Some("2026-06-10T06:30:00Z")
        );

        // The same point again does nothing; the next point (12:00) pushes once more.
        assert_eq!(run_at(&app, "2026-06-10T06:40:00Z").await, RunReport::default());
        assert_eq!(fake.received().len(), 2);
        assert_eq!(run_at(&app, "2026-06-10T10:45:00Z").await.points, 0, "past the grace");
        // The laptop's browser renews its keys: same endpoint, same id, the new keys used.
        let token = app.login("ada@example.com").await;
        let renewed = app
            .post("/api/v1/push/subscriptions", Some(&token), fake.subscription("laptop"))
            .await;
        assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.body);
        assert_eq!(renewed.body["id"], created.body["id"]);
        assert_eq!(run_at(&app, "2026-06-10T10:00:00Z").await.points, 1);
        assert_eq!(fake.received().len(), 4);
        assert_eq!(fake.rejected(), 0, "the renewed keys open the message");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn quiet_hours_and_a_missing_consent_push_nothing(db: TestDatabase) {
        let fake = FakePush::start().await;
        let app = push_app(&db).await;
        at(&app, "2026-06-10T03:00:00Z");
        let ada = person(&app, "ada@example.com", true).await;
        let bob = person(&app, "bob@example.com", false).await;
        subscribe(&app, &ada, fake.subscription("ada")).await;
        subscribe(&app, &bob, fake.subscription("bob")).await;
        let schedule = json!({ "times": ["06:30", "09:00"], "quietHours": { "start": "22:00", "end": "07:00" } });
        put_schedule(&app, &ada, schedule.clone()).await;
        put_schedule(&app, &bob, schedule).await;

        // 06:30 Berlin is in the quiet hours: no point at all.
        assert_eq!(run_at(&app, "2026-06-10T04:31:00Z").await, RunReport::default());
        // 09:00: Ada's tip; Bob never consented, so nothing is decided for him.
        let report = run_at(&app, "2026-06-10T07:01:00Z").await;
        assert_eq!((report.points, report.pushed), (1, 1), "{report:?}");
        let received = fake.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].name, "ada");
        let bob = app.login("bob@example.com").await;
        assert_eq!(last_point(&app, &bob).await, None, "Bob's point is not even claimed");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_gone_subscription_is_forgotten_and_a_failing_one_counted(db: TestDatabase) {
        let fake = FakePush::start().await;
        let app = push_app(&db).await;
        at(&app, MORNING);
        let ada = person(&app, "ada@example.com", true).await;
        subscribe(&app, &ada, fake.subscription("old")).await;

        fake.answer(500);
        let report = run_at(&app, "2026-06-10T06:31:00Z").await;
        assert_eq!((report.pushed, report.failed, report.gone), (0, 1, 0), "{report:?}");
        let failures: i64 = with_db!(app.db(), pool => {
            sqlx::query_scalar("SELECT CAST(failures AS BIGINT) FROM push_subscriptions")
                .fetch_one(pool).await.unwrap()
        });
        assert_eq!(failures, 1);

        fake.answer(410);
        let report = run_at(&app, "2026-06-10T09:01:00Z").await;
        assert_eq!((report.pushed, report.failed, report.gone), (0, 0, 1), "{report:?}");
        let ada = app.login("ada@example.com").await;
        let list = app.get("/api/v1/push/subscriptions", &ada).await;
        assert_eq!(list.body["items"], json!([]), "{}", list.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn two_replicas_push_one_point_once(db: TestDatabase) {
        let fake = FakePush::start().await;
        let one = push_app(&db).await;
        let two = push_app(&db).await;
        at(&one, MORNING);
        at(&two, MORNING);
        let ada = person(&one, "ada@example.com", true).await;
        subscribe(&one, &ada, fake.subscription("laptop")).await;
        // Both replicas sign with the one stored key.
        assert_eq!(
            one.get("/api/v1/push/vapid-public-key", &ada).await.body,
            two.get("/api/v1/push/vapid-public-key", &ada).await.body
        );

        let now = Timestamp::parse("2026-06-10T06:31:00Z").unwrap();
        let (a, b, c) = tokio::join!(
            one.recommender().push.run_due_at(now),
            two.recommender().push.run_due_at(now),
            one.recommender().push.run_due_at(now),
        );
        let points = a.unwrap().points + b.unwrap().points + c.unwrap().points;
        assert_eq!(points, 1, "{}", one.label);
        assert_eq!(fake.received().len(), 1);
        assert_eq!(fake.rejected(), 0);
        one.stop().await;
        two.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn subscriptions_are_each_persons_own(db: TestDatabase) {
        let fake = FakePush::start().await;
        let app = push_app(&db).await;
        let ada = app.user("ada@example.com").await;
        let bob = app.user("bob@example.com").await;
        let laptop = fake.subscription("laptop");
        let ada_sub = subscribe(&app, &ada, laptop.clone()).await;
        let id = ada_sub["id"].as_str().unwrap();

        app.call(Method::DELETE, &format!("/api/v1/push/subscriptions/{id}"), Some(&bob), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        assert_eq!(app.get("/api/v1/push/subscriptions", &bob).await.body["items"], json!([]));
        assert_eq!(
            app.get("/api/v1/push/subscriptions", &ada).await.body["items"][0]["id"],
            id
        );

        // The browser signs in as Bob: the endpoint moves to him under a new id.
        let moved = app.post("/api/v1/push/subscriptions", Some(&bob), laptop).await;
        assert_eq!(moved.status, StatusCode::CREATED, "{}", moved.body);
        assert_ne!(moved.body["id"], id);
        assert_eq!(app.get("/api/v1/push/subscriptions", &ada).await.body["items"], json!([]));
        app.call(Method::DELETE, &format!("/api/v1/push/subscriptions/{id}"), Some(&ada), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        let bobs = moved.body["id"].as_str().unwrap();
        let gone = app
            .call(Method::DELETE, &format!("/api/v1/push/subscriptions/{bobs}"), Some(&bob), None)
            .await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT);
        assert_eq!(app.get("/api/v1/push/subscriptions", &bob).await.body["items"], json!([]));

        // Schedules too: Bob's stays the default when Ada sets hers.
        put_schedule(&app, &ada, json!({ "times": ["07:15"], "quietHours": null })).await;
        let default = app.get("/api/v1/push/schedule", &bob).await;
        assert_eq!(
            default.body,
            json!({
                "times": ["08:30", "11:00", "13:30", "16:00", "19:30"],
                "quietHours": { "start": "22:00", "end": "07:00" }
            })
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn bad_subscriptions_and_schedules_are_refused(db: TestDatabase) {
        // The default configuration: no plain http, not even on loopback.
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let browser = Browser::new();
        let good_keys = json!({ "p256dh": browser.p256dh(), "auth": browser.auth() });
        let cases = [
            (json!({ "endpoint": "http://127.0.0.1:9/push/x", "keys": good_keys }), "endpoint"),
            (json!({ "endpoint": "http://push.example/x", "keys": good_keys }), "endpoint"),
            (json!({ "endpoint": "not a url", "keys": good_keys }), "endpoint"),
            (
                json!({ "endpoint": "https://push.example/x",
                        "keys": { "p256dh": webpush::encode_base64url(&[4u8; 65]), "auth": browser.auth() } }),
                "keys.p256dh",
            ),
            (
                json!({ "endpoint": "https://push.example/x",
                        "keys": { "p256dh": browser.p256dh(), "auth": webpush::encode_base64url(&[1u8; 15]) } }),
                "keys.auth",
            ),
        ];
        for (body, field) in cases {
            let reply = app.post("/api/v1/push/subscriptions", Some(&ada), body.clone()).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(reply.body["errors"][0]["field"], field, "{body}: {}", reply.body);
        }
        app.post("/api/v1/push/subscriptions", Some(&ada), json!({ "endpoint": "https://push.example/x" }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        let ok = app
            .post(
                "/api/v1/push/subscriptions",
                Some(&ada),
                json!({ "endpoint": "https://push.example/x", "expirationTime": null, "keys": good_keys }),
            )
            .await;
        assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);

        let schedules = [
            (json!({ "times": [], "quietHours": null }), "times"),
            (json!({ "times": ["9:00"], "quietHours": null }), "times[0]"),
            (json!({ "times": ["09:00", "08:00"], "quietHours": null }), "times"),
            (json!({ "times": ["09:00", "09:00"], "quietHours": null }), "times"),
            (json!({ "times": ["09:00"], "quietHours": { "start": "7:00", "end": "08:00" } }), "quietHours.start"),
            (json!({ "times": ["09:00"], "quietHours": { "start": "07:00", "end": "07:00" } }), "quietHours"),
            (json!({ "times": ["23:00"], "quietHours": { "start": "22:00", "end": "07:00" } }), "times"),
        ];
        for (body, field) in schedules {
            let reply = app.call(Method::PUT, "/api/v1/push/schedule", Some(&ada), Some(body.clone())).await;
            reply.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert_eq!(reply.body["errors"][0]["field"], field, "{body}: {}", reply.body);
        }
        let thirteen: Vec<String> = (0..13).map(|h| format!("{:02}:00", h + 8)).collect();
        app.call(Method::PUT, "/api/v1/push/schedule", Some(&ada), Some(json!({ "times": thirteen, "quietHours": null })))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        app.call(Method::PUT, "/api/v1/push/schedule", Some(&ada), Some(json!({ "times": ["09:00"], "quiet": null })))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        app.call(Method::DELETE, &format!("/api/v1/push/subscriptions/{}", crate::common::new_id()), Some(&ada), None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn decision_points_follow_the_persons_zone_across_dst(db: TestDatabase) {
        let fake = FakePush::start().await;
        let app = push_app(&db).await;
        at(&app, "2026-10-24T06:00:00Z");
        let ada = person(&app, "ada@example.com", true).await;
        subscribe(&app, &ada, fake.subscription("laptop")).await;
        put_schedule(&app, &ada, json!({ "times": ["08:30"], "quietHours": null })).await;

        // Saturday, summer time: 08:30 is 06:30Z.
        assert_eq!(run_at(&app, "2026-10-24T06:31:00Z").await.points, 1);
        // Sunday 2026-10-25 the clocks went back: 06:31Z is only 07:31, 08:30 is 07:30Z.
        assert_eq!(run_at(&app, "2026-10-25T06:31:00Z").await.points, 0);
        assert_eq!(run_at(&app, "2026-10-25T07:31:00Z").await.points, 1);
        let ada = app.login("ada@example.com").await;
        assert_eq!(
            last_point(&app, &ada).await.as_deref(),
            Some("2026-10-25T07:30:00Z")
        );
        assert_eq!(fake.rejected(), 0);
        app.stop().await;
    }
}
