//! The `document` entity: documents join sync through the same trait as every domain's
//! entities, with an exact per-field `changed_since` from the stored field versions.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::error::Validator;
use lifeos_kernel::sync_row;
use lifeos_kernel::syncable::{
    EntitySchema, SharedEntity, SyncEntity, Versioned, api_form, parse_fields,
};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, ErrorKind, StoreError, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::merge::{Merged, serialised_len};
use super::store::{self, Stored};
use super::{Document, DocumentPatch, MAX_DATA_BYTES, MAX_KEY_CHARS, NewDocument};
use crate::error::SyncCode;
use crate::user_data::DOCUMENTS;

/// The `document` entity, for the gateway's registry.
pub fn entity() -> Option<SharedEntity> {
    Some(Arc::new(DocumentEntity))
}

/// Documents as a [`SyncEntity`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DocumentEntity;

fn check_key(key: &str) -> Result<(), AppError> {
    Validator::new()
        .length(key, "key", 1, MAX_KEY_CHARS)
        .finish()
}

fn check_size(merged: &Merged) -> Result<(), AppError> {
    let len = serialised_len(&merged.data);
    if len > MAX_DATA_BYTES {
        return Err(AppError::new(
            ErrorKind::Validation,
            SyncCode::DocumentTooLarge,
            format!("a document's data may be at most {MAX_DATA_BYTES} bytes of JSON (got {len})"),
        ));
    }
    Ok(())
}

/// A key is unique among the user's live documents; checked under the user's lock.
async fn check_key_free(tx: &mut Tx, user_id: Uuid, key: &str, id: Uuid) -> Result<(), AppError> {
    if store::key_taken(tx, user_id, key, id).await? {
        return Err(AppError::new(
            ErrorKind::Conflict,
            SyncCode::DocumentKeyTaken,
            format!("another document already has the key {key:?}"),
        ));
    }
    Ok(())
}

async fn create(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    input: NewDocument,
    at: Timestamp,
) -> Result<Stored, AppError> {
    check_key(&input.key)?;
    let stamp = sync_row::stamp(tx, user_id, at).await?;
    let merged = Merged::created(&input.data, stamp.version);
    check_size(&merged)?;
    check_key_free(tx, user_id, &input.key, id).await?;
    store::insert(tx, user_id, id, stamp, &input.key, &merged)
        .await?
        .ok_or_else(|| {
            AppError::new(
                ErrorKind::Conflict,
                SyncCode::IdConflict,
                "a row with this id already exists",
            )
        })
}

async fn update(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: DocumentPatch,
    at: Timestamp,
) -> Result<Stored, AppError> {
    if let Some(key) = &patch.key {
        check_key(key)?;
    }
    let stamp = sync_row::stamp(tx, user_id, at).await?;
    let current = store::get(tx, user_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("document"))?;
    let mut merged = current.merged();
    if let Some(data) = &patch.data {
        merged.write(data, stamp.version);
        check_size(&merged)?;
    }
    let key = patch.key.unwrap_or(current.document.key);
    check_key_free(tx, user_id, &key, id).await?;
    store::update(tx, user_id, id, stamp, &key, &merged)
        .await?
        .ok_or_else(|| AppError::not_found("document"))
}

#[async_trait]
impl SyncEntity for DocumentEntity {
    fn table(&self) -> &'static UserTable {
        &DOCUMENTS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Document, NewDocument, DocumentPatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        api_form(
            store::get(tx, user_id, id)
                .await?
                .map(|stored| stored.document),
        )
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        store::live_between(tx, user_id, after, upto)
            .await?
            .into_iter()
            .map(|stored| {
                let document = &stored.document;
                Versioned::of(document.id, document.version, document)
            })
            .collect()
    }

    async fn upsert(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        fields: &Map<String, Value>,
        exists: bool,
        at: Timestamp,
    ) -> Result<(), AppError> {
        if exists {
            update(tx, user_id, id, parse_fields(fields)?, at).await?;
        } else {
            create(tx, user_id, id, parse_fields(fields)?, at).await?;
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError> {
        let stamp = sync_row::stamp(tx, user_id, at).await?;
        if store::delete(tx, user_id, id, stamp).await? {
            Ok(())
        } else {
            Err(AppError::not_found("document"))
        }
    }

    /// Exact per field: a `data` field conflicts only if the server wrote it after
    /// `base_version` (its field version says so) and holds another value; `key` has no
    /// version of its own, so it conflicts when it differs.
    async fn changed_since(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        base_version: i64,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, StoreError> {
        let Some(current) = store::get(tx, user_id, id).await? else {
            return Ok(Map::new());
        };
        let mut overwritten = Map::new();
        if let Some(Value::Object(data)) = fields.get("data") {
            let changed = current.merged().changed_since(base_version, data);
            if !changed.is_empty() {
                overwritten.insert("data".to_owned(), Value::Object(changed));
            }
        }
        if let Some(Value::String(key)) = fields.get("key")
            && *key != current.document.key
        {
            overwritten.insert("key".to_owned(), Value::String(current.document.key));
        }
        Ok(overwritten)
    }
}
