//! Progress on one exercise, a pure function of the sets logged: the best set's estimated
//! one-rep max per local day (Epley) and the volume per ISO week.
//!
//! A set counts when it has reps and a load above 0 kg: a timed set or a bodyweight set
//! says nothing about the heaviest single lift.

use std::collections::BTreeMap;

use time::Date;
use uuid::Uuid;

use super::{Progress, ProgressPoint, WeeklyVolume, WorkoutSet};

pub const FORMULA: &str = "epley";
pub const FORMULA_TEXT: &str = "1RM = weight × (1 + reps / 30)";

/// The sets of the exercise done on one local day (one workout; several may share a day).
#[derive(Debug, Clone, PartialEq)]
pub struct DaySets {
    pub date: Date,
    pub sets: Vec<WorkoutSet>,
}

/// A set that counts: its load and reps.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Lift {
    weight_kg: f64,
    reps: i32,
}

fn lift(set: &WorkoutSet) -> Option<Lift> {
    match (set.weight_kg, set.reps) {
        (Some(weight_kg), Some(reps)) if weight_kg > 0.0 && reps >= 1 => {
            Some(Lift { weight_kg, reps })
        }
        _ => None,
    }
}

/// Epley's estimate of the heaviest single rep: weight × (1 + reps / 30). One rep is its
/// own one-rep max (the formula would add a thirtieth).
pub fn estimated_one_rep_max(weight_kg: f64, reps: i32) -> f64 {
    if reps <= 1 {
        weight_kg
    } else {
        weight_kg * (1.0 + f64::from(reps) / 30.0)
    }
}

/// Kilograms as the API shows them: to the hundredth.
fn round_kg(kg: f64) -> f64 {
    (kg * 100.0).round() / 100.0
}

/// The progress on `exercise_id` over `days` (in any order).
pub fn progress(exercise_id: Uuid, days: &[DaySets]) -> Progress {
    Progress {
        exercise_id,
        formula: FORMULA.to_owned(),
        formula_text: FORMULA_TEXT.to_owned(),
        points: best_per_day(days),
        weekly_volume: weekly_volume(days),
    }
}

/// Per local day, the set with the highest estimate (on a tie, the heavier load).
fn best_per_day(days: &[DaySets]) -> Vec<ProgressPoint> {
    let mut best: BTreeMap<Date, (f64, Lift)> = BTreeMap::new();
    for day in days {
        for lift in day.sets.iter().filter_map(lift) {
            let estimate = estimated_one_rep_max(lift.weight_kg, lift.reps);
            let better = best.get(&day.date).is_none_or(|(held, held_lift)| {
                estimate > *held || (estimate == *held && lift.weight_kg > held_lift.weight_kg)
            });
            if better {
                best.insert(day.date, (estimate, lift));
            }
        }
    }
    best.into_iter()
        .map(|(date, (estimate, lift))| ProgressPoint {
            date,
            estimated_one_rep_max_kg: round_kg(estimate),
            weight_kg: lift.weight_kg,
            reps: lift.reps,
        })
        .collect()
}

