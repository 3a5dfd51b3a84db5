//! Pieces every tracking log shares: date ranges, the list cursor, validation glue and
//! the bookkeeping of syncable rows.

use lifeos_kernel::error::Validator;
use lifeos_kernel::page::{PageParams, PageRequest};
use lifeos_kernel::{Timestamp, Tx, sync_row, with_tx};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::error::{Result, TrackingError};

/// Lists are ordered by (date, id); the cursor is the last row's pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateCursor {
    pub date: Date,
    pub id: Uuid,
}

/// An inclusive date range from `?from=&to=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

impl DateRange {
    pub fn new(from: Option<Date>, to: Option<Date>) -> Result<Self> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(TrackingError::invalid("from", "must not be after `to`"));
        }
        Ok(Self { from, to })
    }
}

pub fn page(
    limit: Option<u32>,
    cursor: Option<String>,
) -> std::result::Result<PageRequest<DateCursor>, lifeos_kernel::AppError> {
    PageParams { limit, cursor }.parse()
}

/// `?from=&to=&limit=&cursor=` for lists ordered by date.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DateListParams {
    /// First date (inclusive).
    pub from: Option<Date>,
    /// Last date (inclusive).
    pub to: Option<Date>,
    /// Page size, 1..=500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

impl DateListParams {
    pub fn page(&self) -> std::result::Result<PageRequest<DateCursor>, lifeos_kernel::AppError> {
        page(self.limit, self.cursor.clone())
    }
}

pub fn finish(v: &mut Validator) -> Result<()> {
    v.finish().map_err(|e| TrackingError::Invalid(e.errors))
}

/// Optional free text: at most `max` characters.
pub fn check_text(v: &mut Validator, value: Option<&str>, field: &str, max: usize) {
    if let Some(text) = value {
        v.length(text, field, 0, max);
    }
}

/// The tables of this crate that hold syncable rows (names are never user input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    DayTypes,
    Hikes,
    Vehicles,
    VehicleMaintenance,
    Tracks,
    Nodes,
    HabitSchedules,
    TimeEntries,
    Docs,
}

impl Table {
    pub const ALL: [Table; 4] = [
        Table::VehicleMaintenance,
        Table::Vehicles,
        Table::Hikes,
        Table::DayTypes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::DayTypes => "day_types",
            Table::Hikes => "hikes",
            Table::Vehicles => "vehicles",
            Table::VehicleMaintenance => "vehicle_maintenance",
            Table::Tracks => "tracks",
            Table::Nodes => "nodes",
            Table::HabitSchedules => "habit_schedules",
            Table::TimeEntries => "time_entries",
            Table::Docs => "docs",
        }
    }
}

/// Tombstones a live row of `table` owned by `user_id`; false if there was none.
pub async fn soft_delete(
    tx: &mut Tx,
    table: Table,
    user_id: Uuid,
    id: Uuid,
    at: Timestamp,
) -> Result<bool> {
    let version = sync_row::next_version(tx, user_id).await?;
    let sql = format!(
        "UPDATE {} SET deleted_at = $3, updated_at = $3, version = $4 WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
        table.name()
    );
    let affected = with_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).bind(at).bind(version).execute(&mut *conn).await?.rows_affected()
    });
    Ok(affected == 1)
}

/// Whether any row (live or tombstoned, any owner) of `table` has this id: a
/// client-generated id must be new.
pub async fn id_taken(tx: &mut Tx, table: Table, id: Uuid) -> Result<bool> {
    let sql = format!("SELECT count(*) FROM {} WHERE id = $1", table.name());
    let count = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut *conn).await?
    });
    Ok(count > 0)
}

/// The id for a new row: the client's (if new) or a fresh one.
pub async fn new_row_id(tx: &mut Tx, table: Table, requested: Option<Uuid>) -> Result<Uuid> {
    match requested {
        Some(id) if id_taken(tx, table, id).await? => Err(TrackingError::IdConflict),
        Some(id) => Ok(id),
        None => Ok(lifeos_kernel::id::new_id()),
    }
}
