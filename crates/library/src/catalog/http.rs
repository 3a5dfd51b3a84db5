//! `/api/v1/library/{foods|nutrients|supplements|exercises|programs}`: search, filters,
//! one row.

use axum::extract::{FromRef, State};
use lifeos_kernel::error::{CommonCode, Validator};
use lifeos_kernel::http::{Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams, PageRequest};
use lifeos_kernel::{AppError, Principal};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::service::{CatalogCursor, CatalogQuery};
use super::store::{Bind, Filters};
use super::{Equipment, Exercise, Food, Level, Nutrient, Program, Supplement, TrainingGoal};
use crate::LibraryState;

const TAG: &str = "library";

pub fn routes<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_foods))
        .routes(routes!(get_food))
        .routes(routes!(list_nutrients))
        .routes(routes!(get_nutrient))
        .routes(routes!(list_supplements))
        .routes(routes!(get_supplement))
        .routes(routes!(list_exercises))
        .routes(routes!(get_exercise))
        .routes(routes!(list_programs))
        .routes(routes!(get_program))
}

/// A search (`q`, typo-tolerant, any word order) or, without `q`, a list by name.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// Words to search for, at most 100 characters, e.g. `chicken breast`.
    #[param(max_length = 100)]
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// `?limit=&cursor=`, checked.
fn page(
    limit: Option<u32>,
    cursor: &Option<String>,
) -> Result<PageRequest<CatalogCursor>, AppError> {
    PageParams {
        limit,
        cursor: cursor.clone(),
    }
    .parse()
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FoodParams {
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// A food group, e.g. `Cereals and Millets` (any case).
    #[param(min_length = 1, max_length = 100)]
    pub group: Option<String>,
    /// Per 100 g.
    #[param(minimum = 0)]
    pub min_protein_g: Option<f64>,
    #[param(minimum = 0)]
    pub max_energy_kcal: Option<f64>,
    #[param(minimum = 0)]
    pub max_fat_g: Option<f64>,
    #[param(minimum = 0)]
    pub max_carbs_g: Option<f64>,
    #[param(minimum = 0)]
    pub min_fiber_g: Option<f64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// A query's filters must be what the contract states: a 4xx names the parameter.
fn checked(check: impl FnOnce(&mut Validator)) -> Result<(), AppError> {
    let mut validator = Validator::new();
    check(&mut validator);
    validator.finish().map_err(|mut error| {
        error.code = CommonCode::InvalidQuery.as_str();
        error
    })
}

fn amount(validator: &mut Validator, field: &str, value: Option<f64>) {
    validator.check(
        value.is_none_or(|v| v.is_finite() && v >= 0.0),
        field,
        "must be a number of 0 or more",
    );
}

fn text_param(validator: &mut Validator, field: &str, value: Option<&String>) {
    if let Some(value) = value {
        validator.length(value, field, 1, 100);
    }
}

impl FoodParams {
    fn validate(&self) -> Result<(), AppError> {
        checked(|v| {
            text_param(v, "group", self.group.as_ref());
            amount(v, "minProteinG", self.min_protein_g);
            amount(v, "maxEnergyKcal", self.max_energy_kcal);
            amount(v, "maxFatG", self.max_fat_g);
            amount(v, "maxCarbsG", self.max_carbs_g);
            amount(v, "minFiberG", self.min_fiber_g);
        })
    }

    fn query(&self) -> CatalogQuery {
        let filters = Filters::default()
            .maybe(
                "lower(food_group) = lower(?)",
                self.group.clone().map(Bind::Text),
            )
            .maybe("protein_g >= ?", self.min_protein_g.map(Bind::Real))
            .maybe("energy_kcal <= ?", self.max_energy_kcal.map(Bind::Real))
            .maybe("fat_g <= ?", self.max_fat_g.map(Bind::Real))
            .maybe("carbs_g <= ?", self.max_carbs_g.map(Bind::Real))
            .maybe("fiber_g >= ?", self.min_fiber_g.map(Bind::Real));
        CatalogQuery {
            q: self.q.clone(),
            filters,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SupplementParams {
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Supplements providing this nutrient code, e.g. `vitd`.
    #[param(min_length = 1, max_length = 100)]
    pub nutrient: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExerciseParams {
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// A muscle code, primary or secondary, e.g. `quads`.
    #[param(min_length = 1, max_length = 100)]
    pub muscle: Option<String>,
    pub equipment: Option<Equipment>,
    pub level: Option<Level>,
    /// wger's category, e.g. `Legs` (any case).
    #[param(min_length = 1, max_length = 100)]
    pub category: Option<String>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProgramParams {
    #[param(max_length = 100)]
    pub q: Option<String>,
    pub goal: Option<TrainingGoal>,
    #[param(minimum = 1, maximum = 7)]
    pub days_per_week: Option<u32>,
    pub level: Option<Level>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Foods (IFCT 2017): search by name, scientific or local name, filter by group and
/// nutrients per 100 g.
#[utoipa::path(get, path = "/library/foods", tag = TAG, operation_id = "listFoods",
    security(("bearerAuth" = []), ("apiKey" = [])), params(FoodParams),
    responses((status = 200, description = "Foods, best match first when searching", body = Page<Food>)))]
pub async fn list_foods(
    State(state): State<LibraryState>,
    _principal: Principal,
    Query(params): Query<FoodParams>,
) -> Result<Json<Page<Food>>, AppError> {
    params.validate()?;
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor.clone(),
    };
    Ok(Json(
        state.catalog.foods(params.query(), page.parse()?).await?,
    ))
}

/// One food, with every nutrient per 100 g.
#[utoipa::path(get, path = "/library/foods/{id}", tag = TAG, operation_id = "getFood",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Food", body = Food)))]
pub async fn get_food(
    State(state): State<LibraryState>,
    _principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Food>, AppError> {
    Ok(Json(state.catalog.food(id).await?))
}

/// Nutrients, with units and published upper limits.
#[utoipa::path(get, path = "/library/nutrients", tag = TAG, operation_id = "listNutrients",
    security(("bearerAuth" = []), ("apiKey" = [])), params(SearchParams),
    responses((status = 200, description = "Nutrients", body = Page<Nutrient>)))]
pub async fn list_nutrients(
    State(state): State<LibraryState>,
    _principal: Principal,
    Query(params): Query<SearchParams>,
) -> Result<Json<Page<Nutrient>>, AppError> {
    let query = CatalogQuery {
        q: params.q.clone(),
        filters: Filters::default(),
    };
    let page = page(params.limit, &params.cursor)?;
    Ok(Json(state.catalog.nutrients(query, page).await?))
}

/// One nutrient.
#[utoipa::path(get, path = "/library/nutrients/{id}", tag = TAG, operation_id = "getNutrient",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Nutrient", body = Nutrient)))]
pub async fn get_nutrient(
    State(state): State<LibraryState>,
    _principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Nutrient>, AppError> {
    Ok(Json(state.catalog.nutrient(id).await?))
}

/// Single-nutrient supplements dosed at the adult RDA.
#[utoipa::path(get, path = "/library/supplements", tag = TAG, operation_id = "listSupplements",
    security(("bearerAuth" = []), ("apiKey" = [])), params(SupplementParams),
    responses((status = 200, description = "Supplements", body = Page<Supplement>)))]
pub async fn list_supplements(
    State(state): State<LibraryState>,
    _principal: Principal,
    Query(params): Query<SupplementParams>,
) -> Result<Json<Page<Supplement>>, AppError> {
    checked(|v| text_param(v, "nutrient", params.nutrient.as_ref()))?;
    let query = CatalogQuery {
        q: params.q.clone(),
        filters: Filters::default().maybe(
            "CAST(nutrients AS TEXT) LIKE ?",
            params.nutrient.as_deref().map(Bind::json_string),
        ),
    };
    let page = page(params.limit, &params.cursor)?;
    Ok(Json(state.catalog.supplements(query, page).await?))
}

/// One supplement.
#[utoipa::path(get, path = "/library/supplements/{id}", tag = TAG, operation_id = "getSupplement",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Supplement", body = Supplement)))]
pub async fn get_supplement(
    State(state): State<LibraryState>,
    _principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Supplement>, AppError> {
    Ok(Json(state.catalog.supplement(id).await?))
}

/// Exercises (wger): search by name or muscle, filter by muscle, equipment, level.
#[utoipa::path(get, path = "/library/exercises", tag = TAG, operation_id = "listExercises",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ExerciseParams),
    responses((status = 200, description = "Exercises", body = Page<Exercise>)))]
pub async fn list_exercises(
    State(state): State<LibraryState>,
    _principal: Principal,
    Query(params): Query<ExerciseParams>,
) -> Result<Json<Page<Exercise>>, AppError> {
    checked(|v| {
        text_param(v, "muscle", params.muscle.as_ref());
        text_param(v, "category", params.category.as_ref());
    })?;
    let filters = Filters::default()
        .maybe(
            "CAST(primary_muscles AS TEXT) || CAST(secondary_muscles AS TEXT) LIKE ?",
            params.muscle.as_deref().map(Bind::json_string),
        )
        .maybe(
            "CAST(equipment AS TEXT) LIKE ?",
            params.equipment.map(|e| Bind::json_string(e.as_str())),
        )
        .maybe(
            "level = ?",
            params.level.map(|l| Bind::Text(l.as_str().to_owned())),
        )
        .maybe(
            "lower(category) = lower(?)",
            params.category.clone().map(Bind::Text),
        );
    let query = CatalogQuery {
        q: params.q.clone(),
        filters,
    };
    let page = page(params.limit, &params.cursor)?;
    Ok(Json(state.catalog.exercises(query, page).await?))
}

/// One exercise.
#[utoipa::path(get, path = "/library/exercises/{id}", tag = TAG, operation_id = "getExercise",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Exercise", body = Exercise)))]
pub async fn get_exercise(
    State(state): State<LibraryState>,
    _principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Exercise>, AppError> {
    Ok(Json(state.catalog.exercise(id).await?))
}

/// Program templates: filter by goal, days per week, level.
#[utoipa::path(get, path = "/library/programs", tag = TAG, operation_id = "listPrograms",
    security(("bearerAuth" = []), ("apiKey" = [])), params(ProgramParams),
    responses((status = 200, description = "Programs", body = Page<Program>)))]
pub async fn list_programs(
    State(state): State<LibraryState>,
    _principal: Principal,
    Query(params): Query<ProgramParams>,
) -> Result<Json<Page<Program>>, AppError> {
    checked(|v| {
        v.check(
            params.days_per_week.is_none_or(|d| (1..=7).contains(&d)),
            "daysPerWeek",
            "must be between 1 and 7",
        );
    })?;
    let filters = Filters::default()
        .maybe(
            "goal = ?",
            params.goal.map(|g| Bind::Text(g.as_str().to_owned())),
        )
        .maybe(
            "days_per_week = ?",
            params.days_per_week.map(|d| Bind::Int(i64::from(d))),
        )
        .maybe(
            "level = ?",
            params.level.map(|l| Bind::Text(l.as_str().to_owned())),
        );
    let query = CatalogQuery {
        q: params.q.clone(),
        filters,
    };
    let page = page(params.limit, &params.cursor)?;
    Ok(Json(state.catalog.programs(query, page).await?))
}

/// One program template, with its sessions.
#[utoipa::path(get, path = "/library/programs/{id}", tag = TAG, operation_id = "getProgram",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "Program", body = Program)))]
pub async fn get_program(
    State(state): State<LibraryState>,
    _principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<Program>, AppError> {
    Ok(Json(state.catalog.program(id).await?))
}
