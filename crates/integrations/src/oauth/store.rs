//! OAuth states and connections: SQL only, written once for both dialects. Token columns
//! hold vault blobs; this module never sees a plaintext token.

use lifeos_kernel::{Db, StoreError, Timestamp, with_db, with_tx, with_writer};
use uuid::Uuid;

type Result<T> = std::result::Result<T, StoreError>;

/// An authorization in flight, as connect writes it.
#[derive(Debug)]
pub struct NewState<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: &'a str,
    pub state_hash: &'a str,
    pub verifier: &'a str,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// Writes a state, first dropping the user's spent or expired ones (they open nothing).
pub async fn insert_state(db: &Db, row: &NewState<'_>) -> Result<()> {
    const PURGE: &str = "DELETE FROM int_oauth_states WHERE user_id = $1 \
                         AND (used_at IS NOT NULL OR expires_at <= $2)";
    const SQL: &str = "INSERT INTO int_oauth_states (id, user_id, provider, state_hash, verifier, \
                       created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, conn => {
        sqlx::query(PURGE).bind(row.user_id).bind(row.created_at)
            .execute(&mut *conn).await?;
        sqlx::query(SQL)
            .bind(row.id).bind(row.user_id).bind(row.provider).bind(row.state_hash)
            .bind(row.verifier).bind(row.created_at).bind(row.expires_at)
            .execute(&mut *conn).await?;
    });
    tx.commit().await?;
    Ok(())
}

/// A state the callback consumed.
#[derive(Debug, sqlx::FromRow)]
pub struct SpentState {
    pub id: Uuid,
    pub user_id: Uuid,
    pub verifier: String,
}

/// Marks the state used, if it is this provider's, unused and unexpired, in one
/// statement: of two concurrent callbacks with the same state only one gets the row.
pub async fn consume_state(
    db: &Db,
    state_hash: &str,
    provider: &str,
    now: Timestamp,
) -> Result<Option<SpentState>> {
    const SQL: &str = "UPDATE int_oauth_states SET used_at = $1 \
                       WHERE state_hash = $2 AND provider = $3 AND used_at IS NULL \
                       AND expires_at > $1 RETURNING id, user_id, verifier";
    let row = with_writer!(db, pool => {
        sqlx::query_as::<_, SpentState>(SQL)
            .bind(now).bind(state_hash).bind(provider)
            .fetch_optional(pool).await?
    });
    Ok(row)
}

/// A connection's row (token columns sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: String,
    pub status: String,
    pub scopes: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub sync_token: Option<String>,
    pub connected_at: Timestamp,
    pub last_sync_at: Option<Timestamp>,
    pub last_full_sync_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

macro_rules! select_connections {
    ($where:literal) => {
        concat!(
            "SELECT id, user_id, provider, status, scopes, access_token, refresh_token, ",
            "expires_at, sync_token, connected_at, last_sync_at, last_full_sync_at, last_error ",
            "FROM int_connections WHERE ",
            $where
        )
    };
}

/// A new connection, its tokens sealed under its own id.
#[derive(Debug)]
pub struct NewConnection<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: &'a str,
    pub scopes: &'a str,
    pub access_token: &'a str,
    pub refresh_token: Option<&'a str>,
    pub expires_at: Option<Timestamp>,
    pub now: Timestamp,
}

/// Replaces the user's connection to the provider (connecting again starts afresh: a
/// new row id, so nothing sealed for the old row opens in the new one).
pub async fn replace_connection(db: &Db, row: &NewConnection<'_>) -> Result<()> {
    const DELETE: &str = "DELETE FROM int_connections WHERE user_id = $1 AND provider = $2";
    const INSERT: &str = "INSERT INTO int_connections (id, user_id, provider, status, scopes, \
                          access_token, refresh_token, expires_at, connected_at, updated_at) \
                          VALUES ($1, $2, $3, 'connected', $4, $5, $6, $7, $8, $8)";
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, conn => {
        sqlx::query(DELETE).bind(row.user_id).bind(row.provider)
            .execute(&mut *conn).await?;
        sqlx::query(INSERT)
            .bind(row.id).bind(row.user_id).bind(row.provider).bind(row.scopes)
            .bind(row.access_token).bind(row.refresh_token).bind(row.expires_at).bind(row.now)
            .execute(&mut *conn).await?;
    });
    tx.commit().await?;
    Ok(())
}

pub async fn connection(db: &Db, user_id: Uuid, provider: &str) -> Result<Option<ConnectionRow>> {
    const SQL: &str = select_connections!("user_id = $1 AND provider = $2");
    // Read from the writer on SQLite: a refresh re-reads what it may just have written.
    let row = with_writer!(db, pool => {
        sqlx::query_as::<_, ConnectionRow>(SQL)
            .bind(user_id).bind(provider).fetch_optional(pool).await?
    });
    Ok(row)
}

