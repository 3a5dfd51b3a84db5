//! Authentication middleware. The identity domain implements [`Authenticator`]; the
//! gateway runs [`authenticate`] on every request. A request without credentials passes
//! through (public endpoints exist); bad credentials are remembered so that protected
//! handlers answer with the precise reason (expired, revoked...).

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{AppError, Principal};

pub const API_KEY_HEADER: &str = "x-api-key";

#[async_trait]
pub trait Authenticator: Send + Sync {
    /// Verifies an access token (`Authorization: Bearer ...`).
    async fn bearer(&self, token: &str) -> Result<Principal, AppError>;
    /// Verifies an API key (`X-API-Key: ...`).
    async fn api_key(&self, key: &str) -> Result<Principal, AppError>;
}

pub type SharedAuthenticator = Arc<dyn Authenticator>;

/// Why presented credentials were refused, kept for the [`Principal`] extractor.
#[derive(Debug, Clone)]
pub struct AuthFailure {
    pub code: &'static str,
    pub detail: String,
}

pub async fn authenticate(
    State(authenticator): State<SharedAuthenticator>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let api_key = headers
        .get(API_KEY_HEADER)
        .map(|v| v.to_str().unwrap_or_default().to_owned());

    let outcome = match (bearer, api_key) {
        (None, None) => None,
        (Some(_), Some(_)) => Some(Err(AppError::unauthenticated(
            "send either an Authorization header or an X-API-Key header, not both",
        ))),
        (Some(authorization), None) => Some(match strip_bearer(&authorization) {
            Some(token) => authenticator.bearer(token).await,
            None => Err(AppError::unauthenticated(
                "the Authorization header must be 'Bearer <access token>'",
            )),
        }),
        (None, Some(key)) => Some(authenticator.api_key(&key).await),
    };

    match outcome {
        Some(Ok(principal)) => {
            request.extensions_mut().insert(principal);
        }
        Some(Err(error)) if error.kind == crate::ErrorKind::Internal => {
            return error.into_response();
        }
        Some(Err(error)) => {
            request.extensions_mut().insert(AuthFailure {
                code: error.code,
                detail: error.detail,
            });
        }
        None => {}
    }
    next.run(request).await
}

fn strip_bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}
