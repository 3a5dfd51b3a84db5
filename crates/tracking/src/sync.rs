//! Tracking's entities for sync: one [`SyncEntity`](lifeos_kernel::syncable::SyncEntity)
//! per syncable table, parents before the children that refer to them.

use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::SharedEntity;

/// Every tracking entity, parents first (a track before its nodes, a vehicle before its
/// maintenance).
pub fn entities(outbox: Outbox) -> Vec<SharedEntity> {
    let _ = outbox;
    vec![
        // day_type, hike, vehicle, vehicle_maintenance, habit_schedule (helper T1)
        // track, node, time_entry, doc (helper T2)
    ]
}
