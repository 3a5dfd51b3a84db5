//! `POST /api/v1/sync/pull` and `GET /api/v1/sync/entities`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::Json;
use lifeos_kernel::page::Page;
use lifeos_kernel::syncable::EntityRegistry;
use lifeos_kernel::{AppError, Principal};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{PullRequest, PullResponse};
use crate::SyncState;

const TAG: &str = "sync";

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(pull))
        .routes(routes!(entities))
}

/// One syncable entity: the name mutations and changes use, and its JSON schemas.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncEntityInfo {
    /// snake_case singular (`day_type`).
    pub name: String,
    pub schema: SyncEntitySchemas,
}

/// The schemas of one entity; `$ref`s point into this API's OpenAPI components.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncEntitySchemas {
    /// A pulled change's `data` (the REST API's GET body).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub data: Value,
    /// A push's `fields` for a new row (the create body).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub create: Value,
    /// A push's `fields` for an existing row (the patch body).
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub update: Value,
}

/// Every entity of `registry`, parents first.
pub fn entity_list(registry: &EntityRegistry) -> Vec<SyncEntityInfo> {
    registry
        .iter()
        .map(|entity| {
            let schema = entity.schema();
            SyncEntityInfo {
                name: entity.name().to_owned(),
                schema: SyncEntitySchemas {
                    data: schema.data,
                    create: schema.create,
                    update: schema.update,
                },
            }
        })
        .collect()
}

/// The user's changes after `cursor`, in version order; without a cursor, the full
/// current state (live rows only). Apply the pages in order, then pull again from the
/// last `cursor` for later changes.
///
/// Rules the schema cannot state: an unknown name in `entities` answers 422
/// `sync_unknown_entity`; a cursor this server did not give out 422 `cursor_invalid`; a
/// cursor older than the compacted tombstones 410 `cursor_expired` (start again without
/// a cursor).
#[utoipa::path(post, path = "/sync/pull", tag = TAG, operation_id = "syncPull",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = PullRequest,
    responses((status = 200, description = "One page of changes", body = PullResponse),
              (status = 410, description = "`cursor_expired`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 422, description = "`cursor_invalid`, `sync_unknown_entity` or `validation_failed`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn pull(
    State(state): State<SyncState>,
    principal: Principal,
    Json(body): Json<PullRequest>,
) -> Result<Json<PullResponse>, AppError> {
    Ok(Json(state.pull.pull(principal.user_id, body).await?))
}

/// Every entity this server syncs, parents before the children that refer to them, with
/// the JSON schemas of its `data` and of the `fields` a push sends.
#[utoipa::path(get, path = "/sync/entities", tag = TAG, operation_id = "listSyncEntities",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Entities", body = Page<SyncEntityInfo>)))]
pub async fn entities(
    State(state): State<SyncState>,
    _principal: Principal,
) -> Result<Json<Page<SyncEntityInfo>>, AppError> {
    Ok(Json(Page::all(entity_list(&state.entities))))
}
