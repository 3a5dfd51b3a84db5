//! `Idempotency-Key` for the writes a client may retry (POST and PATCH) (a voice assistant repeating a
//! command, a phone resending after a dropped response).
//!
//! The first request with a key reserves it, runs, and stores its answer; the same key
//! with the same method, path and body replays that answer (`Idempotent-Replayed: true`);
//! with a different request it answers 422 `idempotency_key_reused`; while the first is
//! still running, 409 `idempotency_request_in_progress`. Server errors are not stored,
//! so a retry after a 5xx runs again. Keys live for [`TTL`], per user.
//!
//! A handler whose answer carries a secret shown once (a new API key) marks its response
//! with [`NoReplay`]: such answers are never stored, and the key is released.

use crate::error::CommonCode;
use axum::body::{Body, Bytes};
use std::collections::HashSet;
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use time::Duration;
use uuid::Uuid;

use crate::error::{AppError, ErrorKind};
use crate::{Db, Principal, SharedClock, StoreError, with_db, with_writer};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
pub const TTL: Duration = Duration::hours(24);
/// Bodies above this are not buffered for replay (the body limit is lower anyway).
const MAX_BUFFERED: usize = 16 * 1024 * 1024;

/// Response extension: do not store this answer for replay (it holds a secret).
#[derive(Debug, Clone, Copy)]
pub struct NoReplay;

#[derive(Clone)]
pub struct IdempotencyState {
    pub db: Db,
    pub clock: SharedClock,
    /// The declared operations that take part: (method, route template as axum matches
    /// it, e.g. `/api/v1/day-types/{id}`). Anything else passes through untouched, so a
    /// wrong method answers 405 even with a key already used.
    pub operations: Arc<HashSet<(Method, String)>>,
}

impl IdempotencyState {
    fn takes_part(&self, method: &Method, route: Option<&MatchedPath>) -> bool {
        route.is_some_and(|route| {
            self.operations
                .contains(&(method.clone(), route.as_str().to_owned()))
        })
    }
}

#[derive(sqlx::FromRow)]
struct StoredAnswer {
    request_hash: Vec<u8>,
    status_code: Option<i32>,
    content_type: Option<String>,
    response_body: Option<Vec<u8>>,
}

pub async fn idempotency(
    State(state): State<IdempotencyState>,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    let Some(principal) = request.extensions().get::<Principal>().copied() else {
        return next.run(request).await;
    };
    // PUT and DELETE are idempotent by themselves; POST and PATCH are what clients retry,
    // and only on a declared operation (route first, then idempotency).
    if !matches!(*request.method(), Method::POST | Method::PATCH)
        || !state.takes_part(request.method(), request.extensions().get::<MatchedPath>())
    {
        return next.run(request).await;
    }
    let key = match key.to_str() {
        // `to_str` also lets spaces and tabs through; the contract says visible ASCII.
        Ok(key) if (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
            key.to_owned()
        }
        _ => {
            return AppError::new(
                ErrorKind::BadRequest,
                CommonCode::InvalidIdempotencyKey,
                "Idempotency-Key must be 1 to 255 visible ASCII characters",
            )
            .into_response();
        }
    };
    match run_once(&state, principal.user_id, &key, request, next).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn run_once(
    state: &IdempotencyState,
    user_id: Uuid,
    key: &str,
    request: Request,
    next: Next,
) -> Result<Response, AppError> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BUFFERED)
        .await
        .map_err(|_| {
            AppError::new(
                ErrorKind::PayloadTooLarge,
                CommonCode::PayloadTooLarge,
                "the request body is too large",
            )
        })?;
    let hash = request_hash(parts.method.as_str(), &parts.uri.to_string(), &body);

    if !reserve(state, user_id, key, &hash).await? {
        return replay(state, user_id, key, &hash).await;
    }

    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    // Server errors may succeed on retry; a wrong method says nothing about the resource.
    let status = response.status();
    if status.is_server_error()
        || status == StatusCode::METHOD_NOT_ALLOWED
        || response.extensions().get::<NoReplay>().is_some()
    {
        release(state, user_id, key).await?;
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, MAX_BUFFERED)
        .await
        .map_err(AppError::internal)?;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    record(
        state,
        user_id,
        key,
        parts.status,
        content_type.as_deref(),
        &body,
    )
    .await?;
    Ok(Response::from_parts(parts, Body::from(body)))
}

fn request_hash(method: &str, uri: &str, body: &Bytes) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(uri.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher.finalize().to_vec()
}

/// Claims the key; false if it is already taken (and not expired).
async fn reserve(
    state: &IdempotencyState,
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
    let now = state.clock.now();
    let inserted = with_writer!(&state.db, pool => {
        sqlx::query(CLAIM).bind(user_id).bind(key).bind(hash).bind(now).bind(now - TTL).execute(pool).await?.rows_affected()
    });
    Ok(inserted == 1)
}

async fn replay(
    state: &IdempotencyState,
    user_id: Uuid,
    key: &str,
    hash: &[u8],
) -> Result<Response, AppError> {
    const SELECT: &str = "SELECT request_hash, status_code, content_type, response_body FROM idempotency_keys \
                          WHERE user_id = $1 AND key = $2";
    let stored = with_db!(&state.db, pool => {
        sqlx::query_as::<_, StoredAnswer>(SELECT).bind(user_id).bind(key).fetch_optional(pool).await.map_err(StoreError::from)?
    });
    let Some(stored) = stored else {
        // Released between our insert attempt and this read (the first run failed): let the client retry.
        return Err(in_progress());
    };
    if stored.request_hash != hash {
        return Err(AppError::new(
            ErrorKind::Validation,
            CommonCode::IdempotencyKeyReused,
            "this Idempotency-Key was already used for a different request",
        ));
    }
    let (Some(status), Some(body)) = (stored.status_code, stored.response_body) else {
        return Err(in_progress());
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    if let Some(content_type) = stored
        .content_type
        .and_then(|c| HeaderValue::from_str(&c).ok())
    {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type);
    }
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    Ok(response)
}

fn in_progress() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        CommonCode::IdempotencyRequestInProgress,
        "a request with this Idempotency-Key is still being processed; retry shortly",
    )
}

async fn release(state: &IdempotencyState, user_id: Uuid, key: &str) -> Result<(), StoreError> {
    const SQL: &str = "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2";
    with_writer!(&state.db, pool => { sqlx::query(SQL).bind(user_id).bind(key).execute(pool).await?; });
    Ok(())
}

async fn record(
    state: &IdempotencyState,
    user_id: Uuid,
    key: &str,
    status: StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE idempotency_keys SET status_code = $3, content_type = $4, response_body = $5 \
                       WHERE user_id = $1 AND key = $2";
    with_writer!(&state.db, pool => {
        sqlx::query(SQL)
            .bind(user_id)
            .bind(key)
            .bind(i32::from(status.as_u16()))
            .bind(content_type)
            .bind(body)
            .execute(pool)
            .await?;
    });
    Ok(())
}
