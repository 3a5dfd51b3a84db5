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

use crate::rest::MAX_GAP_DAYS;
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

/// How a gap between two streak days reads in every reckoning.
enum Reckoning {
    /// Adjacent (or the same day) in some reckoning: nothing to check.
    Adjacent,
    /// Exclusive ranges, one per reckoning; any one of them all rest keeps the streak.
    Ranges(Vec<(Date, Date)>),
}

fn reckon(last: &Activity, next: &Activity) -> Result<Reckoning, ZoneError> {
    let mut ranges = vec![(last.date, next.date)];
    if last.clock != next.clock {
        // The old zone's calendar, then the new zone's: flying east may skip a calendar
        // date, but in the old zone's calendar the days stay adjacent.
        for clock in [&last.clock, &next.clock] {
            ranges.push((clock.local_date(last.at)?, clock.local_date(next.at)?));
        }
    }
    Ok(classify(ranges))
}

fn classify(ranges: Vec<(Date, Date)>) -> Reckoning {
    let adjacent = ranges
        .iter()
        .any(|&(after, before)| after.next_day().is_none_or(|day| day >= before));
    if adjacent {
        Reckoning::Adjacent
    } else {
        Reckoning::Ranges(ranges)
    }
}

/// Like [`reckon`], for the steps that cannot fail: a stored zone that no longer resolves
/// leaves the recorded dates, which need no zone.
fn reckon_or_recorded(last: &Activity, next: &Activity) -> Reckoning {
    reckon(last, next).unwrap_or_else(|_| classify(vec![(last.date, next.date)]))
}

/// Whether the days between `last` and `next` keep the streak: adjacent in some
/// reckoning, or all rest days in one (and not longer than [`MAX_GAP_DAYS`]).
fn bridged(last: &Activity, next: &Activity, rest: &BTreeSet<Date>) -> bool {
    match reckon_or_recorded(last, next) {
        Reckoning::Adjacent => true,
        Reckoning::Ranges(ranges) => ranges.iter().any(|&(after, before)| {
            let inner = (before - after).whole_days() - 1;
            inner <= MAX_GAP_DAYS
                && after
                    .next_day()
                    .is_some_and(|first| rest.range(first..before).count() as i64 == inner)
        }),
    }
}

/// Exclusive date ranges `(after, before)` whose inner dates must all be rest days for
/// `next` to extend the streak ending at `last`: one per reckoning (recorded dates; and,
/// when the zones differ, the old zone's and the new zone's calendars). Empty when
/// `next.date <= last.date` or the days are adjacent in some reckoning.
pub fn gaps(last: &Activity, next: &Activity) -> Result<Vec<(Date, Date)>, ZoneError> {
    if next.date <= last.date {
        return Ok(Vec::new());
    }
    Ok(match reckon(last, next)? {
        Reckoning::Adjacent => Vec::new(),
        Reckoning::Ranges(ranges) => ranges,
    })
}

/// What a completion does to the stored state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The new state (unchanged counts when `next` falls on the latest streak day, which
    /// then records the later of the two instants).
    Apply(StreakState),
    /// `next` belongs to a day before the latest streak day, or to the latest streak day
    /// but before its latest completion (it may be that day's first, which decides
    /// whether the day continued the streak): only [`recompute`] can place it.
    Recompute,
}

/// The O(1) step: `rest` holds the rest days of at least every range [`gaps`] returned.
pub fn advance(state: &StreakState, next: Activity, rest: &BTreeSet<Date>) -> Step {
    let Some(last) = &state.last else {
        return Step::Apply(StreakState {
            current: 1,
            longest: state.longest.max(1),
            last: Some(next),
        });
    };
    if next.date < last.date {
        return Step::Recompute;
    }
    if next.date == last.date {
        // The stored `last` is the day's latest instant; one before it may be the day's
        // first, which the streak was decided on, so the day must be decided again.
        return match next.at.cmp(&last.at) {
            std::cmp::Ordering::Less => Step::Recompute,
            std::cmp::Ordering::Equal => Step::Apply(state.clone()),
            std::cmp::Ordering::Greater => Step::Apply(StreakState {
                last: Some(next),
                ..state.clone()
            }),
        };
    }
    let current = if bridged(last, &next, rest) {
        state.current.saturating_add(1)
    } else {
        1
    };
    Step::Apply(StreakState {
        current,
        longest: state.longest.max(current),
        last: Some(next),
    })
}

/// One streak day of the history: its first and its latest counted completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreakDay {
    pub first: Activity,
    pub last: Activity,
}

