//! Vehicles' and maintenance records' storage: SQL only, written once for both dialects.
//! Writes and reads inside a write take the caller's transaction; plain reads take the
//! pool.

use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::sync_row::{self, Stamp};
use lifeos_kernel::{Db, StoreError, Timestamp, Tx, with_db, with_tx};
use time::Date;
use uuid::Uuid;

use super::{
    Maintenance, MaintenanceFilter, MaintenanceValues, OdometerUnit, ServiceType, Vehicle,
    VehicleValues,
};
use crate::common::DateCursor;
use crate::user_data::{VEHICLE_MAINTENANCE, VEHICLES};

type Result<T> = std::result::Result<T, StoreError>;

/// The columns a vehicle is read with.
pub const VEHICLE_COLUMNS: &str =
    "id, name, make, model, year, vin, version, created_at, updated_at";
/// The columns a maintenance record is read with.
pub const MAINTENANCE_COLUMNS: &str = "id, vehicle_id, date, service_type, service_label, mileage, odometer_unit, cost_minor, \
                                       currency, provider, notes, version, created_at, updated_at";

/// The columns writes set, in bind order (after the bookkeeping).
const VEHICLE_WRITTEN: &[&str] = &["name", "make", "model", "year", "vin"];
const MAINTENANCE_WRITTEN: &[&str] = &[
    "vehicle_id",
    "date",
    "service_type",
    "service_label",
    "mileage",
    "odometer_unit",
    "cost_minor",
    "currency",
    "provider",
    "notes",
];

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
    service_type: ServiceType,
    service_label: Option<String>,
    mileage: Option<i32>,
    odometer_unit: OdometerUnit,
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
            service_type: row.service_type,
            service_label: row.service_label,
            mileage: row.mileage,
            odometer_unit: row.odometer_unit,
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

// Vehicles.

/// The user's live vehicles, by id, one page.
pub async fn list_vehicles(
    db: &Db,
    user_id: Uuid,
    page: &PageRequest<Uuid>,
) -> Result<Page<Vehicle>> {
    let sql = format!(
        "SELECT {VEHICLE_COLUMNS} FROM vehicles WHERE user_id = $1 AND deleted_at IS NULL AND ($2 IS NULL OR id > $2) \
         ORDER BY id LIMIT $3"
    );
    let rows = with_db!(db, pool => {
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

/// The user's live vehicle `id`.
pub async fn get_vehicle(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Vehicle>> {
    let row =
        sync_row::fetch_live::<VehicleRow>(tx, &VEHICLES, VEHICLE_COLUMNS, user_id, id).await?;
    Ok(row.map(Vehicle::from))
}

pub async fn insert_vehicle(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &VehicleValues,
) -> Result<Vehicle> {
    let sql = sync_row::insert_sql(&VEHICLES, VEHICLE_WRITTEN, VEHICLE_COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, VehicleRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(&values.name)
            .bind(&values.make)
            .bind(&values.model)
            .bind(values.year)
            .bind(&values.vin)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Overwrites the live vehicle `id`; `None` if there is none.
pub async fn update_vehicle(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &VehicleValues,
) -> Result<Option<Vehicle>> {
    let sql = sync_row::update_sql(&VEHICLES, VEHICLE_WRITTEN, VEHICLE_COLUMNS);
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, VehicleRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(&values.name)
            .bind(&values.make)
            .bind(&values.model)
            .bind(values.year)
            .bind(&values.vin)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Vehicle::from))
}

/// Tombstones the live vehicle `id` (not its records: see
/// [`delete_maintenance_of_vehicle`]); false if there was none.
pub async fn delete_vehicle(tx: &mut Tx, user_id: Uuid, id: Uuid, stamp: Stamp) -> Result<bool> {
    sync_row::tombstone(tx, &VEHICLES, user_id, id, stamp).await
}

// Maintenance records.

/// The user's live maintenance records matching `filter`, by date then id, one page.
pub async fn list_maintenance(
    db: &Db,
    user_id: Uuid,
    filter: &MaintenanceFilter,
    page: &PageRequest<DateCursor>,
) -> Result<Page<Maintenance>> {
    let sql = format!(
        "SELECT {MAINTENANCE_COLUMNS} FROM vehicle_maintenance WHERE user_id = $1 AND deleted_at IS NULL \
         AND ($2 IS NULL OR date >= $2) AND ($3 IS NULL OR date <= $3) \
         AND ($4 IS NULL OR service_type = $4) AND ($5 IS NULL OR vehicle_id = $5) \
         AND ($6 IS NULL OR date > $6 OR (date = $6 AND id > $7)) \
         ORDER BY date, id LIMIT $8"
    );
    let rows = with_db!(db, pool => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(filter.range.from)
            .bind(filter.range.to)
            .bind(filter.service_type)
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

/// Every live maintenance record of the user's vehicle `vehicle_id`, in no order.
pub async fn maintenance_of_vehicle(
    tx: &mut Tx,
    user_id: Uuid,
    vehicle_id: Uuid,
) -> Result<Vec<Maintenance>> {
    let sql = format!(
        "SELECT {MAINTENANCE_COLUMNS} FROM vehicle_maintenance WHERE user_id = $1 AND vehicle_id = $2 AND deleted_at IS NULL"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql)).bind(user_id).bind(vehicle_id).fetch_all(&mut *conn).await?
    });
    Ok(rows.into_iter().map(Maintenance::from).collect())
}

/// The user's live maintenance record `id`.
pub async fn get_maintenance(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Maintenance>> {
    let row = sync_row::fetch_live::<MaintenanceRow>(
        tx,
        &VEHICLE_MAINTENANCE,
        MAINTENANCE_COLUMNS,
        user_id,
        id,
    )
    .await?;
    Ok(row.map(Maintenance::from))
}

pub async fn insert_maintenance(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &MaintenanceValues,
) -> Result<Maintenance> {
    let sql = sync_row::insert_sql(
        &VEHICLE_MAINTENANCE,
        MAINTENANCE_WRITTEN,
        MAINTENANCE_COLUMNS,
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.vehicle_id)
            .bind(values.date)
            .bind(values.service_type)
            .bind(&values.service_label)
            .bind(values.mileage)
            .bind(values.odometer_unit)
            .bind(values.cost_minor)
            .bind(&values.currency)
            .bind(&values.provider)
            .bind(&values.notes)
            .fetch_one(&mut *conn)
            .await?
    });
    Ok(row.into())
}

/// Inserts maintenance record `id` if its vehicle (when it names one) is one of the
/// user's live vehicles and the id is free: the check and the insert in one statement.
/// `None` if either failed.
pub async fn insert_maintenance_of_live_vehicle(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &MaintenanceValues,
) -> Result<Option<Maintenance>> {
    let sql = sync_row::insert_where_sql(
        &VEHICLE_MAINTENANCE,
        MAINTENANCE_WRITTEN,
        "($5 IS NULL OR EXISTS (SELECT 1 FROM vehicles \
         WHERE id = $5 AND user_id = $2 AND deleted_at IS NULL))",
        MAINTENANCE_COLUMNS,
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.vehicle_id)
            .bind(values.date)
            .bind(values.service_type)
            .bind(&values.service_label)
            .bind(values.mileage)
            .bind(values.odometer_unit)
            .bind(values.cost_minor)
            .bind(&values.currency)
            .bind(&values.provider)
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Maintenance::from))
}

