//! Tracks' and nodes' use cases: each opens its transaction, checks the request, applies
//! the rules and calls the store. Node changes publish outbox events in the same
//! transaction.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::page::Page;
use lifeos_kernel::zone::user_clock;
use lifeos_kernel::{Db, SharedClock, Timestamp, Tx, sync_row};
use serde_json::json;
use time::Duration;
use uuid::Uuid;

use super::{
    NewNode, NewTrack, Node, NodeFilter, NodePatch, NodeStatus, NodeType, NodeValues, Track,
    TrackOverview, TrackPatch, TrackStats, TrackValues, stats, store, topics, validate,
};
use crate::error::{Result, TrackingError};
use crate::habits;
use crate::time_entries::store as time_store;
use crate::time_entries::summary::{GroupBy, summarize};

#[async_trait]
pub trait PlansService: Send + Sync {
    async fn list_tracks(&self, user_id: Uuid) -> Result<Page<TrackOverview>>;
    async fn create_track(&self, user_id: Uuid, input: NewTrack) -> Result<Track>;
    async fn get_track(&self, user_id: Uuid, id: Uuid) -> Result<TrackOverview>;
    async fn update_track(&self, user_id: Uuid, id: Uuid, patch: TrackPatch) -> Result<Track>;
    /// Tombstones the track and its nodes.
    async fn delete_track(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn reorder_tracks(&self, user_id: Uuid, ids: Vec<Uuid>) -> Result<Vec<Track>>;

    async fn list_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        filter: NodeFilter,
    ) -> Result<Page<Node>>;
    async fn create_node(&self, user_id: Uuid, track_id: Uuid, input: NewNode) -> Result<Node>;
    async fn get_node(&self, user_id: Uuid, id: Uuid) -> Result<Node>;
    async fn update_node(&self, user_id: Uuid, id: Uuid, patch: NodePatch) -> Result<Node>;
    async fn delete_node(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn reorder_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        ids: Vec<Uuid>,
    ) -> Result<Vec<Node>>;
    async fn set_locked(&self, user_id: Uuid, id: Uuid, locked: bool) -> Result<Node>;
}

pub type SharedPlans = Arc<dyn PlansService>;

#[derive(Clone)]
pub struct Plans {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
}

const TRACK_NOT_FOUND: TrackingError = TrackingError::NotFound("track");
const NODE_NOT_FOUND: TrackingError = TrackingError::NotFound("node");

