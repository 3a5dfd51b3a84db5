//! The registry of tables that hold user data: each domain declares its tables once
//! ([`DomainTables`]), and export, erasure and sync read that declaration. A table is
//! exported, erased (and, when syncable, synced) the moment it is declared; a test walks
//! the schema and fails when a table that refers to a user is not declared.
//!
//! Exports are built from the rows themselves (every column but the declared secrets), so
//! a new column is exported without code changes, in one format on both dialects: ids as
//! UUID text, booleans as `true`/`false`, timestamps (columns named `*_at`, or declared) as RFC 3339 UTC,
//! JSON documents as JSON. The schema test checks those naming conventions on PostgreSQL.

use std::sync::{Arc, OnceLock};

use uuid::Uuid;

use crate::{Db, StoreError, Timestamp, Tx, with_tx};

/// The column that names a row's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// `user_id` (every table but `users`).
    UserId,
    /// `id`: the `users` row itself.
    Id,
}

impl Owner {
    pub fn column(self) -> &'static str {
        match self {
            Owner::UserId => "user_id",
            Owner::Id => "id",
        }
    }
}

/// One table holding user data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserTable {
    pub name: &'static str,
    pub owner: Owner,
    /// The entity name devices sync this table's rows as (`day_type`), for syncable rows
    /// (`id, user_id, version, created_at, updated_at, deleted_at`); `None` for rows that
    /// stay on the server.
    pub sync_entity: Option<&'static str>,
    /// Columns holding JSON documents (TEXT on SQLite, jsonb on PostgreSQL).
    pub json_columns: &'static [&'static str],
    /// Columns holding booleans (INTEGER on SQLite).
    pub bool_columns: &'static [&'static str],
    /// Columns never exported: secrets (hashes, cached responses) of no use to the person.
    pub secret_columns: &'static [&'static str],
    /// Timestamp columns whose names do not end in `_at`.
    pub timestamp_columns: &'static [&'static str],
}

impl UserTable {
    /// A table whose rows stay on the server (sessions, samples, history).
    pub const fn private(name: &'static str) -> Self {
        Self {
            name,
            owner: Owner::UserId,
            sync_entity: None,
            json_columns: &[],
            bool_columns: &[],
            secret_columns: &[],
            timestamp_columns: &[],
        }
    }

    /// A table of syncable rows, synced to devices as `entity`.
    pub const fn syncable(name: &'static str, entity: &'static str) -> Self {
        Self {
            sync_entity: Some(entity),
            ..Self::private(name)
        }
    }

    pub const fn json(self, columns: &'static [&'static str]) -> Self {
        Self {
            json_columns: columns,
            ..self
        }
    }

    pub const fn bools(self, columns: &'static [&'static str]) -> Self {
        Self {
            bool_columns: columns,
            ..self
        }
    }

    pub const fn secret(self, columns: &'static [&'static str]) -> Self {
        Self {
            secret_columns: columns,
            ..self
        }
    }

    pub const fn timestamps(self, columns: &'static [&'static str]) -> Self {
        Self {
            timestamp_columns: columns,
            ..self
        }
    }

    /// Whether `column` holds a timestamp: named `*_at`, or declared.
    pub fn is_timestamp(&self, column: &str) -> bool {
        column.ends_with("_at") || self.timestamp_columns.contains(&column)
    }

    pub const fn owned_by_id(self) -> Self {
        Self {
            owner: Owner::Id,
            ..self
        }
    }

    pub fn is_syncable(&self) -> bool {
        self.sync_entity.is_some()
    }
}

/// One domain's tables, children before parents (the order erasure deletes them in).
#[derive(Debug, Clone, Copy)]
pub struct DomainTables {
    /// The key of this domain's section in an export (`identity`, `tracking`...).
    pub domain: &'static str,
    pub tables: &'static [UserTable],
}

/// A user's sync snapshot as JSON, for the account export: implemented by sync and
/// handed in by the gateway ([`UserDataRegistry::set_snapshots`]), so the export carries
/// the very snapshot `GET /sync/snapshot` answers, built by one function.
#[async_trait::async_trait]
pub trait SnapshotSource: Send + Sync {
    /// The snapshot of `user_id`, read in `tx`, taken at `at`.
    async fn snapshot_json(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        at: Timestamp,
    ) -> Result<serde_json::Value, StoreError>;
}

/// What must happen outside the database before a user's rows are erased: revoking
/// provider tokens (integrations), while the rows that hold them still exist. Handed in by
/// the gateway ([`UserDataRegistry::set_erasure_hook`]).
#[async_trait::async_trait]
pub trait ErasureHook: Send + Sync {
    /// Called at the start of [`UserDataRegistry::erase`]. Best effort: a failure is the
    /// hook's to log; erasure goes on regardless (the person asked for it).
    async fn before_erase(&self, user_id: Uuid);
}

