//! `/api/v1/nodes/{id}/habit-schedule` and `/api/v1/habits/due`.

use axum::extract::State;
use axum::http::StatusCode;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{DueHabits, HabitScheduleView, Occurrences, ScheduleInput};
use crate::TrackingState;

const TAG: &str = "habits";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    #[serde(deserialize_with = "lifeos_kernel::date::in_range")]
    pub from: Date,
    #[serde(deserialize_with = "lifeos_kernel::date::in_range")]
    pub to: Date,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueParams {
    /// Default: today in the user's zone.
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub date: Option<Date>,
}

/// Set a habit's schedule (habit nodes only; 422 otherwise).
///
/// Rules the schema cannot state (422 `validation_failed`): only a habit node has a schedule (`nodeId`); only the chosen `frequency`'s fields may be set; `times` is at most `periodDays`.
#[utoipa::path(put, path = "/nodes/{id}/habit-schedule", tag = TAG, operation_id = "putHabitSchedule",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = ScheduleInput,
    responses((status = 200, description = "The schedule", body = HabitScheduleView)))]
pub async fn put_schedule(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<ScheduleInput>,
) -> Result<Json<HabitScheduleView>, AppError> {
    Ok(Json(
        state
            .habits
            .put_schedule(principal.user_id, id, body)
            .await?,
    ))
}

/// A habit's schedule.
///
/// Rules the schema cannot state (422 `validation_failed`): only a habit node has a schedule (`nodeId`).
#[utoipa::path(get, path = "/nodes/{id}/habit-schedule", tag = TAG, operation_id = "getHabitSchedule",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The schedule", body = HabitScheduleView)))]
pub async fn get_schedule(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<HabitScheduleView>, AppError> {
    Ok(Json(
        state.habits.get_schedule(principal.user_id, id).await?,
    ))
}

/// Remove a habit's schedule.
#[utoipa::path(delete, path = "/nodes/{id}/habit-schedule", tag = TAG, operation_id = "deleteHabitSchedule",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Removed")))]
pub async fn delete_schedule(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.habits.delete_schedule(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The habit's due dates in a range (the user's calendar).
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`; only a habit node has a schedule (`nodeId`).
#[utoipa::path(get, path = "/nodes/{id}/habit-schedule/occurrences", tag = TAG, operation_id = "habitOccurrences",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path), RangeParams),
    responses((status = 200, description = "Due dates", body = Occurrences)))]
pub async fn occurrences(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(params): Query<RangeParams>,
) -> Result<Json<Occurrences>, AppError> {
    Ok(Json(
        state
            .habits
            .occurrences(principal.user_id, id, params.from, params.to)
            .await?,
    ))
}

/// The user's habits due on a day.
#[utoipa::path(get, path = "/habits/due", tag = TAG, operation_id = "dueHabits",
    security(("bearerAuth" = []), ("apiKey" = [])), params(DueParams),
    responses((status = 200, description = "Due habits", body = DueHabits)))]
pub async fn due(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<DueParams>,
) -> Result<Json<DueHabits>, AppError> {
    Ok(Json(
        state.habits.due(principal.user_id, params.date).await?,
    ))
}
