//! Syncable rows: every user-owned row that devices sync carries
//! `id, user_id, version, created_at, updated_at, deleted_at`.
//!
//! `version` is the next value of the user's change counter, taken in the same
//! transaction as the write, so "rows with version > n" is a complete change feed.
//! Deletes set `deleted_at` (a tombstone that sync can carry) and take a new version.

use serde::Serialize;
use uuid::Uuid;

use crate::{StoreError, Timestamp, Tx, with_tx};

/// The bookkeeping columns of a syncable row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct SyncMeta {
    pub id: Uuid,
    #[serde(skip)]
    pub user_id: Uuid,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

/// Takes the next version from `user_id`'s change counter inside `tx`.
pub async fn next_version(tx: &mut Tx, user_id: Uuid) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO user_change_counters (user_id, counter) VALUES ($1, 1) \
                       ON CONFLICT (user_id) DO UPDATE SET counter = user_change_counters.counter + 1 \
                       RETURNING counter";
    let version = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_one(&mut *conn).await?
    });
    Ok(version)
}

/// The user's latest version (0 before their first syncable write).
pub async fn current_version(tx: &mut Tx, user_id: Uuid) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT counter FROM user_change_counters WHERE user_id = $1";
    let version = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(version.unwrap_or(0))
}

/// The stamp for a write: its version and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub version: i64,
    pub at: Timestamp,
}

pub async fn stamp(tx: &mut Tx, user_id: Uuid, at: Timestamp) -> Result<Stamp, StoreError> {
    Ok(Stamp {
        version: next_version(tx, user_id).await?,
        at,
    })
}
