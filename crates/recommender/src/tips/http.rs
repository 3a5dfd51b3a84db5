//! `POST /api/v1/recommend` and `POST /api/v1/tips/{id}/feedback`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::{Json, Path};
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Feedback, NewFeedback, RecommendRequest, Recommendation, Trigger};
use crate::RecommenderState;

const TAG: &str = "recommender";

pub(crate) fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    RecommenderState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(recommend))
        .routes(routes!(send_feedback))
}

/// At most one tip for now, or `tip: null` when nothing is worth saying. Every answer,
/// a quiet one too, is logged with its candidates and propensity. Send `{}` for no context.
#[utoipa::path(post, path = "/recommend", tag = TAG, operation_id = "recommend",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = RecommendRequest,
    responses((status = 200, description = "The decision", body = Recommendation),
              (status = 403, description = "`consent_required`: grant `recommendations` first", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 422, description = "`validation_failed` (mood or energy outside 1..5, location length) or `invalid_body`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn recommend(
    State(state): State<RecommenderState>,
    principal: Principal,
    Json(body): Json<RecommendRequest>,
) -> Result<Json<Recommendation>, AppError> {
    let context = body.context.unwrap_or_default();
    let decision = state
        .tips
        .recommend(principal.user_id, context, Trigger::Request)
        .await?;
    Ok(Json(decision))
}

/// What the person did with a tip. `done` on a todo from a node completes the node
/// (XP included; the game layer's refusal, e.g. 409 `node_locked`, is the answer and
/// nothing is recorded). `not_now` rests the tip's source for 4 hours, `dismissed` for
/// 24 hours, `not_useful` for 30 days.
#[utoipa::path(post, path = "/tips/{id}/feedback", tag = TAG, operation_id = "sendTipFeedback",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path, description = "The tip's id")),
    request_body = NewFeedback,
    responses((status = 200, description = "Recorded", body = Feedback),
              (status = 404, description = "`not_found`: no tip with this id was shown to the user", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 409, description = "`tip_feedback_recorded`, or the game layer's refusal of `done` (`already_completed`, `habit_not_due`, `node_locked`)", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 422, description = "`invalid_body`: an unknown kind or field", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn send_feedback(
    State(state): State<RecommenderState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<NewFeedback>,
) -> Result<Json<Feedback>, AppError> {
    let feedback = state
        .tips
        .feedback(principal.user_id, id, body.kind)
        .await?;
    Ok(Json(feedback))
}
