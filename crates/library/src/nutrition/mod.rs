//! A day's nutrition (from its meals and supplements, on the user's local day) and the
//! person's saved daily targets.

pub mod daily;
pub mod http;
pub mod service;
pub mod store;

use std::collections::BTreeMap;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{Nutrition, NutritionService, SharedNutrition};

use crate::supplement_logs::UpperLimitWarning;

/// Daily energy and macronutrient targets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::NutritionTargetValues)]
pub struct TargetValues {
    #[schema(example = 2200, exclusive_minimum = 0, maximum = 10000)]
    pub energy_kcal: f64,
    #[schema(example = 140, minimum = 0, maximum = 1000)]
    pub protein_g: f64,
    #[schema(example = 70, minimum = 0, maximum = 1000)]
    pub fat_g: f64,
    #[schema(example = 250, minimum = 0, maximum = 1000)]
    pub carbs_g: f64,
}

/// A change to the saved targets, for sync: the fields given replace the saved ones (a
/// whole `PUT` body is one such patch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::NutritionTargetPatch)]
pub struct TargetPatch {
    #[schema(exclusive_minimum = 0, maximum = 10000)]
    pub energy_kcal: Option<f64>,
    #[schema(minimum = 0, maximum = 1000)]
    pub protein_g: Option<f64>,
    #[schema(minimum = 0, maximum = 1000)]
    pub fat_g: Option<f64>,
    #[schema(minimum = 0, maximum = 1000)]
    pub carbs_g: Option<f64>,
}

/// The person's saved targets (one per person; a PUT replaces them).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::NutritionTargets)]
pub struct NutritionTargets {
    pub id: Uuid,
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub fat_g: f64,
    pub carbs_g: f64,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl NutritionTargets {
    pub fn values(&self) -> TargetValues {
        TargetValues {
            energy_kcal: self.energy_kcal,
            protein_g: self.protein_g,
            fat_g: self.fat_g,
            carbs_g: self.carbs_g,
        }
    }
}

/// A local day's nutrition.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::DailyNutrition)]
pub struct DailyNutrition {
    /// The user's local date.
    pub date: Date,
    /// From the meals: library foods' values per 100 g × grams / 100, plus the text
    /// items' given values (each to 0.01).
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub fat_g: f64,
    pub carbs_g: f64,
    /// Nutrient code -> the day's amount in the nutrient's unit, from the meals' library
    /// foods and the supplements taken (`GET /api/v1/library/nutrients`).
    pub nutrients: BTreeMap<String, f64>,
    /// The saved targets, if any.
    pub targets: Option<TargetValues>,
    /// How many meals the day holds.
    pub meals: u32,
    /// How many supplement logs the day holds.
    pub supplement_logs: u32,
    /// Every nutrient whose day total passes its published upper limit.
    pub warnings: Vec<UpperLimitWarning>,
}
