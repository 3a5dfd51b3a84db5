//! Test calendars shared by the rule modules' tests.

use time::{Date, Weekday};

use crate::ports::{HabitCalendar, Period};

/// A habit due on the given weekdays.
#[derive(Debug)]
pub struct OnWeekdays(pub Vec<Weekday>);

impl HabitCalendar for OnWeekdays {
    fn is_due(&self, date: Date) -> bool {
        self.0.contains(&date.weekday())
    }
    fn period_of(&self, _date: Date) -> Option<Period> {
        None
    }
    fn frequency(&self) -> f64 {
        self.0.len() as f64 / 7.0
    }
    fn target(&self) -> Option<f64> {
        None
    }
}

/// A `times_per_period` habit over ISO weeks (Monday to Sunday), `times` per week, due on
/// the ISO weekdays `due_on` (1 = Monday).
#[derive(Debug)]
pub struct PerWeek {
    pub times: u32,
    pub due_on: &'static [u8],
}

impl HabitCalendar for PerWeek {
    fn is_due(&self, date: Date) -> bool {
        self.due_on.contains(&date.weekday().number_from_monday())
    }
    fn period_of(&self, date: Date) -> Option<Period> {
        let (first, last) = lifeos_kernel::date::iso_week(date);
        Some(Period {
            first,
            last,
            times: self.times,
        })
    }
    fn frequency(&self) -> f64 {
        f64::from(self.times) / 7.0
    }
    fn target(&self) -> Option<f64> {
        None
    }
}
