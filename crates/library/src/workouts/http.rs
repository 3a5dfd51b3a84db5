//! `/api/v1/workouts` and `/api/v1/workouts/progress`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{NewWorkout, Progress, Workout, WorkoutPatch};
use crate::LibraryState;
use crate::timed::DateRange;

const TAG: &str = "workouts";

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_workouts, create_workout))
        .routes(routes!(workout_progress))
        .routes(routes!(get_workout, update_workout, delete_workout))
}

/// `?from=&to=&limit=&cursor=`: the user's local dates the workouts started on.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WorkoutListParams {
    /// First local date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub from: Option<Date>,
    /// Last local date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub to: Option<Date>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgressParams {
    /// An exercise of the library.
    pub exercise_id: Uuid,
}

/// The user's workouts, by start, filtered by the local dates they started on.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/workouts", tag = TAG, operation_id = "listWorkouts",
    security(("bearerAuth" = []), ("apiKey" = [])), params(WorkoutListParams),
    responses((status = 200, description = "Workouts", body = Page<Workout>)))]
pub async fn list_workouts(
    State(state): State<LibraryState>,
    principal: Principal,
    Query(params): Query<WorkoutListParams>,
) -> Result<Json<Page<Workout>>, AppError> {
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .parse()?;
    let range = DateRange {
        from: params.from,
        to: params.to,
    };
    Ok(Json(
        state.workouts.list(principal.user_id, range, page).await?,
    ))
}

/// Log a workout: a program day or a free session, the sets of each exercise.
///
/// Rules the schema cannot state (422 `validation_failed`): every `exerciseId` must be an
/// exercise of the library and `programId` a program of it; a set needs `reps` or
/// `durationS`; `programDay` needs `programId`; `endedAt` is after `startedAt`, at most 24
/// hours later; `startedAt` is not more than a minute in the future.
#[utoipa::path(post, path = "/workouts", tag = TAG, operation_id = "createWorkout",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewWorkout,
    responses((status = 201, description = "Logged", body = Workout)))]
pub async fn create_workout(
    State(state): State<LibraryState>,
    principal: Principal,
    Json(body): Json<NewWorkout>,
) -> Result<impl IntoResponse, AppError> {
    let workout = state.workouts.create(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(workout)))
}

/// One workout.
#[utoipa::path(get, path = "/workouts/{id}", tag = TAG, operation_id = "getWorkout",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Workout", body = Workout)))]
pub async fn get_workout(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Workout>, AppError> {
    Ok(Json(state.workouts.get(principal.user_id, id).await?))
}

/// Change a workout (`exercises` replaces the whole list).
///
/// Rules the schema cannot state (422 `validation_failed`): as for `createWorkout`, on the
/// resulting workout.
#[utoipa::path(patch, path = "/workouts/{id}", tag = TAG, operation_id = "updateWorkout",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = WorkoutPatch,
    responses((status = 200, description = "Updated", body = Workout)))]
pub async fn update_workout(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<WorkoutPatch>,
) -> Result<Json<Workout>, AppError> {
    Ok(Json(
        state.workouts.update(principal.user_id, id, body).await?,
    ))
}

/// Delete a workout.
#[utoipa::path(delete, path = "/workouts/{id}", tag = TAG, operation_id = "deleteWorkout",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_workout(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.workouts.delete(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Progress on one exercise: the best set's estimated one-rep max per local day (Epley:
/// 1RM = weight × (1 + reps / 30), a single rep is its own) and the volume (Σ reps ×
/// weight) per ISO week. Sets count when they have reps and a load above 0 kg.
///
/// Rules the schema cannot state (422 `validation_failed`): `exerciseId` must be an
/// exercise of the library.
#[utoipa::path(get, path = "/workouts/progress", tag = TAG, operation_id = "workoutProgress",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ProgressParams),
    responses((status = 200, description = "Progress", body = Progress)))]
pub async fn workout_progress(
    State(state): State<LibraryState>,
    principal: Principal,
    Query(params): Query<ProgressParams>,
) -> Result<Json<Progress>, AppError> {
    Ok(Json(
        state
            .workouts
            .progress(principal.user_id, params.exercise_id)
            .await?,
    ))
}
