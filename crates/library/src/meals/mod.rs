//! Meals: what a person ate, from library foods (by weight) or free text (with the values
//! the person knows), each read back with its computed totals.

pub mod http;
pub mod service;
pub mod store;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{Meals, MealsService, SharedMeals};
pub use validate::validate_meal;

/// A weighed portion of a library food.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::MealFoodItem)]
pub struct FoodItem {
    /// A food of the library (`GET /api/v1/library/foods`).
    pub food_id: Uuid,
    /// The edible portion eaten, 0 < grams <= 5000.
    #[schema(example = 150, exclusive_minimum = 0, maximum = 5000)]
    pub grams: f64,
}

/// Something eaten that is not in the library, with whatever values the person knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::MealTextItem)]
pub struct TextItem {
    #[schema(example = "Slice of birthday cake", min_length = 1, max_length = 200)]
    pub text: String,
    #[schema(minimum = 0, maximum = 10000)]
    pub energy_kcal: Option<f64>,
    #[schema(minimum = 0, maximum = 1000)]
    pub protein_g: Option<f64>,
    #[schema(minimum = 0, maximum = 1000)]
    pub fat_g: Option<f64>,
    #[schema(minimum = 0, maximum = 1000)]
    pub carbs_g: Option<f64>,
}

/// One item of a meal: a library food by weight, or free text. Told apart by their
/// fields (`foodId` and `grams`, or `text`); a body of neither shape is a 422.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(
    untagged,
    expecting = "must be a food item {foodId, grams} or a text item {text, energyKcal?, proteinG?, fatG?, carbsG?}, with no other fields"
)]
#[schema(as = library::MealItem)]
pub enum MealItem {
    Food(FoodItem),
    Text(TextItem),
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::Meal)]
pub struct Meal {
    pub id: Uuid,
    pub eaten_at: Timestamp,
    pub name: Option<String>,
    pub items: Vec<MealItem>,
    pub notes: Option<String>,
    /// Computed: library foods' values per 100 g × grams / 100, plus the text items' given
    /// values (rounded to 0.01).
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub fat_g: f64,
    pub carbs_g: f64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::NewMeal)]
pub struct NewMeal {
    pub id: Option<Uuid>,
    /// Not more than a minute in the future.
    pub eaten_at: Timestamp,
    #[schema(example = "Lunch", min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// 1 to 50 items.
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<MealItem>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::MealPatch)]
pub struct MealPatch {
    pub eaten_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub name: Option<Option<String>>,
    /// Replaces the whole list.
    #[schema(min_items = 1, max_items = 50)]
    pub items: Option<Vec<MealItem>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// A meal's values, for insert and update alike.
#[derive(Debug, Clone, PartialEq)]
pub struct MealValues {
    pub eaten_at: Timestamp,
    pub name: Option<String>,
    pub items: Vec<MealItem>,
    pub notes: Option<String>,
}

/// A meal as stored: everything but the computed totals.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMeal {
    pub id: Uuid,
    pub values: MealValues,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl MealItem {
    /// The library food this item names, if it is a food item.
    pub fn food_id(&self) -> Option<Uuid> {
        match self {
            MealItem::Food(food) => Some(food.food_id),
            MealItem::Text(_) => None,
        }
    }
}
