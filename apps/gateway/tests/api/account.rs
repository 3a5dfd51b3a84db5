//! Profile, API keys and scopes, consents, export and erasure.

use lifeos_kernel::testing::TestDatabase;
use lifeos_kernel::{Db, with_db};
use reqwest::{Method, StatusCode};
use serde_json::json;
use uuid::Uuid;

use crate::common::{PASSWORD, TestApp, token};

lifeos_kernel::dialect_test! {
    async fn profile_updates_are_validated(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let patch = |body| app.call(Method::PATCH, "/api/v1/me", Some(&ada), Some(body));

        let updated = patch(
            json!({ "displayName": " Ada L. ", "timezone": "Europe/Berlin", "dayStartHour": 4 }),
        )
        .await;
        assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
        assert_eq!(updated.body["displayName"], "Ada L.");
        assert_eq!(updated.body["timezone"], "Europe/Berlin");
        assert_eq!(updated.body["dayStartHour"], 4);

        let bad = patch(json!({ "timezone": "Mars/Olympus", "dayStartHour": 24 })).await;
        bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let fields: Vec<_> = bad.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, vec!["timezone", "dayStartHour"]);
        assert_eq!(
            app.get("/api/v1/me", &ada).await.body["timezone"],
            "Europe/Berlin",
            "nothing changed"
        );

        let cleared = patch(json!({ "displayName": null })).await;
        assert_eq!(cleared.body["displayName"], serde_json::Value::Null);
        assert_eq!(
            cleared.body["timezone"], "Europe/Berlin",
            "absent fields stay"
        );
        app.stop().await;
    }
}

lifeos_kernel::dialect_test! {
    async fn api_keys_authenticate_with_their_scopes(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let created = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "voice", "scopes": ["read"] }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let read_key = created.body["key"].as_str().unwrap().to_owned();
        assert!(
            read_key.starts_with("lfs_") && read_key.len() >= 4 + 22,
            "lfs_ + at least 128 bits"
        );
        assert!(read_key.starts_with(created.body["prefix"].as_str().unwrap()));
        assert_eq!(created.body["scopes"], json!(["read"]));
        assert_eq!(created.body["lastUsedAt"], serde_json::Value::Null);

        let me = app
            .with_key(Method::GET, "/api/v1/me", &read_key, None)
            .await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["email"], "ada@example.com");
        app.with_key(
            Method::PATCH,
            "/api/v1/me",
            &read_key,
            Some(json!({ "dayStartHour": 5 })),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "insufficient_scope");

        let write = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "script", "scopes": ["read", "write"] }),
            )
            .await;
        let write_key = write.body["key"].as_str().unwrap().to_owned();
        let patched = app
            .with_key(
                Method::PATCH,
                "/api/v1/me",
                &write_key,
                Some(json!({ "dayStartHour": 5 })),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK, "{}", patched.body);
        app.with_key(
            Method::POST,
            "/api/v1/me/api-keys",
            &write_key,
            Some(json!({ "name": "x", "scopes": ["read"] })),
        )
        .await
        .assert_problem(StatusCode::FORBIDDEN, "session_required");
        app.with_key(Method::DELETE, "/api/v1/me", &write_key, None)
            .await
            .assert_problem(StatusCode::FORBIDDEN, "session_required");

        let list = app.get("/api/v1/me/api-keys", &ada).await;
        assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
        assert_eq!(list.body["nextCursor"], serde_json::Value::Null);
        let listed = &list.body["items"][0];
        assert_eq!(listed["name"], "voice");
        assert!(
            listed.get("key").is_none(),
            "the secret is never shown again"
        );
        assert!(listed["lastUsedAt"].is_string(), "use was recorded");

        let page = app.get("/api/v1/me/api-keys?limit=1", &ada).await;
        assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
        let cursor = page.body["nextCursor"]
            .as_str()
            .expect("a second page exists")
            .to_owned();
        let next = app
            .get(
                &format!("/api/v1/me/api-keys?limit=1&cursor={cursor}"),
                &ada,
            )
            .await;
        assert_eq!(next.body["items"][0]["name"], "script");
        assert_eq!(next.body["nextCursor"], serde_json::Value::Null);

        let id = created.body["id"].as_str().unwrap();
        let deleted = app
            .call(
                Method::DELETE,
                &format!("/api/v1/me/api-keys/{id}"),
                Some(&ada),
                None,
            )
            .await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        app.with_key(Method::GET, "/api/v1/me", &read_key, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
        app.call(
            Method::DELETE,
            &format!("/api/v1/me/api-keys/{id}"),
            Some(&ada),
            None,
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

        let mut forged = write_key.clone();
        forged.replace_range(forged.len() - 4.., "AAAA");
        app.with_key(Method::GET, "/api/v1/me", &forged, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
        app.with_key(Method::GET, "/api/v1/me", "lfs_nonsense", None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");

        let no_scopes = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "none", "scopes": [] }),
            )
            .await;
        no_scopes.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        let bad_scope = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "x", "scopes": ["admin"] }),
            )
            .await;
        bad_scope.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
        app.stop().await;
    }
}

