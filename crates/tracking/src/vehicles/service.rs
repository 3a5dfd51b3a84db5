//! Vehicles' and maintenance records' use cases: each opens its transaction, checks the
//! request, applies the rules (validation, the service-due prediction) and calls the
//! store.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use uuid::Uuid;

use super::service_due::{METHOD, ServiceDue, predict};
use super::{
    Maintenance, MaintenanceFilter, MaintenancePatch, MaintenanceValues, NewMaintenance,
    NewVehicle, Vehicle, VehiclePatch, VehicleValues, store, validate_maintenance,
    validate_vehicle,
};
use crate::common::DateCursor;
use crate::error::{Result, TrackingError};

#[async_trait]
pub trait VehiclesService: Send + Sync {
    async fn list_vehicles(&self, user_id: Uuid, page: PageRequest<Uuid>) -> Result<Page<Vehicle>>;
    async fn create_vehicle(&self, user_id: Uuid, input: NewVehicle) -> Result<Vehicle>;
    async fn get_vehicle(&self, user_id: Uuid, id: Uuid) -> Result<Vehicle>;
    async fn update_vehicle(&self, user_id: Uuid, id: Uuid, patch: VehiclePatch)
    -> Result<Vehicle>;
    /// Tombstones the vehicle and its maintenance records.
    async fn delete_vehicle(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn service_due(&self, user_id: Uuid, vehicle_id: Uuid) -> Result<ServiceDue>;

    async fn list_maintenance(
        &self,
        user_id: Uuid,
        filter: MaintenanceFilter,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<Maintenance>>;
    async fn create_maintenance(&self, user_id: Uuid, input: NewMaintenance)
    -> Result<Maintenance>;
    async fn get_maintenance(&self, user_id: Uuid, id: Uuid) -> Result<Maintenance>;
    async fn update_maintenance(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: MaintenancePatch,
    ) -> Result<Maintenance>;
    async fn delete_maintenance(&self, user_id: Uuid, id: Uuid) -> Result<()>;
}

pub type SharedVehicles = Arc<dyn VehiclesService>;

#[derive(Clone)]
pub struct Vehicles {
    db: Db,
    clock: SharedClock,
}

impl Vehicles {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const VEHICLE_NOT_FOUND: TrackingError = TrackingError::NotFound("vehicle");
const MAINTENANCE_NOT_FOUND: TrackingError = TrackingError::NotFound("maintenance record");

/// A vehicle's values as stored: the name trimmed.
fn normalised(mut values: VehicleValues) -> VehicleValues {
    values.name = values.name.trim().to_owned();
    values
}

/// A referenced vehicle must be one of the user's live vehicles.
async fn check_vehicle_ref(tx: &mut Tx, user_id: Uuid, vehicle_id: Option<Uuid>) -> Result<()> {
    if let Some(id) = vehicle_id
        && store::get_vehicle(tx, user_id, id).await?.is_none()
    {
        return Err(TrackingError::invalid(
            "vehicleId",
            "is not one of your vehicles",
        ));
    }
    Ok(())
}

/// Registers a vehicle inside `tx` at `now`: REST's create and sync's.
pub(crate) async fn create_vehicle_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewVehicle,
    now: Timestamp,
) -> Result<Vehicle> {
    let values = VehicleValues {
        name: input.name,
        make: input.make,
        model: input.model,
        year: input.year,
        vin: input.vin,
    };
    validate_vehicle(&values)?;
    let values = normalised(values);
    // The stamp first: it takes the user's write lock (ADR 0010); the insert itself
    // refuses a taken id.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let id = sync_row::row_id(input.id);
    sync_row::unless_id_taken(store::insert_vehicle(tx, user_id, id, stamp, &values).await)?
        .ok_or(TrackingError::IdConflict)
}

/// Patches the user's live vehicle `id` inside `tx` at `now`.
pub(crate) async fn update_vehicle_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: VehiclePatch,
    now: Timestamp,
) -> Result<Vehicle> {
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get_vehicle(tx, user_id, id)
        .await?
        .ok_or(VEHICLE_NOT_FOUND)?;
    let values = VehicleValues {
        name: patch.name.unwrap_or(current.name),
        make: patch.make.unwrap_or(current.make),
        model: patch.model.unwrap_or(current.model),
        year: patch.year.unwrap_or(current.year),
        vin: patch.vin.unwrap_or(current.vin),
    };
    validate_vehicle(&values)?;
    let values = normalised(values);
    store::update_vehicle(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(VEHICLE_NOT_FOUND)
}

/// Tombstones the user's live vehicle `id` and its maintenance records inside `tx`.
pub(crate) async fn delete_vehicle_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    now: Timestamp,
) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if !store::delete_vehicle(tx, user_id, id, stamp).await? {
        return Err(VEHICLE_NOT_FOUND);
    }
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    store::delete_maintenance_of_vehicle(tx, user_id, id, stamp).await?;
    Ok(())
}

