//! Conflicts' storage: SQL only, written once for both dialects.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{StoreError, Timestamp, Tx, id, with_tx};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{Conflict, ConflictKind, NewConflict, Side};

type Result<T> = std::result::Result<T, StoreError>;

const COLUMNS: &str = "id, entity, entity_id, kind, device_id, mutation_id, base_version, \
                       server_version, server_fields, client_fields, created_at, resolved_at, resolution";

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    entity: String,
    entity_id: Uuid,
    kind: ConflictKind,
    device_id: Option<Uuid>,
    mutation_id: Option<i64>,
    base_version: Option<i64>,
    server_version: i64,
    server_fields: Option<Json<Value>>,
    client_fields: Option<Json<Value>>,
    created_at: Timestamp,
    resolved_at: Option<Timestamp>,
    resolution: Option<Side>,
}

impl From<Row> for Conflict {
    fn from(row: Row) -> Self {
        Conflict {
            id: row.id,
            entity: row.entity,
            entity_id: row.entity_id,
            kind: row.kind,
            device_id: row.device_id,
            mutation_id: row.mutation_id,
            base_version: row.base_version,
            server_version: row.server_version,
            server_fields: row.server_fields.map(|j| j.0),
            client_fields: row.client_fields.map(|j| j.0),
            created_at: row.created_at,
            resolved_at: row.resolved_at,
            resolution: row.resolution,
        }
    }
}

/// Records `conflict` for `user_id` at `at`; its new id.
pub async fn insert(
    tx: &mut Tx,
    user_id: Uuid,
    conflict: &NewConflict,
    at: Timestamp,
) -> Result<Uuid> {
    const SQL: &str = "INSERT INTO sync_conflicts (id, user_id, device_id, mutation_id, entity, \
                       entity_id, kind, base_version, server_version, server_fields, client_fields, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let id = id::new_id();
    with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(id)
            .bind(user_id)
            .bind(conflict.device_id)
            .bind(conflict.mutation_id)
            .bind(&conflict.entity)
            .bind(conflict.entity_id)
            .bind(conflict.kind)
            .bind(conflict.base_version)
            .bind(conflict.server_version)
            .bind(conflict.server_fields.as_ref().map(Json))
            .bind(conflict.client_fields.as_ref().map(Json))
            .bind(at)
            .execute(&mut *conn)
            .await?;
    });
    Ok(id)
}

/// Which conflicts a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ConflictStatus)]
pub enum Status {
    /// Not resolved yet.
    #[default]
    Open,
    Resolved,
    All,
}

/// Lists are newest first, by (created_at, id); the cursor is the last row's pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictCursor {
    pub created_at: Timestamp,
    pub id: Uuid,
}

/// One page of the user's conflicts, newest first.
pub async fn list(
    tx: &mut Tx,
    user_id: Uuid,
    status: Status,
    page: &PageRequest<ConflictCursor>,
) -> Result<Page<Conflict>> {
    let filter = match status {
        Status::Open => " AND resolved_at IS NULL",
        Status::Resolved => " AND resolved_at IS NOT NULL",
        Status::All => "",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM sync_conflicts WHERE user_id = $1{filter} \
         AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3)) \
         ORDER BY created_at DESC, id DESC LIMIT $4"
    );
    let after = page.after;
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(user_id)
            .bind(after.map(|c| c.created_at))
            .bind(after.map(|c| c.id))
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&mut *conn)
            .await?
    });
    let items = rows.into_iter().map(Conflict::from).collect();
    Ok(Page::from_rows(items, page.limit, |c: &Conflict| {
        ConflictCursor {
            created_at: c.created_at,
            id: c.id,
        }
    }))
}

/// The user's conflict `id`.
pub async fn get(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Conflict>> {
    let sql = format!("SELECT {COLUMNS} FROM sync_conflicts WHERE id = $1 AND user_id = $2");
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(Conflict::from))
}

/// Marks the user's open conflict `id` resolved for `side`; false if it is not open.
pub async fn mark_resolved(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    side: Side,
    at: Timestamp,
) -> Result<bool> {
    const SQL: &str = "UPDATE sync_conflicts SET resolved_at = $3, resolution = $4 \
                       WHERE id = $1 AND user_id = $2 AND resolved_at IS NULL";
    let affected = with_tx!(tx, conn => {
        sqlx::query(SQL).bind(id).bind(user_id).bind(at).bind(side)
            .execute(&mut *conn).await?.rows_affected()
    });
    Ok(affected == 1)
}
