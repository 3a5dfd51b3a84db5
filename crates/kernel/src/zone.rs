//! Users' time zones (IANA names, resolved with the bundled tz database so results do
//! not depend on the host's /usr/share/zoneinfo).

use jiff::tz::TimeZone;

/// Resolves an IANA zone name such as `Europe/Berlin`; `None` if unknown.
pub fn resolve(name: &str) -> Option<TimeZone> {
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    jiff::tz::db().get(name).ok()
}

pub fn is_valid(name: &str) -> bool {
    resolve(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_iana_names_only() {
        assert!(is_valid("UTC"));
        assert!(is_valid("Europe/Berlin"));
        assert!(is_valid("America/Argentina/Buenos_Aires"));
        assert!(!is_valid("Mars/Olympus_Mons"));
        assert!(!is_valid(""));
        assert!(!is_valid("../../etc/passwd"));
    }
}

/// A conversion at the zone boundary that cannot be made: the instant or date lies
/// outside what the tz database covers (years -9999..=9999), or a stored zone is unknown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZoneError {
    #[error("the time zone '{0}' is not a known IANA zone")]
    UnknownZone(String),
    #[error("the date or time is outside the supported range")]
    OutOfRange,
}

// One date-time story: `time` types everywhere in the domains (storage, JSON, OpenAPI),
// `jiff` only here, at the zone boundary. Every conversion is checked.

/// A `time` instant as a jiff timestamp.
pub fn to_jiff_timestamp(at: time::OffsetDateTime) -> Result<jiff::Timestamp, ZoneError> {
    let nanos = at.unix_timestamp_nanos();
    jiff::Timestamp::from_nanosecond(nanos).map_err(|_| ZoneError::OutOfRange)
}

/// A jiff timestamp as a `time` instant (UTC).
pub fn from_jiff_timestamp(at: jiff::Timestamp) -> Result<time::OffsetDateTime, ZoneError> {
    time::OffsetDateTime::from_unix_timestamp_nanos(at.as_nanosecond())
        .map_err(|_| ZoneError::OutOfRange)
}

/// A `time` calendar date as a jiff civil date.
pub fn to_jiff_date(date: time::Date) -> Result<jiff::civil::Date, ZoneError> {
    let year = i16::try_from(date.year()).map_err(|_| ZoneError::OutOfRange)?;
    let month = i8::try_from(u8::from(date.month())).map_err(|_| ZoneError::OutOfRange)?;
    let day = i8::try_from(date.day()).map_err(|_| ZoneError::OutOfRange)?;
    jiff::civil::Date::new(year, month, day).map_err(|_| ZoneError::OutOfRange)
}

/// A jiff civil date as a `time` calendar date.
pub fn from_jiff_date(date: jiff::civil::Date) -> Result<time::Date, ZoneError> {
    let month = u8::try_from(date.month())
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or(ZoneError::OutOfRange)?;
    let day = u8::try_from(date.day()).map_err(|_| ZoneError::OutOfRange)?;
    time::Date::from_calendar_date(i32::from(date.year()), month, day)
        .map_err(|_| ZoneError::OutOfRange)
}

/// The calendar date in `zone` at `at` (days starting at midnight).
pub fn local_date(at: time::OffsetDateTime, zone: &TimeZone) -> Result<time::Date, ZoneError> {
    let zoned = to_jiff_timestamp(at)?.to_zoned(zone.clone());
    from_jiff_date(zoned.date())
}

/// The first instant of the calendar `date` in `zone` (midnight, or the first existing
/// instant on a day whose midnight a DST change skips).
pub fn start_of_day(date: time::Date, zone: &TimeZone) -> Result<crate::Timestamp, ZoneError> {
    let start = to_jiff_date(date)?
        .to_zoned(zone.clone())
        .and_then(|z| z.start_of_day())
        .map_err(|_| ZoneError::OutOfRange)?;
    Ok(crate::Timestamp::from(from_jiff_timestamp(
        start.timestamp(),
    )?))
}

/// A user's clock settings as the platform `users` table holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserClock {
    pub timezone: String,
    pub day_start_hour: i32,
}

impl UserClock {
    pub fn zone(&self) -> Result<TimeZone, ZoneError> {
        resolve(&self.timezone).ok_or_else(|| ZoneError::UnknownZone(self.timezone.clone()))
    }

