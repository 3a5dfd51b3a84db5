//! Extractors that reject with problem+json instead of axum's plain-text rejections.

use crate::error::CommonCode;
use std::net::{IpAddr, Ipv4Addr};

use axum::extract::rejection::{PathRejection, QueryRejection};
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
        read_json(&bytes)
    }
}

/// `bytes` as `T`, as axum's `Json` reads them (serde_json with the field path), refused
/// in the sentences of [`explain`].
fn read_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<Json<T>, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let error = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Ok(value) => {
            return match deserializer.end() {
                Ok(()) => Ok(Json(value)),
                Err(error) => Err(malformed_json(bytes, &error)),
            };
        }
        Err(error) => error,
    };
    let mut message = without_position(error.inner());
    if error.inner().classify() != serde_json::error::Category::Data {
        // serde_json calls a number or list where an enum's string belongs a syntax
        // error (`expected value`); the body is JSON all the same.
        if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_err() {
            return Err(malformed_json(bytes, error.inner()));
        }
        if message == "expected value" {
            message = "expected one of the accepted values".to_owned();
        }
    }
    if message.contains("invalid type: floating point")
        && let Some(value) = integral_floats_as_integers(bytes)
    {
        return Ok(Json(value));
    }
    Err(data_error(&path_of(error.path()), &message))
}

/// JSON has one number type, and JSON Schema calls `3.0` an integer; serde's integer types
/// refuse it. Only after such a refusal (the common path pays nothing) is the body read
/// again with every whole float (`3.0`, `1e3`) written as an integer.
fn integral_floats_as_integers<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
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
            let message = without_position(error.inner());
            if message.contains("invalid type: floating point") {
                let mut whole = value;
                whole_floats_as_integers(&mut whole);
                if let Ok(parsed) = serde_json::from_value(whole) {
                    return Ok(parsed);
                }
            }
            Err(data_error(&path_of(error.path()), &message))
        }
    }
}

/// A body that is JSON but not the expected shape: 422 `invalid_body` naming the field,
/// or `date_out_of_range`.
fn data_error(path: &str, message: &str) -> AppError {
    let refusal = explain(Place::Body, path, message);
    if message.contains(crate::date::OUT_OF_RANGE) {
        return date_out_of_range(refusal.field, message.to_owned());
    }
    let mut error = AppError::validation(vec![FieldError {
        field: refusal.field,
        message: refusal.message,
    }]);
    error.code = CommonCode::InvalidBody.as_str();
    error.detail = refusal.detail;
    error
}

/// 400 `malformed_json`: `bytes` are not JSON at all.
fn malformed_json(bytes: &[u8], error: &serde_json::Error) -> AppError {
    let detail = if bytes.iter().all(u8::is_ascii_whitespace) {
        "the body is empty; send a JSON object".to_owned()
    } else {
        format!("the body is not valid JSON ({})", syntax(error))
    };
    AppError::new(ErrorKind::BadRequest, CommonCode::MalformedJson, detail)
}

/// serde_json's syntax error as a phrase, with its position once (none for a body that
/// ends early: the position is its end).
fn syntax(error: &serde_json::Error) -> String {
    let message = without_position(error);
    let what = match message.as_str() {
        "EOF while parsing a value" => "it ends where a value should be",
        "EOF while parsing an object" => "it ends before an object is closed",
        "EOF while parsing a list" => "it ends before a list is closed",
        "EOF while parsing a string" => "it ends inside a string",
        "expected value" => "a value is missing or misspelt",
        "expected ident" => "true, false or null is misspelt",
        "expected `:`" => "a colon is missing after a key",
        "expected `,` or `}`" => "a comma or closing brace is missing",
        "expected `,` or `]`" => "a comma or closing bracket is missing",
        "key must be a string" => "an object key is not a string in double quotes",
        "trailing comma" => "a comma is followed by nothing",
        "trailing characters" => "more follows the JSON value",
        "invalid number" => "a number is malformed",
        "number out of range" => "a number is too large",
        "invalid escape" => "a string holds an invalid escape",
        "recursion limit exceeded" => "it nests too deeply",
        other if other.starts_with("control character") => "a string holds a raw control character",
        other if other.contains("surrogate") || other.contains("unicode") => {
            "a string holds an invalid unicode escape"
        }
        other if other.contains("hex escape") => "a string holds an invalid unicode escape",
        other => return other.replace('`', "\""),
    };
    if error.classify() == serde_json::error::Category::Eof || error.line() == 0 {
        what.to_owned()
    } else {
        format!("{what} at line {}, column {}", error.line(), error.column())
    }
}