/// The state from the whole history (`days` in date order, one per date), as
/// [`advance`] would have built it completion by completion. A day out of order (not
/// after the previous one) is skipped.
pub fn recompute(days: &[StreakDay], rest: &BTreeSet<Date>) -> StreakState {
    let mut state = StreakState::default();
    for day in days {
        if state
            .last
            .as_ref()
            .is_some_and(|last| day.first.date <= last.date)
        {
            continue;
        }
        // The day's first completion decides whether it continues the streak; its latest
        // is what the next day is measured from.
        if let Step::Apply(next) = advance(&state, day.first.clone(), rest) {
            state = next;
        }
        state.last = Some(day.last.clone());
    }
    state
}

/// The streak as of `now` (local day `today` under `clock`): the stored current streak
/// while the days since the latest streak day, before today, are rest days in some
/// reckoning; 0 once one of them was not.
pub fn current_as_of(state: &StreakState, now: &Activity, rest: &BTreeSet<Date>) -> i64 {
    let Some(last) = &state.last else {
        return 0;
    };
    let yesterday_at_most = now.date.previous_day().is_none_or(|day| day <= last.date);
    if yesterday_at_most || bridged(last, now, rest) {
        state.current
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use time::macros::date;

    use super::*;
    use crate::window::day_bounds;

    fn clock(zone: &str, day_start_hour: i32) -> UserClock {
        UserClock {
            timezone: zone.into(),
            day_start_hour,
        }
    }

    /// A completion at `at` on its local day under `zone`.
    fn act(zone: &str, day_start_hour: i32, at: &str) -> Activity {
        let clock = clock(zone, day_start_hour);
        let at = Timestamp::parse(at).unwrap();
        Activity {
            date: clock.local_date(at).unwrap(),
            at,
            clock,
        }
    }

    fn on(date: Date) -> Activity {
        let clock = clock("UTC", 0);
        let (start, _) = day_bounds(&clock, date).unwrap();
        Activity {
            date,
            at: start + time::Duration::hours(12),
            clock,
        }
    }

    fn apply(state: &StreakState, next: Activity, rest: &BTreeSet<Date>) -> StreakState {
        match advance(state, next, rest) {
            Step::Apply(state) => state,
            Step::Recompute => panic!("unexpected recompute"),
        }
    }

    /// The history as recompute takes it: per date, the earliest and the latest.
    fn days(history: &[Activity]) -> Vec<StreakDay> {
        let mut by_date: BTreeMap<Date, Vec<&Activity>> = BTreeMap::new();
        for activity in history {
            by_date.entry(activity.date).or_default().push(activity);
        }
        by_date
            .into_values()
            .map(|day| StreakDay {
                first: (*day.iter().min_by_key(|a| a.at).unwrap()).clone(),
                last: (*day.iter().max_by_key(|a| a.at).unwrap()).clone(),
            })
            .collect()
    }

    /// Applies `sequence` as the service does (recomputing when told to), checking
    /// each step against a recompute, and returns the currents after each completion.
    fn run(sequence: &[Activity], rest: &BTreeSet<Date>) -> Vec<i64> {
        let mut state = StreakState::default();
        let mut history = Vec::new();
        let mut currents = Vec::new();
        for next in sequence {
            history.push(next.clone());
            state = match advance(&state, next.clone(), rest) {
                Step::Apply(state) => state,
                Step::Recompute => recompute(&days(&history), rest),
            };
            assert_eq!(state, recompute(&days(&history), rest));
            currents.push(state.current);
        }
        currents
    }

    #[test]
    fn the_first_completion_starts_a_streak() {
        let state = apply(
            &StreakState::default(),
            on(date!(2026 - 01 - 05)),
            &BTreeSet::new(),
        );
        assert_eq!((state.current, state.longest), (1, 1));
        let kept = StreakState {
            longest: 9,
            ..StreakState::default()
        };
        let state = apply(&kept, on(date!(2026 - 01 - 05)), &BTreeSet::new());
        assert_eq!((state.current, state.longest), (1, 9));
    }

    #[test]
    fn the_same_day_keeps_the_counts_and_the_latest_instant() {
        let none = BTreeSet::new();
        let first = act("UTC", 0, "2026-01-05T08:00:00Z");
        let later = act("Europe/Berlin", 0, "2026-01-05T18:00:00Z");
        let state = apply(&StreakState::default(), first.clone(), &none);
        let state = apply(&state, later.clone(), &none);
        assert_eq!((state.current, state.longest), (1, 1));
        assert_eq!(state.last, Some(later));
        // An earlier instant of the same day may be its first: recompute.
        assert_eq!(advance(&state, first, &none), Step::Recompute);
        // An earlier day: recompute.
        assert_eq!(
            advance(&state, on(date!(2026 - 01 - 04)), &none),
            Step::Recompute
        );
    }

    #[test]
    fn rest_days_keep_the_streak_without_extending_it() {
        let rest = BTreeSet::from([
            date!(2026 - 01 - 06),
            date!(2026 - 01 - 08),
            date!(2026 - 01 - 09),
        ]);
        let sequence = [
            on(date!(2026 - 01 - 05)),
            on(date!(2026 - 01 - 07)),
            on(date!(2026 - 01 - 10)),
            on(date!(2026 - 01 - 11)),
        ];
        assert_eq!(run(&sequence, &rest), vec![1, 2, 3, 4]);
    }

    #[test]
    fn a_missed_day_that_was_not_rest_restarts_at_one() {
        let rest = BTreeSet::from([date!(2026 - 01 - 07)]);
        let sequence = [
            on(date!(2026 - 01 - 05)),
            on(date!(2026 - 01 - 06)),
            // 07 rest, 08 missed.
            on(date!(2026 - 01 - 09)),
            on(date!(2026 - 01 - 10)),
        ];
        assert_eq!(run(&sequence, &rest), vec![1, 2, 1, 2]);
        let state = recompute(&days(&sequence), &rest);
        assert_eq!((state.current, state.longest), (2, 2));
    }

    #[test]
    fn a_gap_longer_than_max_gap_days_breaks_even_if_all_rest() {
        let start = date!(2025 - 01 - 01);
        let end = start + time::Duration::days(MAX_GAP_DAYS + 2);
        let rest: BTreeSet<Date> = (1..MAX_GAP_DAYS + 2)
            .map(|i| start + time::Duration::days(i))
            .collect();
        assert_eq!(run(&[on(start), on(end)], &rest), vec![1, 1]);
        let shorter = start + time::Duration::days(MAX_GAP_DAYS + 1);
        assert_eq!(run(&[on(start), on(shorter)], &rest), vec![1, 2]);
    }

    #[test]
    fn travel_la_tokyo_la_counts_one_per_local_day() {
        const LA: &str = "America/Los_Angeles";
        const TOKYO: &str = "Asia/Tokyo";
        let sequence = [
            act(LA, 0, "2026-01-06T04:00:00Z"),    // Jan 5, 20:00 PST
            act(LA, 0, "2026-01-07T04:00:00Z"),    // Jan 6
            act(LA, 0, "2026-01-08T06:00:00Z"),    // Jan 7, 22:00 PST, then the flight
            act(TOKYO, 0, "2026-01-08T23:00:00Z"), // Jan 9, 08:00 JST: Jan 8 was in the air
            act(TOKYO, 0, "2026-01-10T11:00:00Z"), // Jan 10
            act(TOKYO, 0, "2026-01-11T11:00:00Z"), // Jan 11
            act(TOKYO, 0, "2026-01-12T00:00:00Z"), // Jan 12, 09:00 JST, then the flight
            act(LA, 0, "2026-01-13T04:00:00Z"),    // Jan 12 again, 20:00 PST
            act(LA, 0, "2026-01-14T04:00:00Z"),    // Jan 13
        ];
        let dates: Vec<String> = sequence.iter().map(|a| a.date.to_string()).collect();
        assert_eq!(
            dates,
            [
                "2026-01-05",
                "2026-01-06",
                "2026-01-07",
                "2026-01-09",
                "2026-01-10",
                "2026-01-11",
                "2026-01-12",
                "2026-01-12",
                "2026-01-13"
            ]
        );
        let none = BTreeSet::new();
        assert_eq!(run(&sequence, &none), vec![1, 2, 3, 4, 5, 6, 7, 7, 8]);
        // The skipped calendar date needs no rest day: the old zone shows no gap.
        assert_eq!(gaps(&sequence[2], &sequence[3]), Ok(Vec::new()));
        // Staying in Los Angeles, the same two dates would have a missed day between.
        let stayed = act(LA, 0, "2026-01-09T20:00:00Z");
        assert_eq!(
            gaps(&sequence[2], &stayed),
            Ok(vec![(date!(2026 - 01 - 07), date!(2026 - 01 - 09))])
        );
        assert_eq!(run(&[sequence[2].clone(), stayed], &none), vec![1, 1]);
        // Skipping a day in Tokyo still breaks it.
        let skipped = act(TOKYO, 0, "2026-01-10T11:00:00Z");
        assert_eq!(run(&[sequence[2].clone(), skipped], &none), vec![1, 1]);
    }

    #[test]
    fn berlin_dst_changes_grow_the_streak_by_one_per_local_day() {
        for day_start in [0, 4] {
            let berlin = clock("Europe/Berlin", day_start);
            for (from, to) in [
                (date!(2026 - 03 - 22), date!(2026 - 04 - 05)),
                (date!(2026 - 10 - 18), date!(2026 - 11 - 01)),
            ] {
                let mut sequence = Vec::new();
                let mut day = from;
                let mut i = 0;
                while day <= to {
                    let (start, _) = day_bounds(&berlin, day).unwrap();
                    // Early, late and at the day's last hour, which a DST day shifts.
                    let at = start + time::Duration::hours([0, 22, 12, 5][i % 4]);
                    assert_eq!(berlin.local_date(at).unwrap(), day);
                    sequence.push(Activity {
                        date: day,
                        at,
                        clock: berlin.clone(),
                    });
                    day = day.next_day().unwrap();
                    i += 1;
                }
                let expected: Vec<i64> = (1..=sequence.len() as i64).collect();
                assert_eq!(run(&sequence, &BTreeSet::new()), expected);
            }
        }
    }

    #[test]
    fn a_completion_at_half_past_one_counts_for_yesterday() {
        // Day start 4: 01:30 on the 6th is still the 5th, so the 6th is not missed.
        let sequence = [
            act("Europe/Berlin", 4, "2026-01-05T10:00:00Z"),
            act("Europe/Berlin", 4, "2026-01-07T00:30:00Z"), // Jan 7 01:30 CET: Jan 6
            act("Europe/Berlin", 4, "2026-01-07T19:00:00Z"), // Jan 7
        ];
        assert_eq!(run(&sequence, &BTreeSet::new()), vec![1, 2, 3]);
    }

    #[test]
    fn the_current_streak_lapses_after_a_missed_day() {
        let state = recompute(
            &days(&[on(date!(2026 - 01 - 04)), on(date!(2026 - 01 - 05))]),
            &BTreeSet::new(),
        );
        assert_eq!(state.current, 2);
        let none = BTreeSet::new();
        assert_eq!(
            current_as_of(&StreakState::default(), &on(date!(2026 - 01 - 05)), &none),
            0
        );
        assert_eq!(current_as_of(&state, &on(date!(2026 - 01 - 05)), &none), 2);
        assert_eq!(current_as_of(&state, &on(date!(2026 - 01 - 06)), &none), 2);
        assert_eq!(current_as_of(&state, &on(date!(2026 - 01 - 07)), &none), 0);
        let rest = BTreeSet::from([date!(2026 - 01 - 06)]);
        assert_eq!(current_as_of(&state, &on(date!(2026 - 01 - 07)), &rest), 2);
        assert_eq!(current_as_of(&state, &on(date!(2026 - 01 - 08)), &rest), 0);
        // Flown east overnight: the old zone's calendar shows no missed day.
        let la = StreakState {
            current: 3,
            longest: 3,
            last: Some(act("America/Los_Angeles", 0, "2026-01-08T06:00:00Z")),
        };
        let tokyo_morning = act("Asia/Tokyo", 0, "2026-01-08T23:00:00Z");
        assert_eq!(tokyo_morning.date, date!(2026 - 01 - 09));
        assert_eq!(current_as_of(&la, &tokyo_morning, &none), 3);
    }

    #[test]
    fn an_unknown_stored_zone_falls_back_to_the_recorded_dates() {
        let mut last = on(date!(2026 - 01 - 05));
        last.clock = clock("Gone/Away", 0);
        let next = on(date!(2026 - 01 - 07));
        assert!(gaps(&last, &next).is_err());
        let state = StreakState {
            current: 4,
            longest: 4,
            last: Some(last),
        };
        let rest = BTreeSet::from([date!(2026 - 01 - 06)]);
        assert_eq!(apply(&state, next.clone(), &rest).current, 5);
        assert_eq!(apply(&state, next, &BTreeSet::new()).current, 1);
    }

    const ZONES: [&str; 4] = ["America/Los_Angeles", "Asia/Tokyo", "Europe/Berlin", "UTC"];

    fn base() -> Timestamp {
        Timestamp::parse("2026-03-01T00:00:00Z").unwrap()
    }

    fn activity() -> impl Strategy<Value = Activity> {
        (
            0i64..60 * 86_400,
            0usize..ZONES.len(),
            prop::bool::ANY,
            -1i64..=2,
        )
            .prop_map(|(seconds, zone, late_start, offset)| {
                let clock = clock(ZONES[zone], if late_start { 4 } else { 0 });
                let at = base() + time::Duration::seconds(seconds);
                // Offline clients may name an earlier day (or, near midnight, a later one).
                let date = clock.local_date(at).unwrap() - time::Duration::days(offset);
                Activity { date, at, clock }
            })
    }

    fn history() -> impl Strategy<Value = (Vec<Activity>, BTreeSet<Date>)> {
        let activities = prop::collection::vec(activity(), 1..40).prop_map(|list| {
            // Distinct instants: two completions at the same microsecond have no order.
            let mut seen = BTreeSet::new();
            list.into_iter()
                .filter(|a| seen.insert(a.at))
                .collect::<Vec<_>>()
        });
        let rest = prop::collection::vec(prop::bool::weighted(0.3), 70).prop_map(|flags| {
            let first = date!(2026 - 02 - 25);
            flags
                .into_iter()
                .enumerate()
                .filter(|(_, rest)| *rest)
                .map(|(i, _)| first + time::Duration::days(i as i64))
                .collect::<BTreeSet<Date>>()
        });
        (activities, rest)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn advancing_in_any_order_equals_recomputing(
            (sequence, rest) in history(),
            seed in prop::collection::vec(any::<prop::sample::Index>(), 40),
        ) {
            let mut state = StreakState::default();
            let mut seen = Vec::new();
            for next in &sequence {
                seen.push(next.clone());
                state = match advance(&state, next.clone(), &rest) {
                    Step::Apply(state) => state,
                    Step::Recompute => recompute(&days(&seen), &rest),
                };
                prop_assert_eq!(&state, &recompute(&days(&seen), &rest));
            }
            // The history in another insertion order recomputes to the same state.
            let mut shuffled = sequence.clone();
            for (i, index) in seed.iter().enumerate().take(shuffled.len()) {
                let j = index.index(shuffled.len());
                shuffled.swap(i, j);
            }
            prop_assert_eq!(recompute(&days(&shuffled), &rest), state.clone());
            prop_assert!(state.current >= 1 && state.current <= state.longest);
        }
    }
}

/// Local dates the user never lived: skipped between two streak days by a change of zone
/// (flying Los Angeles -> Tokyo overnight, a calendar date passes in the air). A habit
/// is not due on them.
pub fn unlived_dates(days: &[StreakDay]) -> BTreeSet<Date> {
    let mut unlived = BTreeSet::new();
    for pair in days.windows(2) {
        let (last, next) = (&pair[0].last, &pair[1].first);
        let skipped = matches!(reckon(last, next), Ok(Reckoning::Adjacent));
        if skipped && last.clock != next.clock && (next.date - last.date).whole_days() > 1 {
            let inner = std::iter::successors(last.date.next_day(), |d| d.next_day());
            unlived.extend(inner.take_while(|d| *d < next.date));
        }
    }
    unlived
}

#[cfg(test)]
mod unlived_tests {
    use super::*;
    use time::macros::date;

    fn at(date: Date, instant: &str, zone: &str) -> StreakDay {
        let activity = Activity {
            date,
            at: Timestamp::parse(instant).unwrap(),
            clock: UserClock {
                timezone: zone.into(),
                day_start_hour: 0,
            },
        };
        StreakDay {
            first: activity.clone(),
            last: activity,
        }
    }

    #[test]
    fn a_date_passed_in_the_air_was_never_lived() {
        // 23:00 in Los Angeles on the 11th, then 08:00 in Tokyo on the 13th (11 hours later).
        let days = [
            at(
                date!(2026 - 01 - 11),
                "2026-01-12T07:00:00Z",
                "America/Los_Angeles",
            ),
            at(date!(2026 - 01 - 13), "2026-01-12T23:00:00Z", "Asia/Tokyo"),
        ];
        assert_eq!(
            unlived_dates(&days),
            BTreeSet::from([date!(2026 - 01 - 12)])
        );
    }

    #[test]
    fn a_missed_day_at_home_was_lived() {
        let days = [
            at(
                date!(2026 - 01 - 11),
                "2026-01-11T12:00:00Z",
                "Europe/Berlin",
            ),
            at(
                date!(2026 - 01 - 13),
                "2026-01-13T12:00:00Z",
                "Europe/Berlin",
            ),
        ];
        assert!(unlived_dates(&days).is_empty());
    }
}
