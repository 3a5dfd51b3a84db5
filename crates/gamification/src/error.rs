//! What can go wrong in gamification, without HTTP.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::zone::ZoneError;
use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};

use crate::window::DayError;

#[derive(Debug, thiserror::Error)]
pub enum GamificationError {
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("this is already completed for that day or period")]
    AlreadyCompleted,
    #[error("this habit is not due on that day")]
    HabitNotDue,
    #[error("this node is locked; unlock it before completing it")]
    NodeLocked,
    #[error("that day ended more than 48 hours ago; it can no longer take completions")]
    CompletionTooLate,
    #[error("a completion cannot belong to a day that has not begun")]
    CompletionInFuture,
    #[error("a completion can only be undone within 24 hours")]
    UndoWindowPassed,
    #[error("that completion id is already used for something else")]
    IdTaken,
    #[error("a completion cannot be changed; undo it and complete again")]
    Immutable,
    #[error("an undone completion cannot come back; complete the node again")]
    Revived,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("too many completions")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Zone(#[from] ZoneError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lifeos_kernel::error_codes! {
    /// The codes gamification answers with.
    pub enum GamificationCode {
        AlreadyCompleted = "already_completed",
        HabitNotDue = "habit_not_due",
        CompletionTooLate = "completion_too_late",
        CompletionInFuture = "completion_in_future",
        UndoWindowPassed = "undo_window_passed",
        CompletionIdTaken = "completion_id_taken",
        CompletionImmutable = "completion_immutable",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = GamificationCode::CODES;

impl GamificationError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        GamificationError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<DayError> for GamificationError {
    fn from(error: DayError) -> Self {
        match error {
            DayError::TooLate => GamificationError::CompletionTooLate,
            DayError::DateInFuture => GamificationError::CompletionInFuture,
            DayError::CompletedInFuture => GamificationError::invalid(
                "completedAt",
                "is in the future; a completion records when something was done",
            ),
            DayError::Zone(zone) => GamificationError::Zone(zone),
        }
    }
}

impl From<GamificationError> for AppError {
    fn from(error: GamificationError) -> Self {
        use GamificationCode as C;
        let detail = error.to_string();
        match error {
            GamificationError::NotFound(what) => AppError::not_found(what),
            GamificationError::AlreadyCompleted => {
                AppError::new(ErrorKind::Conflict, C::AlreadyCompleted, detail)
            }
            GamificationError::HabitNotDue => {
                AppError::new(ErrorKind::Conflict, C::HabitNotDue, detail)
            }
            GamificationError::NodeLocked => {
                AppError::new(ErrorKind::Conflict, CommonCode::NodeLocked, detail)
            }
            GamificationError::CompletionTooLate => {
                AppError::new(ErrorKind::Validation, C::CompletionTooLate, detail)
            }
            GamificationError::CompletionInFuture => {
                AppError::new(ErrorKind::Validation, C::CompletionInFuture, detail)
            }
            GamificationError::UndoWindowPassed => {
                AppError::new(ErrorKind::Conflict, C::UndoWindowPassed, detail)
            }
            GamificationError::IdTaken => {
                AppError::new(ErrorKind::Conflict, C::CompletionIdTaken, detail)
            }
            GamificationError::Immutable | GamificationError::Revived => {
                AppError::new(ErrorKind::Conflict, C::CompletionImmutable, detail)
            }
            GamificationError::Invalid(errors) => AppError::validation(errors),
            GamificationError::RateLimited { retry_after_secs } => {
                AppError::rate_limited(retry_after_secs)
            }
            GamificationError::Zone(ZoneError::OutOfRange) => {
                AppError::new(ErrorKind::Validation, CommonCode::ValidationFailed, detail)
            }
            GamificationError::Zone(zone @ ZoneError::UnknownZone(_)) => AppError::internal(zone),
            GamificationError::Store(store) => AppError::internal(store),
        }
    }
}

impl From<sqlx::Error> for GamificationError {
    fn from(error: sqlx::Error) -> Self {
        GamificationError::Store(StoreError::from(error))
    }
}

impl From<serde_json::Error> for GamificationError {
    fn from(error: serde_json::Error) -> Self {
        GamificationError::Store(StoreError::from(error))
    }
}

pub type Result<T, E = GamificationError> = std::result::Result<T, E>;