/// Every domain's tables (the platform's and identity's among them).
#[derive(Clone)]
pub struct UserDataRegistry {
    db: Db,
    domains: Vec<DomainTables>,
    /// Set once at wiring time, after sync is built (which comes after identity).
    snapshots: Arc<OnceLock<Arc<dyn SnapshotSource>>>,
    /// Set once at wiring time, after integrations are built (which come after identity).
    erasure_hook: Arc<OnceLock<Arc<dyn ErasureHook>>>,
}

impl std::fmt::Debug for UserDataRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserDataRegistry")
            .field("domains", &self.domains)
            .field("snapshots", &self.snapshots.get().is_some())
            .field("erasure_hook", &self.erasure_hook.get().is_some())
            .finish_non_exhaustive()
    }
}

impl UserDataRegistry {
    pub fn new(db: Db, domains: Vec<DomainTables>) -> Self {
        Self {
            db,
            domains,
            snapshots: Arc::default(),
            erasure_hook: Arc::default(),
        }
    }

    /// Makes every erasure call `hook` first; the first hook set stays.
    pub fn set_erasure_hook(&self, hook: Arc<dyn ErasureHook>) {
        let _ = self.erasure_hook.set(hook);
    }

    /// Makes every export carry the user's sync snapshot from `source`; the first source
    /// set stays.
    pub fn set_snapshots(&self, source: Arc<dyn SnapshotSource>) {
        let _ = self.snapshots.set(source);
    }

    pub fn domains(&self) -> &[DomainTables] {
        &self.domains
    }

