//! `LIFEOS_REGISTRATION` (issue 10): `open` (the default) lets anyone register, `closed`
//! no one (403 `registration_closed`, nothing stored), `invite` whoever holds an unused,
//! unexpired invite code meant for them (403 `invite_invalid` otherwise), and a code admits
//! exactly one account even when registrations race for it.

use lifeos_identity::RegistrationPolicy;
use lifeos_identity::tokens;
use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, with_db, with_writer};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{PASSWORD, Reply, TestApp};

async fn register(app: &TestApp, email: &str, invite_code: Option<&str>) -> Reply {
    let mut body = json!({ "email": email, "password": PASSWORD });
    if let Some(code) = invite_code {
        body["inviteCode"] = json!(code);
    }
    app.post("/api/v1/auth/register", None, body).await
}

/// An invite as `lifeos invite create` stores it (only the code's hash), valid for `days`
/// on the app's clock, for `email_key` only when given: its code.
async fn invite(app: &TestApp, email_key: Option<&str>, days: i64) -> String {
    let code = tokens::new_invite_code();
    let now = app.now();
    let sql = "INSERT INTO invites (code_hash, email_key, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    with_writer!(app.db(), pool => {
        sqlx::query(sql)
            .bind(tokens::hash_token(&code))
            .bind(email_key)
            .bind(now)
            .bind(now + time::Duration::days(days))
            .execute(pool)
            .await
            .unwrap();
    });
    code
}

async fn count(db: &Db, table: &str) -> i64 {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
    with_db!(db, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.unwrap())
}

lifeos_kernel::dialect_test! {
    async fn registration_is_open_by_default(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let created = register(&app, "ada@example.com", None).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}: {}", db.label, created.body);
        assert_eq!(created.body["user"]["emailVerified"], false);
        // An invite code is ignored when registration is open.
        let created = register(&app, "bob@example.com", Some("lfi_whatever")).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn closed_registration_refuses_and_stores_nothing(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |c| c.registration = RegistrationPolicy::Closed).await;
        let code = invite(&app, None, 7).await;
        for code in [None, Some(code.as_str())] {
            let refused = register(&app, "ada@example.com", code).await;
            refused.assert_problem(StatusCode::FORBIDDEN, "registration_closed");
            let detail = refused.body["detail"].as_str().unwrap();
            assert!(
                detail.contains("does not accept new accounts") && detail.contains("operator"),
                "{}: {detail}",
                db.label
            );
        }
        // Even an invalid body gets the same answer: nothing is looked at.
        register(&app, "not-an-address", None)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "registration_closed");
        assert_eq!(count(app.db(), "users").await, 0, "{}", db.label);
        assert_eq!(count(app.db(), "email_tokens").await, 0);
        assert_eq!(count(app.db(), "invites").await, 1, "the invite is untouched");
        assert!(app.mailed_token("ada@example.com", "verify-email").is_none(), "no mail");
        app.post("/api/v1/auth/login", None, json!({ "email": "ada@example.com", "password": PASSWORD }))
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn invite_registration_needs_a_valid_code_meant_for_the_address(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |c| c.registration = RegistrationPolicy::Invite).await;

        // No code: the sentence says an invitation is needed.
        for code in [None, Some(""), Some("   ")] {
            let refused = register(&app, "ada@example.com", code).await;
            refused.assert_problem(StatusCode::FORBIDDEN, "registration_closed");
            let detail = refused.body["detail"].as_str().unwrap();
            assert!(detail.contains("invitation") && detail.contains("invite code"), "{}: {detail}", db.label);
        }
        // Unknown.
        let unknown = register(&app, "ada@example.com", Some(&tokens::new_invite_code())).await;
        unknown.assert_problem(StatusCode::FORBIDDEN, "invite_invalid");
        assert!(unknown.body["detail"].as_str().unwrap().contains("ask the operator"), "{}", unknown.body);

        // Meant for someone else (case-insensitive match for the right one).
        let for_ada = invite(&app, Some("ada@example.com"), 7).await;
        register(&app, "bob@example.com", Some(&for_ada))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "invite_invalid");
        // A bad body with a good code: 422, and the code is still good.
        let short = app
            .post("/api/v1/auth/register", None, json!({ "email": "ada@example.com", "password": "short", "inviteCode": for_ada }))
            .await;
        short.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let ada = register(&app, " ADA@example.com ", Some(&format!(" {for_ada} "))).await;
        assert_eq!(ada.status, StatusCode::CREATED, "{}: {}", db.label, ada.body);
        assert_eq!(ada.body["user"]["emailVerified"], false, "an invite is not a verified address");

        // Used: the row is gone, so it cannot be used again.
        assert_eq!(count(app.db(), "invites").await, 0, "{}", db.label);
        register(&app, "ada2@example.com", Some(&for_ada))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "invite_invalid");

        // A taken address does not use up the code.
        let open = invite(&app, None, 7).await;
        register(&app, "ada@example.com", Some(&open))
            .await
            .assert_problem(StatusCode::CONFLICT, "email_taken");
        assert_eq!(count(app.db(), "invites").await, 1);
        let bob = register(&app, "bob@example.com", Some(&open)).await;
        assert_eq!(bob.status, StatusCode::CREATED, "{}", bob.body);

        // Expired.
        let soon = invite(&app, None, 2).await;
        app.clock.advance(time::Duration::days(2));
        register(&app, "carol@example.com", Some(&soon))
            .await
            .assert_problem(StatusCode::FORBIDDEN, "invite_invalid");
        assert_eq!(count(app.db(), "users").await, 2);
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn one_invite_code_admits_one_of_concurrent_registrations(db: TestDatabase) {
        let app = TestApp::spawn_with(&db, |c| c.registration = RegistrationPolicy::Invite).await;
        for round in 0..3 {
            let code = invite(&app, None, 7).await;
            let attempts = (0..4).map(|i| {
                let email = format!("racer{round}-{i}@example.com");
                let app = &app;
                let code = code.clone();
                async move { register(app, &email, Some(&code)).await }
            });
            let replies = futures_util::future::join_all(attempts).await;
            let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
            assert_eq!(created, 1, "{}: round {round}: {:?}", db.label,
                replies.iter().map(|r| (r.status, r.body["code"].clone())).collect::<Vec<_>>());
            for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
                reply.assert_problem(StatusCode::FORBIDDEN, "invite_invalid");
            }
        }
        assert_eq!(count(app.db(), "users").await, 3, "{}", db.label);
        assert_eq!(count(app.db(), "invites").await, 0);
        app.stop().await;
    }
}
