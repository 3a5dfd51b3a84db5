//! What can go wrong in tracking, without HTTP. Converted into the kernel's `AppError`.

use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum TrackingError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("a day type is already planned for this date")]
    DayAlreadyPlanned { existing: Uuid },
    #[error("an entry with this id already exists")]
    IdConflict,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("the GPX file could not be imported: {0}")]
    InvalidGpx(String),
    #[error("send the GPX file as application/gpx+xml")]
    UnsupportedMediaType,
    #[error("the node is locked; unlock it first")]
    NodeLocked,
    #[error("a habit needs a schedule before it can be completed")]
    HabitWithoutSchedule,
    #[error("a timer is already running")]
    TimerAlreadyRunning { running: Uuid },
    #[error("this time entry is not running")]
    TimerNotRunning,
    #[error("the entry overlaps another time entry")]
    TimeEntryOverlap { conflicting: Uuid },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = &[
    "day_already_planned",
    "id_conflict",
    "invalid_gpx",
    "node_locked",
    "habit_without_schedule",
    "timer_already_running",
    "timer_not_running",
    "time_entry_overlap",
];

impl TrackingError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        TrackingError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<TrackingError> for AppError {
    fn from(error: TrackingError) -> Self {
        let detail = error.to_string();
        match error {
            TrackingError::NotFound(_) => AppError::new(ErrorKind::NotFound, "not_found", detail),
            TrackingError::DayAlreadyPlanned { existing } => {
                AppError::new(ErrorKind::Conflict, "day_already_planned", detail)
                    .with_extension("existingId", existing)
            }
            TrackingError::IdConflict => AppError::new(ErrorKind::Conflict, "id_conflict", detail),
            TrackingError::Invalid(errors) => AppError::validation(errors),
            TrackingError::InvalidGpx(_) => {
                AppError::new(ErrorKind::Validation, "invalid_gpx", detail)
            }
            TrackingError::UnsupportedMediaType => AppError::new(
                ErrorKind::UnsupportedMediaType,
                "unsupported_media_type",
                detail,
            ),
            TrackingError::NodeLocked => AppError::new(ErrorKind::Conflict, "node_locked", detail),
            TrackingError::HabitWithoutSchedule => {
                AppError::new(ErrorKind::Conflict, "habit_without_schedule", detail)
            }
            TrackingError::TimerAlreadyRunning { running } => {
                AppError::new(ErrorKind::Conflict, "timer_already_running", detail)
                    .with_extension("runningId", running)
            }
            TrackingError::TimerNotRunning => {
                AppError::new(ErrorKind::Conflict, "timer_not_running", detail)
            }
            TrackingError::TimeEntryOverlap { conflicting } => {
                AppError::new(ErrorKind::Conflict, "time_entry_overlap", detail)
                    .with_extension("conflictingId", conflicting)
            }
            TrackingError::Store(store) => AppError::internal(store),
        }
    }
}

impl From<sqlx::Error> for TrackingError {
    fn from(error: sqlx::Error) -> Self {
        TrackingError::Store(StoreError::from(error))
    }
}

pub type Result<T, E = TrackingError> = std::result::Result<T, E>;
