//! `/api/v1/recommendations/programs` and `/api/v1/recommendations/nutrition`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::Json;
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{NutritionAdvice, NutritionRequest, ProgramRecommendations, ProgramRequest};
use crate::LibraryState;

const TAG: &str = "recommendations";

/// Program templates ranked for a person's goal, days, equipment, experience and time.
///
/// Hard constraints (equipment, days, level more than one step above the experience,
/// session length) cut a program, listed under `excluded` with why; the rest are scored
/// by the weighted rules (goal, level, days, frequency for the level, session length for
/// beginners) and listed best first, ties by name, each with the reasons. The rules are
/// the `programs` rows of the library's recommendation rules. Nothing is stored.
#[utoipa::path(post, path = "/recommendations/programs", tag = TAG, operation_id = "recommendPrograms",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = ProgramRequest,
    responses((status = 200, description = "Ranked programs", body = ProgramRecommendations)))]
pub async fn recommend_programs(
    State(state): State<LibraryState>,
    _principal: Principal,
    Json(body): Json<ProgramRequest>,
) -> Result<Json<ProgramRecommendations>, AppError> {
    Ok(Json(state.recommendations.programs(body).await?))
}

/// Daily energy, protein, fat and carbohydrate targets for a person.
///
/// Mifflin-St Jeor BMR × the activity factor (sedentary 1.2, light 1.375, moderate 1.55,
/// active 1.725, very active 1.9), adjusted for the goal (lose −20 %, gain +10 %);
/// protein from body weight, fat as a share of energy, carbohydrate the rest. The answer
/// states the formula with the numbers filled in and the rules used, and lists the
/// nutrition templates for the goal. Save the targets with `PUT /nutrition/targets`.
/// Nothing is stored.
#[utoipa::path(post, path = "/recommendations/nutrition", tag = TAG, operation_id = "recommendNutrition",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NutritionRequest,
    responses((status = 200, description = "Targets", body = NutritionAdvice)))]
pub async fn recommend_nutrition(
    State(state): State<LibraryState>,
    _principal: Principal,
    Json(body): Json<NutritionRequest>,
) -> Result<Json<NutritionAdvice>, AppError> {
    Ok(Json(state.recommendations.nutrition(body).await?))
}

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(recommend_programs))
        .routes(routes!(recommend_nutrition))
}
