//! The recommender's `PlansPort`, answered by tracking (and gamification for habit strength).

use async_trait::async_trait;
use lifeos_kernel::{StoreError, Timestamp};
use lifeos_recommender::ports::{PlansPort, PlansToday};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct PlansAdapter;

#[async_trait]
impl PlansPort for PlansAdapter {
    async fn today(
        &self,
        _user_id: Uuid,
        _date: Date,
        _now: Timestamp,
    ) -> Result<PlansToday, StoreError> {
        Ok(PlansToday::default())
    }
}
