//! Snapshots and imports: all of a user's synced data at one version, read in one read
//! transaction through the entity registry, and its import through push's write path in
//! one write transaction (all or nothing).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::syncable::{
    EntityRegistry, SharedEntity, SyncEntity, differing, revive, row_state,
};
use lifeos_kernel::user_data::SnapshotSource;
use lifeos_kernel::{Db, SharedClock, StoreError, Timestamp, Tx, id::new_id, sync_row, with_tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::checksum::checksum;
use super::{ImportMode, ImportReport, ImportRequest, SCHEMA_VERSION, Snapshot};
use crate::error::{Result, SyncCode, SyncError};
use crate::events::Hub;
use crate::pull::cursor::Cursor;
use crate::push::Op;
use crate::push::apply::{Incoming, Outcome, apply};
use crate::user_data::DOCUMENTS;

#[async_trait]
pub trait SnapshotsService: SnapshotSource {
    /// Every live row of `user_id`'s synced entities at the user's current version.
    async fn snapshot(&self, user_id: Uuid) -> Result<Snapshot>;

    /// Imports `request.snapshot` into `user_id`'s account: all of it, or nothing.
    async fn import(&self, user_id: Uuid, request: ImportRequest) -> Result<ImportReport>;
}

pub type SharedSnapshots = Arc<dyn SnapshotsService>;

pub struct Snapshots {
    db: Db,
    clock: SharedClock,
    entities: EntityRegistry,
    hub: Arc<Hub>,
}

impl Snapshots {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry, hub: Arc<Hub>) -> Self {
        Self {
            db,
            clock,
            entities,
            hub,
        }
    }
}

/// The snapshot of `user_id` read in `tx` (a read transaction, so every entity is seen
/// at one version), taken at `at`: the one function behind `GET /sync/snapshot` and the
/// account export.
pub async fn build(
    tx: &mut Tx,
    entities: &EntityRegistry,
    user_id: Uuid,
    at: Timestamp,
) -> Result<Snapshot, StoreError> {
    let version = sync_row::current_version(tx, user_id).await?;
    let mut rows = std::collections::BTreeMap::new();
    for entity in entities.iter() {
        let live = entity.live_between(tx, user_id, 0, version).await?;
        rows.insert(
            entity.name().to_owned(),
            live.into_iter().map(|row| row.data).collect(),
        );
    }
    let mut snapshot = Snapshot {
        schema_version: SCHEMA_VERSION,
        version,
        cursor: Cursor {
            after: version,
            floor: version,
        }
        .encode(),
        user_id,
        created_at: at,
        entities: rows,
        checksum: String::new(),
    };
    snapshot.checksum = checksum(&serde_json::to_value(&snapshot)?);
    Ok(snapshot)
}

#[async_trait]
impl SnapshotSource for Snapshots {
    async fn snapshot_json(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        at: Timestamp,
    ) -> Result<Value, StoreError> {
        let snapshot = build(tx, &self.entities, user_id, at).await?;
        Ok(serde_json::to_value(snapshot)?)
    }
}

