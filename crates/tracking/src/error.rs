//! What can go wrong in tracking, without HTTP. Converted into the kernel's `AppError`.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::zone::ZoneError;
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
    /// Nested deeper than `hikes::gpx::MAX_DEPTH`; the message says so.
    #[error("{0}")]
    GpxTooDeep(String),
    /// Too costly to parse (elements, namespaces, a DOCTYPE); the message says which.
    #[error("{0}")]
    GpxTooComplex(String),
    /// The request was abandoned (timed out) while its work ran on a blocking thread.
    #[error("the request took too long and was stopped")]
    Abandoned,
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
    Zone(#[from] ZoneError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lifeos_kernel::error_codes! {
    /// The codes tracking answers with.
    pub enum TrackingCode {
        DayAlreadyPlanned = "day_already_planned",
        IdConflict = "id_conflict",
        InvalidGpx = "invalid_gpx",
        GpxTooDeep = "gpx_too_deep",
        GpxTooComplex = "gpx_too_complex",
        HabitWithoutSchedule = "habit_without_schedule",
        TimerAlreadyRunning = "timer_already_running",
        TimerNotRunning = "timer_not_running",
        TimeEntryOverlap = "time_entry_overlap",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = TrackingCode::CODES;

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
            TrackingError::NotFound(_) => {
                AppError::new(ErrorKind::NotFound, CommonCode::NotFound, detail)
            }
            TrackingError::DayAlreadyPlanned { existing } => {
                AppError::new(ErrorKind::Conflict, TrackingCode::DayAlreadyPlanned, detail)
                    .with_extension("existingId", existing)
            }
            TrackingError::IdConflict => {
                AppError::new(ErrorKind::Conflict, TrackingCode::IdConflict, detail)
            }
            TrackingError::Invalid(errors) => AppError::validation(errors),
            TrackingError::InvalidGpx(_) => {
                AppError::new(ErrorKind::Validation, TrackingCode::InvalidGpx, detail)
            }
            TrackingError::GpxTooDeep(_) => {
                AppError::new(ErrorKind::Validation, TrackingCode::GpxTooDeep, detail)
            }
            TrackingError::GpxTooComplex(_) => {
                AppError::new(ErrorKind::Validation, TrackingCode::GpxTooComplex, detail)
            }
            TrackingError::Abandoned => {
                AppError::new(ErrorKind::Unavailable, CommonCode::RequestTimeout, detail)
            }
            TrackingError::UnsupportedMediaType => AppError::new(
                ErrorKind::UnsupportedMediaType,
                CommonCode::UnsupportedMediaType,
                detail,
            ),
            TrackingError::NodeLocked => {
                AppError::new(ErrorKind::Conflict, CommonCode::NodeLocked, detail)
            }
            TrackingError::HabitWithoutSchedule => AppError::new(
                ErrorKind::Conflict,
                TrackingCode::HabitWithoutSchedule,
                detail,
            ),
            TrackingError::TimerAlreadyRunning { running } => AppError::new(
                ErrorKind::Conflict,
                TrackingCode::TimerAlreadyRunning,
                detail,
            )
            .with_extension("runningId", running),
            TrackingError::TimerNotRunning => {
                AppError::new(ErrorKind::Conflict, TrackingCode::TimerNotRunning, detail)
            }
            TrackingError::TimeEntryOverlap { conflicting } => {
                AppError::new(ErrorKind::Conflict, TrackingCode::TimeEntryOverlap, detail)
                    .with_extension("conflictingId", conflicting)
            }
            TrackingError::Zone(ZoneError::OutOfRange) => {
                AppError::new(ErrorKind::Validation, CommonCode::ValidationFailed, detail)
            }
            TrackingError::Zone(zone @ ZoneError::UnknownZone(_)) => AppError::internal(zone),
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
