//! The canonical datasets: foods, nutrients, supplements, exercises, program and
//! nutrition templates, and the recommenders' rules. Global, read-only to users, every
//! row cited; loaded from the versioned seed files in `seed/data`.

pub mod http;
pub mod search;
pub mod seed;
pub mod service;
pub mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{Catalog, CatalogService, SharedCatalog};

lifeos_kernel::text_enum! {
    /// What a training program is for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::TrainingGoal)]
    pub enum TrainingGoal {
        Strength = "strength",
        Hypertrophy = "hypertrophy",
        Endurance = "endurance",
        General = "general",
    }
}

lifeos_kernel::text_enum! {
    /// Training experience, of a person or of the program written for them.
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
    )]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::Level)]
    pub enum Level {
        Beginner = "beginner",
        Intermediate = "intermediate",
        Advanced = "advanced",
    }
}

lifeos_kernel::text_enum! {
    /// Equipment an exercise or program needs (`none`: bodyweight).
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
    )]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::Equipment)]
    pub enum Equipment {
        Barbell = "barbell",
        Dumbbell = "dumbbell",
        Kettlebell = "kettlebell",
        Bench = "bench",
        InclineBench = "incline_bench",
        PullUpBar = "pull_up_bar",
        GymMat = "gym_mat",
        SwissBall = "swiss_ball",
        SzBar = "sz_bar",
        ResistanceBand = "resistance_band",
        Machine = "machine",
        Cable = "cable",
        None = "none",
    }
}

lifeos_kernel::text_enum! {
    /// What a nutrient's tolerable upper intake level counts.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::UpperLimitApplies)]
    pub enum UpperLimitApplies {
        /// Food and supplements together.
        Total = "total",
        /// Supplements and fortificants only (magnesium, niacin, folate, vitamin E).
        Supplemental = "supplemental",
    }
}

/// The catalog's kinds, as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Foods,
    Nutrients,
    Supplements,
    Exercises,
    Programs,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Foods,
        Kind::Nutrients,
        Kind::Supplements,
        Kind::Exercises,
        Kind::Programs,
    ];

    /// The table holding this kind's rows.
    pub fn table(self) -> &'static str {
        match self {
            Kind::Foods => "foods",
            Kind::Nutrients => "nutrients",
            Kind::Supplements => "supplements",
            Kind::Exercises => "exercises",
            Kind::Programs => "program_templates",
        }
    }

    /// The seed dataset its rows come from.
    pub fn dataset(self) -> &'static str {
        match self {
            Kind::Programs => "programs",
            other => other.table(),
        }
    }

    /// The singular, for "no such ..." answers.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Foods => "food",
            Kind::Nutrients => "nutrient",
            Kind::Supplements => "supplement",
            Kind::Exercises => "exercise",
            Kind::Programs => "program",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::Nutrient)]
pub struct Nutrient {
    pub id: Uuid,
    /// Stable code (IFCT 2017's), the key of every `nutrients` map.
    #[schema(example = "protcnt")]
    pub code: String,
    pub name: String,
    /// `g`, `mg`, `ug` or `kJ`.
    pub unit: String,
    /// The published daily tolerable upper intake level, in `unit`, where one exists.
    pub upper_limit: Option<f64>,
    pub upper_limit_applies: Option<UpperLimitApplies>,
    pub upper_limit_source: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::Food)]
pub struct Food {
    pub id: Uuid,
    /// IFCT 2017 food code.
    #[schema(example = "A001")]
    pub code: String,
    pub name: String,
    pub scientific_name: Option<String>,
    pub local_names: Option<String>,
    #[schema(example = "Cereals and Millets")]
    pub food_group: String,
    /// Per 100 g edible portion.
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub fat_g: f64,
    pub carbs_g: f64,
    pub fiber_g: Option<f64>,
    /// Nutrient code -> amount per 100 g, in the nutrient's unit.
    pub nutrients: BTreeMap<String, f64>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::Supplement)]
pub struct Supplement {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub form: String,
    /// What one serving is, e.g. `1 tablet`.
    pub serving: String,
    /// Nutrient code -> amount per serving, in the nutrient's unit.
    pub nutrients: BTreeMap<String, f64>,
    pub typical_dose: f64,
    pub dose_unit: String,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::Exercise)]
pub struct Exercise {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub category: Option<String>,
    pub primary_muscles: Vec<String>,
    pub secondary_muscles: Vec<String>,
    pub equipment: Vec<Equipment>,
    pub level: Option<Level>,
    pub mechanics: Option<String>,
    pub force: Option<String>,
    pub instructions: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::ProgramExercise)]
pub struct ProgramExercise {
    pub exercise_id: Uuid,
    pub exercise_code: String,
    pub name: String,
    pub sets: u32,
    pub reps: Option<u32>,
    pub duration_s: Option<u32>,
    pub rest_s: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::ProgramSession)]
pub struct ProgramSession {
    pub name: String,
    pub exercises: Vec<ProgramExercise>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::Program)]
pub struct Program {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub goal: TrainingGoal,
    pub level: Level,
    pub days_per_week: u32,
    pub weeks: u32,
    pub minutes_per_session: Option<u32>,
    pub equipment: Vec<Equipment>,
    pub sessions: Vec<ProgramSession>,
    pub description: String,
    pub source: String,
}

lifeos_kernel::text_enum! {
    /// What a person wants from their eating.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::NutritionGoal)]
    pub enum NutritionGoal {
        Lose = "lose",
        Maintain = "maintain",
        Gain = "gain",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::NutritionTemplate)]
pub struct NutritionTemplate {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub goal: NutritionGoal,
    /// The fraction of maintenance energy added (+) or taken (-), e.g. -0.2.
    pub energy_adjustment: f64,
    /// Fractions of energy, summing to 1.
    pub protein_pct: f64,
    pub fat_pct: f64,
    pub carbs_pct: f64,
    pub description: String,
    pub source: String,
}

/// One recommender rule as data; its `rule` document is the recommender's to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RecommendationRule {
    pub id: Uuid,
    pub code: String,
    pub recommender: String,
    pub rule: serde_json::Value,
    pub description: String,
    pub source: String,
}

/// A food's values per 100 g, for meals and the day's totals.
#[derive(Debug, Clone, PartialEq)]
pub struct FoodFacts {
    pub id: Uuid,
    pub name: String,
    pub energy_kcal: f64,
    pub protein_g: f64,
    pub fat_g: f64,
    pub carbs_g: f64,
    pub nutrients: BTreeMap<String, f64>,
}

/// A supplement's values per serving, for supplement logs.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplementFacts {
    pub id: Uuid,
    pub name: String,
    pub serving: String,
    pub nutrients: BTreeMap<String, f64>,
    pub typical_dose: f64,
    pub dose_unit: String,
}
