//! The recommender's `GamificationPort`, answered by gamification's service.

use async_trait::async_trait;
use lifeos_gamification::SharedGamification;
use lifeos_gamification::error::GamificationError;
use lifeos_gamification::model::CompleteNode;
use lifeos_kernel::{AppError, StoreError, Timestamp};
use lifeos_recommender::ports::{Completed, GamificationPort, Progress};
use uuid::Uuid;

use super::refused;

#[derive(Clone)]
pub struct GamificationAdapter {
    service: SharedGamification,
}

impl GamificationAdapter {
    pub fn new(service: SharedGamification) -> Self {
        Self { service }
    }
}

impl std::fmt::Debug for GamificationAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GamificationAdapter")
            .finish_non_exhaustive()
    }
}

pub(crate) fn store_error(error: GamificationError) -> StoreError {
    match error {
        GamificationError::Store(error) => error,
        other => refused(other),
    }
}

/// Counts the ledger keeps as `i64` but the port as `u32`; never negative in practice.
fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

#[async_trait]
impl GamificationPort for GamificationAdapter {
    /// The stats as of gamification's own clock, which is the one `now` came from.
    async fn progress(&self, user_id: Uuid, _now: Timestamp) -> Result<Progress, StoreError> {
        let stats = self.service.stats(user_id).await.map_err(store_error)?;
        Ok(Progress {
            streak_days: count(stats.current_streak),
            active_today: stats.completions_today > 0,
            level: count(stats.level),
            xp: stats.xp,
        })
    }

    /// A fresh request (no client id, now, today): what a tap on "done" means. Its
    /// refusals are the completion route's, status and code alike.
    async fn complete(&self, user_id: Uuid, node_id: Uuid) -> Result<Completed, AppError> {
        let completed = self
            .service
            .complete(user_id, node_id, CompleteNode::default())
            .await
            .map_err(AppError::from)?;
        Ok(Completed {
            completion_id: completed.outcome.completion.id,
            xp_awarded: completed.outcome.xp_awarded,
        })
    }
}
