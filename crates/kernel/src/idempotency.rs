//! The idempotency store (table `idempotency_keys`, ADR 0020): one row per (user, key)
//! holding the request's fingerprint and, once the first run finished, its answer.
//!
//! The store knows no transport: REST's `Idempotency-Key` middleware
//! ([`crate::http::idempotency`]) and the MCP server's `requestId` both claim a key,
//! look up what a repeat should answer, complete the row with the answer, or release it
//! after a failure so the same key may be retried. Keys live for [`TTL`], per user.

use time::Duration;
use uuid::Uuid;

use crate::{Db, StoreError, Timestamp, with_db, with_writer};

/// How long a key is kept: a claim on an older row takes it over as if new.
pub const TTL: Duration = Duration::hours(24);

/// A key's row: the request's fingerprint and, once completed, its answer.
#[derive(Debug, sqlx::FromRow)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status_code: Option<i32>,
    pub content_type: Option<String>,
    pub response_body: Option<Vec<u8>>,
}

/// Claims `key` at `now` for a request with `hash`; false if it is already taken (and
/// not expired).
pub async fn claim(
    db: &Db,
    now: Timestamp,
    user_id: Uuid,
    key: &str,
    hash: &[u8],
) -> Result<bool, StoreError> {
    // One statement: a new key is inserted, an expired one is taken over as if new, a
    // live one is left alone (no row affected).
    const CLAIM: &str = "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, \
                         status_code = NULL, content_type = NULL, response_body = NULL, created_at = excluded.created_at \
                         WHERE idempotency_keys.created_at < $5";
    let inserted = with_writer!(db, pool => {
        sqlx::query(CLAIM).bind(user_id).bind(key).bind(hash).bind(now).bind(now - TTL).execute(pool).await?.rows_affected()
    });
    Ok(inserted == 1)
}

/// The row of `key`; `None` if there is none (released since a failed claim).
pub async fn lookup(db: &Db, user_id: Uuid, key: &str) -> Result<Option<Stored>, StoreError> {
    const SELECT: &str = "SELECT request_hash, status_code, content_type, response_body FROM idempotency_keys \
                          WHERE user_id = $1 AND key = $2";
    let stored = with_db!(db, pool => {
        sqlx::query_as::<_, Stored>(SELECT).bind(user_id).bind(key).fetch_optional(pool).await?
    });
    Ok(stored)
}

/// Stores the answer of the request that claimed `key`.
pub async fn complete(
    db: &Db,
    user_id: Uuid,
    key: &str,
    status_code: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE idempotency_keys SET status_code = $3, content_type = $4, response_body = $5 \
                       WHERE user_id = $1 AND key = $2";
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(user_id)
            .bind(key)
            .bind(i32::from(status_code))
            .bind(content_type)
            .bind(body)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Frees `key` (the request failed or must not be replayed), so it may be used again.
pub async fn release(db: &Db, user_id: Uuid, key: &str) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2";
    with_writer!(db, pool => { sqlx::query(SQL).bind(user_id).bind(key).execute(pool).await?; });
    Ok(())
}
