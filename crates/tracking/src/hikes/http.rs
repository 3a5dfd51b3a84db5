//! `/api/v1/hikes`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::Page;
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Hike, HikePatch, NewHike};
use crate::TrackingState;
use crate::common::{DateListParams as ListParams, DateRange};
use crate::error::TrackingError;

const TAG: &str = "hikes";
/// Media types accepted for a GPX upload.
const GPX_TYPES: &[&str] = &["application/gpx+xml", "application/xml", "text/xml"];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// The day of the hike; default: the local date of the first track point (or today).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub date: Option<Date>,
}

/// The user's hikes in a date range, ordered by date.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/hikes", tag = TAG, operation_id = "listHikes",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ListParams),
    responses((status = 200, description = "Hikes", body = Page<Hike>)))]
pub async fn list(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Hike>>, AppError> {
    let range = DateRange::new(params.from, params.to)?;
    let page = params.page()?;
    Ok(Json(
        state.hikes.list(principal.user_id, range, page).await?,
    ))
}

/// Log a hike by hand.
#[utoipa::path(post, path = "/hikes", tag = TAG, operation_id = "createHike",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewHike,
    responses((status = 201, description = "Logged", body = Hike)))]
pub async fn create(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<NewHike>,
) -> Result<impl IntoResponse, AppError> {
    let hike = state.hikes.create(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(hike)))
}

/// Log a hike from a GPX 1.1 file (up to 10 MiB): distance, climb, duration and the
/// track (GeoJSON) are computed from it. Malformed files answer 422 `invalid_gpx`.
///
/// Rules the schema cannot state (422 `invalid_gpx`): the body must be a readable GPX document.
#[utoipa::path(post, path = "/hikes/import-gpx", tag = TAG, operation_id = "importHikeGpx",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ImportParams),
    request_body(content = String, content_type = "application/gpx+xml", description = "A GPX 1.1 document"),
    responses((status = 201, description = "Imported", body = Hike),
              (status = 422, description = "`invalid_gpx`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn import_gpx(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<ImportParams>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !GPX_TYPES.contains(&essence.as_str()) {
        return Err(TrackingError::UnsupportedMediaType.into());
    }
    let hike = state
        .hikes
        .import_gpx(principal.user_id, body.to_vec(), params.date)
        .await?;
    Ok((StatusCode::CREATED, Json(hike)))
}

/// One hike.
#[utoipa::path(get, path = "/hikes/{id}", tag = TAG, operation_id = "getHike",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Hike", body = Hike)))]
pub async fn get(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Hike>, AppError> {
    Ok(Json(state.hikes.get(principal.user_id, id).await?))
}

/// Change a hike.
#[utoipa::path(patch, path = "/hikes/{id}", tag = TAG, operation_id = "updateHike",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = HikePatch,
    responses((status = 200, description = "Updated", body = Hike)))]
pub async fn update(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<HikePatch>,
) -> Result<Json<Hike>, AppError> {
    Ok(Json(state.hikes.update(principal.user_id, id, body).await?))
}

/// Delete a hike.
#[utoipa::path(delete, path = "/hikes/{id}", tag = TAG, operation_id = "deleteHike",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.hikes.delete(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
