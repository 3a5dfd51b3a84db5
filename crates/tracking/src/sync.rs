//! Tracking's entities for sync: one [`SyncEntity`](lifeos_kernel::syncable::SyncEntity)
//! per syncable table, parents before the children that refer to them.

use std::sync::Arc;

use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::SharedEntity;

/// Every tracking entity, parents first (a track before its nodes, a vehicle before its
/// maintenance).
pub fn entities(outbox: Outbox) -> Vec<SharedEntity> {
    vec![
        // Tracking's plans first: habit schedules, time entries and docs refer to them.
        Arc::new(crate::plans::sync::TrackEntity) as SharedEntity,
        Arc::new(crate::plans::sync::NodeEntity::new(outbox.clone())),
        Arc::new(crate::time_entries::sync::TimeEntryEntity::new(
            outbox.clone(),
        )),
        Arc::new(crate::docs::sync::DocEntity),
        Arc::new(crate::day_types::sync::DayTypeEntity),
        Arc::new(crate::hikes::sync::HikeEntity::new(outbox)),
        // A vehicle before its maintenance records; a habit's schedule after its node.
        Arc::new(crate::vehicles::sync::VehicleEntity),
        Arc::new(crate::vehicles::sync::MaintenanceEntity),
        Arc::new(crate::habits::sync::HabitScheduleEntity),
    ]
}
