//! The `lifeos` gateway: configuration, composition, middleware, OpenAPI, CLI.
//! Thin by design: business rules live in the domain crates.

pub mod app;
pub mod config;
pub mod health;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod telemetry;
