//! Plans: tracks (projects and areas of life) holding nodes (tasks, habits, focus
//! sessions, milestones), with locks, ordering and habit schedules.

pub mod http;
pub mod service;
pub mod stats;
pub mod store;
pub mod sync;
pub mod validate;

use std::collections::BTreeMap;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{Plans, PlansService, SharedPlans};

lifeos_kernel::text_enum! {
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
    )]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::NodeType)]
    pub enum NodeType {
        Task = "task",
        Habit = "habit",
        FocusSession = "focus_session",
        Milestone = "milestone",
    }
}

lifeos_kernel::text_enum! {
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
    )]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::NodeStatus)]
    pub enum NodeStatus {
        Open = "open",
        Done = "done",
        Archived = "archived",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::Track)]
pub struct Track {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub color: Option<String>,
    pub icon: Option<String>,
    /// 0-based order among the user's tracks.
    pub position: i32,
    pub archived_at: Option<Timestamp>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Per-track figures for the overview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::TrackStats)]
pub struct TrackStats {
    /// Live nodes per type (`task`, `habit`, `focus_session`, `milestone`).
    pub nodes_by_type: BTreeMap<String, u32>,
    /// Live nodes per status (`open`, `done`, `archived`).
    pub nodes_by_status: BTreeMap<String, u32>,
    pub open_tasks: u32,
    /// Minutes logged on the track (or its nodes) this ISO week, in the user's zone.
    pub minutes_this_week: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::TrackOverview)]
pub struct TrackOverview {
    #[serde(flatten)]
    pub track: Track,
    pub stats: TrackStats,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewTrack)]
pub struct NewTrack {
    pub id: Option<Uuid>,
    #[schema(max_length = 200, min_length = 1)]
    pub title: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// `#rrggbb`.
    #[schema(pattern = "^#[0-9A-Fa-f]{6}$")]
    pub color: Option<String>,
    #[schema(max_length = 50)]
    pub icon: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::TrackPatch)]
pub struct TrackPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, pattern = "^#[0-9A-Fa-f]{6}$")]
    pub color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub icon: Option<Option<String>>,
    /// `true` archives the track, `false` brings it back.
    pub archived: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::ReorderTracks)]
pub struct ReorderTracks {
    /// Every live track of the user, in the new order.
    pub ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::Node)]
pub struct Node {
    pub id: Uuid,
    pub track_id: Uuid,
    #[serde(rename = "type")]
    pub node_type: NodeType,
    pub title: String,
    /// Markdown.
    pub body: Option<String>,
    pub status: NodeStatus,
    /// 0-based order within the track.
    pub position: i32,
    pub locked: bool,
    pub due_on: Option<Date>,
    pub estimate_minutes: Option<i32>,
    /// Overrides the default XP of the node's type.
    pub xp_value: Option<i32>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewNode)]
pub struct NewNode {
    pub id: Option<Uuid>,
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

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NodePatch)]
pub struct NodePatch {
    /// Moves the node to another of the user's tracks (at the end).
    pub track_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100000)]
    pub body: Option<Option<String>>,
    pub status: Option<NodeStatus>,
    #[serde(default, deserialize_with = "lifeos_kernel::date::present_in_range")]
    #[schema(value_type = Option<Date>)]
    pub due_on: Option<Option<Date>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 100000)]
    pub estimate_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 1000)]
    pub xp_value: Option<Option<i32>>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::ReorderNodes)]
pub struct ReorderNodes {
    pub track_id: Uuid,
    /// Every live node of the track, in the new order.
    pub ids: Vec<Uuid>,
}

/// The values a track is written with (insert and update alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackValues {
    pub title: String,
    pub description: Option<String>,
    pub color: Option<String>,
    pub icon: Option<String>,
    pub position: i32,
    pub archived_at: Option<Timestamp>,
}

impl From<&Track> for TrackValues {
    fn from(t: &Track) -> Self {
        TrackValues {
            title: t.title.clone(),
            description: t.description.clone(),
            color: t.color.clone(),
            icon: t.icon.clone(),
            position: t.position,
            archived_at: t.archived_at,
        }
    }
}

/// The values a node is written with (insert and update alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeValues {
    pub track_id: Uuid,
    pub node_type: NodeType,
    pub title: String,
    pub body: Option<String>,
    pub status: NodeStatus,
    pub position: i32,
    pub locked: bool,
    pub due_on: Option<Date>,
    pub estimate_minutes: Option<i32>,
    pub xp_value: Option<i32>,
}

impl From<&Node> for NodeValues {
    fn from(n: &Node) -> Self {
        NodeValues {
            track_id: n.track_id,
            node_type: n.node_type,
            title: n.title.clone(),
            body: n.body.clone(),
            status: n.status,
            position: n.position,
            locked: n.locked,
            due_on: n.due_on,
            estimate_minutes: n.estimate_minutes,
            xp_value: n.xp_value,
        }
    }
}

/// Which nodes of a track a list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeFilter {
    pub node_type: Option<NodeType>,
    pub status: Option<NodeStatus>,
}

/// Outbox topics other domains (gamification, recommender) consume.
pub mod topics {
    pub const NODE_CREATED: &str = "tracking.node_created";
    pub const NODE_UPDATED: &str = "tracking.node_updated";
    pub const NODE_LOCKED: &str = "tracking.node_locked";
    pub const NODE_UNLOCKED: &str = "tracking.node_unlocked";
    pub const NODE_DELETED: &str = "tracking.node_deleted";
    pub const TIME_ENTRY_STOPPED: &str = "tracking.time_entry_stopped";
    pub const HIKE_RECORDED: &str = "tracking.hike_recorded";
}
