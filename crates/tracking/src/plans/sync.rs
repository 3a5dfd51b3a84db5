//! Tracks and nodes as sync entities (`track`, `node`): a push runs the REST endpoints'
//! rules inside the push's transaction, and a pull returns the REST bodies.
//!
//! A node's create body names its track (`trackId`), which REST takes from the path.
//! Locking and completing a node stay REST actions: a node's upsert is its create or
//! patch body, so a locked node rejects it with `node_locked` as the PATCH does.

use async_trait::async_trait;
use lifeos_kernel::outbox::Outbox;
use lifeos_kernel::syncable::{
    EntitySchema, SyncEntity, Versioned, api_form, differing, parse_fields,
};
use lifeos_kernel::user_data::UserTable;
use lifeos_kernel::{AppError, StoreError, Timestamp, Tx};
use serde::Deserialize;
use serde_json::{Map, Value};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{NewNode, NewTrack, Node, NodePatch, NodeType, Track, TrackPatch, service, store};
use crate::user_data::{NODES, TRACKS};

/// The `track` entity.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrackEntity;

#[async_trait]
impl SyncEntity for TrackEntity {
    fn table(&self) -> &'static UserTable {
        &TRACKS
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Track, NewTrack, TrackPatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        api_form(store::get_track(tx, user_id, id).await?)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        let tracks = store::tracks_between(tx, user_id, after, upto).await?;
        tracks
            .iter()
            .map(|track| Versioned::of(track.id, track.version, track))
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
    ) -> Result<(), AppError> {
        if exists {
            let patch = parse_fields::<TrackPatch>(fields)?;
            service::update_track_in(tx, user_id, id, patch, at).await?;
        } else {
            let input = NewTrack {
                id: Some(id),
                ..parse_fields::<NewTrack>(fields)?
            };
            service::create_track_in(tx, user_id, input, at).await?;
        }
        Ok(())
    }

    /// A patch's `archived` is the row's `archivedAt` being set, which the row's API
    /// form shows; every other field compares as it is.
    async fn changed_since(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        base_version: i64,
        fields: &Map<String, Value>,
    ) -> Result<Map<String, Value>, StoreError> {
        let _ = base_version;
        let mut current = self.get(tx, user_id, id).await?;
        if let Some(Value::Object(row)) = current.as_mut() {
            let archived = row.get("archivedAt").is_some_and(|at| !at.is_null());
            row.insert("archived".to_owned(), Value::Bool(archived));
        }
        Ok(differing(current.as_ref(), fields))
    }

    /// Tombstones the track and its nodes, as `DELETE /tracks/{id}` does.
    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError> {
        service::delete_track_in(tx, user_id, id, at).await?;
        Ok(())
    }
}

/// A node's create body for sync: `POST /tracks/{trackId}/nodes`'s body with the track
/// it goes on.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::SyncNewNode)]
pub struct SyncNewNode {
    pub id: Option<Uuid>,
    /// One of the user's live tracks; `not_found` otherwise, as on REST.
    pub track_id: Uuid,
    #[serde(rename = "type")]
    pub node_type: NodeType,
    #[schema(max_length = 200, min_length = 1)]
    pub title: String,
    #[schema(max_length = 100000)]
    pub body: Option<String>,
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub due_on: Option<Date>,
    #[schema(minimum = 0, maximum = 100000)]
    pub estimate_minutes: Option<i32>,
    #[schema(minimum = 0, maximum = 1000)]
    pub xp_value: Option<i32>,
}

impl SyncNewNode {
    /// The track and the REST create body.
    fn into_parts(self) -> (Uuid, NewNode) {
        let node = NewNode {
            id: self.id,
            node_type: self.node_type,
            title: self.title,
            body: self.body,
            due_on: self.due_on,
            estimate_minutes: self.estimate_minutes,
            xp_value: self.xp_value,
        };
        (self.track_id, node)
    }
}

/// The `node` entity. Its writes publish the REST paths' node events.
#[derive(Clone)]
pub struct NodeEntity {
    outbox: Outbox,
}

impl NodeEntity {
    pub fn new(outbox: Outbox) -> Self {
        Self { outbox }
    }
}

#[async_trait]
impl SyncEntity for NodeEntity {
    fn table(&self) -> &'static UserTable {
        &NODES
    }

    fn schema(&self) -> EntitySchema {
        EntitySchema::of::<Node, SyncNewNode, NodePatch>()
    }

    async fn get(&self, tx: &mut Tx, user_id: Uuid, id: Uuid) -> Result<Option<Value>, StoreError> {
        api_form(store::get_node(tx, user_id, id).await?)
    }

    async fn live_between(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        after: i64,
        upto: i64,
    ) -> Result<Vec<Versioned>, StoreError> {
        let nodes = store::nodes_between(tx, user_id, after, upto).await?;
        nodes
            .iter()
            .map(|node| Versioned::of(node.id, node.version, node))
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
    ) -> Result<(), AppError> {
        if exists {
            let patch = parse_fields::<NodePatch>(fields)?;
            service::update_node_in(tx, &self.outbox, user_id, id, patch, at).await?;
        } else {
            let (track_id, mut input) = parse_fields::<SyncNewNode>(fields)?.into_parts();
            input.id = Some(id);
            service::create_node_in(tx, &self.outbox, user_id, track_id, input, at).await?;
        }
        Ok(())
    }

    async fn delete(
        &self,
        tx: &mut Tx,
        user_id: Uuid,
        id: Uuid,
        at: Timestamp,
    ) -> Result<(), AppError> {
        service::delete_node_in(tx, &self.outbox, user_id, id, at).await?;
        Ok(())
    }
}
