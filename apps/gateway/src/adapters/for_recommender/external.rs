//! The recommender's `ExternalPort`, answered by integrations (Todoist's open tasks, and
//! connections that need signing in again).

use async_trait::async_trait;
use lifeos_integrations::oauth::Provider;
use lifeos_integrations::todoist::TodoistTask;
use lifeos_integrations::{IntegrationsError, IntegrationsState};
use lifeos_kernel::{AppError, StoreError, Timestamp};
use lifeos_recommender::ports::{ExternalFacts, ExternalPort, ExternalTask};
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

/// Todoist's priority 1 (normal, "p4") ..= 4 (urgent, "p1") as the port's 0..=1.
fn priority(todoist: u8) -> f64 {
    f64::from(todoist.clamp(1, 4) - 1) / 3.0
}

fn task(task: TodoistTask) -> ExternalTask {
    ExternalTask {
        provider: Provider::Todoist.as_str().to_owned(),
        id: task.id,
        title: task.content,
        // The project's id: enough to keep one project from filling every slot, without
        // a second request for names no tip shows.
        project: task.project_id,
        due_on: task.due_on,
        priority: priority(task.priority),
    }
}

#[async_trait]
impl ExternalPort for ExternalAdapter {
    async fn facts(&self, user_id: Uuid, _now: Timestamp) -> Result<ExternalFacts, StoreError> {
        // Tasks first: a refusal they meet marks the connection, and the same decision
        // then offers to reconnect.
        let tasks = match self.integrations.todoist.open_tasks(user_id).await {
            Ok(tasks) => tasks.into_iter().map(task).collect(),
            Err(
                IntegrationsError::NotConnected(_)
                | IntegrationsError::ReconnectRequired(_)
                | IntegrationsError::ProviderNotConfigured(_),
            ) => Vec::new(),
            Err(IntegrationsError::Store(error)) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, "Todoist's tasks could not be read");
                Vec::new()
            }
        };
        let reconnect = match self
            .integrations
            .connections
            .needing_reconnect(user_id)
            .await
        {
            Ok(providers) => providers
                .into_iter()
                .map(|p| (p.as_str().to_owned(), p.display_name().to_owned()))
                .collect(),
            Err(IntegrationsError::Store(error)) => return Err(error),
            Err(error) => {
                tracing::warn!(%error, "connections needing attention could not be read");
                Vec::new()
            }
        };
        Ok(ExternalFacts { tasks, reconnect })
    }

    async fn complete(&self, user_id: Uuid, provider: &str, task_id: &str) -> Result<(), AppError> {
        match Provider::parse(provider) {
            Some(Provider::Todoist) => self
                .integrations
                .todoist
                .close(user_id, task_id)
                .await
                .map_err(AppError::from),
            _ => Err(AppError::not_found("task")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn todoist_p1_is_the_top_of_the_ports_scale() {
        assert_eq!(priority(4), 1.0);
        assert_eq!(priority(1), 0.0);
        assert!((priority(3) - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(priority(0), 0.0, "out of range is clamped");
    }
}