async fn outbox_events(db: &Db, topic: &str) -> i64 {
    with_db!(db, pool => {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM outbox_events WHERE topic = $1").bind(topic).fetch_one(pool).await.unwrap()
    })
}

lifeos_kernel::dialect_test! {
    async fn consents_are_recorded_with_their_time_and_announced(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let ada = app.user("ada@example.com").await;
        let initial = app.get("/api/v1/me/consents", &ada).await;
        assert_eq!(
            initial.body["items"],
            json!([
                { "purpose": "health_data", "granted": false, "changedAt": null },
                { "purpose": "integrations", "granted": false, "changedAt": null },
                { "purpose": "recommendations", "granted": false, "changedAt": null },
            ])
        );

        let granted = app
            .call(
                Method::PUT,
                "/api/v1/me/consents/health_data",
                Some(&ada),
                Some(json!({ "granted": true })),
            )
            .await;
        assert_eq!(granted.status, StatusCode::OK, "{}", granted.body);
        assert_eq!(granted.body["granted"], true);
        assert_eq!(granted.body["changedAt"], json!(app.now()));

        app.clock.advance(time::Duration::minutes(10));
        let withdrawn = app
            .call(
                Method::PUT,
                "/api/v1/me/consents/health_data",
                Some(&ada),
                Some(json!({ "granted": false })),
            )
            .await;
        assert_eq!(withdrawn.body["changedAt"], json!(app.now()));
        let now = app.get("/api/v1/me/consents", &ada).await;
        assert_eq!(now.body["items"][0]["granted"], false);
        assert_eq!(now.body["items"][0]["changedAt"], json!(app.now()));
        assert_eq!(
            outbox_events(app.db(), "identity.consent_changed").await,
            2,
            "{}: each change is an event",
            app.label
        );

        app.call(
            Method::PUT,
            "/api/v1/me/consents/marketing",
            Some(&ada),
            Some(json!({ "granted": true })),
        )
        .await
        .assert_problem(StatusCode::NOT_FOUND, "unknown_consent_purpose");
        app.stop().await;
    }
}

/// Every (table, column) that can refer to a user: `users.id` and each `user_id`.
async fn user_columns(db: &Db) -> Vec<(String, String)> {
    let mut columns: Vec<(String, String)> = match db {
        Db::Sqlite(pools) => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND p.name LIKE '%user_id'",
        )
        .fetch_all(&pools.reader)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND column_name LIKE '%user_id'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    columns.push(("users".into(), "id".into()));
    columns
}

pub async fn rows_referring_to(db: &Db, user_id: Uuid) -> Vec<(String, i64)> {
    let mut found = Vec::new();
    for (table, column) in user_columns(db).await {
        let sql = format!("SELECT count(*) FROM {table} WHERE {column} = $1");
        let count = with_db!(db, pool => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_one(pool).await.unwrap()
        });
        found.push((format!("{table}.{column}"), count));
    }
    found
}

