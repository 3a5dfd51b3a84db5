//! Syncable rows: every user-owned row that devices sync carries
//! `id, user_id, version, created_at, updated_at, deleted_at`.
//!
//! `version` is the next value of the user's change counter, taken in the same
//! transaction as the write, so "rows with version > n" is a complete change feed.
//! Deletes set `deleted_at` (a tombstone that sync can carry) and take a new version.
//!
//! The helpers here are the one way a store writes such rows: [`insert_sql`] and
//! [`update_sql`] (and [`insert_where_sql`]) build the statement around the bookkeeping columns (bind the id, the
//! owner, then the [`Stamp`], then the domain's own columns), [`fetch_live`] reads a live
//! row by id and owner, [`tombstone`] soft-deletes, [`changes_after`] is the change feed.
//! The counter row is also the per-user write lock: taking a version serialises that
//! user's writes (and only theirs) until the transaction ends; [`lock_user`] takes that
//! lock without a version, for writes to private tables (ADR 0010).

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

use crate::user_data::{UserTable, rows_as_json};
use crate::{StoreError, Timestamp, Tx, with_tx};

/// Takes the next version from `user_id`'s change counter inside `tx`.
pub async fn next_version(tx: &mut Tx, user_id: Uuid) -> Result<i64, StoreError> {
    const SQL: &str = "INSERT INTO user_change_counters (user_id, counter) VALUES ($1, 1) \
                       ON CONFLICT (user_id) DO UPDATE SET counter = user_change_counters.counter + 1 \
                       RETURNING counter";
    let version = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_one(&mut *conn).await?
    });
    Ok(version)
}

/// Takes `user_id`'s write lock inside `tx` without taking a version: for a write
/// transaction that reads to decide but writes no syncable row (private tables). It locks
/// the same counter row [`next_version`] bumps, so it queues behind (and ahead of) every
/// other write of that user until the transaction ends. On SQLite `BEGIN IMMEDIATE`
/// already holds the database's write lock; the statement is then a cheap no-op.
pub async fn lock_user(tx: &mut Tx, user_id: Uuid) -> Result<(), StoreError> {
    // An upsert rather than `SELECT .. FOR UPDATE`: it also locks a user who has no
    // counter row yet, and SQLite has no `FOR UPDATE`.
    const SQL: &str = "INSERT INTO user_change_counters (user_id, counter) VALUES ($1, 0) \
                       ON CONFLICT (user_id) DO UPDATE SET counter = user_change_counters.counter";
    with_tx!(tx, conn => {
        sqlx::query(SQL).bind(user_id).execute(&mut *conn).await?;
    });
    Ok(())
}

/// The user's latest version (0 before their first syncable write).
pub async fn current_version(tx: &mut Tx, user_id: Uuid) -> Result<i64, StoreError> {
    const SQL: &str = "SELECT counter FROM user_change_counters WHERE user_id = $1";
    let version = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(version.unwrap_or(0))
}

/// The stamp for a write: its version and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub version: i64,
    pub at: Timestamp,
}

/// Takes the next version for a write at `at` (and with it the user's write lock).
pub async fn stamp(tx: &mut Tx, user_id: Uuid, at: Timestamp) -> Result<Stamp, StoreError> {
    Ok(Stamp {
        version: next_version(tx, user_id).await?,
        at,
    })
}

/// A row type every dialect can decode.
pub trait AnyRow:
    Send + Unpin + for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow>
{
}

impl<T> AnyRow for T where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow>
{
}

/// `INSERT INTO <table> (id, user_id, version, created_at, updated_at, <columns>)
/// VALUES ($1, $2, $3, $4, $4, $5...) ON CONFLICT (id) DO NOTHING RETURNING <returning>`:
/// bind the id, the owner, the stamp's version and time, then `columns` in order. An id
/// that is taken (by any user, live or tombstoned) inserts nothing and returns no row,
/// which [`unless_id_taken`] turns into `None`: no separate check for the id is needed.
pub fn insert_sql(table: &UserTable, columns: &[&str], returning: &str) -> String {
    let (names, values) = insert_lists(columns);
    format!(
        "INSERT INTO {} (id, user_id, version, created_at, updated_at{names}) \
         VALUES ($1, $2, $3, $4, $4{values}) ON CONFLICT (id) DO NOTHING RETURNING {returning}",
        table.name
    )
}

/// [`insert_sql`] that inserts only if `condition` holds (an SQL expression over the same
/// binds): `INSERT .. SELECT $1, .. WHERE <condition> ON CONFLICT (id) DO NOTHING RETURNING
/// ..`. A check and the insert in one statement: run it after the user's lock, so the
/// condition sees every earlier write of the user (ADR 0010). No row back means the
/// condition failed or the id was taken; the caller tells which on that rare path.
pub fn insert_where_sql(
    table: &UserTable,
    columns: &[&str],
    condition: &str,
    returning: &str,
) -> String {
    let (names, values) = insert_lists(columns);
    format!(
        "INSERT INTO {} (id, user_id, version, created_at, updated_at{names}) \
         SELECT $1, $2, $3, $4, $4{values} WHERE {condition} \
         ON CONFLICT (id) DO NOTHING RETURNING {returning}",
        table.name
    )
}

