//! Habit schedules: which calendar dates a habit is due on.
//!
//! Everything here works on calendar dates in the user's own time zone; the caller turns
//! "now" into the user's local date first. Dates carry no time of day, so daylight saving
//! changes can neither skip nor repeat a due date.

use std::borrow::Cow;
use std::fmt;

use lifeos_kernel::FieldError;
use lifeos_kernel::error::Validator;
use serde::{Deserialize, Serialize};
use time::{Date, Month};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

/// The longest range, in dates (both ends included), that [`occurrences`] lists.
pub const MAX_RANGE_DAYS: i64 = 3660;

const MAX_INTERVAL: u32 = 365;
const MAX_PERIOD_DAYS: u32 = 366;

lifeos_kernel::text_enum! {
    /// How often a habit is due.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::HabitFrequency)]
    pub enum FrequencyKind {
        Daily = "daily",
        Weekly = "weekly",
        Monthly = "monthly",
        EveryNDays = "every_n_days",
        TimesPerPeriod = "times_per_period",
    }
}

/// A habit schedule as the API receives and returns it, as one flat object. Only the
/// fields of the chosen `frequency` may be set; the others are null or absent (responses
/// carry every field, null where it does not apply). Unknown fields are rejected.
///
/// - `daily`: no further fields.
/// - `weekly`: `daysOfWeek`, ISO weekdays 1 (Monday) to 7 (Sunday).
/// - `monthly`: `daysOfMonth`, 1 to 31; a day the month does not have means its last day.
/// - `every_n_days`: `interval` (1 to 365) and `startOn`, the first due date.
/// - `times_per_period`: `times` due dates spread evenly over each block of `periodDays`
///   days, the first block starting on `startOn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::HabitScheduleInput)]
pub struct ScheduleInput {
    pub frequency: FrequencyKind,
    /// `weekly`: ISO weekdays, 1 = Monday to 7 = Sunday; non-empty, no duplicates.
    pub days_of_week: Option<Vec<u8>>,
    /// `monthly`: days 1 to 31; non-empty, no duplicates. A day past the month's end
    /// means the month's last day.
    pub days_of_month: Option<Vec<u8>>,
    /// `every_n_days`: days between due dates, 1 to 365.
    #[schema(minimum = 1, maximum = 365)]
    pub interval: Option<u32>,
    /// `every_n_days`: the first due date. `times_per_period`: the first day of the first
    /// period.
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub start_on: Option<Date>,
    /// `times_per_period`: due dates per period, 1 to `periodDays`.
    #[schema(minimum = 1)]
    pub times: Option<u32>,
    /// `times_per_period`: length of a period in days, 1 to 366.
    #[schema(minimum = 1, maximum = 366)]
    pub period_days: Option<u32>,
    /// An optional numeric goal per due date (greater than 0).
    pub target: Option<f64>,
}

/// The validated form of how often a habit is due. Lists are sorted and free of
/// duplicates when they come from [`validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frequency {
    Daily,
    Weekly {
        days_of_week: Vec<u8>,
    },
    Monthly {
        days_of_month: Vec<u8>,
    },
    EveryNDays {
        interval: u32,
        start_on: Date,
    },
    TimesPerPeriod {
        times: u32,
        period_days: u32,
        start_on: Date,
    },
}

impl Frequency {
    pub fn kind(&self) -> FrequencyKind {
        match self {
            Frequency::Daily => FrequencyKind::Daily,
            Frequency::Weekly { .. } => FrequencyKind::Weekly,
            Frequency::Monthly { .. } => FrequencyKind::Monthly,
            Frequency::EveryNDays { .. } => FrequencyKind::EveryNDays,
            Frequency::TimesPerPeriod { .. } => FrequencyKind::TimesPerPeriod,
        }
    }
}

/// A validated habit schedule. On the wire it has the flat shape of [`ScheduleInput`]
/// (every field present, null where it does not apply), so a client can send back what
/// it received.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub frequency: Frequency,
    pub target: Option<f64>,
}

impl From<&Schedule> for ScheduleInput {
    fn from(schedule: &Schedule) -> Self {
        let mut out = ScheduleInput {
            frequency: schedule.frequency.kind(),
            days_of_week: None,
            days_of_month: None,
            interval: None,
            start_on: None,
            times: None,
            period_days: None,
            target: schedule.target,
        };
        match &schedule.frequency {
            Frequency::Daily => {}
            Frequency::Weekly { days_of_week } => out.days_of_week = Some(days_of_week.clone()),
            Frequency::Monthly { days_of_month } => {
                out.days_of_month = Some(days_of_month.clone());
            }
            Frequency::EveryNDays { interval, start_on } => {
                out.interval = Some(*interval);
                out.start_on = Some(*start_on);
            }
            Frequency::TimesPerPeriod {
                times,
                period_days,
                start_on,
            } => {
                out.times = Some(*times);
                out.period_days = Some(*period_days);
                out.start_on = Some(*start_on);
            }
        }
        out
    }
}

impl TryFrom<ScheduleInput> for Schedule {
    type Error = Vec<FieldError>;

    fn try_from(input: ScheduleInput) -> Result<Self, Self::Error> {
        validate(input)
    }
}

impl Serialize for Schedule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ScheduleInput::from(self).serialize(serializer)
    }
}

