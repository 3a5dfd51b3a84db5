//! One habit's figures: its own streak of due occurrences, its strength, its recent
//! completion rate and history.
//!
//! Strength is Loop Habit Tracker's score: over due occurrences in order, `score = prev *
//! m + done * (1 - m)` with `m = 0.5^(sqrt(f)/13)` and `f` the habit's frequency as a
//! fraction of days, so one missed day after a long run costs little.

use std::collections::BTreeMap;

use time::Date;

use crate::model::HabitDay;
use crate::ports::HabitCalendar;

/// Days of history [`habit_figures`] returns.
pub const HISTORY_DAYS: i64 = 90;

#[derive(Debug, Clone, PartialEq)]
pub struct HabitFigures {
    pub current_streak: i64,
    pub longest_streak: i64,
    pub strength: f64,
    pub completion_rate30d: f64,
    /// The last [`HISTORY_DAYS`] local days up to `today`, oldest first.
    pub history: Vec<HabitDay>,
}

/// The figures of a habit created on local day `first_day`, as of local day `today`.
/// `done` maps each local date to its counted completions. `schedule: None` means due
/// every day. For a `times_per_period` schedule each period holds `times` occurrences,
/// done as many as it has completions (at most `times`), on any of its days. Today's
/// occurrence, not done yet, does not break the streak (the day is not over).
pub fn habit_figures(
    schedule: Option<&dyn HabitCalendar>,
    first_day: Date,
    today: Date,
    done: &BTreeMap<Date, u32>,
) -> HabitFigures {
    let _ = (schedule, first_day, today, done);
    todo!()
}
