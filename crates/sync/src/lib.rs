#![doc = include_str!("../README.md")]

pub mod compaction;
pub mod conflicts;
pub mod devices;
pub mod documents;
pub mod error;
pub mod events;
pub mod pull;
pub mod push;
pub mod snapshot;
pub mod user_data;

use std::sync::Arc;

use axum::extract::FromRef;
use lifeos_kernel::migrate::MigrationSet;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::EntityRegistry;
use lifeos_kernel::{Db, SharedClock};
use utoipa_axum::router::OpenApiRouter;

pub use error::{CODES, SyncError};
pub use user_data::TABLES;

use conflicts::service::{Conflicts, SharedConflicts};
use devices::service::{Devices, SharedDevices};
use events::Hub;
use pull::service::{Pull, SharedPull};
use push::service::{Push, SharedPush};
use snapshot::service::{SharedSnapshots, Snapshots};

/// Sync's services, handed to its routes by the app state.
#[derive(Clone)]
pub struct SyncState {
    pub devices: SharedDevices,
    pub push: SharedPush,
    pub pull: SharedPull,
    pub conflicts: SharedConflicts,
    pub snapshots: SharedSnapshots,
    /// Pokes listeners when a user's version advances.
    pub hub: Arc<Hub>,
    pub entities: EntityRegistry,
}

impl std::fmt::Debug for SyncState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncState")
            .field("entities", &self.entities)
            .finish_non_exhaustive()
    }
}

impl SyncState {
    /// The SQL-backed services on one database, syncing `entities` (every domain's and
    /// [`documents::entity`]); `outbox` is woken after each sync write.
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry, outbox: Outbox) -> Self {
        let hub = Arc::new(Hub::new(db.clone(), outbox));
        Self {
            devices: Arc::new(Devices::new(db.clone(), clock.clone())),
            push: Arc::new(Push::new(
                db.clone(),
                clock.clone(),
                entities.clone(),
                hub.clone(),
            )),
            pull: Arc::new(Pull::new(db.clone(), clock.clone(), entities.clone())),
            conflicts: Arc::new(Conflicts::new(
                db.clone(),
                clock.clone(),
                entities.clone(),
                hub.clone(),
            )),
            snapshots: Arc::new(Snapshots::new(db, clock, entities.clone(), hub.clone())),
            hub,
            entities,
        }
    }
}

/// The OpenAPI tags of sync's operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[
    ("devices", "The devices a person syncs from"),
    (
        "sync",
        "Offline-first push and pull of every domain's entities, conflicts, snapshots and live pokes",
    ),
];

/// Sync's tables (after every domain's: documents and devices refer to users only).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "sync",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SyncState: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(devices::http::router())
        .merge(push::http::router())
        .merge(pull::http::router())
        .merge(conflicts::http::router())
        .merge(snapshot::http::router())
        .merge(events::http::router())
}
