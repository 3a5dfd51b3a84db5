//! Habit schedules: when a habit node is due (daily, weekly, monthly, every n days,
//! k times per n days), and which habits are due on a day.

pub mod http;
pub mod schedule;
pub mod service;
pub mod store;
pub mod sync;
pub mod validate;

use lifeos_kernel::Timestamp;
use serde::Serialize;
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use schedule::{Schedule, ScheduleInput};
pub use service::{Habits, HabitsService, SharedHabits};

use crate::plans::Node;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::HabitScheduleView)]
pub struct HabitScheduleView {
    pub node_id: Uuid,
    pub schedule: Schedule,
    pub version: i64,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::Occurrences)]
pub struct Occurrences {
    /// Due dates (`YYYY-MM-DD`, the user's calendar), ascending.
    pub dates: Vec<Date>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::DueHabit)]
pub struct DueHabit {
    pub node: Node,
    pub schedule: Schedule,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::DueHabits)]
pub struct DueHabits {
    pub date: Date,
    pub items: Vec<DueHabit>,
}
