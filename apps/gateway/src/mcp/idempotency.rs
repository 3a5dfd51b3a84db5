//! A write tool's `requestId`, kept in the kernel's idempotency store (the table behind
//! REST's `Idempotency-Key`, ADR 0020): the first call with an id reserves it, runs, and
//! stores its result; a repeat with the same arguments answers that result and writes
//! nothing; with other arguments it is refused (`idempotency_key_reused`); while the first
//! still runs, `idempotency_request_in_progress`. A refused or failed call releases the id.
//!
//! The stored key is `mcp <tool> <requestId>`: it holds spaces, which an HTTP
//! `Idempotency-Key` (visible ASCII only) never does, so the two never meet. Keys live as
//! long as REST's ([`lifeos_kernel::http::idempotency::TTL`]).

use lifeos_kernel::error::{CommonCode, ErrorKind};
use lifeos_kernel::http::idempotency::TTL;
use lifeos_kernel::{AppError, Db, SharedClock, StoreError, with_writer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Marks a stored tool result (REST stores its media type there).
const CONTENT_TYPE: &str = "application/vnd.lifeos.mcp-result+json";

#[derive(Debug, Clone)]
pub struct Key {
    user_id: Uuid,
    key: String,
}

impl Key {
    pub fn new(user_id: Uuid, tool: &str, request_id: &str) -> Self {
        Self {
            user_id,
            key: format!("mcp {tool} {request_id}"),
        }
    }
}

/// The call's fingerprint: the tool and its arguments (members sorted, `requestId` out).
pub fn hash(tool: &str, arguments: &Value) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(tool.as_bytes());
    hasher.update([0]);
    hasher.update(canonical(arguments).to_string().as_bytes());
    hasher.finalize().to_vec()
}

fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let sorted: Map<String, Value> = keys
                .into_iter()
                .map(|k| (k.clone(), canonical(&map[k])))
                .collect();
            Value::Object(sorted)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

#[derive(sqlx::FromRow)]
struct Stored {
    request_hash: Vec<u8>,
    response_body: Option<Vec<u8>>,
}

/// Reserves `key` for a call with `hash`: `None` when the call should run, the first
/// result when it ran before, an error when the id was used otherwise or still runs.
pub async fn claim(
    db: &Db,
    clock: &SharedClock,
    key: &Key,
    hash: &[u8],
) -> Result<Option<Value>, AppError> {
    // REST's statement: a new key is inserted, an expired one taken over, a live one left.
    const CLAIM: &str = "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (user_id, key) DO UPDATE SET request_hash = excluded.request_hash, \
                         status_code = NULL, content_type = NULL, response_body = NULL, created_at = excluded.created_at \
                         WHERE idempotency_keys.created_at < $5";
    const SELECT: &str =
        "SELECT request_hash, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2";
    let now = clock.now();
    let inserted = with_writer!(db, pool => {
        sqlx::query(CLAIM)
            .bind(key.user_id)
            .bind(&key.key)
            .bind(hash)
            .bind(now)
            .bind(now - TTL)
            .execute(pool)
            .await
            .map_err(StoreError::from)?
            .rows_affected()
    });
    if inserted == 1 {
        return Ok(None);
    }
    let stored = with_writer!(db, pool => {
        sqlx::query_as::<_, Stored>(SELECT)
            .bind(key.user_id)
            .bind(&key.key)
            .fetch_optional(pool)
            .await
            .map_err(StoreError::from)?
    });
    let Some(stored) = stored else {
        return Err(in_progress());
    };
    if stored.request_hash != hash {
        return Err(AppError::new(
            ErrorKind::Validation,
            CommonCode::IdempotencyKeyReused,
            "this requestId was already used for a different call; send a new requestId",
        ));
    }
    match stored.response_body {
        Some(body) => Ok(Some(
            serde_json::from_slice(&body).map_err(AppError::internal)?,
        )),
        None => Err(in_progress()),
    }
}

fn in_progress() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        CommonCode::IdempotencyRequestInProgress,
        "a call with this requestId is still being processed; retry shortly",
    )
}

/// Stores the result of the call that reserved `key`.
pub async fn record(db: &Db, key: &Key, result: &Value) -> Result<(), AppError> {
    const SQL: &str = "UPDATE idempotency_keys SET status_code = $3, content_type = $4, response_body = $5 \
                       WHERE user_id = $1 AND key = $2";
    let body = serde_json::to_vec(result).map_err(AppError::internal)?;
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(key.user_id)
            .bind(&key.key)
            .bind(200_i32)
            .bind(CONTENT_TYPE)
            .bind(body)
            .execute(pool)
            .await
            .map_err(StoreError::from)?;
    });
    Ok(())
}

/// Frees `key` after a refused or failed call, so the same id may be retried.
pub async fn release(db: &Db, key: &Key) -> Result<(), AppError> {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2";
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(key.user_id)
            .bind(&key.key)
            .execute(pool)
            .await
            .map_err(StoreError::from)?;
    });
    Ok(())
}
