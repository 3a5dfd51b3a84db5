//! Identifiers: UUID v7 everywhere, so ids sort by creation time.

use uuid::Uuid;

/// A new time-ordered id. Ids carry no business meaning, so taking the
/// millisecond from the system clock here is fine (rules use [`crate::Clock`]).
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
