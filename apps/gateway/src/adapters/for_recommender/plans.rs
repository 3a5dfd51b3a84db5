//! The recommender's `PlansPort`, answered by tracking's stores (read only) and
//! gamification's habit figures.

use std::collections::HashMap;

use async_trait::async_trait;
use lifeos_gamification::{GamificationError, SharedGamification};
use lifeos_kernel::page::PageRequest;
use lifeos_kernel::{Db, StoreError, Timestamp, Tx};
use lifeos_recommender::ports::{
    DayKind, DueHabit, OpenTask, PlansPort, PlansToday, RunningTimer, ServiceDue,
};
use lifeos_tracking::day_types::{self, DayKind as TrackingDay};
use lifeos_tracking::habits::{self, schedule};
use lifeos_tracking::plans::{self, Node, NodeFilter, NodeStatus, NodeType};
use lifeos_tracking::time_entries;
use lifeos_tracking::vehicles::{self, Maintenance, ServiceType, Vehicle, service_due};
use time::{Date, Duration};
use uuid::Uuid;

use super::gamification::store_error;

/// The port's own bound on open tasks.
const MAX_TASKS: usize = 50;
/// How far ahead vehicle service counts as due (the port's contract).
pub const SERVICE_HORIZON: Duration = Duration::days(14);
/// Vehicles read per person: more than anyone registers.
const MAX_VEHICLES: u32 = 100;

#[derive(Clone)]
pub struct PlansAdapter {
    db: Db,
    gamification: SharedGamification,
}

impl PlansAdapter {
    pub fn new(db: Db, gamification: SharedGamification) -> Self {
        Self { db, gamification }
    }
}

impl std::fmt::Debug for PlansAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlansAdapter").finish_non_exhaustive()
    }
}

/// The titles and positions of the user's live tracks that are not archived: the only
/// ones whose nodes are worth offering.
type Tracks = HashMap<Uuid, (String, i32)>;

async fn active_tracks(db: &Db, user_id: Uuid) -> Result<Tracks, StoreError> {
    Ok(plans::store::list_tracks(db, user_id)
        .await?
        .into_iter()
        .filter(|t| t.archived_at.is_none())
        .map(|t| (t.id, (t.title, t.position)))
        .collect())
}

/// What the day turned out to be once recorded, else what was planned.
async fn day_kind(tx: &mut Tx, user_id: Uuid, date: Date) -> Result<Option<DayKind>, StoreError> {
    let days = day_types::store::between(tx, user_id, date, date).await?;
    Ok(days
        .first()
        .map(|d| match d.actual_type.unwrap_or(d.planned_type) {
            TrackingDay::Free => DayKind::Free,
            TrackingDay::Focus => DayKind::Focus,
            TrackingDay::Buffer => DayKind::Buffer,
        }))
}

/// Open, unlocked habits of active tracks whose schedule is due on `date`. A locked
/// habit cannot be completed, and the port has no flag to say so.
async fn due_habits(
    tx: &mut Tx,
    user_id: Uuid,
    date: Date,
    tracks: &Tracks,
) -> Result<Vec<Node>, StoreError> {
    Ok(habits::store::habits_in(tx, user_id)
        .await?
        .into_iter()
        .filter(|(node, _)| node.status == NodeStatus::Open && !node.locked)
        .filter(|(node, _)| tracks.contains_key(&node.track_id))
        .filter(|(_, s)| s.as_ref().is_some_and(|s| schedule::is_due(s, date)))
        .map(|(node, _)| node)
        .collect())
}

/// Open tasks and milestones of active tracks, earliest due first, undated last.
async fn open_tasks(
    tx: &mut Tx,
    user_id: Uuid,
    tracks: &Tracks,
) -> Result<Vec<OpenTask>, StoreError> {
    let open = NodeFilter {
        node_type: None,
        status: Some(NodeStatus::Open),
    };
    let mut nodes = Vec::new();
    for track_id in tracks.keys() {
        let listed = plans::store::list_nodes(tx, user_id, *track_id, open).await?;
        nodes.extend(
            listed
                .into_iter()
                .filter(|n| matches!(n.node_type, NodeType::Task | NodeType::Milestone)),
        );
    }
    let position = |n: &Node| tracks.get(&n.track_id).map_or(0, |t| t.1);
    nodes.sort_by_key(|n| (n.due_on.is_none(), n.due_on, position(n), n.position, n.id));
    nodes.truncate(MAX_TASKS);
    Ok(nodes
        .into_iter()
        .map(|n| OpenTask {
            track_title: tracks
                .get(&n.track_id)
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            milestone: n.node_type == NodeType::Milestone,
            node_id: n.id,
            title: n.title,
            track_id: n.track_id,
            due_on: n.due_on,
            locked: n.locked,
        })
        .collect())
}

