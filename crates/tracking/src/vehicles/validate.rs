//! Vehicle and maintenance requests' validation: pure checks, field names as in the
//! request JSON.

use lifeos_kernel::error::Validator;

use super::{MaintenanceValues, ServiceType, VehicleValues};
use crate::common;
use crate::error::Result;

/// A vehicle as it will be stored (the name is checked trimmed).
pub fn validate_vehicle(values: &VehicleValues) -> Result<()> {
    let mut v = Validator::new();
    v.length(values.name.trim(), "name", 1, 100);
    common::check_text(&mut v, values.make.as_deref(), "make", 100);
    common::check_text(&mut v, values.model.as_deref(), "model", 100);
    if let Some(year) = values.year {
        v.check(
            (1886..=2100).contains(&year),
            "year",
            "must be between 1886 and 2100",
        );
    }
    if let Some(vin) = &values.vin {
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

/// A maintenance record as it will be stored.
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

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;
    use crate::TrackingError;
    use crate::vehicles::OdometerUnit;

    fn fields(result: Result<()>) -> Vec<String> {
        match result {
            Ok(()) => Vec::new(),
            Err(TrackingError::Invalid(errors)) => errors.into_iter().map(|e| e.field).collect(),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn vehicles_need_a_name_and_a_real_vin() {
        let golf = VehicleValues {
            name: "Blue Golf".into(),
            make: None,
            model: None,
            year: Some(2019),
            vin: Some("WVWZZZ1KZAW000001".into()),
        };
        assert!(validate_vehicle(&golf).is_ok());
        let bad = VehicleValues {
            name: "  ".into(),
            year: Some(1800),
            vin: Some("WVWZZZ1KZAW00000O".into()),
            ..golf
        };
        assert_eq!(fields(validate_vehicle(&bad)), ["name", "year", "vin"]);
    }

    #[test]
    fn other_services_need_a_label_and_costs_a_currency() {
        let record = MaintenanceValues {
            vehicle_id: None,
            date: date!(2026 - 02 - 01),
            service_type: ServiceType::Other,
            service_label: None,
            mileage: Some(47_000),
            odometer_unit: OdometerUnit::Mi,
            cost_minor: Some(4_990),
            currency: None,
            provider: None,
            notes: None,
        };
        assert_eq!(
            fields(validate_maintenance(&record)),
            ["serviceLabel", "currency"]
        );
        let labelled = MaintenanceValues {
            service_label: Some("Wax".into()),
            currency: Some("EUR".into()),
            ..record
        };
        assert!(validate_maintenance(&labelled).is_ok());
    }
}
