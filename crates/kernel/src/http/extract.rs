//! Extractors that reject with problem+json instead of axum's plain-text rejections.

use crate::error::CommonCode;
use std::net::{IpAddr, Ipv4Addr};

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::auth::AuthFailure;
use super::text;
use crate::error::{AppError, ErrorKind, FieldError};
use crate::{Principal, Scope};
use axum::body::Bytes;

/// A JSON body. Request types use `#[serde(deny_unknown_fields)]`, so a misspelt or
/// unexpected field is a 422 rather than silently ignored; text holding control
/// characters (other than tab and newlines) is a 422 `invalid_text` ([`super::text`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !json_content_type(req.headers()) {
            return Err(AppError::new(
                ErrorKind::UnsupportedMediaType,
                CommonCode::UnsupportedMediaType,
                "send the body as application/json",
            ));
        }
        let bytes = match Bytes::from_request(req, state).await {
            Ok(bytes) => bytes,
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return Err(AppError::new(
                    ErrorKind::PayloadTooLarge,
                    CommonCode::PayloadTooLarge,
                    "the request body is larger than this server accepts",
                ));
            }
            Err(rejection) => {
                return Err(AppError::new(
                    ErrorKind::BadRequest,
                    CommonCode::BadRequest,
                    rejection.body_text(),
                ));
            }
        };
        // serde reads a struct from an array of its fields in order (`[null, null]` as a
        // patch of two fields); every request body of this API is an object.
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
            let mut error = AppError::validation(vec![FieldError {
                field: "body".to_owned(),
                message: "must be a JSON object".to_owned(),
            }]);
            error.code = CommonCode::InvalidBody.as_str();
            return Err(error);
        }
        if text::json_may_hold_controls(&bytes)
            && let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && let Some(field) = text::first_invalid(&value)
        {
            return Err(invalid_text(field));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(value)) => Ok(Json(value)),
            Err(rejection) => match integral_floats_as_integers(&bytes, &rejection) {
                Some(value) => Ok(Json(value)),
                None => Err(json_rejection(&rejection)),
            },
        }
    }
}

/// JSON has one number type, and JSON Schema calls `3.0` an integer; serde's integer types
/// refuse it. Only after such a refusal (the common path pays nothing) is the body read
/// again with every whole float (`3.0`, `1e3`) written as an integer.
fn integral_floats_as_integers<T: DeserializeOwned>(
    bytes: &[u8],
    rejection: &JsonRejection,
) -> Option<T> {
    let JsonRejection::JsonDataError(err) = rejection else {
        return None;
    };
    if !err.body_text().contains("invalid type: floating point") {
        return None;
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    whole_floats_as_integers(&mut value);
    serde_json::from_value(value).ok()
}

fn whole_floats_as_integers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // A whole number below 2^53 converts exactly.
                let whole = f as i64;
                *value = serde_json::Value::from(whole);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_floats_as_integers),
        serde_json::Value::Object(members) => {
            members.values_mut().for_each(whole_floats_as_integers)
        }
        _ => {}
    }
}

/// `value` as `T`, accepted and refused exactly as the same JSON sent as a request body
/// ([`Json`]): the same `invalid_body` code, field path and message. For bodies that
/// arrive inside another one (a sync mutation's `fields`).
pub fn parse_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, AppError> {
    match serde_path_to_error::deserialize::<_, T>(&value) {
        Ok(parsed) => Ok(parsed),
        Err(error) => {
            let message = error.to_string();
            if message.contains("invalid type: floating point") {
                let mut whole = value;
                whole_floats_as_integers(&mut whole);
                if let Ok(parsed) = serde_json::from_value(whole) {
                    return Ok(parsed);
                }
            }
            Err(data_error(message))
        }
    }
}

/// A body that is JSON but not the expected shape.
fn data_error(message: String) -> AppError {
    let field = field_of(&message);
    if message.contains(crate::date::OUT_OF_RANGE) {
        return date_out_of_range(field, message);
    }
    // The detail names the field once: `plannedType: unknown variant ..`.
    let message = match message.strip_prefix(&format!("{field}: ")) {
        Some(rest) => rest.to_owned(),
        None => message,
    };
    let mut error = AppError::validation(vec![FieldError { field, message }]);
    error.code = CommonCode::InvalidBody.as_str();
    error
}

/// `application/json` or any `application/*+json`, as axum's own extractor accepts.
fn json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// 422 `date_out_of_range`: a date or timestamp outside the years 1900-2200
/// ([`crate::date`]).
pub fn date_out_of_range(field: String, message: String) -> AppError {
    let message = match message.split_once(": ") {
        Some((path, rest)) if path == field => rest.to_owned(),
        _ => message,
    };
    let mut error = AppError::validation(vec![FieldError { field, message }]);
    error.code = CommonCode::DateOutOfRange.as_str();
    error
}

