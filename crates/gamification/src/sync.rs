//! Gamification's entities for sync: completions. The ledger, the stats projection and
//! badges stay on the server: they follow from the completions, through the same
//! [`Rules`] as `POST /nodes/{id}/complete` and `DELETE /completions/{id}`, in the push's
//! transaction and with the push's time as "now".
//!
//! - create: `NewSyncedCompletion` (the REST body plus `nodeId`), with the entity id as
//!   the completion's id: the node's checks, the day window, the slot, XP, the streak,
//!   badges, a task becoming `done` and the events, all as REST does them. Unlike REST it
//!   is not rate limited: the limiter guards the endpoint against a flood of requests,
//!   while a push is bounded by its batch size and serialised by the user's lock, and a
//!   rejected mutation is never retried, so limiting would lose completions a device
//!   made offline and replays in one batch.
//! - update: a completion does not change. One that restates the stored values is a
//!   no-op (imports and conflict resolutions send them); any other change is 409
//!   `completion_immutable`, and so is any update of an undone completion that a
//!   conflict's resolution revived (its XP was reversed; complete the node again).
//! - delete: an undo, within its 24 hours (`undo_window_passed` after), with the XP
//!   reversed and a task reopened.
//!
//! The events a synced completion appends are delivered by the outbox's polling fallback
//! (the push commits, not this entity, so it cannot wake the outbox after the commit).

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::{EntitySchema, SharedEntity, SyncEntity, Versioned, parse_fields};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::zone::UserClock;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{GamificationError, Result};
use crate::model::{CompleteNode, Completion, CompletionPatch, NewSyncedCompletion};
use crate::ports::SharedPlansPort;
use crate::rules::{Completing, Rules, validate};
use crate::store;
use crate::user_data::COMPLETIONS;

/// Every gamification entity.
pub fn entities(outbox: Outbox, plans: SharedPlansPort) -> Vec<SharedEntity> {
    vec![Arc::new(CompletionEntity {
        rules: Rules::new(outbox, plans),
    })]
}

struct CompletionEntity {
    rules: Rules,
}

async fn user_clock(tx: &mut Tx, user_id: Uuid) -> Result<UserClock> {
    store::user_clock(tx, user_id)
        .await?
        .ok_or(GamificationError::NotFound("user"))
}

/// The user's live completion `id`.
async fn live(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<store::Row>, StoreError> {
    Ok(store::completion(tx, id)
        .await?
        .filter(|row| row.user_id == user_id && row.deleted_at.is_none()))
}

/// Whether `patch` restates `row` (every field it names holds that value already).
fn restates(patch: &CompletionPatch, row: &store::Row) -> bool {
    patch.node_id.is_none_or(|node| node == row.node_id)
        && patch.completed_at.is_none_or(|at| at == row.completed_at)
        && patch.local_date.is_none_or(|date| date == row.local_date)
        && patch.value.is_none_or(|value| value == row.value)
        && patch.note.as_ref().is_none_or(|note| *note == row.note)
}

impl CompletionEntity {
    async fn create(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        body: NewSyncedCompletion,
        at: Timestamp,
    ) -> Result<()> {
        let request = CompleteNode {
            id: Some(id),
            completed_at: body.completed_at,
            local_date: body.local_date,
            value: body.value,
            note: body.note,
        };
        validate(&request)?;
        let clock = user_clock(tx, user_id).await?;
        match self
            .rules
            .complete_in(tx, user_id, body.node_id, &request, (&clock, at))
            .await?
        {
            Completing::New(_) => Ok(()),
            // Sync creates only ids no row has, so this is the user's row made since: the
            // id is taken, as REST answers for a retry that is not the same request.
            Completing::Replay(_) => Err(GamificationError::IdTaken),
        }
    }

    async fn update(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        patch: CompletionPatch,
    ) -> Result<()> {
        let row = live(tx, user_id, id)
            .await?
            .ok_or(GamificationError::NotFound("completion"))?;
        // A row sync brought back from its tombstone (a conflict resolved for the side
        // that lost to an undo) skipped the rules: its XP stays reversed, so it must not
        // count again as if it had never been undone.
        if store::undone(tx, id).await? {
            return Err(GamificationError::Revived);
        }
        if restates(&patch, &row) {
            Ok(())
        } else {
            Err(GamificationError::Immutable)
        }
    }
}

#[async_trait]
impl SyncEntity for CompletionEntity {
    /// A completion's XP, streak and badges belong to the moment it happened; the
    /// completion window refuses it later, so an import does not replay it.
    fn importable(&self) -> bool {
        false
    }

    fn table(&self) -> &'static UserTable {
        &COMPLETIONS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Completion, NewSyncedCompletion, CompletionPatch>()
    }

    async fn get(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
    ) -> std::result::Result<Option<Value>, StoreError> {
        let row = live(tx, user_id, id).await?;
        Ok(row
            .map(|row| serde_json::to_value(row.view()))
            .transpose()?)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> std::result::Result<Vec<Versioned>, StoreError> {
        store::live_between(tx, user_id, after, upto)
            .await?
            .into_iter()
            .map(|row| Versioned::of(row.id, row.version, &row.view()))
            .collect()
    }

    async fn upsert(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        fields: &Map<String, Value>,
        exists: bool,
        at: Timestamp,
    ) -> std::result::Result<(), AppError> {
        if exists {
            let patch = parse_fields::<CompletionPatch>(fields)?;
            Ok(self.update(tx, user_id, id, patch).await?)
        } else {
            let body = parse_fields::<NewSyncedCompletion>(fields)?;
            Ok(self.create(tx, user_id, id, body, at).await?)
        }
    }

    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> std::result::Result<(), AppError> {
        let clock = user_clock(tx, user_id).await?;
        self.rules.undo_in(tx, user_id, id, (&clock, at)).await?;
        Ok(())
    }
}