/// Validates while deserializing, so a schedule read back from storage is as sound as one
/// that came through [`validate`].
impl<'de> Deserialize<'de> for Schedule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let input = ScheduleInput::deserialize(deserializer)?;
        validate(input).map_err(|errors| {
            let text = errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ");
            serde::de::Error::custom(format!("invalid habit schedule: {text}"))
        })
    }
}

// The response has the request's shape; only the schema name differs, so that the
// contract can tell what a client sends from what it gets.
impl PartialSchema for Schedule {
    fn schema() -> RefOr<Schema> {
        <ScheduleInput as PartialSchema>::schema()
    }
}

impl ToSchema for Schedule {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("tracking.HabitSchedule")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <ScheduleInput as ToSchema>::schemas(schemas);
    }
}

/// Collects a schedule's field errors; fields are named as in the request JSON
/// (`daysOfWeek`, `interval`, ...), which is the schedule object itself.
struct Check {
    v: Validator,
    kind: FrequencyKind,
}

impl Check {
    fn add(&mut self, field: &str, message: impl Into<String>) {
        self.v.check(false, field, message);
    }

    /// The value, or an error when the chosen frequency needs it.
    fn required<T>(&mut self, value: Option<T>, field: &str) -> Option<T> {
        if value.is_none() {
            let message = format!("is required for frequency `{}`", self.kind.as_str());
            self.add(field, message);
        }
        value
    }

    fn not_applicable<T>(&mut self, value: &Option<T>, field: &str) {
        if value.is_some() {
            let message = format!("does not apply to frequency `{}`", self.kind.as_str());
            self.add(field, message);
        }
    }

    /// A required list of distinct days within `1..=max`, returned sorted.
    fn day_list(
        &mut self,
        value: Option<Vec<u8>>,
        field: &str,
        max: u8,
        range_message: &str,
    ) -> Option<Vec<u8>> {
        let mut days = self.required(value, field)?;
        if days.is_empty() {
            self.add(field, "must not be empty");
        }
        if days.iter().any(|&d| d == 0 || d > max) {
            self.add(field, range_message);
        }
        days.sort_unstable();
        let len = days.len();
        days.dedup();
        if days.len() != len {
            self.add(field, "must not contain duplicates");
        }
        Some(days)
    }

    /// A required number within `1..=max`; `None` when missing or out of range.
    fn in_range(&mut self, value: Option<u32>, field: &str, max: u32) -> Option<u32> {
        let value = self.required(value, field)?;
        if value == 0 || value > max {
            self.add(field, format!("must be between 1 and {max}"));
            return None;
        }
        Some(value)
    }
}

/// Checks an API schedule and turns it into a [`Schedule`]. Reports every problem at once;
/// fields that do not belong to the chosen frequency are problems too.
pub fn validate(input: ScheduleInput) -> Result<Schedule, Vec<FieldError>> {
    let ScheduleInput {
        frequency: kind,
        days_of_week,
        days_of_month,
        interval,
        start_on,
        times,
        period_days,
        target,
    } = input;
    let mut c = Check {
        v: Validator::new(),
        kind,
    };

    let uses = |k: FrequencyKind| kind == k;
    if !uses(FrequencyKind::Weekly) {
        c.not_applicable(&days_of_week, "daysOfWeek");
    }
    if !uses(FrequencyKind::Monthly) {
        c.not_applicable(&days_of_month, "daysOfMonth");
    }
    if !uses(FrequencyKind::EveryNDays) {
        c.not_applicable(&interval, "interval");
    }
    if !uses(FrequencyKind::EveryNDays) && !uses(FrequencyKind::TimesPerPeriod) {
        c.not_applicable(&start_on, "startOn");
    }
    if !uses(FrequencyKind::TimesPerPeriod) {
        c.not_applicable(&times, "times");
        c.not_applicable(&period_days, "periodDays");
    }

    // `None` where a value is missing or unsound; each such case reported an error.
    let frequency = match kind {
        FrequencyKind::Daily => Some(Frequency::Daily),
        FrequencyKind::Weekly => c
            .day_list(
                days_of_week,
                "daysOfWeek",
                7,
                "each day must be between 1 (Monday) and 7 (Sunday)",
            )
            .map(|days_of_week| Frequency::Weekly { days_of_week }),
        FrequencyKind::Monthly => c
            .day_list(
                days_of_month,
                "daysOfMonth",
                31,
                "each day must be between 1 and 31",
            )
            .map(|days_of_month| Frequency::Monthly { days_of_month }),
        FrequencyKind::EveryNDays => {
            let interval = c.in_range(interval, "interval", MAX_INTERVAL);
            let start_on = c.required(start_on, "startOn");
            interval
                .zip(start_on)
                .map(|(interval, start_on)| Frequency::EveryNDays { interval, start_on })
        }
        FrequencyKind::TimesPerPeriod => {
            let period_days = c.in_range(period_days, "periodDays", MAX_PERIOD_DAYS);
            let times = match c.required(times, "times") {
                Some(0) => {
                    c.add("times", "must be at least 1");
                    None
                }
                // Only comparable once periodDays itself is sound.
                Some(t) if period_days.is_some_and(|n| t > n) => {
                    c.add("times", "must not be greater than periodDays");
                    None
                }
                other => other,
            };
            let start_on = c.required(start_on, "startOn");
            match (times, period_days, start_on) {
                (Some(times), Some(period_days), Some(start_on)) => {
                    Some(Frequency::TimesPerPeriod {
                        times,
                        period_days,
                        start_on,
                    })
                }
                _ => None,
            }
        }
    };

    if let Some(t) = target
        && !(t.is_finite() && t > 0.0)
    {
        c.add("target", "must be a finite number greater than 0");
    }

    match (c.v.finish(), frequency) {
        (Ok(()), Some(frequency)) => Ok(Schedule { frequency, target }),
        (Err(error), _) => Err(error.errors),
        // Every `None` above reported its field, so this is not reached.
        (Ok(()), None) => Err(vec![FieldError {
            field: "frequency".to_owned(),
            message: format!("is incomplete for frequency `{}`", kind.as_str()),
        }]),
    }
}

