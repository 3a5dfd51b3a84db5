//! The user's local days as instants: what meals, supplement logs and the day's nutrition
//! filter on.

use lifeos_kernel::zone::{UserClock, ZoneError, user_clock};
use lifeos_kernel::{Db, Timestamp};
use time::Date;
use uuid::Uuid;

use crate::error::{LibraryError, Result};
use crate::meals::{DateRange, TimeRange};

/// The user's zone and day start.
pub async fn clock_of(db: &Db, user_id: Uuid) -> Result<UserClock> {
    user_clock(db, user_id)
        .await?
        .ok_or(LibraryError::NotFound("user"))
}

/// The instants of the local date `date`: from its start up to the start of the next.
pub fn day_range(user: &UserClock, date: Date) -> Result<(Timestamp, Timestamp)> {
    let next = date.next_day().ok_or(ZoneError::OutOfRange)?;
    Ok((user.start_of(date)?, user.start_of(next)?))
}

/// The instants of the local dates `range` (inclusive): from the start of `from` up to
/// the start of the day after `to`.
pub fn time_range(user: &UserClock, range: DateRange) -> Result<TimeRange> {
    if let (Some(from), Some(to)) = (range.from, range.to)
        && from > to
    {
        return Err(LibraryError::invalid("from", "must not be after `to`"));
    }
    let from = range.from.map(|d| user.start_of(d)).transpose()?;
    let to = range
        .to
        .map(|d| day_range(user, d).map(|(_, end)| end))
        .transpose()?;
    Ok(TimeRange { from, to })
}
