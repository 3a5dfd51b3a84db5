//! Docs as a sync entity (`doc`): a push runs the REST endpoints' rules (size, links to
//! the user's live tracks and nodes) inside the push's transaction, and a pull returns
//! the REST bodies.

use async_trait::async_trait;
use lifeos_kernel::syncable::{EntitySchema, SyncEntity, Versioned, api_form, parse_fields};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{Doc, DocPatch, NewDoc, service, store};
use crate::user_data::DOCS;

/// The `doc` entity.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocEntity;

#[async_trait]
impl SyncEntity for DocEntity {
    fn table(&self) -> &'static UserTable {
        &DOCS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Doc, NewDoc, DocPatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        api_form(store::get(tx, user_id, id).await?)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        let docs = store::between(tx, user_id, after, upto).await?;
        docs.iter()
            .map(|doc| Versioned::of(doc.id, doc.version, doc))
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
            let patch = parse_fields::<DocPatch>(fields)?;
            service::update_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = NewDoc {
                id: Some(id),
                ..parse_fields::<NewDoc>(fields)?
            };
            service::create_in(tx, user_id, input, at).await?;
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
        service::delete_in(tx, user_id, id, at).await?;
        Ok(())
    }
}
