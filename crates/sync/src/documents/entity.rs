//! (stub: replaced by its implementation).

use lifeos_kernel::syncable::SharedEntity;

/// The `document` entity, for the gateway's registry.
pub fn entity() -> Option<SharedEntity> {
    None
}
