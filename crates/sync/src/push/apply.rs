//! One mutation through its entity, inside the caller's transaction and a savepoint of
//! its own: the one write path that push, import and conflict resolution share.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::syncable::{EntityRegistry, Savepoint, SyncEntity, row_state};
use lifeos_kernel::{AppError, ErrorKind, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::Op;
use super::merge::{Action, decide};
use crate::conflicts::{ConflictKind, NewConflict, store as conflicts};
use crate::error::{Result, SyncCode, SyncError};

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

impl Outcome {
    fn rejected(code: SyncCode, message: impl Into<String>) -> Self {
        Outcome::Rejected {
            code: code.as_str(),
            message: message.into(),
        }
    }
}

/// How a mutation's effects are undone when its entity refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// In a savepoint of its own: a refusal rolls back to it and the transaction goes on.
    Savepoint,
    /// Without one (two round trips fewer): a refusal after the entity may have written
    /// is answered `None`, and the caller redoes its whole transaction with savepoints.
    Optimistic,
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
    apply_guarded(tx, entities, user_id, incoming, at, Guard::Savepoint)
        .await?
        .ok_or_else(|| SyncError::Entity(AppError::internal("a guarded mutation went unanswered")))
}

/// [`apply`] with the choice of [`Guard`]; `None` only under [`Guard::Optimistic`], when
/// the entity refused the mutation and the transaction must be redone.
pub async fn apply_guarded(
    tx: &mut Tx,
    entities: &EntityRegistry,
    user_id: Uuid,
    incoming: Incoming<'_>,
    at: Timestamp,
    guard: Guard,
) -> Result<Option<Outcome>> {
    let Some(entity) = entities.get(incoming.entity) else {
        return Ok(Some(Outcome::rejected(
            SyncCode::UnknownEntity,
            format!("this server does not sync `{}`", incoming.entity),
        )));
    };
    let entity: &dyn SyncEntity = entity.as_ref();
    let table = entity.table();
    let before = row_state(tx, table, incoming.entity_id).await?;
    let action = decide(incoming.op, before, user_id, incoming.base_version);
    if let Action::Reject(code) = action {
        return Ok(Some(Outcome::rejected(code, rejection_message(code))));
    }
    let savepoint = match guard {
        Guard::Savepoint => Some(Savepoint::begin(tx).await?),
        Guard::Optimistic => None,
    };
    match run(tx, entity, user_id, &incoming, action, at).await {
        Ok(conflict) => {
            let conflict_id = match conflict {
                Some(conflict) => Some(conflicts::insert(tx, user_id, &conflict, at).await?),
                None => None,
            };
            if let Some(savepoint) = savepoint {
                savepoint.release(tx).await?;
            }
            let version = row_state(tx, table, incoming.entity_id)
                .await?
                .map_or(0, |row| row.version);
            Ok(Some(match conflict_id {
                Some(conflict_id) => Outcome::Conflict {
                    version,
                    conflict_id,
                },
                None => Outcome::Applied { version },
            }))
        }
        Err(error) if aborts(&error) => Err(SyncError::Entity(error)),
        Err(error) => match savepoint {
            Some(savepoint) => {
                savepoint.rollback(tx).await?;
                Ok(Some(Outcome::Rejected {
                    code: error.code,
                    message: message_of(&error),
                }))
            }
            None => Ok(None),
        },
    }
}

/// Runs `action` through the entity; the conflict to record, if any.
async fn run(
    tx: &mut Tx,
    entity: &dyn SyncEntity,
    user_id: Uuid,
    incoming: &Incoming<'_>,
    action: Action,
    at: Timestamp,
) -> std::result::Result<Option<NewConflict>, AppError> {
    let id = incoming.entity_id;
    let conflict = |kind, server_version, server_fields, client_fields| NewConflict {
        entity: entity.name().to_owned(),
        entity_id: id,
        kind,
        device_id: incoming.origin.map(|(device, _)| device),
        mutation_id: incoming.origin.map(|(_, mutation)| mutation),
        base_version: incoming.base_version,
        server_version,
        server_fields,
        client_fields,
    };
    let client = || Some(Value::Object(incoming.fields.clone()));
    match action {
        Action::Reject(_) | Action::AlreadyDeleted { .. } => Ok(None),
        Action::Create => {
            entity
                .upsert(tx, user_id, id, incoming.fields, false, at)
                .await?;
            Ok(None)
        }
        Action::Update => {
            entity
                .upsert(tx, user_id, id, incoming.fields, true, at)
                .await?;
            Ok(None)
        }
        Action::Merge { server_version } => {
            let base = incoming.base_version.unwrap_or(0);
            let overwritten = entity
                .changed_since(tx, user_id, id, base, incoming.fields)
                .await
                .map_err(AppError::internal)?;
            entity
                .upsert(tx, user_id, id, incoming.fields, true, at)
                .await?;
            Ok((!overwritten.is_empty()).then(|| {
                conflict(
                    ConflictKind::UpdateUpdate,
                    server_version,
                    Some(Value::Object(overwritten)),
                    client(),
                )
            }))
        }
        Action::LoseToDelete { tombstone_version } => Ok(Some(conflict(
            ConflictKind::DeleteUpdate,
            tombstone_version,
            None,
            client(),
        ))),
        Action::Delete => {
            entity.delete(tx, user_id, id, at).await?;
            Ok(None)
        }
        Action::DeleteChanged { server_version } => {
            let row = entity
                .get(tx, user_id, id)
                .await
                .map_err(AppError::internal)?;
            entity.delete(tx, user_id, id, at).await?;
            Ok(Some(conflict(
                ConflictKind::UpdateDelete,
                server_version,
                row,
                None,
            )))
        }
    }
}

/// Whether an entity's error is the store failing (the whole push aborts) rather than a
/// rule the mutation broke (the mutation is rejected).
fn aborts(error: &AppError) -> bool {
    matches!(error.kind, ErrorKind::Internal | ErrorKind::Unavailable)
}

/// The entity's detail, with the first field it names.
fn message_of(error: &AppError) -> String {
    match error.errors.first() {
        Some(field) if !error.detail.contains(&field.message) => {
            format!("{} ({}: {})", error.detail, field.field, field.message)
        }
        _ => error.detail.clone(),
    }
}

fn rejection_message(code: SyncCode) -> &'static str {
    match code {
        SyncCode::IdConflict => "this id belongs to a row you cannot change",
        SyncCode::EntityNotFound => "there is no such row to delete",
        _ => "the mutation was refused",
    }
}

/// An upsert without `fields`, refused before anything is read.
pub fn missing_fields() -> Outcome {
    Outcome::Rejected {
        code: CommonCode::ValidationFailed.as_str(),
        message: "an upsert needs `fields`".to_owned(),
    }
}
