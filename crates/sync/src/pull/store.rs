//! Pull's SQL: the page's window over the selected entities' tables, the rows in it, the
//! user's devices' mutation ids and the tombstone horizon. Written once for both dialects.
//!
//! Every branch of the window reads one table's `(user_id, version)` index from `after`
//! on and stops after `limit + 1` distinct versions, so a page costs what it returns,
//! whatever the user's history (tombstones a full pull skips are the one exception, and
//! compaction bounds them).

use std::collections::BTreeMap;

use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{StoreError, Tx, with_tx};
use uuid::Uuid;

/// The statements of one entity set, built once per set (table names cannot be bound).
#[derive(Debug, Clone)]
pub struct WindowSql {
    /// Binds: user, after, floor, limit. The smallest distinct versions after `after`,
    /// skipping tombstones at or below `floor`, oldest first.
    window: String,
    /// Binds: user, after, upto, floor. Every row in `(after, upto]` (tombstones at or
    /// below `floor` skipped) as (entity index, id, version, deleted).
    rows: String,
}

/// One row in a page's window: `entity` indexes the tables [`WindowSql::new`] was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct WindowRow {
    pub entity: i64,
    pub id: Uuid,
    pub version: i64,
    pub deleted: bool,
}

/// Whether a row belongs in a pull: the user's, after the cursor, live or deleted after
/// the floor.
const VISIBLE: &str = "user_id = $1 AND version > $2 AND (deleted_at IS NULL OR version > $3)";

impl WindowSql {
    /// The statements over `tables` (at least one).
    pub fn new(tables: &[&UserTable]) -> Self {
        let window = tables
            .iter()
            .enumerate()
            .map(|(i, table)| {
                // The inner ORDER BY .. LIMIT keeps each branch an index range scan that
                // stops early; SQLite allows it only in a subquery.
                format!(
                    "SELECT version FROM (SELECT DISTINCT version FROM {} WHERE {VISIBLE} \
                     ORDER BY version LIMIT $4) AS w{i}",
                    table.name
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let rows = tables
            .iter()
            .enumerate()
            .map(|(i, table)| {
                format!(
                    "SELECT CAST({i} AS BIGINT) AS entity, id, version, \
                     deleted_at IS NOT NULL AS deleted FROM {} \
                     WHERE user_id = $1 AND version > $2 AND version <= $3 \
                     AND (deleted_at IS NULL OR version > $4)",
                    table.name
                )
            })
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        Self {
            window: format!(
                "SELECT DISTINCT version FROM ({window}) AS w ORDER BY version LIMIT $4"
            ),
            rows,
        }
    }

    /// The window statement, for EXPLAIN in tests.
    pub fn window_sql(&self) -> &str {
        &self.window
    }

    /// Up to `count` smallest distinct versions after `after`, oldest first.
    pub async fn versions(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        floor: i64,
        count: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let sql = self.window.clone();
        let versions = with_tx!(tx, conn => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .bind(user_id).bind(after).bind(floor).bind(count)
                .fetch_all(&mut *conn).await?
        });
        Ok(versions)
    }

    /// Every row with a version in `(after, upto]`.
    pub async fn rows(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
        floor: i64,
    ) -> Result<Vec<WindowRow>, StoreError> {
        let sql = self.rows.clone();
        let rows = with_tx!(tx, conn => {
            sqlx::query_as::<_, WindowRow>(sqlx::AssertSqlSafe(sql))
                .bind(user_id).bind(after).bind(upto).bind(floor)
                .fetch_all(&mut *conn).await?
        });
        Ok(rows)
    }
}

/// The version up to which the user's tombstones were compacted away (0 if never).
pub async fn horizon(tx: &mut Tx, user_id: Uuid) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT version FROM sync_horizons WHERE user_id = $1";
    let version = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(version.unwrap_or(0))
}

/// Each of the user's devices (not revoked) and its last processed mutation id.
pub async fn last_mutation_ids(
    tx: &mut Tx,
    user_id: Uuid,
) -> Result<BTreeMap<Uuid, i64>, StoreError> {
    const SQL: &str = "SELECT id, last_mutation_id FROM sync_devices \
                       WHERE user_id = $1 AND revoked_at IS NULL";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, (Uuid, i64)>(SQL).bind(user_id).fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: UserTable = UserTable::syncable("things", "thing");
    const B: UserTable = UserTable::syncable("others", "other");

    #[test]
    fn one_branch_per_table() {
        let sql = WindowSql::new(&[&A, &B]);
        assert_eq!(sql.window.matches("UNION ALL").count(), 1);
        assert!(sql.window.contains("FROM things WHERE user_id = $1"));
        assert!(sql.window.contains("FROM others WHERE user_id = $1"));
        assert!(sql.rows.contains("CAST(1 AS BIGINT) AS entity"));
        assert!(sql.window.ends_with("ORDER BY version LIMIT $4"));
    }
}
