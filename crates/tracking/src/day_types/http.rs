//! `/api/v1/day-types`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::Page;
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use uuid::Uuid;

use super::report::{MonthlyReport, parse_month};
use super::{DayType, DayTypePatch, NewDayType};
use crate::TrackingState;
use crate::common::{DateListParams as ListParams, DateRange};
use crate::error::TrackingError;

const TAG: &str = "day-types";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// `YYYY-MM`.
    #[param(example = "2026-02", pattern = r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
    pub month: String,
}

/// The user's day types in a date range, ordered by date.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/day-types", tag = TAG, operation_id = "listDayTypes",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ListParams),
    responses((status = 200, description = "Day types", body = Page<DayType>)))]
pub async fn list(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<DayType>>, AppError> {
    let range = DateRange::new(params.from, params.to)?;
    let page = params.page()?;
    Ok(Json(
        state.day_types.list(principal.user_id, range, page).await?,
    ))
}

/// Plan a day. One live entry per date (409 `day_already_planned`).
#[utoipa::path(post, path = "/day-types", tag = TAG, operation_id = "createDayType",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewDayType,
    responses((status = 201, description = "Planned", body = DayType),
              (status = 409, description = "`day_already_planned` (with `existingId`) or `id_conflict`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<NewDayType>,
) -> Result<impl IntoResponse, AppError> {
    let created = state.day_types.create(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// One day type.
#[utoipa::path(get, path = "/day-types/{id}", tag = TAG, operation_id = "getDayType",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Day type", body = DayType)))]
pub async fn get(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<DayType>, AppError> {
    Ok(Json(state.day_types.get(principal.user_id, id).await?))
}

/// The day type planned for a date.
#[utoipa::path(get, path = "/day-types/date/{date}", tag = TAG, operation_id = "getDayTypeByDate",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("date" = Date, Path, description = "YYYY-MM-DD")),
    responses((status = 200, description = "Day type", body = DayType)))]
pub async fn by_date(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(date): Path<Date>,
) -> Result<Json<DayType>, AppError> {
    Ok(Json(
        state
            .day_types
            .by_date(principal.user_id, lifeos_kernel::date::check(date)?)
            .await?,
    ))
}

/// Change a day type, e.g. record `actualType` at the end of the day.
#[utoipa::path(patch, path = "/day-types/{id}", tag = TAG, operation_id = "updateDayType",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = DayTypePatch,
    responses((status = 200, description = "Updated", body = DayType)))]
pub async fn update(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<DayTypePatch>,
) -> Result<Json<DayType>, AppError> {
    Ok(Json(
        state.day_types.update(principal.user_id, id, body).await?,
    ))
}

/// Delete a day type (a tombstone that sync carries).
#[utoipa::path(delete, path = "/day-types/{id}", tag = TAG, operation_id = "deleteDayType",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.day_types.delete(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Plan versus actual for a month.
#[utoipa::path(get, path = "/day-types/report/monthly", tag = TAG, operation_id = "dayTypesMonthlyReport",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ReportParams),
    responses((status = 200, description = "The month's report", body = MonthlyReport)))]
pub async fn monthly_report(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<ReportParams>,
) -> Result<Json<MonthlyReport>, AppError> {
    let (year, month) = parse_month(&params.month)
        .ok_or_else(|| TrackingError::invalid("month", "must be YYYY-MM"))?;
    Ok(Json(
        state
            .day_types
            .monthly_report(principal.user_id, year, month)
            .await?,
    ))
}
