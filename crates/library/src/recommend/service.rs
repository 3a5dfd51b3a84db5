//! Program and nutrition recommendations: pure rules over data: the use cases.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::Db;

#[async_trait]
pub trait RecommendationsService: Send + Sync {}

pub type SharedRecommendations = Arc<dyn RecommendationsService>;

#[derive(Clone)]
pub struct Recommendations {
    #[allow(dead_code)]
    db: Db,
}

impl Recommendations {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl RecommendationsService for Recommendations {}
