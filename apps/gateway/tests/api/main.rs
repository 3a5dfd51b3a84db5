//! Black-box tests of the whole API. Each database test is a `lifeos_kernel::dialect_test!`:
//! `<name>::sqlite` and `<name>::postgres` (the latter runs with TEST_DATABASE_URL set).

// Tests: a panic is a failed assertion (clippy.toml allows it in unit tests).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod account;
mod auth;
mod brake;
mod common;
mod concurrency;
mod contract;
mod day_types;
mod docs;
mod gamification_rules;
mod gamification_scenario;
mod habits;
mod hikes;
mod integrations_fakes;
mod integrations_google;
mod integrations_health;
mod integrations_ics;
mod integrations_oauth;
mod integrations_todoist;
mod integrations_vault;
mod isolation;
mod library_catalog;
mod library_logs;
mod library_recommend;
mod library_seed;
mod library_workouts;
mod nats_relay;
mod plans;
mod readiness;
mod recommend;
mod recommend_admin;
mod recommend_candidates;
mod recommend_push;
mod recommend_signals;
mod robustness;
mod schema;
mod session_cache;
mod sync_device;
mod sync_documents;
mod sync_entities_library;
mod sync_entities_plans;
mod sync_entities_tracking;
mod sync_events;
mod sync_property;
mod sync_pull;
mod sync_push;
mod sync_snapshot;
mod time_entries;
mod tracking_privacy;
mod vehicles;
