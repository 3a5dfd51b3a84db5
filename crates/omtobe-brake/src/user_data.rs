//! The brake's share of export and erasure.

use async_trait::async_trait;
use lifeos_kernel::user_data::{UserData, export_rows};
use lifeos_kernel::{Db, StoreError, Tx, with_tx};
use uuid::Uuid;

/// The brake's tables.
const TABLES: &[&str] = &[
    "brake_decisions",
    "brake_reflections",
    "brake_calendar_events",
    "hrv_baselines",
    "hrv_samples",
    "brake_states",
];

#[derive(Debug, Clone)]
pub struct BrakeData {
    db: Db,
}

impl BrakeData {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UserData for BrakeData {
    fn domain(&self) -> &'static str {
        "brake"
    }

    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value, StoreError> {
        let mut all = serde_json::Map::new();
        for table in TABLES {
            let rows = export_rows(
                &self.db,
                table,
                user_id,
                &["state", "settings", "accumulator"],
            )
            .await?;
            all.insert((*table).to_owned(), serde_json::Value::Array(rows));
        }
        Ok(serde_json::Value::Object(all))
    }

    async fn erase(&self, tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError> {
        for table in TABLES {
            let sql = format!("DELETE FROM {table} WHERE user_id = $1");
            with_tx!(tx, conn => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).execute(&mut *conn).await?;
            });
        }
        Ok(())
    }
}
