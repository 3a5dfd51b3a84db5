//! Workouts' use cases: each opens its transaction, checks the request (its own rules,
//! then the library ids it names) and calls the store.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::zone::UserClock;
use lifeos_kernel::{Db, FieldError, SharedClock, Timestamp, Tx, sync_row};
use uuid::Uuid;

use super::progress::{DaySets, progress};
use super::{NewWorkout, Progress, Workout, WorkoutPatch, WorkoutValues, store, validate_workout};
use crate::catalog::store::{existing_exercises, program_exists};
use crate::error::{LibraryError, Result};
use crate::timed::{DateRange, TimeCursor, clock_of, time_range};

#[async_trait]
pub trait WorkoutsService: Send + Sync {
    /// The user's workouts started on the local dates `range` (inclusive), by start.
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<TimeCursor>,
    ) -> Result<Page<Workout>>;
    async fn create(&self, user_id: Uuid, input: NewWorkout) -> Result<Workout>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Workout>;
    async fn update(&self, user_id: Uuid, id: Uuid, patch: WorkoutPatch) -> Result<Workout>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    /// The user's progress on a library exercise (422 `exerciseId` when it is not one).
    async fn progress(&self, user_id: Uuid, exercise_id: Uuid) -> Result<Progress>;
}

pub type SharedWorkouts = Arc<dyn WorkoutsService>;

#[derive(Clone)]
pub struct Workouts {
    db: Db,
    clock: SharedClock,
}

impl Workouts {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const NOT_FOUND: LibraryError = LibraryError::NotFound("workout");
const NOT_AN_EXERCISE: &str = "is not an exercise in the library";

/// A workout's values as stored: the name trimmed.
fn normalised(mut values: WorkoutValues) -> WorkoutValues {
    values.name = values.name.map(|name| name.trim().to_owned());
    values
}

/// The exercises and the program a workout names must be in the library.
async fn check_library_refs(tx: &mut Tx, values: &WorkoutValues) -> Result<()> {
    let mut ids: Vec<Uuid> = values.exercises.iter().map(|e| e.exercise_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let known = existing_exercises(tx, &ids).await?;
    let mut errors: Vec<FieldError> = values
        .exercises
        .iter()
        .enumerate()
        .filter(|(_, exercise)| !known.contains(&exercise.exercise_id))
        .map(|(n, _)| FieldError {
            field: format!("exercises[{n}].exerciseId"),
            message: NOT_AN_EXERCISE.to_owned(),
        })
        .collect();
    if let Some(program_id) = values.program_id
        && !program_exists(tx, program_id).await?
    {
        errors.push(FieldError {
            field: "programId".to_owned(),
            message: "is not a program in the library".to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(LibraryError::Invalid(errors))
    }
}

/// Each workout's sets of `exercise_id`, on the user's local date of its start.
fn day_sets(user: &UserClock, workouts: &[Workout], exercise_id: Uuid) -> Result<Vec<DaySets>> {
    workouts
        .iter()
        .map(|workout| {
            let sets = workout
                .exercises
                .iter()
                .filter(|e| e.exercise_id == exercise_id)
                .flat_map(|e| e.sets.iter().copied())
                .collect();
            Ok(DaySets {
                date: user.local_date(workout.started_at)?,
                sets,
            })
        })
        .collect()
}

/// Records a workout in `tx` at `now`: REST's create and sync's share it.
pub(crate) async fn create_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewWorkout,
    now: Timestamp,
) -> Result<Workout> {
    let values = WorkoutValues {
        started_at: input.started_at,
        ended_at: input.ended_at,
        name: input.name,
        program_id: input.program_id,
        program_day: input.program_day,
        exercises: input.exercises,
        notes: input.notes,
    };
    validate_workout(&values, now)?;
    let values = normalised(values);
    // The stamp first: it takes the user's write lock (ADR 0010); the insert itself
    // refuses a taken id.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    check_library_refs(tx, &values).await?;
    let id = sync_row::row_id(input.id);
    let workout = sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, &values).await)?
        .ok_or(LibraryError::IdConflict)?;
    Ok(workout)
}

/// Patches the user's live workout `id` in `tx` at `now`.
pub(crate) async fn update_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: WorkoutPatch,
    now: Timestamp,
) -> Result<Workout> {
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    let values = WorkoutValues {
        started_at: patch.started_at.unwrap_or(current.started_at),
        ended_at: patch.ended_at.unwrap_or(current.ended_at),
        name: patch.name.unwrap_or(current.name),
        program_id: patch.program_id.unwrap_or(current.program_id),
        program_day: patch.program_day.unwrap_or(current.program_day),
        exercises: patch.exercises.unwrap_or(current.exercises),
        notes: patch.notes.unwrap_or(current.notes),
    };
    validate_workout(&values, now)?;
    let values = normalised(values);
    check_library_refs(tx, &values).await?;
    store::update(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(NOT_FOUND)
}

/// Tombstones the user's live workout `id` in `tx` at `now`.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if store::delete(tx, user_id, id, stamp).await? {
        Ok(())
    } else {
        Err(NOT_FOUND)
    }
}

#[async_trait]
impl WorkoutsService for Workouts {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<TimeCursor>,
    ) -> Result<Page<Workout>> {
        let user = clock_of(&self.db, user_id).await?;
        let range = time_range(&user, range)?;
        let mut tx = self.db.read().await?;
        let page = store::list(&mut tx, user_id, range, &page).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn create(&self, user_id: Uuid, input: NewWorkout) -> Result<Workout> {
        let mut tx = self.db.begin().await?;
        let workout = create_in(&mut tx, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        Ok(workout)
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Workout> {
        let mut tx = self.db.read().await?;
        let workout = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(workout)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: WorkoutPatch) -> Result<Workout> {
        let mut tx = self.db.begin().await?;
        let workout = update_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(workout)
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn progress(&self, user_id: Uuid, exercise_id: Uuid) -> Result<Progress> {
        let user = clock_of(&self.db, user_id).await?;
        let mut tx = self.db.begin_read().await?;
        if existing_exercises(&mut tx, &[exercise_id])
            .await?
            .is_empty()
        {
            return Err(LibraryError::invalid("exerciseId", NOT_AN_EXERCISE));
        }
        let workouts = store::with_exercise(&mut tx, user_id, exercise_id).await?;
        tx.commit().await?;
        let days = day_sets(&user, &workouts, exercise_id)?;
        Ok(progress(exercise_id, &days))
    }
}
