//! The library's entities for sync: one [`SyncEntity`](lifeos_kernel::syncable::SyncEntity)
//! per syncable table (the catalog is global and does not sync).

use lifeos_kernel::syncable::SharedEntity;

/// Every library entity.
pub fn entities() -> Vec<SharedEntity> {
    vec![]
}
