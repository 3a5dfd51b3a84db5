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
        // day_type, hike, vehicle, vehicle_maintenance, habit_schedule (helper T1)
    ]
}
