//! How a domain joins sync: one [`SyncEntity`] per syncable table, registered with the
//! gateway. The sync crate reads and writes every domain's rows only through this trait,
//! so it depends on no domain, and a new domain syncs the moment it registers.
//!
//! An entity speaks the REST API's language: `fields` in and `data` out use the API's
//! camelCase names and value forms, so a client keeps one model per entity. Writes run
//! inside the push's write transaction (the caller holds the user's lock and a savepoint
//! per mutation, ADR 0016) and go through the domain's own validation and rules.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::user_data::UserTable;
use crate::{AppError, StoreError, Timestamp, Tx, with_tx};

/// The JSON schemas of one entity: what pull returns as `data`, what push accepts as
/// `fields` for a create and for an update.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySchema {
    pub data: Value,
    pub create: Value,
    pub update: Value,
}

impl EntitySchema {
    /// The schemas of utoipa types: `D` as pulled, `C` to create, `U` to patch. References
    /// to other components stay `$ref`s into the OpenAPI document's components.
    pub fn of<D: utoipa::ToSchema, C: utoipa::ToSchema, U: utoipa::ToSchema>() -> Self {
        fn json<T: utoipa::ToSchema>() -> Value {
            serde_json::to_value(T::schema()).unwrap_or(Value::Null)
        }
        Self {
            data: json::<D>(),
            create: json::<C>(),
            update: json::<U>(),
        }
    }
}

/// A live row in the API's form, with its version.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned {
    pub id: Uuid,
    pub version: i64,
    pub data: Value,
}

impl Versioned {
    /// `row` in the API's form with its id and version: one row of a pull.
    pub fn of<T: serde::Serialize>(id: Uuid, version: i64, row: &T) -> Result<Self, StoreError> {
        Ok(Self {
            id,
            version,
            data: serde_json::to_value(row)?,
        })
    }
}

/// A live row (if any) in the API's form: what its REST GET answers.
pub fn api_form<T: serde::Serialize>(row: Option<T>) -> Result<Option<Value>, StoreError> {
    Ok(row.map(|row| serde_json::to_value(row)).transpose()?)
}

/// A create body's `fields` with its `id` set to the entity's: the row sync creates is the
/// one the client named, whatever `fields` say.
pub fn with_id(fields: &Map<String, Value>, id: Uuid) -> Map<String, Value> {
    let mut fields = fields.clone();
    fields.insert("id".to_owned(), Value::String(id.to_string()));
    fields
}

/// One syncable entity of one domain.
#[async_trait]
pub trait SyncEntity: Send + Sync + 'static {
    /// The table its rows live in: a syncable [`UserTable`], whose `sync_entity` is the
    /// entity's name (snake_case singular: `day_type`).
    fn table(&self) -> &'static UserTable;

    /// The entity's name, from its table's declaration (one name, declared once).
    fn name(&self) -> &'static str {
        self.table().sync_entity.unwrap_or(self.table().name)
    }

    fn schema(&self) -> EntitySchema;

    /// Whether an import writes this entity's rows. False for records of what happened
    /// at a moment (gamification's completions and the XP they earned), which the
    /// domain's rules refuse to replay later: an import leaves them as they are and says
    /// how many it skipped.
    fn importable(&self) -> bool {
        true
    }

    /// The live row `id` of `user_id` in API form; `None` if it is absent, tombstoned or
    /// another user's.
    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError>;

    /// The user's live rows whose version is in `(after, upto]`, in API form, oldest
    /// version first. One query: pull's cost is the rows it returns.
    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError>;

    /// Creates row `id` from `fields` (when `exists` is false) or patches the user's live
    /// row `id` with them, through the domain's validation and rules, at time `at`, in
    /// `tx`. `fields` are the API's create or patch body without `id`. A domain rule that
    /// fails is an [`AppError`] whose code and detail the client shows; a store failure
    /// is one of kind `Internal` or `Unavailable`, and aborts the whole push.
    async fn upsert(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        fields: &Map<String, Value>,
        exists: bool,
        at: Timestamp,
    ) -> Result<(), AppError>;

    /// Deletes (tombstones) the user's live row `id`, with the domain's cascades.
    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError>;

    /// The server's values of those `fields` that changed on the server after
    /// `base_version` and differ from the incoming ones: what an update from a device that
    /// last saw `base_version` would overwrite. Called only when the live row's version is
    /// newer than `base_version`. The default keeps no per-field history, so it counts
    /// every field whose current value differs; an entity that knows each field's version
    /// (documents) answers exactly.
    async fn changed_since(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        base_version: i64,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, StoreError> {
        let _ = base_version;
        let current = self.get(tx, user_id, id).await?;
        Ok(differing(current.as_ref(), fields))
    }
}

/// The current values of `fields` that differ from the incoming ones (a field the row
/// lacks counts as `null`).
pub fn differing(current: Option<&Value>, fields: &Map<String, Value>) -> Map<String, Value> {
    fields
        .iter()
        .filter_map(|(name, incoming)| {
            let server = current
                .and_then(|row| row.get(name))
                .cloned()
                .unwrap_or(Value::Null);
            (server != *incoming).then(|| (name.clone(), server))
        })
        .collect()
}

