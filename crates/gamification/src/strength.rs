//! One habit's figures: its own streak of due occurrences, its strength, its recent
//! completion rate and history.
//!
//! Strength is Loop Habit Tracker's score: over due occurrences in order, `score = prev *
//! m + done * (1 - m)` with `m = 0.5^(sqrt(f)/13)` and `f` the habit's frequency as a
//! fraction of days, so one missed day after a long run costs little.

use std::collections::BTreeMap;

use time::Date;

use crate::model::HabitDay;
use crate::ports::{HabitCalendar, Period};

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

/// Days [`HabitFigures::completion_rate30d`] spans, today included.
const RATE_DAYS: i64 = 30;

/// One due occurrence, on the date it falls due (a period's occurrences fall due as the
/// period ends; the current period's done ones on `today`).
#[derive(Debug, Clone, Copy)]
struct Occurrence {
    date: Date,
    done: bool,
}

/// The smoothing factor of a habit due `frequency` dates per day.
fn multiplier(frequency: f64) -> f64 {
    let f = if frequency.is_finite() {
        frequency.clamp(0.0, 1.0)
    } else {
        1.0
    };
    0.5f64.powf(f.sqrt() / 13.0)
}

/// A `times_per_period` period as seen so far.
struct OpenPeriod {
    period: Period,
    completions: u32,
    /// Whether the habit began after the period did: it could not be held to `times`.
    partial: bool,
}

impl OpenPeriod {
    fn close(self, today: Date, occurrences: &mut Vec<Occurrence>) {
        let times = self.period.times;
        let done = self.completions.min(times);
        let finished = self.period.last < today;
        let date = if finished { self.period.last } else { today };
        // Done ones first: a period's misses are known only once it is over, and the
        // current or a partial period has none yet.
        occurrences.extend((0..done).map(|_| Occurrence { date, done: true }));
        if finished && !self.partial {
            occurrences.extend((done..times).map(|_| Occurrence { date, done: false }));
        }
    }
}

/// The due occurrences of the habit from `first_day` to `today`, in order.
fn occurrences(
    schedule: Option<&dyn HabitCalendar>,
    first_day: Date,
    today: Date,
    done: &BTreeMap<Date, u32>,
) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut open: Option<OpenPeriod> = None;
    let mut date = first_day;
    while date <= today {
        let completions = done.get(&date).copied().unwrap_or(0);
        match schedule.and_then(|s| s.period_of(date)) {
            Some(period) => {
                if open.as_ref().is_some_and(|o| o.period != period)
                    && let Some(previous) = open.take()
                {
                    previous.close(today, &mut out);
                }
                let entry = open.get_or_insert(OpenPeriod {
                    period,
                    completions: 0,
                    partial: period.first < first_day,
                });
                entry.completions = entry.completions.saturating_add(completions);
            }
            None => {
                if let Some(previous) = open.take() {
                    previous.close(today, &mut out);
                }
                let due = schedule.is_none_or(|s| s.is_due(date));
                let is_done = completions >= 1;
                // Today is not over: its occurrence counts once done, not before.
                if due && (is_done || date < today) {
                    out.push(Occurrence {
                        date,
                        done: is_done,
                    });
                }
            }
        }
        match date.next_day() {
            Some(next) => date = next,
            None => break,
        }
    }
    if let Some(last) = open {
        last.close(today, &mut out);
    }
    out
}

/// `count` days ending at `today`, oldest first (fewer at the calendar's start).
fn last_days(today: Date, count: i64) -> Vec<Date> {
    let mut days = Vec::new();
    let mut date = Some(today);
    while let Some(day) = date {
        if days.len() as i64 >= count {
            break;
        }
        days.push(day);
        date = day.previous_day();
    }
    days.reverse();
    days
}