/// The user's live track `id`, or 404. Other aggregates check references with it.
pub(crate) async fn fetch_track(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Track> {
    store::get_track(tx, user_id, id)
        .await?
        .ok_or(TRACK_NOT_FOUND)
}

/// The user's live node `id`, or 404. Other aggregates check references with it.
pub(crate) async fn fetch_node(tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Node> {
    store::get_node(tx, user_id, id)
        .await?
        .ok_or(NODE_NOT_FOUND)
}

/// `track_id` named in a request body: one of the user's live tracks, or 422.
async fn referenced_track(tx: &mut Tx, user_id: Uuid, track_id: Uuid) -> Result<Track> {
    store::get_track(tx, user_id, track_id)
        .await?
        .ok_or_else(|| TrackingError::invalid("trackId", "is not one of your tracks"))
}

/// 0-based positions in list order.
fn positions(ids: &[Uuid]) -> impl Iterator<Item = (i32, Uuid)> + '_ {
    ids.iter()
        .enumerate()
        .map(|(position, id)| (i32::try_from(position).unwrap_or(i32::MAX), *id))
}

/// Appends a node event (`topics::NODE_*`) inside `tx`.
async fn publish(
    outbox: &Outbox,
    tx: &mut Tx,
    user_id: Uuid,
    topic: &str,
    node: &Node,
    at: Timestamp,
) -> Result<()> {
    let payload = json!({
        "nodeId": node.id, "trackId": node.track_id, "type": node.node_type, "status": node.status,
        "locked": node.locked, "xpValue": node.xp_value, "version": node.version,
    });
    outbox
        .append(
            tx,
            at,
            NewEvent {
                user_id: Some(user_id),
                topic: topic.to_owned(),
                payload,
            },
        )
        .await?;
    Ok(())
}

/// Writes `next` over `current` with `stamp` and publishes `tracking.node_updated`: the
/// end of every node update (a PATCH, a completion's status change). A habit is done only
/// once it has a schedule.
async fn save_update(
    outbox: &Outbox,
    tx: &mut Tx,
    user_id: Uuid,
    current: &Node,
    next: &NodeValues,
    stamp: sync_row::Stamp,
) -> Result<Node> {
    if next.node_type == NodeType::Habit
        && next.status == NodeStatus::Done
        && current.status != NodeStatus::Done
        && !habits::store::is_scheduled(tx, current.id).await?
    {
        return Err(TrackingError::HabitWithoutSchedule);
    }
    let node = store::update_node(tx, user_id, current.id, stamp, next)
        .await?
        .ok_or(NODE_NOT_FOUND)?;
    publish(outbox, tx, user_id, topics::NODE_UPDATED, &node, stamp.at).await?;
    Ok(node)
}

/// Sets the user's live node `node_id` to `status` inside the caller's `tx`, as a PATCH
/// of `status` does (a new version, `tracking.node_updated`), for another domain whose
/// change must commit with it (a completion makes a task `done`). The caller holds the
/// user's write lock and decides about locks; a node already in `status` is left as it
/// is (no version, no event). The caller wakes the outbox after its commit.
pub async fn set_status_in(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    node_id: Uuid,
    status: NodeStatus,
    at: Timestamp,
) -> Result<Node> {
    let current = fetch_node(tx, user_id, node_id).await?;
    if current.status == status {
        return Ok(current);
    }
    let stamp = sync_row::stamp(tx, user_id, at).await?;
    let next = NodeValues {
        status,
        ..NodeValues::from(&current)
    };
    save_update(outbox, tx, user_id, &current, &next, stamp).await
}

/// Creates track `input` for `user_id` at `now` inside `tx`: the body of
/// `POST /tracks`, shared with sync.
pub(crate) async fn create_track_in(
    tx: &mut Tx,
    user_id: Uuid,
    input: NewTrack,
    now: Timestamp,
) -> Result<Track> {
    validate::track(
        &input.title,
        input.description.as_deref(),
        input.color.as_deref(),
        input.icon.as_deref(),
    )?;
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let id = sync_row::row_id(input.id);
    let values = TrackValues {
        title: input.title.trim().to_owned(),
        description: input.description,
        color: input.color,
        icon: input.icon,
        position: store::next_track_position(tx, user_id).await?,
        archived_at: None,
    };
    sync_row::unless_id_taken(store::insert_track(tx, user_id, id, stamp, &values).await)?
        .ok_or(TrackingError::IdConflict)
}

/// Patches the user's live track `id` at `now` inside `tx`: `PATCH /tracks/{id}`.
pub(crate) async fn update_track_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    patch: TrackPatch,
    now: Timestamp,
) -> Result<Track> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = fetch_track(tx, user_id, id).await?;
    let archived_at = match patch.archived {
        Some(true) => current.archived_at.or(Some(now)),
        Some(false) => None,
        None => current.archived_at,
    };
    let next = TrackValues {
        title: patch.title.unwrap_or(current.title),
        description: patch.description.unwrap_or(current.description),
        color: patch.color.unwrap_or(current.color),
        icon: patch.icon.unwrap_or(current.icon),
        position: current.position,
        archived_at,
    };
    validate::track(
        &next.title,
        next.description.as_deref(),
        next.color.as_deref(),
        next.icon.as_deref(),
    )?;
    let next = TrackValues {
        title: next.title.trim().to_owned(),
        ..next
    };
    store::update_track(tx, user_id, id, stamp, &next)
        .await?
        .ok_or(TRACK_NOT_FOUND)
}

/// Tombstones the user's live track `id` and its nodes at `now` inside `tx`:
/// `DELETE /tracks/{id}`.
pub(crate) async fn delete_track_in(
    tx: &mut Tx,
    user_id: Uuid,
    id: Uuid,
    now: Timestamp,
) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    if !store::delete_track(tx, user_id, id, stamp).await? {
        return Err(TRACK_NOT_FOUND);
    }
    store::delete_track_nodes(tx, user_id, id, stamp).await?;
    Ok(())
}

/// Creates node `input` on the user's track `track_id` at `now` inside `tx`, with its
/// `tracking.node_created` event: `POST /tracks/{id}/nodes`. The caller wakes the outbox
/// after its commit.
pub(crate) async fn create_node_in(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    track_id: Uuid,
    input: NewNode,
    now: Timestamp,
) -> Result<Node> {
    validate::node(
        &input.title,
        input.body.as_deref(),
        input.estimate_minutes,
        input.xp_value,
    )?;
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    fetch_track(tx, user_id, track_id).await?;
    let id = sync_row::row_id(input.id);
    let values = NodeValues {
        track_id,
        node_type: input.node_type,
        title: input.title.trim().to_owned(),
        body: input.body,
        status: NodeStatus::Open,
        position: store::next_node_position(tx, track_id).await?,
        locked: false,
        due_on: input.due_on,
        estimate_minutes: input.estimate_minutes,
        xp_value: input.xp_value,
    };
    let node =
        sync_row::unless_id_taken(store::insert_node(tx, user_id, id, stamp, &values).await)?
            .ok_or(TrackingError::IdConflict)?;
    publish(outbox, tx, user_id, topics::NODE_CREATED, &node, now).await?;
    Ok(node)
}

