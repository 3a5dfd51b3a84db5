//! Applies every crate's migrations, in a fixed order, to one database.
//!
//! Each crate keeps `migrations/{sqlite,postgres}` and its own migrations table
//! (`_sqlx_migrations_<name>`): with sqlx's shared default table the second crate's
//! migrator would see the first crate's versions and fail with `VersionMissing`.

use sqlx::migrate::Migrator;

use crate::{Db, StoreError};

/// One crate's migrations for both dialects.
#[derive(Debug)]
pub struct MigrationSet {
    pub name: &'static str,
    sqlite: Migrator,
    postgres: Migrator,
}

impl MigrationSet {
    pub fn new(name: &'static str, mut sqlite: Migrator, mut postgres: Migrator) -> Self {
        let table = format!("_sqlx_migrations_{name}");
        sqlite.dangerous_set_table_name(table.clone());
        postgres.dangerous_set_table_name(table);
        Self {
            name,
            sqlite,
            postgres,
        }
    }

    pub fn table_name(&self) -> String {
        format!("_sqlx_migrations_{}", self.name)
    }
}

/// The schema owned by no single domain: `users` and the platform tables
/// (change counters, idempotency keys, outbox). Always applied first.
pub fn platform() -> MigrationSet {
    MigrationSet::new(
        "platform",
        sqlx::migrate!("../../migrations/sqlite"),
        sqlx::migrate!("../../migrations/postgres"),
    )
}

/// Applies `sets` in order. Idempotent: applied migrations are skipped.
pub async fn run(db: &Db, sets: &[MigrationSet]) -> Result<(), StoreError> {
    for set in sets {
        tracing::debug!(set = set.name, "applying migrations");
        match db {
            Db::Sqlite(pools) => set.sqlite.run(&pools.writer).await?,
            Db::Postgres(pool) => set.postgres.run(pool).await?,
        }
    }
    Ok(())
}
