#![doc = include_str!("../README.md")]

pub mod common;
pub mod day_types;
pub mod docs;
pub mod error;
pub mod habits;
pub mod hikes;
pub mod plans;
pub mod sync;
pub mod time_entries;
pub mod today;
pub mod user_data;
pub mod vehicles;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use lifeos_kernel::migrate::MigrationSet;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::{Db, SharedClock};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::{CODES, TrackingError};
pub use user_data::TABLES;

use day_types::{DayTypes, SharedDayTypes};
use docs::{Docs, SharedDocs};
use habits::{Habits, SharedHabits};
use hikes::{Hikes, SharedHikes};
use plans::{Plans, SharedPlans};
use time_entries::{SharedTimeEntries, TimeEntries};
use vehicles::{SharedVehicles, Vehicles};

/// Tracking's services, handed to its routes by the app state.
#[derive(Clone)]
pub struct TrackingState {
    pub day_types: SharedDayTypes,
    pub hikes: SharedHikes,
    pub vehicles: SharedVehicles,
    pub plans: SharedPlans,
    pub habits: SharedHabits,
    pub time_entries: SharedTimeEntries,
    pub docs: SharedDocs,
}

impl TrackingState {
    /// The SQL-backed services on one database.
    pub fn new(db: Db, clock: SharedClock, outbox: Outbox) -> Self {
        Self {
            day_types: Arc::new(DayTypes::new(db.clone(), clock.clone())),
            hikes: Arc::new(Hikes::new(db.clone(), clock.clone(), outbox.clone())),
            vehicles: Arc::new(Vehicles::new(db.clone(), clock.clone())),
            plans: Arc::new(Plans::new(db.clone(), clock.clone(), outbox.clone())),
            habits: Arc::new(Habits::new(db.clone(), clock.clone())),
            time_entries: Arc::new(TimeEntries::new(db.clone(), clock.clone(), outbox)),
            docs: Arc::new(Docs::new(db, clock)),
        }
    }
}

/// The OpenAPI tags of tracking's operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[
    (
        "day-types",
        "Free, focus and buffer days: plan versus actual",
    ),
    ("hikes", "Hikes, logged by hand or imported from GPX"),
    ("vehicles", "Vehicles, maintenance log, next service due"),
    ("plans", "Tracks (projects and areas) and their nodes"),
    ("habits", "Habit schedules and the habits due on a day"),
    ("time-entries", "Timers, manual entries and time summaries"),
    ("docs", "Markdown docs on tracks and nodes"),
];

/// Tracking's tables (after the platform set).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "tracking",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}

/// Tracking's routes, for any app state that can hand out [`TrackingState`].
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    TrackingState: FromRef<S>,
{
    // GPX files may be larger than the API's default body limit.
    let gpx = OpenApiRouter::new()
        .routes(routes!(hikes::http::import_gpx))
        .layer(DefaultBodyLimit::max(hikes::MAX_GPX_BYTES));
    // A 1 MiB doc body needs a little more than 1 MiB of JSON.
    let docs = OpenApiRouter::new()
        .routes(routes!(docs::http::list, docs::http::create))
        .routes(routes!(
            docs::http::get,
            docs::http::update,
            docs::http::delete
        ))
        .layer(DefaultBodyLimit::max(2 * docs::MAX_BODY_BYTES));
    OpenApiRouter::new()
        .routes(routes!(day_types::http::list, day_types::http::create))
        .routes(routes!(
            day_types::http::get,
            day_types::http::update,
            day_types::http::delete
        ))
        .routes(routes!(day_types::http::by_date))
        .routes(routes!(day_types::http::monthly_report))
        .routes(routes!(hikes::http::list, hikes::http::create))
        .routes(routes!(
            hikes::http::get,
            hikes::http::update,
            hikes::http::delete
        ))
        .merge(gpx)
        .routes(routes!(
            vehicles::http::list_vehicles,
            vehicles::http::create_vehicle
        ))
        .routes(routes!(
            vehicles::http::get_vehicle,
            vehicles::http::update_vehicle,
            vehicles::http::delete_vehicle
        ))
        .routes(routes!(vehicles::http::service_due))
        .routes(routes!(
            vehicles::http::list_maintenance,
            vehicles::http::create_maintenance
        ))
        .routes(routes!(
            vehicles::http::get_maintenance,
            vehicles::http::update_maintenance,
            vehicles::http::delete_maintenance
        ))
        .routes(routes!(plans::http::list_tracks, plans::http::create_track))
        .routes(routes!(
            plans::http::get_track,
            plans::http::update_track,
            plans::http::delete_track
        ))
        .routes(routes!(plans::http::reorder_tracks))
        .routes(routes!(plans::http::list_nodes, plans::http::create_node))
        .routes(routes!(
            plans::http::get_node,
            plans::http::update_node,
            plans::http::delete_node
        ))
        .routes(routes!(plans::http::reorder_nodes))
        .routes(routes!(plans::http::lock_node))
        .routes(routes!(plans::http::unlock_node))
        .routes(routes!(
            habits::http::put_schedule,
            habits::http::get_schedule,
            habits::http::delete_schedule
        ))
        .routes(routes!(habits::http::occurrences))
        .routes(routes!(habits::http::due))
        .routes(routes!(time_entries::http::start))
        .routes(routes!(time_entries::http::stop))
        .routes(routes!(
            time_entries::http::list,
            time_entries::http::create
        ))
        .routes(routes!(time_entries::http::summary))
        .routes(routes!(
            time_entries::http::get,
            time_entries::http::update,
            time_entries::http::delete
        ))
        .merge(docs)
}
