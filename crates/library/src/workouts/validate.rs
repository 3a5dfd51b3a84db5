//! Workout requests' validation: pure checks, field names as in the request JSON. That the
//! exercises and the program exist is the service's check (it needs the catalog).

use lifeos_kernel::Timestamp;
use lifeos_kernel::error::Validator;
use time::Duration;

use super::{WorkoutExercise, WorkoutSet, WorkoutValues};
use crate::error::{LibraryError, Result};

pub const MAX_EXERCISES: usize = 50;
pub const MAX_SETS: usize = 50;
pub const MAX_PROGRAM_DAY: i32 = 14;
/// A clock a little ahead of the server's is not an error.
const CLOCK_SLACK: Duration = Duration::minutes(1);
const LONGEST_WORKOUT: Duration = Duration::hours(24);

/// A workout as it will be stored, `now` by the injected clock.
pub fn validate_workout(values: &WorkoutValues, now: Timestamp) -> Result<()> {
    let mut v = Validator::new();
    check_times(&mut v, values, now);
    if let Some(name) = &values.name {
        v.length(name.trim(), "name", 1, 100);
    }
    if let Some(notes) = &values.notes {
        v.length(notes, "notes", 0, 2000);
    }
    if let Some(day) = values.program_day {
        if (1..=MAX_PROGRAM_DAY).contains(&day) {
            v.check(
                values.program_id.is_some(),
                "programDay",
                "needs a programId",
            );
        } else {
            v.check(
                false,
                "programDay",
                format!("must be between 1 and {MAX_PROGRAM_DAY}"),
            );
        }
    }
    check_exercises(&mut v, &values.exercises);
    finish(&mut v)
}

fn check_times(v: &mut Validator, values: &WorkoutValues, now: Timestamp) {
    v.check(
        values.started_at <= now + CLOCK_SLACK,
        "startedAt",
        "must not be in the future",
    );
    if let Some(ended_at) = values.ended_at {
        v.check(
            ended_at > values.started_at,
            "endedAt",
            "must be after startedAt",
        );
        v.check(
            ended_at.since(values.started_at) <= LONGEST_WORKOUT,
            "endedAt",
            "must be at most 24 hours after startedAt",
        );
    }
}

fn check_exercises(v: &mut Validator, exercises: &[WorkoutExercise]) {
    v.check(
        (1..=MAX_EXERCISES).contains(&exercises.len()),
        "exercises",
        format!("must hold 1 to {MAX_EXERCISES} exercises"),
    );
    for (n, exercise) in exercises.iter().enumerate() {
        let field = format!("exercises[{n}].sets");
        v.check(
            (1..=MAX_SETS).contains(&exercise.sets.len()),
            &field,
            format!("must hold 1 to {MAX_SETS} sets"),
        );
        for (s, set) in exercise.sets.iter().enumerate() {
            check_set(v, &format!("{field}[{s}]"), set);
        }
    }
}

fn check_set(v: &mut Validator, at: &str, set: &WorkoutSet) {
    v.check(
        set.reps.is_some() || set.duration_s.is_some(),
        at,
        "needs reps or durationS",
    );
    if let Some(reps) = set.reps {
        v.check(
            (1..=1000).contains(&reps),
            &format!("{at}.reps"),
            "must be between 1 and 1000",
        );
    }
    if let Some(weight) = set.weight_kg {
        v.check(
            (0.0..=1000.0).contains(&weight),
            &format!("{at}.weightKg"),
            "must be between 0 and 1000",
        );
    }
    if let Some(duration) = set.duration_s {
        v.check(
            (1..=86_400).contains(&duration),
            &format!("{at}.durationS"),
            "must be between 1 and 86400",
        );
    }
    if let Some(rpe) = set.rpe {
        v.check(
            (1.0..=10.0).contains(&rpe) && (rpe * 2.0).fract() == 0.0,
            &format!("{at}.rpe"),
            "must be between 1 and 10 in half steps",
        );
    }
}