    /// The user's local calendar date at `at`: in their zone, where the day starts at
    /// `day_start_hour` (a 4 means 02:00 still belongs to yesterday).
    pub fn local_date(&self, at: crate::Timestamp) -> Result<time::Date, ZoneError> {
        let wall = to_jiff_timestamp(at.as_offset_date_time())?
            .to_zoned(self.zone()?)
            .datetime();
        // Civil arithmetic: the day starts at that wall-clock hour, also on DST days.
        let local = wall
            .checked_sub(jiff::Span::new().hours(i64::from(self.day_start_hour)))
            .map_err(|_| ZoneError::OutOfRange)?;
        from_jiff_date(local.date())
    }

    /// The instant the local calendar `date` begins (midnight in the user's zone).
    pub fn start_of(&self, date: time::Date) -> Result<crate::Timestamp, ZoneError> {
        start_of_day(date, &self.zone()?)
    }
}

/// Reads a user's zone and day start from the platform schema.
pub async fn user_clock(
    db: &crate::Db,
    user_id: uuid::Uuid,
) -> Result<Option<UserClock>, crate::StoreError> {
    const SQL: &str = "SELECT timezone, day_start_hour FROM users WHERE id = $1";
    let row: Option<(String, i32)> = crate::with_db!(db, pool => {
        sqlx::query_as(SQL).bind(user_id).fetch_optional(pool).await?
    });
    Ok(row.map(|(timezone, day_start_hour)| UserClock {
        timezone,
        day_start_hour,
    }))
}

#[cfg(test)]
mod local_date_tests {
    use super::*;
    use crate::Timestamp;

    #[test]
    fn local_date_follows_zone_and_day_start() {
        let berlin = UserClock {
            timezone: "Europe/Berlin".into(),
            day_start_hour: 0,
        };
        let at = Timestamp::parse("2026-03-28T23:30:00Z").unwrap();
        assert_eq!(berlin.local_date(at).unwrap().to_string(), "2026-03-29");
        let late_sleeper = UserClock {
            timezone: "Europe/Berlin".into(),
            day_start_hour: 4,
        };
        assert_eq!(
            late_sleeper.local_date(at).unwrap().to_string(),
            "2026-03-28"
        );
        let utc = UserClock {
            timezone: "UTC".into(),
            day_start_hour: 0,
        };
        assert_eq!(utc.local_date(at).unwrap().to_string(), "2026-03-28");
    }

    #[test]
    fn local_days_start_at_local_midnight() {
        let berlin = UserClock {
            timezone: "Europe/Berlin".into(),
            day_start_hour: 0,
        };
        assert_eq!(
            berlin
                .start_of(time::macros::date!(2026 - 03 - 29))
                .unwrap()
                .to_string(),
            "2026-03-28T23:00:00Z"
        );
        assert_eq!(
            berlin
                .start_of(time::macros::date!(2026 - 03 - 30))
                .unwrap()
                .to_string(),
            "2026-03-29T22:00:00Z"
        );
    }
}

#[cfg(test)]
mod boundary_tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn dates_round_trip_through_jiff() {
        for d in [
            date!(1900 - 01 - 01),
            date!(2024 - 02 - 29),
            date!(2200 - 12 - 31),
        ] {
            assert_eq!(from_jiff_date(to_jiff_date(d).unwrap()).unwrap(), d);
        }
    }

    #[test]
    fn out_of_range_is_an_error_not_a_default() {
        let far = time::Date::from_calendar_date(-100_000, time::Month::January, 1);
        if let Ok(far) = far {
            assert_eq!(to_jiff_date(far), Err(ZoneError::OutOfRange));
        }
        let unknown = UserClock {
            timezone: "Mars/Olympus".into(),
            day_start_hour: 0,
        };
        assert_eq!(
            unknown.local_date(crate::Timestamp::from(datetime!(2026-01-01 0:00 UTC))),
            Err(ZoneError::UnknownZone("Mars/Olympus".into()))
        );
    }

    #[test]
    fn local_date_in_a_zone() {
        let santiago = resolve("America/Santiago").unwrap();
        assert_eq!(
            local_date(datetime!(2026-09-06 12:00 UTC), &santiago).unwrap(),
            date!(2026 - 09 - 06)
        );
    }
}