/// serde_json's message without its ` at line L column C`.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    if error.line() == 0 {
        return message;
    }
    let position = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&position) {
        Some(rest) => rest.to_owned(),
        None => message,
    }
}

/// The path serde_path_to_error tracked, as the API names fields (`items[2].date`); empty
/// for the body itself.
fn path_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
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
    let detail = match rejection {
        PathRejection::FailedToDeserializePathParams(failure) => path_detail(failure.kind()),
        other => other.body_text(),
    };
    AppError::new(
        ErrorKind::BadRequest,
        CommonCode::InvalidPathParameter,
        detail,
    )
}

/// A path parameter that did not parse, as a sentence naming the parameter once.
fn path_detail(kind: &axum::extract::path::ErrorKind) -> String {
    use axum::extract::path::ErrorKind as Kind;
    let subject = |key: &str| format!("the path parameter \"{key}\"");
    match kind {
        Kind::ParseErrorAtKey {
            key, expected_type, ..
        } => format!("{} must be {}", subject(key), expected(expected_type)),
        Kind::ParseErrorAtIndex { expected_type, .. } | Kind::ParseError { expected_type, .. } => {
            format!("a path parameter must be {}", expected(expected_type))
        }
        Kind::DeserializeError { key, message, .. } => {
            format!("{} {}", subject(key), custom(message))
        }
        Kind::InvalidUtf8InPathParam { key } => format!("{} must be valid UTF-8", subject(key)),
        Kind::Message(message) => format!("a path parameter {}", custom(message)),
        other => other.to_string().replace('`', "\""),
    }
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
    let text = rejection.body_text();
    let message = text
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&text);
    let (path, message) = split_path(message);
    let refusal = explain(Place::Query, path, message);
    if message.contains(crate::date::OUT_OF_RANGE) {
        return date_out_of_range(refusal.field, message.to_owned());
    }
    let mut error = AppError::new(
        ErrorKind::BadRequest,
        CommonCode::InvalidQuery,
        refusal.detail,
    );
    error.errors = vec![FieldError {
        field: refusal.field,
        message: refusal.message,
    }];
    error
}

/// `a.b: msg` as (`a.b`, `msg`): the path serde_path_to_error puts before a message it
/// hands on as text (axum's query rejection).
fn split_path(message: &str) -> (&str, &str) {
    match message.split_once(": ") {
        Some((path, rest)) if !path.is_empty() && !path.contains(' ') => (path, rest),
        _ => ("", message),
    }
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

/// Where a refused value was: a body field or a query parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Body,
    Query,
}

impl Place {
    fn noun(self) -> &'static str {
        match self {
            Place::Body => "field",
            Place::Query => "query parameter",
        }
    }

    /// What a sentence about `field` starts with.
    fn subject(self, field: &str) -> String {
        match (self, field.is_empty()) {
            (Place::Body, true) => "the body".to_owned(),
            (Place::Query, true) => "the query string".to_owned(),
            (Place::Body, false) => format!("\"{field}\""),
            (Place::Query, false) => format!("the query parameter \"{field}\""),
        }
    }
}

/// A serde refusal as a client reads it: the field, its message (for `errors`) and the
/// problem's detail, each naming the field at most once and no parser position.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    field: String,
    message: String,
    detail: String,
}

