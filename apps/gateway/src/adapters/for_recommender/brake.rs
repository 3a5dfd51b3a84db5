//! The recommender's `BrakePort`, answered by the brake.

use async_trait::async_trait;
use lifeos_kernel::{StoreError, Timestamp};
use lifeos_recommender::ports::{BrakeFacts, BrakePort};
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct BrakeAdapter;

#[async_trait]
impl BrakePort for BrakeAdapter {
    async fn facts(&self, _user_id: Uuid, _now: Timestamp) -> Result<BrakeFacts, StoreError> {
        Ok(BrakeFacts::default())
    }
}
