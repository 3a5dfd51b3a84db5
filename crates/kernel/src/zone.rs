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

/// A user's clock settings as the platform `users` table holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserClock {
    pub timezone: String,
    pub day_start_hour: i32,
}

impl UserClock {
    /// The user's local calendar date at `at`: in their zone, where the day starts at
    /// `day_start_hour` (a 4 means 02:00 still belongs to yesterday).
    pub fn local_date(&self, at: crate::Timestamp) -> time::Date {
        let zone = resolve(&self.timezone).unwrap_or(TimeZone::UTC);
        let instant =
            jiff::Timestamp::from_second(at.unix_seconds()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        // Civil arithmetic: the day starts at that wall-clock hour, also on DST days.
        let wall = instant.to_zoned(zone).datetime();
        let local = wall
            .checked_sub(jiff::Span::new().hours(i64::from(self.day_start_hour)))
            .unwrap_or(wall)
            .date();
        time::Date::from_calendar_date(
            i32::from(local.year()),
            time::Month::try_from(u8::try_from(local.month()).unwrap_or(1))
                .unwrap_or(time::Month::January),
            u8::try_from(local.day()).unwrap_or(1),
        )
        .unwrap_or(time::Date::MIN)
    }
}

impl UserClock {
    /// The instant the local calendar `date` begins (midnight, or the first existing
    /// instant on a day whose midnight a DST change skips).
    pub fn start_of(&self, date: time::Date) -> crate::Timestamp {
        let zone = resolve(&self.timezone).unwrap_or(TimeZone::UTC);
        let civil = jiff::civil::date(
            i16::try_from(date.year()).unwrap_or(1970),
            i8::try_from(u8::from(date.month())).unwrap_or(1),
            i8::try_from(date.day()).unwrap_or(1),
        );
        let seconds = civil
            .to_zoned(zone)
            .and_then(|z| z.start_of_day())
            .map(|z| z.timestamp().as_second())
            .unwrap_or(0);
        crate::Timestamp::from_unix_seconds(seconds)
            .unwrap_or_else(|| crate::Timestamp::from(time::OffsetDateTime::UNIX_EPOCH))
    }

    pub fn zone(&self) -> TimeZone {
        resolve(&self.timezone).unwrap_or(TimeZone::UTC)
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
        assert_eq!(berlin.local_date(at).to_string(), "2026-03-29");
        let late_sleeper = UserClock {
            timezone: "Europe/Berlin".into(),
            day_start_hour: 4,
        };
        assert_eq!(late_sleeper.local_date(at).to_string(), "2026-03-28");
        let utc = UserClock {
            timezone: "UTC".into(),
            day_start_hour: 0,
        };
        assert_eq!(utc.local_date(at).to_string(), "2026-03-28");
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
                .to_string(),
            "2026-03-28T23:00:00Z"
        );
        assert_eq!(
            berlin
                .start_of(time::macros::date!(2026 - 03 - 30))
                .to_string(),
            "2026-03-29T22:00:00Z"
        );
    }
}
