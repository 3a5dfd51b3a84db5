//! The calendar range the API accepts: dates and instants in the years 1900 to 2200.
//!
//! `time::Date` parses years 0 to 9999 and both databases store them, but no life event
//! lies there: a year like 0 or 9999 is a typo or a probe, and far years break date
//! arithmetic further down (a cycle that ends after 9999-12-31). One range for every date
//! and timestamp field keeps the dialects alike. [`crate::Timestamp`] checks it in its own
//! `Deserialize`; request fields of type `time::Date` name one of the helpers below in
//! `#[serde(deserialize_with = ...)]`. Either way the extractors answer 422
//! `date_out_of_range` ([`crate::http::extract`]), found by [`OUT_OF_RANGE`] in the message.

use serde::{Deserialize, Deserializer};
use time::Date;

pub const MIN_YEAR: i32 = 1900;
pub const MAX_YEAR: i32 = 2200;

/// The sentence of every out-of-range answer; the extractors recognise it to set the code.
pub const OUT_OF_RANGE: &str = "must lie in the years 1900 to 2200";

/// The ISO week (Monday to Sunday) holding `date`: (Monday, Sunday).
pub fn iso_week(date: Date) -> (Date, Date) {
    let monday = date - time::Duration::days(i64::from(date.weekday().number_days_from_monday()));
    (monday, monday + time::Duration::days(6))
}

/// The pattern the contract states for dates (`YYYY-MM-DD`, years 1900-2200).
pub const DATE_PATTERN: &str =
    r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";

/// The pattern the contract states for timestamps (RFC 3339, years 1900-2200).
pub const TIMESTAMP_PATTERN: &str = r"^(19[0-9]{2}|2[01][0-9]{2}|2200)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";

pub fn year_in_range(year: i32) -> bool {
    (MIN_YEAR..=MAX_YEAR).contains(&year)
}

/// A date that passed the range check while deserialising.
struct InRange(Date);

impl<'de> Deserialize<'de> for InRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let date = Date::deserialize(deserializer)?;
        if year_in_range(date.year()) {
            Ok(InRange(date))
        } else {
            Err(serde::de::Error::custom(format!("{date} {OUT_OF_RANGE}")))
        }
    }
}

/// `#[serde(deserialize_with = "lifeos_kernel::date::in_range")]` for a `Date`.
pub fn in_range<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
    InRange::deserialize(deserializer).map(|d| d.0)
}

/// `#[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]` for an
/// `Option<Date>`.
pub fn option_in_range<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Date>, D::Error> {
    Option::<InRange>::deserialize(deserializer).map(|d| d.map(|d| d.0))
}

/// `#[serde(default, deserialize_with = "lifeos_kernel::date::present_in_range")]` for a
/// PATCH field `Option<Option<Date>>` (see [`crate::patch::present`]).
pub fn present_in_range<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<Date>>, D::Error> {
    option_in_range(deserializer).map(Some)
}

/// Checks a date that did not come through serde (a path segment).
pub fn check(date: Date) -> Result<Date, crate::AppError> {
    if year_in_range(date.year()) {
        Ok(date)
    } else {
        Err(crate::http::extract::date_out_of_range(
            "date".to_owned(),
            format!("{date} {OUT_OF_RANGE}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Body {
        #[serde(deserialize_with = "in_range")]
        day: Date,
        #[serde(default, deserialize_with = "option_in_range")]
        due: Option<Date>,
        #[serde(default, deserialize_with = "present_in_range")]
        patch: Option<Option<Date>>,
    }

    fn parse(json: &str) -> Result<Body, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn the_range_is_1900_to_2200_inclusive() {
        assert!(parse(r#"{"day":"1900-01-01"}"#).is_ok());
        assert!(parse(r#"{"day":"2200-12-31"}"#).is_ok());
        for year in ["0000", "1899", "2201", "9999"] {
            let err = parse(&format!(r#"{{"day":"{year}-06-01"}}"#)).unwrap_err();
            assert!(err.contains(OUT_OF_RANGE), "{year}: {err}");
        }
    }

    #[test]
    fn optional_and_patch_fields_keep_their_meaning() {
        let body = parse(r#"{"day":"2026-01-01","patch":null}"#).unwrap();
        assert_eq!(body.day.year(), 2026);
        assert_eq!(body.due, None);
        assert_eq!(body.patch, Some(None));
        assert!(parse(r#"{"day":"2026-01-01","due":"1000-01-01"}"#).is_err());
        assert!(parse(r#"{"day":"2026-01-01","patch":"3000-01-01"}"#).is_err());
    }
}

#[cfg(test)]
mod week_tests {
    use time::macros::date;

    use super::iso_week;

    #[test]
    fn weeks_run_monday_to_sunday() {
        assert_eq!(
            iso_week(date!(2026 - 03 - 29)),
            (date!(2026 - 03 - 23), date!(2026 - 03 - 29))
        );
        assert_eq!(
            iso_week(date!(2026 - 03 - 30)),
            (date!(2026 - 03 - 30), date!(2026 - 04 - 05))
        );
    }
}
