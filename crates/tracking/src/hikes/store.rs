//! Hikes' storage: SQL only, written once for both dialects. Writes and reads inside a
//! write take the caller's transaction; plain reads take the pool.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use serde_json::Value;
use sqlx::types::Json;
use time::Date;
use uuid::Uuid;

use super::{Hike, HikeSource, HikeValues, m_to_km};
use crate::common::{DateCursor, DateRange};
use crate::user_data::HIKES;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a hike is read with.
pub const COLUMNS: &str = "id, date, started_at, distance_m, elevation_gain_m, duration_minutes, screenshot_url, track, source, \
                           notes, version, created_at, updated_at";

/// The columns an update sets, in bind order (after the bookkeeping); an insert also
/// sets `source`.
const UPDATED: &[&str] = &[
    "date",
    "started_at",
    "distance_m",
    "elevation_gain_m",
    "duration_minutes",
    "screenshot_url",
    "track",
    "notes",
];
const INSERTED: &[&str] = &[
    "date",
    "started_at",
    "distance_m",
    "elevation_gain_m",
    "duration_minutes",
    "screenshot_url",
    "track",
    "notes",
    "source",
];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    date: Date,
    started_at: Option<Timestamp>,
    distance_m: i32,
    elevation_gain_m: Option<i32>,
    duration_minutes: Option<i32>,
    screenshot_url: Option<String>,
    track: Option<Json<Value>>,
    source: HikeSource,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for Hike {
    fn from(row: Row) -> Self {
        Hike {
            id: row.id,
            date: row.date,
            started_at: row.started_at,
            distance_km: m_to_km(row.distance_m),
            elevation_gain_m: row.elevation_gain_m,
            duration_minutes: row.duration_minutes,
            screenshot_url: row.screenshot_url,
            track: row.track.map(|t| t.0),
            source: row.source,
            notes: row.notes,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// The user's live hikes in `range`, by date then id, one page.
pub async fn list(
    db: &Db,
    user_id: Uuid,
    range: DateRange,
    page: &PageRequest<DateCursor>,
) -> Result<Page<Hike>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM hikes WHERE user_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR date >= $2) AND ($3 IS NULL OR date <= $3) \
         AND ($4 IS NULL OR date > $4 OR (date = $4 AND id > $5)) \
         ORDER BY date, id LIMIT $6"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(range.from)
            .bind(range.to)
            .bind(page.after.map(|c| c.date))
            .bind(page.after.map(|c| c.id))
            .bind(i64::from(page.limit) + 1)
            .fetch_all(pool)
            .await?
    });
    let items = rows.into_iter().map(Hike::from).collect();
    Ok(Page::from_rows(items, page.limit, |h: &Hike| DateCursor {
        date: h.date,
        id: h.id,
    }))
}

/// The user's live hike `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Hike>> {
    let row = sync_row::fetch_live::<Row>(tx, &HIKES, COLUMNS, user_id, id).await?;
    Ok(row.map(Hike::from))
}

/// Inserts hike `id`, logged by hand or imported (`source`).
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &HikeValues,
    source: HikeSource,
) -> Result<Hike> {
    let sql = sync_row::insert_sql(&HIKES, INSERTED, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.date)
            .bind(values.started_at)
            .bind(values.distance_m)
            .bind(values.elevation_gain_m)
            .bind(values.duration_minutes)
            .bind(&values.screenshot_url)
            .bind(values.track.as_ref().map(Json))
            .bind(&values.notes)
            .bind(source)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live hike `id` (its source stays); `None` if there is none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &HikeValues,
) -> Result<Option<Hike>> {
    let sql = sync_row::update_sql(&HIKES, UPDATED, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.date)
            .bind(values.started_at)
            .bind(values.distance_m)
            .bind(values.elevation_gain_m)
            .bind(values.duration_minutes)
            .bind(&values.screenshot_url)
            .bind(values.track.as_ref().map(Json))
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Hike::from))
}

/// Tombstones the live hike `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &HIKES, user_id, id, stamp).await
}

/// How many live hikes the user has, and their metres in total.
pub async fn totals(db: &Db, user_id: Uuid) -> Result<(i64, i64)> {
    const SQL: &str = "SELECT count(*), CAST(COALESCE(SUM(distance_m), 0) AS BIGINT) FROM hikes \
                       WHERE user_id = $1 AND deleted_at IS NULL";
    let totals = with_db!(db, pool => {
        sqlx::query_as::<_, (i64, i64)>(SQL).bind(user_id).fetch_one(pool).await?
    });
    Ok(totals)
}

/// The user's live hikes with a version in `(after, upto]`, oldest version first: sync's
/// pull (one query on the `(user_id, version)` index).
pub async fn live_between(tx: &mut Tx, user_id: Uuid, after: i64, upto: i64) -> Result<Vec<Hike>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM hikes WHERE user_id = $1 AND version > $2 AND version <= $3 \
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
    Ok(rows.into_iter().map(Hike::from).collect())
}
