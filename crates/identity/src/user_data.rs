//! Identity's share of export and erasure. Erasing it deletes the `users` row, so it
//! runs last in the registry.

use async_trait::async_trait;
use lifeos_kernel::user_data::UserData;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct IdentityData {
    db: Db,
}

impl IdentityData {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Tables holding a user's identity data, children before parents.
const TABLES: &[&str] = &[
    "consent_events",
    "consents",
    "api_keys",
    "email_tokens",
    "refresh_tokens",
    "auth_sessions",
    "password_credentials",
];

#[async_trait]
impl UserData for IdentityData {
    fn domain(&self) -> &'static str {
        "identity"
    }

    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value, StoreError> {
        type Profile = (
            String,
            Option<String>,
            String,
            i32,
            Option<Timestamp>,
            Timestamp,
        );
        type SessionRow = (Uuid, Timestamp, Timestamp, Option<Timestamp>);
        type KeyRow = (Uuid, String, String, String, Timestamp, Option<Timestamp>);
        type ConsentRow = (String, bool, Timestamp);
        const PROFILE: &str = "SELECT email, display_name, timezone, day_start_hour, email_verified_at, created_at FROM users WHERE id = $1";
        const SESSIONS: &str = "SELECT id, created_at, last_used_at, revoked_at FROM auth_sessions WHERE user_id = $1 ORDER BY id";
        const KEYS: &str = "SELECT id, name, lookup, scopes, created_at, last_used_at FROM api_keys WHERE user_id = $1 ORDER BY id";
        const CONSENTS: &str = "SELECT purpose, granted, changed_at FROM consent_events WHERE user_id = $1 ORDER BY id";
        let (profile, sessions, keys, consents) = with_db!(&self.db, pool => {
            let profile: Option<Profile> = sqlx::query_as(PROFILE).bind(user_id).fetch_optional(pool).await?;
            let sessions: Vec<SessionRow> = sqlx::query_as(SESSIONS).bind(user_id).fetch_all(pool).await?;
            let keys: Vec<KeyRow> = sqlx::query_as(KEYS).bind(user_id).fetch_all(pool).await?;
            let consents: Vec<ConsentRow> = sqlx::query_as(CONSENTS).bind(user_id).fetch_all(pool).await?;
            (profile, sessions, keys, consents)
        });
        let profile = profile.map(|(email, display_name, timezone, day_start_hour, verified, created)| {
            json!({
                "id": user_id, "email": email, "displayName": display_name, "timezone": timezone,
                "dayStartHour": day_start_hour, "emailVerifiedAt": verified, "createdAt": created,
            })
        });
        let sessions: Vec<_> = sessions
            .into_iter()
            .map(|(id, created, used, revoked)| json!({ "id": id, "createdAt": created, "lastUsedAt": used, "revokedAt": revoked }))
            .collect();
        let keys: Vec<_> = keys
            .into_iter()
            .map(|(id, name, lookup, scopes, created, used)| {
                json!({ "id": id, "name": name, "prefix": format!("lfs_{lookup}"), "scopes": scopes.split(',').collect::<Vec<_>>(),
                        "createdAt": created, "lastUsedAt": used })
            })
            .collect();
        let consents: Vec<_> = consents
            .into_iter()
            .map(|(purpose, granted, at)| json!({ "purpose": purpose, "granted": granted, "changedAt": at }))
            .collect();
        Ok(
            json!({ "profile": profile, "sessions": sessions, "apiKeys": keys, "consentHistory": consents }),
        )
    }

    async fn erase(&self, tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError> {
        for table in TABLES.iter().chain(&["users"]) {
            let column = if *table == "users" { "id" } else { "user_id" };
            let sql = format!("DELETE FROM {table} WHERE {column} = $1");
            with_tx!(tx, conn => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).execute(&mut *conn).await?;
            });
        }
        Ok(())
    }
}
