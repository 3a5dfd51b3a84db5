//! Time entries: timers (one running at a time, enforced by the database) and manual
//! entries (no overlaps), with summaries per day, node or track in the user's zone.

pub mod http;
pub mod service;
pub mod summary;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{SharedTimeEntries, SqlTimeEntries, TimeEntries};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = tracking::TimeEntrySource)]
pub enum TimeSource {
    Timer,
    Manual,
}

impl TimeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Timer => "timer",
            TimeSource::Manual => "manual",
        }
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
    #[schema(value_type = Option<String>)]
    pub note: Option<Option<String>>,
}

/// Lists are ordered by start; the cursor is the last row's (start, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartCursor {
    pub at: Timestamp,
    pub id: Uuid,
}
