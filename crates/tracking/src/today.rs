//! "What is due today" in one answer: the day's plan, the habits due and the vehicle
//! services that have fallen due. A voice assistant asks it in one question (the MCP tool
//! `due_today`), so it is one call here rather than three for the client to join.

use lifeos_kernel::page::{MAX_LIMIT, all_pages};
use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::TrackingState;
use crate::day_types::DayType;
use crate::error::{Result, TrackingError};
use crate::habits::DueHabit;
use crate::vehicles::{DuePrediction, Vehicle};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DueToday {
    /// Today in the user's time zone.
    pub date: Date,
    /// The day's plan (and what it became), when one is logged.
    pub day_type: Option<DayType>,
    pub habits: Vec<DueHabit>,
    /// Services whose predicted date is today or earlier, the most overdue first.
    pub services: Vec<DueService>,
}

/// A service of one of the user's vehicles that is due, and by how many days.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DueService {
    pub vehicle_id: Uuid,
    pub vehicle_name: String,
    #[serde(flatten)]
    pub prediction: DuePrediction,
    /// 0 when it falls due today.
    pub days_overdue: i64,
}

impl TrackingState {
    /// What is due on the user's today: habits by their schedules, the day type logged for
    /// the date, and every vehicle's service predictions that have come round.
    pub async fn due_today(&self, user_id: Uuid) -> Result<DueToday> {
        let habits = self.habits.due(user_id, None).await?;
        let date = habits.date;
        let day_type = match self.day_types.by_date(user_id, date).await {
            Ok(day) => Some(day),
            Err(TrackingError::NotFound(_)) => None,
            Err(other) => return Err(other),
        };
        let mut services = Vec::new();
        for vehicle in self.all_vehicles(user_id).await? {
            let due = match self.vehicles.service_due(user_id, vehicle.id).await {
                Ok(due) => due,
                // Deleted since the listing (another device): it has nothing due.
                Err(TrackingError::NotFound(_)) => continue,
                Err(other) => return Err(other),
            };
            services.extend(fallen_due(&vehicle, due.items, date));
        }
        services.sort_by_key(|service| std::cmp::Reverse(service.days_overdue));
        Ok(DueToday {
            date,
            day_type,
            habits: habits.items,
            services,
        })
    }

    async fn all_vehicles(&self, user_id: Uuid) -> Result<Vec<Vehicle>> {
        all_pages(
            MAX_LIMIT,
            |vehicle: &Vehicle| vehicle.id,
            |page| self.vehicles.list_vehicles(user_id, page),
        )
        .await
    }
}

/// The predictions for `vehicle` whose date is `date` or earlier.
fn fallen_due(
    vehicle: &Vehicle,
    predictions: Vec<DuePrediction>,
    date: Date,
) -> impl Iterator<Item = DueService> + '_ {
    predictions
        .into_iter()
        .filter(move |prediction| prediction.next_due_date <= date)
        .map(move |prediction| DueService {
            vehicle_id: vehicle.id,
            vehicle_name: vehicle.name.clone(),
            days_overdue: (date - prediction.next_due_date).whole_days(),
            prediction,
        })
}
