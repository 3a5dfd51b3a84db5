//! Program and nutrition recommendations: pure rules over data

pub mod http;
pub mod service;

pub use service::{Recommendations, RecommendationsService, SharedRecommendations};
