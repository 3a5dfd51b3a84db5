//! Tracking's share of export and erasure.

use async_trait::async_trait;
use lifeos_kernel::user_data::{UserData, export_rows};
use lifeos_kernel::{Db, StoreError, Tx, with_tx};
use uuid::Uuid;

use crate::common::Table;

#[derive(Debug, Clone)]
pub struct TrackingData {
    db: Db,
}

impl TrackingData {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl UserData for TrackingData {
    fn domain(&self) -> &'static str {
        "tracking"
    }

    /// Every row, tombstones included (they are part of what is stored), as JSON objects
    /// with the table's column names.
    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value, StoreError> {
        let mut all = serde_json::Map::new();
        for table in Table::ALL {
            let rows = export_rows(&self.db, table.name(), user_id, &["track", "schedule"]).await?;
            all.insert(table.name().to_owned(), serde_json::Value::Array(rows));
        }
        Ok(serde_json::Value::Object(all))
    }

    async fn erase(&self, tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError> {
        for table in Table::ALL {
            let sql = format!("DELETE FROM {} WHERE user_id = $1", table.name());
            with_tx!(tx, conn => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).execute(&mut *conn).await?;
            });
        }
        Ok(())
    }
}
