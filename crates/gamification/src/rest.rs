//! Rest days: local days that neither break nor extend a streak.
//!
//! A day is a rest day when it was planned `free` before it began, or when nothing was
//! due on it and nothing was planned for it: no habit due (a habit whose node existed
//! before the day ended), no task or milestone due, no day type.

use std::collections::BTreeSet;

use lifeos_kernel::zone::{UserClock, ZoneError};
use time::Date;

use crate::ports::{DueNode, HabitFacts, PlannedDay};

/// The longest run of days a streak gap is examined over; a longer gap breaks the streak.
pub const MAX_GAP_DAYS: i64 = 366;

/// What the user had due and planned over a range of days.
#[derive(Debug, Clone, Copy)]
pub struct Plans<'a> {
    pub habits: &'a [HabitFacts],
    pub planned: &'a [PlannedDay],
    pub due_nodes: &'a [DueNode],
}

/// The rest days in `[from, to]` (empty when `from > to`).
pub fn rest_days(
    clock: &UserClock,
    from: Date,
    to: Date,
    plans: Plans<'_>,
) -> Result<BTreeSet<Date>, ZoneError> {
    let _ = (clock, from, to, plans);
    todo!()
}
