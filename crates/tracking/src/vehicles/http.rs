//! `/api/v1/vehicles` and `/api/v1/vehicle-maintenance`.

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

use super::{
    Maintenance, MaintenanceFilter, MaintenancePatch, NewMaintenance, NewVehicle, ServiceDue,
    ServiceType, Vehicle, VehiclePatch,
};
use crate::TrackingState;
use crate::common::{self, DateRange};

const TAG: &str = "vehicles";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MaintenanceListParams {
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub from: Option<Date>,
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub to: Option<Date>,
    pub service_type: Option<ServiceType>,
    pub vehicle_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The user's vehicles.
#[utoipa::path(get, path = "/vehicles", tag = TAG, operation_id = "listVehicles",
    security(("bearerAuth" = []), ("apiKey" = [])), params(PageParams),
    responses((status = 200, description = "Vehicles", body = Page<Vehicle>)))]
pub async fn list_vehicles(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<PageParams>,
) -> Result<Json<Page<Vehicle>>, AppError> {
    Ok(Json(
        state
            .vehicles
            .list_vehicles(principal.user_id, params.parse()?)
            .await?,
    ))
}

/// Register a vehicle.
#[utoipa::path(post, path = "/vehicles", tag = TAG, operation_id = "createVehicle",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewVehicle,
    responses((status = 201, description = "Registered", body = Vehicle)))]
pub async fn create_vehicle(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<NewVehicle>,
) -> Result<impl IntoResponse, AppError> {
    let vehicle = state
        .vehicles
        .create_vehicle(principal.user_id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(vehicle)))
}

/// One vehicle.
#[utoipa::path(get, path = "/vehicles/{id}", tag = TAG, operation_id = "getVehicle",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Vehicle", body = Vehicle)))]
pub async fn get_vehicle(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Vehicle>, AppError> {
    Ok(Json(
        state.vehicles.get_vehicle(principal.user_id, id).await?,
    ))
}

/// Change a vehicle.
#[utoipa::path(patch, path = "/vehicles/{id}", tag = TAG, operation_id = "updateVehicle",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = VehiclePatch,
    responses((status = 200, description = "Updated", body = Vehicle)))]
pub async fn update_vehicle(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<VehiclePatch>,
) -> Result<Json<Vehicle>, AppError> {
    Ok(Json(
        state
            .vehicles
            .update_vehicle(principal.user_id, id, body)
            .await?,
    ))
}

/// Delete a vehicle and its maintenance records.
#[utoipa::path(delete, path = "/vehicles/{id}", tag = TAG, operation_id = "deleteVehicle",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_vehicle(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.vehicles.delete_vehicle(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// When each service with a history (two or more records) is next due.
#[utoipa::path(get, path = "/vehicles/{id}/service-due", tag = TAG, operation_id = "vehicleServiceDue",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Predictions", body = ServiceDue)))]
pub async fn service_due(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<ServiceDue>, AppError> {
    Ok(Json(
        state.vehicles.service_due(principal.user_id, id).await?,
    ))
}

/// Maintenance records, ordered by date, filtered by date range, service type, vehicle.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/vehicle-maintenance", tag = TAG, operation_id = "listMaintenance",
    security(("bearerAuth" = []), ("apiKey" = [])), params(MaintenanceListParams),
    responses((status = 200, description = "Records", body = Page<Maintenance>)))]
pub async fn list_maintenance(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<MaintenanceListParams>,
) -> Result<Json<Page<Maintenance>>, AppError> {
    let filter = MaintenanceFilter {
        range: DateRange::new(params.from, params.to)?,
        service_type: params.service_type,
        vehicle_id: params.vehicle_id,
    };
    let page = common::page(params.limit, params.cursor)?;
    Ok(Json(
        state
            .vehicles
            .list_maintenance(principal.user_id, filter, page)
            .await?,
    ))
}

/// Log a service ("oil change at 47,000 miles").
///
/// Rules the schema cannot state (422 `validation_failed`): `currency` is required with `costMinor`; `serviceLabel` is required when `serviceType` is `other`.
#[utoipa::path(post, path = "/vehicle-maintenance", tag = TAG, operation_id = "createMaintenance",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewMaintenance,
    responses((status = 201, description = "Logged", body = Maintenance)))]
pub async fn create_maintenance(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<NewMaintenance>,
) -> Result<impl IntoResponse, AppError> {
    let record = state
        .vehicles
        .create_maintenance(principal.user_id, body)
        .await?;
    Ok((StatusCode::CREATED, Json(record)))
}

/// One maintenance record.
#[utoipa::path(get, path = "/vehicle-maintenance/{id}", tag = TAG, operation_id = "getMaintenance",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Record", body = Maintenance)))]
pub async fn get_maintenance(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Maintenance>, AppError> {
    Ok(Json(
        state
            .vehicles
            .get_maintenance(principal.user_id, id)
            .await?,
    ))
}

/// Change a maintenance record.
///
/// Rules the schema cannot state (422 `validation_failed`): on the resulting record, `currency` is required with `costMinor` and `serviceLabel` when `serviceType` is `other`.
#[utoipa::path(patch, path = "/vehicle-maintenance/{id}", tag = TAG, operation_id = "updateMaintenance",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = MaintenancePatch,
    responses((status = 200, description = "Updated", body = Maintenance)))]
pub async fn update_maintenance(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<MaintenancePatch>,
) -> Result<Json<Maintenance>, AppError> {
    Ok(Json(
        state
            .vehicles
            .update_maintenance(principal.user_id, id, body)
            .await?,
    ))
}

/// Delete a maintenance record.
#[utoipa::path(delete, path = "/vehicle-maintenance/{id}", tag = TAG, operation_id = "deleteMaintenance",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_maintenance(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state
        .vehicles
        .delete_maintenance(principal.user_id, id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
