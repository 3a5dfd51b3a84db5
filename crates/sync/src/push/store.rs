//! Push's storage: the device's progress under the user's lock and the record of each
//! processed batch (one row per push, with what became of each mutation).

use lifeos_kernel::{StoreError, Timestamp, Tx, id, with_tx};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

pub use crate::devices::store::{Progress, advance, progress};

type Result<T> = std::result::Result<T, StoreError>;

/// One processed batch: mutations `first..=last` of `device_id`.
#[derive(Debug, Clone)]
pub struct Record<'a> {
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub first_mutation_id: i64,
    pub last_mutation_id: i64,
    pub received_at: Timestamp,
    /// `[{mutationId, entity, entityId, op, status, version?, code?, conflictId?}]`.
    pub results: &'a Value,
}

/// Stores the batch's record.
pub async fn record(tx: &mut Tx, record: &Record<'_>) -> Result<()> {
    const SQL: &str = "INSERT INTO sync_pushes (id, user_id, device_id, first_mutation_id, \
                       last_mutation_id, received_at, results) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id::new_id())
            .bind(record.user_id)
            .bind(record.device_id)
            .bind(record.first_mutation_id)
            .bind(record.last_mutation_id)
            .bind(record.received_at)
            .bind(Json(record.results))
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

/// The recorded results of device `device_id`'s mutations `from..=to`, as pushed: what a
/// retry answers `duplicate` with.
pub async fn recorded(tx: &mut Tx, device_id: Uuid, from: i64, to: i64) -> Result<Vec<Value>> {
    const SQL: &str = "SELECT results FROM sync_pushes \
                       WHERE device_id = $1 AND last_mutation_id >= $2 AND first_mutation_id <= $3";
    let rows = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Json<Value>>(SQL)
            .bind(device_id).bind(from).bind(to).fetch_all(&mut *conn).await?
    });
    Ok(rows
        .into_iter()
        .flat_map(|Json(results)| match results {
            Value::Array(items) => items,
            _ => Vec::new(),
        })
        .collect())
}
