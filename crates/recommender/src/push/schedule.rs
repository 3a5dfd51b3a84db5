//! Decision points (pure): a person's local times of day, minus their quiet hours, as
//! instants of a calendar date in their zone; and which point is due now. No clock: the
//! caller passes `now`.

use std::fmt;

use jiff::tz::TimeZone;
use lifeos_kernel::zone::{self, ZoneError};
use lifeos_kernel::{FieldError, Timestamp};
use time::{Date, Duration};

use super::{PushScheduleBody, QuietHoursBody};

/// At most this many decision points a day.
pub const MAX_POINTS: usize = 12;

/// A point is pushed up to this long after its time (a scheduler that was down or busy
/// still catches it); an older one is skipped, never delivered late.
pub const GRACE: Duration = Duration::minutes(30);

/// A local wall-clock time, minute precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    hour: u8,
    minute: u8,
}

impl LocalTime {
    pub const fn new(hour: u8, minute: u8) -> Option<LocalTime> {
        if hour < 24 && minute < 60 {
            Some(LocalTime { hour, minute })
        } else {
            None
        }
    }

    /// Exactly `HH:MM`, 00:00 to 23:59.
    pub fn parse(text: &str) -> Option<LocalTime> {
        let bytes = text.as_bytes();
        if bytes.len() != 5 || bytes[2] != b':' {
            return None;
        }
        let digits = |at: usize| -> Option<u8> {
            let (tens, ones) = (bytes[at], bytes[at + 1]);
            (tens.is_ascii_digit() && ones.is_ascii_digit())
                .then(|| (tens - b'0') * 10 + (ones - b'0'))
        };
        LocalTime::new(digits(0)?, digits(3)?)
    }

    fn minutes(self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour, self.minute)
    }
}

/// No decision point from `start` (inclusive) to `end` (exclusive); wraps past midnight
/// when `start` is after `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: LocalTime,
    pub end: LocalTime,
}

impl QuietHours {
    pub fn contains(&self, time: LocalTime) -> bool {
        let (t, start, end) = (time.minutes(), self.start.minutes(), self.end.minutes());
        if start <= end {
            start <= t && t < end
        } else {
            t >= start || t < end
        }
    }
}

/// A person's decision points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Ascending, distinct.
    pub times: Vec<LocalTime>,
    pub quiet: Option<QuietHours>,
}

const fn at(hour: u8, minute: u8) -> LocalTime {
    LocalTime { hour, minute }
}

impl Default for Schedule {
    /// Five points spread over the waking day (as HeartSteps' five decision points), and
    /// quiet from 22:00 to 07:00.
    fn default() -> Self {
        Schedule {
            times: vec![at(8, 30), at(11, 0), at(13, 30), at(16, 0), at(19, 30)],
            quiet: Some(QuietHours {
                start: at(22, 0),
                end: at(7, 0),
            }),
        }
    }
}

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.into(),
    }
}

const HHMM: &str = "must be a local time HH:MM (00:00 to 23:59)";

impl Schedule {
    /// The schedule a request body asks for, or every field error in it.
    pub fn parse(body: &PushScheduleBody) -> Result<Schedule, Vec<FieldError>> {
        let mut errors = Vec::new();
        if body.times.is_empty() || body.times.len() > MAX_POINTS {
            errors.push(field_error(
                "times",
                format!("must hold 1 to {MAX_POINTS} times"),
            ));
        }
        let mut times = Vec::with_capacity(body.times.len());
        for (i, text) in body.times.iter().enumerate() {
            match LocalTime::parse(text) {
                Some(time) => times.push(time),
                None => errors.push(field_error(&format!("times[{i}]"), HHMM)),
            }
        }
        if times.len() == body.times.len() && times.windows(2).any(|w| w[0] >= w[1]) {
            errors.push(field_error(
                "times",
                "must be in ascending order, each time once",
            ));
        }
        let quiet = body
            .quiet_hours
            .as_ref()
            .and_then(|q| parse_quiet(q, &mut errors));
        if let Some(quiet) = quiet
            && !times.is_empty()
            && times.iter().all(|t| quiet.contains(*t))
        {
            errors.push(field_error(
                "times",
                "at least one time must fall outside the quiet hours",
            ));
        }
        if errors.is_empty() {
            Ok(Schedule { times, quiet })
        } else {
            Err(errors)
        }
    }

