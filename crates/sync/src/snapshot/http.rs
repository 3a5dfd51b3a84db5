//! `GET /api/v1/sync/snapshot` and `POST /api/v1/sync/import`.

use axum::extract::{DefaultBodyLimit, FromRef, State};
use lifeos_kernel::http::Json;
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ImportReport, ImportRequest, Snapshot};
use crate::SyncState;

const TAG: &str = "sync";

/// The largest import body: a whole account's synced data.
pub const MAX_IMPORT_BYTES: usize = 16 * 1024 * 1024;

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    // A snapshot is larger than the API's default body limit.
    let import = OpenApiRouter::new()
        .routes(routes!(import))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES));
    OpenApiRouter::new().routes(routes!(snapshot)).merge(import)
}

/// All of your synced data at your current version, checksummed: every live row of
/// every entity, in the form pull returns as `data`. Pull from its `cursor` for what
/// changed after it. `GET /me/export` carries the same snapshot under `sync`.
#[utoipa::path(get, path = "/sync/snapshot", tag = TAG, operation_id = "syncSnapshot",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "The snapshot", body = Snapshot)))]
pub async fn snapshot(
    State(state): State<SyncState>,
    principal: Principal,
) -> Result<Json<Snapshot>, AppError> {
    Ok(Json(state.snapshots.snapshot(principal.user_id).await?))
}

/// Import a snapshot (body up to 16 MiB), in one transaction: `merge` upserts its rows
/// through the same path as a push, `replace` also deletes what it lacks. A snapshot of
/// another account gets fresh ids (references inside it follow).
///
/// Rules the schema cannot state (422, nothing changed): a checksum that does not match
/// `snapshot_checksum_mismatch`; another schema version `snapshot_schema_unsupported`;
/// an entity this server does not sync `sync_unknown_entity`; a row an entity refuses
/// `snapshot_import_rejected` (with `entity`, `entityId` and `rejectedCode`).
#[utoipa::path(post, path = "/sync/import", tag = TAG, operation_id = "syncImport",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = ImportRequest,
    responses((status = 200, description = "What the import changed", body = ImportReport),
              (status = 422, description = "`snapshot_checksum_mismatch`, `snapshot_schema_unsupported`, `sync_unknown_entity`, `snapshot_import_rejected` or `validation_failed`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn import(
    State(state): State<SyncState>,
    principal: Principal,
    Json(body): Json<ImportRequest>,
) -> Result<Json<ImportReport>, AppError> {
    Ok(Json(state.snapshots.import(principal.user_id, body).await?))
}
