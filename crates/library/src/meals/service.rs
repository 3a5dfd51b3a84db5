//! Meals' use cases: each opens its transaction, checks the request (its own rules, then
//! the library foods it names), calls the store and answers with the computed totals.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{Db, FieldError, SharedClock, Timestamp, Tx, sync_row};
use uuid::Uuid;

use super::{Meal, MealItem, MealPatch, MealValues, NewMeal, StoredMeal, store, validate_meal};
use crate::catalog::FoodFacts;
use crate::catalog::store::food_facts;
use crate::error::{LibraryError, Result};
use crate::nutrition::daily::meal_totals;
use crate::timed::{DateRange, TimeCursor, clock_of, time_range};

#[async_trait]
pub trait MealsService: Send + Sync {
    /// The user's meals eaten on the local dates `range` (inclusive), by time.
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<TimeCursor>,
    ) -> Result<Page<Meal>>;
    async fn create(&self, user_id: Uuid, input: NewMeal) -> Result<Meal>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Meal>;
    async fn update(&self, user_id: Uuid, id: Uuid, patch: MealPatch) -> Result<Meal>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
}

pub type SharedMeals = Arc<dyn MealsService>;

#[derive(Clone)]
pub struct Meals {
    db: Db,
    clock: SharedClock,
}

impl Meals {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const NOT_FOUND: LibraryError = LibraryError::NotFound("meal");
const NOT_A_FOOD: &str = "is not a food in the library";

/// A meal's values as stored: the name and the text items trimmed.
fn normalised(mut values: MealValues) -> MealValues {
    values.name = values.name.map(|name| name.trim().to_owned());
    for item in &mut values.items {
        if let MealItem::Text(text) = item {
            text.text = text.text.trim().to_owned();
        }
    }
    values
}

/// The library foods `meals` name, looked up once.
pub(crate) async fn foods_of<'a>(
    tx: &mut Tx,
    meals: impl IntoIterator<Item = &'a MealValues>,
) -> Result<HashMap<Uuid, FoodFacts>> {
    let mut ids: Vec<Uuid> = meals
        .into_iter()
        .flat_map(|meal| meal.items.iter().filter_map(MealItem::food_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(food_facts(tx, &ids).await?)
}

/// Every food item must name a food of the library; the foods, for the totals.
async fn checked_foods(tx: &mut Tx, values: &MealValues) -> Result<HashMap<Uuid, FoodFacts>> {
    let foods = foods_of(tx, [values]).await?;
    let errors: Vec<FieldError> = values
        .items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.food_id().is_some_and(|id| !foods.contains_key(&id)))
        .map(|(n, _)| FieldError {
            field: format!("items[{n}].foodId"),
            message: NOT_A_FOOD.to_owned(),
        })
        .collect();
    if errors.is_empty() {
        Ok(foods)
    } else {
        Err(LibraryError::Invalid(errors))
    }
}

/// The meal as the API shows it: with its totals, each to 0.01.
fn view(meal: StoredMeal, foods: &HashMap<Uuid, FoodFacts>) -> Meal {
    let totals = meal_totals(&meal.values.items, foods).rounded();
    Meal {
        id: meal.id,
        eaten_at: meal.values.eaten_at,
        name: meal.values.name,
        items: meal.values.items,
        notes: meal.values.notes,
        energy_kcal: totals.energy_kcal,
        protein_g: totals.protein_g,
        fat_g: totals.fat_g,
        carbs_g: totals.carbs_g,
        version: meal.version,
        created_at: meal.created_at,
        updated_at: meal.updated_at,
    }
}

/// Logs a meal in `tx` at `now`: REST's create and sync's share it.
pub(crate) async fn create_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewMeal,
    now: Timestamp,
) -> Result<Meal> {
    let values = MealValues {
        eaten_at: input.eaten_at,
        name: input.name,
        items: input.items,
        notes: input.notes,
    };
    validate_meal(&values, now)?;
    let values = normalised(values);
    // The stamp first: it takes the user's write lock (ADR 0010); the insert itself
    // refuses a taken id.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let foods = checked_foods(tx, &values).await?;
    let id = sync_row::row_id(input.id);
    let meal = sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, &values).await)?
        .ok_or(LibraryError::IdConflict)?;
    Ok(view(meal, &foods))
}

/// Patches the user's live meal `id` in `tx` at `now`.
pub(crate) async fn update_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: MealPatch,
    now: Timestamp,
) -> Result<Meal> {
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?.values;
    let values = MealValues {
        eaten_at: patch.eaten_at.unwrap_or(current.eaten_at),
        name: patch.name.unwrap_or(current.name),
        items: patch.items.unwrap_or(current.items),
        notes: patch.notes.unwrap_or(current.notes),
    };
    validate_meal(&values, now)?;
    let values = normalised(values);
    let foods = checked_foods(tx, &values).await?;
    let meal = store::update(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(NOT_FOUND)?;
    Ok(view(meal, &foods))
}

/// Tombstones the user's live meal `id` in `tx` at `now`.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if store::delete(tx, user_id, id, stamp).await? {
        Ok(())
    } else {
        Err(NOT_FOUND)
    }
}

/// The user's live meal `id` as the API shows it, read in `tx`.
pub(crate) async fn get_in(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Meal>> {
    let Some(meal) = store::get(tx, user_id, id).await? else {
        return Ok(None);
    };
    let foods = foods_of(tx, [&meal.values]).await?;
    Ok(Some(view(meal, &foods)))
}

/// The user's live meals with a version in `(after, upto]`, oldest version first: one
/// query for the rows and one for the foods they name.
pub(crate) async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<Meal>> {
    let meals = store::live_between(tx, user_id, after, upto).await?;
    let foods = foods_of(tx, meals.iter().map(|m| &m.values)).await?;
    Ok(meals.into_iter().map(|meal| view(meal, &foods)).collect())
}

#[async_trait]
impl MealsService for Meals {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<TimeCursor>,
    ) -> Result<Page<Meal>> {
        let user = clock_of(&self.db, user_id).await?;
        let range = time_range(&user, range)?;
        // One snapshot: the page and its foods' values.
        let mut tx = self.db.begin_read().await?;
        let meals = store::list(&mut tx, user_id, range, &page).await?;
        let foods = foods_of(&mut tx, meals.items.iter().map(|m| &m.values)).await?;
        tx.commit().await?;
        Ok(meals.map(|meal| view(meal, &foods)))
    }

    async fn create(&self, user_id: Uuid, input: NewMeal) -> Result<Meal> {
        let mut tx = self.db.begin().await?;
        let meal = create_in(&mut tx, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        Ok(meal)
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Meal> {
        let mut tx = self.db.begin_read().await?;
        let meal = get_in(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(meal)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: MealPatch) -> Result<Meal> {
        let mut tx = self.db.begin().await?;
        let meal = update_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(meal)
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
