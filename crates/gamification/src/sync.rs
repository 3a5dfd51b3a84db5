//! Gamification's entities for sync: completions.

use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::SharedEntity;

use crate::ports::SharedPlansPort;

/// Every gamification entity.
pub fn entities(outbox: Outbox, plans: SharedPlansPort) -> Vec<SharedEntity> {
    let _ = (outbox, plans);
    vec![]
}
