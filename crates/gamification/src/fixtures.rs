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
