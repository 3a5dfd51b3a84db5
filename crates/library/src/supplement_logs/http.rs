//! `/api/v1/supplement-logs`.

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

use super::{NewSupplementLog, SupplementLog, SupplementLogPatch, SupplementLogSaved};
use crate::LibraryState;
use crate::timed::DateRange;

const TAG: &str = "supplements";

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_supplement_logs, create_supplement_log))
        .routes(routes!(
            get_supplement_log,
            update_supplement_log,
            delete_supplement_log
        ))
}

/// `?from=&to=&limit=&cursor=`: the user's local dates the supplements were taken on.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SupplementLogListParams {
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

/// The user's supplement logs, by when they were taken, filtered by the local dates.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/supplement-logs", tag = TAG, operation_id = "listSupplementLogs",
    security(("bearerAuth" = []), ("apiKey" = [])), params(SupplementLogListParams),
    responses((status = 200, description = "Logs", body = Page<SupplementLog>)))]
pub async fn list_supplement_logs(
    State(state): State<LibraryState>,
    principal: Principal,
    Query(params): Query<SupplementLogListParams>,
) -> Result<Json<Page<SupplementLog>>, AppError> {
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
        state
            .supplement_logs
            .list(principal.user_id, range, page)
            .await?,
    ))
}

/// Log a supplement taken: servings, or a mass of its nutrient. The answer lists the
/// nutrients of the day's supplements whose day total now passes the published upper
/// limit (`warnings`).
///
/// Rules the schema cannot state (422 `validation_failed`): `supplementId` must be a
/// supplement of the library; `g`, `mg` and `ug` need a supplement of one nutrient
/// (field `unit`); `amount` is at most 100 servings or 100 g; `takenAt` is not more than
/// a minute in the future.
#[utoipa::path(post, path = "/supplement-logs", tag = TAG, operation_id = "createSupplementLog",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewSupplementLog,
    responses((status = 201, description = "Logged", body = SupplementLogSaved)))]
pub async fn create_supplement_log(
    State(state): State<LibraryState>,
    principal: Principal,
    Json(body): Json<NewSupplementLog>,
) -> Result<impl IntoResponse, AppError> {
    let saved = state
        .supplement_logs
        .create(principal.user_id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// One supplement log.
#[utoipa::path(get, path = "/supplement-logs/{id}", tag = TAG, operation_id = "getSupplementLog",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Log", body = SupplementLog)))]
pub async fn get_supplement_log(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<SupplementLog>, AppError> {
    Ok(Json(
        state.supplement_logs.get(principal.user_id, id).await?,
    ))
}

/// Change a supplement log; the answer carries the day's warnings as for a new log.
///
/// Rules the schema cannot state (422 `validation_failed`): as for `createSupplementLog`,
/// on the resulting log.
#[utoipa::path(patch, path = "/supplement-logs/{id}", tag = TAG, operation_id = "updateSupplementLog",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = SupplementLogPatch,
    responses((status = 200, description = "Updated", body = SupplementLogSaved)))]
pub async fn update_supplement_log(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<SupplementLogPatch>,
) -> Result<Json<SupplementLogSaved>, AppError> {
    Ok(Json(
        state
            .supplement_logs
            .update(principal.user_id, id, body)
            .await?,
    ))
}

/// Delete a supplement log.
#[utoipa::path(delete, path = "/supplement-logs/{id}", tag = TAG, operation_id = "deleteSupplementLog",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_supplement_log(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.supplement_logs.delete(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
