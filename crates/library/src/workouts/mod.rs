//! Workouts: sessions (a program day or free), the sets of each exercise, and progress per
//! exercise (estimated one-rep max over time, volume per week).

pub mod http;
pub mod progress;
pub mod service;
pub mod store;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{SharedWorkouts, Workouts, WorkoutsService};
pub use validate::validate_workout;

/// One set: reps or a duration (or both), optionally a load and how hard it felt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::WorkoutSet)]
pub struct WorkoutSet {
    #[schema(minimum = 1, maximum = 1000)]
    pub reps: Option<i32>,
    /// The load lifted (0 for bodyweight).
    #[schema(minimum = 0, maximum = 1000)]
    pub weight_kg: Option<f64>,
    /// For timed sets (a plank, a row).
    #[schema(minimum = 1, maximum = 86400)]
    pub duration_s: Option<i32>,
    /// Rate of perceived exertion, 1 to 10 in half steps.
    #[schema(minimum = 1, maximum = 10, multiple_of = 0.5)]
    pub rpe: Option<f64>,
}

/// An exercise of the library and the sets done of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::WorkoutExercise)]
pub struct WorkoutExercise {
    /// An exercise of the library (`GET /api/v1/library/exercises`).
    pub exercise_id: Uuid,
    /// 1 to 50 sets.
    #[schema(min_items = 1, max_items = 50)]
    pub sets: Vec<WorkoutSet>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::Workout)]
pub struct Workout {
    pub id: Uuid,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub name: Option<String>,
    /// The program template followed, if any.
    pub program_id: Option<Uuid>,
    /// Which session of the program (1-based).
    pub program_day: Option<i32>,
    pub exercises: Vec<WorkoutExercise>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::NewWorkout)]
pub struct NewWorkout {
    pub id: Option<Uuid>,
    /// Not more than a minute in the future.
    pub started_at: Timestamp,
    /// After `startedAt`, at most 24 hours later.
    pub ended_at: Option<Timestamp>,
    #[schema(example = "Leg day", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    pub program_id: Option<Uuid>,
    /// Only with `programId`.
    #[schema(minimum = 1, maximum = 14)]
    pub program_day: Option<i32>,
    /// 1 to 50 exercises.
    #[schema(min_items = 1, max_items = 50)]
    pub exercises: Vec<WorkoutExercise>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::WorkoutPatch)]
pub struct WorkoutPatch {
    pub started_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Timestamp>)]
    pub ended_at: Option<Option<Timestamp>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub program_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 14)]
    pub program_day: Option<Option<i32>>,
    /// Replaces the whole list.
    #[schema(min_items = 1, max_items = 50)]
    pub exercises: Option<Vec<WorkoutExercise>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// A workout's values, for insert and update alike.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkoutValues {
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub name: Option<String>,
    pub program_id: Option<Uuid>,
    pub program_day: Option<i32>,
    pub exercises: Vec<WorkoutExercise>,
    pub notes: Option<String>,
}

/// An exercise's progress: the best estimated one-rep max per local day and the volume
/// per ISO week.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::WorkoutProgress)]
pub struct Progress {
    pub exercise_id: Uuid,
    /// Always `epley`.
    #[schema(example = "epley")]
    pub formula: String,
    #[schema(example = "1RM = weight × (1 + reps / 30)")]
    pub formula_text: String,
    /// One point per local day with a set of reps under a load, oldest first.
    pub points: Vec<ProgressPoint>,
    /// Monday-to-Sunday weeks with such sets, oldest first.
    pub weekly_volume: Vec<WeeklyVolume>,
}

/// A day's best set, by its estimated one-rep max.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::ProgressPoint)]
pub struct ProgressPoint {
    /// The user's local date of the workout.
    pub date: Date,
    /// Rounded to 0.01 kg; a single rep is its own one-rep max.
    pub estimated_one_rep_max_kg: f64,
    /// The best set's load and reps.
    pub weight_kg: f64,
    pub reps: i32,
}

/// A week's volume: the sum of reps × load over the sets with both.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::WeeklyVolume)]
pub struct WeeklyVolume {
    /// The Monday of the ISO week.
    pub week_start: Date,
    /// Rounded to 0.01 kg.
    pub volume_kg: f64,
    /// How many sets the volume sums.
    pub sets: u32,
}
