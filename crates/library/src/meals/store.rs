//! Meals' storage: SQL only, written once for both dialects. Every function takes a
//! transaction: a meal is read together with its foods' values.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{StoreError, Timestamp, Tx, with_tx};
use sqlx::types::Json;
use uuid::Uuid;

use super::{MealItem, MealValues, StoredMeal};
use crate::timed::{TimeCursor, TimeRange, TimedTable};
use crate::user_data::MEALS;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a meal is read with.
pub const COLUMNS: &str = "id, eaten_at, name, items, notes, version, created_at, updated_at";

/// The columns writes set, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &["eaten_at", "name", "items", "notes"];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    eaten_at: Timestamp,
    name: Option<String>,
    items: Json<Vec<MealItem>>,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for StoredMeal {
    fn from(row: Row) -> Self {
        StoredMeal {
            id: row.id,
            values: MealValues {
                eaten_at: row.eaten_at,
                name: row.name,
                items: row.items.0,
                notes: row.notes,
            },
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The meals' table as the timed logs see it.
const TIMED: TimedTable = TimedTable {
    table: &MEALS,
    at: "eaten_at",
    columns: COLUMNS,
};

/// The user's live meals eaten in `range`, by time then id, one page.
pub async fn list(
    tx: &mut Tx,
    user_id: Uuid,
    range: TimeRange,
    page: &PageRequest<TimeCursor>,
) -> Result<Page<StoredMeal>> {
    let rows: Vec<Row> = TIMED.page(tx, user_id, range, page).await?;
    let items = rows.into_iter().map(StoredMeal::from).collect();
    Ok(Page::from_rows(items, page.limit, |m: &StoredMeal| {
        TimeCursor {
            at: m.values.eaten_at,
            id: m.id,
        }
    }))
}

/// Every live meal of the user eaten in `[from, to)`, by time.
pub async fn eaten_between(
    tx: &mut Tx,
    user_id: Uuid,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<StoredMeal>> {
    let rows: Vec<Row> = TIMED.between(tx, user_id, from, to).await?;
    Ok(rows.into_iter().map(StoredMeal::from).collect())
}

/// The user's live meal `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<StoredMeal>> {
    let row = sync_row::fetch_live::<Row>(tx, &MEALS, COLUMNS, user_id, id).await?;
    Ok(row.map(StoredMeal::from))
}

/// Inserts meal `id`; `RowNotFound` when the id is taken (see
/// [`sync_row::unless_id_taken`]).
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &MealValues,
) -> Result<StoredMeal> {
    let sql = sync_row::insert_sql(&MEALS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.eaten_at)
            .bind(&values.name)
            .bind(Json(&values.items))
            .bind(&values.notes)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live meal `id`; `None` if there is none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &MealValues,
) -> Result<Option<StoredMeal>> {
    let sql = sync_row::update_sql(&MEALS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.eaten_at)
            .bind(&values.name)
            .bind(Json(&values.items))
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(StoredMeal::from))
}

/// Tombstones the live meal `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &MEALS, user_id, id, stamp).await
}

/// The user's live meals with a version in `(after, upto]`, oldest version first.
pub async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<StoredMeal>> {
    let rows: Vec<Row> =
        crate::sync::live_rows(tx, &MEALS, COLUMNS, user_id, (after, upto)).await?;
    Ok(rows.into_iter().map(StoredMeal::from).collect())
}
