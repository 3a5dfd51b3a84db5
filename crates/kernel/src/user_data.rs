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

/// One user's rows of `table`, every column, as JSON objects keyed by column name,
/// serialised by the database itself so a new column is exported without code changes.
/// `json_columns` hold JSON documents (exported as JSON, not as text). Ids stored as
/// BLOBs on SQLite are exported as UUID text, as PostgreSQL does. `table` and the column
/// names are the caller's constants, never user input.
pub async fn export_rows(
    db: &crate::Db,
    table: &str,
    user_id: Uuid,
    json_columns: &[&str],
) -> Result<Vec<serde_json::Value>, StoreError> {
    let texts: Vec<String> = match db {
        crate::Db::Postgres(pool) => {
            let sql = format!(
                "SELECT row_to_json(t)::text FROM (SELECT * FROM {table} WHERE user_id = $1 ORDER BY 1) t"
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .fetch_all(pool)
                .await?
        }
        crate::Db::Sqlite(pool) => {
            let columns_sql = format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid");
            let columns: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(columns_sql))
                .fetch_all(pool)
                .await?;
            let pairs: Vec<String> = columns
                .iter()
                .map(|c| {
                    if c == "id" || c.ends_with("_id") {
                        format!(
                            "'{c}', CASE WHEN {c} IS NULL THEN NULL ELSE lower(substr(hex({c}),1,8)||'-'||substr(hex({c}),9,4)||'-'||\
                             substr(hex({c}),13,4)||'-'||substr(hex({c}),17,4)||'-'||substr(hex({c}),21)) END"
                        )
                    } else if json_columns.contains(&c.as_str()) {
                        format!("'{c}', json({c})")
                    } else {
                        format!("'{c}', {c}")
                    }
                })
                .collect();
            let sql = format!(
                "SELECT json_object({}) FROM {table} WHERE user_id = $1 ORDER BY 1",
                pairs.join(", ")
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .fetch_all(pool)
                .await?
        }
    };
    texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(StoreError::from))
        .collect()
}