async fn running_timer(tx: &mut Tx, user_id: Uuid) -> Result<Option<RunningTimer>, StoreError> {
    let Some(id) = time_entries::store::running(tx, user_id).await? else {
        return Ok(None);
    };
    let Some(entry) = time_entries::store::get(tx, user_id, id).await? else {
        return Ok(None);
    };
    let node_title = match entry.node_id {
        Some(node_id) => plans::store::get_node(tx, user_id, node_id)
            .await?
            .map(|n| n.title),
        None => None,
    };
    Ok(Some(RunningTimer {
        entry_id: entry.id,
        node_id: entry.node_id,
        title: node_title.or(entry.note),
        started_at: entry.started_at,
    }))
}

fn service_name(service_type: ServiceType, label: Option<&str>) -> String {
    match (service_type, label) {
        (ServiceType::Other, Some(label)) => label.to_owned(),
        _ => service_type.as_str().replace('_', " "),
    }
}

/// One vehicle's service due by `until` (overdue included): tracking's prediction (the
/// median interval after the last record of a service type), and records dated after
/// `today`, which people log as booked appointments.
fn vehicle_services(
    vehicle: &Vehicle,
    records: &[Maintenance],
    today: Date,
    until: Date,
) -> Vec<ServiceDue> {
    let predicted = service_due::predict(records)
        .into_iter()
        .filter(|p| p.next_due_date <= until)
        .filter_map(|p| {
            let label = p.service_label.as_deref().map(str::to_lowercase);
            let last = records
                .iter()
                .filter(|r| r.service_type == p.service_type && r.date == p.last_date)
                .filter(|r| {
                    p.service_type != ServiceType::Other
                        || r.service_label.as_deref().map(str::to_lowercase) == label
                })
                .max_by_key(|r| (r.mileage, r.id))?;
            Some(ServiceDue {
                maintenance_id: last.id,
                vehicle: vehicle.name.clone(),
                service: service_name(p.service_type, p.service_label.as_deref()),
                due_on: p.next_due_date,
            })
        });
    let booked = records
        .iter()
        .filter(|r| r.date > today && r.date <= until)
        .map(|r| ServiceDue {
            maintenance_id: r.id,
            vehicle: vehicle.name.clone(),
            service: service_name(r.service_type, r.service_label.as_deref()),
            due_on: r.date,
        });
    let mut due: Vec<ServiceDue> = predicted.chain(booked).collect();
    // A booked record may also be the last of its type: keep its earliest date once.
    due.sort_by_key(|s| (s.maintenance_id, s.due_on));
    due.dedup_by_key(|s| s.maintenance_id);
    due.sort_by_key(|s| s.due_on);
    due
}

/// Service due within [`SERVICE_HORIZON`] of `date` for each registered vehicle; records
/// without a vehicle have no prediction in tracking, so none here either.
async fn services_due(
    tx: &mut Tx,
    user_id: Uuid,
    vehicles: &[Vehicle],
    date: Date,
) -> Result<Vec<ServiceDue>, StoreError> {
    let until = date.checked_add(SERVICE_HORIZON).unwrap_or(Date::MAX);
    let mut due = Vec::new();
    for vehicle in vehicles {
        let records = vehicles::store::maintenance_of_vehicle(tx, user_id, vehicle.id).await?;
        due.extend(vehicle_services(vehicle, &records, date, until));
    }
    due.sort_by_key(|s| s.due_on);
    Ok(due)
}

impl PlansAdapter {
    /// Each due habit with gamification's figures: done on `date`, strength, streak.
    async fn with_stats(
        &self,
        user_id: Uuid,
        date: Date,
        habits: Vec<Node>,
        tracks: &Tracks,
    ) -> Result<Vec<DueHabit>, StoreError> {
        // One habit's figures are a few reads; the habits' run side by side.
        let all = futures_util::future::join_all(
            habits
                .iter()
                .map(|node| self.gamification.habit_stats(user_id, node.id)),
        )
        .await;
        let mut due = Vec::with_capacity(habits.len());
        for (node, stats) in habits.into_iter().zip(all) {
            let stats = match stats {
                Ok(stats) => stats,
                // Deleted since tracking listed it: nothing to offer.
                Err(GamificationError::NotFound(_)) => continue,
                Err(error) => return Err(store_error(error)),
            };
            due.push(DueHabit {
                done: stats.history.iter().any(|d| d.date == date && d.done),
                strength: stats.strength,
                streak: u32::try_from(stats.current_streak.max(0)).unwrap_or(u32::MAX),
                track_title: tracks
                    .get(&node.track_id)
                    .map(|t| t.0.clone())
                    .unwrap_or_default(),
                node_id: node.id,
                title: node.title,
            });
        }
        Ok(due)
    }
}

