#![doc = include_str!("../README.md")]

pub mod common;
pub mod day_types;
pub mod error;
pub mod hikes;
mod user_data;
pub mod vehicles;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRef};
use lifeos_kernel::migrate::MigrationSet;
use lifeos_kernel::{Db, SharedClock};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::{CODES, TrackingError};
pub use user_data::TrackingData;

use day_types::{SharedDayTypes, SqlDayTypes};
use hikes::{SharedHikes, SqlHikes};
use vehicles::{SharedVehicles, SqlVehicles};

/// Tracking's services, handed to its routes by the app state.
#[derive(Clone)]
pub struct TrackingState {
    pub day_types: SharedDayTypes,
    pub hikes: SharedHikes,
    pub vehicles: SharedVehicles,
}

impl TrackingState {
    /// The SQL-backed services on one database.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self {
            day_types: Arc::new(SqlDayTypes::new(db.clone(), clock.clone())),
            hikes: Arc::new(SqlHikes::new(db.clone(), clock.clone())),
            vehicles: Arc::new(SqlVehicles::new(db, clock)),
        }
    }
}

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
}
