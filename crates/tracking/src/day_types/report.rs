//! The monthly plan-versus-actual report: pure arithmetic over a month's entries.

use serde::Serialize;
use time::{Date, Month};
use utoipa::ToSchema;

use super::{DayKind, DayType};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = tracking::DayKindCounts)]
pub struct KindCounts {
    pub free: u32,
    pub focus: u32,
    pub buffer: u32,
}

impl KindCounts {
    fn add(&mut self, kind: DayKind) {
        match kind {
            DayKind::Free => self.free += 1,
            DayKind::Focus => self.focus += 1,
            DayKind::Buffer => self.buffer += 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::ReportDay)]
pub struct ReportDay {
    pub date: Date,
    pub planned_type: DayKind,
    pub actual_type: Option<DayKind>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::MonthlyReport)]
pub struct MonthlyReport {
    /// `YYYY-MM`.
    pub month: String,
    pub planned_by_type: KindCounts,
    pub actual_by_type: KindCounts,
    /// Days with both a plan and an actual type.
    pub days_with_both: u32,
    /// Of those, days where the actual type equals the plan.
    pub matched: u32,
    /// `matched / daysWithBoth`, 0 when no day has both.
    pub match_rate: f64,
    /// Days of the month without any entry.
    pub unplanned_days: u32,
    pub days: Vec<ReportDay>,
}

/// The calendar month `year`-`month` as (first day, number of days).
pub fn month_bounds(year: i32, month: Month) -> Option<(Date, u8)> {
    let first = Date::from_calendar_date(year, month, 1).ok()?;
    Some((first, month.length(year)))
}

/// The first and the last day of the calendar month `year`-`month`.
pub fn month_range(year: i32, month: Month) -> Option<(Date, Date)> {
    let (first, length) = month_bounds(year, month)?;
    let last = first.replace_day(length).ok()?;
    Some((first, last))
}

/// Parses `YYYY-MM`.
pub fn parse_month(text: &str) -> Option<(i32, Month)> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    Some((year, month))
}

/// The report for one month. `entries` are the month's live entries, one per date.
pub fn monthly_report(year: i32, month: Month, entries: &[DayType]) -> MonthlyReport {
    let days_in_month = u32::from(month.length(year));
    let mut planned = KindCounts::default();
    let mut actual = KindCounts::default();
    let (mut both, mut matched) = (0_u32, 0_u32);
    let mut days: Vec<ReportDay> = Vec::with_capacity(entries.len());
    for entry in entries
        .iter()
        .filter(|e| e.date.year() == year && e.date.month() == month)
    {
        planned.add(entry.planned_type);
        if let Some(kind) = entry.actual_type {
            actual.add(kind);
            both += 1;
            if kind == entry.planned_type {
                matched += 1;
            }
        }
        days.push(ReportDay {
            date: entry.date,
            planned_type: entry.planned_type,
            actual_type: entry.actual_type,
        });
    }
    days.sort_by_key(|d| d.date);
    let match_rate = if both == 0 {
        0.0
    } else {
        f64::from(matched) / f64::from(both)
    };
    MonthlyReport {
        month: format!("{year:04}-{:02}", u8::from(month)),
        planned_by_type: planned,
        actual_by_type: actual,
        days_with_both: both,
        matched,
        match_rate,
        unplanned_days: days_in_month - u32::try_from(days.len()).unwrap_or(days_in_month),
        days,
    }
}

#[cfg(test)]
mod tests {
    use lifeos_kernel::Timestamp;
    use time::macros::date;
    use uuid::Uuid;

    use super::*;

    fn entry(date: Date, planned: DayKind, actual: Option<DayKind>) -> DayType {
        let at = Timestamp::parse("2026-02-01T00:00:00Z").unwrap();
        DayType {
            id: Uuid::nil(),
            date,
            planned_type: planned,
            actual_type: actual,
            notes: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn counts_matches_and_gaps() {
        use DayKind::*;
        let entries = vec![
            entry(date!(2026 - 02 - 01), Focus, Some(Focus)),
            entry(date!(2026 - 02 - 02), Focus, Some(Free)),
            entry(date!(2026 - 02 - 03), Buffer, Some(Buffer)),
            entry(date!(2026 - 02 - 04), Free, None),
        ];
        let report = monthly_report(2026, Month::February, &entries);
        assert_eq!(report.month, "2026-02");
        assert_eq!(
            report.planned_by_type,
            KindCounts {
                free: 1,
                focus: 2,
                buffer: 1
            }
        );
        assert_eq!(
            report.actual_by_type,
            KindCounts {
                free: 1,
                focus: 1,
                buffer: 1
            }
        );
        assert_eq!((report.days_with_both, report.matched), (3, 2));
        assert_eq!(report.match_rate, 2.0 / 3.0);
        assert_eq!(report.unplanned_days, 28 - 4);
    }

    #[test]
    fn empty_month_has_zero_rate_and_every_day_unplanned() {
        let report = monthly_report(2028, Month::February, &[]);
        assert_eq!(report.match_rate, 0.0);
        assert_eq!(report.unplanned_days, 29, "leap year");
    }

    #[test]
    fn a_month_ranges_from_its_first_to_its_last_day() {
        assert_eq!(
            month_range(2028, Month::February),
            Some((date!(2028 - 02 - 01), date!(2028 - 02 - 29)))
        );
        assert_eq!(month_range(i32::MAX, Month::January), None);
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2026-03"), Some((2026, Month::March)));
        for bad in ["2026-3", "2026-13", "26-03", "2026/03", "2026-03-01", ""] {
            assert_eq!(parse_month(bad), None, "{bad}");
        }
    }
}
