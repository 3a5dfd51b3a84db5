//! Supplement logs' storage: SQL only, written once for both dialects. Writes and reads
//! inside a write take the caller's transaction; plain lists take the pool.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{StoreError, Timestamp, Tx, with_tx};
use uuid::Uuid;

use super::{SupplementLog, SupplementLogValues, SupplementUnit};
use crate::timed::{TimeCursor, TimeRange, TimedTable};
use crate::user_data::SUPPLEMENT_LOGS;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a log is read with.
pub const COLUMNS: &str =
    "id, supplement_id, amount, unit, taken_at, notes, version, created_at, updated_at";

/// The columns writes set, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &["supplement_id", "amount", "unit", "taken_at", "notes"];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    supplement_id: Uuid,
    amount: f64,
    unit: SupplementUnit,
    taken_at: Timestamp,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for SupplementLog {
    fn from(row: Row) -> Self {
        SupplementLog {
            id: row.id,
            supplement_id: row.supplement_id,
            amount: row.amount,
            unit: row.unit,
            taken_at: row.taken_at,
            notes: row.notes,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The logs' table as the timed logs see it.
const TIMED: TimedTable = TimedTable {
    table: &SUPPLEMENT_LOGS,
    at: "taken_at",
    columns: COLUMNS,
};

/// The user's live logs taken in `range`, by time then id, one page.
pub async fn list(
    tx: &mut Tx,
    user_id: Uuid,
    range: TimeRange,
    page: &PageRequest<TimeCursor>,
) -> Result<Page<SupplementLog>> {
    let rows: Vec<Row> = TIMED.page(tx, user_id, range, page).await?;
    let items = rows.into_iter().map(SupplementLog::from).collect();
    Ok(Page::from_rows(items, page.limit, |l: &SupplementLog| {
        TimeCursor {
            at: l.taken_at,
            id: l.id,
        }
    }))
}

/// Every live log of the user taken in `[from, to)`, by time.
pub async fn taken_between(
    tx: &mut Tx,
    user_id: Uuid,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<SupplementLog>> {
    let rows: Vec<Row> = TIMED.between(tx, user_id, from, to).await?;
    Ok(rows.into_iter().map(SupplementLog::from).collect())
}

/// The user's live log `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<SupplementLog>> {
    let row = sync_row::fetch_live::<Row>(tx, &SUPPLEMENT_LOGS, COLUMNS, user_id, id).await?;
    Ok(row.map(SupplementLog::from))
}

/// Inserts log `id`; `RowNotFound` when the id is taken (see
/// [`sync_row::unless_id_taken`]).
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &SupplementLogValues,
) -> Result<SupplementLog> {
    let sql = sync_row::insert_sql(&SUPPLEMENT_LOGS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.supplement_id)
            .bind(values.amount)
            .bind(values.unit)
            .bind(values.taken_at)
            .bind(&values.notes)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live log `id`; `None` if there is none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &SupplementLogValues,
) -> Result<Option<SupplementLog>> {
    let sql = sync_row::update_sql(&SUPPLEMENT_LOGS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.supplement_id)
            .bind(values.amount)
            .bind(values.unit)
            .bind(values.taken_at)
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(SupplementLog::from))
}

/// Tombstones the live log `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &SUPPLEMENT_LOGS, user_id, id, stamp).await
}

/// The user's live rows with a version in `(after, upto]`, oldest version first.
pub async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<SupplementLog>> {
    let rows: Vec<Row> =
        crate::sync::live_rows(tx, &SUPPLEMENT_LOGS, COLUMNS, user_id, (after, upto)).await?;
    Ok(rows.into_iter().map(SupplementLog::from).collect())
}
