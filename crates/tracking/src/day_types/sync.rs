//! Day types as a sync entity: pull reads the REST body, push writes through the same
//! rules as REST (one live entry per date: `day_already_planned`). Also the small helpers
//! tracking's other entities share.

use async_trait::async_trait;
use lifeos_kernel::syncable::{
    EntitySchema, SyncEntity, Versioned, api_form, parse_fields, with_id,
};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::service::{create_in, delete_in, update_in};
use super::{DayType, DayTypePatch, NewDayType, store};
use crate::user_data::DAY_TYPES;

/// The `day_type` entity.
#[derive(Debug, Clone, Copy, Default)]
pub struct DayTypeEntity;

#[async_trait]
impl SyncEntity for DayTypeEntity {
    fn table(&self) -> &'static UserTable {
        &DAY_TYPES
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<DayType, NewDayType, DayTypePatch>()
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
            .map(|day| Versioned::of(day.id, day.version, day))
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
            let patch = parse_fields::<DayTypePatch>(fields)?;
            update_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = parse_fields::<NewDayType>(&with_id(fields, id))?;
            create_in(tx, user_id, input, at).await?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::vehicles::sync::{MaintenanceEntity, VehicleEntity};

    #[test]
    fn names_come_from_the_tables() {
        assert_eq!(DayTypeEntity.name(), "day_type");
        assert_eq!(VehicleEntity.name(), "vehicle");
        assert_eq!(MaintenanceEntity.name(), "vehicle_maintenance");
    }

    #[test]
    fn a_created_row_has_the_entity_id_whatever_the_fields_say() {
        let entity = Uuid::from_u128(7);
        let fields =
            json!({ "id": Uuid::from_u128(9), "date": "2026-03-02", "plannedType": "focus" });
        let fields = fields.as_object().unwrap();
        let input = parse_fields::<NewDayType>(&with_id(fields, entity)).unwrap();
        assert_eq!(input.id, Some(entity));
        let without = json!({ "date": "2026-03-02", "plannedType": "focus" });
        let input = parse_fields::<NewDayType>(&with_id(without.as_object().unwrap(), entity));
        assert_eq!(input.unwrap().id, Some(entity));
    }

    #[test]
    fn the_schemas_are_the_rest_bodies() {
        let schema = DayTypeEntity.schema();
        for member in ["plannedType", "actualType", "version", "createdAt"] {
            assert!(schema.data.to_string().contains(member), "{member}");
        }
        assert!(schema.create.to_string().contains("\"date\""));
        assert!(!schema.update.to_string().contains("createdAt"));
    }
}
