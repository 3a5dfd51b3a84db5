//! Documents: a keyed JSON store for client app state that has no typed table (settings,
//! schedule blocks, daily top-3 lists, checklists), synced as the `document` entity.
//! An update merges per top-level field of `data`, and conflicts are per field too: each
//! field remembers the version that last wrote it.

pub mod entity;
pub mod merge;
pub mod store;

pub use entity::entity;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// The longest key, in characters.
pub const MAX_KEY_CHARS: usize = 200;
/// The largest `data`, serialised as JSON.
pub const MAX_DATA_BYTES: usize = 256 * 1024;

/// A document, as pull returns it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: Uuid,
    pub key: String,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A new document's fields.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDocument {
    /// 1 to 200 characters, unique among the user's live documents.
    pub key: String,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
}

/// An update: `data`'s top-level fields are set (a `null` removes the field); fields it
/// does not name are kept.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DocumentPatch {
    pub key: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub data: Option<Map<String, Value>>,
}
