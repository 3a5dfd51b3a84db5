//! Push's use case: one write transaction under the user's lock applies a batch, stores
//! the device's progress and the batch's record, so a retry finds either all of it or
//! none of it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use async_trait::async_trait;
use lifeos_kernel::syncable::EntityRegistry;
use lifeos_kernel::{AppError, Db, SharedClock, Timestamp, Tx, sync_row};
use serde_json::{Value, json};
use uuid::Uuid;

use super::apply::{Guard, Incoming, Outcome, apply_guarded, missing_fields};
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
    queues: UserQueues,
}

impl Push {
    pub fn new(db: Db, clock: SharedClock, entities: EntityRegistry, hub: Arc<Hub>) -> Self {
        Self {
            db,
            clock,
            entities,
            hub,
            queues: UserQueues::default(),
        }
    }
}

/// One user's pushes on this process take turns here, before they take a database
/// connection: they would queue on the user's counter row anyway, and queueing there
/// would hold pooled connections that other users' requests need.
#[derive(Default)]
struct UserQueues(Mutex<HashMap<Uuid, Weak<tokio::sync::Mutex<()>>>>);

impl UserQueues {
    /// Forgotten queues are swept once the map holds this many.
    const SWEEP_AT: usize = 1024;

    fn of(&self, user_id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        let mut queues = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(queue) = queues.get(&user_id).and_then(Weak::upgrade) {
            return queue;
        }
        if queues.len() >= Self::SWEEP_AT {
            queues.retain(|_, queue| queue.strong_count() > 0);
        }
        let queue = Arc::new(tokio::sync::Mutex::new(()));
        queues.insert(user_id, Arc::downgrade(&queue));
        queue
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
        let queue = self.queues.of(user_id);
        let _turn = queue.lock().await;
        let now = self.clock.now();
        let done = match self
            .attempt(user_id, &request, now, Guard::Optimistic)
            .await?
        {
            Some(done) => done,
            // An entity refused a mutation after it may have written: the batch again,
            // each mutation in a savepoint this time.
            None => self
                .attempt(user_id, &request, now, Guard::Savepoint)
                .await?
                .ok_or_else(|| {
                    SyncError::Entity(AppError::internal("a guarded push went unanswered"))
                })?,
        };
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
    /// The batch in one transaction, committed unless a mutation needs the transaction
    /// redone (`None`, only under [`Guard::Optimistic`]).
    async fn attempt(
        &self,
        user_id: Uuid,
        request: &PushRequest,
        now: Timestamp,
        guard: Guard,
    ) -> Result<Option<Done>> {
        let mut tx = self.db.begin().await?;
        let done = self.in_tx(&mut tx, user_id, request, now, guard).await?;
        if done.is_some() {
            tx.commit().await?;
        }
        Ok(done)
    }

    async fn in_tx(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        request: &PushRequest,
        now: Timestamp,
        guard: Guard,
    ) -> Result<Option<Done>> {
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
            return Ok(Some(Done {
                results: Vec::new(),
                last_mutation_id: last,
                before,
                latest: before,
            }));
        };
        let seen = merge::already_processed(last, first, mutations.len())?;
        let (old, new) = mutations.split_at(seen);
        let mut results = self.duplicates(tx, request.device_id, old).await?;
        let mut records = Vec::with_capacity(new.len());
        for mutation in new {
            let Some(outcome) = self
                .apply_one(tx, user_id, request.device_id, mutation, now, guard)
                .await?
            else {
                return Ok(None);
            };
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
        Ok(Some(Done {
            results,
            last_mutation_id,
            before,
            latest,
        }))
    }

    async fn apply_one(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        device_id: Uuid,
        mutation: &Mutation,
        now: Timestamp,
        guard: Guard,
    ) -> Result<Option<Outcome>> {
        let empty = serde_json::Map::new();
        let fields = match (mutation.op, &mutation.fields) {
            (Op::Upsert, None) => return Ok(Some(missing_fields())),
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
        apply_guarded(tx, &self.entities, user_id, incoming, now, guard).await
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
