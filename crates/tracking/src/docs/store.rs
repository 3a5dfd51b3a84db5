//! Docs' storage: SQL only, written once for both dialects. Writes and reads inside a
//! write take the caller's transaction; plain reads take the pool.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use uuid::Uuid;

use super::{Doc, DocFilter, DocValues};
use crate::user_data::{DOCS, NODES, TRACKS};

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a doc is read with.
pub const COLUMNS: &str = "id, title, body, track_id, node_id, version, created_at, updated_at";

/// The columns a write sets, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &["title", "body", "track_id", "node_id"];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    title: String,
    body: String,
    track_id: Option<Uuid>,
    node_id: Option<Uuid>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<Row> for Doc {
    fn from(r: Row) -> Self {
        Doc {
            id: r.id,
            title: r.title,
            body: r.body,
            track_id: r.track_id,
            node_id: r.node_id,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A LIKE pattern matching `q` anywhere, with LIKE's wildcards escaped.
fn contains_pattern(q: &str) -> String {
    let escaped = q
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// The user's live docs matching `filter`, by id, one page.
pub async fn list(
    db: &Db,
    user_id: Uuid,
    filter: &DocFilter,
    page: &PageRequest<Uuid>,
) -> Result<Page<Doc>> {
    let pattern = filter.q.as_deref().map(contains_pattern);
    // lower() folds ASCII on SQLite and all of Unicode on PostgreSQL (see README).
    let sql = format!(
        "SELECT {COLUMNS} FROM docs WHERE user_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR track_id = $2) AND ($3 IS NULL OR node_id = $3) \
         AND ($4 IS NULL OR lower(title) LIKE $4 ESCAPE '\\' OR lower(body) LIKE $4 ESCAPE '\\') \
         AND ($5 IS NULL OR id > $5) ORDER BY id LIMIT $6"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(filter.track_id)
            .bind(filter.node_id)
            .bind(pattern)
            .bind(page.after)
            .bind(i64::from(page.limit) + 1)
            .fetch_all(pool)
            .await?
    });
    let items = rows.into_iter().map(Doc::from).collect();
    Ok(Page::from_rows(items, page.limit, |d: &Doc| d.id))
}

/// The user's live doc `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Doc>> {
    let row = sync_row::fetch_live::<Row>(tx, &DOCS, COLUMNS, user_id, id).await?;
    Ok(row.map(Doc::from))
}

/// The user's live docs whose version is in `(after, upto]`, oldest version first: what
/// a sync pull returns of them.
pub async fn between(tx: &mut Tx, user_id: Uuid, after: i64, upto: i64) -> Result<Vec<Doc>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM docs WHERE user_id = $1 AND version > $2 AND version <= $3 \
         AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(user_id).bind(after).bind(upto).fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().map(Doc::from).collect())
}

pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &DocValues,
) -> Result<Doc> {
    let sql = sync_row::insert_sql(&DOCS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(&values.title)
            .bind(&values.body)
            .bind(values.track_id)
            .bind(values.node_id)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live doc `id`; `None` if there is none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &DocValues,
) -> Result<Option<Doc>> {
    let sql = sync_row::update_sql(&DOCS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(&values.title)
            .bind(&values.body)
            .bind(values.track_id)
            .bind(values.node_id)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Doc::from))
}

/// Tombstones the live doc `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &DOCS, user_id, id, stamp).await
}

async fn is_live(tx: &mut Tx, table: &UserTable, user_id: Uuid, id: Uuid) -> Result<bool> {
    let row = sync_row::fetch_live::<(Uuid,)>(tx, table, "id", user_id, id).await?;
    Ok(row.is_some())
}

/// Whether `id` is one of the user's live tracks (a doc may link to it).
pub async fn track_is_live(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<bool> {
    is_live(tx, &TRACKS, user_id, id).await
}

/// Whether `id` is one of the user's live nodes (a doc may link to it).
pub async fn node_is_live(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<bool> {
    is_live(tx, &NODES, user_id, id).await
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn search_patterns_escape_wildcards() {
        assert_eq!(contains_pattern("Plan"), "%plan%");
        assert_eq!(contains_pattern("100%_done"), "%100\\%\\_done%");
    }
}
