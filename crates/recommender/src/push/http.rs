//! `/api/v1/push/subscriptions`, `/api/v1/push/schedule`, `/api/v1/push/vapid-public-key`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use lifeos_kernel::http::{Json, Path};
use lifeos_kernel::page::Page;
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{NewPushSubscription, PushScheduleBody, PushSubscription, VapidPublicKey};
use crate::RecommenderState;

const TAG: &str = "recommender";

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    RecommenderState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(vapid_public_key))
        .routes(routes!(list, create))
        .routes(routes!(delete))
        .routes(routes!(get_schedule, put_schedule))
}

/// The server's VAPID public key, for `pushManager.subscribe({applicationServerKey})`.
#[utoipa::path(get, path = "/push/vapid-public-key", tag = TAG, operation_id = "getVapidPublicKey",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "The key", body = VapidPublicKey),
              (status = 501, description = "`push_not_configured`: the configured key is unusable", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn vapid_public_key(
    State(state): State<RecommenderState>,
    _principal: Principal,
) -> Result<Json<VapidPublicKey>, AppError> {
    Ok(Json(state.push.vapid_public_key().await?))
}

/// Subscribe a browser (its `PushSubscription.toJSON()`): the scheduler pushes tips to
/// it at the person's decision points. The same endpoint again answers 200 with the same
/// id; an endpoint another account subscribed moves to this one (201, a new id).
#[utoipa::path(post, path = "/push/subscriptions", tag = TAG, operation_id = "createPushSubscription",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewPushSubscription,
    responses((status = 201, description = "Subscribed", body = PushSubscription),
              (status = 200, description = "Already subscribed (keys updated)", body = PushSubscription)))]
pub async fn create(
    State(state): State<RecommenderState>,
    principal: Principal,
    Json(body): Json<NewPushSubscription>,
) -> Result<(StatusCode, Json<PushSubscription>), AppError> {
    let subscribed = state.push.subscribe(principal.user_id, body).await?;
    let status = if subscribed.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(subscribed.subscription)))
}

/// The person's subscribed browsers, oldest first.
#[utoipa::path(get, path = "/push/subscriptions", tag = TAG, operation_id = "listPushSubscriptions",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Subscriptions", body = Page<PushSubscription>)))]
pub async fn list(
    State(state): State<RecommenderState>,
    principal: Principal,
) -> Result<Json<Page<PushSubscription>>, AppError> {
    let items = state.push.subscriptions(principal.user_id).await?;
    Ok(Json(Page::all(items)))
}

/// Unsubscribe a browser (404 if it is not this person's).
#[utoipa::path(delete, path = "/push/subscriptions/{id}", tag = TAG, operation_id = "deletePushSubscription",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Unsubscribed"),
              (status = 404, description = "`not_found`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn delete(
    State(state): State<RecommenderState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.push.unsubscribe(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The person's decision points: local times and quiet hours (five points, quiet
/// 22:00-07:00, until they set theirs).
#[utoipa::path(get, path = "/push/schedule", tag = TAG, operation_id = "getPushSchedule",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "The schedule", body = PushScheduleBody)))]
pub async fn get_schedule(
    State(state): State<RecommenderState>,
    principal: Principal,
) -> Result<Json<PushScheduleBody>, AppError> {
    Ok(Json(state.push.schedule(principal.user_id).await?))
}

/// Set the decision points: 1 to 12 ascending distinct "HH:MM" local times, and quiet
/// hours (or null) during which none fires.
#[utoipa::path(put, path = "/push/schedule", tag = TAG, operation_id = "putPushSchedule",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = PushScheduleBody,
    responses((status = 200, description = "The schedule", body = PushScheduleBody)))]
pub async fn put_schedule(
    State(state): State<RecommenderState>,
    principal: Principal,
    Json(body): Json<PushScheduleBody>,
) -> Result<Json<PushScheduleBody>, AppError> {
    Ok(Json(
        state.push.put_schedule(principal.user_id, body).await?,
    ))
}