/// A range asked of [`occurrences`] that holds more than [`MAX_RANGE_DAYS`] dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeTooLong {
    /// How many dates the range holds.
    pub days: i64,
}

impl fmt::Display for RangeTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the range holds {} days; at most {MAX_RANGE_DAYS} are allowed",
            self.days
        )
    }
}

impl std::error::Error for RangeTooLong {}

// Julian day numbers make date arithmetic plain integer arithmetic that cannot panic.
fn jd(date: Date) -> i64 {
    i64::from(date.to_julian_day())
}

fn from_jd(day: i64) -> Option<Date> {
    i32::try_from(day)
        .ok()
        .and_then(|d| Date::from_julian_day(d).ok())
}

/// `times` due dates per period: more than one per day cannot be told apart, so a
/// schedule built by hand with `times > period_days` means every day of the period.
fn per_period(times: u32, period_days: u32) -> u128 {
    u128::from(times.min(period_days))
}

/// The `i`th due date of a period lies `floor(i * n / k)` days after its start.
fn period_offset(i: u128, n: u128, k: u128) -> u128 {
    i.saturating_mul(n) / k
}

/// The due dates of `schedule` from `from` to `to` (both included), ascending and
/// without duplicates; empty when `from` is after `to`.
pub fn occurrences(schedule: &Schedule, from: Date, to: Date) -> Result<Vec<Date>, RangeTooLong> {
    if from > to {
        return Ok(Vec::new());
    }
    let (first, last) = (jd(from), jd(to));
    let days = last - first + 1;
    if days > MAX_RANGE_DAYS {
        return Err(RangeTooLong { days });
    }

    let mut found: Vec<i64> = Vec::new();
    match &schedule.frequency {
        Frequency::Daily => found.extend(first..=last),
        Frequency::Weekly { days_of_week } => {
            let from_weekday = i64::from(from.weekday().number_from_monday());
            for &weekday in days_of_week.iter().filter(|d| (1..=7).contains(*d)) {
                let start = first + (i64::from(weekday) - from_weekday).rem_euclid(7);
                found.extend((start..=last).step_by(7));
            }
        }
        Frequency::Monthly { days_of_month } => {
            let mut year = from.year();
            let mut month = from.month();
            loop {
                push_month_days(&mut found, days_of_month, year, month, first, last);
                if (year, month) >= (to.year(), to.month()) {
                    break;
                }
                if month == Month::December {
                    year += 1;
                }
                month = month.next();
            }
        }
        Frequency::EveryNDays { interval, start_on } => {
            let step = i64::from(*interval);
            if step > 0 {
                let anchor = jd(*start_on);
                let start = if first <= anchor {
                    anchor
                } else {
                    // The first multiple of `step` past the anchor that is not before `from`.
                    anchor + (first - anchor + step - 1) / step * step
                };
                let step = usize::try_from(step).unwrap_or(usize::MAX);
                found.extend((start..=last).step_by(step));
            }
        }
        Frequency::TimesPerPeriod {
            times,
            period_days,
            start_on,
        } => {
            let n = i64::from(*period_days);
            let k = per_period(*times, *period_days);
            let anchor = jd(*start_on);
            if n > 0 && k > 0 && anchor <= last {
                let n_wide = u128::from(*period_days);
                let mut period_start = if first <= anchor {
                    anchor
                } else {
                    anchor + (first - anchor) / n * n
                };
                while period_start <= last {
                    // Skip the due dates of the first period that lie before `from`.
                    let into = u128::try_from(first - period_start).unwrap_or(0);
                    let mut i = (into * k).div_ceil(n_wide);
                    while i < k {
                        let offset = i64::try_from(period_offset(i, n_wide, k)).unwrap_or(i64::MAX);
                        let day = period_start.saturating_add(offset);
                        if day > last {
                            break;
                        }
                        if day >= first {
                            found.push(day);
                        }
                        i += 1;
                    }
                    period_start += n;
                }
            }
        }
    }

    // Hand-built schedules may hold unsorted or repeated days; the contract holds anyway.
    found.sort_unstable();
    found.dedup();
    Ok(found.into_iter().filter_map(from_jd).collect())
}

fn push_month_days(
    found: &mut Vec<i64>,
    days_of_month: &[u8],
    year: i32,
    month: Month,
    first: i64,
    last: i64,
) {
    let length = month.length(year);
    for &day in days_of_month.iter().filter(|&&d| d != 0) {
        if let Ok(date) = Date::from_calendar_date(year, month, day.min(length)) {
            let day = jd(date);
            if (first..=last).contains(&day) {
                found.push(day);
            }
        }
    }
}