/// Per ISO week (by its Monday), Σ reps × weight and the number of sets summed.
fn weekly_volume(days: &[DaySets]) -> Vec<WeeklyVolume> {
    let mut weeks: BTreeMap<Date, (f64, u32)> = BTreeMap::new();
    for day in days {
        let (monday, _) = lifeos_kernel::date::iso_week(day.date);
        for lift in day.sets.iter().filter_map(lift) {
            let week = weeks.entry(monday).or_insert((0.0, 0));
            week.0 += f64::from(lift.reps) * lift.weight_kg;
            week.1 += 1;
        }
    }
    weeks
        .into_iter()
        .map(|(week_start, (volume, sets))| WeeklyVolume {
            week_start,
            volume_kg: round_kg(volume),
            sets,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::date;

    use super::*;

    fn set(reps: i32, weight_kg: f64) -> WorkoutSet {
        WorkoutSet {
            reps: Some(reps),
            weight_kg: Some(weight_kg),
            ..WorkoutSet::default()
        }
    }

    fn day(date: Date, sets: Vec<WorkoutSet>) -> DaySets {
        DaySets { date, sets }
    }

    #[test]
    fn epley_by_hand() {
        // 100 × (1 + 5/30) = 100 × 1.1667 = 116.67
        assert_eq!(round_kg(estimated_one_rep_max(100.0, 5)), 116.67);
        // 80 × (1 + 8/30) = 80 × 1.2667 = 101.33
        assert_eq!(round_kg(estimated_one_rep_max(80.0, 8)), 101.33);
        // 60 × (1 + 30/30) = 120
        assert_eq!(estimated_one_rep_max(60.0, 30), 120.0);
        // A single is its own one-rep max.
        assert_eq!(estimated_one_rep_max(140.0, 1), 140.0);
    }

    #[test]
    fn a_day_shows_its_best_set_and_a_week_sums_reps_times_load() {
        let monday = date!(2026 - 11 - 30);
        let days = [day(monday, vec![set(5, 100.0), set(8, 80.0)])];
        let progress = progress(Uuid::nil(), &days);
        // 5 × 100 → 116.67 beats 8 × 80 → 101.33.
        assert_eq!(
            progress.points,
            [ProgressPoint {
                date: monday,
                estimated_one_rep_max_kg: 116.67,
                weight_kg: 100.0,
                reps: 5,
            }]
        );
        // 5 × 100 + 8 × 80 = 500 + 640 = 1140.
        assert_eq!(
            progress.weekly_volume,
            [WeeklyVolume {
                week_start: monday,
                volume_kg: 1140.0,
                sets: 2,
            }]
        );
        assert_eq!(progress.formula, "epley");
        assert_eq!(progress.formula_text, "1RM = weight × (1 + reps / 30)");
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_days_merge() {
        // Tuesday and Sunday of one week, Monday of the next; two workouts on the Sunday.
        let days = [
            day(date!(2026 - 12 - 08), vec![set(3, 110.0)]),
            day(date!(2026 - 12 - 01), vec![set(5, 100.0)]),
            day(date!(2026 - 12 - 06), vec![set(5, 100.0)]),
            day(date!(2026 - 12 - 06), vec![set(1, 120.0)]),
        ];
        let progress = progress(Uuid::nil(), &days);
        let points: Vec<(Date, f64)> = progress
            .points
            .iter()
            .map(|p| (p.date, p.estimated_one_rep_max_kg))
            .collect();
        // 3 × 110 → 110 × 1.1 = 121; the Sunday's single of 120 beats 5 × 100 → 116.67.
        assert_eq!(
            points,
            [
                (date!(2026 - 12 - 01), 116.67),
                (date!(2026 - 12 - 06), 120.0),
                (date!(2026 - 12 - 08), 121.0),
            ]
        );
        let weeks: Vec<(Date, f64, u32)> = progress
            .weekly_volume
            .iter()
            .map(|w| (w.week_start, w.volume_kg, w.sets))
            .collect();
        // Week of 30 Nov: 500 + 500 + 120 = 1120 over 3 sets; week of 7 Dec: 330.
        assert_eq!(
            weeks,
            [
                (date!(2026 - 11 - 30), 1120.0, 3),
                (date!(2026 - 12 - 07), 330.0, 1)
            ]
        );
    }

    #[test]
    fn timed_and_unloaded_sets_do_not_count() {
        let plank = WorkoutSet {
            duration_s: Some(60),
            ..WorkoutSet::default()
        };
        let days = [day(date!(2026 - 12 - 01), vec![plank, set(12, 0.0)])];
        let progress = progress(Uuid::nil(), &days);
        assert!(progress.points.is_empty());
        assert!(progress.weekly_volume.is_empty());
    }

    proptest! {
        #[test]
        fn the_estimate_never_falls_below_the_weight(
            reps in 1..=1000i32,
            quarter_kg in 1..=4000u32,
        ) {
            let weight = f64::from(quarter_kg) / 4.0;
            let estimate = estimated_one_rep_max(weight, reps);
            prop_assert!(estimate >= weight);
            let point = &progress(Uuid::nil(), &[day(date!(2026 - 12 - 01), vec![set(reps, weight)])]).points[0];
            prop_assert!(point.estimated_one_rep_max_kg >= point.weight_kg);
        }
    }
}
