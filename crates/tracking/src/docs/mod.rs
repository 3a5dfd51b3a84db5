//! Markdown docs, linked to a track, a node, or neither.

pub mod http;
pub mod service;
pub mod store;
pub mod sync;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use service::{Docs, DocsService, SharedDocs};

/// Largest doc body, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::Doc)]
pub struct Doc {
    pub id: Uuid,
    pub title: String,
    /// Markdown, up to 1 MiB.
    pub body: String,
    pub track_id: Option<Uuid>,
    pub node_id: Option<Uuid>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewDoc)]
pub struct NewDoc {
    pub id: Option<Uuid>,
    #[schema(max_length = 200, min_length = 1)]
    pub title: String,
    pub body: String,
    pub track_id: Option<Uuid>,
    pub node_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::DocPatch)]
pub struct DocPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    pub body: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub track_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub node_id: Option<Option<Uuid>>,
}

/// A doc's values, for insert and update alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocValues {
    pub title: String,
    pub body: String,
    pub track_id: Option<Uuid>,
    pub node_id: Option<Uuid>,
}

/// Which docs a list shows.
#[derive(Debug, Clone, Default)]
pub struct DocFilter {
    pub track_id: Option<Uuid>,
    pub node_id: Option<Uuid>,
    /// Case-insensitive text in the title or body.
    pub q: Option<String>,
}
