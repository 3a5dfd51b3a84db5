//! The recommender's `NutritionPort`, answered by the library's nutrition and meals.

use async_trait::async_trait;
use lifeos_kernel::StoreError;
use lifeos_kernel::page::PageRequest;
use lifeos_library::LibraryState;
use lifeos_library::error::LibraryError;
use lifeos_library::timed::DateRange;
use lifeos_recommender::ports::{NutritionFacts, NutritionPort};
use time::Date;
use uuid::Uuid;

use super::refused;

#[derive(Clone)]
pub struct NutritionAdapter {
    library: LibraryState,
}

impl NutritionAdapter {
    pub fn new(library: LibraryState) -> Self {
        Self { library }
    }
}

impl std::fmt::Debug for NutritionAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NutritionAdapter").finish_non_exhaustive()
    }
}

fn store_error(error: LibraryError) -> StoreError {
    match error {
        LibraryError::Store(error) => error,
        other => refused(other),
    }
}

impl NutritionAdapter {
    async fn ever_logged_a_meal(&self, user_id: Uuid) -> Result<bool, StoreError> {
        let first = PageRequest {
            limit: 1,
            after: None,
        };
        let meals = self
            .library
            .meals
            .list(user_id, DateRange::default(), first)
            .await
            .map_err(store_error)?;
        Ok(!meals.items.is_empty())
    }
}

#[async_trait]
impl NutritionPort for NutritionAdapter {
    async fn day(&self, user_id: Uuid, date: Date) -> Result<Option<NutritionFacts>, StoreError> {
        let day = self
            .library
            .nutrition
            .daily(user_id, Some(date))
            .await
            .map_err(store_error)?;
        if day.meals == 0 && day.targets.is_none() && !self.ever_logged_a_meal(user_id).await? {
            return Ok(None);
        }
        Ok(Some(NutritionFacts {
            meals_logged: day.meals,
            energy_kcal: day.energy_kcal,
            target_energy_kcal: day.targets.map(|t| t.energy_kcal),
            protein_g: day.protein_g,
            target_protein_g: day.targets.map(|t| t.protein_g),
            supplements_logged: day.supplement_logs,
        }))
    }
}
