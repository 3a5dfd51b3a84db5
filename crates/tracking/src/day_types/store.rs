//! Day types' storage: SQL only, written once for both dialects. Writes and reads inside
//! a write take the caller's transaction; plain reads take the pool.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use time::Date;
use uuid::Uuid;

use super::{DayKind, DayType, DayTypeValues};
use crate::common::{DateCursor, DateRange};
use crate::user_data::DAY_TYPES;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a day type is read with.
pub const COLUMNS: &str =
    "id, date, planned_type, actual_type, notes, version, created_at, updated_at";

/// The columns a write sets, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &["date", "planned_type", "actual_type", "notes"];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    date: Date,
    planned_type: DayKind,
    actual_type: Option<DayKind>,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for DayType {
    fn from(row: Row) -> Self {
        DayType {
            id: row.id,
            date: row.date,
            planned_type: row.planned_type,
            actual_type: row.actual_type,
            notes: row.notes,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The user's live day types in `range`, by date, one page.
pub async fn list(
    db: &Db,
    user_id: Uuid,
    range: DateRange,
    page: &PageRequest<DateCursor>,
) -> Result<Page<DayType>> {
    // One live entry per date, so the date alone orders and pages.
    let sql = format!(
        "SELECT {COLUMNS} FROM day_types WHERE user_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR date >= $2) AND ($3 IS NULL OR date <= $3) AND ($4 IS NULL OR date > $4) \
         ORDER BY date LIMIT $5"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(range.from)
            .bind(range.to)
            .bind(page.after.map(|c| c.date))
            .bind(i64::from(page.limit) + 1)
            .fetch_all(pool)
            .await?
    });
    let items = rows.into_iter().map(DayType::from).collect();
    Ok(Page::from_rows(items, page.limit, |d: &DayType| {
        DateCursor {
            date: d.date,
            id: d.id,
        }
    }))
}

/// The user's live day type `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<DayType>> {
    let row = sync_row::fetch_live::<Row>(tx, &DAY_TYPES, COLUMNS, user_id, id).await?;
    Ok(row.map(DayType::from))
}

/// The user's live day type on `date`.
pub async fn by_date(db: &Db, user_id: Uuid, date: Date) -> Result<Option<DayType>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM day_types WHERE user_id = $1 AND date = $2 AND deleted_at IS NULL"
    );
    let row = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(date).fetch_optional(pool).await?
    });
    Ok(row.map(DayType::from))
}

/// The user's live day types on dates in `[from, to]`, by date, inside a write.
pub async fn between(tx: &mut Tx, user_id: Uuid, from: Date, to: Date) -> Result<Vec<DayType>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM day_types WHERE user_id = $1 AND deleted_at IS NULL \
         AND date >= $2 AND date <= $3 ORDER BY date"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(from)
            .bind(to)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows.into_iter().map(DayType::from).collect())
}

/// The id of the user's live day type on `date`, inside a write.
pub async fn live_on_date(tx: &mut Tx, user_id: Uuid, date: Date) -> Result<Option<Uuid>> {
    const SQL: &str =
        "SELECT id FROM day_types WHERE user_id = $1 AND date = $2 AND deleted_at IS NULL";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(user_id).bind(date).fetch_optional(&mut *conn).await?
    });
    Ok(id)
}

/// Inserts day type `id`. A unique violation means the date already has a live entry.
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &DayTypeValues,
) -> Result<DayType> {
    let sql = sync_row::insert_sql(&DAY_TYPES, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.date)
            .bind(values.planned_type)
            .bind(values.actual_type)
            .bind(&values.notes)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Inserts day type `id` unless the user has a live day type on its date: the check and
/// the insert in one statement. `None` if the date is planned or the id taken.
pub async fn insert_unless_planned(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &DayTypeValues,
) -> Result<Option<DayType>> {
    let sql = sync_row::insert_where_sql(
        &DAY_TYPES,
        WRITTEN,
        "NOT EXISTS (SELECT 1 FROM day_types WHERE user_id = $2 AND date = $5 AND deleted_at IS NULL)",
        COLUMNS,
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.date)
            .bind(values.planned_type)
            .bind(values.actual_type)
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(DayType::from))
}

/// Overwrites the live day type `id`; `None` if there is none. A unique violation means
/// the new date already has a live entry.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &DayTypeValues,
) -> Result<Option<DayType>> {
    let sql = sync_row::update_sql(&DAY_TYPES, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.date)
            .bind(values.planned_type)
            .bind(values.actual_type)
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(DayType::from))
}

/// Tombstones the live day type `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &DAY_TYPES, user_id, id, stamp).await
}

/// The user's live day types with a version in `(after, upto]`, oldest version first:
/// sync's pull (one query on the `(user_id, version)` index).
pub async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<DayType>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM day_types WHERE user_id = $1 AND version > $2 AND version <= $3 \
         AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(upto)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows.into_iter().map(DayType::from).collect())
}
