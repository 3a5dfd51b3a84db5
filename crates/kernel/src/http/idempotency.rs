//! `Idempotency-Key` for the writes a client may retry (POST and PATCH) (a voice assistant repeating a
//! command, a phone resending after a dropped response).
//!
//! The first request with a key reserves it, runs, and stores its answer; the same key
//! with the same method, path and body replays that answer (`Idempotent-Replayed: true`);
//! with a different request it answers 422 `idempotency_key_reused`; while the first is
//! still running, 409 `idempotency_request_in_progress`. Server errors are not stored,
//! so a retry after a 5xx runs again. Keys live for [`TTL`], per user, in the transport-free
//! store of [`crate::idempotency`].
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
use uuid::Uuid;

use crate::error::{AppError, ErrorKind};
pub use crate::idempotency::TTL;
use crate::idempotency::{claim, complete, lookup, release};
use crate::{Db, Principal, SharedClock};

pub const HEADER: &str = "idempotency-key";
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
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

    if !claim(&state.db, state.clock.now(), user_id, key, &hash).await? {
        return replay(state, user_id, key, &hash).await;
    }

    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    // Server errors may succeed on retry; a wrong method says nothing about the resource.
    let status = response.status();
    if status.is_server_error()
        || status == StatusCode::METHOD_NOT_ALLOWED
        || response.extensions().get::<NoReplay>().is_some()
    {
        release(&state.db, user_id, key).await?;
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
    complete(
        &state.db,
        user_id,
        key,
        parts.status.as_u16(),
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

async fn replay(
    state: &IdempotencyState,
    user_id: Uuid,
    key: &str,
    hash: &[u8],
) -> Result<Response, AppError> {
    let stored = lookup(&state.db, user_id, key).await?;
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
