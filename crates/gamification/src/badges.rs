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
    match kind {
        BadgeKind::Completions => figures.completions,
        BadgeKind::Streak => figures.longest_streak,
        BadgeKind::Level => figures.level,
        BadgeKind::LoggedMinutes => figures.logged_minutes,
        BadgeKind::HabitsInWeek => figures.habits_in_week,
        BadgeKind::PerfectWeek => figures.perfect_days,
        BadgeKind::Hikes => figures.hikes,
        BadgeKind::HikedMeters => figures.hiked_meters,
    }
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
    let mut count = 0;
    let mut date = Some(day);
    while let Some(current) = date {
        if count >= max || !is_perfect(habits, created_on, done.get(&current), current) {
            break;
        }
        count += 1;
        date = current.previous_day();
    }
    count
}

/// Whether some habit was due on `date` and every due one was done. A habit without a
/// creation date in `created_on` is left out.
fn is_perfect(
    habits: &[HabitFacts],
    created_on: &[Date],
    done: Option<&Vec<uuid::Uuid>>,
    date: Date,
) -> bool {
    let mut any_due = false;
    for (habit, created) in habits.iter().zip(created_on) {
        if *created > date {
            continue;
        }
        let due = match habit.schedule.as_deref() {
            None => true,
            // Done on any day of its period: no single day owes it.
            Some(schedule) if schedule.period_of(date).is_some() => false,
            Some(schedule) => schedule.is_due(date),
        };
        if !due {
            continue;
        }
        if !done.is_some_and(|ids| ids.contains(&habit.node_id)) {
            return false;
        }
        any_due = true;
    }
    any_due
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use lifeos_kernel::Timestamp;
    use time::Weekday;
    use time::macros::date;
    use uuid::Uuid;

    use super::*;
    use crate::fixtures::OnWeekdays;
    use crate::fixtures::PerWeek;
    use crate::ports::HabitCalendar;

    fn habit(id: u128, schedule: Option<Arc<dyn HabitCalendar>>) -> HabitFacts {
        HabitFacts {
            node_id: Uuid::from_u128(id),
            track_id: Uuid::nil(),
            created_at: Timestamp::parse("2025-01-01T00:00:00Z").unwrap(),
            schedule,
        }
    }

    fn days(from: Date, count: i64) -> impl Iterator<Item = Date> {
        (0..count).map(move |i| from + time::Duration::days(i))
    }

    #[test]
    fn progress_reads_the_matching_figure() {
        let figures = Figures {
            completions: 1,
            longest_streak: 2,
            level: 3,
            logged_minutes: 4,
            habits_in_week: 5,
            perfect_days: 6,
            hikes: 7,
            hiked_meters: 8,
        };
        let kinds = [
            BadgeKind::Completions,
            BadgeKind::Streak,
            BadgeKind::Level,
            BadgeKind::LoggedMinutes,
            BadgeKind::HabitsInWeek,
            BadgeKind::PerfectWeek,
            BadgeKind::Hikes,
            BadgeKind::HikedMeters,
        ];
        let read: Vec<i64> = kinds.iter().map(|k| progress(*k, &figures)).collect();
        assert_eq!(read, vec![1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(earns(BadgeKind::Streak, 2, &figures));
        assert!(!earns(BadgeKind::Streak, 3, &figures));
        assert!(!earns(BadgeKind::Completions, 1, &Figures::default()));
    }

    const MONDAY: Date = date!(2026 - 01 - 05);

    #[test]
    fn perfect_days_walk_back_while_every_due_habit_was_done() {
        let daily = habit(1, None);
        let mondays = habit(2, Some(Arc::new(OnWeekdays(vec![Weekday::Monday]))));
        let habits = [daily, mondays];
        let created = [date!(2025 - 01 - 01), date!(2025 - 01 - 01)];
        let mut done: BTreeMap<Date, Vec<Uuid>> = days(MONDAY, 10)
            .map(|d| (d, vec![Uuid::from_u128(1)]))
            .collect();
        let sunday = date!(2026 - 01 - 11);
        // The Monday habit was not done on the 5th: the run stops after it.
        assert_eq!(perfect_days(&habits, &created, &done, sunday, 30), 6);
        assert_eq!(perfect_days(&habits, &created, &done, sunday, 3), 3);
        assert_eq!(perfect_days(&habits, &created, &done, sunday, 0), 0);
        done.get_mut(&MONDAY).unwrap().push(Uuid::from_u128(2));
        assert_eq!(perfect_days(&habits, &created, &done, sunday, 30), 7);
        // A day with a due habit missed ends it.
        done.remove(&date!(2026 - 01 - 09));
        assert_eq!(perfect_days(&habits, &created, &done, sunday, 30), 2);
        // The 12th is a Monday: the Monday habit is due and not done.
        assert_eq!(
            perfect_days(&habits, &created, &done, date!(2026 - 01 - 12), 30),
            0
        );
    }

    #[test]
    fn days_with_no_habit_due_are_not_perfect() {
        let created = [date!(2025 - 01 - 01)];
        let mondays = [habit(2, Some(Arc::new(OnWeekdays(vec![Weekday::Monday]))))];
        let done = BTreeMap::from([(MONDAY, vec![Uuid::from_u128(2)])]);
        assert_eq!(perfect_days(&mondays, &created, &done, MONDAY, 7), 1);
        assert_eq!(
            perfect_days(&mondays, &created, &done, date!(2026 - 01 - 06), 7),
            0
        );
        assert_eq!(perfect_days(&[], &[], &done, MONDAY, 7), 0);
    }

    #[test]
    fn habits_count_from_their_creation_and_periods_are_left_out() {
        let habits = [
            habit(1, None),
            habit(2, None),
            habit(
                3,
                Some(Arc::new(PerWeek {
                    times: 3,
                    due_on: &[1, 2, 3],
                })),
            ),
        ];
        // Habit 2 exists from the 8th on.
        let created = [
            date!(2025 - 01 - 01),
            date!(2026 - 01 - 08),
            date!(2025 - 01 - 01),
        ];
        let mut done: BTreeMap<Date, Vec<Uuid>> = days(MONDAY, 7)
            .map(|d| (d, vec![Uuid::from_u128(1)]))
            .collect();
        for date in days(date!(2026 - 01 - 08), 4) {
            done.get_mut(&date).unwrap().push(Uuid::from_u128(2));
        }
        assert_eq!(
            perfect_days(&habits, &created, &done, date!(2026 - 01 - 11), 7),
            7
        );
    }
}
