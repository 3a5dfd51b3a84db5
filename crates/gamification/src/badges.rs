//! Badges: which catalog entries a user's figures earn, and their progress. The catalog
//! (codes, kinds, thresholds) is the `badges` table, shipped by the migration.

use std::collections::BTreeMap;

use time::Date;

use crate::model::BadgeKind;
use crate::ports::HabitFacts;

/// The figures badges are measured against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub completions: i64,
    /// The longest streak ever (a streak badge marks reaching that many days).
    pub longest_streak: i64,
    pub level: i64,
    pub logged_minutes: i64,
    /// Counted habit completions in the local ISO week at hand.
    pub habits_in_week: i64,
    /// Perfect local days in a row ending at the day at hand.
    pub perfect_days: i64,
    pub hikes: i64,
    pub hiked_meters: i64,
}

/// The user's count toward a badge of `kind`.
pub fn progress(kind: BadgeKind, figures: &Figures) -> i64 {
    let _ = (kind, figures);
    todo!()
}

/// Whether `figures` earn a badge of `kind` with `threshold`.
pub fn earns(kind: BadgeKind, threshold: i64, figures: &Figures) -> bool {
    progress(kind, figures) >= threshold
}

/// Perfect local days in a row ending at `day` (at most `max`): days on which at least
/// one habit was due and every due habit was done. `done` holds, per date, the habit
/// node ids with a counted completion. Only habits whose node existed on the day count
/// (`created_on`: the local date of each habit's creation); `times_per_period` habits
/// are left out (they may be done on any day of their period).
pub fn perfect_days(
    habits: &[HabitFacts],
    created_on: &[Date],
    done: &BTreeMap<Date, Vec<uuid::Uuid>>,
    day: Date,
    max: i64,
) -> i64 {
    let _ = (habits, created_on, done, day, max);
    todo!()
}
