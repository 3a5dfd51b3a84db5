//! `lifeos vault rotate`: every sealed value re-sealed under the active key (the first of
//! `LIFEOS_VAULT_KEYS`), so an old key can then be dropped from the list.
//!
//! Resumable by construction: rows are walked in id order in batches, and each row is
//! re-sealed in its own short write transaction, so an interrupted run leaves every row
//! either fully old or fully new, and the next run skips what is already current. Each
//! update is a compare-and-set on the old ciphertext: a token a running server refreshed
//! meanwhile (sealed under whatever key it has) is left alone rather than overwritten.

use lifeos_kernel::{Db, with_db, with_tx};
use uuid::Uuid;

use crate::error::Result;
use crate::vault::{Binding, Vault};

/// Rows read per batch.
const BATCH: i64 = 200;

/// Whose name a table's values are sealed with (the binding's `owner`).
#[derive(Debug, Clone, Copy)]
enum OwnerOf {
    /// The row's own column (`provider`: `todoist`, `google`).
    Column(&'static str),
    /// One name for every row (`ics`, `oauth_state`).
    Fixed(&'static str),
}

/// A table holding sealed columns, bound as `Binding { user_id, owner, row_id: id, column }`.
#[derive(Debug, Clone, Copy)]
struct SealedTable {
    name: &'static str,
    owner: OwnerOf,
    columns: &'static [&'static str],
}

/// Every sealed column of the schema (ADR 0018; the plan's binding conventions).
const SEALED: &[SealedTable] = &[
    SealedTable {
        name: "int_connections",
        owner: OwnerOf::Column("provider"),
        columns: &["access_token", "refresh_token", "sync_token"],
    },
    SealedTable {
        name: "int_oauth_states",
        owner: OwnerOf::Fixed("oauth_state"),
        columns: &["verifier"],
    },
    SealedTable {
        name: "int_ics_feeds",
        owner: OwnerOf::Fixed("ics"),
        columns: &["url"],
    },
];

/// Where a value that would not open lives (never the value itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub table: &'static str,
    pub row_id: Uuid,
    pub column: &'static str,
    /// Why, in words: tampered, moved, or sealed under a key no longer listed.
    pub reason: String,
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotateReport {
    /// Values now sealed under the active key by this run.
    pub resealed: u64,
    /// Rows with at least one value re-sealed.
    pub rows: u64,
    /// Values that were already under the active key.
    pub current: u64,
    /// Values changed by someone else between the read and the write (left as they are;
    /// a second run picks them up if they are still old).
    pub changed_meanwhile: u64,
    /// Values that could not be opened: rotation leaves them, and reports where they are.
    pub unreadable: Vec<Unreadable>,
}

/// One row as read: its id, user, owner name and sealed values (by column index).
type Row = (Uuid, Uuid, String, Vec<Option<String>>);

/// Re-seals every sealed value not under `vault`'s active key.
pub async fn rotate(db: &Db, vault: &Vault) -> Result<RotateReport> {
    let mut report = RotateReport::default();
    for table in SEALED {
        let mut after = Uuid::nil();
        loop {
            let rows = batch(db, table, after).await?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            for row in &rows {
                rotate_row(db, vault, table, row, &mut report).await?;
            }
            if i64::try_from(rows.len()).unwrap_or(i64::MAX) < BATCH {
                break;
            }
        }
    }
    Ok(report)
}

/// The next rows of `table` after `after`, in id order.
async fn batch(db: &Db, table: &SealedTable, after: Uuid) -> Result<Vec<Row>> {
    use sqlx::Row as _;
    let owner = match table.owner {
        OwnerOf::Column(column) => column.to_owned(),
        OwnerOf::Fixed(name) => format!("'{name}'"),
    };
    // Identifiers from the constant table above only; the values are bound.
    let sql = format!(
        "SELECT id, user_id, {owner}, {} FROM {} WHERE id > $1 ORDER BY id LIMIT $2",
        table.columns.join(", "),
        table.name
    );
    let width = table.columns.len();
    let rows = with_db!(db, pool => {
        let raw = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(BATCH)
            .fetch_all(pool)
            .await?;
        let mut rows: Vec<Row> = Vec::with_capacity(raw.len());
        for r in &raw {
            let mut values = Vec::with_capacity(width);
            for i in 0..width {
                values.push(r.try_get::<Option<String>, _>(3 + i)?);
            }
            rows.push((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, values));
        }
        rows
    });
    Ok(rows)
}

/// Re-seals one row's old values in one write transaction.
async fn rotate_row(
    db: &Db,
    vault: &Vault,
    table: &SealedTable,
    (row_id, user_id, owner, values): &Row,
    report: &mut RotateReport,
) -> Result<()> {
    let mut changes: Vec<(&'static str, &str, String)> = Vec::new();
    for (column, value) in table.columns.iter().zip(values) {
        let Some(sealed) = value.as_deref() else {
            continue;
        };
        if vault.is_current(sealed) {
            report.current += 1;
            continue;
        }
        let binding = Binding {
            user_id: *user_id,
            owner,
            row_id: *row_id,
            column,
        };
        match vault.reseal(sealed, binding) {
            Ok(resealed) => changes.push((column, sealed, resealed)),
            Err(error) => report.unreadable.push(Unreadable {
                table: table.name,
                row_id: *row_id,
                column,
                reason: error.to_string(),
            }),
        }
    }
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let mut written = 0;
    for (column, old, new) in &changes {
        let sql = format!(
            "UPDATE {} SET {column} = $1 WHERE id = $2 AND {column} = $3",
            table.name
        );
        let affected = with_tx!(&mut tx, conn => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(new)
                .bind(row_id)
                .bind(old)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        });
        if affected == 1 {
            written += 1;
        } else {
            report.changed_meanwhile += 1;
        }
    }
    tx.commit().await?;
    report.resealed += written;
    if written > 0 {
        report.rows += 1;
    }
    Ok(())
}