/// Overwrites the live maintenance record `id`; `None` if there is none.
pub async fn update_maintenance(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
    values: &MaintenanceValues,
) -> Result<Option<Maintenance>> {
    let sql = sync_row::update_sql(
        &VEHICLE_MAINTENANCE,
        MAINTENANCE_WRITTEN,
        MAINTENANCE_COLUMNS,
    );
    let row = with_tx!(tx, conn => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(user_id)
            .bind(stamp.version)
            .bind(stamp.at)
            .bind(values.vehicle_id)
            .bind(values.date)
            .bind(values.service_type)
            .bind(&values.service_label)
            .bind(values.mileage)
            .bind(values.odometer_unit)
            .bind(values.cost_minor)
            .bind(&values.currency)
            .bind(&values.provider)
            .bind(&values.notes)
            .fetch_optional(&mut *conn)
            .await?
    });
    Ok(row.map(Maintenance::from))
}

/// Tombstones the live maintenance record `id`; false if there was none.
pub async fn delete_maintenance(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    stamp: Stamp,
) -> Result<bool> {
    sync_row::tombstone(tx, &VEHICLE_MAINTENANCE, user_id, id, stamp).await
}

/// Tombstones every live maintenance record of the user's vehicle `vehicle_id`; how many.
pub async fn delete_maintenance_of_vehicle(
    tx: &mut Tx,
    user_id: Uuid,
    vehicle_id: Uuid,
    stamp: Stamp,
) -> Result<u64> {
    const SQL: &str = "UPDATE vehicle_maintenance SET deleted_at = $3, updated_at = $3, version = $4 \
                       WHERE vehicle_id = $1 AND user_id = $2 AND deleted_at IS NULL";
    let affected = with_tx!(tx, conn => {
        sqlx::query(SQL)
            .bind(vehicle_id)
            .bind(user_id)
            .bind(stamp.at)
            .bind(stamp.version)
            .execute(&mut *conn)
            .await?
            .rows_affected()
    });
    Ok(affected)
}

// Sync's pull: one query each on the `(user_id, version)` index.

/// The user's live vehicles with a version in `(after, upto]`, oldest version first.
pub async fn vehicles_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<Vehicle>> {
    let sql = format!(
        "SELECT {VEHICLE_COLUMNS} FROM vehicles WHERE user_id = $1 AND version > $2 AND version <= $3 \
         AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, VehicleRow>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(upto)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows.into_iter().map(Vehicle::from).collect())
}

/// The user's live maintenance records with a version in `(after, upto]`, oldest first.
pub async fn maintenance_between(
    tx: &mut Tx,
    user_id: Uuid,
    after: i64,
    upto: i64,
) -> Result<Vec<Maintenance>> {
    let sql = format!(
        "SELECT {MAINTENANCE_COLUMNS} FROM vehicle_maintenance WHERE user_id = $1 AND version > $2 \
         AND version <= $3 AND deleted_at IS NULL ORDER BY version"
    );
    let rows = with_tx!(tx, conn => {
        sqlx::query_as::<_, MaintenanceRow>(sqlx::AssertSqlSafe(sql))
            .bind(user_id)
            .bind(after)
            .bind(upto)
            .fetch_all(&mut *conn)
            .await?
    });
    Ok(rows.into_iter().map(Maintenance::from).collect())
}
