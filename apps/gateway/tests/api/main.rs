//! Black-box tests of the whole API, each run on SQLite and (with TEST_DATABASE_URL)
//! on PostgreSQL.

mod account;
mod auth;
mod common;
mod contract;
mod isolation;
mod readiness;
mod robustness;