    /// The schedule as stored: times comma separated; `None` if the row is not one this
    /// code wrote.
    pub fn from_stored(
        times: &str,
        quiet_from: Option<&str>,
        quiet_to: Option<&str>,
    ) -> Option<Schedule> {
        let times = times
            .split(',')
            .map(LocalTime::parse)
            .collect::<Option<Vec<_>>>()?;
        let quiet = match (quiet_from, quiet_to) {
            (Some(start), Some(end)) => Some(QuietHours {
                start: LocalTime::parse(start)?,
                end: LocalTime::parse(end)?,
            }),
            _ => None,
        };
        Some(Schedule { times, quiet })
    }

    pub fn times_text(&self) -> String {
        let texts: Vec<String> = self.times.iter().map(ToString::to_string).collect();
        texts.join(",")
    }

    pub fn to_body(&self) -> PushScheduleBody {
        PushScheduleBody {
            times: self.times.iter().map(ToString::to_string).collect(),
            quiet_hours: self.quiet.map(|q| QuietHoursBody {
                start: q.start.to_string(),
                end: q.end.to_string(),
            }),
        }
    }

    /// The instants of `date`'s decision points in `zone`, ascending. A time a DST change
    /// skips moves forward by the gap (02:30 -> 03:30); a time it repeats is the first
    /// of the two; two times that land on one instant count once.
    pub fn points_on(&self, date: Date, zone: &TimeZone) -> Result<Vec<Timestamp>, ZoneError> {
        let day = zone::to_jiff_date(date)?;
        let mut points = Vec::with_capacity(self.times.len());
        for time in &self.times {
            if self.quiet.is_some_and(|q| q.contains(*time)) {
                continue;
            }
            let wall = day.at(to_i8(time.hour), to_i8(time.minute), 0, 0);
            let zoned = wall
                .to_zoned(zone.clone())
                .map_err(|_| ZoneError::OutOfRange)?;
            let instant = zone::from_jiff_timestamp(zoned.timestamp())?;
            points.push(Timestamp::from(instant));
        }
        points.sort();
        points.dedup();
        Ok(points)
    }

    /// The latest point at or before `now`, if it is at most `grace` old and after the
    /// last one claimed (`last`). An unclaimed earlier point is not returned: it is stale
    /// once a later one is due.
    pub fn due(
        &self,
        zone: &TimeZone,
        now: Timestamp,
        last: Option<Timestamp>,
        grace: Duration,
    ) -> Result<Option<Timestamp>, ZoneError> {
        let today = zone::local_date(now.as_offset_date_time(), zone)?;
        // The grace may reach back over midnight into yesterday's last point.
        let yesterday = today.previous_day().ok_or(ZoneError::OutOfRange)?;
        let mut latest = None;
        for date in [yesterday, today] {
            for point in self.points_on(date, zone)? {
                if point <= now && latest.is_none_or(|l| point > l) {
                    latest = Some(point);
                }
            }
        }
        Ok(latest.filter(|p| *p + grace >= now && last.is_none_or(|l| l < *p)))
    }
}

fn parse_quiet(body: &QuietHoursBody, errors: &mut Vec<FieldError>) -> Option<QuietHours> {
    let start = LocalTime::parse(&body.start);
    let end = LocalTime::parse(&body.end);
    if start.is_none() {
        errors.push(field_error("quietHours.start", HHMM));
    }
    if end.is_none() {
        errors.push(field_error("quietHours.end", HHMM));
    }
    let quiet = QuietHours {
        start: start?,
        end: end?,
    };
    if quiet.start == quiet.end {
        errors.push(field_error(
            "quietHours",
            "start and end must differ (send null for no quiet hours)",
        ));
        return None;
    }
    Some(quiet)
}