/// The figures of a habit created on local day `first_day`, as of local day `today`.
/// `done` maps each local date to its counted completions. `schedule: None` means due
/// every day. For a `times_per_period` schedule each period holds `times` occurrences,
/// done as many as it has completions (at most `times`), on any of its days. Today's
/// occurrence, not done yet, does not break the streak (the day is not over).
///
/// A period's occurrences fall due as it ends, done ones first; the current period
/// counts only its done ones so far, and so does a period the habit began in the middle
/// of. The 30-day rate counts the occurrences falling due in the last 30 days.
pub fn habit_figures(
    schedule: Option<&dyn HabitCalendar>,
    first_day: Date,
    today: Date,
    done: &BTreeMap<Date, u32>,
) -> HabitFigures {
    let occurrences = occurrences(schedule, first_day, today, done);

    let m = multiplier(schedule.map_or(1.0, |s| s.frequency()));
    let mut strength = 0.0;
    let mut run = 0i64;
    let mut longest_streak = 0i64;
    for occurrence in &occurrences {
        let value = if occurrence.done { 1.0 } else { 0.0 };
        strength = strength * m + value * (1.0 - m);
        run = if occurrence.done { run + 1 } else { 0 };
        longest_streak = longest_streak.max(run);
    }

    let window_start = last_days(today, RATE_DAYS)
        .first()
        .copied()
        .unwrap_or(today);
    let (mut due, mut hit) = (0u32, 0u32);
    for occurrence in occurrences.iter().filter(|o| o.date >= window_start) {
        due += 1;
        hit += u32::from(occurrence.done);
    }
    let completion_rate30d = if due == 0 {
        0.0
    } else {
        f64::from(hit) / f64::from(due)
    };

    let history = last_days(today, HISTORY_DAYS)
        .into_iter()
        .map(|date| HabitDay {
            date,
            due: date >= first_day && schedule.is_none_or(|s| s.is_due(date)),
            done: done.get(&date).is_some_and(|n| *n >= 1),
        })
        .collect();

    HabitFigures {
        current_streak: run,
        longest_streak,
        strength: strength.clamp(0.0, 1.0),
        completion_rate30d,
        history,
    }
}

#[cfg(test)]
mod tests {
    use time::Weekday;
    use time::macros::date;

    use super::*;
    use crate::fixtures::OnWeekdays;

    /// `times` per ISO week from the week of `since` on; spread over its first days.
    #[derive(Debug)]
    struct TimesPerWeek {
        times: u32,
        since: Date,
    }

