//! RFC 9457 problem details: the one error body of the API.

use crate::error::CommonCode;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::request_id;
use crate::error::{AppError, ErrorKind, FieldError};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// An error response (`application/problem+json`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// `urn:lifeos:problem:<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem class (the HTTP reason phrase).
    pub title: String,
    pub status: u16,
    /// What went wrong in this occurrence, for humans.
    pub detail: String,
    /// Stable machine-readable code; clients branch on this.
    pub code: String,
    /// The request's `x-request-id`, for support and logs.
    pub request_id: Option<String>,
    /// Invalid fields, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra members specific to the code (e.g. the id of a conflicting resource).
    #[serde(flatten)]
    #[schema(ignore)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::Gone => StatusCode::GONE,
        ErrorKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::NotImplemented => StatusCode::NOT_IMPLEMENTED,
        ErrorKind::BadGateway => StatusCode::BAD_GATEWAY,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The problem kind and code for a bare status produced outside a handler
/// (unknown route, wrong method, body limit, timeout).
pub fn for_status(status: StatusCode) -> AppError {
    let (kind, code, detail) = match status {
        StatusCode::NOT_FOUND => (
            ErrorKind::NotFound,
            CommonCode::NotFound,
            "no such resource",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            ErrorKind::BadRequest,
            CommonCode::MethodNotAllowed,
            "this method is not allowed on this resource",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => (
            ErrorKind::PayloadTooLarge,
            CommonCode::PayloadTooLarge,
            "the request body is larger than this server accepts",
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            ErrorKind::UnsupportedMediaType,
            CommonCode::UnsupportedMediaType,
            "send the body as application/json",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            ErrorKind::Unavailable,
            CommonCode::RequestTimeout,
            "the request took too long",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            ErrorKind::Unavailable,
            CommonCode::ServiceUnavailable,
            "the service is temporarily unavailable",
        ),
        StatusCode::UNAUTHORIZED => (
            ErrorKind::Unauthenticated,
            CommonCode::Unauthenticated,
            "authentication required",
        ),
        StatusCode::FORBIDDEN => (ErrorKind::Forbidden, CommonCode::Forbidden, "not allowed"),
        status if status.is_client_error() => (
            ErrorKind::BadRequest,
            CommonCode::BadRequest,
            "the request could not be processed",
        ),
        _ => (
            ErrorKind::Internal,
            CommonCode::InternalError,
            "an internal error occurred",
        ),
    };
    AppError::new(kind, code, detail)
}

impl AppError {
    pub fn to_problem(&self, status: StatusCode) -> Problem {
        Problem {
            type_uri: format!("urn:lifeos:problem:{}", self.code),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            request_id: request_id::current(),
            errors: self.errors.clone(),
            extensions: self.extensions.clone(),
        }
    }

    /// Renders with an explicit status (used when a layer chose the status).
    pub fn into_response_with_status(self, status: StatusCode) -> Response {
        if self.kind == ErrorKind::Internal {
            match &self.source {
                Some(source) => {
                    tracing::error!(code = %self.code, error = %source, "request failed")
                }
                None => tracing::error!(code = %self.code, detail = %self.detail, "request failed"),
            }
        }
        let problem = self.to_problem(status);
        let body = serde_json::to_vec(&problem).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.kind == ErrorKind::Unauthenticated {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = status_of(self.kind);
        self.into_response_with_status(status)
    }
}

/// True when a response already carries a problem body.
pub fn is_problem(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(CONTENT_TYPE.as_bytes()))
}
