//! `/api/v1/devices`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path};
use lifeos_kernel::page::Page;
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Device, NewDevice};
use crate::SyncState;

const TAG: &str = "devices";

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// Register a device to sync from. A client may choose the id (409 `device_id_conflict`
/// if it is taken).
#[utoipa::path(post, path = "/devices", tag = TAG, operation_id = "createDevice",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewDevice,
    responses((status = 201, description = "Registered", body = Device),
              (status = 409, description = "`device_id_conflict`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn create(
    State(state): State<SyncState>,
    principal: Principal,
    Json(body): Json<NewDevice>,
) -> Result<impl IntoResponse, AppError> {
    let device = state.devices.create(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(device)))
}

/// The user's devices (not revoked), oldest first, with where their pushes have got to.
#[utoipa::path(get, path = "/devices", tag = TAG, operation_id = "listDevices",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Devices", body = Page<Device>)))]
pub async fn list(
    State(state): State<SyncState>,
    principal: Principal,
) -> Result<Json<Page<Device>>, AppError> {
    let devices = state.devices.list(principal.user_id).await?;
    Ok(Json(Page::all(devices)))
}

/// Revoke a device: it is no longer listed and its pushes get 403 `device_revoked`.
#[utoipa::path(delete, path = "/devices/{id}", tag = TAG, operation_id = "revokeDevice",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Revoked")))]
pub async fn revoke(
    State(state): State<SyncState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.devices.revoke(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
