//! Habit schedules' use cases and storage (one SQL implementation for both dialects).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::zone::{UserClock, user_clock};
use lifeos_kernel::{Db, FieldError, SharedClock, Timestamp, Tx, sync_row, with_db, with_tx};
use sqlx::types::Json;
use time::Date;
use uuid::Uuid;

use super::schedule::{self, Schedule, ScheduleInput};
use super::{DueHabit, DueHabits, HabitScheduleView, Occurrences};
use crate::common;
use crate::common::Table;
use crate::error::{Result, TrackingError};
use crate::plans::service::{NODE_COLUMNS, NodeRow, fetch_node};
use crate::plans::{Node, NodeType};

#[async_trait]
pub trait Habits: Send + Sync {
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

pub type SharedHabits = Arc<dyn Habits>;

#[derive(Clone)]
pub struct SqlHabits {
    db: Db,
    clock: SharedClock,
}

impl SqlHabits {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

fn invalid(errors: Vec<schedule::FieldError>) -> TrackingError {
    TrackingError::Invalid(
        errors
            .into_iter()
            .map(|e| FieldError {
                field: e.field,
                message: e.message,
            })
            .collect(),
    )
}

/// A stored schedule was validated on the way in; it is read back the same way.
fn parse_stored(value: serde_json::Value) -> Result<Schedule> {
    let input: ScheduleInput =
        serde_json::from_value(value).map_err(|e| TrackingError::Store(e.into()))?;
    schedule::validate(input).map_err(invalid)
}

async fn habit_node(tx: &mut Tx, user_id: Uuid, node_id: Uuid) -> Result<Node> {
    let node = Node::from(fetch_node(tx, user_id, node_id).await?);
    if node.node_type != NodeType::Habit {
        return Err(TrackingError::invalid(
            "nodeId",
            "only habit nodes have schedules",
        ));
    }
    Ok(node)
}

#[derive(sqlx::FromRow)]
struct Row {
    node_id: Uuid,
    schedule: Json<serde_json::Value>,
    version: i64,
    updated_at: Timestamp,
}

async fn fetch(tx: &mut Tx, node_id: Uuid) -> Result<Option<Row>> {
    const SQL: &str = "SELECT node_id, schedule, version, updated_at FROM habit_schedules WHERE node_id = $1 AND deleted_at IS NULL";
    let row = with_tx!(tx, conn => sqlx::query_as::<_, Row>(SQL).bind(node_id).fetch_optional(&mut *conn).await?);
    Ok(row)
}

impl Row {
    fn into_view(self) -> Result<HabitScheduleView> {
        Ok(HabitScheduleView {
            node_id: self.node_id,
            schedule: parse_stored(self.schedule.0)?,
            version: self.version,
            updated_at: self.updated_at,
        })
    }
}

#[async_trait]
impl Habits for SqlHabits {
    async fn put_schedule(
        &self,
        user_id: Uuid,
        node_id: Uuid,
        input: ScheduleInput,
    ) -> Result<HabitScheduleView> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let node = habit_node(&mut tx, user_id, node_id).await?;
        if node.locked {
            return Err(TrackingError::NodeLocked);
        }
        let schedule = schedule::validate(input).map_err(invalid)?;
        let stored = serde_json::to_value(&schedule).map_err(|e| TrackingError::Store(e.into()))?;
        let version = sync_row::next_version(&mut tx, user_id).await?;
        // One row per habit: a schedule put again (even after a delete) replaces it.
        const UPSERT: &str = "INSERT INTO habit_schedules (id, node_id, user_id, schedule, version, created_at, updated_at) \
                              VALUES ($1, $2, $3, $4, $5, $6, $6) \
                              ON CONFLICT (node_id) DO UPDATE SET schedule = excluded.schedule, version = excluded.version, \
                              updated_at = excluded.updated_at, deleted_at = NULL";
        with_tx!(&mut tx, conn => {
            sqlx::query(UPSERT)
                .bind(lifeos_kernel::id::new_id())
                .bind(node_id)
                .bind(user_id)
                .bind(Json(&stored))
                .bind(version)
                .bind(now)
                .execute(&mut *conn)
                .await?;
        });
        tx.commit().await?;
        Ok(HabitScheduleView {
            node_id,
            schedule,
            version,
            updated_at: now,
        })
    }

    async fn get_schedule(&self, user_id: Uuid, node_id: Uuid) -> Result<HabitScheduleView> {
        let mut tx = self.db.begin().await?;
        habit_node(&mut tx, user_id, node_id).await?;
        let row = fetch(&mut tx, node_id)
            .await?
            .ok_or(TrackingError::NotFound("habit schedule"))?;
        tx.commit().await?;
        row.into_view()
    }

    async fn delete_schedule(&self, user_id: Uuid, node_id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let node = habit_node(&mut tx, user_id, node_id).await?;
        if node.locked {
            return Err(TrackingError::NodeLocked);
        }
        let row = fetch(&mut tx, node_id)
            .await?
            .ok_or(TrackingError::NotFound("habit schedule"))?;
        let id: Uuid = with_tx!(&mut tx, conn => {
            sqlx::query_scalar("SELECT id FROM habit_schedules WHERE node_id = $1").bind(row.node_id).fetch_one(&mut *conn).await?
        });
        common::soft_delete(&mut tx, Table::HabitSchedules, user_id, id, now).await?;
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
                let user = user_clock(&self.db, user_id).await?.unwrap_or_else(UserClock::utc);
                user.local_date(self.clock.now())?
            }
        };
        let columns: String = NODE_COLUMNS
            .split(", ")
            .map(|c| format!("n.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns}, s.schedule FROM nodes n JOIN habit_schedules s ON s.node_id = n.id AND s.deleted_at IS NULL \
             WHERE n.user_id = $1 AND n.deleted_at IS NULL AND n.type = 'habit' AND n.status <> 'archived' \
             ORDER BY n.track_id, n.position, n.id"
        );
        #[derive(sqlx::FromRow)]
        struct DueRow {
            #[sqlx(flatten)]
            node: NodeRow,
            schedule: Json<serde_json::Value>,
        }
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, DueRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await?
        });
        let mut items = Vec::new();
        for row in rows {
            let schedule = parse_stored(row.schedule.0)?;
            if schedule::is_due(&schedule, date) {
                items.push(DueHabit {
                    node: row.node.into(),
                    schedule,
                });
            }
        }
        Ok(DueHabits { date, items })
    }
}
