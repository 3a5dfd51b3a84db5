//! What can go wrong in the brake, without HTTP.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::zone::ZoneError;
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
    Zone(#[from] ZoneError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lifeos_kernel::error_codes! {
    /// The codes the brake answers with.
    pub enum BrakeCode {
        NoBrakeDisplayed = "no_brake_displayed",
        ReflectionNotDue = "reflection_not_due",
        BrakeBusy = "brake_busy",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = BrakeCode::CODES;

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
                AppError::new(ErrorKind::Forbidden, CommonCode::ConsentRequired, detail)
            }
            BrakeError::NoBrakeDisplayed => {
                AppError::new(ErrorKind::Conflict, BrakeCode::NoBrakeDisplayed, detail)
            }
            BrakeError::ReflectionNotDue => {
                AppError::new(ErrorKind::Conflict, BrakeCode::ReflectionNotDue, detail)
            }
            BrakeError::Invalid(errors) => AppError::validation(errors),
            BrakeError::RateLimited { retry_after_secs } => {
                AppError::rate_limited(retry_after_secs)
            }
            BrakeError::Contended => {
                AppError::new(ErrorKind::Conflict, BrakeCode::BrakeBusy, detail)
            }
            BrakeError::Zone(ZoneError::OutOfRange) => {
                AppError::new(ErrorKind::Validation, CommonCode::ValidationFailed, detail)
            }
            BrakeError::Zone(zone @ ZoneError::UnknownZone(_)) => AppError::internal(zone),
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
