//! Plans: tracks (projects and areas of life) holding nodes (tasks, habits, focus
//! sessions, milestones), with locks, ordering and habit schedules.

pub mod http;
pub mod service;

use std::collections::BTreeMap;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{Plans, SharedPlans, SqlPlans};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = tracking::NodeType)]
pub enum NodeType {
    Task,
    Habit,
    FocusSession,
    Milestone,
}

impl NodeType {
    pub const ALL: [NodeType; 4] = [
        NodeType::Task,
        NodeType::Habit,
        NodeType::FocusSession,
        NodeType::Milestone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeType::Task => "task",
            NodeType::Habit => "habit",
            NodeType::FocusSession => "focus_session",
            NodeType::Milestone => "milestone",
        }
    }

    pub fn parse(text: &str) -> Option<NodeType> {
        NodeType::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = tracking::NodeStatus)]
pub enum NodeStatus {
    Open,
    Done,
    Archived,
}

impl NodeStatus {
    pub const ALL: [NodeStatus; 3] = [NodeStatus::Open, NodeStatus::Done, NodeStatus::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            NodeStatus::Open => "open",
            NodeStatus::Done => "done",
            NodeStatus::Archived => "archived",
        }
    }

    pub fn parse(text: &str) -> Option<NodeStatus> {
        NodeStatus::ALL.into_iter().find(|s| s.as_str() == text)
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
    #[schema(max_length = 200)]
    pub title: String,
    pub description: Option<String>,
    /// `#rrggbb`.
    pub color: Option<String>,
    pub icon: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::TrackPatch)]
pub struct TrackPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub color: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
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
    #[schema(max_length = 200)]
    pub title: String,
    pub body: Option<String>,
    pub due_on: Option<Date>,
    pub estimate_minutes: Option<i32>,
    pub xp_value: Option<i32>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NodePatch)]
pub struct NodePatch {
    /// Moves the node to another of the user's tracks (at the end).
    pub track_id: Option<Uuid>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub body: Option<Option<String>>,
    pub status: Option<NodeStatus>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Date>)]
    pub due_on: Option<Option<Date>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub estimate_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
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

/// Outbox topics other domains (gamification, recommender) consume.
pub mod topics {
    pub const NODE_CREATED: &str = "tracking.node_created";
    pub const NODE_UPDATED: &str = "tracking.node_updated";
    pub const NODE_LOCKED: &str = "tracking.node_locked";
    pub const NODE_UNLOCKED: &str = "tracking.node_unlocked";
    pub const NODE_DELETED: &str = "tracking.node_deleted";
    pub const TIME_ENTRY_STOPPED: &str = "tracking.time_entry_stopped";
}
