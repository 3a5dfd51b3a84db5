//! Day types' use cases: each opens its transaction, checks the request, applies the
//! rules and calls the store.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{Db, SharedClock, StoreError, Timestamp, Tx, sync_row};
use time::Month;
use uuid::Uuid;

use super::report::{MonthlyReport, month_range, monthly_report};
use super::{DayType, DayTypePatch, DayTypeValues, NewDayType, store, validate};
use crate::common::{DateCursor, DateRange};
use crate::error::{Result, TrackingError};

#[async_trait]
pub trait DayTypesService: Send + Sync {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<DayType>>;
    async fn create(&self, user_id: Uuid, input: NewDayType) -> Result<DayType>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<DayType>;
    async fn by_date(&self, user_id: Uuid, date: time::Date) -> Result<DayType>;
    async fn update(&self, user_id: Uuid, id: Uuid, patch: DayTypePatch) -> Result<DayType>;
    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn monthly_report(&self, user_id: Uuid, year: i32, month: Month)
    -> Result<MonthlyReport>;
}

pub type SharedDayTypes = Arc<dyn DayTypesService>;

#[derive(Clone)]
pub struct DayTypes {
    db: Db,
    clock: SharedClock,
}

const NOT_FOUND: TrackingError = TrackingError::NotFound("day type");

impl DayTypes {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// Once ids were checked, a unique violation can only be the live-date index: a
    /// concurrent request planned the same date first. Runs after the failed
    /// transaction was dropped.
    async fn date_conflict(
        &self,
        error: StoreError,
        user_id: Uuid,
        date: time::Date,
    ) -> TrackingError {
        if !error.is_unique_violation() {
            return error.into();
        }
        match self.by_date(user_id, date).await {
            Ok(existing) => TrackingError::DayAlreadyPlanned {
                existing: existing.id,
            },
            Err(other) => other,
        }
    }
}

/// Plans a day inside `tx` at `now`: the rules REST's create and sync's upsert share. A
/// unique violation (a concurrent plan of the date, not expected under the user's lock)
/// comes back as the store error; the REST path tells it apart after the transaction.
pub(crate) async fn create_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewDayType,
    now: Timestamp,
) -> Result<DayType> {
    validate::new_day_type(&input)?;
    let values = DayTypeValues {
        date: input.date,
        planned_type: input.planned_type,
        actual_type: input.actual_type,
        notes: input.notes,
    };
    // The stamp first: it takes the user's write lock, so the insert's check sees
    // every earlier write of this user (ADR 0010).
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let id = sync_row::row_id(input.id);
    // One statement checks the date and inserts; nothing back means the date is
    // planned or the id taken, told apart only then.
    match store::insert_unless_planned(tx, user_id, id, stamp, &values).await? {
        Some(created) => Ok(created),
        None => Err(match store::live_on_date(tx, user_id, values.date).await? {
            Some(existing) => TrackingError::DayAlreadyPlanned { existing },
            None => TrackingError::IdConflict,
        }),
    }
}

/// Patches the user's live day type `id` inside `tx` at `now` (REST's update and sync's).
pub(crate) async fn update_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: DayTypePatch,
    now: Timestamp,
) -> Result<DayType> {
    validate::patch(&patch)?;
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get(tx, user_id, id).await?.ok_or(NOT_FOUND)?;
    let date = patch.date.unwrap_or(current.date);
    if date != current.date
        && let Some(existing) = store::live_on_date(tx, user_id, date).await?
    {
        return Err(TrackingError::DayAlreadyPlanned { existing });
    }
    let values = DayTypeValues {
        date,
        planned_type: patch.planned_type.unwrap_or(current.planned_type),
        actual_type: patch.actual_type.unwrap_or(current.actual_type),
        notes: patch.notes.unwrap_or(current.notes),
    };
    store::update(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(NOT_FOUND)
}

/// Tombstones the user's live day type `id` inside `tx` at `now`.
pub(crate) async fn delete_in(tx: &mut Tx, user_id: Uuid, id: Uuid, now: Timestamp) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if !store::delete(tx, user_id, id, stamp).await? {
        return Err(NOT_FOUND);
    }
    Ok(())
}

#[async_trait]
impl DayTypesService for DayTypes {
    async fn list(
        &self,
        user_id: Uuid,
        range: DateRange,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<DayType>> {
        Ok(store::list(&self.db, user_id, range, &page).await?)
    }

    async fn create(&self, user_id: Uuid, input: NewDayType) -> Result<DayType> {
        let date = input.date;
        let mut tx = self.db.begin().await?;
        match create_in(&mut tx, user_id, input, self.clock.now()).await {
            Ok(created) => {
                tx.commit().await?;
                Ok(created)
            }
            // The index as the last line (ADR 0010): not expected under the lock.
            Err(TrackingError::Store(error)) if error.is_unique_violation() => {
                drop(tx);
                Err(self.date_conflict(error, user_id, date).await)
            }
            Err(error) => Err(error),
        }
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<DayType> {
        let mut tx = self.db.read().await?;
        let day = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(day)
    }

    async fn by_date(&self, user_id: Uuid, date: time::Date) -> Result<DayType> {
        store::by_date(&self.db, user_id, date)
            .await?
            .ok_or(NOT_FOUND)
    }

    async fn update(&self, user_id: Uuid, id: Uuid, patch: DayTypePatch) -> Result<DayType> {
        let new_date = patch.date;
        let mut tx = self.db.begin().await?;
        match update_in(&mut tx, user_id, id, patch, self.clock.now()).await {
            Ok(updated) => {
                tx.commit().await?;
                Ok(updated)
            }
            // Only a new date can break the live-date index.
            Err(TrackingError::Store(error)) if error.is_unique_violation() => {
                drop(tx);
                Err(match new_date {
                    Some(date) => self.date_conflict(error, user_id, date).await,
                    None => error.into(),
                })
            }
            Err(error) => Err(error),
        }
    }

    async fn delete(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn monthly_report(
        &self,
        user_id: Uuid,
        year: i32,
        month: Month,
    ) -> Result<MonthlyReport> {
        let (first, last) = month_range(year, month)
            .ok_or_else(|| TrackingError::invalid("month", "is out of range"))?;
        let page = PageRequest {
            limit: 31,
            after: None,
        };
        let range = DateRange {
            from: Some(first),
            to: Some(last),
        };
        let entries = store::list(&self.db, user_id, range, &page).await?;
        Ok(monthly_report(year, month, &entries.items))
    }
}
