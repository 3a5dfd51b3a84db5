//! Supplement logs' use cases: each opens its transaction, checks the request (its own
//! rules, then the library supplement and whether the unit suits it), calls the store and,
//! for writes, answers with the upper limits the local day now passes.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::zone::UserClock;
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use uuid::Uuid;

use super::limits::{UpperLimitWarning, dose_nutrients, passed_limits};
use super::{
    NewSupplementLog, SupplementLog, SupplementLogPatch, SupplementLogSaved, SupplementLogValues,
    store, validate_supplement_log,
};
use crate::catalog::store::{nutrients, supplement_facts};
use crate::error::{LibraryError, Result};
use crate::nutrition::service::load_day;
use crate::timed::{DateRange, TimeCursor, clock_of, day_range, time_range};

#[async_trait]
pub trait SupplementLogsService: Send + Sync {
    /// The user's logs taken on the local dates `range` (inclusive), by time.
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<TimeCursor>,
    ) -> Result<Page<SupplementLog>>;
    async fn create(&self, user_id: Uuid, input: NewSupplementLog) -> Result<SupplementLogSaved>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<SupplementLog>;
    async fn update(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: SupplementLogPatch,
    ) -> Result<SupplementLogSaved>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
}

pub type SharedSupplementLogs = Arc<dyn SupplementLogsService>;

#[derive(Clone)]
pub struct SupplementLogs {
    db: Db,
    clock: SharedClock,
}

impl SupplementLogs {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const NOT_FOUND: LibraryError = LibraryError::NotFound("supplement log");

/// The supplement must be in the library, and a mass unit must suit it.
async fn check_supplement(tx: &mut Tx, values: &SupplementLogValues) -> Result<()> {
    let supplements = supplement_facts(tx, &[values.supplement_id]).await?;
    let Some(supplement) = supplements.get(&values.supplement_id) else {
        return Err(LibraryError::invalid(
            "supplementId",
            "is not a supplement in the library",
        ));
    };
    let units: HashMap<String, String> = nutrients(tx)
        .await?
        .into_iter()
        .map(|n| (n.code, n.unit))
        .collect();
    dose_nutrients(supplement, values.amount, values.unit, &units)
        .map_err(|error| LibraryError::invalid("unit", error.message()))?;
    Ok(())
}

/// The upper limits that the local day of `log` passes, among the nutrients of that day's
/// supplements: read inside the write, so the day includes it.
async fn warnings_for(
    tx: &mut Tx,
    user: &UserClock,
    user_id: Uuid,
    log: &SupplementLog,
) -> Result<Vec<UpperLimitWarning>> {
    let date = user.local_date(log.taken_at)?;
    let (from, to) = day_range(user, date)?;
    let day = load_day(tx, user_id, from, to).await?;
    let supplements = &day.intake.supplement_nutrients;
    Ok(
        passed_limits(supplements, &day.intake.food_nutrients, &day.nutrients)
            .into_iter()
            .filter(|w| supplements.get(&w.nutrient_code).is_some_and(|a| *a > 0.0))
            .collect(),
    )
}

/// Logs a supplement in `tx` at `now`: REST's create and sync's share it (REST adds the
/// day's warnings to its answer).
pub(crate) async fn create_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewSupplementLog,
    now: Timestamp,
) -> Result<SupplementLog> {
    let values = SupplementLogValues {
        supplement_id: input.supplement_id,
        amount: input.amount,
        unit: input.unit,
        taken_at: input.taken_at,
        notes: input.notes,
    };
    validate_supplement_log(&values, now)?;
    // The stamp first: it takes the user's write lock (ADR 0010); the insert itself
    // refuses a taken id.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    check_supplement(tx, &values).await?;
    let id = sync_row::row_id(input.id);
    let log = sync_row::unless_id_taken(store::insert(tx, user_id, id, stamp, &values).await)?
        .ok_or(LibraryError::IdConflict)?;
    Ok(log)
}

/// Patches the user's live log `id` in `tx` at `now`.
pub(crate) async fn update_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: SupplementLogPatch,
    now: Timestamp,
) -> Result<SupplementLog> {
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    let values = SupplementLogValues {
        supplement_id: patch.supplement_id.unwrap_or(current.supplement_id),
        amount: patch.amount.unwrap_or(current.amount),
        unit: patch.unit.unwrap_or(current.unit),
        taken_at: patch.taken_at.unwrap_or(current.taken_at),
        notes: patch.notes.unwrap_or(current.notes),
    };
    validate_supplement_log(&values, now)?;
    check_supplement(tx, &values).await?;
    store::update(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(NOT_FOUND)
}

/// Tombstones the user's live log `id` in `tx` at `now`.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if store::delete(tx, user_id, id, stamp).await? {
        Ok(())
    } else {
        Err(NOT_FOUND)
    }
}

#[async_trait]
impl SupplementLogsService for SupplementLogs {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<TimeCursor>,
    ) -> Result<Page<SupplementLog>> {
        let user = clock_of(&self.db, user_id).await?;
        let range = time_range(&user, range)?;
        let mut tx = self.db.read().await?;
        let page = store::list(&mut tx, user_id, range, &page).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn create(&self, user_id: Uuid, input: NewSupplementLog) -> Result<SupplementLogSaved> {
        let user = clock_of(&self.db, user_id).await?;
        let mut tx = self.db.begin().await?;
        let log = create_in(&mut tx, user_id, input, self.clock.now()).await?;
        let warnings = warnings_for(&mut tx, &user, user_id, &log).await?;
        tx.commit().await?;
        Ok(SupplementLogSaved::new(log, warnings))
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<SupplementLog> {
        let mut tx = self.db.read().await?;
        let log = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(log)
    }

    async fn update(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: SupplementLogPatch,
    ) -> Result<SupplementLogSaved> {
        let user = clock_of(&self.db, user_id).await?;
        let mut tx = self.db.begin().await?;
        let log = update_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        let warnings = warnings_for(&mut tx, &user, user_id, &log).await?;
        tx.commit().await?;
        Ok(SupplementLogSaved::new(log, warnings))
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