fn insert_lists(columns: &[&str]) -> (String, String) {
    let names = columns
        .iter()
        .fold(String::new(), |acc, c| format!("{acc}, {c}"));
    let values = (0..columns.len()).fold(String::new(), |acc, i| format!("{acc}, ${}", i + 5));
    (names, values)
}

/// `UPDATE <table> SET version = $3, updated_at = $4, <column> = $5... WHERE id = $1 AND
/// user_id = $2 AND deleted_at IS NULL RETURNING <returning>`: bind the id, the owner, the
/// stamp, then `columns` in order.
pub fn update_sql(table: &UserTable, columns: &[&str], returning: &str) -> String {
    let sets = columns
        .iter()
        .enumerate()
        .fold(String::new(), |acc, (i, c)| {
            format!("{acc}, {c} = ${}", i + 5)
        });
    format!(
        "UPDATE {} SET version = $3, updated_at = $4{sets} \
         WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL RETURNING {returning}",
        table.name
    )
}

/// The live (not tombstoned) row `id` of `user_id`, selecting `columns`.
pub async fn fetch_live<R: AnyRow>(
    tx: &mut Tx,
    table: &UserTable,
    columns: &str,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<R>, StoreError> {
    let sql = format!(
        "SELECT {columns} FROM {} WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
        table.name
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row)
}

/// Tombstones the live row `id` of `user_id`; false if there was none.
pub async fn tombstone(
    tx: &mut Tx,
    table: &UserTable,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE {} SET deleted_at = $3, updated_at = $3, version = $4 \
         WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL",
        table.name
    );
    let affected = with_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id).bind(user_id).bind(stamp.at).bind(stamp.version)
            .execute(&mut *conn).await?.rows_affected()
    });
    Ok(affected == 1)
}

/// Whether any row of `table` (live or tombstoned, any owner) has this id.
pub async fn id_taken(tx: &mut Tx, table: &UserTable, id: Uuid) -> Result<bool, StoreError> {
    let sql = format!("SELECT count(*) FROM {} WHERE id = $1", table.name);
    let count = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(&mut *conn).await?
    });
    Ok(count > 0)
}

/// The id for a new row: the client's, or a fresh one. A client-generated id lets an
/// offline client refer to what it made; whether it is free is decided by the insert
/// itself ([`insert_sql`]).
pub fn row_id(requested: Option<Uuid>) -> Uuid {
    requested.unwrap_or_else(crate::id::new_id)
}

/// The id for a new row: the client's, if no row has it yet (`None` when taken), or a
/// fresh one. One statement more than [`row_id`]; for a check ahead of the insert.
pub async fn new_row_id(
    tx: &mut Tx,
    table: &UserTable,
    requested: Option<Uuid>,
) -> Result<Option<Uuid>, StoreError> {
    match requested {
        Some(id) if id_taken(tx, table, id).await? => Ok(None),
        Some(id) => Ok(Some(id)),
        None => Ok(Some(crate::id::new_id())),
    }
}

/// An insert built by [`insert_sql`], as `None` when its id was taken: the insert returned
/// no row (`ON CONFLICT (id) DO NOTHING`, also when another user's concurrent transaction
/// claimed the id first), or, from an insert without that clause, a unique violation. The
/// caller holds its own user's lock ([`stamp`]) and has checked its own uniqueness rules
/// first, so the only unique key left to break is the primary key.
pub fn unless_id_taken<T>(inserted: Result<T, StoreError>) -> Result<Option<T>, StoreError> {
    match inserted {
        Ok(row) => Ok(Some(row)),
        Err(StoreError::Database(sqlx::Error::RowNotFound)) => Ok(None),
        Err(error) if error.is_unique_violation() => Ok(None),
        Err(error) => Err(error),
    }
}

/// The user's rows of `table` written after `version` (tombstones included), oldest
/// change first, in the export's JSON format: the change feed sync streams.
pub async fn changes_after(
    tx: &mut Tx,
    table: &UserTable,
    user_id: Uuid,
    version: i64,
) -> Result<Vec<serde_json::Value>, StoreError> {
    rows_as_json(tx, table, user_id, Some(version)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: UserTable = UserTable::syncable("things", "thing");

    #[test]
    fn insert_binds_bookkeeping_first() {
        assert_eq!(
            insert_sql(&T, &["name", "size"], "id"),
            "INSERT INTO things (id, user_id, version, created_at, updated_at, name, size) \
             VALUES ($1, $2, $3, $4, $4, $5, $6) ON CONFLICT (id) DO NOTHING RETURNING id"
        );
    }

    #[test]
    fn conditional_insert_selects_the_binds() {
        assert_eq!(
            insert_where_sql(&T, &["name"], "$5 <> ''", "id"),
            "INSERT INTO things (id, user_id, version, created_at, updated_at, name) \
             SELECT $1, $2, $3, $4, $4, $5 WHERE $5 <> '' \
             ON CONFLICT (id) DO NOTHING RETURNING id"
        );
    }

    #[test]
    fn update_only_touches_live_rows_of_the_owner() {
        assert_eq!(
            update_sql(&T, &["name"], "id, name"),
            "UPDATE things SET version = $3, updated_at = $4, name = $5 \
             WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL RETURNING id, name"
        );
    }
}
