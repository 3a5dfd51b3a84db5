//! Conflicts' use cases: list and read them, and resolve one, which is itself a change
//! that syncs (it writes through the entity, like a push).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::syncable::{EntityRegistry, SyncEntity, revive, row_state};
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::store::{self, ConflictCursor, Status};
use super::{Conflict, ConflictKind, Side};
use crate::error::{Result, SyncError};
use crate::events::Hub;

#[async_trait]
pub trait ConflictsService: Send + Sync {
    /// The user's conflicts with `status`, newest first.
    async fn list(
        &self,
        user_id: Uuid,
        status: Status,
        page: PageRequest<ConflictCursor>,
    ) -> Result<Page<Conflict>>;
    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Conflict>;
    /// Keeps `choose`'s side of conflict `id`: the server's values are written back, or
    /// the client's lost update applied, through the entity.
    async fn resolve(&self, user_id: Uuid, id: Uuid, choose: Side) -> Result<Conflict>;
}

pub type SharedConflicts = Arc<dyn ConflictsService>;

pub struct Conflicts {
    db: Db,
    clock: SharedClock,
    entities: EntityRegistry,
    hub: Arc<Hub>,
}

const NOT_FOUND: SyncError = SyncError::NotFound("conflict");

/// The members of a row's API form that no patch body sets.
const BOOKKEEPING: &[&str] = &["id", "version", "createdAt", "updatedAt"];

impl Conflicts {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry, hub: Arc<Hub>) -> Self {
        Self {
            db,
            clock,
            entities,
            hub,
        }
    }
}

#[async_trait]
impl ConflictsService for Conflicts {
    async fn list(
        &self,
        user_id: Uuid,
        status: Status,
        page: PageRequest<ConflictCursor>,
    ) -> Result<Page<Conflict>> {
        let mut tx = self.db.read().await?;
        let page = store::list(&mut tx, user_id, status, &page).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn get(&self, user_id: Uuid, id: Uuid) -> Result<Conflict> {
        let mut tx = self.db.read().await?;
        let conflict = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        tx.commit().await?;
        Ok(conflict)
    }

    async fn resolve(&self, user_id: Uuid, id: Uuid, choose: Side) -> Result<Conflict> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        sync_row::lock_user(&mut tx, user_id).await?;
        let before = sync_row::current_version(&mut tx, user_id).await?;
        let conflict = store::get(&mut tx, user_id, id).await?.ok_or(NOT_FOUND)?;
        if conflict.resolved_at.is_some() {
            return Err(SyncError::ConflictResolved);
        }
        self.restore(&mut tx, user_id, &conflict, choose, now)
            .await?;
        if !store::mark_resolved(&mut tx, user_id, id, choose, now).await? {
            return Err(SyncError::ConflictResolved);
        }
        let latest = sync_row::current_version(&mut tx, user_id).await?;
        tx.commit().await?;
        if latest > before {
            self.hub.announce(user_id, latest).await;
        }
        Ok(Conflict {
            resolved_at: Some(now),
            resolution: Some(choose),
            ..conflict
        })
    }
}

impl Conflicts {
    /// Writes the chosen side where it is not already the row's: the server's values over
    /// an update that overwrote them, or back into a row a delete removed; the client's
    /// update into a row deleted before it arrived.
    async fn restore(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        conflict: &Conflict,
        choose: Side,
        at: Timestamp,
    ) -> Result<()> {
        let fields = match (conflict.kind, choose) {
            (ConflictKind::UpdateUpdate, Side::Server)
            | (ConflictKind::UpdateDelete, Side::Server) => conflict.server_fields.as_ref(),
            (ConflictKind::DeleteUpdate, Side::Client) => conflict.client_fields.as_ref(),
            // The row already is the chosen side.
            _ => return Ok(()),
        };
        let entity = self
            .entities
            .get(&conflict.entity)
            .ok_or_else(|| SyncError::UnknownEntity(conflict.entity.clone()))?;
        let entity: &dyn SyncEntity = entity.as_ref();
        let fields = patch_fields(entity, fields);
        let revives = conflict.kind != ConflictKind::UpdateUpdate;
        let id = conflict.entity_id;
        let Some(row) = row_state(tx, entity.table(), id).await? else {
            // Compacted away since: nothing is left to write into.
            return Ok(());
        };
        if row.user_id != user_id {
            return Ok(());
        }
        if row.deleted {
            if !revives {
                // Deleted since the conflict: the delete stands.
                return Ok(());
            }
            let version = sync_row::next_version(tx, user_id).await?;
            revive(tx, entity.table(), user_id, id, version, at)
                .await
                .map_err(|error| {
                    // Under the user's lock only a live row of theirs can hold the
                    // tombstone's unique value.
                    if error.is_unique_violation() {
                        SyncError::RestoreBlocked
                    } else {
                        error.into()
                    }
                })?;
        }
        if !fields.is_empty() {
            entity
                .upsert(tx, user_id, id, &fields, true, at)
                .await
                .map_err(SyncError::Entity)?;
        }
        Ok(())
    }
}

/// `fields` as a patch body of `entity`: without the row's bookkeeping and, when the
/// entity's patch schema lists its properties, without members it does not accept (a
/// row's read-only members).
fn patch_fields(entity: &dyn SyncEntity, fields: Option<&Value>) -> Map<String, Value> {
    let Some(Value::Object(fields)) = fields else {
        return Map::new();
    };
    let schema = entity.schema().update;
    let accepted = schema.get("properties").and_then(Value::as_object);
    fields
        .iter()
        .filter(|(name, _)| !BOOKKEEPING.contains(&name.as_str()))
        .filter(|(name, _)| accepted.is_none_or(|props| props.contains_key(name.as_str())))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}
