//! Program and nutrition recommendations: pure rules over data. The rules are rows of
//! `recommendation_rules` (seed file `recommendation_rules.json`), parsed by [`rules`];
//! [`programs`] and [`nutrition`] are pure functions over those rules and the request.
//! Nothing a person sends here is stored.

pub mod http;
pub mod nutrition;
pub mod programs;
pub mod rules;
pub mod service;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::{Equipment, Level, NutritionGoal, NutritionTemplate, Program, TrainingGoal};

pub use service::{Recommendations, RecommendationsService, SharedRecommendations};

/// Bounds of a program request, checked in [`programs::validate`].
pub const DAYS_PER_WEEK: std::ops::RangeInclusive<u32> = 1..=7;
pub const MINUTES_PER_SESSION: std::ops::RangeInclusive<u32> = 10..=240;
/// Mifflin-St Jeor was fitted on adults of ordinary size: outside these bounds its
/// answer is not worth giving.
pub const WEIGHT_KG: std::ops::RangeInclusive<f64> = 30.0..=300.0;
pub const HEIGHT_CM: std::ops::RangeInclusive<f64> = 120.0..=230.0;
pub const AGE_YEARS: std::ops::RangeInclusive<u32> = 18..=100;

/// What a person can train with, for the program recommender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::ProgramRecommendationRequest)]
pub struct ProgramRequest {
    pub goal: TrainingGoal,
    /// Days a week the person can train.
    #[schema(minimum = 1, maximum = 7)]
    pub days_per_week: u32,
    /// The equipment at hand; `none` (or an empty list) means bodyweight only.
    #[schema(max_items = 13)]
    pub equipment: Vec<Equipment>,
    pub experience: Level,
    /// The longest session the person can fit in, in minutes.
    #[schema(minimum = 10, maximum = 240)]
    pub minutes_per_session: Option<u32>,
}

lifeos_kernel::text_enum! {
    /// What a rule did to a program.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::ReasonEffect)]
    pub enum Effect {
        /// The rule is fully met.
        Matched = "matched",
        /// The rule is partly met or not met: the score is lower for it.
        Penalised = "penalised",
        /// A hard constraint the program fails: it is not recommended.
        Cut = "cut",
    }
}

/// Why a program scored as it did: one rule's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::RecommendationReason)]
pub struct Reason {
    /// The rule's code (a row of `recommendation_rules`).
    #[schema(example = "programs.goal_match")]
    pub rule: String,
    pub effect: Effect,
    /// A sentence a person can read.
    pub detail: String,
}

/// A program that passed every hard constraint, with its score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::RankedProgram)]
pub struct RankedProgram {
    pub program: Program,
    /// The weighted share of the scoring rules met, 0..1 (three decimals).
    #[schema(minimum = 0, maximum = 1)]
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// A program a hard constraint cut, with the constraints it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::ExcludedProgram)]
pub struct ExcludedProgram {
    pub program_id: Uuid,
    pub name: String,
    pub reasons: Vec<Reason>,
}

/// Ranked program templates (best first; ties by name) and the ones cut.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::ProgramRecommendations)]
pub struct ProgramRecommendations {
    pub programs: Vec<RankedProgram>,
    /// By name.
    pub excluded: Vec<ExcludedProgram>,
}

lifeos_kernel::text_enum! {
    /// Sex, as the energy equation distinguishes it.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::Sex)]
    pub enum Sex {
        Male = "male",
        Female = "female",
    }
}

lifeos_kernel::text_enum! {
    /// How active a person is, for the activity factor.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::ActivityLevel)]
    pub enum ActivityLevel {
        /// Little or no exercise (1.2).
        Sedentary = "sedentary",
        /// Light exercise 1-3 days a week (1.375).
        Light = "light",
        /// Moderate exercise 3-5 days a week (1.55).
        Moderate = "moderate",
        /// Hard exercise 6-7 days a week (1.725).
        Active = "active",
        /// Very hard exercise or physical work (1.9).
        VeryActive = "very_active",
    }
}

/// A person, for the nutrition recommender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::NutritionRecommendationRequest)]
pub struct NutritionRequest {
    pub goal: NutritionGoal,
    #[schema(minimum = 30, maximum = 300, example = 80)]
    pub weight_kg: f64,
    #[schema(minimum = 120, maximum = 230, example = 180)]
    pub height_cm: f64,
    /// Years; the equation is for adults.
    #[schema(minimum = 18, maximum = 100, example = 30)]
    pub age: u32,
    pub sex: Sex,
    pub activity_level: ActivityLevel,
}

/// Daily energy and macronutrient targets, with the arithmetic that gave them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::NutritionRecommendation)]
pub struct NutritionAdvice {
    /// Basal metabolic rate (Mifflin-St Jeor), whole kcal.
    pub bmr_kcal: f64,
    pub activity_factor: f64,
    /// BMR × activity factor, whole kcal.
    pub maintenance_kcal: f64,
    /// Maintenance adjusted for the goal, whole kcal: the daily target.
    pub energy_kcal: f64,
    /// The fraction of maintenance added (+) or taken (-) for the goal.
    pub adjustment: f64,
    /// Whole grams a day.
    pub protein_g: f64,
    pub fat_g: f64,
    pub carbs_g: f64,
    /// The calculation with the person's numbers filled in.
    pub formula: String,
    /// The codes of the rules applied.
    pub rules: Vec<String>,
    /// The library's nutrition templates for the goal.
    pub templates: Vec<NutritionTemplate>,
}
