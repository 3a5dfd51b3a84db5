#![doc = include_str!("../README.md")]

pub mod catalog;
pub mod error;
pub mod meals;
pub mod nutrition;
pub mod recommend;
pub mod supplement_logs;
pub mod sync;
pub mod timed;
pub mod user_data;
pub mod workouts;

use std::sync::Arc;

use axum::extract::FromRef;
use lifeos_kernel::migrate::MigrationSet;
use lifeos_kernel::{Db, SharedClock};
use utoipa_axum::router::OpenApiRouter;

pub use catalog::seed::{LoadMode, LoadReport, load_seed};
pub use error::{CODES, LibraryError};
pub use user_data::TABLES;

use catalog::{Catalog, SharedCatalog};
use meals::{Meals, SharedMeals};
use nutrition::{Nutrition, SharedNutrition};
use recommend::{Recommendations, SharedRecommendations};
use supplement_logs::{SharedSupplementLogs, SupplementLogs};
use workouts::{SharedWorkouts, Workouts};

/// The library's services, handed to its routes by the app state.
#[derive(Clone)]
pub struct LibraryState {
    pub catalog: SharedCatalog,
    pub meals: SharedMeals,
    pub supplement_logs: SharedSupplementLogs,
    pub workouts: SharedWorkouts,
    pub nutrition: SharedNutrition,
    pub recommendations: SharedRecommendations,
}

impl LibraryState {
    /// The SQL-backed services on one database.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self {
            catalog: Arc::new(Catalog::new(db.clone())),
            meals: Arc::new(Meals::new(db.clone(), clock.clone())),
            supplement_logs: Arc::new(SupplementLogs::new(db.clone(), clock.clone())),
            workouts: Arc::new(Workouts::new(db.clone(), clock.clone())),
            nutrition: Arc::new(Nutrition::new(db.clone(), clock.clone())),
            recommendations: Arc::new(Recommendations::new(db)),
        }
    }
}

/// The OpenAPI tags of the library's operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[
    (
        "library",
        "Canonical foods, nutrients, supplements, exercises and programs (cited data)",
    ),
    ("meals", "Meals, from library foods or free text"),
    (
        "supplements",
        "Supplement intake, with upper-limit warnings",
    ),
    ("workouts", "Workout sessions, sets and progress"),
    ("nutrition", "A day's nutrition and the person's targets"),
    (
        "recommendations",
        "Rule-based program and nutrition recommendations, explained",
    ),
];

/// The library's tables (after the platform's).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "library",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}

/// The library's routes, for any app state that can hand out [`LibraryState`].
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    LibraryState: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(catalog::http::routes())
        .merge(meals::http::routes())
        .merge(supplement_logs::http::routes())
        .merge(workouts::http::routes())
        .merge(nutrition::http::routes())
        .merge(recommend::http::routes())
}