/// Patches the user's live, unlocked node `id` at `now` inside `tx`:
/// `PATCH /nodes/{id}`. The caller wakes the outbox after its commit.
pub(crate) async fn update_node_in(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    id: Uuid,
    patch: NodePatch,
    now: Timestamp,
) -> Result<Node> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let current = fetch_node(tx, user_id, id).await?;
    if current.locked {
        return Err(TrackingError::NodeLocked);
    }
    let mut next = NodeValues::from(&current);
    if let Some(track_id) = patch.track_id.filter(|t| *t != current.track_id) {
        referenced_track(tx, user_id, track_id).await?;
        next.track_id = track_id;
        next.position = store::next_node_position(tx, track_id).await?;
    }
    next.title = patch.title.unwrap_or(next.title);
    next.body = patch.body.unwrap_or(next.body);
    next.status = patch.status.unwrap_or(next.status);
    next.due_on = patch.due_on.unwrap_or(next.due_on);
    next.estimate_minutes = patch.estimate_minutes.unwrap_or(next.estimate_minutes);
    next.xp_value = patch.xp_value.unwrap_or(next.xp_value);
    validate::node(
        &next.title,
        next.body.as_deref(),
        next.estimate_minutes,
        next.xp_value,
    )?;
    next.title = next.title.trim().to_owned();
    save_update(outbox, tx, user_id, &current, &next, stamp).await
}

/// Tombstones the user's live, unlocked node `id` at `now` inside `tx`, with its
/// `tracking.node_deleted` event: `DELETE /nodes/{id}`. The caller wakes the outbox
/// after its commit.
pub(crate) async fn delete_node_in(
    tx: &mut Tx,
    outbox: &Outbox,
    user_id: Uuid,
    id: Uuid,
    now: Timestamp,
) -> Result<()> {
    let stamp = sync_row::stamp(tx, user_id, now).await?;
    let node = fetch_node(tx, user_id, id).await?;
    if node.locked {
        return Err(TrackingError::NodeLocked);
    }
    store::delete_node(tx, user_id, id, stamp).await?;
    // The event describes the node as it was.
    publish(outbox, tx, user_id, topics::NODE_DELETED, &node, now).await
}

impl Plans {
    pub fn new(db: Db, clock: SharedClock, outbox: Outbox) -> Self {
        Self { db, clock, outbox }
    }

    async fn publish(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        topic: &str,
        node: &Node,
        at: Timestamp,
    ) -> Result<()> {
        publish(&self.outbox, tx, user_id, topic, node, at).await
    }

    /// Node counts and this week's minutes per track (`only` limits it to one track).
    async fn stats(&self, user_id: Uuid, only: Option<Uuid>) -> Result<HashMap<Uuid, TrackStats>> {
        let now = self.clock.now();
        let user = user_clock(&self.db, user_id)
            .await?
            .ok_or(TrackingError::NotFound("user"))?;
        let (monday, sunday) = lifeos_kernel::date::iso_week(user.local_date(now)?);
        // A window wide enough for any zone; the summary clips to the local week.
        let (window_start, window_end) = (now - Duration::days(8), now + Duration::days(1));
        let counts = store::node_counts(&self.db, user_id, only).await?;
        let spans = time_store::spans(&self.db, user_id, window_start, window_end).await?;
        let week = summarize(
            &stats::track_spans(spans, only),
            now.as_offset_date_time(),
            &user.zone()?,
            monday,
            sunday,
            GroupBy::Track,
        )?;
        Ok(stats::per_track(&counts, &week))
    }
}

#[async_trait]
impl PlansService for Plans {
    async fn list_tracks(&self, user_id: Uuid) -> Result<Page<TrackOverview>> {
        let tracks = store::list_tracks(&self.db, user_id).await?;
        let mut stats = self.stats(user_id, None).await?;
        let items = tracks
            .into_iter()
            .map(|track| TrackOverview {
                stats: stats.remove(&track.id).unwrap_or_else(stats::empty),
                track,
            })
            .collect();
        Ok(Page::all(items))
    }

    async fn create_track(&self, user_id: Uuid, input: NewTrack) -> Result<Track> {
        let mut tx = self.db.begin().await?;
        let track = create_track_in(&mut tx, user_id, input, self.clock.now()).await?;
        tx.commit().await?;
        Ok(track)
    }

