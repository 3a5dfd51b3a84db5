//! `/api/v1/tracks` and `/api/v1/nodes`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::Page;
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    NewNode, NewTrack, Node, NodeFilter, NodePatch, NodeStatus, NodeType, ReorderNodes,
    ReorderTracks, Track, TrackOverview, TrackPatch,
};
use crate::TrackingState;

const TAG: &str = "plans";

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NodeListParams {
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub node_type: Option<NodeType>,
    pub status: Option<NodeStatus>,
}

/// The user's tracks in order, each with node counts and this week's minutes.
#[utoipa::path(get, path = "/tracks", tag = TAG, operation_id = "listTracks",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Tracks", body = Page<TrackOverview>)))]
pub async fn list_tracks(
    State(state): State<TrackingState>,
    principal: Principal,
) -> Result<Json<Page<TrackOverview>>, AppError> {
    Ok(Json(state.plans.list_tracks(principal.user_id).await?))
}

/// Create a track (a project or an area), placed last.
#[utoipa::path(post, path = "/tracks", tag = TAG, operation_id = "createTrack",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewTrack,
    responses((status = 201, description = "Created", body = Track)))]
pub async fn create_track(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<NewTrack>,
) -> Result<impl IntoResponse, AppError> {
    let track = state.plans.create_track(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(track)))
}

/// One track with its figures.
#[utoipa::path(get, path = "/tracks/{id}", tag = TAG, operation_id = "getTrack",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Track", body = TrackOverview)))]
pub async fn get_track(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<TrackOverview>, AppError> {
    Ok(Json(state.plans.get_track(principal.user_id, id).await?))
}

/// Change or archive a track.
#[utoipa::path(patch, path = "/tracks/{id}", tag = TAG, operation_id = "updateTrack",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = TrackPatch,
    responses((status = 200, description = "Updated", body = Track)))]
pub async fn update_track(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<TrackPatch>,
) -> Result<Json<Track>, AppError> {
    Ok(Json(
        state
            .plans
            .update_track(principal.user_id, id, body)
            .await?,
    ))
}

/// Delete a track and its nodes.
#[utoipa::path(delete, path = "/tracks/{id}", tag = TAG, operation_id = "deleteTrack",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_track(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.plans.delete_track(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the full order of the user's tracks.
///
/// Rules the schema cannot state (422 `validation_failed`): `ids` must list each of your live tracks exactly once.
#[utoipa::path(post, path = "/tracks/reorder", tag = TAG, operation_id = "reorderTracks",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = ReorderTracks,
    responses((status = 200, description = "The tracks in their new order", body = Vec<Track>)))]
pub async fn reorder_tracks(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<ReorderTracks>,
) -> Result<Json<Vec<Track>>, AppError> {
    Ok(Json(
        state
            .plans
            .reorder_tracks(principal.user_id, body.ids)
            .await?,
    ))
}

/// The nodes of a track in order, filtered by type and status.
#[utoipa::path(get, path = "/tracks/{id}/nodes", tag = TAG, operation_id = "listNodes",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path), NodeListParams),
    responses((status = 200, description = "Nodes", body = Page<Node>)))]
pub async fn list_nodes(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Query(params): Query<NodeListParams>,
) -> Result<Json<Page<Node>>, AppError> {
    let filter = NodeFilter {
        node_type: params.node_type,
        status: params.status,
    };
    Ok(Json(
        state
            .plans
            .list_nodes(principal.user_id, id, filter)
            .await?,
    ))
}

/// Add a node (task, habit, focus session, milestone) at the end of a track.
#[utoipa::path(post, path = "/tracks/{id}/nodes", tag = TAG, operation_id = "createNode",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = NewNode,
    responses((status = 201, description = "Created", body = Node)))]
pub async fn create_node(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<NewNode>,
) -> Result<impl IntoResponse, AppError> {
    let node = state.plans.create_node(principal.user_id, id, body).await?;
    Ok((StatusCode::CREATED, Json(node)))
}

/// One node.
#[utoipa::path(get, path = "/nodes/{id}", tag = TAG, operation_id = "getNode",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Node", body = Node)))]
pub async fn get_node(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Node>, AppError> {
    Ok(Json(state.plans.get_node(principal.user_id, id).await?))
}

/// Change a node; `trackId` moves it. Locked nodes answer 409 `node_locked`.
#[utoipa::path(patch, path = "/nodes/{id}", tag = TAG, operation_id = "updateNode",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = NodePatch,
    responses((status = 200, description = "Updated", body = Node),
              (status = 409, description = "`node_locked` or `habit_without_schedule`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn update_node(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<NodePatch>,
) -> Result<Json<Node>, AppError> {
    Ok(Json(
        state.plans.update_node(principal.user_id, id, body).await?,
    ))
}

/// Delete a node (not while locked).
#[utoipa::path(delete, path = "/nodes/{id}", tag = TAG, operation_id = "deleteNode",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_node(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.plans.delete_node(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set the full order of a track's nodes.
///
/// Rules the schema cannot state (422 `validation_failed`): `trackId` must be your own track and `ids` must list each of its live nodes exactly once.
#[utoipa::path(post, path = "/nodes/reorder", tag = TAG, operation_id = "reorderNodes",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = ReorderNodes,
    responses((status = 200, description = "The nodes in their new order", body = Vec<Node>)))]
pub async fn reorder_nodes(
    State(state): State<TrackingState>,
    principal: Principal,
    Json(body): Json<ReorderNodes>,
) -> Result<Json<Vec<Node>>, AppError> {
    Ok(Json(
        state
            .plans
            .reorder_nodes(principal.user_id, body.track_id, body.ids)
            .await?,
    ))
}

/// Lock a node: it cannot be edited, completed or deleted until unlocked.
#[utoipa::path(post, path = "/nodes/{id}/lock", tag = TAG, operation_id = "lockNode",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Locked", body = Node)))]
pub async fn lock_node(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Node>, AppError> {
    Ok(Json(
        state.plans.set_locked(principal.user_id, id, true).await?,
    ))
}

/// Unlock a node.
#[utoipa::path(post, path = "/nodes/{id}/unlock", tag = TAG, operation_id = "unlockNode",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Unlocked", body = Node)))]
pub async fn unlock_node(
    State(state): State<TrackingState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Node>, AppError> {
    Ok(Json(
        state.plans.set_locked(principal.user_id, id, false).await?,
    ))
}
