//! Which local day a completion belongs to, and whether that day can still take one.

use lifeos_kernel::Timestamp;
use lifeos_kernel::zone::{UserClock, ZoneError, from_jiff_timestamp, to_jiff_date};
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

/// The instant `date` reaches `hour`:00 on the wall clock of `zone`. Compatible
/// disambiguation: an hour a DST change skips begins at the first instant after the gap,
/// a repeated hour at its first occurrence, which is what `UserClock::local_date`'s
/// civil arithmetic assigns to the day.
fn wall_instant(zone: &jiff::tz::TimeZone, date: Date, hour: i32) -> Result<Timestamp, ZoneError> {
    let hour = i8::try_from(hour).map_err(|_| ZoneError::OutOfRange)?;
    let time = jiff::civil::Time::new(hour, 0, 0, 0).map_err(|_| ZoneError::OutOfRange)?;
    let zoned = to_jiff_date(date)?
        .to_datetime(time)
        .to_zoned(zone.clone())
        .map_err(|_| ZoneError::OutOfRange)?;
    Ok(Timestamp::from(from_jiff_timestamp(zoned.timestamp())?))
}

/// The local day `[start, end)` of `date` for `clock`: from `day_start_hour` on that
/// date to `day_start_hour` on the next, wall-clock time in the user's zone (a DST day is
/// 23 or 25 hours long).
pub fn day_bounds(clock: &UserClock, date: Date) -> Result<(Timestamp, Timestamp), ZoneError> {
    let zone = clock.zone()?;
    let next = date.next_day().ok_or(ZoneError::OutOfRange)?;
    Ok((
        wall_instant(&zone, date, clock.day_start_hour)?,
        wall_instant(&zone, next, clock.day_start_hour)?,
    ))
}

