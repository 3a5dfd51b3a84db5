//! Vehicles' and maintenance records' use cases and storage (one SQL implementation
//! for both dialects).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row, with_db, with_tx};
use time::Date;
use uuid::Uuid;

use super::service_due::{METHOD, ServiceDue, predict};
use super::{
    Maintenance, MaintenancePatch, MaintenanceValues, NewMaintenance, NewVehicle, OdometerUnit,
    ServiceType, Vehicle, VehiclePatch, validate_maintenance, validate_vehicle,
};
use crate::common::{self, DateCursor, DateRange, Table};
use crate::error::{Result, TrackingError};

#[derive(Debug, Clone, Copy, Default)]
pub struct MaintenanceFilter {
    pub range: DateRange,
    pub service_type: Option<ServiceType>,
    pub vehicle_id: Option<Uuid>,
}

#[async_trait]
pub trait Vehicles: Send + Sync {
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

pub type SharedVehicles = Arc<dyn Vehicles>;

#[derive(Clone)]
pub struct SqlVehicles {
    db: Db,
    clock: SharedClock,
}

impl SqlVehicles {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }
}

const VEHICLE_COLUMNS: &str = "id, name, make, model, year, vin, version, created_at, updated_at";
const MAINTENANCE_COLUMNS: &str = "id, vehicle_id, date, service_type, service_label, mileage, odometer_unit, cost_minor, \
                                   currency, provider, notes, version, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct VehicleRow {
    id: Uuid,
    name: String,
    make: Option<String>,
    model: Option<String>,
    year: Option<i32>,
    vin: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<VehicleRow> for Vehicle {
    fn from(row: VehicleRow) -> Self {
        Vehicle {
            id: row.id,
            name: row.name,
            make: row.make,
            model: row.model,
            year: row.year,
            vin: row.vin,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MaintenanceRow {
    id: Uuid,
    vehicle_id: Option<Uuid>,
    date: Date,
    service_type: String,
    service_label: Option<String>,
    mileage: Option<i32>,
    odometer_unit: String,
    cost_minor: Option<i64>,
    currency: Option<String>,
    provider: Option<String>,
    notes: Option<String>,
    version: i64,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl From<MaintenanceRow> for Maintenance {
    fn from(row: MaintenanceRow) -> Self {
        Maintenance {
            id: row.id,
            vehicle_id: row.vehicle_id,
            date: row.date,
            service_type: ServiceType::parse(&row.service_type).unwrap_or(ServiceType::Other),
            service_label: row.service_label,
            mileage: row.mileage,
            odometer_unit: OdometerUnit::parse(&row.odometer_unit),
            cost_minor: row.cost_minor,
            currency: row.currency,
            provider: row.provider,
            notes: row.notes,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

async fn fetch_vehicle(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<VehicleRow> {
    let sql = format!(
        "SELECT {VEHICLE_COLUMNS} FROM vehicles WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, VehicleRow>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.ok_or(TrackingError::NotFound("vehicle"))
}

async fn fetch_maintenance(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<MaintenanceRow> {
    let sql = format!(
        "SELECT {MAINTENANCE_COLUMNS} FROM vehicle_maintenance WHERE id = $1 AND user_id = $2 AND deleted_at IS NULL"
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql)).bind(id).bind(user_id).fetch_optional(&mut *conn).await?
    });
    row.ok_or(TrackingError::NotFound("maintenance record"))
}

/// A referenced vehicle must be one of the user's live vehicles.
async fn check_vehicle_ref(tx: &mut Tx, user_id: Uuid, vehicle_id: Option<Uuid>) -> Result<()> {
    match vehicle_id {
        Some(id) => match fetch_vehicle(tx, user_id, id).await {
            Err(TrackingError::NotFound(_)) => Err(TrackingError::invalid(
                "vehicleId",
                "is not one of your vehicles",
            )),
            other => other.map(|_| ()),
        },
        None => Ok(()),
    }
}

async fn write_vehicle(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    v: &NewVehicle,
    at: Timestamp,
    insert: bool,
) -> Result<VehicleRow> {
    let version = sync_row::next_version(tx, user_id).await?;
    let sql = if insert {
        format!(
            "INSERT INTO vehicles (id, user_id, name, make, model, year, vin, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {VEHICLE_COLUMNS}"
        )
    } else {
        format!(
            "UPDATE vehicles SET name = $3, make = $4, model = $5, year = $6, vin = $7, version = $8, updated_at = $9 \
             WHERE id = $1 AND user_id = $2 RETURNING {VEHICLE_COLUMNS}"
        )
    };
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, VehicleRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(v.name.trim())
            .bind(&v.make)
            .bind(&v.model)
            .bind(v.year)
            .bind(&v.vin)
            .bind(version)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row)
}

async fn write_maintenance(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    m: &MaintenanceValues,
    at: Timestamp,
    insert: bool,
) -> Result<MaintenanceRow> {
    let version = sync_row::next_version(tx, user_id).await?;
    let sql = if insert {
        format!(
            "INSERT INTO vehicle_maintenance (id, user_id, vehicle_id, date, service_type, service_label, mileage, odometer_unit, \
             cost_minor, currency, provider, notes, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) RETURNING {MAINTENANCE_COLUMNS}"
        )
    } else {
        format!(
            "UPDATE vehicle_maintenance SET vehicle_id = $3, date = $4, service_type = $5, service_label = $6, mileage = $7, \
             odometer_unit = $8, cost_minor = $9, currency = $10, provider = $11, notes = $12, version = $13, updated_at = $14 \
             WHERE id = $1 AND user_id = $2 RETURNING {MAINTENANCE_COLUMNS}"
        )
    };
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(m.vehicle_id)
            .bind(m.date)
            .bind(m.service_type.as_str())
            .bind(&m.service_label)
            .bind(m.mileage)
            .bind(m.odometer_unit.as_str())
            .bind(m.cost_minor)
            .bind(&m.currency)
            .bind(&m.provider)
            .bind(&m.notes)
            .bind(version)
            .bind(at)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row)
}

#[async_trait]
impl Vehicles for SqlVehicles {
    async fn list_vehicles(&self, user_id: Uuid, page: PageRequest<Uuid>) -> Result<Page<Vehicle>> {
        let sql = format!(
            "SELECT {VEHICLE_COLUMNS} FROM vehicles WHERE user_id = $1 AND deleted_at IS NULL AND ($2 IS NULL OR id > $2) \
             ORDER BY id LIMIT $3"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, VehicleRow>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(page.after)
                .bind(i64::from(page.limit) + 1)
                .fetch_all(pool)
                .await?
        });
        let items = rows.into_iter().map(Vehicle::from).collect();
        Ok(Page::from_rows(items, page.limit, |v: &Vehicle| v.id))
    }

    async fn create_vehicle(&self, user_id: Uuid, input: NewVehicle) -> Result<Vehicle> {
        validate_vehicle(
            &input.name,
            input.make.as_deref(),
            input.model.as_deref(),
            input.year,
            input.vin.as_deref(),
        )?;
        let mut tx = self.db.begin().await?;
        let id = common::new_row_id(&mut tx, Table::Vehicles, input.id).await?;
        let row = write_vehicle(&mut tx, user_id, id, &input, self.clock.now(), true).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn get_vehicle(&self, user_id: Uuid, id: Uuid) -> Result<Vehicle> {
        let mut tx = self.db.begin().await?;
        let row = fetch_vehicle(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn update_vehicle(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: VehiclePatch,
    ) -> Result<Vehicle> {
        let mut tx = self.db.begin().await?;
        let current = fetch_vehicle(&mut tx, user_id, id).await?;
        let next = NewVehicle {
            id: Some(id),
            name: patch.name.unwrap_or(current.name),
            make: patch.make.unwrap_or(current.make),
            model: patch.model.unwrap_or(current.model),
            year: patch.year.unwrap_or(current.year),
            vin: patch.vin.unwrap_or(current.vin),
        };
        validate_vehicle(
            &next.name,
            next.make.as_deref(),
            next.model.as_deref(),
            next.year,
            next.vin.as_deref(),
        )?;
        let row = write_vehicle(&mut tx, user_id, id, &next, self.clock.now(), false).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete_vehicle(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !common::soft_delete(&mut tx, Table::Vehicles, user_id, id, now).await? {
            return Err(TrackingError::NotFound("vehicle"));
        }
        let version = sync_row::next_version(&mut tx, user_id).await?;
        const RECORDS: &str = "UPDATE vehicle_maintenance SET deleted_at = $3, updated_at = $3, version = $4 \
                               WHERE vehicle_id = $1 AND user_id = $2 AND deleted_at IS NULL";
        with_tx!(&mut tx, conn => {
            sqlx::query(RECORDS).bind(id).bind(user_id).bind(now).bind(version).execute(&mut *conn).await?;
        });
        tx.commit().await?;
        Ok(())
    }

    async fn service_due(&self, user_id: Uuid, vehicle_id: Uuid) -> Result<ServiceDue> {
        self.get_vehicle(user_id, vehicle_id).await?;
        let sql = format!(
            "SELECT {MAINTENANCE_COLUMNS} FROM vehicle_maintenance WHERE user_id = $1 AND vehicle_id = $2 AND deleted_at IS NULL"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(vehicle_id).fetch_all(pool).await?
        });
        let records: Vec<Maintenance> = rows.into_iter().map(Maintenance::from).collect();
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
        let sql = format!(
            "SELECT {MAINTENANCE_COLUMNS} FROM vehicle_maintenance WHERE user_id = $1 AND deleted_at IS NULL \
             AND ($2 IS NULL OR date >= $2) AND ($3 IS NULL OR date <= $3) \
             AND ($4 IS NULL OR service_type = $4) AND ($5 IS NULL OR vehicle_id = $5) \
             AND ($6 IS NULL OR date > $6 OR (date = $6 AND id > $7)) \
             ORDER BY date, id LIMIT $8"
        );
        let rows = with_db!(&self.db, pool => {
            sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .bind(filter.range.from)
                .bind(filter.range.to)
                .bind(filter.service_type.map(ServiceType::as_str))
                .bind(filter.vehicle_id)
                .bind(page.after.map(|c| c.date))
                .bind(page.after.map(|c| c.id))
                .bind(i64::from(page.limit) + 1)
                .fetch_all(pool)
                .await?
        });
        let items = rows.into_iter().map(Maintenance::from).collect();
        Ok(Page::from_rows(items, page.limit, |m: &Maintenance| {
            DateCursor {
                date: m.date,
                id: m.id,
            }
        }))
    }

    async fn create_maintenance(
        &self,
        user_id: Uuid,
        input: NewMaintenance,
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
        let mut tx = self.db.begin().await?;
        check_vehicle_ref(&mut tx, user_id, values.vehicle_id).await?;
        let id = common::new_row_id(&mut tx, Table::VehicleMaintenance, input.id).await?;
        let row = write_maintenance(&mut tx, user_id, id, &values, self.clock.now(), true).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn get_maintenance(&self, user_id: Uuid, id: Uuid) -> Result<Maintenance> {
        let mut tx = self.db.begin().await?;
        let row = fetch_maintenance(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn update_maintenance(
        &self,
        user_id: Uuid,
        id: Uuid,
        patch: MaintenancePatch,
    ) -> Result<Maintenance> {
        let mut tx = self.db.begin().await?;
        let current = Maintenance::from(fetch_maintenance(&mut tx, user_id, id).await?);
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
        check_vehicle_ref(&mut tx, user_id, values.vehicle_id).await?;
        let row = write_maintenance(&mut tx, user_id, id, &values, self.clock.now(), false).await?;
        tx.commit().await?;
        Ok(row.into())
    }

    async fn delete_maintenance(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        if !common::soft_delete(
            &mut tx,
            Table::VehicleMaintenance,
            user_id,
            id,
            self.clock.now(),
        )
        .await?
        {
            return Err(TrackingError::NotFound("maintenance record"));
        }
        tx.commit().await?;
        Ok(())
    }
}