/// Logs a maintenance record inside `tx` at `now`: its vehicle, when named, must be one
/// of the user's live vehicles.
pub(crate) async fn create_maintenance_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewMaintenance,
    now: Timestamp,
) -> Result<Maintenance> {
    let values = MaintenanceValues {
        vehicle_id: input.vehicle_id,
        date: input.date,
        service_type: input.service_type,
        service_label: input.service_label,
        mileage: input.mileage,
        odometer_unit: input.odometer_unit.unwrap_or_default(),
        cost_minor: input.cost_minor,
        currency: input.currency,
        provider: input.provider,
        notes: input.notes,
    };
    validate_maintenance(&values)?;
    // The stamp first: the user's write lock, so the vehicle cannot go meanwhile.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let id = sync_row::row_id(input.id);
    // One statement checks the vehicle and inserts; nothing back means one of the
    // two failed, told apart only then.
    let Some(record) =
        store::insert_maintenance_of_live_vehicle(tx, user_id, id, stamp, &values).await?
    else {
        check_vehicle_ref(tx, user_id, values.vehicle_id).await?;
        return Err(TrackingError::IdConflict);
    };
    Ok(record)
}

/// Patches the user's live maintenance record `id` inside `tx` at `now`.
pub(crate) async fn update_maintenance_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: MaintenancePatch,
    now: Timestamp,
) -> Result<Maintenance> {
    // Lock before reading: a patch merges into the row as it is, not as it was.
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = store::get_maintenance(tx, user_id, id)
        .await?
        .ok_or(MAINTENANCE_NOT_FOUND)?;
    let values = MaintenanceValues {
        vehicle_id: patch.vehicle_id.unwrap_or(current.vehicle_id),
        date: patch.date.unwrap_or(current.date),
        service_type: patch.service_type.unwrap_or(current.service_type),
        service_label: patch.service_label.unwrap_or(current.service_label),
        mileage: patch.mileage.unwrap_or(current.mileage),
        odometer_unit: patch.odometer_unit.unwrap_or(current.odometer_unit),
        cost_minor: patch.cost_minor.unwrap_or(current.cost_minor),
        currency: patch.currency.unwrap_or(current.currency),
        provider: patch.provider.unwrap_or(current.provider),
        notes: patch.notes.unwrap_or(current.notes),
    };
    validate_maintenance(&values)?;
    check_vehicle_ref(tx, user_id, values.vehicle_id).await?;
    store::update_maintenance(tx, user_id, id, stamp, &values)
        .await?
        .ok_or(MAINTENANCE_NOT_FOUND)
}

/// Tombstones the user's live maintenance record `id` inside `tx` at `now`.
pub(crate) async fn delete_maintenance_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    now: Timestamp,
) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if !store::delete_maintenance(tx, user_id, id, stamp).await? {
        return Err(MAINTENANCE_NOT_FOUND);
    }
    Ok(())
}

#[async_trait]
impl VehiclesService for Vehicles {
    async fn list_vehicles(&self, user_id: Uuid, page: PageRequest<Uuid>) -> Result<Page<Vehicle>> {
        Ok(store::list_vehicles(&self.db, user_id, &page).await?)
    }

    async fn create_vehicle(&self, user_id: Uuid, input: NewVehicle) -> Result<Vehicle> {
        let mut tx = self.db.begin().await?;
        let vehicle = create_vehicle_in(&mut tx, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        Ok(vehicle)
    }

    async fn get_vehicle(&self, user_id: Uuid, id: Uuid) -> Result<Vehicle> {
        let mut tx = self.db.read().await?;
        let vehicle = store::get_vehicle(&mut tx, user_id, id)
            .await?
            .ok_or(VEHICLE_NOT_FOUND)?;
        tx.commit().await?;
        Ok(vehicle)
    }

    async fn update_vehicle(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: VehiclePatch,
    ) -> Result<Vehicle> {
        let mut tx = self.db.begin().await?;
        let vehicle = update_vehicle_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(vehicle)
    }

    async fn delete_vehicle(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_vehicle_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn service_due(&self, user_id: Uuid, vehicle_id: Uuid) -> Result<ServiceDue> {
        let mut tx = self.db.begin_read().await?;
        store::get_vehicle(&mut tx, user_id, vehicle_id)
            .await?
            .ok_or(VEHICLE_NOT_FOUND)?;
        let records = store::maintenance_of_vehicle(&mut tx, user_id, vehicle_id).await?;
        tx.commit().await?;
        Ok(ServiceDue {
            vehicle_id,
            method: METHOD.to_owned(),
            items: predict(&records),
        })
    }

    async fn list_maintenance(
        &self,
        user_id: Uuid,
        filter: MaintenanceFilter,
        page: PageRequest<DateCursor>,
    ) -> Result<Page<Maintenance>> {
        Ok(store::list_maintenance(&self.db, user_id, &filter, &page).await?)
    }

    async fn create_maintenance(
        &self,
        user_id: Uuid,
        input: NewMaintenance,
    ) -> Result<Maintenance> {
        let mut tx = self.db.begin().await?;
        let record = create_maintenance_in(&mut tx, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn get_maintenance(&self, user_id: Uuid, id: Uuid) -> Result<Maintenance> {
        let mut tx = self.db.read().await?;
        let record = store::get_maintenance(&mut tx, user_id, id)
            .await?
            .ok_or(MAINTENANCE_NOT_FOUND)?;
        tx.commit().await?;
        Ok(record)
    }

    async fn update_maintenance(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: MaintenancePatch,
    ) -> Result<Maintenance> {
        let mut tx = self.db.begin().await?;
        let record = update_maintenance_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(record)
    }

    async fn delete_maintenance(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_maintenance_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}
