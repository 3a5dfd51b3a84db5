//! Black-box tests of the whole API, each run on SQLite and (with TEST_DATABASE_URL)
//! on PostgreSQL.

mod account;
mod auth;
mod brake;
mod common;
mod contract;
mod day_types;
mod docs;
mod habits;
mod hikes;
mod isolation;
mod plans;
mod readiness;
mod robustness;
mod time_entries;
mod tracking_privacy;
mod vehicles;
