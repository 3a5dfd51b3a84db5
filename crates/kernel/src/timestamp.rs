//! [`Timestamp`]: an instant in UTC with microsecond precision.
//!
//! Both databases keep microseconds. PostgreSQL stores a `timestamptz`; SQLite stores
//! fixed-width text (`2026-11-21T08:30:00.000000Z`) so that text order is time order and a
//! SQL comparison such as `expires_at > $1` means the same on both dialects.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentsBuffer, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

const SQLITE_FORMAT: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

impl Timestamp {
    /// Parses RFC 3339 (any offset), normalising to UTC microseconds.
    pub fn parse(text: &str) -> Result<Self, time::error::Parse> {
        OffsetDateTime::parse(text, &Rfc3339).map(Self::from)
    }

    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .map(Self::from)
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn as_offset_date_time(self) -> OffsetDateTime {
        self.0
    }

    /// `self - earlier`; negative when `earlier` is later.
    pub fn since(self, earlier: Timestamp) -> Duration {
        self.0 - earlier.0
    }

    #[expect(
        clippy::expect_used,
        reason = "every component of this format exists for a UTC instant, so formatting cannot fail"
    )]
    fn sqlite_text(self) -> String {
        self.0
            .format(SQLITE_FORMAT)
            .expect("a UTC timestamp always formats")
    }
}

impl From<OffsetDateTime> for Timestamp {
    #[expect(
        clippy::expect_used,
        reason = "whole microseconds are always a valid nanosecond value"
    )]
    fn from(value: OffsetDateTime) -> Self {
        let utc = value.to_offset(UtcOffset::UTC);
        let micros = utc.nanosecond() / 1_000 * 1_000;
        Self(
            utc.replace_nanosecond(micros)
                .expect("truncated nanoseconds stay in range"),
        )
    }
}

impl std::ops::Add<Duration> for Timestamp {
    type Output = Timestamp;

    fn add(self, by: Duration) -> Timestamp {
        Timestamp::from(self.0 + by)
    }
}

impl std::ops::Sub<Duration> for Timestamp {
    type Output = Timestamp;

    fn sub(self, by: Duration) -> Timestamp {
        Timestamp::from(self.0 - by)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let at = Timestamp::parse(&text).map_err(|_| {
            serde::de::Error::custom("expected an RFC 3339 timestamp such as 2026-11-21T08:30:00Z")
        })?;
        // Input only: values read back from the databases decode through `parse`.
        if crate::date::year_in_range(at.0.year()) {
            Ok(at)
        } else {
            Err(serde::de::Error::custom(format!(
                "{text} {}",
                crate::date::OUT_OF_RANGE
            )))
        }
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
            .description(Some("RFC 3339 timestamp in UTC, years 1900 to 2200"))
            .examples(["2026-11-21T08:30:00Z"])
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
}

impl Encode<'_, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.sqlite_text(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        Ok(Timestamp::parse(text)?)
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <OffsetDateTime as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <OffsetDateTime as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Timestamp::from(
            <OffsetDateTime as Decode<Postgres>>::decode(value)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_utc_microseconds() {
        let t = Timestamp::parse("2026-03-29T03:30:00.123456789+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-03-29T01:30:00.123456Z");
        assert_eq!(t.sqlite_text(), "2026-03-29T01:30:00.123456Z");
    }

    #[test]
    fn sqlite_text_orders_like_time() {
        let a = Timestamp::parse("2026-03-29T01:30:00Z").unwrap();
        let b = Timestamp::parse("2026-03-29T01:30:00.5Z").unwrap();
        assert!(a < b);
        assert!(a.sqlite_text() < b.sqlite_text());
    }

    #[test]
    fn serde_round_trip() {
        let t = Timestamp::parse("2026-11-21T08:30:00Z").unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-21T08:30:00Z\"");
        assert_eq!(serde_json::from_str::<Timestamp>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Timestamp>("\"yesterday\"").is_err());
    }
}