/// serde's `message` about the value at `path` (empty: the whole body or query).
fn explain(place: Place, path: &str, message: &str) -> Refusal {
    let noun = place.noun();
    let named = |name: &str| join(path, name);
    if let Some((name, tail)) = backticked(message, "unknown field `") {
        let field = named(name);
        let known = quoted_names(tail);
        let mut detail = format!("unknown {noun} \"{field}\"");
        if let Some(near) = closest(name, &known) {
            detail.push_str(&format!("; did you mean \"{near}\"?"));
        }
        let message = match known.is_empty() {
            true => format!("unknown {noun} \"{field}\"; none are accepted here"),
            false => format!("unknown {noun} \"{field}\"; expected {}", one_of(&known)),
        };
        return Refusal {
            field,
            message,
            detail,
        };
    }
    if let Some((name, _)) = backticked(message, "missing field `") {
        let field = named(name);
        let detail = format!("missing {noun} \"{field}\"");
        return Refusal {
            field,
            message: detail.clone(),
            detail,
        };
    }
    if let Some((name, _)) = backticked(message, "duplicate field `") {
        let field = named(name);
        let detail = format!("the {noun} \"{field}\" appears more than once");
        return Refusal {
            field,
            message: detail.clone(),
            detail,
        };
    }
    let field = if path.is_empty() && place == Place::Body {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    let subject = place.subject(path);
    if let Some((value, tail)) = backticked(message, "unknown variant `") {
        let variants = quoted_names(tail);
        let message = match variants.is_empty() {
            true => "has no accepted values".to_owned(),
            false => format!("must be {}", one_of(&variants)),
        };
        let detail = match closest(value, &variants) {
            Some(near) => format!("{subject} cannot be \"{value}\"; did you mean \"{near}\"?"),
            None => format!("{subject} {message}"),
        };
        return Refusal {
            field,
            message,
            detail,
        };
    }
    let message = predicate(message);
    Refusal {
        detail: format!("{subject} {message}"),
        field,
        message,
    }
}

/// What serde says of a value of the wrong type or out of range, as a predicate
/// (`must be a whole number`).
fn predicate(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("invalid type: ")
        && let Some((unexpected, wanted)) = rest.rsplit_once(", expected ")
    {
        // A fraction, or a whole number too large for serde_json's integers.
        if unexpected.starts_with("floating point `")
            && let Some((min, max)) = integer_bounds(wanted)
        {
            return format!("must be a whole number from {min} to {max}");
        }
        let wanted = expected(wanted);
        return match got(unexpected, &wanted) {
            Some(got) => format!("must be {wanted}, not {got}"),
            None => format!("must be {wanted}"),
        };
    }
    if let Some(rest) = message.strip_prefix("invalid value: ")
        && let Some((unexpected, wanted)) = rest.rsplit_once(", expected ")
    {
        if unexpected.starts_with("integer `")
            && let Some((min, max)) = integer_bounds(wanted)
        {
            return format!("must be a whole number from {min} to {max}");
        }
        return format!("must be {}", expected(wanted));
    }
    if let Some(rest) = message.strip_prefix("invalid length ")
        && let Some((length, wanted)) = rest.split_once(", expected ")
    {
        let items = if length == "1" { "item" } else { "items" };
        return format!("must be {}, not {length} {items}", expected(wanted));
    }
    custom(message)
}

/// A message a deserializer wrote itself (or a `FromStr` error of a query parameter).
fn custom(message: &str) -> String {
    let message = message.trim();
    match message {
        "invalid digit found in string" | "cannot parse integer from empty string" => {
            return "must be a whole number".to_owned();
        }
        "number too large to fit in target type" | "number out of range" => {
            return "is too large".to_owned();
        }
        "number too small to fit in target type" => return "is too small".to_owned(),
        "invalid float literal" => return "must be a number".to_owned(),
        "provided string was not `true` or `false`" => return "must be true or false".to_owned(),
        _ => {}
    }
    if message.starts_with("UUID parsing failed") {
        return "must be a UUID".to_owned();
    }
    if message.starts_with("data did not match any variant") {
        return "does not match any accepted shape".to_owned();
    }
    // time's parse errors: `the 'month' component could not be parsed`.
    if let Some((_, rest)) = message.split_once("the '")
        && let Some((component, _)) = rest.split_once("' component")
    {
        return match component {
            "year" | "month" | "day" | "ordinal" | "weekday" => {
                format!("must be a date such as 2026-01-31 (its {component} is not valid)")
            }
            _ => format!("must be a valid date or time (its {component} is not valid)"),
        };
    }
    if message.contains("character literal") {
        return "must be a date such as 2026-01-31".to_owned();
    }
    if let Some(rest) = message.strip_prefix("expected ") {
        return format!("must be {}", rest.replace('`', "\""));
    }
    if message.starts_with("must ") || message.starts_with("is ") {
        return message.replace('`', "\"");
    }
    format!("is not valid: {}", message.replace('`', "\""))
}

/// serde's `expected ...` (a type name or a visitor's phrase) as words.
fn expected(wanted: &str) -> String {
    let wanted = wanted.trim();
    let phrase = match wanted {
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" | "i8" | "i16" | "i32" | "i64" | "i128"
        | "isize" | "an integer" => "a whole number",
        "f32" | "f64" | "a number" => "a number",
        "a string" | "a borrowed string" | "string" | "str" | "a string or bytes" => "a string",
        "a boolean" | "bool" => "true or false",
        "a character" | "char" => "a single character",
        "unit" | "null" => "null",
        "a `Date`" | "time::date::Date" => "a date such as 2026-01-31",
        "a `Time`" => "a time of day such as 08:30:00",
        "uuid::Uuid" | "a UUID string" => "a UUID",
        "variant identifier" => "one of the accepted values",
        "field identifier" => "a field name",
        _ if wanted.contains("DateTime`") || wanted.contains("Timestamp") => {
            "a timestamp such as 2026-01-31T08:30:00Z"
        }
        _ if wanted.starts_with("a sequence") || wanted.starts_with("an array") => "a list",
        _ if wanted.starts_with("a map")
            || wanted.starts_with("struct ")
            || wanted.starts_with("a struct") =>
        {
            "an object"
        }
        _ if wanted.starts_with("enum ") || wanted.contains("tagged enum") => {
            "one of the accepted values"
        }
        _ => {
            if let Some(size) = wanted
                .strip_prefix("a tuple of size ")
                .or_else(|| wanted.strip_prefix("tuple of "))
            {
                return format!("a list of {}", size.replace(" elements", ""));
            }
            return wanted.replace('`', "\"");
        }
    };
    phrase.to_owned()
}

/// The kind of value serde found instead, unless it says nothing `wanted` does not.
fn got(unexpected: &str, wanted: &str) -> Option<&'static str> {
    let numeric = wanted.contains("number");
    let kind = match unexpected {
        u if u.starts_with("string ") => "a string",
        u if u.starts_with("integer ") || u.starts_with("floating point ") => {
            if numeric {
                return None;
            }
            "a number"
        }
        u if u.starts_with("boolean ") => "true or false",
        "null" | "unit" => "null",
        "map" => "an object",
        "sequence" => "a list",
        _ => return None,
    };
    (kind != wanted).then_some(kind)
}

