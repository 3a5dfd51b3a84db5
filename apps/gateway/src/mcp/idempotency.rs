//! A write tool's `requestId`, kept in the kernel's idempotency store (the table behind
//! REST's `Idempotency-Key`, ADR 0020): the first call with an id reserves it, runs, and
//! stores its result; a repeat with the same arguments answers that result and writes
//! nothing; with other arguments it is refused (`idempotency_key_reused`); while the first
//! still runs, `idempotency_request_in_progress`. A refused or failed call releases the id.
//!
//! The stored key is `mcp <tool> <requestId>`: it holds spaces, which an HTTP
//! `Idempotency-Key` (visible ASCII only) never does, so the two never meet. Keys live as
//! long as REST's ([`lifeos_kernel::idempotency::TTL`]); the store's statements are the
//! kernel's ([`lifeos_kernel::idempotency`]).

use lifeos_kernel::error::{CommonCode, ErrorKind};
use lifeos_kernel::idempotency;
use lifeos_kernel::{AppError, Db, SharedClock};
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

/// Reserves `key` for a call with `hash`: `None` when the call should run, the first
/// result when it ran before, an error when the id was used otherwise or still runs.
pub async fn claim(
    db: &Db,
    clock: &SharedClock,
    key: &Key,
    hash: &[u8],
) -> Result<Option<Value>, AppError> {
    if idempotency::claim(db, clock.now(), key.user_id, &key.key, hash).await? {
        return Ok(None);
    }
    let Some(stored) = idempotency::lookup(db, key.user_id, &key.key).await? else {
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
    let body = serde_json::to_vec(result).map_err(AppError::internal)?;
    idempotency::complete(db, key.user_id, &key.key, 200, Some(CONTENT_TYPE), &body).await?;
    Ok(())
}

/// Frees `key` after a refused or failed call, so the same id may be retried.
pub async fn release(db: &Db, key: &Key) -> Result<(), AppError> {
    idempotency::release(db, key.user_id, &key.key).await?;
    Ok(())
}
