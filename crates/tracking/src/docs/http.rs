//! `/api/v1/docs`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{Doc, DocFilter, DocPatch, NewDoc};
use crate::TrackingState;

const TAG: &str = "docs";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    pub track_id: Option<Uuid>,
    pub node_id: Option<Uuid>,
    /// Case-insensitive search in title and body.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The user's docs, filtered by track, node or text.
#[utoipa::path(get, path = "/docs", tag = TAG, operation_id = "listDocs",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ListParams),
    responses((status = 200, description = "Docs", body = Page<Doc>)))]
pub async fn list(
    State(state): State<TrackingState>,
    principal: Principal,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Doc>>, AppError> {
    let filter = DocFilter {
        track_id: params.track_id,
        node_id: params.node_id,
        q: params.q,
    };
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .parse()?;
    Ok(Json(
        state.docs.list(principal.user_id, filter, page).await?,
    ))
}

/// Write a markdown doc (body up to 1 MiB).
///
/// Rules the schema cannot state (422 `validation_failed`): `trackId` and `nodeId` must be your own.
#[utoipa::path(post, path = "/docs", tag = TAG, operation_id = "createDoc",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewDoc,
    responses((status = 201, description = "Created", body = Doc)))]
pub async fn create(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<NewDoc>,
) -> Result<impl IntoResponse, AppError> {
    let doc = state.docs.create(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// One doc.
#[utoipa::path(get, path = "/docs/{id}", tag = TAG, operation_id = "getDoc",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Doc", body = Doc)))]
pub async fn get(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Doc>, AppError> {
    Ok(Json(state.docs.get(principal.user_id, id).await?))
}

/// Change a doc.
///
/// Rules the schema cannot state (422 `validation_failed`): `trackId` and `nodeId` must be your own.
#[utoipa::path(patch, path = "/docs/{id}", tag = TAG, operation_id = "updateDoc",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = DocPatch,
    responses((status = 200, description = "Updated", body = Doc)))]
pub async fn update(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<DocPatch>,
) -> Result<Json<Doc>, AppError> {
    Ok(Json(state.docs.update(principal.user_id, id, body).await?))
}

/// Delete a doc.
#[utoipa::path(delete, path = "/docs/{id}", tag = TAG, operation_id = "deleteDoc",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.docs.delete(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
