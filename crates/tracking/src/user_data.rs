//! Tracking's share of export and erasure.

use async_trait::async_trait;
use lifeos_kernel::user_data::UserData;
use lifeos_kernel::{Db, StoreError, Tx, with_db, with_tx};
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
            let rows = export_table(&self.db, table, user_id).await?;
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

/// A table's rows for one user, serialised by the database itself so that every column
/// is exported without a hand-kept list.
async fn export_table(
    db: &Db,
    table: Table,
    user_id: Uuid,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let name = table.name();
    let texts: Vec<String> = match db {
        Db::Postgres(pool) => {
            let sql = format!(
                "SELECT row_to_json(t)::text FROM (SELECT * FROM {name} WHERE user_id = $1 ORDER BY id) t"
            );
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .fetch_all(pool)
                .await?
        }
        Db::Sqlite(_) => {
            let columns = sqlite_columns(db, name).await?;
            let pairs: Vec<String> = columns
                .iter()
                .map(|c| {
                    // Ids are BLOBs in SQLite: export them as UUID text like PostgreSQL does.
                    if c == "id" || c.ends_with("_id") {
                        format!("'{c}', lower(substr(hex({c}),1,8)||'-'||substr(hex({c}),9,4)||'-'||substr(hex({c}),13,4)||'-'||substr(hex({c}),17,4)||'-'||substr(hex({c}),21))")
                    } else if c == "track" || c == "schedule" {
                        format!("'{c}', json({c})")
                    } else {
                        format!("'{c}', {c}")
                    }
                })
                .collect();
            let sql = format!(
                "SELECT json_object({}) FROM {name} WHERE user_id = $1 ORDER BY id",
                pairs.join(", ")
            );
            with_db!(db, pool => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await?)
        }
    };
    texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(StoreError::from))
        .collect()
}

async fn sqlite_columns(db: &Db, table: &str) -> Result<Vec<String>, StoreError> {
    let sql = format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid");
    let names = with_db!(db, pool => sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?);
    Ok(names)
}
