//! `int_ics_feeds`: SQL only, written once for both dialects. The `url` column holds the
//! vault-sealed address; nothing here opens it.

use lifeos_kernel::{Db, StoreError, Timestamp, with_db, with_writer};
use uuid::Uuid;

type Result<T> = std::result::Result<T, StoreError>;

/// One feed as stored.
#[derive(Clone, PartialEq, sqlx::FromRow)]
pub struct FeedRow {
    pub id: Uuid,
    pub user_id: Uuid,
    /// Sealed (`v1:<key id>:...`).
    pub url: String,
    pub url_host: String,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub events: i64,
    pub created_at: Timestamp,
    pub last_fetched_at: Option<Timestamp>,
    pub last_success_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

impl std::fmt::Debug for FeedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("url_host", &self.url_host)
            .field("events", &self.events)
            .field("last_fetched_at", &self.last_fetched_at)
            .finish_non_exhaustive()
    }
}

/// A feed about to be stored, fetched and parsed already.
#[derive(Clone)]
pub struct NewFeed<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub sealed_url: &'a str,
    pub url_host: &'a str,
    pub url_hash: &'a str,
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
    pub events: i64,
    pub at: Timestamp,
}

pub async fn count(db: &Db, user_id: Uuid) -> Result<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM int_ics_feeds WHERE user_id = $1";
    let count: i64 = with_db!(db, pool => {
        sqlx::query_scalar(SQL).bind(user_id).fetch_one(pool).await?
    });
    Ok(count)
}

pub async fn exists(db: &Db, user_id: Uuid, url_hash: &str) -> Result<bool> {
    const SQL: &str = "SELECT id FROM int_ics_feeds WHERE user_id = $1 AND url_hash = $2";
    let found: Option<Uuid> = with_db!(db, pool => {
        sqlx::query_scalar(SQL).bind(user_id).bind(url_hash).fetch_optional(pool).await?
    });
    Ok(found.is_some())
}

/// Fails with a unique violation when the user has this address already.
pub async fn insert(db: &Db, feed: &NewFeed<'_>) -> Result<()> {
    const SQL: &str = "INSERT INTO int_ics_feeds (id, user_id, url, url_host, url_hash, etag, \
                       last_modified, events, created_at, last_fetched_at, last_success_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $9)";
    let events = i32::try_from(feed.events).unwrap_or(i32::MAX);
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(feed.id)
            .bind(feed.user_id)
            .bind(feed.sealed_url)
            .bind(feed.url_host)
            .bind(feed.url_hash)
            .bind(feed.etag)
            .bind(feed.last_modified)
            .bind(events)
            .bind(feed.at)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// The user's feeds, oldest first.
pub async fn list(db: &Db, user_id: Uuid) -> Result<Vec<FeedRow>> {
    const SQL: &str = "SELECT id, user_id, url, url_host, etag, last_modified, \
                       CAST(events AS BIGINT) AS events, created_at, last_fetched_at, \
                       last_success_at, last_error \
                       FROM int_ics_feeds WHERE user_id = $1 ORDER BY created_at, id";
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, FeedRow>(SQL).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows)
}

pub async fn get(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<FeedRow>> {
    const SQL: &str = "SELECT id, user_id, url, url_host, etag, last_modified, \
                       CAST(events AS BIGINT) AS events, created_at, last_fetched_at, \
                       last_success_at, last_error \
                       FROM int_ics_feeds WHERE user_id = $1 AND id = $2";
    let row = with_db!(db, pool => {
        sqlx::query_as::<_, FeedRow>(SQL).bind(user_id).bind(id).fetch_optional(pool).await?
    });
    Ok(row)
}

/// The user's feeds not fetched since `before` (never fetched included).
pub async fn stale(db: &Db, user_id: Uuid, before: Timestamp) -> Result<Vec<Uuid>> {
    const SQL: &str = "SELECT id FROM int_ics_feeds WHERE user_id = $1 \
                       AND (last_fetched_at IS NULL OR last_fetched_at < $2) ORDER BY id";
    let ids = with_db!(db, pool => {
        sqlx::query_scalar(SQL).bind(user_id).bind(before).fetch_all(pool).await?
    });
    Ok(ids)
}

/// Every user's feeds not fetched since `before`: the periodic refresh's list.
pub async fn all_stale(db: &Db, before: Timestamp) -> Result<Vec<(Uuid, Uuid)>> {
    const SQL: &str = "SELECT user_id, id FROM int_ics_feeds \
                       WHERE last_fetched_at IS NULL OR last_fetched_at < $1 \
                       ORDER BY last_fetched_at, id";
    let rows = with_db!(db, pool => {
        sqlx::query_as(SQL).bind(before).fetch_all(pool).await?
    });
    Ok(rows)
}

pub async fn ids(db: &Db, user_id: Uuid) -> Result<Vec<Uuid>> {
    const SQL: &str = "SELECT id FROM int_ics_feeds WHERE user_id = $1 ORDER BY id";
    let ids = with_db!(db, pool => {
        sqlx::query_scalar(SQL).bind(user_id).fetch_all(pool).await?
    });
    Ok(ids)
}

/// A fetch that read the feed: its validators and event count are the new ones.
pub async fn record_read(
    db: &Db,
    user_id: Uuid,
    id: Uuid,
    etag: Option<&str>,
    last_modified: Option<&str>,
    events: i64,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "UPDATE int_ics_feeds SET etag = $3, last_modified = $4, events = $5, \
                       last_fetched_at = $6, last_success_at = $6, last_error = NULL \
                       WHERE user_id = $1 AND id = $2";
    let events = i32::try_from(events).unwrap_or(i32::MAX);
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(user_id)
            .bind(id)
            .bind(etag)
            .bind(last_modified)
            .bind(events)
            .bind(at)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// A 304: the feed answered and has not changed.
pub async fn record_unchanged(db: &Db, user_id: Uuid, id: Uuid, at: Timestamp) -> Result<()> {
    const SQL: &str = "UPDATE int_ics_feeds SET last_fetched_at = $3, last_error = NULL \
                       WHERE user_id = $1 AND id = $2";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(user_id).bind(id).bind(at).execute(pool).await?;
    });
    Ok(())
}

pub async fn record_failure(
    db: &Db,
    user_id: Uuid,
    id: Uuid,
    error: &str,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "UPDATE int_ics_feeds SET last_fetched_at = $3, last_error = $4 \
                       WHERE user_id = $1 AND id = $2";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(user_id).bind(id).bind(at).bind(error).execute(pool).await?;
    });
    Ok(())
}

/// Whether the feed existed.
pub async fn delete(db: &Db, user_id: Uuid, id: Uuid) -> Result<bool> {
    const SQL: &str = "DELETE FROM int_ics_feeds WHERE user_id = $1 AND id = $2";
    let done = with_writer!(db, pool => {
        sqlx::query(SQL).bind(user_id).bind(id).execute(pool).await?.rows_affected()
    });
    Ok(done > 0)
}
