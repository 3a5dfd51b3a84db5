//! Accounts and sessions: register, login, refresh rotation, reuse detection, logout,
//! access-token checks, e-mail verification, magic links, rate limits and login throttling.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lifeos_kernel::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::json;
use time::Duration;

use crate::common::{JWT_SECRET, PASSWORD, Reply, TestApp, refresh_token, token};

lifeos_kernel::dialect_test! {
    async fn register_login_and_read_me(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let reply = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": " Ada@Example.com ", "password": PASSWORD, "displayName": "Ada", "timezone": "Europe/Berlin" }),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        assert_eq!(reply.body["user"]["email"], "Ada@Example.com");
        assert_eq!(reply.body["user"]["timezone"], "Europe/Berlin");
        assert_eq!(reply.body["user"]["dayStartHour"], 0);
        assert_eq!(reply.body["user"]["emailVerified"], false);
        assert_eq!(reply.body["expiresIn"], 900);
        assert!(refresh_token(&reply.body).starts_with("lfr_"));

        let me = app.get("/api/v1/me", &token(&reply.body)).await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["displayName"], "Ada");

        let again = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": "ADA@example.COM", "password": PASSWORD }),
            )
            .await;
        again.assert_problem(StatusCode::CONFLICT, "email_taken");

        let login = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "ada@example.com", "password": PASSWORD }),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        assert_eq!(
            app.get("/api/v1/me", &token(&login.body)).await.body["email"],
            "Ada@Example.com"
        );

        let wrong = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "ada@example.com", "password": "not the password" }),
            )
            .await;
        wrong.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
        let unknown = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "nobody@example.com", "password": PASSWORD }),
            )
            .await;
        unknown.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert_eq!(
            wrong.body["detail"], unknown.body["detail"],
            "unknown e-mail and wrong password look alike"
        );

        let short = app
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": "bob@example.com", "password": "too short" }),
            )
            .await;
        short.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(short.body["errors"][0]["field"], "password");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn refresh_rotates_and_reuse_revokes_the_whole_family(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let first = app.register("ada@example.com").await;
        let r1 = refresh_token(&first);

        let second = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": r1 }))
            .await;
        assert_eq!(second.status, StatusCode::OK, "{}", second.body);
        let r2 = refresh_token(&second.body);
        assert_ne!(r1, r2, "every refresh returns a new refresh token");
        app.clock.advance(Duration::minutes(1));
        let third = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": r2 }))
            .await;
        let r3 = refresh_token(&third.body);
        let access3 = token(&third.body);
        assert_eq!(app.get("/api/v1/me", &access3).await.status, StatusCode::OK);

        // r1 was rotated long ago and is not the latest rotation: reuse.
        let reused = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": r1 }))
            .await;
        reused.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_reused");
        let after = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": r3 }))
            .await;
        after.assert_problem(StatusCode::UNAUTHORIZED, "invalid_refresh_token");
        app.get("/api/v1/me", &access3)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.get("/api/v1/me", &token(&first))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");

        let bogus = app
            .post(
                "/api/v1/auth/refresh",
                None,
                json!({ "refreshToken": "lfr_not-a-token" }),
            )
            .await;
        bogus.assert_problem(StatusCode::UNAUTHORIZED, "invalid_refresh_token");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_lost_refresh_response_can_be_retried_within_thirty_seconds(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let r1 = refresh_token(&app.register("ada@example.com").await);
        let first = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": r1 }))
            .await;
        assert_eq!(first.status, StatusCode::OK);

        app.clock.advance(Duration::seconds(20));
        let retry = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": r1 }))
            .await;
        assert_eq!(retry.status, StatusCode::OK, "{}", retry.body);
        assert_eq!(
            retry.body["refreshToken"], first.body["refreshToken"],
            "same successor, never a new one"
        );
        assert_eq!(retry.body["accessToken"], first.body["accessToken"]);
        assert_eq!(retry.body["expiresIn"], 880);

        app.clock.advance(Duration::seconds(11));
        let late = app
            .post("/api/v1/auth/refresh", None, json!({ "refreshToken": r1 }))
            .await;
        late.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_reused");
        app.get("/api/v1/me", &token(&first.body))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn concurrent_refreshes_of_one_token_get_one_pair(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let r1 = refresh_token(&app.register("ada@example.com").await);
        let body = json!({ "refreshToken": r1 });
        let (a, b) = tokio::join!(
            app.post("/api/v1/auth/refresh", None, body.clone()),
            app.post("/api/v1/auth/refresh", None, body)
        );
        assert_eq!(
            (a.status, b.status),
            (StatusCode::OK, StatusCode::OK),
            "{} / {}",
            a.body,
            b.body
        );
        assert_eq!(a.body["refreshToken"], b.body["refreshToken"]);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn logout_ends_the_session_at_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.register("ada@example.com").await;
        let login = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "ada@example.com", "password": PASSWORD }),
            )
            .await;
        let other = app
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": "ada@example.com", "password": PASSWORD }),
            )
            .await;
        let out = app
            .post(
                "/api/v1/auth/logout",
                None,
                json!({ "refreshToken": refresh_token(&login.body) }),
            )
            .await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        app.get("/api/v1/me", &token(&login.body))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refreshToken": refresh_token(&login.body) }),
        )
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_refresh_token");
        assert_eq!(
            app.get("/api/v1/me", &token(&other.body)).await.status,
            StatusCode::OK,
            "other sessions live on"
        );
        app.stop().await;
    }
}

