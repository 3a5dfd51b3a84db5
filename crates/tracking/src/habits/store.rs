//! Habit schedules' storage: SQL only, written once for both dialects. One row per habit
//! node; the schedule itself is a JSON document, decoded (and so checked) on the way out.

use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use sqlx::types::Json;
use uuid::Uuid;

use super::HabitScheduleView;
use super::schedule::Schedule;
use crate::plans::Node;
use crate::plans::store::{NODE_COLUMNS, NodeRow};
use crate::user_data::HABIT_SCHEDULES;

type Result<T> = std::result::Result<T, StoreError>;

const COLUMNS: &str = "node_id, schedule, version, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    node_id: Uuid,
    /// A stored schedule that no longer validates is a decode error, never a default.
    schedule: Json<Schedule>,
    version: i64,
    updated_at: Timestamp,
}

impl From<Row> for HabitScheduleView {
    fn from(row: Row) -> Self {
        HabitScheduleView {
            node_id: row.node_id,
            schedule: row.schedule.0,
            version: row.version,
            updated_at: row.updated_at,
        }
    }
}

/// The live schedule of the user's node `node_id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, node_id: Uuid) -> Result<Option<HabitScheduleView>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM habit_schedules WHERE node_id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(node_id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(HabitScheduleView::from))
}

/// Whether node `node_id` has a live schedule.
pub async fn is_scheduled(tx: &mut Tx, node_id: Uuid) -> Result<bool> {
    const SQL: &str =
        "SELECT count(*) FROM habit_schedules WHERE node_id = $1 AND deleted_at IS NULL";
    let count = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(node_id).fetch_one(&mut *conn).await?
    });
    Ok(count > 0)
}

/// Sets the schedule of the user's node `node_id`. One row per habit: a schedule put again
/// (even after a delete) replaces the row and keeps its id; `new_id` is the id of a first
/// schedule.
pub async fn upsert(
    tx: &mut Tx,
    user_id: Uuid,
    node_id: Uuid,
    new_id: Uuid,
    stamp: Stamp,
    schedule: &Schedule,
) -> Result<HabitScheduleView> {
    let sql = format!(
        "INSERT INTO habit_schedules (id, user_id, version, created_at, updated_at, node_id, schedule) \
         VALUES ($1, $2, $3, $4, $4, $5, $6) \
         ON CONFLICT (node_id) DO UPDATE SET schedule = excluded.schedule, version = excluded.version, \
         updated_at = excluded.updated_at, deleted_at = NULL \
         RETURNING {COLUMNS}"
    );
    // Through a JSON value (keys in name order), as schedules have always been stored.
    let document = serde_json::to_value(schedule)?;
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(new_id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(node_id)
            .bind(Json(&document))
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Tombstones the live schedule of the user's node `node_id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, node_id: Uuid, stamp: Stamp) -> Result<bool> {
    const SQL: &str =
        "SELECT id FROM habit_schedules WHERE node_id = $1 AND user_id = $2 AND deleted_at IS NULL";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(node_id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    match id {
        Some(id) => sync_row::tombstone(tx, &HABIT_SCHEDULES, user_id, id, stamp).await,
        None => Ok(false),
    }
}

/// `NODE_COLUMNS` qualified with the nodes table's alias `n`, for joins.
fn node_columns_of_n() -> String {
    NODE_COLUMNS
        .split(", ")
        .map(|c| format!("n.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The user's live, not archived habit nodes that have a live schedule, with it, in
/// track and position order.
pub async fn scheduled_habits(db: &Db, user_id: Uuid) -> Result<Vec<(Node, Schedule)>> {
    #[derive(sqlx::FromRow)]
    struct DueRow {
        #[sqlx(flatten)]
        node: NodeRow,
        schedule: Json<Schedule>,
    }
    let columns = node_columns_of_n();
    let sql = format!(
        "SELECT {columns}, s.schedule FROM nodes n JOIN habit_schedules s ON s.node_id = n.id AND s.deleted_at IS NULL \
         WHERE n.user_id = $1 AND n.deleted_at IS NULL AND n.type = 'habit' AND n.status <> 'archived' \
         ORDER BY n.track_id, n.position, n.id"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, DueRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|row| (Node::from(row.node), row.schedule.0))
        .collect())
}

/// The user's live, not archived habit nodes, each with its live schedule if it has one,
/// in track and position order, inside a write.
pub async fn habits_in(tx: &mut Tx, user_id: Uuid) -> Result<Vec<(Node, Option<Schedule>)>> {
    #[derive(sqlx::FromRow)]
    struct HabitRow {
        #[sqlx(flatten)]
        node: NodeRow,
        schedule: Option<Json<Schedule>>,
    }
    let columns = node_columns_of_n();
    let sql = format!(
        "SELECT {columns}, s.schedule FROM nodes n LEFT JOIN habit_schedules s ON s.node_id = n.id AND s.deleted_at IS NULL \
         WHERE n.user_id = $1 AND n.deleted_at IS NULL AND n.type = 'habit' AND n.status <> 'archived' \
         ORDER BY n.track_id, n.position, n.id"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, HabitRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_all(&mut *conn).await?
    });
    Ok(rows
        .into_iter()
        .map(|row| (Node::from(row.node), row.schedule.map(|s| s.0)))
        .collect())
}

// Sync addresses a schedule by its row id, REST by its node.

/// A schedule with its row id.
#[derive(sqlx::FromRow)]
struct IdRow {
    id: Uuid,
    #[sqlx(flatten)]
    row: Row,
}

/// The user's live schedule row `id`.
pub async fn get_by_id(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<HabitScheduleView>> {
    let sql = format!(
        "SELECT id, {COLUMNS} FROM habit_schedules WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, IdRow>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(|r| HabitScheduleView::from(r.row)))
}

/// The id of the user's node `node_id`'s schedule row, live or tombstoned: a node has
/// one row for good.
pub async fn row_of_node(tx: &mut Tx, user_id: Uuid, node_id: Uuid) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT id FROM habit_schedules WHERE node_id = $1 AND user_id = $2";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(node_id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(id)
}

/// The user's live schedules with a version in `(after, upto]`, oldest version first,
/// with their row ids: sync's pull (one query on the `(user_id, version)` index).
pub async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<(Uuid, HabitScheduleView)>> {
    let sql = format!(
        "SELECT id, {COLUMNS} FROM habit_schedules WHERE user_id = $1 AND version > $2 \
         AND version <= $3 AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, IdRow>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(upto)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|r| (r.id, HabitScheduleView::from(r.row)))
        .collect())
}
