//! The recommender's `NutritionPort`, answered by the library.

use async_trait::async_trait;
use lifeos_kernel::StoreError;
use lifeos_recommender::ports::{NutritionFacts, NutritionPort};
use time::Date;
use uuid::Uuid;

#[derive(Debug, Clone, Default)]
pub struct NutritionAdapter;

#[async_trait]
impl NutritionPort for NutritionAdapter {
    async fn day(&self, _user_id: Uuid, _date: Date) -> Result<Option<NutritionFacts>, StoreError> {
        Ok(None)
    }
}
