//! Tracking's entities for sync: one [`SyncEntity`](lifeos_kernel::syncable::SyncEntity)
//! per syncable table, parents before the children that refer to them.

use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::SharedEntity;

/// Every tracking entity, parents first (a track before its nodes, a vehicle before its
/// maintenance).
pub fn entities(outbox: Outbox) -> Vec<SharedEntity> {
    let _ = outbox;
    vec![
        // Tracking's plans first: habit schedules, time entries and docs refer to them.
        std::sync::Arc::new(crate::plans::sync::TrackEntity) as SharedEntity,
        std::sync::Arc::new(crate::plans::sync::NodeEntity::new(outbox.clone())),
        std::sync::Arc::new(crate::time_entries::sync::TimeEntryEntity::new(outbox.clone())),
        std::sync::Arc::new(crate::docs::sync::DocEntity),
        std::sync::Arc::new(crate::day_types::sync::DayTypeEntity),
        std::sync::Arc::new(crate::hikes::sync::HikeEntity::new(outbox.clone())),
        // A vehicle before its maintenance records; a habit's schedule after its node.
        std::sync::Arc::new(crate::vehicles::sync::VehicleEntity),
        std::sync::Arc::new(crate::vehicles::sync::MaintenanceEntity),
        std::sync::Arc::new(crate::habits::sync::HabitScheduleEntity),
    ]
}