    async fn get_track(&self, user_id: Uuid, id: Uuid) -> Result<TrackOverview> {
        let mut tx = self.db.read().await?;
        let track = fetch_track(&mut tx, user_id, id).await?;
        tx.commit().await?;
        let stats = self
            .stats(user_id, Some(id))
            .await?
            .remove(&id)
            .unwrap_or_else(stats::empty);
        Ok(TrackOverview { track, stats })
    }

    async fn update_track(&self, user_id: Uuid, id: Uuid, patch: TrackPatch) -> Result<Track> {
        let mut tx = self.db.begin().await?;
        let track = update_track_in(&mut tx, user_id, id, patch, self.clock.now()).await?;
        tx.commit().await?;
        Ok(track)
    }

    async fn delete_track(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_track_in(&mut tx, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reorder_tracks(&self, user_id: Uuid, ids: Vec<Uuid>) -> Result<Vec<Track>> {
        let mut tx = self.db.begin().await?;
        // One version for the whole reorder: the rows changed together.
        let stamp = sync_row::stamp(&mut tx, user_id, self.clock.now()).await?;
        let current = store::live_track_ids(&mut tx, user_id).await?;
        validate::full_order(&ids, &current, "tracks")?;
        for (position, id) in positions(&ids) {
            store::set_track_position(&mut tx, user_id, id, position, stamp).await?;
        }
        tx.commit().await?;
        Ok(store::list_tracks(&self.db, user_id).await?)
    }

    async fn list_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        filter: NodeFilter,
    ) -> Result<Page<Node>> {
        let mut tx = self.db.begin_read().await?;
        fetch_track(&mut tx, user_id, track_id).await?;
        let nodes = store::list_nodes(&mut tx, user_id, track_id, filter).await?;
        tx.commit().await?;
        Ok(Page::all(nodes))
    }

    async fn create_node(&self, user_id: Uuid, track_id: Uuid, input: NewNode) -> Result<Node> {
        let mut tx = self.db.begin().await?;
        let now = self.clock.now();
        let node = create_node_in(&mut tx, &self.outbox, user_id, track_id, input, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(node)
    }

    async fn get_node(&self, user_id: Uuid, id: Uuid) -> Result<Node> {
        let mut tx = self.db.read().await?;
        let node = fetch_node(&mut tx, user_id, id).await?;
        tx.commit().await?;
        Ok(node)
    }

    async fn update_node(&self, user_id: Uuid, id: Uuid, patch: NodePatch) -> Result<Node> {
        let mut tx = self.db.begin().await?;
        let now = self.clock.now();
        let node = update_node_in(&mut tx, &self.outbox, user_id, id, patch, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(node)
    }

    async fn delete_node(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.db.begin().await?;
        delete_node_in(&mut tx, &self.outbox, user_id, id, self.clock.now()).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(())
    }

    async fn reorder_nodes(
        &self,
        user_id: Uuid,
        track_id: Uuid,
        ids: Vec<Uuid>,
    ) -> Result<Vec<Node>> {
        let mut tx = self.db.begin().await?;
        let stamp = sync_row::stamp(&mut tx, user_id, self.clock.now()).await?;
        referenced_track(&mut tx, user_id, track_id).await?;
        let current = store::live_node_ids(&mut tx, user_id, track_id).await?;
        validate::full_order(&ids, &current, "nodes of this track")?;
        for (position, id) in positions(&ids) {
            store::set_node_position(&mut tx, user_id, id, position, stamp).await?;
        }
        tx.commit().await?;
        Ok(self
            .list_nodes(user_id, track_id, NodeFilter::default())
            .await?
            .items)
    }

    async fn set_locked(&self, user_id: Uuid, id: Uuid, locked: bool) -> Result<Node> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let stamp = sync_row::stamp(&mut tx, user_id, now).await?;
        let node = fetch_node(&mut tx, user_id, id).await?;
        if node.locked == locked {
            // Nothing changes: the transaction (and the version it took) rolls back.
            return Ok(node);
        }
        let next = NodeValues {
            locked,
            ..NodeValues::from(&node)
        };
        let node = store::update_node(&mut tx, user_id, id, stamp, &next)
            .await?
            .ok_or(NODE_NOT_FOUND)?;
        let topic = if locked {
            topics::NODE_LOCKED
        } else {
            topics::NODE_UNLOCKED
        };
        self.publish(&mut tx, user_id, topic, &node, now).await?;
        tx.commit().await?;
        self.outbox.wake();
        Ok(node)
    }
}
