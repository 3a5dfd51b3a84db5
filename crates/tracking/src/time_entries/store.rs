//! Time entries' storage: SQL only, written once for both dialects. At most one running
//! entry per user is the database's rule (a partial unique index): inserting a second
//! one is a unique violation.

use lifeos_kernel::db::Dialect;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use uuid::Uuid;

use super::summary::Span;
use super::{EntryQuery, StartCursor, TimeEntry, TimeEntryValues, TimeSource};
use crate::user_data::TIME_ENTRIES;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a time entry is read with.
pub const COLUMNS: &str =
    "id, node_id, track_id, started_at, ended_at, note, source, version, created_at, updated_at";

/// The columns a write sets, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &[
    "node_id",
    "track_id",
    "started_at",
    "ended_at",
    "note",
    "source",
];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    node_id: Option<Uuid>,
    track_id: Option<Uuid>,
    started_at: Timestamp,
    ended_at: Option<Timestamp>,
    note: Option<String>,
    source: TimeSource,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for TimeEntry {
    fn from(r: Row) -> Self {
        TimeEntry {
            id: r.id,
            node_id: r.node_id,
            track_id: r.track_id,
            started_at: r.started_at,
            ended_at: r.ended_at,
            note: r.note,
            source: r.source,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Binds a write: the bookkeeping, then [`WRITTEN`] in order.
macro_rules! bind_entry {
    ($query:expr, $id:expr, $user_id:expr, $stamp:expr, $values:expr) => {
        $query
            .bind($id)
            .bind($user_id)
            .bind($stamp.version)
            .bind($stamp.at)
            .bind($values.node_id)
            .bind($values.track_id)
            .bind($values.started_at)
            .bind($values.ended_at)
            .bind(&$values.note)
            .bind($values.source)
    };
}

/// The user's live entry `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<TimeEntry>> {
    let row = sync_row::fetch_live::<Row>(tx, &TIME_ENTRIES, COLUMNS, user_id, id).await?;
    Ok(row.map(TimeEntry::from))
}

/// The user's live entries whose version is in `(after, upto]`, oldest version first:
/// what a sync pull returns of them.
pub async fn between(tx: &mut Tx, user_id: Uuid, after: i64, upto: i64) -> Result<Vec<TimeEntry>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM time_entries WHERE user_id = $1 AND version > $2 AND version <= $3 \
         AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id).bind(after).bind(upto).fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().map(TimeEntry::from).collect())
}

/// The user's running entry (live, without an end), if any.
pub async fn running(tx: &mut Tx, user_id: Uuid) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT id FROM time_entries WHERE user_id = $1 AND ended_at IS NULL AND deleted_at IS NULL";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(id)
}

/// Another live entry of the user (not `except`) overlapping `[start, end)`: half-open, so
/// back-to-back entries do not overlap; a running entry extends without end.
pub async fn overlapping(
    tx: &mut Tx,
    user_id: Uuid,
    except: Uuid,
    start: Timestamp,
    end: Timestamp,
) -> Result<Option<Uuid>> {
    const SQL: &str = "SELECT id FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL AND id <> $2 \
                       AND started_at < $4 AND (ended_at IS NULL OR ended_at > $3) LIMIT 1";
    let id = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(SQL)
            .bind(user_id)
            .bind(except)
            .bind(start)
            .bind(end)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(id)
}

/// Inserts entry `id`. A unique violation means the user already has a running entry.
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &TimeEntryValues,
) -> Result<TimeEntry> {
    let sql = sync_row::insert_sql(&TIME_ENTRIES, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        bind_entry!(sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)), id, user_id, stamp, values)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live entry `id`; `None` if there is none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &TimeEntryValues,
) -> Result<Option<TimeEntry>> {
    let sql = sync_row::update_sql(&TIME_ENTRIES, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        bind_entry!(sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)), id, user_id, stamp, values)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(TimeEntry::from))
}

/// Tombstones the live entry `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &TIME_ENTRIES, user_id, id, stamp).await
}

