//! `int_health_imports`: SQL only, one statement for both dialects.

use lifeos_kernel::{Db, StoreError, Timestamp, with_db, with_writer};
use uuid::Uuid;

type Result<T> = std::result::Result<T, StoreError>;

/// One import as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ImportRow {
    pub id: Uuid,
    pub status: String,
    pub format: String,
    pub bytes_total: i64,
    pub bytes_read: i64,
    pub records_seen: i64,
    pub imported: i64,
    pub duplicates: i64,
    pub skipped: i64,
    pub first_sample_at: Option<Timestamp>,
    pub last_sample_at: Option<Timestamp>,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
}

/// A job's counters, written after every batch.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Progress {
    pub bytes_read: i64,
    pub records_seen: i64,
    pub imported: i64,
    pub duplicates: i64,
    pub skipped: i64,
    pub first_sample_at: Option<Timestamp>,
    pub last_sample_at: Option<Timestamp>,
}

/// A queued import of an upload of `bytes_total` bytes.
pub async fn insert(
    db: &Db,
    id: Uuid,
    user_id: Uuid,
    format: &str,
    bytes_total: i64,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "INSERT INTO int_health_imports (id, user_id, status, format, bytes_total, \
                       created_at) VALUES ($1, $2, 'queued', $3, $4, $5)";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(id).bind(user_id).bind(format).bind(bytes_total).bind(at)
            .execute(pool).await?;
    });
    Ok(())
}

/// Marks the user's unfinished imports failed: none of them has a job any more (the
/// server stopped during it), since this process runs at most one per user.
pub async fn fail_abandoned(db: &Db, user_id: Uuid, error: &str, at: Timestamp) -> Result<u64> {
    const SQL: &str = "UPDATE int_health_imports SET status = 'failed', error = $2, \
                       finished_at = $3 WHERE user_id = $1 AND status IN ('queued', 'running')";
    let done = with_writer!(db, pool => {
        sqlx::query(SQL).bind(user_id).bind(error).bind(at).execute(pool).await?.rows_affected()
    });
    Ok(done)
}

pub async fn start(db: &Db, id: Uuid, at: Timestamp) -> Result<()> {
    const SQL: &str =
        "UPDATE int_health_imports SET status = 'running', started_at = $2 WHERE id = $1";
    with_writer!(db, pool => {
        sqlx::query(SQL).bind(id).bind(at).execute(pool).await?;
    });
    Ok(())
}

pub async fn progress(db: &Db, id: Uuid, p: &Progress) -> Result<()> {
    const SQL: &str = "UPDATE int_health_imports SET bytes_read = $2, records_seen = $3, \
                       imported = $4, duplicates = $5, skipped = $6, first_sample_at = $7, \
                       last_sample_at = $8 WHERE id = $1";
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(id).bind(p.bytes_read).bind(p.records_seen).bind(p.imported)
            .bind(p.duplicates).bind(p.skipped).bind(p.first_sample_at).bind(p.last_sample_at)
            .execute(pool).await?;
    });
    Ok(())
}

/// The job's end: `done`, or `failed` with its sentence.
pub async fn finish(
    db: &Db,
    id: Uuid,
    p: &Progress,
    error: Option<&str>,
    at: Timestamp,
) -> Result<()> {
    const SQL: &str = "UPDATE int_health_imports SET status = $2, error = $3, finished_at = $4, \
                       bytes_read = $5, records_seen = $6, imported = $7, duplicates = $8, \
                       skipped = $9, first_sample_at = $10, last_sample_at = $11 WHERE id = $1";
    let status = if error.is_some() { "failed" } else { "done" };
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(id).bind(status).bind(error).bind(at)
            .bind(p.bytes_read).bind(p.records_seen).bind(p.imported)
            .bind(p.duplicates).bind(p.skipped).bind(p.first_sample_at).bind(p.last_sample_at)
            .execute(pool).await?;
    });
    Ok(())
}

/// The user's import `id`; `None` for another user's or an unknown one.
pub async fn get(db: &Db, user_id: Uuid, id: Uuid) -> Result<Option<ImportRow>> {
    const SQL: &str = "SELECT id, status, format, bytes_total, bytes_read, records_seen, \
                       imported, duplicates, skipped, first_sample_at, last_sample_at, error, \
                       created_at, finished_at FROM int_health_imports WHERE id = $1 AND user_id = $2";
    let row = with_db!(db, pool => {
        sqlx::query_as::<_, ImportRow>(SQL).bind(id).bind(user_id).fetch_optional(pool).await?
    });
    Ok(row)
}
