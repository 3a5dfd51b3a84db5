#![doc = include_str!("../README.md")]

pub mod baseline;
pub mod classify;
pub mod error;
pub mod http;
pub mod machine;
pub mod model;
pub mod service;
pub mod store;
pub mod user_data;
pub mod validate;

use lifeos_kernel::migrate::MigrationSet;

pub use error::{BrakeError, CODES};
pub use http::router;
pub use service::{
    Brake, BrakeService, CalendarRefresh, CalendarRefreshSlot, ConsentListener, EventSync,
    EventsSynced, SharedBrake,
};
pub use user_data::TABLES;

/// The OpenAPI tags of the brake's operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[(
    "brake",
    "The 7-day decision brake: HRV, high-stakes events, decisions, reflections",
)];

/// The brake's tables (after the platform set).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "brake",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}
