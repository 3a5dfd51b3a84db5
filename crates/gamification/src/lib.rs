#![doc = include_str!("../README.md")]

pub mod badges;
pub mod error;
#[cfg(test)]
mod fixtures;
pub mod http;
pub mod levels;
pub mod model;
pub mod ports;
pub mod rest;
pub mod rules;
pub mod service;
pub mod store;
pub mod streak;
pub mod strength;
pub mod summary;
pub mod sync;
pub mod user_data;
pub mod window;

use lifeos_kernel::migrate::MigrationSet;

pub use error::{CODES, GamificationError};
pub use http::router;
pub use service::{ActivityListener, Gamification, GamificationService, SharedGamification};
pub use user_data::TABLES;

/// The OpenAPI tags of gamification's operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[(
    "gamification",
    "Completions, XP and levels, streaks, habit strength, badges",
)];

/// Gamification's tables (after the platform's and tracking's).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "gamification",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}