/// 422 `invalid_text` for `field`.
pub fn invalid_text(field: String) -> AppError {
    let message =
        "must not contain control characters (only tab, line feed and carriage return)".to_owned();
    let mut error = AppError::validation(vec![FieldError { field, message }]);
    error.code = CommonCode::InvalidText.as_str();
    error
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

fn json_rejection(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(err) => {
            let message = err.body_text();
            let message = message
                .strip_prefix("Failed to deserialize the JSON body into the target type: ")
                .unwrap_or(&message)
                .to_owned();
            data_error(message)
        }
        JsonRejection::JsonSyntaxError(err) => AppError::new(
            ErrorKind::BadRequest,
            CommonCode::MalformedJson,
            err.body_text(),
        ),
        JsonRejection::MissingJsonContentType(_) => AppError::new(
            ErrorKind::UnsupportedMediaType,
            CommonCode::UnsupportedMediaType,
            "send the body as application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::new(
            ErrorKind::PayloadTooLarge,
            CommonCode::PayloadTooLarge,
            "the request body is larger than this server accepts",
        ),
        other => AppError::new(
            ErrorKind::BadRequest,
            CommonCode::BadRequest,
            other.body_text(),
        ),
    }
}

/// The field a serde message is about: `a.b: msg`, or the name in ``missing field `x` ``.
fn field_of(message: &str) -> String {
    if let Some((path, _)) = message.split_once(": ")
        && !path.contains(' ')
    {
        return path.to_owned();
    }
    for marker in ["missing field `", "unknown field `"] {
        if let Some(rest) = message.split_once(marker).map(|(_, rest)| rest)
            && let Some((name, _)) = rest.split_once('`')
        {
            return name.to_owned();
        }
    }
    "body".to_owned()
}

/// Path parameters; a malformed one (e.g. not a UUID) is a 400.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if !text::path_is_clean(parts.uri.path()) {
            return Err(invalid_text("path".to_owned()));
        }
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(path_rejection(&rejection)),
        }
    }
}

fn path_rejection(rejection: &PathRejection) -> AppError {
    AppError::new(
        ErrorKind::BadRequest,
        CommonCode::InvalidPathParameter,
        rejection.body_text(),
    )
}

/// Query parameters; malformed ones are a 400.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(field) = parts.uri.query().and_then(text::first_invalid_in_query) {
            return Err(invalid_text(field));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(rejection) => Err(query_rejection(&rejection)),
        }
    }
}

fn query_rejection(rejection: &QueryRejection) -> AppError {
    let message = rejection.body_text();
    if message.contains(crate::date::OUT_OF_RANGE) {
        let message = message
            .strip_prefix("Failed to deserialize query string: ")
            .unwrap_or(&message)
            .to_owned();
        return date_out_of_range(field_of(&message), message);
    }
    AppError::new(
        ErrorKind::BadRequest,
        CommonCode::InvalidQuery,
        rejection.body_text(),
    )
}

/// The authenticated caller. Resolved by the auth middleware; this extractor enforces
/// that one exists and that it holds the scope the method needs (write for anything
/// but GET/HEAD/OPTIONS).
impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(principal) = parts.extensions.get::<Principal>().copied() else {
            return Err(match parts.extensions.get::<AuthFailure>() {
                Some(failure) => {
                    // The code came from the authenticator's own AppError.
                    let mut error = AppError::unauthenticated(failure.detail.clone());
                    error.code = failure.code;
                    error
                }
                None => AppError::unauthenticated(
                    "authentication required: send 'Authorization: Bearer <access token>' or 'X-API-Key: <key>'",
                ),
            });
        };
        let needed = if parts.method.is_safe() {
            Scope::Read
        } else {
            Scope::Write
        };
        principal.require(needed)?;
        Ok(principal)
    }
}

/// The client's address as the gateway determined it (peer address, or the first
/// `X-Forwarded-For` hop when the proxy is trusted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ClientIp>()
            .copied()
            .unwrap_or(ClientIp(IpAddr::V4(Ipv4Addr::UNSPECIFIED))))
    }
}

#[cfg(test)]
mod tests {
    use super::field_of;

    #[test]
    fn finds_the_field_in_serde_messages() {
        assert_eq!(
            field_of("email: invalid type: integer `3`, expected a string at line 1 column 12"),
            "email"
        );
        assert_eq!(
            field_of("missing field `password` at line 1 column 20"),
            "password"
        );
        assert_eq!(
            field_of(
                "unknown field `isAdmin`, expected one of `email`, `password` at line 1 column 30"
            ),
            "isAdmin"
        );
        assert_eq!(field_of("items[2].date: premature end"), "items[2].date");
    }
}
