//! The user's streak: local days in a row with at least one counted completion, where
//! rest days neither break nor extend it and travel never ends a day early or counts one
//! twice.
//!
//! Each completion records the zone and day start in force (its [`Activity`]). Between
//! two streak days the days in between are "missed" only if they were missed in every
//! reckoning: the recorded local dates, and, when the zone changed, the calendar of the
//! old zone and of the new one (flying UTC-8 -> UTC+9 may skip a calendar date; the
//! old zone's calendar shows no gap).
//!
//! [`advance`] is the O(1) step a completion takes from the stored state; [`recompute`]
//! folds the whole history and is what an undo and the repair CLI use. A property test
//! checks that they agree.

use std::collections::BTreeSet;

use lifeos_kernel::Timestamp;
use lifeos_kernel::zone::{UserClock, ZoneError};
use time::Date;

/// One completion as streaks see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activity {
    /// The local day it belongs to.
    pub date: Date,
    pub at: Timestamp,
    /// The zone and day start in force when it was recorded.
    pub clock: UserClock,
}

/// The stored streak state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreakState {
    pub current: i64,
    pub longest: i64,
    /// The latest completion of the latest streak day.
    pub last: Option<Activity>,
}

/// Exclusive date ranges `(after, before)` whose inner dates must all be rest days for
/// `next` to extend the streak ending at `last`: one per reckoning (recorded dates; and,
/// when the zones differ, the old zone's and the new zone's calendars). Empty when
/// `next.date <= last.date` or the days are adjacent in some reckoning.
pub fn gaps(last: &Activity, next: &Activity) -> Result<Vec<(Date, Date)>, ZoneError> {
    let _ = (last, next);
    todo!()
}

/// What a completion does to the stored state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The new state (unchanged counts when `next` falls on the latest streak day, which
    /// then records the later of the two instants).
    Apply(StreakState),
    /// `next` belongs to a day before the latest streak day: only [`recompute`] can place it.
    Recompute,
}

/// The O(1) step: `rest` holds the rest days of at least every range [`gaps`] returned.
pub fn advance(state: &StreakState, next: Activity, rest: &BTreeSet<Date>) -> Step {
    let _ = (state, next, rest);
    todo!()
}

/// One streak day of the history: its first and its latest counted completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreakDay {
    pub first: Activity,
    pub last: Activity,
}

/// The state from the whole history (`days` in date order, one per date), as
/// [`advance`] would have built it completion by completion.
pub fn recompute(days: &[StreakDay], rest: &BTreeSet<Date>) -> StreakState {
    let _ = (days, rest);
    todo!()
}

/// The streak as of `now` (local day `today` under `clock`): the stored current streak
/// while the days since the latest streak day, before today, are rest days in some
/// reckoning; 0 once one of them was not.
pub fn current_as_of(state: &StreakState, now: &Activity, rest: &BTreeSet<Date>) -> i64 {
    let _ = (state, now, rest);
    todo!()
}