fn forge(claims: serde_json::Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

lifeos_kernel::dialect_test! {
    async fn bad_access_tokens_are_rejected(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let session = app.register("ada@example.com").await;
        let good = token(&session);
        let claims: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(good.split('.').nth(1).unwrap())
                .unwrap(),
        )
        .unwrap();

        let mut tampered = good.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        app.get("/api/v1/me", &tampered)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");

        let mut wrong_audience = claims.clone();
        wrong_audience["aud"] = json!("someone-else");
        let forged = forge(wrong_audience, JWT_SECRET.as_bytes());
        app.get("/api/v1/me", &forged)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");

        let mut wrong_issuer = claims.clone();
        wrong_issuer["iss"] = json!("evil");
        let forged = forge(wrong_issuer, JWT_SECRET.as_bytes());
        app.get("/api/v1/me", &forged)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");

        let mut wrong_type = claims.clone();
        wrong_type["typ"] = json!("refresh");
        let forged = forge(wrong_type, JWT_SECRET.as_bytes());
        app.get("/api/v1/me", &forged)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");

        let other_secret = forge(
            claims.clone(),
            b"another-secret-another-secret-another-secret",
        );
        app.get("/api/v1/me", &other_secret)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");

        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let none_claims = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let alg_none = format!("{none_header}.{none_claims}.");
        app.get("/api/v1/me", &alg_none)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");

        let not_bearer = app
            .http
            .get(app.url("/api/v1/me"))
            .header("authorization", format!("Basic {good}"))
            .send()
            .await
            .unwrap();
        assert_eq!(not_bearer.status(), StatusCode::UNAUTHORIZED);

        app.clock.advance(Duration::seconds(15 * 60 + 20));
        assert_eq!(
            app.get("/api/v1/me", &good).await.status,
            StatusCode::OK,
            "inside the 30 s leeway"
        );
        app.clock.advance(Duration::seconds(11));
        let expired = app.get("/api/v1/me", &good).await;
        expired.assert_problem(StatusCode::UNAUTHORIZED, "invalid_access_token");
        assert!(expired.body["detail"].as_str().unwrap().contains("expired"));
        assert_eq!(expired.headers["www-authenticate"], "Bearer");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn email_verification_through_the_mailed_link(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.register("ada@example.com").await;
        let token = app
            .mailed_token("ada@example.com", "verify-email")
            .expect("verification mail written");
        assert!(token.len() >= 43);

        let verified = app
            .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
            .await;
        assert_eq!(verified.status, StatusCode::OK, "{}", verified.body);
        assert_eq!(verified.body["emailVerified"], true);
        app.post("/api/v1/auth/verify-email", None, json!({ "token": token }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");

        app.register("bob@example.com").await;
        let late = app.mailed_token("bob@example.com", "verify-email").unwrap();
        app.clock.advance(Duration::minutes(61));
        app.post("/api/v1/auth/verify-email", None, json!({ "token": late }))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn magic_link_signs_in_once(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.register("ada@example.com").await;
        let asked = app
            .post(
                "/api/v1/auth/magic-link",
                None,
                json!({ "email": "ADA@example.com" }),
            )
            .await;
        assert_eq!(asked.status, StatusCode::ACCEPTED);
        let unknown = app
            .post(
                "/api/v1/auth/magic-link",
                None,
                json!({ "email": "nobody@example.com" }),
            )
            .await;
        assert_eq!(
            unknown.status,
            StatusCode::ACCEPTED,
            "no hint whether the account exists"
        );
        assert!(
            app.mailed_token("nobody@example.com", "magic-link")
                .is_none()
        );

        let link = app
            .mailed_token("ada@example.com", "magic-link")
            .expect("magic link mailed");
        let session = app
            .post(
                "/api/v1/auth/magic-link/consume",
                None,
                json!({ "token": link }),
            )
            .await;
        assert_eq!(session.status, StatusCode::OK, "{}", session.body);
        assert_eq!(
            session.body["user"]["emailVerified"], true,
            "following the link proves the address"
        );
        assert_eq!(
            app.get("/api/v1/me", &token(&session.body)).await.status,
            StatusCode::OK
        );
        app.post(
            "/api/v1/auth/magic-link/consume",
            None,
            json!({ "token": link }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");

        app.post(
            "/api/v1/auth/magic-link",
            None,
            json!({ "email": "ada@example.com" }),
        )
        .await;
        let expiring = app.mailed_token("ada@example.com", "magic-link").unwrap();
        assert_ne!(expiring, link);
        app.clock.advance(Duration::minutes(16));
        app.post(
            "/api/v1/auth/magic-link/consume",
            None,
            json!({ "token": expiring }),
        )
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_token");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn magic_link_requests_are_rate_limited(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        app.register("ada@example.com").await;

        // Per client address: ten addresses' worth of magic links from one client.
        for n in 0..10 {
            let reply = app
                .post(
                    "/api/v1/auth/magic-link",
                    None,
                    json!({ "email": format!("user{n}@example.com") }),
                )
                .await;
            assert_eq!(reply.status, StatusCode::ACCEPTED);
        }
        app.post(
            "/api/v1/auth/magic-link",
            None,
            json!({ "email": "user11@example.com" }),
        )
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");

        // Per account: three links per 15 minutes for one address.
        app.clock.advance(Duration::minutes(1));
        for _ in 0..3 {
            assert_eq!(
                app.post(
                    "/api/v1/auth/magic-link",
                    None,
                    json!({ "email": "ada@example.com" })
                )
                .await
                .status,
                StatusCode::ACCEPTED
            );
        }
        app.post(
            "/api/v1/auth/magic-link",
            None,
            json!({ "email": "ada@example.com" }),
        )
        .await
        .assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
        app.stop().await;
    }
}

/// The attacker's and the owner's client addresses (documentation ranges).
const ATTACKER: &str = "203.0.113.7";
const OWNER: &str = "198.51.100.20";
const WRONG: &str = "wrong password!";

/// The app behind a trusted proxy, so each request can name its client address.
async fn behind_proxy(db: &TestDatabase) -> TestApp {
    TestApp::spawn_with(db, |config| config.trust_proxy = true).await
}

/// `POST /auth/login` as if from `client` (via `X-Forwarded-For`).
async fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> Reply {
    let request = app
        .http
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({ "email": email, "password": password }));
    Reply::from(request.send().await.unwrap()).await
}

/// `count` wrong passwords from `client`, each answered 401.
async fn fail_logins(app: &TestApp, client: &str, email: &str, count: usize) {
    for n in 0..count {
        let reply = login_from(app, client, email, WRONG).await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "failure {n}: {}",
            reply.body
        );
    }
}

/// A 429 `rate_limited` answer's `Retry-After` in seconds.
#[track_caller]
fn throttled_for(reply: &Reply) -> u64 {
    reply.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    reply.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

lifeos_kernel::dialect_test! {
    async fn an_attacker_elsewhere_does_not_lock_the_owner_out(db: TestDatabase) {
        let app = behind_proxy(&db).await;
        app.register("ada@example.com").await;
        fail_logins(&app, ATTACKER, "ada@example.com", 10).await;
        let held = login_from(&app, ATTACKER, "ada@example.com", PASSWORD).await;
        assert_eq!(throttled_for(&held), 1, "a backoff, not a five-minute lock");
        let detail = held.body["detail"].as_str().unwrap();
        assert!(detail.contains("magic link"), "{detail}");

        // The owner's address has not failed on this account: a typo and the right
        // password both go through the account's backoff.
        let typo = login_from(&app, OWNER, "ada@example.com", WRONG).await;
        typo.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
        let owner = login_from(&app, OWNER, "ada@example.com", PASSWORD).await;
        assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn failed_logins_past_the_threshold_back_off_exponentially(db: TestDatabase) {
        let app = behind_proxy(&db).await;
        app.register("ada@example.com").await;
        fail_logins(&app, ATTACKER, "ada@example.com", 10).await;
        for wait in [1, 2, 4, 8] {
            let held = login_from(&app, ATTACKER, "ada@example.com", WRONG).await;
            assert_eq!(throttled_for(&held), wait);
            // Even the right password is not tried while held back.
            let guessed = login_from(&app, ATTACKER, "ada@example.com", PASSWORD).await;
            assert_eq!(throttled_for(&guessed), wait);
            app.clock.advance(Duration::seconds(wait.try_into().unwrap()));
            fail_logins(&app, ATTACKER, "ada@example.com", 1).await;
        }
        let held = login_from(&app, ATTACKER, "ada@example.com", WRONG).await;
        assert_eq!(throttled_for(&held), 16);

        // An e-mail without an account is throttled the same way: no hint it is unknown.
        fail_logins(&app, OWNER, "nobody@example.com", 10).await;
        let unknown = login_from(&app, OWNER, "nobody@example.com", WRONG).await;
        assert_eq!(throttled_for(&unknown), 1);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn a_magic_link_signs_in_during_an_attack_and_clears_the_backoff(db: TestDatabase) {
        let app = behind_proxy(&db).await;
        app.register("ada@example.com").await;
        fail_logins(&app, ATTACKER, "ada@example.com", 10).await;
        throttled_for(&login_from(&app, ATTACKER, "ada@example.com", WRONG).await);

        let asked = app
            .post("/api/v1/auth/magic-link", None, json!({ "email": "ada@example.com" }))
            .await;
        assert_eq!(asked.status, StatusCode::ACCEPTED, "{}", asked.body);
        let link = app.mailed_token("ada@example.com", "magic-link").unwrap();
        let signed_in = app
            .post("/api/v1/auth/magic-link/consume", None, json!({ "token": link }))
            .await;
        assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);

        // The sign-in proved the owner: the account's failures are forgotten.
        let after = login_from(&app, ATTACKER, "ada@example.com", WRONG).await;
        after.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
        let owner = login_from(&app, ATTACKER, "ada@example.com", PASSWORD).await;
        assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn one_address_is_stopped_after_thirty_logins_a_minute(db: TestDatabase) {
        let app = behind_proxy(&db).await;
        app.register("ada@example.com").await;
        // Thirty different accounts: no account's backoff is involved.
        for n in 0..30 {
            let email = format!("user{n}@example.com");
            fail_logins(&app, ATTACKER, &email, 1).await;
        }
        let stopped = login_from(&app, ATTACKER, "ada@example.com", PASSWORD).await;
        let wait = throttled_for(&stopped);
        assert!((1..=60).contains(&wait), "{wait}");
        let owner = login_from(&app, OWNER, "ada@example.com", PASSWORD).await;
        assert_eq!(owner.status, StatusCode::OK, "other addresses are not affected");
        app.clock.advance(Duration::minutes(1));
        let later = login_from(&app, ATTACKER, "ada@example.com", PASSWORD).await;
        assert_eq!(later.status, StatusCode::OK, "the window passed: {}", later.body);
        app.stop().await;
    }
}
