//! `/api/v1/nutrition/daily` and `/api/v1/nutrition/targets`.

use axum::extract::{FromRef, State};
use lifeos_kernel::http::{Json, Query};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{DailyNutrition, NutritionTargets, TargetValues};
use crate::LibraryState;

const TAG: &str = "nutrition";

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(daily_nutrition))
        .routes(routes!(get_nutrition_targets, put_nutrition_targets))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DailyParams {
    /// The user's local date; default today (in the user's zone).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub date: Option<Date>,
}

/// A local day's nutrition: energy and macronutrients from its meals (library foods'
/// values per 100 g × grams / 100, plus free-text items' given values), nutrients from
/// the foods and the supplements taken, the saved targets, and every nutrient whose day
/// total passes its published upper limit.
#[utoipa::path(get, path = "/nutrition/daily", tag = TAG, operation_id = "dailyNutrition",
    security(("bearerAuth" = []), ("apiKey" = [])), params(DailyParams),
    responses((status = 200, description = "The day", body = DailyNutrition)))]
pub async fn daily_nutrition(
    State(state): State<LibraryState>,
    principal: Principal,
    Query(params): Query<DailyParams>,
) -> Result<Json<DailyNutrition>, AppError> {
    Ok(Json(
        state
            .nutrition
            .daily(principal.user_id, params.date)
            .await?,
    ))
}

/// The user's saved daily targets (404 when none are saved).
#[utoipa::path(get, path = "/nutrition/targets", tag = TAG, operation_id = "getNutritionTargets",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Targets", body = NutritionTargets)))]
pub async fn get_nutrition_targets(
    State(state): State<LibraryState>,
    principal: Principal,
) -> Result<Json<NutritionTargets>, AppError> {
    Ok(Json(state.nutrition.get_targets(principal.user_id).await?))
}

/// Save the user's daily targets (for example a nutrition recommendation's), replacing
/// any saved before.
#[utoipa::path(put, path = "/nutrition/targets", tag = TAG, operation_id = "putNutritionTargets",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = TargetValues,
    responses((status = 200, description = "Saved", body = NutritionTargets)))]
pub async fn put_nutrition_targets(
    State(state): State<LibraryState>,
    principal: Principal,
    Json(body): Json<TargetValues>,
) -> Result<Json<NutritionTargets>, AppError> {
    Ok(Json(
        state.nutrition.put_targets(principal.user_id, body).await?,
    ))
}