pub async fn connections_of(db: &Db, user_id: Uuid) -> Result<Vec<ConnectionRow>> {
    const SQL: &str = select_connections!("user_id = $1");
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, ConnectionRow>(SQL).bind(user_id).fetch_all(pool).await?
    });
    Ok(rows)
}

/// A refresh's new tokens; the refresh token is kept when the provider sent none.
pub async fn store_refreshed(
    db: &Db,
    id: Uuid,
    access_token: &str,
    refresh_token: Option<&str>,
    expires_at: Option<Timestamp>,
    now: Timestamp,
) -> Result<()> {
    const SQL: &str = "UPDATE int_connections SET access_token = $1, \
                       refresh_token = COALESCE($2, refresh_token), expires_at = $3, \
                       status = 'connected', last_error = NULL, updated_at = $4 WHERE id = $5";
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(access_token).bind(refresh_token).bind(expires_at).bind(now).bind(id)
            .execute(pool).await?;
    });
    Ok(())
}

pub async fn set_status(
    db: &Db,
    user_id: Uuid,
    provider: &str,
    status: &str,
    last_error: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    const SQL: &str = "UPDATE int_connections SET status = $1, last_error = $2, updated_at = $3 \
                       WHERE user_id = $4 AND provider = $5";
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(status).bind(last_error).bind(now).bind(user_id).bind(provider)
            .execute(pool).await?;
    });
    Ok(())
}

/// A sync's outcome. `sync_token`: `Some(Some(_))` a new cursor, `Some(None)` none,
/// `None` keeps the cursor (a failure).
#[derive(Debug)]
pub struct SyncRecord<'a> {
    pub id: Uuid,
    pub sync_token: Option<Option<&'a str>>,
    pub synced_at: Option<Timestamp>,
    pub full_sync_at: Option<Timestamp>,
    pub last_error: Option<&'a str>,
    pub now: Timestamp,
}

pub async fn record_sync(db: &Db, row: &SyncRecord<'_>) -> Result<()> {
    const SQL: &str = "UPDATE int_connections SET \
                       sync_token = CASE WHEN $1 THEN $2 ELSE sync_token END, \
                       last_sync_at = COALESCE($3, last_sync_at), \
                       last_full_sync_at = COALESCE($4, last_full_sync_at), \
                       last_error = $5, updated_at = $6 WHERE id = $7";
    let (replace, token) = match row.sync_token {
        Some(token) => (true, token),
        None => (false, None),
    };
    with_writer!(db, pool => {
        sqlx::query(SQL)
            .bind(replace).bind(token).bind(row.synced_at).bind(row.full_sync_at)
            .bind(row.last_error).bind(row.now).bind(row.id)
            .execute(pool).await?;
    });
    Ok(())
}

pub async fn users_with_status(db: &Db, provider: &str, status: &str) -> Result<Vec<Uuid>> {
    const SQL: &str = "SELECT user_id FROM int_connections WHERE provider = $1 AND status = $2 \
                       ORDER BY user_id";
    let users = with_db!(db, pool => {
        sqlx::query_scalar(SQL).bind(provider).bind(status).fetch_all(pool).await?
    });
    Ok(users)
}

pub async fn providers_with_status(db: &Db, user_id: Uuid, status: &str) -> Result<Vec<String>> {
    const SQL: &str = "SELECT provider FROM int_connections WHERE user_id = $1 AND status = $2 \
                       ORDER BY provider";
    let providers = with_db!(db, pool => {
        sqlx::query_scalar(SQL).bind(user_id).bind(status).fetch_all(pool).await?
    });
    Ok(providers)
}

/// Deletes the user's connection to the provider; whether there was one.
pub async fn delete_connection(db: &Db, user_id: Uuid, provider: &str) -> Result<bool> {
    const SQL: &str = "DELETE FROM int_connections WHERE user_id = $1 AND provider = $2";
    let deleted = with_writer!(db, pool => {
        sqlx::query(SQL).bind(user_id).bind(provider).execute(pool).await?.rows_affected()
    });
    Ok(deleted > 0)
}

/// Deletes every connection and authorization in flight of the user.
pub async fn delete_all(db: &Db, user_id: Uuid) -> Result<()> {
    const CONNECTIONS: &str = "DELETE FROM int_connections WHERE user_id = $1";
    const STATES: &str = "DELETE FROM int_oauth_states WHERE user_id = $1";
    let mut tx = db.begin().await?;
    with_tx!(&mut tx, conn => {
        sqlx::query(CONNECTIONS).bind(user_id).execute(&mut *conn).await?;
        sqlx::query(STATES).bind(user_id).execute(&mut *conn).await?;
    });
    tx.commit().await?;
    Ok(())
}
