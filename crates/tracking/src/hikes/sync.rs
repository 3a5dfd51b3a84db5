//! Hikes as a sync entity, written through REST's rules. A new hike appends
//! `tracking.hike_recorded` in the push's transaction, as REST's create does, so badges
//! follow synced hikes. GPX import is not a sync operation: a synced hike's `track` is the
//! GeoJSON the REST body takes.

use async_trait::async_trait;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::{
    EntitySchema, SyncEntity, Versioned, api_form, parse_fields, with_id,
};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::service::{create_in, delete_in, update_in};
use super::{Hike, HikePatch, NewHike, store};
use crate::error::TrackingError;
use crate::user_data::HIKES;

/// The `hike` entity.
#[derive(Debug, Clone)]
pub struct HikeEntity {
    outbox: Outbox,
}

impl HikeEntity {
    pub fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

#[async_trait]
impl SyncEntity for HikeEntity {
    fn table(&self) -> &'static UserTable {
        &HIKES
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Hike, NewHike, HikePatch>()
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
        store::live_between(tx, user_id, after, upto)
            .await?
            .iter()
            .map(|hike| Versioned::of(hike.id, hike.version, hike))
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
            let fields = without_source(tx, user_id, id, fields).await?;
            let patch = parse_fields::<HikePatch>(&fields)?;
            update_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = parse_fields::<NewHike>(&with_id(fields, id))?;
            create_in(tx, &self.outbox, user_id, input, at).await?;
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
        delete_in(tx, user_id, id, at).await?;
        Ok(())
    }
}

/// A patch's fields without `source` when it is the row's own: a patch cannot change it,
/// but a client may send the row back as it pulled it (a conflict resolved for the
/// server does). Any other source stays, for the patch body to refuse as REST does.
async fn without_source(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    fields: &Map<String, Value>,
) -> Result<Map<String, Value>, TrackingError> {
    let mut fields = fields.clone();
    let Some(sent) = fields.get("source") else {
        return Ok(fields);
    };
    let current = store::get(tx, user_id, id).await?;
    if current.is_some_and(|hike| serde_json::to_value(hike.source).ok().as_ref() == Some(sent)) {
        fields.remove("source");
    }
    Ok(fields)
}
