//! A day's nutrition and the person's saved targets: the use cases. [`load_day`] reads a
//! day's meals and supplement logs with the library values they need; supplement logs use
//! it too, for their upper-limit warnings.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::error::Validator;
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use time::Date;
use uuid::Uuid;

use super::daily::{DayIntake, day_intake};
use super::{DailyNutrition, NutritionTargets, TargetPatch, TargetValues, store};
use crate::catalog::Nutrient;
use crate::catalog::store::{nutrients, supplement_facts};
use crate::error::{LibraryError, Result};
use crate::meals::service::foods_of;
use crate::meals::store::eaten_between;
use crate::supplement_logs::limits::{dose_nutrients, passed_limits};
use crate::supplement_logs::store::taken_between;
use crate::timed::{clock_of, day_range};

#[async_trait]
pub trait NutritionService: Send + Sync {
    /// The local day `date` (default: the user's today): totals, nutrients, targets and
    /// the upper limits it passes.
    async fn daily(&self, user_id: Uuid, date: Option<Date>) -> Result<DailyNutrition>;
    /// Saves the user's targets (creating them or replacing the live ones).
    async fn put_targets(&self, user_id: Uuid, values: TargetValues) -> Result<NutritionTargets>;
    async fn get_targets(&self, user_id: Uuid) -> Result<NutritionTargets>;
}

pub type SharedNutrition = Arc<dyn NutritionService>;

#[derive(Clone)]
pub struct Nutrition {
    db: Db,
    clock: SharedClock,
}

impl Nutrition {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const NOT_FOUND: LibraryError = LibraryError::NotFound("nutrition targets");
pub const MAX_ENERGY_KCAL: f64 = 10_000.0;
pub const MAX_MACRO_G: f64 = 1000.0;

/// A day as read: what it holds, the nutrients (with their limits), how many logs.
pub(crate) struct LoadedDay {
    pub intake: DayIntake,
    pub nutrients: Vec<Nutrient>,
    pub supplement_logs: u32,
}

/// The user's meals and supplement logs in `[from, to)`, summed with the library's values.
pub(crate) async fn load_day(
    tx: &mut Tx,
    user_id: Uuid,
    from: Timestamp,
    to: Timestamp,
) -> Result<LoadedDay> {
    let meals = eaten_between(tx, user_id, from, to).await?;
    let foods = foods_of(tx, meals.iter().map(|m| &m.values)).await?;
    let logs = taken_between(tx, user_id, from, to).await?;
    let mut ids: Vec<Uuid> = logs.iter().map(|l| l.supplement_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let supplements = supplement_facts(tx, &ids).await?;
    let nutrients = nutrients(tx).await?;
    let units: HashMap<String, String> = nutrients
        .iter()
        .map(|n| (n.code.clone(), n.unit.clone()))
        .collect();
    // A stored dose was checked when it was written; one that no longer converts (its
    // supplement changed in a newer seed) counts nothing rather than failing the day.
    let doses = logs.iter().filter_map(|log| {
        let supplement = supplements.get(&log.supplement_id)?;
        dose_nutrients(supplement, log.amount, log.unit, &units).ok()
    });
    let intake = day_intake(meals.iter().map(|m| &m.values.items[..]), &foods, doses);
    Ok(LoadedDay {
        intake,
        nutrients,
        supplement_logs: u32::try_from(logs.len()).unwrap_or(u32::MAX),
    })
}

fn validate_targets(values: &TargetValues) -> Result<()> {
    let mut v = Validator::new();
    v.check(
        values.energy_kcal > 0.0 && values.energy_kcal <= MAX_ENERGY_KCAL,
        "energyKcal",
        format!("must be more than 0 and at most {MAX_ENERGY_KCAL}"),
    );
    for (field, grams) in [
        ("proteinG", values.protein_g),
        ("fatG", values.fat_g),
        ("carbsG", values.carbs_g),
    ] {
        v.check(
            (0.0..=MAX_MACRO_G).contains(&grams),
            field,
            format!("must be between 0 and {MAX_MACRO_G}"),
        );
    }
    v.finish().map_err(|e| LibraryError::Invalid(e.errors))
}

/// Saves the user's targets in `tx` at `now`, creating them or replacing the live ones:
/// `PUT /nutrition/targets`.
pub(crate) async fn put_in(
    tx: &mut Tx,
    user_id: Uuid,
    values: TargetValues,
    now: Timestamp,
) -> Result<NutritionTargets> {
    validate_targets(&values)?;
    // The stamp first: the user's write lock, so two PUTs cannot both insert.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    match store::of_user(tx, user_id).await? {
        Some(current) => store::update(tx, user_id, current.id, stamp, &values)
            .await?
            .ok_or(NOT_FOUND),
        None => {
            let id = sync_row::row_id(None);
            sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, &values).await)?
                .ok_or(LibraryError::IdConflict)
        }
    }
}

