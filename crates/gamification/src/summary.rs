//! The habit side of a progress summary: per local day, the habits due and done; over the
//! period, how many due occurrences were done. A `times_per_period` habit is due on the
//! dates its schedule spreads over the period, but done on any of its days: its due
//! occurrences in the range count as done up to its completions in the same period.

use std::collections::{BTreeMap, BTreeSet};

use lifeos_kernel::Timestamp;
use time::Date;
use uuid::Uuid;

use crate::ports::HabitFacts;

/// One local day's habits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HabitDay {
    pub due: i64,
    /// Distinct habits with a counted completion that day.
    pub done: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HabitCounts {
    pub days: BTreeMap<Date, HabitDay>,
    pub due: i64,
    /// Due occurrences done (period habits: up to their completions in the period).
    pub done_due: i64,
}

/// `days`: each local date of the range with the instant it ends (a habit created after
/// a day ended is not due on it). `done`: per date, the habits completed.
pub fn habit_counts(
    habits: &[HabitFacts],
    days: &[(Date, Timestamp)],
    done: &BTreeMap<Date, BTreeSet<Uuid>>,
) -> HabitCounts {
    let mut counts = HabitCounts::default();
    for &(date, _) in days {
        let entry = counts.days.entry(date).or_default();
        entry.done = done
            .get(&date)
            .map_or(0, |d| i64::try_from(d.len()).unwrap_or(i64::MAX));
    }
    for habit in habits {
        let done_on = |date: &Date| done.get(date).is_some_and(|d| d.contains(&habit.node_id));
        // Per period (or per day for other schedules): (due occurrences, completions).
        let mut periods: BTreeMap<Date, (i64, i64)> = BTreeMap::new();
        for &(date, end) in days {
            if habit.created_at >= end {
                continue;
            }
            let due = habit.schedule.as_ref().is_none_or(|s| s.is_due(date));
            if due && let Some(day) = counts.days.get_mut(&date) {
                day.due += 1;
            }
            let key = habit
                .schedule
                .as_ref()
                .and_then(|s| s.period_of(date))
                .map_or(date, |p| p.first);
            let slot = periods.entry(key).or_default();
            slot.0 += i64::from(due);
            slot.1 += i64::from(done_on(&date) && (due || key != date));
        }
        for (due, completed) in periods.into_values() {
            counts.due += due;
            counts.done_due += due.min(completed);
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use time::macros::date;

    use super::*;
    use crate::fixtures::PerWeek;
    use crate::ports::HabitCalendar;

    fn week(from: Date) -> Vec<(Date, Timestamp)> {
        (0..7)
            .map(|i| {
                let d = from + time::Duration::days(i);
                (
                    d,
                    Timestamp::parse(&format!("{}T23:59:59Z", d.next_day().unwrap())).unwrap(),
                )
            })
            .collect()
    }

    fn habit(schedule: Option<Arc<dyn HabitCalendar>>) -> HabitFacts {
        HabitFacts {
            node_id: Uuid::from_u128(7),
            track_id: Uuid::from_u128(1),
            created_at: Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
            schedule,
        }
    }

    fn done_on(dates: &[Date]) -> BTreeMap<Date, BTreeSet<Uuid>> {
        dates
            .iter()
            .map(|d| (*d, BTreeSet::from([Uuid::from_u128(7)])))
            .collect()
    }

    #[test]
    fn a_period_habit_done_on_other_days_of_its_period_counts_as_done() {
        let monday = date!(2026 - 03 - 02);
        let counts = habit_counts(
            &[habit(Some(Arc::new(PerWeek {
                times: 2,
                due_on: &[1, 4],
            })))],
            &week(monday),
            &done_on(&[date!(2026 - 03 - 03), date!(2026 - 03 - 04)]),
        );
        assert_eq!((counts.due, counts.done_due), (2, 2));
        assert_eq!(counts.days[&monday], HabitDay { due: 1, done: 0 });
        assert_eq!(
            counts.days[&date!(2026 - 03 - 03)],
            HabitDay { due: 0, done: 1 }
        );
    }

    #[test]
    fn a_daily_habit_counts_day_by_day() {
        let monday = date!(2026 - 03 - 02);
        let counts = habit_counts(&[habit(None)], &week(monday), &done_on(&[monday]));
        assert_eq!((counts.due, counts.done_due), (7, 1));
    }

    #[test]
    fn a_habit_created_after_a_day_ended_is_not_due_on_it() {
        let monday = date!(2026 - 03 - 02);
        let mut late = habit(None);
        late.created_at = Timestamp::parse("2026-03-05T12:00:00Z").unwrap();
        let counts = habit_counts(&[late], &week(monday), &BTreeMap::new());
        assert_eq!(counts.due, 5);
    }
}
