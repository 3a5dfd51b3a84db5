//! Push's use case: one write transaction under the user's lock applies a batch, stores
//! the device's progress and the batch's record, so a retry finds either all of it or
//! none of it.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::syncable::EntityRegistry;
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use serde_json::{Value, json};
use uuid::Uuid;

use super::apply::{Incoming, Outcome, apply, missing_fields};
use super::{
    Mutation, MutationResult, MutationStatus, Op, PushRequest, PushResponse, merge, store,
};
use crate::error::{Result, SyncError};
use crate::events::Hub;

#[async_trait]
pub trait PushService: Send + Sync {
    /// Applies `request`'s mutations for `user_id` (ADR 0016).
    async fn push(&self, user_id: Uuid, request: PushRequest) -> Result<PushResponse>;
}

pub type SharedPush = Arc<dyn PushService>;

pub struct Push {
    db: Db,
    clock: SharedClock,
    entities: EntityRegistry,
    hub: Arc<Hub>,
}

impl Push {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry, hub: Arc<Hub>) -> Self {
        Self {
            db,
            clock,
            entities,
            hub,
        }
    }
}

/// What a push did, before it is answered.
struct Done {
    results: Vec<MutationResult>,
    last_mutation_id: i64,
    before: i64,
    latest: i64,
}

#[async_trait]
impl PushService for Push {
    async fn push(&self, user_id: Uuid, request: PushRequest) -> Result<PushResponse> {
        merge::validate_batch(&request.mutations)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let done = self.in_tx(&mut tx, user_id, &request, now).await?;
        tx.commit().await?;
        if done.latest > done.before {
            self.hub.announce(user_id, done.latest).await;
        }
        Ok(PushResponse {
            results: done.results,
            last_mutation_id: done.last_mutation_id,
            latest_version: done.latest,
            server_time: now,
            clock_skew_seconds: clock_skew(&request.mutations, now),
        })
    }
}

impl Push {
    async fn in_tx(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        request: &PushRequest,
        now: Timestamp,
    ) -> Result<Done> {
        // The lock first: the device's progress read below is then the latest, and a
        // concurrent push of the same device waits for this one to commit.
        sync_row::lock_user(tx, user_id).await?;
        let device = store::progress(tx, user_id, request.device_id)
            .await?
            .ok_or(SyncError::NotFound("device"))?;
        if device.revoked {
            return Err(SyncError::DeviceRevoked);
        }
        let before = sync_row::current_version(tx, user_id).await?;
        let last = device.last_mutation_id;
        let mutations = &request.mutations;
        let Some(first) = mutations.first().map(|m| m.mutation_id) else {
            return Ok(Done {
                results: Vec::new(),
                last_mutation_id: last,
                before,
                latest: before,
            });
        };
        let seen = merge::already_processed(last, first, mutations.len())?;
        let (old, new) = mutations.split_at(seen);
        let mut results = self.duplicates(tx, request.device_id, old).await?;
        let mut records = Vec::with_capacity(new.len());
        for mutation in new {
            let outcome = self
                .apply_one(tx, user_id, request.device_id, mutation, now)
                .await?;
            records.push(record_of(mutation, &outcome));
            results.push(result_of(mutation.mutation_id, outcome));
        }
        let mut last_mutation_id = last;
        if let (Some(first_new), Some(last_new)) = (new.first(), new.last()) {
            last_mutation_id = last_new.mutation_id;
            store::advance(tx, request.device_id, last_mutation_id, now).await?;
            let records = Value::Array(records);
            store::record(
                tx,
                &store::Record {
                    user_id,
                    device_id: request.device_id,
                    first_mutation_id: first_new.mutation_id,
                    last_mutation_id,
                    received_at: now,
                    results: &records,
                },
            )
            .await?;
        }
        let latest = sync_row::current_version(tx, user_id).await?;
        Ok(Done {
            results,
            last_mutation_id,
            before,
            latest,
        })
    }

    async fn apply_one(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        device_id: Uuid,
        mutation: &Mutation,
        now: Timestamp,
    ) -> Result<Outcome> {
        let empty = serde_json::Map::new();
        let fields = match (mutation.op, &mutation.fields) {
            (Op::Upsert, None) => return Ok(missing_fields()),
            (_, Some(fields)) => fields,
            (Op::Delete, None) => &empty,
        };
        let incoming = Incoming {
            entity: &mutation.entity,
            entity_id: mutation.entity_id,
            op: mutation.op,
            fields,
            base_version: mutation.base_version,
            origin: Some((device_id, mutation.mutation_id)),
        };
        apply(tx, &self.entities, user_id, incoming, now).await
    }

    /// The answers for mutations an earlier push processed: `duplicate`, with the
    /// version and conflict that push reported.
    async fn duplicates(
        &self,
        tx: &mut Tx,
        device_id: Uuid,
        old: &[Mutation],
    ) -> Result<Vec<MutationResult>> {
        let (Some(from), Some(to)) = (old.first(), old.last()) else {
            return Ok(Vec::new());
        };
        let recorded: BTreeMap<i64, Value> =
            store::recorded(tx, device_id, from.mutation_id, to.mutation_id)
                .await?
                .into_iter()
                .filter_map(|r| Some((r.get("mutationId")?.as_i64()?, r)))
                .collect();
        Ok(old
            .iter()
            .map(|m| {
                let earlier = recorded.get(&m.mutation_id);
                let field = |name: &str| earlier.and_then(|r| r.get(name));
                MutationResult {
                    mutation_id: m.mutation_id,
                    status: MutationStatus::Duplicate,
                    version: field("version").and_then(Value::as_i64),
                    code: None,
                    message: None,
                    conflict_id: field("conflictId")
                        .and_then(Value::as_str)
                        .and_then(|s| s.parse().ok()),
                }
            })
            .collect())
    }
}

fn result_of(mutation_id: i64, outcome: Outcome) -> MutationResult {
    let mut result = MutationResult {
        mutation_id,
        status: MutationStatus::Applied,
        version: None,
        code: None,
        message: None,
        conflict_id: None,
    };
    match outcome {
        Outcome::Applied { version } => result.version = Some(version),
        Outcome::Rejected { code, message } => {
            result.status = MutationStatus::Rejected;
            result.code = Some(code.to_owned());
            result.message = Some(message);
        }
        Outcome::Conflict {
            version,
            conflict_id,
        } => {
            result.status = MutationStatus::Conflict;
            result.version = Some(version);
            result.conflict_id = Some(conflict_id);
        }
    }
    result
}

/// The mutation record kept in `sync_pushes`.
fn record_of(mutation: &Mutation, outcome: &Outcome) -> Value {
    let mut record = json!({
        "mutationId": mutation.mutation_id,
        "entity": mutation.entity,
        "entityId": mutation.entity_id,
        "op": mutation.op,
    });
    let extra = match outcome {
        Outcome::Applied { version } => json!({ "status": "applied", "version": version }),
        Outcome::Rejected { code, .. } => json!({ "status": "rejected", "code": code }),
        Outcome::Conflict {
            version,
            conflict_id,
        } => json!({ "status": "conflict", "version": version, "conflictId": conflict_id }),
    };
    if let (Value::Object(record), Value::Object(extra)) = (&mut record, extra) {
        record.extend(extra);
    }
    record
}

/// The batch's clock offsets, client minus server, in seconds.
fn clock_skew(mutations: &[Mutation], now: Timestamp) -> Option<i64> {
    merge::clock_skew(
        mutations
            .iter()
            .map(|m| m.client_timestamp.since(now).whole_seconds())
            .collect(),
    )
}
