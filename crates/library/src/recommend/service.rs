//! Program and nutrition recommendations: the use cases. Each checks the request, reads
//! the templates and the rules in one read transaction, and hands them to the pure
//! recommender. Nothing is stored.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::Db;

use super::{
    NutritionAdvice, NutritionRequest, ProgramRecommendations, ProgramRequest, nutrition, programs,
    rules,
};
use crate::catalog::store;
use crate::error::Result;

#[async_trait]
pub trait RecommendationsService: Send + Sync {
    /// The program templates ranked for the request, and the ones cut, with reasons.
    async fn programs(&self, request: ProgramRequest) -> Result<ProgramRecommendations>;
    /// Daily energy and macronutrient targets, and the templates for the goal.
    async fn nutrition(&self, request: NutritionRequest) -> Result<NutritionAdvice>;
}

pub type SharedRecommendations = Arc<dyn RecommendationsService>;

#[derive(Clone)]
pub struct Recommendations {
    db: Db,
}

impl Recommendations {
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

#[async_trait]
impl RecommendationsService for Recommendations {
    async fn programs(&self, request: ProgramRequest) -> Result<ProgramRecommendations> {
        programs::validate(&request)?;
        let mut tx = self.db.begin_read().await?;
        let templates = store::programs_all(&mut tx).await?;
        let rows = store::rules_for(&mut tx, "programs").await?;
        tx.commit().await?;
        let rules = rules::program_rules(&rows)?;
        Ok(programs::rank(&rules, &request, templates))
    }

    async fn nutrition(&self, request: NutritionRequest) -> Result<NutritionAdvice> {
        nutrition::validate(&request)?;
        let mut tx = self.db.begin_read().await?;
        let templates = store::nutrition_templates_all(&mut tx).await?;
        let rows = store::rules_for(&mut tx, "nutrition").await?;
        tx.commit().await?;
        let rules = rules::nutrition_rules(&rows)?;
        Ok(nutrition::recommend(&rules, &request, templates))
    }
}