    /// Every declared table with its domain.
    pub fn tables(&self) -> impl Iterator<Item = (&'static str, &'static UserTable)> + '_ {
        self.domains
            .iter()
            .flat_map(|d| d.tables.iter().map(move |t| (d.domain, t)))
    }

    /// The syncable tables: what sync streams and applies.
    pub fn syncable(&self) -> impl Iterator<Item = (&'static str, &'static UserTable)> + '_ {
        self.tables().filter(|(_, t)| t.is_syncable())
    }

    /// `{ "<domain>": { "<table>": [rows...] } }`: every row (tombstones included), read
    /// in one read transaction so the export is a consistent snapshot.
    pub async fn export(
        &self,
        user_id: Uuid,
    ) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
        let mut tx = self.db.begin_read().await?;
        let all = self.sections(&mut tx, user_id).await?;
        tx.commit().await?;
        Ok(all)
    }

    /// [`Self::export`] and, when a [`SnapshotSource`] is set, the user's sync snapshot
    /// taken at `at`: both read in one read transaction, so they agree.
    pub async fn export_with_snapshot(
        &self,
        user_id: Uuid,
        at: Timestamp,
    ) -> Result<
        (
            serde_json::Map<String, serde_json::Value>,
            Option<serde_json::Value>,
        ),
        StoreError,
    > {
        let mut tx = self.db.begin_read().await?;
        let all = self.sections(&mut tx, user_id).await?;
        let snapshot = match self.snapshots.get() {
            Some(source) => Some(source.snapshot_json(&mut tx, user_id, at).await?),
            None => None,
        };
        tx.commit().await?;
        Ok((all, snapshot))
    }

    async fn sections(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
    ) -> Result<serde_json::Map<String, serde_json::Value>, StoreError> {
        let mut all = serde_json::Map::new();
        for domain in &self.domains {
            let mut section = serde_json::Map::new();
            for table in domain.tables {
                let rows = rows_as_json(tx, table, user_id, None).await?;
                section.insert(table.name.to_owned(), serde_json::Value::Array(rows));
            }
            all.insert(domain.domain.to_owned(), serde_json::Value::Object(section));
        }
        Ok(all)
    }

    /// Erases the user everywhere in one transaction: all or nothing (hard deletes:
    /// erasure is the one exception to soft deletes). Tables go in declaration order;
    /// the `users` row itself ([`Owner::Id`]) last, as everything else refers to it.
    /// The [`ErasureHook`] runs first, while the rows it needs are still there.
    pub async fn erase(&self, user_id: Uuid) -> Result<(), StoreError> {
        if let Some(hook) = self.erasure_hook.get() {
            hook.before_erase(user_id).await;
        }
        let mut tx = self.db.begin().await?;
        let (owned, owners): (Vec<_>, Vec<_>) =
            self.tables().partition(|(_, t)| t.owner == Owner::UserId);
        for (_, table) in owned.into_iter().chain(owners) {
            let sql = format!(
                "DELETE FROM {} WHERE {} = $1",
                table.name,
                table.owner.column()
            );
            with_tx!(&mut tx, conn => {
                sqlx::query(sqlx::AssertSqlSafe(sql)).bind(user_id).execute(&mut *conn).await?;
            });
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The platform tables' share of a user (the top-level `migrations/`).
pub const PLATFORM_TABLES: DomainTables = DomainTables {
    domain: "platform",
    tables: &[
        UserTable::private("idempotency_keys").secret(&["request_hash", "response_body"]),
        UserTable::private("outbox_events").json(&["payload"]),
        UserTable::private("user_change_counters"),
    ],
};

/// One user's rows of `table` as JSON objects keyed by column name (secrets left out), in
/// the export format described in the module docs. With `after_version`, only syncable
/// rows changed after that version, in version order (the change feed sync streams).
pub async fn rows_as_json(
    tx: &mut Tx,
    table: &UserTable,
    user_id: Uuid,
    after_version: Option<i64>,
) -> Result<Vec<serde_json::Value>, StoreError> {
    let columns = column_names(tx, table.name).await?;
    let exported: Vec<&str> = columns
        .iter()
        .map(String::as_str)
        .filter(|c| !table.secret_columns.contains(c))
        .collect();
    let filter = match after_version {
        Some(_) => " AND version > $2 ORDER BY version",
        None => " ORDER BY 1",
    };
    let owner = table.owner.column();
    let texts: Vec<String> = match tx {
        Tx::Postgres(conn) => {
            let list = exported.join(", ");
            let sql = format!(
                "SELECT row_to_json(t)::text FROM (SELECT {list} FROM {} WHERE {owner} = $1{filter}) t",
                table.name
            );
            let query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(user_id);
            let query = match after_version {
                Some(v) => query.bind(v),
                None => query,
            };
            query.fetch_all(&mut **conn).await?
        }
        Tx::Sqlite(conn) => {
            let pairs: Vec<String> = exported
                .iter()
                .map(|c| sqlite_json_pair(table, c))
                .collect();
            let sql = format!(
                "SELECT json_object({}) FROM {} WHERE {owner} = $1{filter}",
                pairs.join(", "),
                table.name
            );
            let query = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(user_id);
            let query = match after_version {
                Some(v) => query.bind(v),
                None => query,
            };
            query.fetch_all(&mut **conn).await?
        }
    };
    texts
        .iter()
        .map(|text| {
            let mut row: serde_json::Value = serde_json::from_str(text)?;
            normalise(table, &mut row);
            Ok(row)
        })
        .collect()
}

/// The table's columns in declaration order.
pub async fn column_names(tx: &mut Tx, table: &str) -> Result<Vec<String>, StoreError> {
    let names = match tx {
        Tx::Postgres(conn) => {
            const SQL: &str = "SELECT column_name::text FROM information_schema.columns \
                               WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position";
            sqlx::query_scalar(SQL)
                .bind(table)
                .fetch_all(&mut **conn)
                .await?
        }
        Tx::Sqlite(conn) => {
            const SQL: &str = "SELECT name FROM pragma_table_info($1) ORDER BY cid";
            sqlx::query_scalar(SQL)
                .bind(table)
                .fetch_all(&mut **conn)
                .await?
        }
    };
    Ok(names)
}

/// Whether a column holds an id (UUID): `id` or `*_id`, by the schema's convention.
pub fn is_id_column(column: &str) -> bool {
    column == "id" || column.ends_with("_id")
}

/// SQLite stores ids as 16-byte BLOBs and JSON as text; both leave as JSON values. An
/// `*_id` column that holds something else (an external id, a transaction number) stays
/// as it is.
fn sqlite_json_pair(table: &UserTable, c: &str) -> String {
    if is_id_column(c) {
        format!(
            "'{c}', CASE WHEN typeof({c}) = 'blob' AND length({c}) = 16 THEN lower(substr(hex({c}),1,8)||'-'||substr(hex({c}),9,4)||'-'||\
             substr(hex({c}),13,4)||'-'||substr(hex({c}),17,4)||'-'||substr(hex({c}),21)) ELSE {c} END"
        )
    } else if table.json_columns.contains(&c) {
        format!("'{c}', json({c})")
    } else {
        format!("'{c}', {c}")
    }
}

/// Brings the dialects' renderings to one format: booleans as JSON booleans (SQLite
/// stores 0/1) and timestamps as the API writes them (SQLite stores fixed-width text,
/// PostgreSQL renders `+00:00`).
fn normalise(table: &UserTable, row: &mut serde_json::Value) {
    let Some(object) = row.as_object_mut() else {
        return;
    };
    for (column, value) in object.iter_mut() {
        if table.bool_columns.contains(&column.as_str())
            && let Some(n) = value.as_i64()
        {
            *value = serde_json::Value::Bool(n != 0);
        } else if table.is_timestamp(column)
            && let Some(at) = value.as_str().and_then(|t| Timestamp::parse(t).ok())
        {
            *value = serde_json::Value::String(at.to_string());
        }
    }
}