/// Hours and minutes are below 60, so the conversion cannot fail.
fn to_i8(value: u8) -> i8 {
    i8::try_from(value).unwrap_or(i8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn berlin() -> TimeZone {
        zone::resolve("Europe/Berlin").unwrap()
    }

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn texts(points: &[Timestamp]) -> Vec<String> {
        points.iter().map(ToString::to_string).collect()
    }

    fn schedule(times: &[&str], quiet: Option<(&str, &str)>) -> Schedule {
        Schedule::parse(&PushScheduleBody {
            times: times.iter().map(|t| (*t).to_owned()).collect(),
            quiet_hours: quiet.map(|(start, end)| QuietHoursBody {
                start: start.into(),
                end: end.into(),
            }),
        })
        .unwrap()
    }

    #[test]
    fn local_times_are_strict_hh_mm() {
        assert_eq!(LocalTime::parse("08:30"), LocalTime::new(8, 30));
        assert_eq!(LocalTime::parse("23:59").unwrap().to_string(), "23:59");
        for bad in [
            "8:30", "24:00", "12:60", "12-30", "12:3a", "", "012:30", "+1:30",
        ] {
            assert_eq!(LocalTime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn quiet_hours_may_wrap_midnight() {
        let night = QuietHours {
            start: at(22, 0),
            end: at(7, 0),
        };
        assert!(night.contains(at(22, 0)));
        assert!(night.contains(at(23, 59)));
        assert!(night.contains(at(0, 0)));
        assert!(night.contains(at(6, 59)));
        assert!(!night.contains(at(7, 0)));
        assert!(!night.contains(at(21, 59)));
        let lunch = QuietHours {
            start: at(12, 0),
            end: at(13, 0),
        };
        assert!(lunch.contains(at(12, 30)));
        assert!(!lunch.contains(at(13, 0)));
        assert!(!lunch.contains(at(11, 59)));
    }

    #[test]
    fn the_body_is_checked_field_by_field() {
        let parse = |times: &[&str], quiet: Option<(&str, &str)>| {
            Schedule::parse(&PushScheduleBody {
                times: times.iter().map(|t| (*t).to_owned()).collect(),
                quiet_hours: quiet.map(|(start, end)| QuietHoursBody {
                    start: start.into(),
                    end: end.into(),
                }),
            })
            .map_err(|errors| {
                errors
                    .into_iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
            })
        };
        assert!(parse(&[], None).unwrap_err()[0].starts_with("times: must hold 1 to 12"));
        let thirteen: Vec<String> = (0..13).map(|h| format!("{h:02}:00")).collect();
        let thirteen: Vec<&str> = thirteen.iter().map(String::as_str).collect();
        assert!(parse(&thirteen, None).is_err());
        assert!(parse(&["09:00", "8:00"], None).unwrap_err()[0].starts_with("times[1]: "));
        assert!(parse(&["09:00", "08:00"], None).unwrap_err()[0].contains("ascending"));
        assert!(parse(&["09:00", "09:00"], None).unwrap_err()[0].contains("ascending"));
        assert!(
            parse(&["09:00"], Some(("25:00", "07:00"))).unwrap_err()[0]
                .starts_with("quietHours.start: ")
        );
        assert!(
            parse(&["09:00"], Some(("07:00", "07:00"))).unwrap_err()[0].starts_with("quietHours: ")
        );
        assert!(
            parse(&["06:00", "23:00"], Some(("22:00", "07:00"))).unwrap_err()[0]
                .contains("outside the quiet hours")
        );
        let ok = parse(&["06:30", "12:00"], Some(("22:00", "07:00"))).unwrap();
        assert_eq!(ok.times_text(), "06:30,12:00");
        assert_eq!(
            Schedule::from_stored("06:30,12:00", Some("22:00"), Some("07:00")),
            Some(ok.clone())
        );
        assert_eq!(ok.to_body().times, vec!["06:30", "12:00"]);
    }

    #[test]
    fn quiet_hours_skip_points() {
        let s = schedule(
            &["06:30", "07:00", "21:59", "22:00", "23:30"],
            Some(("22:00", "07:00")),
        );
        let date = time::macros::date!(2026 - 06 - 10);
        assert_eq!(
            texts(&s.points_on(date, &berlin()).unwrap()),
            vec!["2026-06-10T05:00:00Z", "2026-06-10T19:59:00Z"]
        );
    }

    #[test]
    fn points_follow_berlin_across_the_spring_change() {
        let s = Schedule::default();
        let saturday = time::macros::date!(2026 - 03 - 28);
        let sunday = time::macros::date!(2026 - 03 - 29);
        assert_eq!(
            texts(&s.points_on(saturday, &berlin()).unwrap())[0],
            "2026-03-28T07:30:00Z"
        );
        assert_eq!(
            texts(&s.points_on(sunday, &berlin()).unwrap()),
            vec![
                "2026-03-29T06:30:00Z",
                "2026-03-29T09:00:00Z",
                "2026-03-29T11:30:00Z",
                "2026-03-29T14:00:00Z",
                "2026-03-29T17:30:00Z",
            ]
        );
        // 02:30 does not exist that night: it moves to 03:30 CEST and meets the 03:30 point.
        let night = schedule(&["02:30", "03:30"], None);
        assert_eq!(
            texts(&night.points_on(sunday, &berlin()).unwrap()),
            vec!["2026-03-29T01:30:00Z"]
        );
    }

    #[test]
    fn points_follow_berlin_across_the_autumn_change() {
        let s = Schedule::default();
        let saturday = time::macros::date!(2026 - 10 - 24);
        let sunday = time::macros::date!(2026 - 10 - 25);
        assert_eq!(
            texts(&s.points_on(saturday, &berlin()).unwrap())[0],
            "2026-10-24T06:30:00Z"
        );
        assert_eq!(
            texts(&s.points_on(sunday, &berlin()).unwrap())[0],
            "2026-10-25T07:30:00Z"
        );
        // 02:30 happens twice that night: the point is the first (CEST) one, once.
        let night = schedule(&["02:30"], None);
        assert_eq!(
            texts(&night.points_on(sunday, &berlin()).unwrap()),
            vec!["2026-10-25T00:30:00Z"]
        );
    }

    #[test]
    fn the_latest_unclaimed_point_within_the_grace_is_due() {
        let s = Schedule::default();
        let zone = berlin();
        let due = |now: &str, last: Option<&str>| {
            s.due(&zone, ts(now), last.map(ts), GRACE)
                .unwrap()
                .map(|p| p.to_string())
        };
        // Sunday 2026-03-29 (CEST): 08:30 local is 06:30Z.
        assert_eq!(due("2026-03-29T06:29:59Z", None), None);
        assert_eq!(
            due("2026-03-29T06:30:00Z", None).as_deref(),
            Some("2026-03-29T06:30:00Z")
        );
        assert_eq!(
            due("2026-03-29T06:45:00Z", Some("2026-03-28T17:30:00Z")).as_deref(),
            Some("2026-03-29T06:30:00Z")
        );
        assert_eq!(
            due("2026-03-29T06:45:00Z", Some("2026-03-29T06:30:00Z")),
            None
        );
        assert_eq!(due("2026-03-29T07:00:01Z", None), None, "past the grace");
        // Autumn: 08:30 CET is 07:30Z on 2026-10-25, not 06:30Z.
        assert_eq!(due("2026-10-25T06:35:00Z", None), None);
        assert_eq!(
            due("2026-10-25T07:35:00Z", None).as_deref(),
            Some("2026-10-25T07:30:00Z")
        );
    }

    #[test]
    fn the_grace_reaches_back_over_midnight() {
        let late = schedule(&["23:50"], None);
        let utc = zone::resolve("UTC").unwrap();
        assert_eq!(
            late.due(&utc, ts("2026-06-11T00:10:00Z"), None, GRACE)
                .unwrap()
                .map(|p| p.to_string())
                .as_deref(),
            Some("2026-06-10T23:50:00Z")
        );
    }
}