    impl HabitCalendar for TimesPerWeek {
        fn is_due(&self, date: Date) -> bool {
            self.period_of(date)
                .is_some_and(|p| (date - p.first).whole_days() < i64::from(self.times))
        }
        fn period_of(&self, date: Date) -> Option<Period> {
            let first =
                date - time::Duration::days(i64::from(date.weekday().number_days_from_monday()));
            (date >= self.since).then_some(Period {
                first,
                last: first + time::Duration::days(6),
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

    fn days(from: Date, count: i64) -> impl Iterator<Item = Date> {
        (0..count).map(move |i| from + time::Duration::days(i))
    }

    fn done_on(dates: impl IntoIterator<Item = Date>) -> BTreeMap<Date, u32> {
        dates.into_iter().map(|d| (d, 1)).collect()
    }

    const START: Date = date!(2026 - 01 - 05);

    #[test]
    fn a_daily_habit_smooths_with_half_life_thirteen() {
        assert_eq!(multiplier(1.0), 0.5f64.powf(1.0 / 13.0));
        assert_eq!(multiplier(f64::NAN), multiplier(1.0));
        let once = habit_figures(None, START, START, &done_on([START]));
        assert!((once.strength - (1.0 - 0.5f64.powf(1.0 / 13.0))).abs() < 1e-12);
    }

    #[test]
    fn thirty_days_done_is_well_above_half() {
        let today = START + time::Duration::days(29);
        let figures = habit_figures(None, START, today, &done_on(days(START, 30)));
        assert!(figures.strength > 0.75, "{}", figures.strength);
        assert!((figures.strength - (1.0 - 0.5f64.powf(30.0 / 13.0))).abs() < 1e-12);
        assert_eq!((figures.current_streak, figures.longest_streak), (30, 30));
        assert_eq!(figures.completion_rate30d, 1.0);
    }

    #[test]
    fn one_miss_after_a_long_run_costs_little_but_resets_the_streak() {
        let today = START + time::Duration::days(60);
        let yesterday = today.previous_day().unwrap();
        let before = habit_figures(None, START, yesterday, &done_on(days(START, 60)));
        // Done for 59 days, missed yesterday, today not done yet.
        let missed = done_on(days(START, 59));
        let after = habit_figures(None, START, today, &missed);
        assert!(after.strength < before.strength);
        assert!(before.strength - after.strength < 0.1);
        assert!(after.strength > 0.9);
        assert_eq!((after.current_streak, after.longest_streak), (0, 59));
        let mut again = missed;
        again.insert(today, 1);
        let after = habit_figures(None, START, today, &again);
        assert_eq!((after.current_streak, after.longest_streak), (1, 59));
    }

    #[test]
    fn a_hand_computed_score() {
        // Done, done, missed, done: m = 0.5^(1/13) = 0.94807751...;
        // ((1-m)(1+m)m)m + (1-m) = 0.14284038684...
        let done = done_on([
            START,
            START + time::Duration::days(1),
            START + time::Duration::days(3),
        ]);
        let figures = habit_figures(None, START, START + time::Duration::days(3), &done);
        assert!((figures.strength - 0.142_840_386_841_797_78).abs() < 1e-12);
        assert_eq!((figures.current_streak, figures.longest_streak), (1, 2));
        assert_eq!(figures.completion_rate30d, 0.75);
    }

    #[test]
    fn today_not_done_yet_breaks_nothing() {
        let today = START + time::Duration::days(10);
        let figures = habit_figures(None, START, today, &done_on(days(START, 10)));
        assert_eq!((figures.current_streak, figures.longest_streak), (10, 10));
        assert_eq!(figures.completion_rate30d, 1.0);
        let last = figures.history.last().unwrap();
        assert_eq!((last.date, last.due, last.done), (today, true, false));
    }

    #[test]
    fn days_a_habit_is_not_due_do_not_count() {
        // Monday, Wednesday, Friday; START is a Monday.
        let schedule = OnWeekdays(vec![Weekday::Monday, Weekday::Wednesday, Weekday::Friday]);
        let due: Vec<Date> = days(START, 14).filter(|d| schedule.is_due(*d)).collect();
        let today = START + time::Duration::days(13);
        let figures = habit_figures(Some(&schedule), START, today, &done_on(due.clone()));
        assert_eq!((figures.current_streak, figures.longest_streak), (6, 6));
        let m = 0.5f64.powf((3.0f64 / 7.0).sqrt() / 13.0);
        assert!((figures.strength - (1.0 - m.powi(6))).abs() < 1e-12);
        let history_due = figures.history.iter().filter(|d| d.due).count();
        assert_eq!(history_due, 6);
        // Missing the second Wednesday breaks it.
        let mut missed = done_on(due);
        missed.remove(&date!(2026 - 01 - 14));
        let figures = habit_figures(Some(&schedule), START, today, &missed);
        assert_eq!((figures.current_streak, figures.longest_streak), (1, 4));
        assert!((figures.completion_rate30d - 5.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn times_per_period_counts_occurrences_per_period() {
        let schedule = TimesPerWeek {
            times: 3,
            since: START,
        };
        // Week 1: 3 (one day twice); week 2: 2; week 3 (current, today Wednesday): 1.
        let done = BTreeMap::from([
            (date!(2026 - 01 - 05), 2),
            (date!(2026 - 01 - 09), 1),
            (date!(2026 - 01 - 11), 1), // a fourth in week 1 counts no more
            (date!(2026 - 01 - 13), 1),
            (date!(2026 - 01 - 17), 1),
            (date!(2026 - 01 - 20), 1),
        ]);
        let today = date!(2026 - 01 - 21);
        let figures = habit_figures(Some(&schedule), START, today, &done);
        // Occurrences: 1 1 1 | 1 1 0 | 1 (the current week's misses are not known yet).
        assert!((figures.strength - 0.183_650_865_871_429_1).abs() < 1e-12);
        assert_eq!((figures.current_streak, figures.longest_streak), (1, 5));
        assert!((figures.completion_rate30d - 6.0 / 7.0).abs() < 1e-12);
        // Nothing done yet this week breaks nothing.
        let mut quiet = done.clone();
        quiet.remove(&date!(2026 - 01 - 20));
        let figures = habit_figures(Some(&schedule), START, today, &quiet);
        assert_eq!((figures.current_streak, figures.longest_streak), (0, 5));
        // On its last day a period's misses are not known yet; the day after they are.
        let figures = habit_figures(Some(&schedule), START, date!(2026 - 01 - 18), &quiet);
        assert_eq!(figures.current_streak, 5);
        let figures = habit_figures(Some(&schedule), START, date!(2026 - 01 - 19), &quiet);
        assert_eq!(figures.current_streak, 0);
    }

    #[test]
    fn a_period_begun_before_the_habit_holds_no_misses() {
        let schedule = TimesPerWeek {
            times: 3,
            since: START,
        };
        let first_day = date!(2026 - 01 - 09); // Friday of week 1
        let done = done_on([date!(2026 - 01 - 10)]);
        let figures = habit_figures(Some(&schedule), first_day, date!(2026 - 01 - 12), &done);
        assert_eq!((figures.current_streak, figures.longest_streak), (1, 1));
        assert_eq!(figures.completion_rate30d, 1.0);
    }

    #[test]
    fn history_is_the_last_ninety_days_oldest_first() {
        let today = START + time::Duration::days(5);
        let figures = habit_figures(None, START, today, &done_on([START]));
        assert_eq!(figures.history.len() as i64, HISTORY_DAYS);
        assert_eq!(figures.history.last().unwrap().date, today);
        assert_eq!(
            figures.history[0].date,
            today - time::Duration::days(HISTORY_DAYS - 1)
        );
        assert!(
            figures
                .history
                .windows(2)
                .all(|w| w[0].date.next_day() == Some(w[1].date))
        );
        let due: Vec<Date> = figures
            .history
            .iter()
            .filter(|d| d.due)
            .map(|d| d.date)
            .collect();
        assert_eq!(due, days(START, 6).collect::<Vec<_>>());
        let done: Vec<Date> = figures
            .history
            .iter()
            .filter(|d| d.done)
            .map(|d| d.date)
            .collect();
        assert_eq!(done, vec![START]);
    }

    #[test]
    fn a_habit_with_nothing_due_yet_has_zero_figures() {
        let figures = habit_figures(None, START, START, &BTreeMap::new());
        assert_eq!(figures.strength, 0.0);
        assert_eq!(figures.completion_rate30d, 0.0);
        assert_eq!((figures.current_streak, figures.longest_streak), (0, 0));
        let before = habit_figures(
            None,
            START,
            START - time::Duration::days(3),
            &BTreeMap::new(),
        );
        assert_eq!(before.completion_rate30d, 0.0);
        assert!(before.history.iter().all(|d| !d.due));
    }

    #[test]
    fn the_rate_counts_only_the_last_thirty_days() {
        // Missed everything for 40 days, then done for the last 30.
        let today = START + time::Duration::days(69);
        let done = done_on(days(START + time::Duration::days(40), 30));
        let figures = habit_figures(None, START, today, &done);
        assert_eq!(figures.completion_rate30d, 1.0);
        assert_eq!(figures.current_streak, 30);
    }
}

/// A habit's schedule with the dates the user never lived (see
/// [`crate::streak::unlived_dates`]) taken out: the habit is not due on them.
#[derive(Debug)]
pub struct Lived<'a> {
    pub schedule: Option<&'a dyn HabitCalendar>,
    pub unlived: &'a std::collections::BTreeSet<Date>,
}

impl HabitCalendar for Lived<'_> {
    fn is_due(&self, date: Date) -> bool {
        !self.unlived.contains(&date) && self.schedule.is_none_or(|s| s.is_due(date))
    }
    fn period_of(&self, date: Date) -> Option<crate::ports::Period> {
        self.schedule.and_then(|s| s.period_of(date))
    }
    fn frequency(&self) -> f64 {
        self.schedule.map_or(1.0, |s| s.frequency())
    }
    fn target(&self) -> Option<f64> {
        self.schedule.and_then(|s| s.target())
    }
}
