//! Time entries as a sync entity (`time_entry`): a push runs the REST endpoints' rules
//! (no overlaps, references to the user's live nodes and tracks) inside the push's
//! transaction, and a pull returns the REST bodies.
//!
//! An upsert is `POST /time-entries`'s body (a finished, manual entry) or its PATCH body;
//! starting and stopping a timer stay REST actions.

use async_trait::async_trait;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::{EntitySchema, SyncEntity, Versioned, api_form, parse_fields};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::{NewTimeEntry, TimeEntry, TimeEntryPatch, service, store};
use crate::user_data::TIME_ENTRIES;

/// The `time_entry` entity. A created entry publishes `tracking.time_entry_stopped`, as
/// on REST.
#[derive(Clone)]
pub struct TimeEntryEntity {
    outbox: Outbox,
}

impl TimeEntryEntity {
    pub fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

#[async_trait]
impl SyncEntity for TimeEntryEntity {
    fn table(&self) -> &'static UserTable {
        &TIME_ENTRIES
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<TimeEntry, NewTimeEntry, TimeEntryPatch>()
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
        let entries = store::between(tx, user_id, after, upto).await?;
        entries
            .iter()
            .map(|entry| Versioned::of(entry.id, entry.version, entry))
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
            let patch = parse_fields::<TimeEntryPatch>(fields)?;
            service::update_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = NewTimeEntry {
                id: Some(id),
                ..parse_fields::<NewTimeEntry>(fields)?
            };
            service::create_in(tx, &self.outbox, user_id, input, at).await?;
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
