//! The recommender's `GamificationPort`, answered by gamification's service.

use async_trait::async_trait;
use lifeos_kernel::{AppError, StoreError, Timestamp};
use lifeos_recommender::ports::{Completed, GamificationPort, Progress};
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct GamificationAdapter;

#[async_trait]
impl GamificationPort for GamificationAdapter {
    async fn progress(&self, _user_id: Uuid, _now: Timestamp) -> Result<Progress, StoreError> {
        Ok(Progress::default())
    }

    async fn complete(&self, _user_id: Uuid, _node_id: Uuid) -> Result<Completed, AppError> {
        Err(AppError::not_found("node"))
    }
}
