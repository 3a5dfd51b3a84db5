//! Devices' storage: SQL only, written once for both dialects.

use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use uuid::Uuid;

use super::Device;

type Result<T> = std::result::Result<T, StoreError>;

const COLUMNS: &str = "id, name, platform, created_at, last_sync_at, last_mutation_id";

/// Inserts device `id`; `None` if any device (any user's, revoked or not) has that id.
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    name: &str,
    platform: &str,
    at: Timestamp,
) -> Result<Option<Device>> {
    let sql = format!(
        "INSERT INTO sync_devices (id, user_id, name, platform, created_at, last_mutation_id) \
         VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (id) DO NOTHING RETURNING {COLUMNS}"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Device>(sqlx::AssertSqlSafe(sql))
            .bind(id).bind(user_id).bind(name).bind(platform).bind(at)
            .fetch_optional(&mut *conn).await?
    });
    Ok(row)
}

/// The user's live devices, oldest first.
pub async fn list(db: &Db, user_id: Uuid) -> Result<Vec<Device>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sync_devices WHERE user_id = $1 AND revoked_at IS NULL \
         ORDER BY created_at, id"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Device>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows)
}

/// Revokes the user's live device `id`; false if there is none.
pub async fn revoke(tx: &mut Tx, user_id: Uuid, id: Uuid, at: Timestamp) -> Result<bool> {
    const SQL: &str = "UPDATE sync_devices SET revoked_at = $3 \
                       WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL";
    let affected = with_tx!(tx, conn => {
        sqlx::query(SQL).bind(id).bind(user_id).bind(at).execute(&mut *conn).await?.rows_affected()
    });
    Ok(affected == 1)
}

/// Where a device's pushes have got to, as a push reads it under the user's lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Progress {
    pub last_mutation_id: i64,
    pub revoked: bool,
}

/// The user's device `id` (revoked or not); `None` if it is absent or another user's.
pub async fn progress(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Progress>> {
    const SQL: &str = "SELECT last_mutation_id, revoked_at IS NOT NULL AS revoked \
                       FROM sync_devices WHERE id = $1 AND user_id = $2";
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Progress>(SQL).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row)
}

/// Records that device `id` has processed mutations up to `last_mutation_id`, at `at`.
pub async fn advance(tx: &mut Tx, id: Uuid, last_mutation_id: i64, at: Timestamp) -> Result<()> {
    const SQL: &str =
        "UPDATE sync_devices SET last_mutation_id = $2, last_sync_at = $3 WHERE id = $1";
    with_tx!(tx, conn => {
        sqlx::query(SQL).bind(id).bind(last_mutation_id).bind(at).execute(&mut *conn).await?;
    });
    Ok(())
}
