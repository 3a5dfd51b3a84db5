#![doc = include_str!("../README.md")]

pub mod error;
pub mod http;
pub mod lockout;
pub mod mailer;
pub mod model;
pub mod pages;
pub mod password;
pub mod service;
pub mod session_cache;
pub mod store;
pub mod tokens;
pub mod user_data;

pub use error::{CODES, IdentityError};
pub use http::router;
pub use service::{
    Identity, IdentityConfig, IdentityDeps, IdentityService, NewAccount, RegistrationPolicy,
    SharedIdentity,
};
pub use session_cache::SessionCache;
pub use store::{IdentityStore, SqlIdentityStore, UserCreation};
pub use user_data::TABLES;

use lifeos_kernel::migrate::MigrationSet;

/// The OpenAPI tags of identity's operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[
    (http::TAG_AUTH, "Accounts, sessions, e-mail links"),
    (
        http::TAG_ACCOUNT,
        "Profile, API keys, consents, export and erasure",
    ),
];

/// Identity's tables (after the platform set).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "identity",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}
