//! Which local day a completion belongs to, and whether that day can still take one.

use lifeos_kernel::Timestamp;
use lifeos_kernel::zone::{UserClock, ZoneError};
use time::Date;

/// How long after its day ended a day still takes completions (offline clients).
pub const GRACE: time::Duration = time::Duration::hours(48);
/// How far `completedAt` may be ahead of the server's clock (devices' clocks drift).
pub const MAX_CLOCK_SKEW: time::Duration = time::Duration::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DayError {
    #[error("that day ended more than 48 hours ago; it can no longer take completions")]
    TooLate,
    #[error("the local date is in the future")]
    DateInFuture,
    #[error("completedAt is in the future")]
    CompletedInFuture,
    #[error(transparent)]
    Zone(#[from] ZoneError),
}

/// The local day `[start, end)` of `date` for `clock`: from `day_start_hour` on that
/// date to `day_start_hour` on the next, wall-clock time in the user's zone (a DST day is
/// 23 or 25 hours long).
pub fn day_bounds(clock: &UserClock, date: Date) -> Result<(Timestamp, Timestamp), ZoneError> {
    let _ = (clock, date);
    todo!()
}

/// The local day a completion at `completed_at` belongs to: `requested`, or the local
/// date of `completed_at`; checked against `now` (not after today's local date, not
/// more than [`GRACE`] after the day ended, `completed_at` at most [`MAX_CLOCK_SKEW`]
/// ahead of `now`).
pub fn completion_day(
    clock: &UserClock,
    now: Timestamp,
    completed_at: Timestamp,
    requested: Option<Date>,
) -> Result<Date, DayError> {
    let _ = (clock, now, completed_at, requested);
    todo!()
}
