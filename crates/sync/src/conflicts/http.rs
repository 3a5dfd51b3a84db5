//! `/api/v1/sync/conflicts`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::store::Status;
use super::{Conflict, Resolve};
use crate::SyncState;

const TAG: &str = "sync";

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(get))
        .routes(routes!(resolve))
}

/// `?status=&limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// `open` (default), `resolved` or `all`.
    #[param(inline)]
    pub status: Option<Status>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The user's sync conflicts, newest first: what a push overwrote or lost to a delete.
#[utoipa::path(get, path = "/sync/conflicts", tag = TAG, operation_id = "listSyncConflicts",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ListParams),
    responses((status = 200, description = "Conflicts", body = Page<Conflict>)))]
pub async fn list(
    State(state): State<SyncState>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Conflict>>, AppError> {
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .parse()?;
    let status = params.status.unwrap_or_default();
    Ok(Json(
        state
            .conflicts
            .list(principal.user_id, status, page)
            .await?,
    ))
}

/// One conflict.
#[utoipa::path(get, path = "/sync/conflicts/{id}", tag = TAG, operation_id = "getSyncConflict",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Conflict", body = Conflict)))]
pub async fn get(
    State(state): State<SyncState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Conflict>, AppError> {
    Ok(Json(state.conflicts.get(principal.user_id, id).await?))
}

/// Resolve a conflict: `server` writes the server's side back (the overwritten values,
/// or the row a device deleted), `client` keeps the device's (applies an update that lost
/// to a delete). The write syncs like any other; resolving twice is 409
/// `conflict_already_resolved`.
#[utoipa::path(post, path = "/sync/conflicts/{id}/resolve", tag = TAG, operation_id = "resolveSyncConflict",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = Resolve,
    responses((status = 200, description = "Resolved", body = Conflict),
              (status = 409, description = "`conflict_already_resolved`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn resolve(
    State(state): State<SyncState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<Resolve>,
) -> Result<Json<Conflict>, AppError> {
    Ok(Json(
        state
            .conflicts
            .resolve(principal.user_id, id, body.choose)
            .await?,
    ))
}