/// The range of an integer type serde names.
fn integer_bounds(wanted: &str) -> Option<(String, String)> {
    let (min, max): (i128, u128) = match wanted.trim() {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" | "usize" => (0, u64::MAX.into()),
        "i8" => (i8::MIN.into(), i8::MAX.unsigned_abs().into()),
        "i16" => (i16::MIN.into(), i16::MAX.unsigned_abs().into()),
        "i32" => (i32::MIN.into(), i32::MAX.unsigned_abs().into()),
        "i64" | "isize" => (i64::MIN.into(), i64::MAX.unsigned_abs().into()),
        _ => return None,
    };
    Some((min.to_string(), max.to_string()))
}

/// `a` to a field `a` at `path`: `path.a`, or `path` when it already ends with `a`
/// (serde_path_to_error tracks an unknown key itself).
fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else if path == name || path.ends_with(&format!(".{name}")) {
        path.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// The name in `` prefix`name`rest ``, and the rest.
fn backticked<'a>(message: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = &message[message.find(prefix)? + prefix.len()..];
    rest.split_once('`')
}

/// Every `` `name` `` in serde's `expected one of ...`.
fn quoted_names(tail: &str) -> Vec<&str> {
    tail.split('`').skip(1).step_by(2).collect()
}

/// `"a"`, `"a" or "b"`, `one of "a", "b", "c"`.
fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|name| format!("\"{name}\"")).collect();
    match quoted.as_slice() {
        [one] => one.clone(),
        [a, b] => format!("{a} or {b}"),
        _ => format!("one of {}", quoted.join(", ")),
    }
}