fn finish(v: &mut Validator) -> Result<()> {
    v.finish().map_err(|e| LibraryError::Invalid(e.errors))
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn fields(result: Result<()>) -> Vec<String> {
        match result {
            Ok(()) => Vec::new(),
            Err(LibraryError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-03T18:00:00Z").unwrap()
    }

    fn squats() -> WorkoutValues {
        WorkoutValues {
            started_at: Timestamp::parse("2026-12-03T17:00:00Z").unwrap(),
            ended_at: Some(Timestamp::parse("2026-12-03T17:45:00Z").unwrap()),
            name: Some("Leg day".into()),
            program_id: Some(Uuid::nil()),
            program_day: Some(2),
            exercises: vec![WorkoutExercise {
                exercise_id: Uuid::nil(),
                sets: vec![
                    WorkoutSet {
                        reps: Some(5),
                        weight_kg: Some(100.0),
                        duration_s: None,
                        rpe: Some(8.5),
                    },
                    WorkoutSet {
                        duration_s: Some(60),
                        ..WorkoutSet::default()
                    },
                ],
            }],
            notes: None,
        }
    }

    #[test]
    fn a_plain_workout_passes() {
        assert!(validate_workout(&squats(), now()).is_ok());
    }

    #[test]
    fn times_are_ordered_bounded_and_not_ahead_of_the_clock() {
        let backwards = WorkoutValues {
            ended_at: Some(Timestamp::parse("2026-12-03T16:00:00Z").unwrap()),
            ..squats()
        };
        assert_eq!(fields(validate_workout(&backwards, now())), ["endedAt"]);
        let marathon = WorkoutValues {
            started_at: Timestamp::parse("2026-12-01T17:00:00Z").unwrap(),
            ..squats()
        };
        assert_eq!(fields(validate_workout(&marathon, now())), ["endedAt"]);
        let ahead = WorkoutValues {
            started_at: now() + Duration::seconds(90),
            ended_at: None,
            ..squats()
        };
        assert_eq!(fields(validate_workout(&ahead, now())), ["startedAt"]);
        let slightly_ahead = WorkoutValues {
            started_at: now() + Duration::seconds(30),
            ended_at: None,
            ..squats()
        };
        assert!(validate_workout(&slightly_ahead, now()).is_ok());
    }

    #[test]
    fn sets_name_their_field() {
        let mut values = squats();
        values.exercises[0].sets = vec![
            WorkoutSet {
                weight_kg: Some(20.0),
                ..WorkoutSet::default()
            },
            WorkoutSet {
                reps: Some(0),
                weight_kg: Some(1000.5),
                duration_s: Some(86_401),
                rpe: Some(7.25),
            },
        ];
        assert_eq!(
            fields(validate_workout(&values, now())),
            [
                "exercises[0].sets[0]",
                "exercises[0].sets[1].reps",
                "exercises[0].sets[1].weightKg",
                "exercises[0].sets[1].durationS",
                "exercises[0].sets[1].rpe",
            ]
        );
    }

    #[test]
    fn counts_and_program_days_are_bounded() {
        let mut values = squats();
        values.program_day = Some(15);
        values.exercises[0].sets.clear();
        assert_eq!(
            fields(validate_workout(&values, now())),
            ["programDay", "exercises[0].sets"]
        );
        values.program_id = None;
        values.program_day = Some(3);
        values.exercises = squats().exercises;
        assert_eq!(fields(validate_workout(&values, now())), ["programDay"]);
        values.exercises = Vec::new();
        values.program_day = None;
        assert_eq!(fields(validate_workout(&values, now())), ["exercises"]);
        let exercise = squats().exercises[0].clone();
        values.exercises = vec![exercise; 51];
        assert_eq!(fields(validate_workout(&values, now())), ["exercises"]);
    }
}
