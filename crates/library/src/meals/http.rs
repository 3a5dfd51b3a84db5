//! `/api/v1/meals`.

use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use time::Date;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Meal, MealPatch, NewMeal};
use crate::LibraryState;
use crate::timed::DateRange;

const TAG: &str = "meals";

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_meals, create_meal))
        .routes(routes!(get_meal, update_meal, delete_meal))
}

/// `?from=&to=&limit=&cursor=`: the user's local dates the meals were eaten on.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MealListParams {
    /// First local date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub from: Option<Date>,
    /// Last local date (inclusive).
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub to: Option<Date>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The user's meals, by when they were eaten, filtered by the local dates.
///
/// Rules the schema cannot state (422 `validation_failed`): `from` must not be after `to`.
#[utoipa::path(get, path = "/meals", tag = TAG, operation_id = "listMeals",
    security(("bearerAuth" = []), ("apiKey" = [])), params(MealListParams),
    responses((status = 200, description = "Meals", body = Page<Meal>)))]
pub async fn list_meals(
    State(state): State<LibraryState>,
    principal: Principal,
    Query(params): Query<MealListParams>,
) -> Result<Json<Page<Meal>>, AppError> {
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .parse()?;
    let range = DateRange {
        from: params.from,
        to: params.to,
    };
    Ok(Json(
        state.meals.list(principal.user_id, range, page).await?,
    ))
}

/// Log a meal: library foods by weight, or free text with the values the person knows.
/// The answer carries the meal's totals, from the foods' values per 100 g.
///
/// Rules the schema cannot state (422 `validation_failed`): every `foodId` must be a food
/// of the library (field `items[N].foodId`); `eatenAt` is not more than a minute in the
/// future.
#[utoipa::path(post, path = "/meals", tag = TAG, operation_id = "createMeal",
    security(("bearerAuth" = []), ("apiKey" = [])), request_body = NewMeal,
    responses((status = 201, description = "Logged", body = Meal)))]
pub async fn create_meal(
    State(state): State<LibraryState>,
    principal: Principal,
    Json(body): Json<NewMeal>,
) -> Result<impl IntoResponse, AppError> {
    let meal = state.meals.create(principal.user_id, body).await?;
    Ok((StatusCode::CREATED, Json(meal)))
}

/// One meal, with its totals.
#[utoipa::path(get, path = "/meals/{id}", tag = TAG, operation_id = "getMeal",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Meal", body = Meal)))]
pub async fn get_meal(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Meal>, AppError> {
    Ok(Json(state.meals.get(principal.user_id, id).await?))
}

/// Change a meal (`items` replaces the whole list).
///
/// Rules the schema cannot state (422 `validation_failed`): as for `createMeal`, on the
/// resulting meal.
#[utoipa::path(patch, path = "/meals/{id}", tag = TAG, operation_id = "updateMeal",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)), request_body = MealPatch,
    responses((status = 200, description = "Updated", body = Meal)))]
pub async fn update_meal(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
    Json(body): Json<MealPatch>,
) -> Result<Json<Meal>, AppError> {
    Ok(Json(state.meals.update(principal.user_id, id, body).await?))
}

/// Delete a meal.
#[utoipa::path(delete, path = "/meals/{id}", tag = TAG, operation_id = "deleteMeal",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_meal(
    State(state): State<LibraryState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    state.meals.delete(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