/// The candidate `input` most likely meant: the same name in another case or with `_`
/// or `-`, a name it begins (`cost` for `costMinor`), or one within a few edits; none
/// when nothing is close.
fn closest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    fn normal(name: &str) -> Vec<char> {
        name.chars()
            .filter(|c| !matches!(c, '_' | '-' | ' '))
            .flat_map(char::to_lowercase)
            .collect()
    }
    let typed = normal(input);
    if typed.is_empty() {
        return None;
    }
    let allowed = match typed.len() {
        0..=3 => 1,
        4..=7 => 2,
        _ => 3,
    };
    let mut best: Option<(usize, &str)> = None;
    for &candidate in candidates {
        let known = normal(candidate);
        let score = if known == typed {
            0
        } else if typed.len() >= 3 && known.starts_with(&typed) {
            1
        } else {
            let distance = edit_distance(&typed, &known);
            if distance > allowed {
                continue;
            }
            1 + distance
        };
        if best.is_none_or(|(lowest, _)| score < lowest) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Levenshtein distance, a swap of neighbours counting as one edit.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Hike {
        date: time::Date,
        distance_m: u32,
        cost_minor: Option<i64>,
        kind: Option<Kind>,
        items: Option<Vec<Item>>,
        started_at: Option<crate::Timestamp>,
        id: Option<uuid::Uuid>,
        done: Option<bool>,
        name: Option<String>,
        level: Option<u8>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Item {
        grams: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    #[allow(dead_code)]
    enum Kind {
        Run,
        Ride,
        Rest,
    }

    const OK: &str = r#""date": "2026-03-01", "distanceM": 1200"#;

    /// The body's (detail, field, message), or the detail alone for malformed JSON.
    fn refuse(body: &str) -> (String, String, String) {
        let error = read_json::<Hike>(body.as_bytes()).unwrap_err();
        match error.errors.as_slice() {
            [one] => (error.detail, one.field.clone(), one.message.clone()),
            _ => (error.detail, String::new(), String::new()),
        }
    }

    /// A valid body with `extra` added or, for `distanceM`, replaced.
    fn with(extra: &str) -> String {
        match extra.contains("distanceM") {
            true => format!(r#"{{"date": "2026-03-01", {extra}}}"#),
            false => format!("{{{OK}, {extra}}}"),
        }
    }

    #[test]
    fn the_bodies_read_as_before() {
        assert!(read_json::<Hike>(format!("{{{OK}}}").as_bytes()).is_ok());
        assert!(read_json::<Hike>(with(r#""level": 3.0"#).as_bytes()).is_ok());
    }

    #[test]
    fn an_unknown_field_suggests_the_nearest_and_lists_the_rest() {
        let (detail, field, message) = refuse(&with(r#""cost": 5"#));
        assert_eq!(detail, r#"unknown field "cost"; did you mean "costMinor"?"#);
        assert_eq!(field, "cost");
        assert!(
            message.starts_with(
                r#"unknown field "cost"; expected one of "date", "distanceM", "costMinor""#
            ),
            "{message}"
        );
        let (detail, ..) = refuse(&with(r#""distance_m": 5"#));
        assert_eq!(
            detail,
            r#"unknown field "distance_m"; did you mean "distanceM"?"#
        );
        let (detail, ..) = refuse(&with(r#""nmae": "x""#));
        assert_eq!(detail, r#"unknown field "nmae"; did you mean "name"?"#);
        let (detail, field, _) = refuse(&with(r#""isAdmin": true"#));
        assert_eq!(
            (detail.as_str(), field.as_str()),
            (r#"unknown field "isAdmin""#, "isAdmin")
        );
        let (detail, field, message) = refuse(&with(r#""items": [{"grams": 1}, {"gram": 2}]"#));
        assert_eq!(
            detail,
            r#"unknown field "items[1].gram"; did you mean "grams"?"#
        );
        assert_eq!(field, "items[1].gram");
        assert_eq!(
            message,
            r#"unknown field "items[1].gram"; expected "grams""#
        );
    }

    #[test]
    fn a_missing_field_is_named_with_its_path() {
        assert_eq!(
            refuse(r#"{"date": "2026-03-01"}"#),
            (
                "missing field \"distanceM\"".into(),
                "distanceM".into(),
                "missing field \"distanceM\"".into()
            )
        );
        let (detail, field, _) = refuse(&with(r#""items": [{}]"#));
        assert_eq!(
            (detail.as_str(), field.as_str()),
            (r#"missing field "items[0].grams""#, "items[0].grams")
        );
    }

    #[test]
    fn a_wrong_type_says_what_the_field_must_be() {
        let cases = [
            (
                r#""distanceM": "far""#,
                "distanceM",
                r#""distanceM" must be a whole number, not a string"#,
            ),
            (
                r#""distanceM": 1.5"#,
                "distanceM",
                r#""distanceM" must be a whole number from 0 to 4294967295"#,
            ),
            (
                r#""distanceM": -1"#,
                "distanceM",
                r#""distanceM" must be a whole number from 0 to 4294967295"#,
            ),
            (
                r#""level": 300"#,
                "level",
                r#""level" must be a whole number from 0 to 255"#,
            ),
            (
                r#""name": 3"#,
                "name",
                r#""name" must be a string, not a number"#,
            ),
            (
                r#""done": "yes""#,
                "done",
                r#""done" must be true or false, not a string"#,
            ),
            (
                r#""items": {}"#,
                "items",
                r#""items" must be a list, not an object"#,
            ),
            (
                r#""items": [{"grams": "a lot"}]"#,
                "items[0].grams",
                r#""items[0].grams" must be a number, not a string"#,
            ),
            (r#""id": "not-a-uuid""#, "id", r#""id" must be a UUID"#),
            (
                r#""kind": 3"#,
                "kind",
                r#""kind" must be one of the accepted values"#,
            ),
            (
                r#""kind": ["run"]"#,
                "kind",
                r#""kind" must be one of the accepted values"#,
            ),
        ];
        for (extra, field, detail) in cases {
            let (got_detail, got_field, message) = refuse(&with(extra));
            assert_eq!(
                (got_detail.as_str(), got_field.as_str()),
                (detail, field),
                "{extra}"
            );
            assert_eq!(format!("\"{field}\" {message}"), detail, "{extra}");
        }
        let (detail, field, _) = refuse(&with(r#""startedAt": "yesterday""#));
        assert_eq!(field, "startedAt");
        assert!(
            detail.starts_with(r#""startedAt" must be an RFC 3339 timestamp"#),
            "{detail}"
        );
        let (detail, field, _) = refuse(r#"{"date": "2026-13-01", "distanceM": 1}"#);
        assert_eq!(field, "date");
        assert_eq!(
            detail,
            r#""date" must be a date such as 2026-01-31 (its month is not valid)"#
        );
        let (detail, ..) = refuse(r#"{"date": "2026-03-01", "distanceM": 1e400}"#);
        assert_eq!(detail, r#""distanceM" is too large"#);
        let (detail, ..) = refuse(r#"{"date": "2026-03-01", "distanceM": null}"#);
        assert_eq!(detail, r#""distanceM" must be a whole number, not null"#);
        assert_eq!(
            refuse(r#""hello""#).0,
            "the body must be an object, not a string"
        );
    }

    #[test]
    fn an_unknown_variant_suggests_the_nearest() {
        let (detail, field, message) = refuse(&with(r#""kind": "rnu""#));
        assert_eq!(detail, r#""kind" cannot be "rnu"; did you mean "run"?"#);
        assert_eq!(field, "kind");
        assert_eq!(message, r#"must be one of "run", "ride", "rest""#);
        let (detail, ..) = refuse(&with(r#""kind": "swim""#));
        assert_eq!(detail, r#""kind" must be one of "run", "ride", "rest""#);
        let (detail, ..) = refuse(&with(r#""kind": "RIDE""#));
        assert_eq!(detail, r#""kind" cannot be "RIDE"; did you mean "ride"?"#);
    }

    #[test]
    fn malformed_json_is_one_sentence_without_a_doubled_position() {
        let detail = |body: &str| refuse(body).0;
        assert_eq!(
            detail(r#"{"date": "#),
            "the body is not valid JSON (it ends where a value should be)"
        );
        assert_eq!(
            detail(r#"{"date": "2026-03-01""#),
            "the body is not valid JSON (it ends before an object is closed)"
        );
        assert_eq!(
            detail(r#"{"date" "2026"}"#),
            "the body is not valid JSON (a colon is missing after a key at line 1, column 9)"
        );
        assert_eq!(
            detail(&format!("{{{OK}}} x")),
            "the body is not valid JSON (more follows the JSON value at line 1, column 43)"
        );
        assert_eq!(
            detail("{date: 1}"),
            "the body is not valid JSON (an object key is not a string in double quotes at line 1, column 2)"
        );
        assert_eq!(detail(""), "the body is empty; send a JSON object");
        for body in [
            r#"{"done": tru}"#,
            r#"{"date": "2026-03-01",}"#,
            r#"{"date": "2026-03-01" "distanceM": 2}"#,
            r#"{"items": [{"grams": 1} {"grams": 2}]}"#,
            r#"{"name": "\q"}"#,
        ] {
            let text = detail(body);
            assert!(
                text.starts_with("the body is not valid JSON (") && !text.contains('`'),
                "{body}: {text}"
            );
            assert_eq!(text.matches("line").count(), 1, "{body}: {text}");
        }
    }

    #[test]
    fn a_nested_value_reads_as_a_body_does() {
        let error = parse_value::<Hike>(
            serde_json::json!({ "date": "2026-03-01", "distanceM": 1, "colour": 1 }),
        )
        .unwrap_err();
        assert_eq!(error.detail, r#"unknown field "colour""#);
        assert_eq!(error.code, "invalid_body");
        let error =
            parse_value::<Hike>(serde_json::json!({ "date": "2026-03-01", "distanceM": "x" }))
                .unwrap_err();
        assert_eq!(
            error.detail,
            r#""distanceM" must be a whole number, not a string"#
        );
        let error =
            parse_value::<Hike>(serde_json::json!({ "date": "2300-03-01", "distanceM": 1 }));
        assert!(error.is_ok(), "a bare time::Date has no range check");
    }

    #[test]
    fn query_messages_name_the_parameter() {
        let query = |message: &str| {
            let (path, message) = split_path(message);
            explain(Place::Query, path, message)
        };
        let limit = query("limit: invalid digit found in string");
        assert_eq!(
            limit.detail,
            r#"the query parameter "limit" must be a whole number"#
        );
        assert_eq!(
            (limit.field.as_str(), limit.message.as_str()),
            ("limit", "must be a whole number")
        );
        assert_eq!(
            query("missing field `month`").detail,
            r#"missing query parameter "month""#
        );
        assert_eq!(
            query("sort: unknown variant `nwest`, expected `newest` or `oldest`").detail,
            r#"the query parameter "sort" cannot be "nwest"; did you mean "newest"?"#
        );
        assert_eq!(
            query("limit: number too large to fit in target type").detail,
            r#"the query parameter "limit" is too large"#
        );
        assert_eq!(
            query("from: UUID parsing failed: invalid length").detail,
            r#"the query parameter "from" must be a UUID"#
        );
    }

    #[test]
    fn path_messages_name_the_parameter_once() {
        use axum::extract::path::ErrorKind as Kind;
        let uuid = Kind::DeserializeError {
            key: "id".into(),
            value: "not-a-uuid".into(),
            message: "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `n` at 1".into(),
        };
        assert_eq!(
            path_detail(&uuid),
            r#"the path parameter "id" must be a UUID"#
        );
        let number = Kind::ParseErrorAtKey {
            key: "year".into(),
            value: "soon".into(),
            expected_type: "u16",
        };
        assert_eq!(
            path_detail(&number),
            r#"the path parameter "year" must be a whole number"#
        );
    }

    #[test]
    fn suggestions_are_only_for_near_names() {
        let known = ["costMinor", "date", "distanceM", "notes"];
        assert_eq!(closest("cost", &known), Some("costMinor"));
        assert_eq!(closest("COSTMINOR", &known), Some("costMinor"));
        assert_eq!(closest("cost_minor", &known), Some("costMinor"));
        assert_eq!(closest("dtae", &known), Some("date"));
        assert_eq!(closest("note", &known), Some("notes"));
        assert_eq!(closest("bogus", &known), None);
        assert_eq!(closest("x", &known), None);
        assert_eq!(closest("", &known), None);
        assert_eq!(closest("isAdmin", &["email", "password"]), None);
    }
}
