//! What gamification reads from (and, for a task, writes to) the planning domain, as
//! small traits the gateway adapts from tracking. Gamification never depends on the
//! tracking crate; every method that must agree with the completion takes its open
//! transaction, so a task becomes `done` in the same commit as its XP.

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx};
use time::Date;
use uuid::Uuid;

use crate::model::NodeKind;

/// A node as a completion needs it.
#[derive(Debug, Clone)]
pub struct NodeFacts {
    pub id: Uuid,
    pub track_id: Uuid,
    pub kind: NodeKind,
    /// `open` (not `done`, not `archived`).
    pub open: bool,
    pub archived: bool,
    pub locked: bool,
    /// Overrides the type's base XP (gamification bounds it to 0..=1000).
    pub xp_value: Option<i32>,
    pub created_at: Timestamp,
    /// A habit's live schedule; `None` for other types and for a habit without one
    /// (which is due every day).
    pub schedule: Option<Arc<dyn HabitCalendar>>,
}

/// A block of days in which a `times_per_period` habit may be completed `times` times,
/// on any of its days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub first: Date,
    pub last: Date,
    pub times: u32,
}

/// A habit's schedule, answered by tracking's rules (`habits::schedule`).
pub trait HabitCalendar: Send + Sync + Debug {
    /// Whether the habit is due on `date` (for `times_per_period`: one of the dates the
    /// schedule spreads over the period).
    fn is_due(&self, date: Date) -> bool;
    /// For a `times_per_period` habit: the period holding `date` (`None` before the first
    /// period); `None` for every other frequency.
    fn period_of(&self, date: Date) -> Option<Period>;
    /// Due dates per day on average: 1 for daily, 3/7 for three weekdays, `times /
    /// periodDays`... (`f` in habit strength's `0.5^(sqrt(f)/13)`).
    fn frequency(&self) -> f64;
    /// The numeric goal per due date, if any.
    fn target(&self) -> Option<f64>;
}

/// A habit with its schedule, for due checks over days.
#[derive(Debug, Clone)]
pub struct HabitFacts {
    pub node_id: Uuid,
    pub track_id: Uuid,
    /// When the habit (its node) was created: it is due on no day that ended before.
    pub created_at: Timestamp,
    /// `None`: due every day.
    pub schedule: Option<Arc<dyn HabitCalendar>>,
}

/// What the user planned for one local date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedDay {
    pub date: Date,
    /// Planned as a `free` day (otherwise `focus` or `buffer`).
    pub free: bool,
    /// When the plan was made (the day type's `created_at`).
    pub planned_at: Timestamp,
}

/// A live task or milestone with a due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueNode {
    pub due_on: Date,
    pub created_at: Timestamp,
}

/// Totals behind the activity badges.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityTotals {
    /// Minutes of the user's finished, live time entries.
    pub logged_minutes: i64,
    /// Live hikes.
    pub hikes: i64,
    /// Meters over the live hikes.
    pub hiked_meters: i64,
}

#[async_trait]
pub trait PlansPort: Send + Sync {
    /// The user's live node `node_id` (archived ones included, with `archived`); `None`
    /// when there is none, it is deleted, or it is another user's.
    async fn node(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
    ) -> Result<Option<NodeFacts>, StoreError>;

    /// Sets a task or milestone `done` (or `open` again, for an undo) inside `tx`, as a
    /// node update does (a new version, tracking's node event).
    async fn set_done(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
        done: bool,
        at: Timestamp,
    ) -> Result<(), StoreError>;

    /// Minutes of the user's finished time entries on `node_id` within `[start, end)`
    /// (entries are clipped to the window).
    async fn minutes_on(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        node_id: Uuid,
        start: Timestamp,
        end: Timestamp,
    ) -> Result<i64, StoreError>;

    /// The user's live habit nodes (archived ones excluded) with their schedules.
    async fn habits(&self, tx: &mut Tx, user_id: Uuid) -> Result<Vec<HabitFacts>, StoreError>;

    /// The user's live day types planned for dates in `[from, to]`.
    async fn planned_days(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        from: Date,
        to: Date,
    ) -> Result<Vec<PlannedDay>, StoreError>;

    /// The user's live tasks and milestones due on dates in `[from, to]` (any status
    /// but archived).
    async fn due_nodes(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        from: Date,
        to: Date,
    ) -> Result<Vec<DueNode>, StoreError>;

    /// Totals for the activity badges (read outside any write).
    async fn activity(&self, db: &Db, user_id: Uuid) -> Result<ActivityTotals, StoreError>;
}

pub type SharedPlansPort = Arc<dyn PlansPort>;
