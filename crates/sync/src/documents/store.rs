//! Documents' storage: SQL only, written once for both dialects (`data` and
//! `field_versions` are TEXT on SQLite, JSONB on PostgreSQL, bound as JSON).

use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{StoreError, Timestamp, Tx, with_tx};
use serde_json::{Map, Value};
use sqlx::types::Json;
use uuid::Uuid;

use super::Document;
use super::merge::{FieldVersions, Merged};
use crate::user_data::DOCUMENTS;

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a document is read with.
const COLUMNS: &str = "id, key, data, field_versions, version, created_at, updated_at";

/// The columns writes set, in bind order (after the bookkeeping).
const WRITTEN: &[&str] = &["key", "data", "field_versions"];

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    key: String,
    data: Json<Map<String, Value>>,
    field_versions: Json<FieldVersions>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

/// A stored document: what pull shows, and the field versions its merge needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub document: Document,
    pub field_versions: FieldVersions,
}

impl Stored {
    pub fn merged(&self) -> Merged {
        Merged {
            data: self.document.data.clone(),
            field_versions: self.field_versions.clone(),
        }
    }
}

impl From<Row> for Stored {
    fn from(row: Row) -> Self {
        Stored {
            document: Document {
                id: row.id,
                key: row.key,
                data: row.data.0,
                version: row.version,
                created_at: row.created_at,
                updated_at: row.updated_at,
            },
            field_versions: row.field_versions.0,
        }
    }
}

/// The user's live document `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Stored>> {
    let row = sync_row::fetch_live::<Row>(tx, &DOCUMENTS, COLUMNS, user_id, id).await?;
    Ok(row.map(Stored::from))
}

/// The user's live documents with version in `(after, upto]`, oldest version first.
pub async fn live_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<Stored>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sync_documents WHERE user_id = $1 AND version > $2 \
         AND version <= $3 AND deleted_at IS NULL ORDER BY version, id"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(user_id).bind(after).bind(upto)
            .fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().map(Stored::from).collect())
}

/// Whether another live document of the user (not `id`) has `key`.
pub async fn key_taken(tx: &mut Tx, user_id: Uuid, key: &str, id: Uuid) -> Result<bool> {
    const SQL: &str = "SELECT count(*) FROM sync_documents \
                       WHERE user_id = $1 AND key = $2 AND id <> $3 AND deleted_at IS NULL";
    let count = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, i64>(SQL).bind(user_id).bind(key).bind(id)
            .fetch_one(&mut *conn).await?
    });
    Ok(count > 0)
}

/// Inserts document `id`; `None` when the id is taken (see
/// [`sync_row::unless_id_taken`]).
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    key: &str,
    merged: &Merged,
) -> Result<Option<Stored>> {
    let sql = sync_row::insert_sql(&DOCUMENTS, WRITTEN, COLUMNS);
    let inserted: Result<Row> = async {
        Ok(with_tx!(tx, conn => {
            sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
                .bind(id).bind(user_id).bind(stamp.version).bind(stamp.at)
                .bind(key).bind(Json(&merged.data)).bind(Json(&merged.field_versions))
                .fetch_one(&mut *conn).await?
        }))
    }
    .await;
    Ok(sync_row::unless_id_taken(inserted)?.map(Stored::from))
}

/// Overwrites the live document `id`; `None` if there is none.
pub async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    key: &str,
    merged: &Merged,
) -> Result<Option<Stored>> {
    let sql = sync_row::update_sql(&DOCUMENTS, WRITTEN, COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).bind(user_id).bind(stamp.version).bind(stamp.at)
            .bind(key).bind(Json(&merged.data)).bind(Json(&merged.field_versions))
            .fetch_optional(&mut *conn).await?
    });
    Ok(row.map(Stored::from))
}

/// Tombstones the live document `id`; false if there was none.
pub async fn delete(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &DOCUMENTS, user_id, id, stamp).await
}
