//! The shared error type. Domain crates keep their own `thiserror` enums and convert them
//! into [`AppError`]: a kind (what went wrong, in HTTP-free terms), a stable `code` and a
//! human `detail`. Only [`crate::http::problem`] turns a kind into an HTTP status.

use serde::Serialize;

/// What went wrong, independent of transport. Each maps to one HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    BadRequest,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    /// What was asked for existed once and is no longer kept (an expired sync cursor).
    Gone,
    Validation,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    Unavailable,
    NotImplemented,
    /// A third-party service we depend on answered badly or not at all.
    BadGateway,
    Internal,
}

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = kernel::FieldError)]
pub struct FieldError {
    /// The JSON path of the field (`email`, `items[2].date`).
    pub field: String,
    pub message: String,
}

/// A stable error code: a variant of an enum declared with [`error_codes!`](crate::error_codes),
/// so every code an answer can carry is listed in the contract.
pub trait ErrorCode: Copy {
    fn as_str(self) -> &'static str;
}

/// Declares a domain's error codes: an enum whose variants render as the given
/// snake_case strings, with `CODES` (all of them, for the OpenAPI contract) and
/// [`ErrorCode`]. [`AppError::new`] takes only such codes, so a code cannot be answered
/// without being listed.
#[macro_export]
macro_rules! error_codes {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every code, for the contract.
            pub const CODES: &'static [&'static str] = &[$($text),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl $crate::error::ErrorCode for $name {
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
        }
    };
}

crate::error_codes! {
    /// Codes every router may answer with; domains add their own.
    pub enum CommonCode {
        BadRequest = "bad_request",
        MalformedJson = "malformed_json",
        InvalidBody = "invalid_body",
        InvalidPathParameter = "invalid_path_parameter",
        InvalidQuery = "invalid_query",
        ValidationFailed = "validation_failed",
        InvalidText = "invalid_text",
        DateOutOfRange = "date_out_of_range",
        Unauthenticated = "unauthenticated",
        Forbidden = "forbidden",
        InsufficientScope = "insufficient_scope",
        SessionRequired = "session_required",
        NotFound = "not_found",
        /// A node is locked: tracking refuses changes to it, gamification completions.
        NodeLocked = "node_locked",
        /// A purpose the person has not consented to (health data, recommendations).
        ConsentRequired = "consent_required",
        MethodNotAllowed = "method_not_allowed",
        PayloadTooLarge = "payload_too_large",
        UnsupportedMediaType = "unsupported_media_type",
        RateLimited = "rate_limited",
        InvalidIdempotencyKey = "invalid_idempotency_key",
        IdempotencyKeyReused = "idempotency_key_reused",
        IdempotencyRequestInProgress = "idempotency_request_in_progress",
        RequestTimeout = "request_timeout",
        ServiceUnavailable = "service_unavailable",
        NotImplemented = "not_implemented",
        InternalError = "internal_error",
    }
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    pub code: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds the client should wait (rate limits, unavailable).
    pub retry_after: Option<u64>,
    /// Extra members merged into the problem body (e.g. the id of a conflicting row).
    pub extensions: serde_json::Map<String, serde_json::Value>,
    /// The internal cause, logged and never sent.
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AppError {
    pub fn new(kind: ErrorKind, code: impl ErrorCode, detail: impl Into<String>) -> Self {
        Self {
            kind,
            code: code.as_str(),
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            extensions: serde_json::Map::new(),
            source: None,
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            ErrorKind::NotFound,
            CommonCode::NotFound,
            format!("{what} not found"),
        )
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorKind::Unauthenticated,
            CommonCode::Unauthenticated,
            detail,
        )
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        let mut error = Self::new(ErrorKind::Validation, CommonCode::ValidationFailed, detail);
        error.errors = errors;
        error
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut error = Self::new(
            ErrorKind::RateLimited,
            CommonCode::RateLimited,
            format!("too many requests; retry in {retry_after_secs} s"),
        );
        error.retry_after = Some(retry_after_secs);
        error
    }

    /// An unexpected failure: the cause is logged, the client sees a generic message.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        let mut error = Self::new(
            ErrorKind::Internal,
            CommonCode::InternalError,
            "an internal error occurred",
        );
        error.source = Some(source.into());
        error
    }

    #[must_use]
    pub fn with_extension(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(value) = serde_json::to_value(value) {
            self.extensions.insert(key.to_owned(), value);
        }
        self
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.code,
            kind_name(self.kind),
            self.detail
        )
    }
}

impl std::error::Error for AppError {}

fn kind_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::BadRequest => "bad request",
        ErrorKind::Unauthenticated => "unauthenticated",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::NotFound => "not found",
        ErrorKind::Conflict => "conflict",
        ErrorKind::Gone => "gone",
        ErrorKind::Validation => "validation",
        ErrorKind::PayloadTooLarge => "payload too large",
        ErrorKind::UnsupportedMediaType => "unsupported media type",
        ErrorKind::RateLimited => "rate limited",
        ErrorKind::Unavailable => "unavailable",
        ErrorKind::NotImplemented => "not implemented",
        ErrorKind::BadGateway => "bad gateway",
        ErrorKind::Internal => "internal",
    }
}

/// Failures of the storage layer shared by every store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data could not be (de)serialised: {0}")]
    Serde(#[from] serde_json::Error),
}

impl StoreError {
    /// True when the statement broke a UNIQUE constraint (both dialects).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
    }

    /// True when the statement broke a FOREIGN KEY constraint (both dialects).
    pub fn is_foreign_key_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(db)) if db.is_foreign_key_violation())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        AppError::internal(error)
    }
}

/// Collects field errors so a request reports every invalid field at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) -> &mut Self {
        if !ok {
            self.errors.push(FieldError {
                field: field.to_owned(),
                message: message.into(),
            });
        }
        self
    }

    /// Checks a string's length in characters (not bytes), inclusive bounds.
    pub fn length(&mut self, value: &str, field: &str, min: usize, max: usize) -> &mut Self {
        let len = value.chars().count();
        self.check(
            (min..=max).contains(&len),
            field,
            format!("must be between {min} and {max} characters long (got {len})"),
        )
    }

    pub fn finish(&mut self) -> Result<(), AppError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::validation(std::mem::take(&mut self.errors)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validator_reports_every_field() {
        let err = Validator::new()
            .length("ab", "name", 3, 10)
            .check(false, "age", "must be positive")
            .finish()
            .unwrap_err();
        assert_eq!(err.code, "validation_failed");
        assert_eq!(err.errors.len(), 2);
        assert_eq!(err.errors[0].field, "name");
        assert!(err.errors[0].message.contains("got 2"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(Validator::new().length("ééé", "x", 3, 3).finish().is_ok());
    }
}
