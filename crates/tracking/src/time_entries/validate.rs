//! Time entry requests' validation: pure checks against a given `now`, field names as in
//! the request JSON.

use lifeos_kernel::Timestamp;
use lifeos_kernel::error::Validator;
use time::Date;

use crate::common;
use crate::error::{Result, TrackingError};

/// Longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;
/// Longest range a summary covers, in days.
pub const MAX_SUMMARY_DAYS: i64 = 366;

pub fn note(note: Option<&str>) -> Result<()> {
    let mut v = Validator::new();
    common::check_text(&mut v, note, "note", MAX_NOTE_CHARS);
    common::finish(&mut v)
}

/// A finished entry: it ends after it starts, and not later than `now`.
pub fn interval(started_at: Timestamp, ended_at: Timestamp, now: Timestamp) -> Result<()> {
    let mut v = Validator::new();
    v.check(ended_at > started_at, "endedAt", "must be after startedAt");
    v.check(ended_at <= now, "endedAt", "must not be in the future");
    common::finish(&mut v)
}

/// An entry as it would be stored: finished ones by [`interval`], running ones must
/// have started by `now`.
pub fn entry(started_at: Timestamp, ended_at: Option<Timestamp>, now: Timestamp) -> Result<()> {
    match ended_at {
        Some(end) => interval(started_at, end, now),
        None if started_at > now => Err(TrackingError::invalid(
            "startedAt",
            "must not be in the future",
        )),
        None => Ok(()),
    }
}

/// A summary's `from..=to`: in order and at most [`MAX_SUMMARY_DAYS`] long.
pub fn summary_range(from: Date, to: Date) -> Result<()> {
    if from > to {
        return Err(TrackingError::invalid("from", "must not be after `to`"));
    }
    if (to - from).whole_days() >= MAX_SUMMARY_DAYS {
        return Err(TrackingError::invalid(
            "to",
            format!("a summary covers at most {MAX_SUMMARY_DAYS} days"),
        ));
    }
    Ok(())
}

/// The day after a range's last day `to`, where the range ends.
pub fn day_after(to: Date) -> Result<Date> {
    to.next_day()
        .ok_or_else(|| TrackingError::invalid("to", "is out of range"))
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn fields(result: Result<impl std::fmt::Debug>) -> Vec<String> {
        match result {
            Err(TrackingError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected invalid input, got {other:?}"),
        }
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn entries_end_after_they_start_and_not_in_the_future() {
        let now = at("2026-05-10T12:00:00Z");
        assert!(interval(at("2026-05-10T10:00:00Z"), now, now).is_ok());
        assert_eq!(
            fields(interval(now, at("2026-05-10T13:00:00Z"), now)),
            vec!["endedAt"]
        );
        assert_eq!(
            fields(interval(
                at("2026-05-10T13:00:00Z"),
                at("2026-05-10T12:30:00Z"),
                now
            )),
            vec!["endedAt", "endedAt"]
        );
        assert!(entry(now, None, now).is_ok());
        assert_eq!(
            fields(entry(at("2026-05-10T12:00:01Z"), None, now)),
            vec!["startedAt"]
        );
    }

    #[test]
    fn summaries_cover_at_most_366_days() {
        assert!(summary_range(date!(2026 - 01 - 01), date!(2027 - 01 - 01)).is_ok());
        assert_eq!(
            fields(summary_range(date!(2026 - 01 - 01), date!(2027 - 01 - 02))),
            vec!["to"]
        );
        assert_eq!(
            fields(summary_range(date!(2026 - 01 - 02), date!(2026 - 01 - 01))),
            vec!["from"]
        );
        assert_eq!(
            day_after(date!(2026 - 12 - 31)).unwrap(),
            date!(2027 - 01 - 01)
        );
        assert_eq!(fields(day_after(Date::MAX)), vec!["to"]);
    }

    #[test]
    fn notes_are_limited_to_2000_characters() {
        assert!(note(Some(&"é".repeat(2000))).is_ok());
        assert_eq!(fields(note(Some(&"a".repeat(2001)))), vec!["note"]);
    }
}