/// Whether `schedule` is due on `date`; agrees with [`occurrences`].
pub fn is_due(schedule: &Schedule, date: Date) -> bool {
    match &schedule.frequency {
        Frequency::Daily => true,
        Frequency::Weekly { days_of_week } => {
            days_of_week.contains(&date.weekday().number_from_monday())
        }
        Frequency::Monthly { days_of_month } => {
            let length = date.month().length(date.year());
            days_of_month
                .iter()
                .any(|&d| d != 0 && d.min(length) == date.day())
        }
        Frequency::EveryNDays { interval, start_on } => {
            let since = jd(date) - jd(*start_on);
            *interval > 0 && since >= 0 && since % i64::from(*interval) == 0
        }
        Frequency::TimesPerPeriod {
            times,
            period_days,
            start_on,
        } => {
            let k = per_period(*times, *period_days);
            let Ok(since) = u128::try_from(jd(date) - jd(*start_on)) else {
                return false;
            };
            if k == 0 {
                return false;
            }
            let n = u128::from(*period_days);
            let pos = since % n;
            // The only index whose offset could be `pos` is the smallest i with i*n/k >= pos.
            let i = (pos * k).div_ceil(n);
            i < k && period_offset(i, n, k) == pos
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;
    use time::macros::date;

    fn input(frequency: FrequencyKind) -> ScheduleInput {
        ScheduleInput {
            frequency,
            days_of_week: None,
            days_of_month: None,
            interval: None,
            start_on: None,
            times: None,
            period_days: None,
            target: None,
        }
    }

    fn monthly(days: &[u8]) -> Schedule {
        Schedule {
            frequency: Frequency::Monthly {
                days_of_month: days.to_vec(),
            },
            target: None,
        }
    }

    fn fields(result: Result<Schedule, Vec<FieldError>>) -> Vec<(String, String)> {
        match result {
            Ok(s) => panic!("expected errors, got {s:?}"),
            Err(errors) => errors.into_iter().map(|e| (e.field, e.message)).collect(),
        }
    }

    fn field_names(result: Result<Schedule, Vec<FieldError>>) -> Vec<String> {
        fields(result).into_iter().map(|(f, _)| f).collect()
    }

    #[test]
    fn day_31_means_the_last_day_of_shorter_months() {
        let s = monthly(&[31]);
        let got = occurrences(&s, date!(2026 - 01 - 01), date!(2026 - 05 - 31)).unwrap();
        assert_eq!(
            got,
            vec![
                date!(2026 - 01 - 31),
                date!(2026 - 02 - 28),
                date!(2026 - 03 - 31),
                date!(2026 - 04 - 30),
                date!(2026 - 05 - 31),
            ]
        );
        let leap = occurrences(&s, date!(2028 - 02 - 01), date!(2028 - 02 - 29)).unwrap();
        assert_eq!(leap, vec![date!(2028 - 02 - 29)]);
        assert!(is_due(&s, date!(2026 - 02 - 28)));
        assert!(is_due(&s, date!(2026 - 04 - 30)));
        assert!(!is_due(&s, date!(2028 - 02 - 28)));
    }

    #[test]
    fn days_29_to_31_in_february_are_one_date() {
        let s = monthly(&[29, 30, 31]);
        let got = occurrences(&s, date!(2026 - 02 - 01), date!(2026 - 02 - 28)).unwrap();
        assert_eq!(got, vec![date!(2026 - 02 - 28)]);
        let leap = occurrences(&s, date!(2028 - 02 - 01), date!(2028 - 02 - 29)).unwrap();
        assert_eq!(leap, vec![date!(2028 - 02 - 29)]);
    }

    #[test]
    fn days_30_and_31_in_april_are_one_date() {
        let s = monthly(&[30, 31]);
        let got = occurrences(&s, date!(2026 - 04 - 01), date!(2026 - 04 - 30)).unwrap();
        assert_eq!(got, vec![date!(2026 - 04 - 30)]);
        let may = occurrences(&s, date!(2026 - 05 - 01), date!(2026 - 05 - 31)).unwrap();
        assert_eq!(may, vec![date!(2026 - 05 - 30), date!(2026 - 05 - 31)]);
    }

    #[test]
    fn weekly_lists_the_chosen_weekdays() {
        let mut i = input(FrequencyKind::Weekly);
        i.days_of_week = Some(vec![5, 1, 3]);
        let s = validate(i).unwrap();
        assert_eq!(
            s.frequency,
            Frequency::Weekly {
                days_of_week: vec![1, 3, 5]
            }
        );
        // 2026-03-23 is a Monday; the DST change in Europe is on Sunday the 29th.
        let got = occurrences(&s, date!(2026 - 03 - 23), date!(2026 - 03 - 31)).unwrap();
        assert_eq!(
            got,
            vec![
                date!(2026 - 03 - 23),
                date!(2026 - 03 - 25),
                date!(2026 - 03 - 27),
                date!(2026 - 03 - 30),
            ]
        );
    }

    #[test]
    fn every_n_days_starts_at_the_anchor() {
        let s = Schedule {
            frequency: Frequency::EveryNDays {
                interval: 3,
                start_on: date!(2026 - 03 - 28),
            },
            target: None,
        };
        let got = occurrences(&s, date!(2026 - 03 - 01), date!(2026 - 04 - 04)).unwrap();
        assert_eq!(
            got,
            vec![
                date!(2026 - 03 - 28),
                date!(2026 - 03 - 31),
                date!(2026 - 04 - 03)
            ]
        );
        let later = occurrences(&s, date!(2026 - 03 - 29), date!(2026 - 04 - 03)).unwrap();
        assert_eq!(later, vec![date!(2026 - 03 - 31), date!(2026 - 04 - 03)]);
    }

    #[test]
    fn times_per_period_spreads_evenly() {
        // 3 times per 7 days: offsets 0, 2, 4.
        let s = Schedule {
            frequency: Frequency::TimesPerPeriod {
                times: 3,
                period_days: 7,
                start_on: date!(2026 - 03 - 02),
            },
            target: None,
        };
        let got = occurrences(&s, date!(2026 - 03 - 01), date!(2026 - 03 - 15)).unwrap();
        assert_eq!(
            got,
            vec![
                date!(2026 - 03 - 02),
                date!(2026 - 03 - 04),
                date!(2026 - 03 - 06),
                date!(2026 - 03 - 09),
                date!(2026 - 03 - 11),
                date!(2026 - 03 - 13),
            ]
        );
        let mid = occurrences(&s, date!(2026 - 03 - 05), date!(2026 - 03 - 10)).unwrap();
        assert_eq!(mid, vec![date!(2026 - 03 - 06), date!(2026 - 03 - 09)]);
    }

    #[test]
    fn ranges_are_inclusive_capped_and_may_be_empty() {
        let s = Schedule {
            frequency: Frequency::Daily,
            target: None,
        };
        assert_eq!(
            occurrences(&s, date!(2026 - 01 - 02), date!(2026 - 01 - 01)),
            Ok(vec![])
        );
        assert_eq!(
            occurrences(&s, date!(2026 - 01 - 01), date!(2026 - 01 - 01)),
            Ok(vec![date!(2026 - 01 - 01)])
        );
        let from = date!(2026 - 01 - 01);
        let last_ok = from + time::Duration::days(MAX_RANGE_DAYS - 1);
        assert_eq!(occurrences(&s, from, last_ok).map(|v| v.len()), Ok(3660));
        assert_eq!(
            occurrences(&s, from, last_ok.next_day().unwrap()),
            Err(RangeTooLong { days: 3661 })
        );
        assert_eq!(
            occurrences(&s, Date::MIN, Date::MAX).map(|v| v.len()),
            Err(RangeTooLong {
                days: jd(Date::MAX) - jd(Date::MIN) + 1
            })
        );
    }

    #[test]
    fn hand_built_schedules_never_panic() {
        let weird = [
            Frequency::Weekly {
                days_of_week: vec![0, 9, 3, 3],
            },
            Frequency::Monthly {
                days_of_month: vec![0, 200, 15, 15],
            },
            Frequency::EveryNDays {
                interval: 0,
                start_on: Date::MAX,
            },
            Frequency::EveryNDays {
                interval: u32::MAX,
                start_on: Date::MIN,
            },
            Frequency::TimesPerPeriod {
                times: u32::MAX,
                period_days: 3,
                start_on: Date::MIN,
            },
            Frequency::TimesPerPeriod {
                times: 5,
                period_days: 0,
                start_on: Date::MIN,
            },
            Frequency::TimesPerPeriod {
                times: u32::MAX,
                period_days: u32::MAX,
                start_on: Date::MIN,
            },
        ];
        let ranges = [
            (Date::MIN, Date::MIN + time::Duration::days(100)),
            (Date::MAX - time::Duration::days(100), Date::MAX),
            (date!(2026 - 01 - 01), date!(2026 - 12 - 31)),
        ];
        for frequency in weird {
            let s = Schedule {
                frequency,
                target: Some(f64::NAN),
            };
            for (from, to) in ranges {
                let got = occurrences(&s, from, to).unwrap();
                assert!(got.windows(2).all(|w| w[0] < w[1]));
                let set: BTreeSet<Date> = got.iter().copied().collect();
                let mut d = from;
                loop {
                    assert_eq!(is_due(&s, d), set.contains(&d), "{s:?} {d}");
                    match d.next_day() {
                        Some(next) if next <= to => d = next,
                        _ => break,
                    }
                }
            }
        }
    }

    #[test]
    fn valid_inputs_for_each_frequency() {
        assert_eq!(
            validate(input(FrequencyKind::Daily)),
            Ok(Schedule {
                frequency: Frequency::Daily,
                target: None
            })
        );
        let mut m = input(FrequencyKind::Monthly);
        m.days_of_month = Some(vec![31, 1, 15]);
        m.target = Some(2.5);
        assert_eq!(
            validate(m),
            Ok(Schedule {
                frequency: Frequency::Monthly {
                    days_of_month: vec![1, 15, 31]
                },
                target: Some(2.5)
            })
        );
        let mut e = input(FrequencyKind::EveryNDays);
        e.interval = Some(365);
        e.start_on = Some(date!(2026 - 03 - 29));
        assert!(validate(e).is_ok());
        let mut t = input(FrequencyKind::TimesPerPeriod);
        t.times = Some(366);
        t.period_days = Some(366);
        t.start_on = Some(date!(2026 - 03 - 29));
        assert!(validate(t).is_ok());
    }

    #[test]
    fn rejects_empty_lists_duplicates_and_out_of_range_days() {
        let mut w = input(FrequencyKind::Weekly);
        w.days_of_week = Some(vec![]);
        assert_eq!(
            fields(validate(w.clone())),
            vec![("daysOfWeek".to_owned(), "must not be empty".to_owned())]
        );
        w.days_of_week = Some(vec![1, 3, 1]);
        assert_eq!(
            fields(validate(w.clone())),
            vec![(
                "daysOfWeek".to_owned(),
                "must not contain duplicates".to_owned()
            )]
        );
        w.days_of_week = Some(vec![0]);
        assert_eq!(field_names(validate(w.clone())), vec!["daysOfWeek"]);
        w.days_of_week = Some(vec![8]);
        assert_eq!(field_names(validate(w.clone())), vec!["daysOfWeek"]);
        w.days_of_week = None;
        assert_eq!(
            fields(validate(w)),
            vec![(
                "daysOfWeek".to_owned(),
                "is required for frequency `weekly`".to_owned()
            )]
        );

        let mut m = input(FrequencyKind::Monthly);
        m.days_of_month = Some(vec![32]);
        assert_eq!(field_names(validate(m.clone())), vec!["daysOfMonth"]);
        m.days_of_month = Some(vec![0, 5]);
        assert_eq!(field_names(validate(m.clone())), vec!["daysOfMonth"]);
        m.days_of_month = Some(vec![]);
        assert_eq!(field_names(validate(m.clone())), vec!["daysOfMonth"]);
        m.days_of_month = Some(vec![31, 31, 32]);
        assert_eq!(field_names(validate(m)), vec!["daysOfMonth", "daysOfMonth"]);
    }

    #[test]
    fn rejects_bad_numbers_and_missing_anchors() {
        let mut e = input(FrequencyKind::EveryNDays);
        e.interval = Some(0);
        assert_eq!(
            field_names(validate(e.clone())),
            vec!["interval", "startOn"]
        );
        e.interval = Some(366);
        e.start_on = Some(date!(2026 - 01 - 01));
        assert_eq!(field_names(validate(e.clone())), vec!["interval"]);
        e.interval = None;
        assert_eq!(field_names(validate(e)), vec!["interval"]);

        let mut t = input(FrequencyKind::TimesPerPeriod);
        t.times = Some(8);
        t.period_days = Some(7);
        assert_eq!(
            fields(validate(t.clone())),
            vec![
                (
                    "times".to_owned(),
                    "must not be greater than periodDays".to_owned()
                ),
                (
                    "startOn".to_owned(),
                    "is required for frequency `times_per_period`".to_owned()
                ),
            ]
        );
        t.start_on = Some(date!(2026 - 01 - 01));
        t.times = Some(0);
        assert_eq!(field_names(validate(t.clone())), vec!["times"]);
        t.times = Some(3);
        t.period_days = Some(0);
        assert_eq!(field_names(validate(t.clone())), vec!["periodDays"]);
        t.period_days = Some(367);
        assert_eq!(field_names(validate(t.clone())), vec!["periodDays"]);
        t.period_days = None;
        t.times = None;
        assert_eq!(field_names(validate(t)), vec!["periodDays", "times"]);

        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let mut d = input(FrequencyKind::Daily);
            d.target = Some(bad);
            assert_eq!(field_names(validate(d)), vec!["target"]);
        }
    }

    #[test]
    fn rejects_fields_of_other_frequencies() {
        let mut d = input(FrequencyKind::Daily);
        d.days_of_week = Some(vec![1]);
        d.start_on = Some(date!(2026 - 01 - 01));
        assert_eq!(
            fields(validate(d)),
            vec![
                (
                    "daysOfWeek".to_owned(),
                    "does not apply to frequency `daily`".to_owned()
                ),
                (
                    "startOn".to_owned(),
                    "does not apply to frequency `daily`".to_owned()
                ),
            ]
        );
        let mut w = input(FrequencyKind::Weekly);
        w.days_of_week = Some(vec![1]);
        w.days_of_month = Some(vec![1]);
        w.interval = Some(2);
        w.times = Some(1);
        w.period_days = Some(7);
        assert_eq!(
            field_names(validate(w)),
            vec!["daysOfMonth", "interval", "times", "periodDays"]
        );
        let mut e = input(FrequencyKind::EveryNDays);
        e.interval = Some(2);
        e.start_on = Some(date!(2026 - 01 - 01));
        e.times = Some(1);
        assert_eq!(field_names(validate(e)), vec!["times"]);
    }

    #[test]
    fn json_rejects_unknown_fields_and_reads_snake_case_kinds() {
        let unknown =
            serde_json::from_str::<ScheduleInput>(r#"{"frequency":"daily","color":"red"}"#);
        assert!(unknown.is_err());
        let bad_kind = serde_json::from_str::<ScheduleInput>(r#"{"frequency":"hourly"}"#);
        assert!(bad_kind.is_err());
        let parsed: ScheduleInput = serde_json::from_str(
            r#"{"frequency":"times_per_period","times":2,"periodDays":7,"startOn":"2026-03-29","target":null}"#,
        )
        .unwrap();
        assert_eq!(parsed.frequency, FrequencyKind::TimesPerPeriod);
        assert_eq!(parsed.start_on, Some(date!(2026 - 03 - 29)));
        let e: ScheduleInput = serde_json::from_str(
            r#"{"frequency":"every_n_days","interval":2,"startOn":"2026-01-01"}"#,
        )
        .unwrap();
        assert_eq!(e.frequency, FrequencyKind::EveryNDays);
    }

    #[test]
    fn serializes_flat_with_nulls_and_round_trips() {
        let cases = [
            (
                Schedule {
                    frequency: Frequency::Daily,
                    target: None,
                },
                r#"{"frequency":"daily","daysOfWeek":null,"daysOfMonth":null,"interval":null,"startOn":null,"times":null,"periodDays":null,"target":null}"#,
            ),
            (
                Schedule {
                    frequency: Frequency::Weekly {
                        days_of_week: vec![1, 3, 5],
                    },
                    target: Some(20.0),
                },
                r#"{"frequency":"weekly","daysOfWeek":[1,3,5],"daysOfMonth":null,"interval":null,"startOn":null,"times":null,"periodDays":null,"target":20.0}"#,
            ),
            (
                monthly(&[1, 15, 31]),
                r#"{"frequency":"monthly","daysOfWeek":null,"daysOfMonth":[1,15,31],"interval":null,"startOn":null,"times":null,"periodDays":null,"target":null}"#,
            ),
            (
                Schedule {
                    frequency: Frequency::EveryNDays {
                        interval: 3,
                        start_on: date!(2026 - 03 - 29),
                    },
                    target: None,
                },
                r#"{"frequency":"every_n_days","daysOfWeek":null,"daysOfMonth":null,"interval":3,"startOn":"2026-03-29","times":null,"periodDays":null,"target":null}"#,
            ),
            (
                Schedule {
                    frequency: Frequency::TimesPerPeriod {
                        times: 3,
                        period_days: 7,
                        start_on: date!(2026 - 03 - 30),
                    },
                    target: Some(1.5),
                },
                r#"{"frequency":"times_per_period","daysOfWeek":null,"daysOfMonth":null,"interval":null,"startOn":"2026-03-30","times":3,"periodDays":7,"target":1.5}"#,
            ),
        ];
        for (schedule, json) in cases {
            assert_eq!(serde_json::to_string(&schedule).unwrap(), json);
            let back: ScheduleInput = serde_json::from_str(json).unwrap();
            assert_eq!(validate(back), Ok(schedule.clone()));
            let direct: Schedule = serde_json::from_str(json).unwrap();
            assert_eq!(direct, schedule);
        }
        let invalid = serde_json::from_str::<Schedule>(r#"{"frequency":"weekly","daysOfWeek":[]}"#);
        assert!(invalid.is_err());
    }

    #[test]
    fn openapi_schema_names_both_shapes() {
        #[derive(utoipa::OpenApi)]
        #[openapi(components(schemas(ScheduleInput, Schedule)))]
        struct Doc;
        let doc = serde_json::to_value(<Doc as utoipa::OpenApi>::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["tracking.HabitSchedule"]["properties"]["daysOfWeek"],
            schemas["tracking.HabitScheduleInput"]["properties"]["daysOfWeek"]
        );
        assert!(schemas["tracking.HabitSchedule"]["properties"]["startOn"].is_object());
        assert_eq!(
            schemas["tracking.HabitFrequency"]["enum"],
            serde_json::json!([
                "daily",
                "weekly",
                "monthly",
                "every_n_days",
                "times_per_period"
            ])
        );
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::collection::btree_set;
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use time::Duration;
    use time::macros::date;

    const DST_SPRING: Date = date!(2026 - 03 - 29);
    const DST_AUTUMN: Date = date!(2026 - 10 - 25);

    fn day(base: Date, offset: i64) -> Date {
        base + Duration::days(offset)
    }

    fn input_strategy() -> impl Strategy<Value = ScheduleInput> {
        let anchor = (0i64..1200).prop_map(|o| day(date!(2024 - 06 - 01), o));
        let target = proptest::option::of(1u32..10_000).prop_map(|t| t.map(|t| f64::from(t) / 4.0));
        let frequency = prop_oneof![
            Just((FrequencyKind::Daily, None, None, None, None, None, None)),
            btree_set(1u8..=7, 1..=7).prop_map(|d| (
                FrequencyKind::Weekly,
                Some(d.into_iter().rev().collect::<Vec<_>>()),
                None,
                None,
                None,
                None,
                None
            )),
            btree_set(1u8..=31, 1..=6).prop_map(|d| (
                FrequencyKind::Monthly,
                None,
                Some(d.into_iter().collect::<Vec<_>>()),
                None,
                None,
                None,
                None
            )),
            (1u32..=MAX_INTERVAL, anchor.clone()).prop_map(|(i, s)| (
                FrequencyKind::EveryNDays,
                None,
                None,
                Some(i),
                Some(s),
                None,
                None
            )),
            (1u32..=40, anchor.clone())
                .prop_flat_map(|(n, s)| (1..=n, Just(n), Just(s)))
                .prop_map(|(k, n, s)| (
                    FrequencyKind::TimesPerPeriod,
                    None,
                    None,
                    None,
                    Some(s),
                    Some(k),
                    Some(n)
                )),
            (1u32..=MAX_PERIOD_DAYS, anchor)
                .prop_flat_map(|(n, s)| (1..=n, Just(n), Just(s)))
                .prop_map(|(k, n, s)| (
                    FrequencyKind::TimesPerPeriod,
                    None,
                    None,
                    None,
                    Some(s),
                    Some(k),
                    Some(n)
                )),
        ];
        (frequency, target).prop_map(
            |(
                (frequency, days_of_week, days_of_month, interval, start_on, times, period_days),
                target,
            )| {
                ScheduleInput {
                    frequency,
                    days_of_week,
                    days_of_month,
                    interval,
                    start_on,
                    times,
                    period_days,
                    target,
                }
            },
        )
    }

    /// Ranges around the 2026 European DST changes; one in three spans both of them.
    fn range_strategy() -> impl Strategy<Value = (Date, Date)> {
        prop_oneof![
            2 => ((-400i64..400), (0i64..900))
                .prop_map(|(start, len)| (day(DST_SPRING, start), day(DST_SPRING, start + len))),
            1 => ((0i64..200), (0i64..500))
                .prop_map(|(before, after)| (day(DST_SPRING, -before), day(DST_AUTUMN, after))),
        ]
    }

    fn dates(from: Date, to: Date) -> Vec<Date> {
        let mut out = Vec::new();
        let mut d = from;
        while d <= to {
            out.push(d);
            match d.next_day() {
                Some(next) => d = next,
                None => break,
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn occurrences_agree_with_the_definition(input in input_strategy(), (from, to) in range_strategy()) {
            let schedule = validate(input.clone()).expect("generated inputs are valid");
            let got = occurrences(&schedule, from, to).expect("ranges are short enough");
            let all = dates(from, to);
            let set: BTreeSet<Date> = got.iter().copied().collect();

            prop_assert!(got.windows(2).all(|w| w[0] < w[1]), "not strictly increasing");
            prop_assert!(got.iter().all(|d| (from..=to).contains(d)), "outside the range");
            for &d in &all {
                prop_assert_eq!(is_due(&schedule, d), set.contains(&d), "is_due disagrees on {}", d);
            }

            match &schedule.frequency {
                Frequency::Daily => prop_assert_eq!(got.len() as i64, (to - from).whole_days() + 1),
                Frequency::Weekly { days_of_week } => {
                    for &d in &all {
                        let listed = days_of_week.contains(&d.weekday().number_from_monday());
                        prop_assert_eq!(set.contains(&d), listed);
                    }
                }
                Frequency::Monthly { days_of_month } => {
                    let months: BTreeSet<(i32, Month)> = all.iter().map(|d| (d.year(), d.month())).collect();
                    for (year, month) in months {
                        let length = month.length(year);
                        let want: BTreeSet<u8> = days_of_month.iter().map(|&d| d.min(length)).collect();
                        let month_start = Date::from_calendar_date(year, month, 1).unwrap();
                        let month_end = Date::from_calendar_date(year, month, length).unwrap();
                        let in_month: Vec<u8> = got
                            .iter()
                            .filter(|d| (d.year(), d.month()) == (year, month))
                            .map(|d| d.day())
                            .collect();
                        let visible: Vec<u8> = want
                            .iter()
                            .copied()
                            .filter(|&d| (from..=to).contains(&Date::from_calendar_date(year, month, d).unwrap()))
                            .collect();
                        prop_assert_eq!(&in_month, &visible);
                        if from <= month_start && month_end <= to {
                            prop_assert_eq!(in_month.len(), want.len(), "full month {} {}", year, month);
                        }
                    }
                }
                Frequency::EveryNDays { interval, start_on } => {
                    let step = i64::from(*interval);
                    for w in got.windows(2) {
                        prop_assert_eq!((w[1] - w[0]).whole_days(), step);
                    }
                    if let Some(&first) = got.first() {
                        prop_assert!(first >= *start_on);
                        prop_assert_eq!((first - *start_on).whole_days() % step, 0);
                        // Nothing skipped at the start of the range.
                        prop_assert!((first - from.max(*start_on)).whole_days() < step);
                    } else {
                        prop_assert!(
                            to < *start_on
                                || (to - from.max(*start_on)).whole_days() < step
                        );
                    }
                }
                Frequency::TimesPerPeriod { times, period_days, start_on } => {
                    prop_assert!(got.iter().all(|d| d >= start_on));
                    let n = i64::from(*period_days);
                    let mut p = 0;
                    loop {
                        let start = day(*start_on, p * n);
                        let end = day(start, n - 1);
                        if start > to {
                            break;
                        }
                        if start >= from && end <= to {
                            let count = got.iter().filter(|d| (start..=end).contains(*d)).count();
                            prop_assert_eq!(count, *times as usize, "period starting {}", start);
                            prop_assert!(set.contains(&start), "a period starts on a due date");
                        }
                        p += 1;
                    }
                }
            }
        }

        #[test]
        fn responses_round_trip_through_the_input(input in input_strategy()) {
            let schedule = validate(input).expect("generated inputs are valid");
            let json = serde_json::to_string(&schedule).unwrap();
            let back: ScheduleInput = serde_json::from_str(&json).unwrap();
            prop_assert_eq!(validate(back), Ok(schedule));
        }

        #[test]
        fn validation_never_panics(
            kind in prop_oneof![
                Just(FrequencyKind::Daily), Just(FrequencyKind::Weekly), Just(FrequencyKind::Monthly),
                Just(FrequencyKind::EveryNDays), Just(FrequencyKind::TimesPerPeriod)
            ],
            days_of_week in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..10)),
            days_of_month in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
            interval in proptest::option::of(any::<u32>()),
            start in proptest::option::of(-3_000_000i32..3_000_000),
            times in proptest::option::of(any::<u32>()),
            period_days in proptest::option::of(any::<u32>()),
            target in proptest::option::of(any::<f64>()),
            (from, to) in range_strategy(),
        ) {
            let input = ScheduleInput {
                frequency: kind,
                days_of_week,
                days_of_month,
                interval,
                start_on: start.and_then(|j| Date::from_julian_day(j + 2_460_000).ok()),
                times,
                period_days,
                target,
            };
            if let Ok(schedule) = validate(input) {
                let got = occurrences(&schedule, from, to).expect("short range");
                prop_assert!(got.windows(2).all(|w| w[0] < w[1]));
            }
        }
    }
}
