//! What can go wrong in the library, without HTTP.

use lifeos_kernel::zone::ZoneError;
use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("that id is already used for something else")]
    IdConflict,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A seed file that does not parse or breaks its own rules: a build defect, not input.
    #[error("seed file {dataset} is invalid: {reason}")]
    InvalidSeed { dataset: String, reason: String },
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lifeos_kernel::error_codes! {
    /// The codes the library answers with.
    pub enum LibraryCode {
        LibraryIdConflict = "library_id_conflict",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = LibraryCode::CODES;

impl LibraryError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        LibraryError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<LibraryError> for AppError {
    fn from(error: LibraryError) -> Self {
        let detail = error.to_string();
        match error {
            LibraryError::NotFound(what) => AppError::not_found(what),
            LibraryError::IdConflict => {
                AppError::new(ErrorKind::Conflict, LibraryCode::LibraryIdConflict, detail)
            }
            LibraryError::Invalid(errors) => AppError::validation(errors),
            LibraryError::Zone(ZoneError::OutOfRange) => AppError::validation(vec![FieldError {
                field: "date".to_owned(),
                message: "is outside the supported range".to_owned(),
            }]),
            LibraryError::Zone(zone @ ZoneError::UnknownZone(_)) => AppError::internal(zone),
            seed @ LibraryError::InvalidSeed { .. } => AppError::internal(seed),
            LibraryError::Store(store) => AppError::internal(store),
        }
    }
}

impl From<sqlx::Error> for LibraryError {
    fn from(error: sqlx::Error) -> Self {
        LibraryError::Store(StoreError::from(error))
    }
}

impl From<serde_json::Error> for LibraryError {
    fn from(error: serde_json::Error) -> Self {
        LibraryError::Store(StoreError::from(error))
    }
}

pub type Result<T, E = LibraryError> = std::result::Result<T, E>;
