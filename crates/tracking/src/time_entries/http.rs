//! `/api/v1/time-entries`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use uuid::Uuid;

use super::service::EntryFilter;
use super::summary::{GroupBy, Summary};
use super::{NewTimeEntry, StartTimer, StopTimer, TimeEntry, TimeEntryPatch};
use crate::TrackingState;
use crate::common::DateRange;

const TAG: &str = "time-entries";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// First local date (in the user's zone) the entries touch.
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub from: Option<Date>,
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub to: Option<Date>,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SummaryParams {
    #[serde(deserialize_with = "lifeos_kernel::date::in_range")]
    pub from: Date,
    #[serde(deserialize_with = "lifeos_kernel::date::in_range")]
    pub to: Date,
    /// `day` (default), `node` or `track`.
    pub group_by: Option<GroupBy>,
}

/// Start a timer. At most one runs per user (409 `timer_already_running` with `runningId`).
///
/// Rules the schema cannot state (422 `validation_failed`): `nodeId` and `trackId` must be your own.
#[utoipa::path(post, path = "/time-entries/start", tag = TAG, operation_id = "startTimer",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = StartTimer,
    responses((status = 201, description = "Running", body = TimeEntry),
              (status = 409, description = "`timer_already_running`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn start(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<StartTimer>,
) -> Result<impl IntoResponse, AppError> {
    let entry = state.time_entries.start(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// Stop a running timer, now or at `endedAt` (not in the future).
///
/// Rules the schema cannot state (422 `validation_failed`): `endedAt` must be after the start and not in the future.
#[utoipa::path(post, path = "/time-entries/{id}/stop", tag = TAG, operation_id = "stopTimer",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = StopTimer,
    responses((status = 200, description = "Stopped", body = TimeEntry)))]
pub async fn stop(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<StopTimer>,
) -> Result<Json<TimeEntry>, AppError> {
    Ok(Json(
        state.time_entries.stop(principal.user_id, id, body).await?,
    ))
}

/// Log time by hand. Entries are half-open intervals: back-to-back is fine, overlap is 409.
///
/// Rules the schema cannot state (422 `validation_failed`): `endedAt` must be after `startedAt` and not in the future; `nodeId` and `trackId` must be your own.
#[utoipa::path(post, path = "/time-entries", tag = TAG, operation_id = "createTimeEntry",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewTimeEntry,
    responses((status = 201, description = "Logged", body = TimeEntry),
              (status = 409, description = "`time_entry_overlap` with `conflictingId`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<NewTimeEntry>,
) -> Result<impl IntoResponse, AppError> {
    let entry = state.time_entries.create(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(entry)))
}

/// Time entries touching a local date range, ordered by start.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/time-entries", tag = TAG, operation_id = "listTimeEntries",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ListParams),
    responses((status = 200, description = "Entries", body = Page<TimeEntry>)))]
pub async fn list(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<TimeEntry>>, AppError> {
    let filter = EntryFilter {
        range: DateRange::new(params.from, params.to)?,
        node_id: params.node_id,
        track_id: params.track_id,
    };
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .parse()?;
    Ok(Json(
        state
            .time_entries
            .list(principal.user_id, filter, page)
            .await?,
    ))
}

/// Minutes per day, node or track in the user's zone; entries crossing midnight are
/// split; a running timer counts up to now.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`, and the range covers at most 366 days.
#[utoipa::path(get, path = "/time-entries/summary", tag = TAG, operation_id = "timeEntriesSummary",
    security(("bearerAuth" = []), ("apiKey" = [])), params(SummaryParams),
    responses((status = 200, description = "Summary", body = Summary)))]
pub async fn summary(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<SummaryParams>,
) -> Result<Json<Summary>, AppError> {
    let group_by = params.group_by.unwrap_or(GroupBy::Day);
    Ok(Json(
        state
            .time_entries
            .summary(principal.user_id, params.from, params.to, group_by)
            .await?,
    ))
}

/// One time entry.
#[utoipa::path(get, path = "/time-entries/{id}", tag = TAG, operation_id = "getTimeEntry",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Entry", body = TimeEntry)))]
pub async fn get(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<TimeEntry>, AppError> {
    Ok(Json(state.time_entries.get(principal.user_id, id).await?))
}

/// Change a time entry (same rules as creating one).
///
/// Rules the schema cannot state (422 `validation_failed`): the resulting `endedAt` must be after `startedAt` and not in the future; `nodeId` and `trackId` must be your own.
#[utoipa::path(patch, path = "/time-entries/{id}", tag = TAG, operation_id = "updateTimeEntry",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = TimeEntryPatch,
    responses((status = 200, description = "Updated", body = TimeEntry)))]
pub async fn update(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<TimeEntryPatch>,
) -> Result<Json<TimeEntry>, AppError> {
    Ok(Json(
        state
            .time_entries
            .update(principal.user_id, id, body)
            .await?,
    ))
}

/// Delete a time entry.
#[utoipa::path(delete, path = "/time-entries/{id}", tag = TAG, operation_id = "deleteTimeEntry",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.time_entries.delete(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
