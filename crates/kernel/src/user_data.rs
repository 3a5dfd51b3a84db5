//! Privacy glue: every domain can export and erase one user's data.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{StoreError, Tx};

#[async_trait]
pub trait UserData: Send + Sync {
    /// The key of this domain's section in an export (`identity`, `tracking`...).
    fn domain(&self) -> &'static str;

    /// Everything this domain holds about `user_id`, as JSON.
    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value, StoreError>;

    /// Removes every row of this domain that refers to `user_id`, inside `tx` (hard
    /// delete: erasure is the one exception to soft deletes).
    async fn erase(&self, tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError>;
}

/// Every domain's [`UserData`], in erase order (the identity part, which deletes the
/// `users` row, comes last).
pub struct UserDataRegistry {
    db: crate::Db,
    parts: Vec<std::sync::Arc<dyn UserData>>,
}

impl std::fmt::Debug for UserDataRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let domains: Vec<_> = self.parts.iter().map(|p| p.domain()).collect();
        f.debug_struct("UserDataRegistry")
            .field("domains", &domains)
            .finish()
    }
}

impl UserDataRegistry {
    pub fn new(db: crate::Db, parts: Vec<std::sync::Arc<dyn UserData>>) -> Self {
        Self { db, parts }
    }

    /// `{ "<domain>": <export>, ... }`.
    pub async fn export(
        &self,
        user_id: Uuid,
    ) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
        let mut all = serde_json::Map::new();
        for part in &self.parts {
            all.insert(part.domain().to_owned(), part.export(user_id).await?);
        }
        Ok(all)
    }

    /// Erases the user everywhere in one transaction: all or nothing.
    pub async fn erase(&self, user_id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        for part in &self.parts {
            part.erase(&mut tx, user_id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The platform tables' share of a user: change counter, idempotency records, events.
#[derive(Debug, Clone)]
pub struct PlatformData {
    db: crate::Db,
}

impl PlatformData {
    pub fn new(db: crate::Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UserData for PlatformData {
    fn domain(&self) -> &'static str {
        "platform"
    }

    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value, StoreError> {
        const VERSION: &str = "SELECT counter FROM user_change_counters WHERE user_id = $1";
        const EVENTS: &str =
            "SELECT topic, payload, occurred_at FROM outbox_events WHERE user_id = $1 ORDER BY seq";
        let (version, events) = crate::with_db!(&self.db, pool => {
            let version = sqlx::query_scalar::<_, i64>(VERSION).bind(user_id).fetch_optional(pool).await?;
            let events: Vec<(String, sqlx::types::Json<serde_json::Value>, crate::Timestamp)> =
                sqlx::query_as(EVENTS).bind(user_id).fetch_all(pool).await?;
            (version, events)
        });
        let events: Vec<_> = events
            .into_iter()
            .map(|(topic, payload, at)| serde_json::json!({ "topic": topic, "payload": payload.0, "occurredAt": at }))
            .collect();
        Ok(serde_json::json!({ "changeVersion": version.unwrap_or(0), "events": events }))
    }

    async fn erase(&self, tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError> {
        for table in ["idempotency_keys", "outbox_events", "user_change_counters"] {
            let sql = format!("DELETE FROM {table} WHERE user_id = $1");
            crate::with_tx!(tx, conn => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).execute(&mut *conn).await?;
            });
        }
        Ok(())
    }
}
