//! Tombstone compaction: tombstones older than the kept period are removed for real, and
//! each affected user's horizon rises to the highest version removed, so a cursor that
//! could have missed one of them answers 410 `cursor_expired` instead of silently
//! keeping a row the server deleted.
//!
//! Each batch deletes and raises the horizon in one transaction: a pull (one read
//! snapshot) sees both or neither. Batches keep each write transaction short (on SQLite
//! it holds the database's one write lock).

use std::collections::{BTreeMap, BTreeSet};

use lifeos_kernel::syncable::EntityRegistry;
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_tx};
use uuid::Uuid;

use crate::error::Result;

/// The tombstones one transaction removes at most.
const BATCH: i64 = 5000;

/// How long tombstones are kept: a device offline for longer starts again from a full pull.
pub const KEEP: time::Duration = time::Duration::days(90);

/// What one compaction run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactReport {
    /// Tombstones removed.
    pub deleted: u64,
    /// Users whose horizon rose.
    pub users: u64,
}

/// Removes every tombstone of every entity's table deleted before `now - keep`,
/// children's tables first (a parent's rows go after the children that refer to them).
pub async fn compact(
    db: &Db,
    entities: &EntityRegistry,
    now: Timestamp,
    keep: time::Duration,
) -> Result<CompactReport> {
    let cutoff = now - keep;
    let mut deleted = 0;
    let mut users = BTreeSet::new();
    for entity in entities.iter().rev() {
        loop {
            let mut tx = db.begin().await?;
            let removed = delete_batch(&mut tx, entity.table(), cutoff).await?;
            let horizons = highest_by_user(&removed);
            for (&user_id, &version) in &horizons {
                raise_horizon(&mut tx, user_id, version, now).await?;
            }
            tx.commit().await?;
            deleted += removed.len() as u64;
            users.extend(horizons.into_keys());
            if (removed.len() as i64) < BATCH {
                break;
            }
        }
    }
    Ok(CompactReport {
        deleted,
        users: users.len() as u64,
    })
}

/// Removes up to [`BATCH`] tombstones of `table` deleted before `cutoff`, returning each
/// one's owner and version.
async fn delete_batch(
    tx: &mut Tx,
    table: &UserTable,
    cutoff: Timestamp,
) -> Result<Vec<(Uuid, i64)>, StoreError> {
    let sql = format!(
        "DELETE FROM {table} WHERE id IN (SELECT id FROM {table} \
         WHERE deleted_at IS NOT NULL AND deleted_at < $1 LIMIT $2) \
         AND deleted_at IS NOT NULL RETURNING user_id, version",
        table = table.name
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, (Uuid, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(cutoff).bind(BATCH).fetch_all(&mut *conn).await?
    });
    Ok(rows)
}

fn highest_by_user(rows: &[(Uuid, i64)]) -> BTreeMap<Uuid, i64> {
    let mut highest = BTreeMap::new();
    for &(user_id, version) in rows {
        let entry = highest.entry(user_id).or_insert(version);
        *entry = (*entry).max(version);
    }
    highest
}

/// Raises the user's horizon to `version` (never lowers it).
async fn raise_horizon(
    tx: &mut Tx,
    user_id: Uuid,
    version: i64,
    at: Timestamp,
) -> Result<(), StoreError> {
    const SQL: &str = "INSERT INTO sync_horizons (user_id, version, compacted_at) \
                       VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET \
                       version = CASE WHEN excluded.version > sync_horizons.version \
                       THEN excluded.version ELSE sync_horizons.version END, \
                       compacted_at = excluded.compacted_at";
    with_tx!(tx, conn => {
        sqlx::query(SQL).bind(user_id).bind(version).bind(at).execute(&mut *conn).await?;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_horizon_is_each_users_highest_removed_version() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let highest = highest_by_user(&[(a, 3), (b, 9), (a, 7), (a, 5)]);
        assert_eq!(highest, BTreeMap::from([(a, 7), (b, 9)]));
    }
}
