//! When is the next service due? For each service type with at least two records, the
//! typical interval is the median of the gaps between consecutive records (the median,
//! not the mean, so one skipped or doubled service does not skew it); the next service
//! is due one typical interval after the last one, in days and, where odometer readings
//! in one unit exist, in distance.

use serde::Serialize;
use time::{Date, Duration};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Maintenance, OdometerUnit, ServiceType};

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::DuePrediction)]
pub struct DuePrediction {
    pub service_type: ServiceType,
    /// For `other`, the label the records share.
    pub service_label: Option<String>,
    pub records: u32,
    pub last_date: Date,
    pub last_mileage: Option<i32>,
    pub odometer_unit: OdometerUnit,
    pub typical_interval_days: i64,
    pub typical_interval_distance: Option<i64>,
    pub next_due_date: Date,
    pub next_due_mileage: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::ServiceDue)]
pub struct ServiceDue {
    pub vehicle_id: Uuid,
    /// How predictions are made.
    pub method: String,
    pub items: Vec<DuePrediction>,
}

pub const METHOD: &str = "median of the intervals between consecutive records of the same service type; \
                          next due = last record + typical interval (days, and distance when odometer readings exist)";

fn median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let mid = values.len() / 2;
    Some(if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2
    } else {
        values[mid]
    })
}

/// Predictions for one vehicle's records (any order), one per service type (and label
/// for `other`) with at least two records.
pub fn predict(records: &[Maintenance]) -> Vec<DuePrediction> {
    let mut groups: std::collections::BTreeMap<(ServiceType, Option<String>), Vec<&Maintenance>> =
        Default::default();
    for record in records {
        let label = record
            .service_label
            .as_deref()
            .map(str::to_lowercase)
            .filter(|_| record.service_type == ServiceType::Other);
        groups
            .entry((record.service_type, label))
            .or_default()
            .push(record);
    }
    groups
        .into_iter()
        .filter(|(_, group)| group.len() >= 2)
        .filter_map(|((service_type, _), mut group)| {
            group.sort_by_key(|r| (r.date, r.mileage));
            let last = *group.last()?;
            let day_gaps: Vec<i64> = group
                .windows(2)
                .map(|w| (w[1].date - w[0].date).whole_days())
                .filter(|d| *d > 0)
                .collect();
            let typical_days = median(day_gaps)?;
            let distance_gaps: Vec<i64> = group
                .windows(2)
                .filter(|w| w[0].odometer_unit == w[1].odometer_unit)
                .filter_map(|w| Some(i64::from(w[1].mileage?) - i64::from(w[0].mileage?)))
                .filter(|d| *d > 0)
                .collect();
            let typical_distance = median(distance_gaps);
            Some(DuePrediction {
                service_type,
                service_label: last
                    .service_label
                    .clone()
                    .filter(|_| service_type == ServiceType::Other),
                records: u32::try_from(group.len()).unwrap_or(u32::MAX),
                last_date: last.date,
                last_mileage: last.mileage,
                odometer_unit: last.odometer_unit,
                typical_interval_days: typical_days,
                typical_interval_distance: typical_distance,
                next_due_date: last
                    .date
                    .checked_add(Duration::days(typical_days))
                    .unwrap_or(last.date),
                next_due_mileage: typical_distance
                    .zip(last.mileage)
                    .map(|(d, m)| i64::from(m) + d),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use lifeos_kernel::Timestamp;
    use time::macros::date;

    use super::*;

    fn record(date: Date, service_type: ServiceType, mileage: Option<i32>) -> Maintenance {
        let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        Maintenance {
            id: Uuid::nil(),
            vehicle_id: None,
            date,
            service_type,
            service_label: None,
            mileage,
            odometer_unit: OdometerUnit::Mi,
            cost_minor: None,
            currency: None,
            provider: None,
            notes: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn median_interval_predicts_the_next_oil_change() {
        let records = vec![
            record(date!(2025 - 02 - 01), ServiceType::OilChange, Some(40_000)),
            record(date!(2025 - 08 - 01), ServiceType::OilChange, Some(43_500)),
            record(date!(2026 - 02 - 06), ServiceType::OilChange, Some(47_000)),
            record(date!(2026 - 01 - 10), ServiceType::Battery, None),
        ];
        let predictions = predict(&records);
        assert_eq!(predictions.len(), 1, "battery has a single record");
        let oil = &predictions[0];
        assert_eq!(oil.records, 3);
        // gaps: 181 and 189 days → median 185; 3500 and 3500 miles.
        assert_eq!(oil.typical_interval_days, 185);
        assert_eq!(oil.next_due_date, date!(2026 - 08 - 10));
        assert_eq!(oil.typical_interval_distance, Some(3_500));
        assert_eq!(oil.next_due_mileage, Some(50_500));
    }

    #[test]
    fn without_readings_only_the_date_is_predicted() {
        let records = vec![
            record(date!(2025 - 01 - 01), ServiceType::Inspection, None),
            record(date!(2026 - 01 - 01), ServiceType::Inspection, None),
        ];
        let inspection = &predict(&records)[0];
        assert_eq!(inspection.typical_interval_days, 365);
        assert_eq!(inspection.next_due_mileage, None);
    }
}
