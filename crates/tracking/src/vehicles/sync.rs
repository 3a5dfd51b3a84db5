//! Vehicles and their maintenance records as sync entities, written through REST's
//! rules: a vehicle's delete tombstones its records; a record's vehicle must be one of the
//! user's live vehicles (`validation_failed` on `vehicleId`). Register the vehicle first:
//! a batch (or an import) creates it before the records that name it.

use async_trait::async_trait;
use lifeos_kernel::syncable::{
    EntitySchema, SyncEntity, Versioned, api_form, parse_fields, with_id,
};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::service::{
    create_maintenance_in, create_vehicle_in, delete_maintenance_in, delete_vehicle_in,
    update_maintenance_in, update_vehicle_in,
};
use super::{
    Maintenance, MaintenancePatch, NewMaintenance, NewVehicle, Vehicle, VehiclePatch, store,
};
use crate::user_data::{VEHICLE_MAINTENANCE, VEHICLES};

/// The `vehicle` entity.
#[derive(Debug, Clone, Copy, Default)]
pub struct VehicleEntity;

/// The `vehicle_maintenance` entity.
#[derive(Debug, Clone, Copy, Default)]
pub struct MaintenanceEntity;

#[async_trait]
impl SyncEntity for VehicleEntity {
    fn table(&self) -> &'static UserTable {
        &VEHICLES
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Vehicle, NewVehicle, VehiclePatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        api_form(store::get_vehicle(tx, user_id, id).await?)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        store::vehicles_between(tx, user_id, after, upto)
            .await?
            .iter()
            .map(|vehicle| Versioned::of(vehicle.id, vehicle.version, vehicle))
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
            let patch = parse_fields::<VehiclePatch>(fields)?;
            update_vehicle_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = parse_fields::<NewVehicle>(&with_id(fields, id))?;
            create_vehicle_in(tx, user_id, input, at).await?;
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
        delete_vehicle_in(tx, user_id, id, at).await?;
        Ok(())
    }
}

#[async_trait]
impl SyncEntity for MaintenanceEntity {
    fn table(&self) -> &'static UserTable {
        &VEHICLE_MAINTENANCE
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Maintenance, NewMaintenance, MaintenancePatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        api_form(store::get_maintenance(tx, user_id, id).await?)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        store::maintenance_between(tx, user_id, after, upto)
            .await?
            .iter()
            .map(|record| Versioned::of(record.id, record.version, record))
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
            let patch = parse_fields::<MaintenancePatch>(fields)?;
            update_maintenance_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = parse_fields::<NewMaintenance>(&with_id(fields, id))?;
            create_maintenance_in(tx, user_id, input, at).await?;
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
        delete_maintenance_in(tx, user_id, id, at).await?;
        Ok(())
    }
}