/// Saves the user's targets as row `id` (a device's own id for them), in `tx` at `now`.
/// Like a PUT, it replaces the live targets: when they have another id, that row is
/// tombstoned in the same version, so every device ends with the one row.
pub(crate) async fn replace_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    values: TargetValues,
    now: Timestamp,
) -> Result<NutritionTargets> {
    validate_targets(&values)?;
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if let Some(current) = store::of_user(tx, user_id).await? {
        if current.id == id {
            return store::update(tx, user_id, id, stamp, &values)
                .await?
                .ok_or(NOT_FOUND);
        }
        store::delete(tx, user_id, current.id, stamp).await?;
    }
    sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, &values).await)?
        .ok_or(LibraryError::IdConflict)
}

/// Patches the user's live targets `id` in `tx` at `now` (a PUT body is a whole patch).
pub(crate) async fn patch_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: TargetPatch,
    now: Timestamp,
) -> Result<NutritionTargets> {
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    let values = TargetValues {
        energy_kcal: patch.energy_kcal.unwrap_or(current.energy_kcal),
        protein_g: patch.protein_g.unwrap_or(current.protein_g),
        fat_g: patch.fat_g.unwrap_or(current.fat_g),
        carbs_g: patch.carbs_g.unwrap_or(current.carbs_g),
    };
    validate_targets(&values)?;
    store::update(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(NOT_FOUND)
}

/// Tombstones the user's live targets `id` in `tx` at `now`: REST has no delete, but a
/// device that clears its targets (or an import that replaces everything) must be able to.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if store::delete(tx, user_id, id, stamp).await? {
        Ok(())
    } else {
        Err(NOT_FOUND)
    }
}

#[async_trait]
impl NutritionService for Nutrition {
    async fn daily(&self, user_id: Uuid, date: Option<Date>) -> Result<DailyNutrition> {
        let user = clock_of(&self.db, user_id).await?;
        let date = match date {
            Some(date) => date,
            None => user.local_date(self.clock.now())?,
        };
        let (from, to) = day_range(&user, date)?;
        // One snapshot: the day's rows, the library values and the targets agree.
        let mut tx = self.db.begin_read().await?;
        let day = load_day(&mut tx, user_id, from, to).await?;
        let targets = store::of_user(&mut tx, user_id).await?;
        tx.commit().await?;
        let totals = day.intake.totals.rounded();
        Ok(DailyNutrition {
            date,
            energy_kcal: totals.energy_kcal,
            protein_g: totals.protein_g,
            fat_g: totals.fat_g,
            carbs_g: totals.carbs_g,
            nutrients: day.intake.nutrients(),
            targets: targets.map(|t| t.values()),
            meals: day.intake.meals,
            supplement_logs: day.supplement_logs,
            warnings: passed_limits(
                &day.intake.supplement_nutrients,
                &day.intake.food_nutrients,
                &day.nutrients,
            ),
        })
    }

    async fn put_targets(&self, user_id: Uuid, values: TargetValues) -> Result<NutritionTargets> {
        let mut tx = self.db.begin().await?;
        let saved = put_in(&mut tx, user_id, values, self.clock.now()).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn get_targets(&self, user_id: Uuid) -> Result<NutritionTargets> {
        let mut tx = self.db.read().await?;
        let targets = store::of_user(&mut tx, user_id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_bounded() {
        let fine = TargetValues {
            energy_kcal: 2200.0,
            protein_g: 140.0,
            fat_g: 70.0,
            carbs_g: 250.0,
        };
        assert!(validate_targets(&fine).is_ok());
        let bad = TargetValues {
            energy_kcal: 0.0,
            protein_g: -1.0,
            carbs_g: 1000.5,
            ..fine
        };
        let Err(LibraryError::Invalid(errors)) = validate_targets(&bad) else {
            panic!("refused");
        };
        let fields: Vec<_> = errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["energyKcal", "proteinG", "carbsG"]);
    }
}
