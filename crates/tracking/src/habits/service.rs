//! Habit schedules' use cases: each opens its transaction, checks the request, applies
//! the schedule rules and calls the store.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::zone::user_clock;
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use time::Date;
use uuid::Uuid;

use super::schedule::{self, ScheduleInput};
use super::{DueHabit, DueHabits, HabitScheduleView, Occurrences, store, validate};
use crate::error::{Result, TrackingError};
use crate::plans::Node;
use crate::plans::service::fetch_node;

#[async_trait]
pub trait HabitsService: Send + Sync {
    async fn put_schedule(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        input: ScheduleInput,
    ) -> Result<HabitScheduleView>;
    async fn get_schedule(&self, user_id: Uuid, node_id: Uuid) -> Result<HabitScheduleView>;
    async fn delete_schedule(&self, user_id: Uuid, node_id: Uuid) -> Result<()>;
    async fn occurrences(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        from: Date,
        to: Date,
    ) -> Result<Occurrences>;
    /// Habits due on `date` (default: today in the user's zone).
    async fn due(&self, user_id: Uuid, date: Option<Date>) -> Result<DueHabits>;
}

pub type SharedHabits = Arc<dyn HabitsService>;

#[derive(Clone)]
pub struct Habits {
    db: Db,
    clock: SharedClock,
}

pub(crate) const NOT_FOUND: TrackingError = TrackingError::NotFound("habit schedule");

impl Habits {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

/// The user's live habit node `node_id` (404 if none, 422 if not a habit).
async fn habit_node(tx: &mut Tx, user_id: Uuid, node_id: Uuid) -> Result<Node> {
    let node = fetch_node(tx, user_id, node_id).await?;
    validate::habit(&node)?;
    Ok(node)
}

/// Sets the schedule of the user's habit node `node_id` inside `tx` at `now`: REST's put
/// and sync's upsert. `new_id` is the row's id if the habit never had a schedule (a
/// schedule put again keeps its row).
pub(crate) async fn put_in(
    tx: &mut Tx,
    user_id: Uuid,
    node_id: Uuid,
    input: ScheduleInput,
    new_id: Uuid,
    now: Timestamp,
) -> Result<HabitScheduleView> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let node = habit_node(tx, user_id, node_id).await?;
    validate::unlocked(&node)?;
    let schedule = schedule::validate(input).map_err(TrackingError::Invalid)?;
    Ok(store::upsert(tx, user_id, node_id, new_id, stamp, &schedule).await?)
}

/// Tombstones the schedule of the user's habit node `node_id` inside `tx` at `now`.
pub(crate) async fn delete_in(
    tx: &mut Tx,
    user_id: Uuid,
    node_id: Uuid,
    now: Timestamp,
) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let node = habit_node(tx, user_id, node_id).await?;
    validate::unlocked(&node)?;
    if !store::delete(tx, user_id, node_id, stamp).await? {
        return Err(NOT_FOUND);
    }
    Ok(())
}

#[async_trait]
impl HabitsService for Habits {
    async fn put_schedule(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        input: ScheduleInput,
    ) -> Result<HabitScheduleView> {
        let mut tx = self.db.begin().await?;
        let new_id = lifeos_kernel::id::new_id();
        let view = put_in(&mut tx, user_id, node_id, input, new_id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn get_schedule(&self, user_id: Uuid, node_id: Uuid) -> Result<HabitScheduleView> {
        let mut tx = self.db.begin_read().await?;
        habit_node(&mut tx, user_id, node_id).await?;
        let view = store::get(&mut tx, user_id, node_id)
            .await?
            .ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(view)
    }

    async fn delete_schedule(&self, user_id: Uuid, node_id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_in(&mut tx, user_id, node_id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn occurrences(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        from: Date,
        to: Date,
    ) -> Result<Occurrences> {
        let view = self.get_schedule(user_id, node_id).await?;
        let dates = schedule::occurrences(&view.schedule, from, to).map_err(|_| {
            TrackingError::invalid(
                "to",
                format!("a range covers at most {} days", schedule::MAX_RANGE_DAYS),
            )
        })?;
        Ok(Occurrences { dates })
    }

    async fn due(&self, user_id: Uuid, date: Option<Date>) -> Result<DueHabits> {
        let date = match date {
            Some(date) => date,
            None => {
                let user = user_clock(&self.db, user_id)
                    .await?
                    .ok_or(TrackingError::NotFound("user"))?;
                user.local_date(self.clock.now())?
            }
        };
        let items = store::scheduled_habits(&self.db, user_id)
            .await?
            .into_iter()
            .filter(|(_, schedule)| schedule::is_due(schedule, date))
            .map(|(node, schedule)| DueHabit { node, schedule })
            .collect();
        Ok(DueHabits { date, items })
    }
}
