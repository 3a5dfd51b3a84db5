//! `POST /api/v1/sync/push`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::Json;
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{PushRequest, PushResponse};
use crate::SyncState;

const TAG: &str = "sync";

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    OpenApiRouter::new().routes(routes!(push))
}

/// Push a device's offline mutations, in `mutationId` order. Each is applied exactly
/// once: a retried batch answers `duplicate` for what was processed and changes
/// nothing. A mutation the entity refuses is `rejected` (and still advances the device);
/// one against a newer server row is applied and the overwritten values kept as a
/// conflict (`GET /sync/conflicts`); an update of a deleted row loses to the delete.
///
/// Rules the schema cannot state: at most 500 mutations, ids one apart (422
/// `validation_failed`); the first id must be at most the device's last + 1 (409
/// `mutation_gap` with `expectedMutationId`, nothing applied).
#[utoipa::path(post, path = "/sync/push", tag = TAG, operation_id = "syncPush",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = PushRequest,
    responses((status = 200, description = "What became of each mutation", body = PushResponse),
              (status = 403, description = "`device_revoked`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such device of the caller's", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 409, description = "`mutation_gap` (with `expectedMutationId`)", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn push(
    State(state): State<SyncState>,
    principal: Principal,
    Json(body): Json<PushRequest>,
) -> Result<Json<PushResponse>, AppError> {
    Ok(Json(state.push.push(principal.user_id, body).await?))
}
