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
pub use service::{Brake, BrakeService, ConsentListener, SharedBrake};
pub use user_data::TABLES;

/// The former name of [`Brake`].
pub type SqlBrake = Brake; // TEMP alias for the gateway

/// The brake's tables (after the platform set).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "brake",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}
