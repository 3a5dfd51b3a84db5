//! Time entries: timers (one running at a time, enforced by the database) and manual
//! entries (no overlaps), with summaries per day, node or track in the user's zone.

pub mod http;
pub mod service;
pub mod store;
pub mod summary;
pub mod sync;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{SharedTimeEntries, TimeEntries, TimeEntriesService};

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::TimeEntrySource)]
    pub enum TimeSource {
        Timer = "timer",
        Manual = "manual",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::TimeEntry)]
pub struct TimeEntry {
    pub id: Uuid,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
    pub started_at: Timestamp,
    /// Null while the timer runs.
    pub ended_at: Option<Timestamp>,
    pub note: Option<String>,
    pub source: TimeSource,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::StartTimer)]
pub struct StartTimer {
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::StopTimer)]
pub struct StopTimer {
    /// When the work ended; default now, never later than now.
    pub ended_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewTimeEntry)]
pub struct NewTimeEntry {
    pub id: Option<Uuid>,
    pub started_at: Timestamp,
    pub ended_at: Timestamp,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::TimeEntryPatch)]
pub struct TimeEntryPatch {
    pub started_at: Option<Timestamp>,
    pub ended_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub node_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub track_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub note: Option<Option<String>>,
}

/// Lists are ordered by start; the cursor is the last row's (start, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartCursor {
    pub at: Timestamp,
    pub id: Uuid,
}

/// The values a time entry is written with (insert and update alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeEntryValues {
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
    pub started_at: Timestamp,
    pub ended_at: Option<Timestamp>,
    pub note: Option<String>,
    pub source: TimeSource,
}

impl From<&TimeEntry> for TimeEntryValues {
    fn from(e: &TimeEntry) -> Self {
        TimeEntryValues {
            node_id: e.node_id,
            track_id: e.track_id,
            started_at: e.started_at,
            ended_at: e.ended_at,
            note: e.note.clone(),
            source: e.source,
        }
    }
}

/// Which entries a list shows: those touching `[from, to)` (a running entry reaches into
/// the future), on a node or track.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EntryQuery {
    pub from: Option<Timestamp>,
    pub to: Option<Timestamp>,
    pub node_id: Option<Uuid>,
    pub track_id: Option<Uuid>,
}