lifeos_kernel::dialect_test! {
    async fn export_holds_the_users_data_and_erasure_leaves_no_row_behind(db: TestDatabase) {
        let app = TestApp::spawn(&db).await;
        let session = app.register("ada@example.com").await;
        let ada = token(&session);
        let user_id: Uuid = session["user"]["id"].as_str().unwrap().parse().unwrap();
        let bob = app.user("bob@example.com").await;

        // Data in every identity and platform table.
        let key = app
            .post(
                "/api/v1/me/api-keys",
                Some(&ada),
                json!({ "name": "voice", "scopes": ["read"] }),
            )
            .await;
        let secret = key.body["key"].as_str().unwrap().to_owned();
        app.call(
            Method::PUT,
            "/api/v1/me/consents/health_data",
            Some(&ada),
            Some(json!({ "granted": true })),
        )
        .await;
        app.post(
            "/api/v1/auth/magic-link",
            None,
            json!({ "email": "ada@example.com" }),
        )
        .await;
        app.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "ada@example.com", "password": PASSWORD }),
        )
        .await;
        let patched = app
            .idempotent(
                Method::PATCH,
                "/api/v1/me",
                &ada,
                "k-1",
                json!({ "displayName": "Ada" }),
            )
            .await;
        assert_eq!(patched.status, StatusCode::OK);
        let mut tx = app.db().begin().await.unwrap();
        lifeos_kernel::sync_row::next_version(&mut tx, user_id)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let export = app.get("/api/v1/me/export", &ada).await;
        assert_eq!(export.status, StatusCode::OK, "{}", export.body);
        assert_eq!(export.body["userId"], json!(user_id));
        let data = &export.body["data"];
        // The export is the stored rows themselves, table by table.
        assert_eq!(data["identity"]["users"][0]["email"], "ada@example.com");
        assert_eq!(data["identity"]["users"][0]["display_name"], "Ada");
        assert_eq!(data["identity"]["api_keys"][0]["name"], "voice");
        assert_eq!(
            data["identity"]["consent_events"][0]["purpose"],
            "health_data"
        );
        assert_eq!(data["identity"]["consent_events"][0]["granted"], true);
        assert_eq!(
            data["identity"]["auth_sessions"].as_array().unwrap().len(),
            2
        );
        assert_eq!(data["platform"]["user_change_counters"][0]["counter"], 1);
        assert_eq!(
            data["platform"]["outbox_events"][0]["topic"],
            "identity.consent_changed"
        );
        assert!(
            data["identity"]["api_keys"][0].get("key_hash").is_none()
                && data["identity"]["password_credentials"][0]
                    .get("password_hash")
                    .is_none(),
            "hashes are never exported"
        );
        let text = export.body.to_string();
        assert!(
            !text.contains(&secret) && !text.contains("argon2"),
            "no secrets in the export"
        );
        assert!(
            !text.contains("bob@example.com"),
            "only the user's own data"
        );

        let before = rows_referring_to(app.db(), user_id).await;
        assert!(
            before.iter().filter(|(_, n)| *n > 0).count() >= 8,
            "{}: data in many tables: {before:?}",
            app.label
        );

        let erased = app
            .call(Method::DELETE, "/api/v1/me", Some(&ada), None)
            .await;
        assert_eq!(erased.status, StatusCode::NO_CONTENT, "{}", erased.body);
        let left: Vec<_> = rows_referring_to(app.db(), user_id)
            .await
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        assert!(
            left.is_empty(),
            "{}: rows still refer to the erased user: {left:?}",
            app.label
        );

        app.get("/api/v1/me", &ada)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "session_ended");
        app.with_key(Method::GET, "/api/v1/me", &secret, None)
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_api_key");
        app.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "ada@example.com", "password": PASSWORD }),
        )
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert_eq!(
            app.get("/api/v1/me", &bob).await.status,
            StatusCode::OK,
            "other users are untouched"
        );
        app.stop().await;
    }
}
