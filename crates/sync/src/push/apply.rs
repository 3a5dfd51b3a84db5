//! (stub: replaced by its implementation).
//!
//! One mutation through its entity, inside the caller's transaction and a savepoint of
//! its own: the one write path that push, import and conflict resolution share.

use lifeos_kernel::syncable::EntityRegistry;
use lifeos_kernel::{Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Op;
use crate::error::Result;

/// One mutation, from a push or an import.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub entity: &'a str,
    pub entity_id: Uuid,
    pub op: Op,
    pub fields: &'a Map<String, Value>,
    pub base_version: Option<i64>,
    /// Where it came from, for a conflict record: (device, mutation id).
    pub origin: Option<(Uuid, i64)>,
}

/// What became of it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Applied { version: i64 },
    Rejected { code: &'static str, message: String },
    Conflict { version: i64, conflict_id: Uuid },
}

/// Applies `incoming` for `user_id` at `at` in `tx` (which holds the user's lock): see
/// ADR 0016 for the rules. A store failure is an `Err` and aborts the caller's work.
pub async fn apply(
    tx: &mut Tx,
    entities: &EntityRegistry,
    user_id: Uuid,
    incoming: Incoming<'_>,
    at: Timestamp,
) -> Result<Outcome> {
    let _ = (tx, entities, user_id, incoming, at);
    Ok(Outcome::Rejected {
        code: "not_implemented",
        message: "not built yet".to_owned(),
    })
}
