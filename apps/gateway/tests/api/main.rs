//! Black-box tests of the whole API, each run on SQLite and (with TEST_DATABASE_URL)
//! on PostgreSQL.

mod account;
mod auth;
mod common;
mod contract;
mod day_types;
mod hikes;
mod isolation;
mod readiness;
mod robustness;
mod tracking_privacy;
mod vehicles;
