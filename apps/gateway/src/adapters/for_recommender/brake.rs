//! The recommender's `BrakePort`, answered by the brake's store and state.

use async_trait::async_trait;
use lifeos_kernel::page::PageRequest;
use lifeos_kernel::{Db, StoreError, Timestamp};
use lifeos_omtobe_brake::machine::Decision;
use lifeos_omtobe_brake::{BrakeError, SharedBrake, store};
use lifeos_recommender::ports::{BrakeFacts, BrakePort};
use uuid::Uuid;

use super::refused;

/// The newest decisions looked through for the last Delay: the recommender only cares
/// about one within hours, and nobody decides a hundred times in that while.
const RECENT_DECISIONS: u32 = 100;

#[derive(Clone)]
pub struct BrakeAdapter {
    db: Db,
    brake: SharedBrake,
}

impl BrakeAdapter {
    pub fn new(db: Db, brake: SharedBrake) -> Self {
        Self { db, brake }
    }
}

impl std::fmt::Debug for BrakeAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BrakeAdapter").finish_non_exhaustive()
    }
}

fn store_error(error: BrakeError) -> StoreError {
    match error {
        BrakeError::Store(error) => error,
        other => refused(other),
    }
}

impl BrakeAdapter {
    /// The last Delay among the recent decisions (newest first).
    async fn last_delay_at(&self, user_id: Uuid) -> Result<Option<Timestamp>, StoreError> {
        let recent = PageRequest {
            limit: RECENT_DECISIONS,
            after: None,
        };
        let decisions = self
            .brake
            .decisions(user_id, recent)
            .await
            .map_err(store_error)?;
        Ok(decisions
            .items
            .iter()
            .find(|d| d.decision_type == Decision::Delay)
            .map(|d| d.timestamp))
    }
}

#[async_trait]
impl BrakePort for BrakeAdapter {
    async fn facts(&self, user_id: Uuid, now: Timestamp) -> Result<BrakeFacts, StoreError> {
        let mut read = self.db.read().await?;
        let in_event = store::active_event(&mut read, user_id, now)
            .await?
            .is_some();
        let started = store::state(&mut read, user_id).await?.is_some();
        read.commit().await?;
        // Without a stored state the brake shows a cycle starting today, but none runs.
        let cycle_day = if started {
            Some(
                self.brake
                    .state(user_id)
                    .await
                    .map_err(store_error)?
                    .current_day,
            )
        } else {
            None
        };
        Ok(BrakeFacts {
            in_high_stakes_event: in_event,
            last_delay_at: self.last_delay_at(user_id).await?,
            cycle_day,
        })
    }
}
