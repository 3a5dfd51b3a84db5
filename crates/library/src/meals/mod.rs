//! Meals: what a person ate, from library foods or free text

pub mod http;
pub mod service;

pub use service::{Meals, MealsService, SharedMeals};