#[async_trait]
impl PlansPort for PlansAdapter {
    async fn today(
        &self,
        user_id: Uuid,
        date: Date,
        _now: Timestamp,
    ) -> Result<PlansToday, StoreError> {
        // The pool reads first: no read connection is held while waiting for another.
        let tracks = active_tracks(&self.db, user_id).await?;
        let everything = PageRequest {
            limit: MAX_VEHICLES,
            after: None,
        };
        let vehicles = vehicles::store::list_vehicles(&self.db, user_id, &everything).await?;
        // One snapshot for the rest; gamification reads after it closed.
        let mut tx = self.db.begin_read().await?;
        let day = day_kind(&mut tx, user_id, date).await?;
        let habits = due_habits(&mut tx, user_id, date, &tracks).await?;
        let tasks = open_tasks(&mut tx, user_id, &tracks).await?;
        let timer = running_timer(&mut tx, user_id).await?;
        let services = services_due(&mut tx, user_id, &vehicles.items, date).await?;
        tx.commit().await?;
        let habits = self.with_stats(user_id, date, habits, &tracks).await?;
        Ok(PlansToday {
            day,
            habits,
            tasks,
            timer,
            services,
        })
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn vehicle() -> Vehicle {
        let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        Vehicle {
            id: Uuid::from_u128(1),
            name: "Blue Golf".into(),
            make: None,
            model: None,
            year: None,
            vin: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    fn record(id: u128, date: Date, service_type: ServiceType, label: Option<&str>) -> Maintenance {
        let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        Maintenance {
            id: Uuid::from_u128(id),
            vehicle_id: Some(Uuid::from_u128(1)),
            date,
            service_type,
            service_label: label.map(str::to_owned),
            mileage: None,
            odometer_unit: vehicles::OdometerUnit::Km,
            cost_minor: None,
            currency: None,
            provider: None,
            notes: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    fn due(services: &[ServiceDue]) -> Vec<(u128, &str, Date)> {
        services
            .iter()
            .map(|s| (s.maintenance_id.as_u128(), s.service.as_str(), s.due_on))
            .collect()
    }

    #[test]
    fn predicted_service_names_the_last_record_of_its_type() {
        let today = date!(2026 - 03 - 10);
        let until = today.checked_add(SERVICE_HORIZON).unwrap();
        let records = [
            // Oil every 100 days: due 2026-03-13.
            record(10, date!(2025 - 08 - 25), ServiceType::OilChange, None),
            record(11, date!(2025 - 12 - 03), ServiceType::OilChange, None),
            // Inspection yearly: overdue since 2026-03-01.
            record(20, date!(2024 - 03 - 01), ServiceType::Inspection, None),
            record(21, date!(2025 - 03 - 01), ServiceType::Inspection, None),
            // Two kinds of `other`, told apart by label: only the wash is due.
            record(30, date!(2025 - 12 - 20), ServiceType::Other, Some("Wash")),
            record(31, date!(2026 - 02 - 20), ServiceType::Other, Some("wash")),
            record(
                40,
                date!(2025 - 01 - 01),
                ServiceType::Other,
                Some("Rust check"),
            ),
            record(
                41,
                date!(2026 - 01 - 01),
                ServiceType::Other,
                Some("Rust check"),
            ),
            // A single battery record: no interval, no prediction.
            record(50, date!(2025 - 06 - 01), ServiceType::Battery, None),
        ];
        let services = vehicle_services(&vehicle(), &records, today, until);
        assert_eq!(
            due(&services),
            vec![
                (21, "inspection", date!(2026 - 03 - 01)),
                (11, "oil change", date!(2026 - 03 - 13)),
            ],
            "the wash is due 2026-04-23, past the horizon"
        );
        assert!(services.iter().all(|s| s.vehicle == "Blue Golf"));
    }

    #[test]
    fn a_booked_appointment_counts_once_within_the_horizon() {
        let today = date!(2026 - 03 - 10);
        let until = today.checked_add(SERVICE_HORIZON).unwrap();
        let records = [
            record(1, date!(2026 - 03 - 12), ServiceType::TireChange, None),
            record(2, date!(2026 - 04 - 30), ServiceType::BrakeService, None),
            // Done today: a record of the past, not an appointment.
            record(3, today, ServiceType::WiperBlades, None),
            record(
                4,
                date!(2026 - 03 - 20),
                ServiceType::Other,
                Some("Detailing"),
            ),
        ];
        let services = vehicle_services(&vehicle(), &records, today, until);
        assert_eq!(
            due(&services),
            vec![
                (1, "tire change", date!(2026 - 03 - 12)),
                (4, "Detailing", date!(2026 - 03 - 20)),
            ]
        );
    }
}