#[async_trait]
impl SnapshotsService for Snapshots {
    async fn snapshot(&self, user_id: Uuid) -> Result<Snapshot> {
        let mut tx = self.db.begin_read().await?;
        let snapshot = build(&mut tx, &self.entities, user_id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(snapshot)
    }

    async fn import(&self, user_id: Uuid, request: ImportRequest) -> Result<ImportReport> {
        let snapshot = &request.snapshot;
        verify(snapshot, &self.entities)?;
        let rows = Rows::of(snapshot, user_id)?;
        let mut tx = self.db.begin().await?;
        sync_row::lock_user(&mut tx, user_id).await?;
        let before = sync_row::current_version(&mut tx, user_id).await?;
        let mut import = Import {
            tx: &mut tx,
            entities: &self.entities,
            user_id,
            at: self.clock.now(),
        };
        // Replace deletes first: a row the snapshot lacks must not block one it holds (a
        // document's key, a day type's date); a snapshot row a cascade took along comes
        // back when it is upserted.
        let deleted = match request.mode {
            ImportMode::Replace => import.delete_missing(&rows.ids).await?,
            ImportMode::Merge => 0,
        };
        let upserted = import.upsert_all(&rows).await?;
        let skipped = rows.not_importable(&self.entities);
        let version = sync_row::current_version(&mut tx, user_id).await?;
        tx.commit().await?;
        if version > before {
            self.hub.announce(user_id, version).await;
        }
        Ok(ImportReport {
            mode: request.mode,
            upserted,
            deleted,
            skipped,
            version,
        })
    }
}

/// The checks made before anything is written: the schema version, the checksum (over
/// the snapshot as this server reads it), and that every entity is one this server syncs.
fn verify(snapshot: &Snapshot, entities: &EntityRegistry) -> Result<()> {
    if snapshot.schema_version != SCHEMA_VERSION {
        return Err(SyncError::SnapshotSchema(snapshot.schema_version));
    }
    let value = serde_json::to_value(snapshot).map_err(StoreError::from)?;
    if checksum(&value) != snapshot.checksum.to_ascii_lowercase() {
        return Err(SyncError::SnapshotChecksum);
    }
    if let Some(unknown) = snapshot
        .entities
        .keys()
        .find(|name| entities.get(name).is_none())
    {
        return Err(SyncError::UnknownEntity(unknown.clone()));
    }
    Ok(())
}

/// One snapshot row to import: its id in the snapshot and in this account, and its data
/// with every id already mapped.
struct Row {
    original: Uuid,
    id: Uuid,
    data: Value,
}

/// The snapshot's rows by entity name, ids mapped into the importing account.
struct Rows {
    by_entity: HashMap<String, Vec<Row>>,
    /// Every row id the account ends up holding (replace keeps exactly these).
    ids: BTreeSet<Uuid>,
}

impl Rows {
    /// How many rows belong to entities an import does not replay.
    fn not_importable(&self, entities: &EntityRegistry) -> u64 {
        entities
            .iter()
            .filter(|entity| !entity.importable())
            .filter_map(|entity| self.by_entity.get(entity.name()))
            .map(|rows| rows.len() as u64)
            .sum()
    }

