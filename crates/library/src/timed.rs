//! The personal logs each happen at an instant (a meal is eaten, a supplement taken, a
//! workout started) and are listed by the user's local dates: one cursor, one range and
//! one paged query for all of them.

use lifeos_kernel::page::PageRequest;
use lifeos_kernel::sync_row::AnyRow;
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::zone::{UserClock, ZoneError, user_clock};
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_tx};
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::error::{LibraryError, Result};

/// Lists are ordered by the instant; the cursor is the last row's (instant, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeCursor {
    pub at: Timestamp,
    pub id: Uuid,
}

/// The instants `[from, to)` of a list or a day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
}

/// The inclusive local dates of `?from=&to=`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// One table of timed rows: its name in the registry and the column holding the instant.
#[derive(Debug, Clone, Copy)]
pub struct TimedTable {
    pub table: &'static UserTable,
    pub at: &'static str,
    /// The columns its rows are read with.
    pub columns: &'static str,
}

impl TimedTable {
    /// One page (`limit + 1` rows, for [`lifeos_kernel::page::Page::from_rows`]) of the
    /// user's live rows in `range`, by instant then id.
    pub async fn page<R: AnyRow>(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        range: TimeRange,
        page: &PageRequest<TimeCursor>,
    ) -> Result<Vec<R>, StoreError> {
        let (table, at, columns) = (self.table.name, self.at, self.columns);
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE user_id = $1 AND deleted_at IS NULL \
             AND ($2 IS NULL OR {at} >= $2) AND ($3 IS NULL OR {at} < $3) \
             AND ($4 IS NULL OR {at} > $4 OR ({at} = $4 AND id > $5)) \
             ORDER BY {at}, id LIMIT $6"
        );
        let rows = with_tx!(tx, conn => {
            sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(range.from)
                .bind(range.to)
                .bind(page.after.map(|c| c.at))
                .bind(page.after.map(|c| c.id))
                .bind(i64::from(page.limit) + 1)
                .fetch_all(&mut *conn)
                .await?
        });
        Ok(rows)
    }

    /// Every live row of the user in `[from, to)`, by instant then id.
    pub async fn between<R: AnyRow>(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<R>, StoreError> {
        let (table, at, columns) = (self.table.name, self.at, self.columns);
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE user_id = $1 AND deleted_at IS NULL \
             AND {at} >= $2 AND {at} < $3 ORDER BY {at}, id"
        );
        let rows = with_tx!(tx, conn => {
            sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(from)
                .bind(to)
                .fetch_all(&mut *conn)
                .await?
        });
        Ok(rows)
    }
}

/// The user's zone and day start.
pub async fn clock_of(db: &Db, user_id: Uuid) -> Result<UserClock> {
    user_clock(db, user_id)
        .await?
        .ok_or(LibraryError::NotFound("user"))
}

/// The instants of the local date `date`: from its start up to the start of the next.
pub fn day_range(user: &UserClock, date: Date) -> Result<(Timestamp, Timestamp)> {
    let next = date.next_day().ok_or(ZoneError::OutOfRange)?;
    Ok((user.start_of(date)?, user.start_of(next)?))
}

/// The instants of the local dates `range` (inclusive): from the start of `from` up to
/// the start of the day after `to`.
pub fn time_range(user: &UserClock, range: DateRange) -> Result<TimeRange> {
    if let (Some(from), Some(to)) = (range.from, range.to)
        && from > to
    {
        return Err(LibraryError::invalid("from", "must not be after `to`"));
    }
    let from = range.from.map(|d| user.start_of(d)).transpose()?;
    let to = range
        .to
        .map(|d| day_range(user, d).map(|(_, end)| end))
        .transpose()?;
    Ok(TimeRange { from, to })
}
