//! Workouts: sessions, sets, and progress per exercise

pub mod http;
pub mod service;

pub use service::{SharedWorkouts, Workouts, WorkoutsService};