/// The user's live entries matching `query`, by start, one page.
pub async fn list(
    db: &Db,
    user_id: Uuid,
    query: EntryQuery,
    page: &PageRequest<StartCursor>,
) -> Result<Page<TimeEntry>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR ended_at IS NULL OR ended_at > $2) AND ($3 IS NULL OR started_at < $3) \
         AND ($4 IS NULL OR node_id = $4) AND ($5 IS NULL OR track_id = $5) \
         AND ($6 IS NULL OR started_at > $6 OR (started_at = $6 AND id > $7)) \
         ORDER BY started_at, id LIMIT $8"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(query.from)
            .bind(query.to)
            .bind(query.node_id)
            .bind(query.track_id)
            .bind(page.after.map(|c| c.at))
            .bind(page.after.map(|c| c.id))
            .bind(i64::from(page.limit) + 1)
            .fetch_all(pool)
            .await?
    });
    let items = rows.into_iter().map(TimeEntry::from).collect();
    Ok(Page::from_rows(items, page.limit, |e: &TimeEntry| {
        StartCursor {
            at: e.started_at,
            id: e.id,
        }
    }))
}

/// The user's live entries touching `[start, end)` as summary spans; an entry on a node
/// counts towards the node's track.
pub async fn spans(db: &Db, user_id: Uuid, start: Timestamp, end: Timestamp) -> Result<Vec<Span>> {
    const SQL: &str = "SELECT e.started_at, e.ended_at, e.node_id, COALESCE(e.track_id, n.track_id) AS track_id \
                       FROM time_entries e \
                       LEFT JOIN nodes n ON n.id = e.node_id \
                       WHERE e.user_id = $1 AND e.deleted_at IS NULL AND e.started_at < $3 AND (e.ended_at IS NULL OR e.ended_at > $2)";
    #[derive(sqlx::FromRow)]
    struct SpanRow {
        started_at: Timestamp,
        ended_at: Option<Timestamp>,
        node_id: Option<Uuid>,
        track_id: Option<Uuid>,
    }
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, SpanRow>(SQL).bind(user_id).bind(start).bind(end).fetch_all(pool).await?
    });
    Ok(rows
        .into_iter()
        .map(|row| Span {
            started_at: row.started_at.as_offset_date_time(),
            ended_at: row.ended_at.map(Timestamp::as_offset_date_time),
            node_id: row.node_id,
            track_id: row.track_id,
        })
        .collect())
}

/// `(started_at, ended_at)` of the user's live, finished entries on `node_id` that overlap
/// `[start, end)`, inside a write (the caller clips them to the window).
pub async fn finished_on_node(
    tx: &mut Tx,
    user_id: Uuid,
    node_id: Uuid,
    start: Timestamp,
    end: Timestamp,
) -> Result<Vec<(Timestamp, Timestamp)>> {
    const SQL: &str = "SELECT started_at, ended_at FROM time_entries \
                       WHERE user_id = $1 AND node_id = $2 AND deleted_at IS NULL AND ended_at IS NOT NULL \
                       AND started_at < $4 AND ended_at > $3 ORDER BY started_at, id";
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, (Timestamp, Timestamp)>(SQL)
            .bind(user_id)
            .bind(node_id)
            .bind(start)
            .bind(end)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows)
}

/// Whole minutes over the user's live, finished entries, each entry's rounded down (as
/// `tracking.time_entry_stopped` reports it).
pub async fn finished_minutes(db: &Db, user_id: Uuid) -> Result<i64> {
    // Timestamp arithmetic is where the dialects part: SQLite stores RFC 3339 text (its
    // date functions keep milliseconds), PostgreSQL timestamptz.
    let sql = match db.dialect() {
        Dialect::Sqlite => {
            "SELECT COALESCE(SUM(CAST(ROUND((julianday(ended_at) - julianday(started_at)) * 86400000.0) AS INTEGER) / 60000), 0) \
             FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL AND ended_at IS NOT NULL"
        }
        Dialect::Postgres => {
            "SELECT CAST(COALESCE(SUM(FLOOR(EXTRACT(EPOCH FROM (ended_at - started_at)) / 60)), 0) AS BIGINT) \
             FROM time_entries WHERE user_id = $1 AND deleted_at IS NULL AND ended_at IS NOT NULL"
        }
    };
    let minutes = with_db!(db, pool => {
        sqlx::query_scalar::<_, i64>(sql).bind(user_id).fetch_one(pool).await?
    });
    Ok(minutes)
}