    /// The rows of `snapshot` for `user_id`: its own snapshot keeps its ids; another
    /// user's gets a fresh id per row, and every string equal to an old id anywhere in
    /// the data (a track's id in its nodes) becomes the new one, so references follow.
    /// A row without a UUID `id` is invalid input.
    fn of(snapshot: &Snapshot, user_id: Uuid) -> Result<Self> {
        let remap = snapshot.user_id != user_id;
        let mut ids: HashMap<String, String> = HashMap::new();
        for (name, rows) in &snapshot.entities {
            for (i, data) in rows.iter().enumerate() {
                let old = row_id(data).ok_or_else(|| {
                    SyncError::invalid(
                        &format!("snapshot.entities.{name}[{i}].id"),
                        "every row needs its id (a UUID)",
                    )
                })?;
                let new = if remap { new_id() } else { old };
                ids.insert(old.to_string(), new.to_string());
            }
        }
        let mut by_entity = HashMap::new();
        let mut kept = BTreeSet::new();
        for (name, rows) in &snapshot.entities {
            let mapped: Vec<Row> = rows
                .iter()
                .filter_map(|data| {
                    let original = row_id(data)?;
                    let mut data = data.clone();
                    if remap {
                        replace_ids(&mut data, &ids);
                    }
                    let id = row_id(&data)?;
                    kept.insert(id);
                    Some(Row { original, id, data })
                })
                .collect();
            by_entity.insert(name.clone(), mapped);
        }
        Ok(Self {
            by_entity,
            ids: kept,
        })
    }
}

fn row_id(data: &Value) -> Option<Uuid> {
    data.get("id")?.as_str()?.parse().ok()
}

/// Replaces every string (and object key) equal to a key of `ids` by its value.
fn replace_ids(value: &mut Value, ids: &HashMap<String, String>) {
    match value {
        Value::String(text) => {
            if let Some(new) = ids.get(text.as_str()) {
                new.clone_into(text);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| replace_ids(item, ids)),
        Value::Object(map) => {
            let members = std::mem::take(map);
            for (key, mut member) in members {
                replace_ids(&mut member, ids);
                let key = ids.get(&key).cloned().unwrap_or(key);
                map.insert(key, member);
            }
        }
        _ => {}
    }
}

/// The members a row's data carries that its create or patch body does not take: the
/// bookkeeping, and whatever the body's schema does not list (read-only members).
const BOOKKEEPING: &[&str] = &["id", "version", "createdAt", "updatedAt", "deletedAt"];

/// The property names a body schema lists (its own and those of `allOf` parts); `None`
/// when it lists none, so nothing is stripped but the bookkeeping.
fn properties(schema: &Value) -> Option<BTreeSet<String>> {
    let mut names = BTreeSet::new();
    collect_properties(schema, &mut names);
    (!names.is_empty()).then_some(names)
}

fn collect_properties(schema: &Value, names: &mut BTreeSet<String>) {
    if let Some(Value::Object(properties)) = schema.get("properties") {
        names.extend(properties.keys().cloned());
    }
    if let Some(Value::Array(parts)) = schema.get("allOf") {
        parts
            .iter()
            .for_each(|part| collect_properties(part, names));
    }
}

/// `data` as a body for `schema`: without the bookkeeping and unlisted members.
fn fields_for(data: &Value, schema: &Value) -> Map<String, Value> {
    let listed = properties(schema);
    data.as_object()
        .into_iter()
        .flatten()
        .filter(|(name, _)| !BOOKKEEPING.contains(&name.as_str()))
        .filter(|(name, _)| listed.as_ref().is_none_or(|l| l.contains(*name)))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// One import in its write transaction (which holds the user's lock).
struct Import<'a> {
    tx: &'a mut Tx,
    entities: &'a EntityRegistry,
    user_id: Uuid,
    at: Timestamp,
}

impl Import<'_> {
    /// Upserts every row, entity by entity in registry order (parents first).
    async fn upsert_all(&mut self, rows: &Rows) -> Result<u64> {
        let mut upserted = 0;
        let entities: Vec<SharedEntity> = self.entities.iter().cloned().collect();
        for entity in entities.iter().filter(|e| e.importable()) {
            let Some(rows) = rows.by_entity.get(entity.name()) else {
                continue;
            };
            for row in rows {
                self.upsert(entity.as_ref(), row).await?;
                upserted += 1;
            }
        }
        Ok(upserted)
    }

    /// One row through push's write path. A row of the account's own that was deleted
    /// since the snapshot comes back (restoring a snapshot restores it). A new row is
    /// created with the members its create body takes; then any row is patched with the
    /// members its patch body takes where they differ (only those: a patch that names a
    /// node's unchanged track would still move it), so it ends up as the snapshot has it.
    async fn upsert(&mut self, entity: &dyn SyncEntity, row: &Row) -> Result<()> {
        let schema = entity.schema();
        let state = row_state(self.tx, entity.table(), row.id).await?;
        let exists = match state {
            Some(state) if state.user_id == self.user_id && state.deleted => {
                self.revive(entity, row).await?;
                true
            }
            Some(state) => state.user_id == self.user_id,
            None => false,
        };
        if !exists {
            self.write(entity, row, &fields_for(&row.data, &schema.create))
                .await?;
        }
        let current = entity.get(self.tx, self.user_id, row.id).await?;
        let wanted = fields_for(&row.data, &schema.update);
        // `differing` answers the current values; the snapshot's are wanted.
        let mut rest: Map<String, Value> = differing(current.as_ref(), &wanted)
            .into_iter()
            .filter_map(|(name, _)| Some((name.clone(), wanted.get(&name)?.clone())))
            .collect();
        if entity.table() == &DOCUMENTS {
            remove_missing_fields(current.as_ref(), &mut rest);
        }
        if !rest.is_empty() {
            self.write(entity, row, &rest).await?;
        }
        Ok(())
    }

    /// Brings the account's deleted row back; refused when a live row took one of its
    /// unique values since (a document's key, a day type's date).
    async fn revive(&mut self, entity: &dyn SyncEntity, row: &Row) -> Result<()> {
        let version = sync_row::next_version(self.tx, self.user_id).await?;
        let revived = revive(
            self.tx,
            entity.table(),
            self.user_id,
            row.id,
            version,
            self.at,
        )
        .await;
        match revived {
            Err(error) if error.is_unique_violation() => Err(SyncError::ImportRejected {
                entity: entity.name().to_owned(),
                entity_id: row.original,
                code: SyncCode::RestoreBlocked.as_str(),
                detail: SyncError::RestoreBlocked.to_string(),
            }),
            revived => Ok(revived.map(|_| ())?),
        }
    }

    async fn write(
        &mut self,
        entity: &dyn SyncEntity,
        row: &Row,
        fields: &Map<String, Value>,
    ) -> Result<()> {
        let outcome = apply(
            self.tx,
            self.entities,
            self.user_id,
            Incoming {
                entity: entity.name(),
                entity_id: row.id,
                op: Op::Upsert,
                fields,
                base_version: None,
                origin: None,
            },
            self.at,
        )
        .await?;
        rejected(entity, row.original, outcome)
    }

    /// Deletes every live row the snapshot lacks, children first (registry order
    /// reversed), skipping rows a parent's cascade already deleted.
    async fn delete_missing(&mut self, keep: &BTreeSet<Uuid>) -> Result<u64> {
        let mut deleted = 0;
        let entities: Vec<SharedEntity> = self.entities.iter().rev().cloned().collect();
        for entity in entities.iter().filter(|e| e.importable()) {
            let live = live_ids(self.tx, entity.as_ref(), self.user_id).await?;
            for id in live.into_iter().filter(|id| !keep.contains(id)) {
                let still_live = row_state(self.tx, entity.table(), id)
                    .await?
                    .is_some_and(|state| !state.deleted);
                if !still_live {
                    continue;
                }
                let outcome = apply(
                    self.tx,
                    self.entities,
                    self.user_id,
                    Incoming {
                        entity: entity.name(),
                        entity_id: id,
                        op: Op::Delete,
                        fields: &Map::new(),
                        base_version: None,
                        origin: None,
                    },
                    self.at,
                )
                .await?;
                rejected(entity.as_ref(), id, outcome)?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

/// A document's patch merges `data` per field, so the fields the snapshot lacks are
/// removed explicitly (set to `null`).
fn remove_missing_fields(current: Option<&Value>, patch: &mut Map<String, Value>) {
    let (Some(Value::Object(now)), Some(Value::Object(wanted))) = (
        current.and_then(|row| row.get("data")),
        patch.get_mut("data"),
    ) else {
        return;
    };
    for field in now.keys() {
        if !wanted.contains_key(field) {
            wanted.insert(field.clone(), Value::Null);
        }
    }
}

/// A rejected row ends the import: nothing of it is committed.
fn rejected(entity: &dyn SyncEntity, id: Uuid, outcome: Outcome) -> Result<()> {
    match outcome {
        Outcome::Rejected { code, message } => Err(SyncError::ImportRejected {
            entity: entity.name().to_owned(),
            entity_id: id,
            code,
            detail: message,
        }),
        Outcome::Applied { .. } | Outcome::Conflict { .. } => Ok(()),
    }
}

/// The ids of the user's live rows of `entity`.
async fn live_ids(
    tx: &mut Tx,
    entity: &dyn SyncEntity,
    user_id: Uuid,
) -> Result<Vec<Uuid>, StoreError> {
    let sql = format!(
        "SELECT id FROM {} WHERE user_id = $1 AND deleted_at IS NULL ORDER BY id",
        entity.table().name
    );
    let ids = with_tx!(tx, conn => {
        sqlx::query_scalar::<_, Uuid>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(user_id).fetch_all(&mut *conn).await?
    });
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_are_replaced_in_values_and_keys_anywhere() {
        let ids: HashMap<String, String> = [("a".to_owned(), "b".to_owned())].into();
        let mut value = json!({"id": "a", "list": ["a", "ab", 1], "a": {"x": "a"}});
        replace_ids(&mut value, &ids);
        assert_eq!(
            value,
            json!({"id": "b", "list": ["b", "ab", 1], "b": {"x": "b"}})
        );
    }

    #[test]
    fn a_document_patch_removes_what_the_snapshot_lacks() {
        let current = json!({"data": {"a": 1, "b": 2}});
        let mut patch = Map::new();
        patch.insert("data".into(), json!({"a": 3}));
        remove_missing_fields(Some(&current), &mut patch);
        assert_eq!(Value::Object(patch), json!({"data": {"a": 3, "b": null}}));
    }

    #[test]
    fn fields_keep_what_the_body_lists_without_bookkeeping() {
        let schema = json!({"type": "object", "properties": {"id": {}, "name": {}, "size": {}}});
        let data = json!({"id": "x", "name": "n", "version": 3, "createdAt": "t", "streak": 9});
        assert_eq!(
            Value::Object(fields_for(&data, &schema)),
            json!({"name": "n"})
        );
        let nested = json!({"allOf": [{"properties": {"a": {}}}, {"properties": {"b": {}}}]});
        assert_eq!(
            Value::Object(fields_for(&json!({"a": 1, "b": 2, "c": 3}), &nested)),
            json!({"a": 1, "b": 2})
        );
        // A schema that lists nothing strips only the bookkeeping.
        assert_eq!(
            Value::Object(fields_for(&json!({"a": 1, "id": "x"}), &json!({}))),
            json!({"a": 1})
        );
    }
}
