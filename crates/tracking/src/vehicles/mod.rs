//! Vehicles and their maintenance log, with a prediction of the next service.

pub mod http;
pub mod service;
pub mod service_due;

use lifeos_kernel::Timestamp;
use lifeos_kernel::error::Validator;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{SharedVehicles, SqlVehicles, Vehicles};
pub use service_due::{DuePrediction, ServiceDue};

use crate::common;
use crate::error::Result;

/// Known service codes, as clients send them; anything else is `other` with a label.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = tracking::ServiceType)]
pub enum ServiceType {
    OilChange,
    TireRotation,
    TireChange,
    BrakeService,
    Inspection,
    Battery,
    AirFilter,
    CabinFilter,
    Coolant,
    TransmissionService,
    Alignment,
    WiperBlades,
    Other,
}

impl ServiceType {
    pub const ALL: [ServiceType; 13] = [
        ServiceType::OilChange,
        ServiceType::TireRotation,
        ServiceType::TireChange,
        ServiceType::BrakeService,
        ServiceType::Inspection,
        ServiceType::Battery,
        ServiceType::AirFilter,
        ServiceType::CabinFilter,
        ServiceType::Coolant,
        ServiceType::TransmissionService,
        ServiceType::Alignment,
        ServiceType::WiperBlades,
        ServiceType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::OilChange => "oil_change",
            ServiceType::TireRotation => "tire_rotation",
            ServiceType::TireChange => "tire_change",
            ServiceType::BrakeService => "brake_service",
            ServiceType::Inspection => "inspection",
            ServiceType::Battery => "battery",
            ServiceType::AirFilter => "air_filter",
            ServiceType::CabinFilter => "cabin_filter",
            ServiceType::Coolant => "coolant",
            ServiceType::TransmissionService => "transmission_service",
            ServiceType::Alignment => "alignment",
            ServiceType::WiperBlades => "wiper_blades",
            ServiceType::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<ServiceType> {
        ServiceType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = tracking::OdometerUnit)]
pub enum OdometerUnit {
    Km,
    /// The default: clients say "mileage".
    #[default]
    Mi,
}

impl OdometerUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            OdometerUnit::Km => "km",
            OdometerUnit::Mi => "mi",
        }
    }

    pub fn parse(text: &str) -> OdometerUnit {
        if text == "km" {
            OdometerUnit::Km
        } else {
            OdometerUnit::Mi
        }
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
    #[schema(example = "Blue Golf", max_length = 100)]
    pub name: String,
    pub make: Option<String>,
    pub model: Option<String>,
    #[schema(minimum = 1886, maximum = 2100)]
    pub year: Option<i32>,
    /// 17-character vehicle identification number.
    pub vin: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::VehiclePatch)]
pub struct VehiclePatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub make: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub year: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
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
    pub date: Date,
    pub service_type: ServiceType,
    pub service_label: Option<String>,
    #[schema(minimum = 0, maximum = 5000000)]
    pub mileage: Option<i32>,
    /// Default `mi`.
    pub odometer_unit: Option<OdometerUnit>,
    #[schema(minimum = 0)]
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    pub provider: Option<String>,
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::MaintenancePatch)]
pub struct MaintenancePatch {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub vehicle_id: Option<Option<Uuid>>,
    pub date: Option<Date>,
    pub service_type: Option<ServiceType>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub service_label: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub mileage: Option<Option<i32>>,
    pub odometer_unit: Option<OdometerUnit>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub cost_minor: Option<Option<i64>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub provider: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
}

pub fn validate_vehicle(
    name: &str,
    make: Option<&str>,
    model: Option<&str>,
    year: Option<i32>,
    vin: Option<&str>,
) -> Result<()> {
    let mut v = Validator::new();
    v.length(name.trim(), "name", 1, 100);
    common::check_text(&mut v, make, "make", 100);
    common::check_text(&mut v, model, "model", 100);
    if let Some(year) = year {
        v.check(
            (1886..=2100).contains(&year),
            "year",
            "must be between 1886 and 2100",
        );
    }
    if let Some(vin) = vin {
        let valid = vin.len() == 17
            && vin
                .chars()
                .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"IOQ".contains(c)));
        v.check(
            valid,
            "vin",
            "must be 17 characters: digits and capital letters except I, O, Q",
        );
    }
    common::finish(&mut v)
}

/// A maintenance record's values, however they arrive.
#[derive(Debug, Clone)]
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

pub fn validate_maintenance(values: &MaintenanceValues) -> Result<()> {
    let mut v = Validator::new();
    match (&values.service_label, values.service_type) {
        (None, ServiceType::Other) => {
            v.check(
                false,
                "serviceLabel",
                "describe the service when serviceType is `other`",
            );
        }
        (Some(label), _) => {
            v.length(label.trim(), "serviceLabel", 1, 100);
        }
        (None, _) => {}
    }
    if let Some(mileage) = values.mileage {
        v.check(
            (0..=5_000_000).contains(&mileage),
            "mileage",
            "must be between 0 and 5000000",
        );
    }
    if let Some(cost) = values.cost_minor {
        v.check(cost >= 0, "costMinor", "must not be negative");
        v.check(
            values.currency.is_some(),
            "currency",
            "is required with costMinor",
        );
    }
    if let Some(currency) = &values.currency {
        v.check(
            currency.len() == 3 && currency.chars().all(|c| c.is_ascii_uppercase()),
            "currency",
            "must be an ISO 4217 code such as EUR",
        );
    }
    common::check_text(&mut v, values.provider.as_deref(), "provider", 200);
    common::check_text(&mut v, values.notes.as_deref(), "notes", 2000);
    common::finish(&mut v)
}
