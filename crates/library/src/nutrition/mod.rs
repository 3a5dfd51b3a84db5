//! A day's nutrition and the person's saved targets

pub mod http;
pub mod service;

pub use service::{Nutrition, NutritionService, SharedNutrition};
