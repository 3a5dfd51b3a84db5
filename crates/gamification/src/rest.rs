//! Rest days: local days that neither break nor extend a streak.
//!
//! A day is a rest day when it was planned `free` before it began, or when nothing was
//! due on it and nothing was planned for it: no habit due (a habit whose node existed
//! before the day ended), no task or milestone due, no day type.

use std::collections::{BTreeMap, BTreeSet};

use lifeos_kernel::zone::{UserClock, ZoneError};
use time::Date;

use crate::ports::{DueNode, HabitFacts, PlannedDay};
use crate::window::day_bounds;

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
///
/// At most [`MAX_GAP_DAYS`] dates are examined, from `from` on: a longer range stops
/// there, which is harmless because a streak gap longer than that breaks the streak
/// whatever its days were.
pub fn rest_days(
    clock: &UserClock,
    from: Date,
    to: Date,
    plans: Plans<'_>,
) -> Result<BTreeSet<Date>, ZoneError> {
    let mut planned: BTreeMap<Date, Vec<&PlannedDay>> = BTreeMap::new();
    for day in plans.planned {
        planned.entry(day.date).or_default().push(day);
    }
    let mut due: BTreeMap<Date, Vec<&DueNode>> = BTreeMap::new();
    for node in plans.due_nodes {
        due.entry(node.due_on).or_default().push(node);
    }

    let mut rest = BTreeSet::new();
    let mut date = from;
    for _ in 0..MAX_GAP_DAYS {
        if date > to {
            break;
        }
        let (start, end) = day_bounds(clock, date)?;
        let is_rest = match planned.get(&date) {
            // A plan made once the day had begun is a plan, not a rest day: otherwise
            // marking today free after missing it would save any streak.
            Some(days) => days.iter().any(|d| d.free && d.planned_at < start),
            None => {
                let habit_due = plans.habits.iter().any(|habit| {
                    habit.created_at < end && habit.schedule.as_ref().is_none_or(|s| s.is_due(date))
                });
                let node_due = due
                    .get(&date)
                    .is_some_and(|nodes| nodes.iter().any(|n| n.created_at < end));
                !habit_due && !node_due
            }
        };
        if is_rest {
            rest.insert(date);
        }
        match date.next_day() {
            Some(next) => date = next,
            None => break,
        }
    }
    Ok(rest)
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
    use crate::ports::HabitCalendar;

    fn utc() -> UserClock {
        UserClock {
            timezone: "UTC".into(),
            day_start_hour: 0,
        }
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn habit(created_at: &str, schedule: Option<Arc<dyn HabitCalendar>>) -> HabitFacts {
        HabitFacts {
            node_id: Uuid::nil(),
            track_id: Uuid::nil(),
            created_at: at(created_at),
            schedule,
        }
    }

    fn rest(from: Date, to: Date, plans: Plans<'_>) -> Vec<Date> {
        rest_days(&utc(), from, to, plans)
            .unwrap()
            .into_iter()
            .collect()
    }

    const NOTHING: Plans<'static> = Plans {
        habits: &[],
        planned: &[],
        due_nodes: &[],
    };

    #[test]
    fn a_day_with_nothing_due_or_planned_is_rest() {
        // 2026-01-05 is a Monday.
        assert_eq!(
            rest(date!(2026 - 01 - 05), date!(2026 - 01 - 07), NOTHING),
            vec![
                date!(2026 - 01 - 05),
                date!(2026 - 01 - 06),
                date!(2026 - 01 - 07)
            ]
        );
        assert!(rest(date!(2026 - 01 - 07), date!(2026 - 01 - 05), NOTHING).is_empty());
    }

    #[test]
    fn a_monday_habit_leaves_tuesday_a_rest_day() {
        let habits = [habit(
            "2025-12-01T00:00:00Z",
            Some(Arc::new(OnWeekdays(vec![Weekday::Monday]))),
        )];
        let plans = Plans {
            habits: &habits,
            ..NOTHING
        };
        assert_eq!(
            rest(date!(2026 - 01 - 05), date!(2026 - 01 - 06), plans),
            vec![date!(2026 - 01 - 06)]
        );
    }

    #[test]
    fn a_daily_habit_counts_from_the_day_its_node_existed() {
        // Created during 2026-01-06: due on it (it existed before the day ended).
        let habits = [habit("2026-01-06T20:00:00Z", None)];
        let plans = Plans {
            habits: &habits,
            ..NOTHING
        };
        assert_eq!(
            rest(date!(2026 - 01 - 05), date!(2026 - 01 - 07), plans),
            vec![date!(2026 - 01 - 05)]
        );
    }

    #[test]
    fn a_due_task_makes_its_day_no_rest_day_once_it_existed() {
        let due_nodes = [
            DueNode {
                due_on: date!(2026 - 01 - 05),
                created_at: at("2026-01-01T00:00:00Z"),
            },
            // Created after its due day ended: it was never due on it.
            DueNode {
                due_on: date!(2026 - 01 - 06),
                created_at: at("2026-01-07T00:00:00Z"),
            },
        ];
        let plans = Plans {
            due_nodes: &due_nodes,
            ..NOTHING
        };
        assert_eq!(
            rest(date!(2026 - 01 - 05), date!(2026 - 01 - 06), plans),
            vec![date!(2026 - 01 - 06)]
        );
    }

    #[test]
    fn a_free_day_counts_only_when_planned_before_it_began() {
        let habits = [habit("2025-12-01T00:00:00Z", None)];
        let planned = [
            PlannedDay {
                date: date!(2026 - 01 - 05),
                free: true,
                planned_at: at("2026-01-04T23:59:59Z"),
            },
            PlannedDay {
                date: date!(2026 - 01 - 06),
                free: true,
                planned_at: at("2026-01-06T00:00:00Z"),
            },
            // Planned, but not free: a working day even with nothing due.
            PlannedDay {
                date: date!(2026 - 01 - 08),
                free: false,
                planned_at: at("2026-01-01T00:00:00Z"),
            },
        ];
        let plans = Plans {
            habits: &habits,
            planned: &planned,
            due_nodes: &[],
        };
        assert_eq!(
            rest(date!(2026 - 01 - 05), date!(2026 - 01 - 06), plans),
            vec![date!(2026 - 01 - 05)]
        );
        let only_plans = Plans {
            planned: &planned,
            ..NOTHING
        };
        assert_eq!(
            rest(date!(2026 - 01 - 05), date!(2026 - 01 - 08), only_plans),
            vec![date!(2026 - 01 - 05), date!(2026 - 01 - 07)]
        );
    }

    #[test]
    fn day_start_and_zone_decide_when_a_day_begins() {
        // Berlin, day start 4: 2026-01-05 begins at 03:00 UTC.
        let clock = UserClock {
            timezone: "Europe/Berlin".into(),
            day_start_hour: 4,
        };
        let planned = [PlannedDay {
            date: date!(2026 - 01 - 05),
            free: true,
            planned_at: at("2026-01-05T02:59:00Z"),
        }];
        let habits = [habit("2025-12-01T00:00:00Z", None)];
        let plans = Plans {
            habits: &habits,
            planned: &planned,
            due_nodes: &[],
        };
        let days = rest_days(&clock, date!(2026 - 01 - 05), date!(2026 - 01 - 05), plans).unwrap();
        assert!(days.contains(&date!(2026 - 01 - 05)));
    }

    #[test]
    fn long_ranges_stop_at_max_gap_days() {
        let days = rest(date!(2020 - 01 - 01), date!(2030 - 01 - 01), NOTHING);
        assert_eq!(days.len() as i64, MAX_GAP_DAYS);
        assert_eq!(days[0], date!(2020 - 01 - 01));
    }
}