fn checked_add(at: Timestamp, by: time::Duration) -> Result<Timestamp, ZoneError> {
    at.as_offset_date_time()
        .checked_add(by)
        .map(Timestamp::from)
        .ok_or(ZoneError::OutOfRange)
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
    if completed_at > checked_add(now, MAX_CLOCK_SKEW)? {
        return Err(DayError::CompletedInFuture);
    }
    let date = match requested {
        Some(date) => date,
        None => clock.local_date(completed_at)?,
    };
    if date > clock.local_date(now)? {
        return Err(DayError::DateInFuture);
    }
    let (_, end) = day_bounds(clock, date)?;
    if now > checked_add(end, GRACE)? {
        return Err(DayError::TooLate);
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn clock(zone: &str, day_start_hour: i32) -> UserClock {
        UserClock {
            timezone: zone.into(),
            day_start_hour,
        }
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn hours(bounds: (Timestamp, Timestamp)) -> i64 {
        bounds.1.since(bounds.0).whole_hours()
    }

    #[test]
    fn a_day_runs_from_day_start_to_day_start() {
        let berlin = clock("Europe/Berlin", 4);
        let (start, end) = day_bounds(&berlin, date!(2026 - 01 - 15)).unwrap();
        assert_eq!(start, at("2026-01-15T03:00:00Z"));
        assert_eq!(end, at("2026-01-16T03:00:00Z"));
        let utc = clock("UTC", 0);
        let (start, end) = day_bounds(&utc, date!(2026 - 01 - 15)).unwrap();
        assert_eq!(start, at("2026-01-15T00:00:00Z"));
        assert_eq!(end, at("2026-01-16T00:00:00Z"));
    }

    #[test]
    fn berlin_dst_days_are_23_and_25_hours_long() {
        let midnight = clock("Europe/Berlin", 0);
        assert_eq!(
            hours(day_bounds(&midnight, date!(2026 - 03 - 29)).unwrap()),
            23
        );
        assert_eq!(
            hours(day_bounds(&midnight, date!(2026 - 10 - 25)).unwrap()),
            25
        );
        assert_eq!(
            hours(day_bounds(&midnight, date!(2026 - 03 - 30)).unwrap()),
            24
        );
        // Starting at 04:00, the 02:00/03:00 change falls in the previous local day.
        let late = clock("Europe/Berlin", 4);
        assert_eq!(hours(day_bounds(&late, date!(2026 - 03 - 28)).unwrap()), 23);
        assert_eq!(hours(day_bounds(&late, date!(2026 - 03 - 29)).unwrap()), 24);
        assert_eq!(hours(day_bounds(&late, date!(2026 - 10 - 24)).unwrap()), 25);
        assert_eq!(hours(day_bounds(&late, date!(2026 - 10 - 25)).unwrap()), 24);
    }

    #[test]
    fn a_day_start_in_a_dst_gap_begins_after_the_gap() {
        // 02:00 does not exist in Berlin on 2026-03-29: the day begins at 03:00 CEST.
        let two = clock("Europe/Berlin", 2);
        let (start, end) = day_bounds(&two, date!(2026 - 03 - 29)).unwrap();
        assert_eq!(start, at("2026-03-29T01:00:00Z"));
        assert_eq!(end, at("2026-03-30T00:00:00Z"));
        // Every instant of the bounds maps back to the day.
        assert_eq!(two.local_date(start).unwrap(), date!(2026 - 03 - 29));
        assert_eq!(
            two.local_date(start - time::Duration::seconds(1)).unwrap(),
            date!(2026 - 03 - 28)
        );
        // 02:00 repeats on 2026-10-25: the day begins at the first 02:00.
        let (start, _) = day_bounds(&two, date!(2026 - 10 - 25)).unwrap();
        assert_eq!(start, at("2026-10-25T00:00:00Z"));
    }

    #[test]
    fn bounds_agree_with_local_date() {
        for (zone, hour) in [
            ("Europe/Berlin", 4),
            ("America/Los_Angeles", 0),
            ("Asia/Tokyo", 3),
        ] {
            let clock = clock(zone, hour);
            let mut day = date!(2026 - 03 - 01);
            while day < date!(2026 - 11 - 30) {
                let (start, end) = day_bounds(&clock, day).unwrap();
                assert_eq!(clock.local_date(start).unwrap(), day, "{zone} {day}");
                let last = end - time::Duration::seconds(1);
                assert_eq!(clock.local_date(last).unwrap(), day, "{zone} {day}");
                day = day.next_day().unwrap();
            }
        }
    }

    #[test]
    fn bad_clocks_are_errors() {
        assert_eq!(
            day_bounds(&clock("Mars/Olympus", 0), date!(2026 - 01 - 01)),
            Err(ZoneError::UnknownZone("Mars/Olympus".into()))
        );
        assert_eq!(
            day_bounds(&clock("UTC", 24), date!(2026 - 01 - 01)),
            Err(ZoneError::OutOfRange)
        );
    }

    #[test]
    fn half_past_one_with_day_start_four_belongs_to_yesterday() {
        let berlin = clock("Europe/Berlin", 4);
        // 01:30 CET on 2026-01-16.
        let done = at("2026-01-16T00:30:00Z");
        assert_eq!(
            completion_day(&berlin, done, done, None),
            Ok(date!(2026 - 01 - 15))
        );
    }

    #[test]
    fn the_grace_ends_exactly_48_hours_after_the_day() {
        let berlin = clock("Europe/Berlin", 4);
        let day = date!(2026 - 01 - 15);
        let end = at("2026-01-16T03:00:00Z");
        let done = at("2026-01-15T12:00:00Z");
        let limit = end + GRACE;
        assert_eq!(completion_day(&berlin, limit, done, Some(day)), Ok(day));
        assert_eq!(completion_day(&berlin, limit, done, None), Ok(day));
        let late = limit + time::Duration::microseconds(1);
        assert_eq!(
            completion_day(&berlin, late, done, Some(day)),
            Err(DayError::TooLate)
        );
        assert_eq!(
            completion_day(&berlin, late, done, None),
            Err(DayError::TooLate)
        );
    }

    #[test]
    fn the_future_is_refused() {
        let berlin = clock("Europe/Berlin", 4);
        let now = at("2026-01-15T12:00:00Z");
        assert_eq!(
            completion_day(&berlin, now, now, Some(date!(2026 - 01 - 16))),
            Err(DayError::DateInFuture)
        );
        assert_eq!(
            completion_day(&berlin, now, now, Some(date!(2026 - 01 - 15))),
            Ok(date!(2026 - 01 - 15))
        );
        let skewed = now + MAX_CLOCK_SKEW;
        assert_eq!(
            completion_day(&berlin, now, skewed, None),
            Ok(date!(2026 - 01 - 15))
        );
        assert_eq!(
            completion_day(&berlin, now, skewed + time::Duration::seconds(1), None),
            Err(DayError::CompletedInFuture)
        );
        // Just before the day starts, a completion a little ahead belongs to tomorrow.
        let before_start = at("2026-01-16T02:58:00Z");
        assert_eq!(
            completion_day(
                &berlin,
                before_start,
                before_start + time::Duration::minutes(3),
                None
            ),
            Err(DayError::DateInFuture)
        );
    }

    #[test]
    fn an_unknown_zone_is_a_zone_error() {
        let now = at("2026-01-15T12:00:00Z");
        assert!(matches!(
            completion_day(&clock("Nowhere/Else", 0), now, now, None),
            Err(DayError::Zone(ZoneError::UnknownZone(_)))
        ));
    }
}
