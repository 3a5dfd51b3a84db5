//! Habit schedules' use cases: each opens its transaction, checks the request, applies
//! the schedule rules and calls the store.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::zone::user_clock;
use lifeos_kernel::{Db, SharedClock, Tx, sync_row};
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

const NOT_FOUND: TrackingError = TrackingError::NotFound("habit schedule");

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

#[async_trait]
impl HabitsService for Habits {
    async fn put_schedule(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        input: ScheduleInput,
    ) -> Result<HabitScheduleView> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let stamp = sync_row::stamp(&mut tx, user_id, now).await?;
        let node = habit_node(&mut tx, user_id, node_id).await?;
        validate::unlocked(&node)?;
        let schedule = schedule::validate(input).map_err(TrackingError::Invalid)?;
        let new_id = lifeos_kernel::id::new_id();
        let view = store::upsert(&mut tx, user_id, node_id, new_id, stamp, &schedule).await?;
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
        let stamp = sync_row::stamp(&mut tx, user_id, self.clock.now()).await?;
        let node = habit_node(&mut tx, user_id, node_id).await?;
        validate::unlocked(&node)?;
        if !store::delete(&mut tx, user_id, node_id, stamp).await? {
            return Err(NOT_FOUND);
        }
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