pub type SharedEntity = Arc<dyn SyncEntity>;

/// Every registered entity, in registration order: parents before the children that
/// refer to them (a track before its nodes), the order an import writes them in.
#[derive(Clone, Default)]
pub struct EntityRegistry {
    ordered: Vec<SharedEntity>,
    by_name: BTreeMap<&'static str, SharedEntity>,
}

impl std::fmt::Debug for EntityRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl EntityRegistry {
    /// The registry of `entities`; a name registered twice is a programming error.
    pub fn new(entities: impl IntoIterator<Item = SharedEntity>) -> Self {
        let ordered: Vec<SharedEntity> = entities.into_iter().collect();
        let mut by_name = BTreeMap::new();
        for entity in &ordered {
            let name = entity.name();
            assert!(
                by_name.insert(name, entity.clone()).is_none(),
                "sync entity {name} registered twice"
            );
        }
        Self { ordered, by_name }
    }

    pub fn get(&self, name: &str) -> Option<&SharedEntity> {
        self.by_name.get(name)
    }

    /// Every entity, parents first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &SharedEntity> {
        self.ordered.iter()
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.ordered.iter().map(|e| e.name())
    }
}

/// What sync sees of any row with an id, before it asks the entity: who owns it, its
/// version and whether it is a tombstone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowState {
    pub user_id: Uuid,
    pub version: i64,
    pub deleted: bool,
}

/// The state of row `id` in `table`, whoever owns it.
pub async fn row_state(
    tx: &mut Tx,
    table: &UserTable,
    id: Uuid,
) -> Result<Option<RowState>, StoreError> {
    let sql = format!(
        "SELECT user_id, version, deleted_at IS NOT NULL FROM {} WHERE id = $1",
        table.name
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, (Uuid, i64, bool)>(sqlx::AssertSqlSafe(sql))
            .bind(id).fetch_optional(&mut *conn).await?
    });
    Ok(row.map(|(user_id, version, deleted)| RowState {
        user_id,
        version,
        deleted,
    }))
}

/// Brings the user's tombstoned row `id` back to life at `version` (a conflict resolved
/// for the side that lost to a delete); the caller then patches it through the entity.
/// False if there was no such tombstone.
pub async fn revive(
    tx: &mut Tx,
    table: &UserTable,
    user_id: Uuid,
    id: Uuid,
    version: i64,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE {} SET deleted_at = NULL, version = $3, updated_at = $4 \
         WHERE id = $1 AND user_id = $2 AND deleted_at IS NOT NULL",
        table.name
    );
    let affected = with_tx!(tx, conn => {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id).bind(user_id).bind(version).bind(at)
            .execute(&mut *conn).await?.rows_affected()
    });
    Ok(affected == 1)
}

/// A savepoint around one mutation: [`Savepoint::release`] keeps its effects,
/// [`Savepoint::rollback`] undoes them and leaves the transaction usable (on PostgreSQL
/// a failed statement would otherwise abort the whole transaction).
#[derive(Debug)]
pub struct Savepoint;

impl Savepoint {
    const NAME: &'static str = "sync_mutation";

    pub async fn begin(tx: &mut Tx) -> Result<Self, StoreError> {
        execute(tx, &format!("SAVEPOINT {}", Self::NAME)).await?;
        Ok(Self)
    }

    pub async fn release(self, tx: &mut Tx) -> Result<(), StoreError> {
        execute(tx, &format!("RELEASE SAVEPOINT {}", Self::NAME)).await
    }

    pub async fn rollback(self, tx: &mut Tx) -> Result<(), StoreError> {
        execute(tx, &format!("ROLLBACK TO SAVEPOINT {}", Self::NAME)).await?;
        execute(tx, &format!("RELEASE SAVEPOINT {}", Self::NAME)).await
    }
}

async fn execute(tx: &mut Tx, sql: &str) -> Result<(), StoreError> {
    let sql = sql.to_owned();
    with_tx!(tx, conn => {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *conn).await?;
    });
    Ok(())
}

/// `fields` as the domain's create or patch type `T`, accepted and refused exactly as
/// the REST API reads that body: an unknown field, a wrong type or a missing required
/// field is an `invalid_body` error naming the field.
pub fn parse_fields<T: DeserializeOwned>(fields: &Map<String, Value>) -> Result<T, AppError> {
    crate::http::extract::parse_value(Value::Object(fields.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Thing {
        name: String,
    }

    #[test]
    fn parse_names_the_field_that_is_wrong() {
        let mut fields = Map::new();
        fields.insert("nmae".into(), Value::from("x"));
        let error = parse_fields::<Thing>(&fields).unwrap_err();
        assert_eq!(error.errors[0].field, "nmae");
        let error = parse_fields::<Thing>(&Map::new()).unwrap_err();
        assert_eq!(error.errors[0].field, "name");
        assert_eq!(error.code, "invalid_body");
    }
}
