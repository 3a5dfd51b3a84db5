//! Vehicles and their maintenance log, with a prediction of the next service.

pub mod http;
pub mod service;
pub mod service_due;
pub mod store;
pub mod sync;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{SharedVehicles, Vehicles, VehiclesService};
pub use service_due::{DuePrediction, ServiceDue};
pub use validate::{validate_maintenance, validate_vehicle};

use crate::common::DateRange;

lifeos_kernel::text_enum! {
    /// Known service codes, as clients send them; anything else is `other` with a label.
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
    )]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::ServiceType)]
    pub enum ServiceType {
        OilChange = "oil_change",
        TireRotation = "tire_rotation",
        TireChange = "tire_change",
        BrakeService = "brake_service",
        Inspection = "inspection",
        Battery = "battery",
        AirFilter = "air_filter",
        CabinFilter = "cabin_filter",
        Coolant = "coolant",
        TransmissionService = "transmission_service",
        Alignment = "alignment",
        WiperBlades = "wiper_blades",
        Other = "other",
    }
}

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::OdometerUnit)]
    pub enum OdometerUnit {
        Km = "km",
        /// The default: clients say "mileage".
        #[default]
        Mi = "mi",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::Vehicle)]
pub struct Vehicle {
    pub id: Uuid,
    pub name: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub vin: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewVehicle)]
pub struct NewVehicle {
    pub id: Option<Uuid>,
    #[schema(example = "Blue Golf", max_length = 100, min_length = 1)]
    pub name: String,
    #[schema(max_length = 100)]
    pub make: Option<String>,
    #[schema(max_length = 100)]
    pub model: Option<String>,
    #[schema(minimum = 1886, maximum = 2100)]
    pub year: Option<i32>,
    /// 17-character vehicle identification number.
    #[schema(pattern = "^[A-HJ-NPR-Z0-9]{17}$")]
    pub vin: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::VehiclePatch)]
pub struct VehiclePatch {
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub make: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 1886, maximum = 2100)]
    pub year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^[A-HJ-NPR-Z0-9]{17}$")]
    pub vin: Option<Option<String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::Maintenance)]
pub struct Maintenance {
    pub id: Uuid,
    /// Null for people who log a single car without registering it.
    pub vehicle_id: Option<Uuid>,
    pub date: Date,
    pub service_type: ServiceType,
    /// What was done, for `other` (and optionally any type).
    pub service_label: Option<String>,
    /// Odometer reading at the service.
    pub mileage: Option<i32>,
    pub odometer_unit: OdometerUnit,
    /// Cost in minor units of `currency` (cents).
    pub cost_minor: Option<i64>,
    /// ISO 4217 code, e.g. `EUR`.
    pub currency: Option<String>,
    pub provider: Option<String>,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewMaintenance)]
pub struct NewMaintenance {
    pub id: Option<Uuid>,
    pub vehicle_id: Option<Uuid>,
    #[serde(deserialize_with = "lifeos_kernel::date::in_range")]
    pub date: Date,
    pub service_type: ServiceType,
    #[schema(min_length = 1, max_length = 100)]
    pub service_label: Option<String>,
    #[schema(minimum = 0, maximum = 5000000)]
    pub mileage: Option<i32>,
    /// Default `mi`.
    pub odometer_unit: Option<OdometerUnit>,
    #[schema(minimum = 0)]
    pub cost_minor: Option<i64>,
    #[schema(pattern = "^[A-Z]{3}$")]
    pub currency: Option<String>,
    #[schema(max_length = 200)]
    pub provider: Option<String>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::MaintenancePatch)]
pub struct MaintenancePatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub vehicle_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub date: Option<Date>,
    pub service_type: Option<ServiceType>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 100)]
    pub service_label: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 5000000)]
    pub mileage: Option<Option<i32>>,
    pub odometer_unit: Option<OdometerUnit>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 0)]
    pub cost_minor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^[A-Z]{3}$")]
    pub currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub provider: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// A vehicle's values, for insert and update alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VehicleValues {
    pub name: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub year: Option<i32>,
    pub vin: Option<String>,
}

/// A maintenance record's values, however they arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaintenanceValues {
    pub vehicle_id: Option<Uuid>,
    pub date: Date,
    pub service_type: ServiceType,
    pub service_label: Option<String>,
    pub mileage: Option<i32>,
    pub odometer_unit: OdometerUnit,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub provider: Option<String>,
    pub notes: Option<String>,
}

/// Which maintenance records a list shows.
#[derive(Debug, Clone, Copy, Default)]
pub struct MaintenanceFilter {
    pub range: DateRange,
    pub service_type: Option<ServiceType>,
    pub vehicle_id: Option<Uuid>,
}
