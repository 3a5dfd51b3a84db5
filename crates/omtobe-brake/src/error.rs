//! What can go wrong in the brake, without HTTP.

use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum BrakeError {
    #[error("health data needs your recorded consent (PUT /api/v1/me/consents/health_data)")]
    ConsentRequired,
    #[error("no brake was displayed for this event in the last 10 minutes")]
    NoBrakeDisplayed,
    #[error("the reflection is not due yet")]
    ReflectionNotDue,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("too many checks")]
    RateLimited { retry_after_secs: u64 },
    #[error("the brake state changed concurrently; retry")]
    Contended,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = &[
    "consent_required",
    "no_brake_displayed",
    "reflection_not_due",
    "brake_busy",
];

impl BrakeError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        BrakeError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<BrakeError> for AppError {
    fn from(error: BrakeError) -> Self {
        let detail = error.to_string();
        match error {
            BrakeError::ConsentRequired => {
                AppError::new(ErrorKind::Forbidden, "consent_required", detail)
            }
            BrakeError::NoBrakeDisplayed => {
                AppError::new(ErrorKind::Conflict, "no_brake_displayed", detail)
            }
            BrakeError::ReflectionNotDue => {
                AppError::new(ErrorKind::Conflict, "reflection_not_due", detail)
            }
            BrakeError::Invalid(errors) => AppError::validation(errors),
            BrakeError::RateLimited { retry_after_secs } => {
                AppError::rate_limited(retry_after_secs)
            }
            BrakeError::Contended => AppError::new(ErrorKind::Conflict, "brake_busy", detail),
            BrakeError::Store(store) => AppError::internal(store),
        }
    }
}

impl From<sqlx::Error> for BrakeError {
    fn from(error: sqlx::Error) -> Self {
        BrakeError::Store(StoreError::from(error))
    }
}

impl From<serde_json::Error> for BrakeError {
    fn from(error: serde_json::Error) -> Self {
        BrakeError::Store(StoreError::from(error))
    }
}

pub type Result<T, E = BrakeError> = std::result::Result<T, E>;
