//! Workouts' storage: SQL only, written once for both dialects. Writes and reads inside a
//! write take the caller's transaction; plain lists take the pool.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{StoreError, Timestamp, Tx, with_tx};
use sqlx::types::Json;
use uuid::Uuid;

use super::{Workout, WorkoutExercise, WorkoutValues};
use crate::timed::{TimeCursor, TimeRange, TimedTable};
use crate::user_data::WORKOUTS;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a workout is read with.
pub const COLUMNS: &str = "id, started_at, ended_at, name, program_id, program_day, exercises, notes, \
                           version, created_at, updated_at";

/// The columns writes set, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &[
    "started_at",
    "ended_at",
    "name",
    "program_id",
    "program_day",
    "exercises",
    "notes",
];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    started_at: Timestamp,
    ended_at: Option<Timestamp>,
    name: Option<String>,
    program_id: Option<Uuid>,
    program_day: Option<i32>,
    exercises: Json<Vec<WorkoutExercise>>,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for Workout {
    fn from(row: Row) -> Self {
        Workout {
            id: row.id,
            started_at: row.started_at,
            ended_at: row.ended_at,
            name: row.name,
            program_id: row.program_id,
            program_day: row.program_day,
            exercises: row.exercises.0,
            notes: row.notes,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The workouts' table as the timed logs see it.
const TIMED: TimedTable = TimedTable {
    table: &WORKOUTS,
    at: "started_at",
    columns: COLUMNS,
};

/// The user's live workouts started in `range`, by start then id, one page.
pub async fn list(
    tx: &mut Tx,
    user_id: Uuid,
    range: TimeRange,
    page: &PageRequest<TimeCursor>,
) -> Result<Page<Workout>> {
    let rows: Vec<Row> = TIMED.page(tx, user_id, range, page).await?;
    let items = rows.into_iter().map(Workout::from).collect();
    Ok(Page::from_rows(items, page.limit, |w: &Workout| {
        TimeCursor {
            at: w.started_at,
            id: w.id,
        }
    }))
}

/// Every live workout of the user that names `exercise_id`, in no order.
pub async fn with_exercise(tx: &mut Tx, user_id: Uuid, exercise_id: Uuid) -> Result<Vec<Workout>> {
    // The text match narrows the rows alike on both dialects (a UUID holds no LIKE
    // wildcard); the caller picks the exercise's sets out of the parsed list.
    let sql = format!(
        "SELECT {COLUMNS} FROM workouts WHERE user_id = $1 AND deleted_at IS NULL \
         AND CAST(exercises AS TEXT) LIKE $2"
    );
    let pattern = format!("%{exercise_id}%");
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(&pattern)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows.into_iter().map(Workout::from).collect())
}

/// The user's live workout `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Workout>> {
    let row = sync_row::fetch_live::<Row>(tx, &WORKOUTS, COLUMNS, user_id, id).await?;
    Ok(row.map(Workout::from))
}

/// Inserts workout `id`; `RowNotFound` when the id is taken (see
/// [`sync_row::unless_id_taken`]).
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &WorkoutValues,
) -> Result<Workout> {
    let sql = sync_row::insert_sql(&WORKOUTS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.started_at)
            .bind(values.ended_at)
            .bind(&values.name)
            .bind(values.program_id)
            .bind(values.program_day)
            .bind(Json(&values.exercises))
            .bind(&values.notes)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live workout `id`; `None` if there is none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &WorkoutValues,
) -> Result<Option<Workout>> {
    let sql = sync_row::update_sql(&WORKOUTS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.started_at)
            .bind(values.ended_at)
            .bind(&values.name)
            .bind(values.program_id)
            .bind(values.program_day)
            .bind(Json(&values.exercises))
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Workout::from))
}

/// Tombstones the live workout `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &WORKOUTS, user_id, id, stamp).await
}

/// The user's live rows with a version in `(after, upto]`, oldest version first.
pub async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<Workout>> {
    let rows: Vec<Row> =
        crate::sync::live_rows(tx, &WORKOUTS, COLUMNS, user_id, (after, upto)).await?;
    Ok(rows.into_iter().map(Workout::from).collect())
}
