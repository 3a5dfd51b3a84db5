//! Snapshots: all of a user's syncable data at one version, checksummed, and its import
//! (replace or merge) in one transaction.

pub mod checksum;
pub mod http;
pub mod service;

use std::collections::BTreeMap;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// The snapshot format this server writes and reads.
pub const SCHEMA_VERSION: i64 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Snapshot {
    /// The format's version: 1.
    #[schema(minimum = 1, maximum = 1)]
    pub schema_version: i64,
    /// The user's version the snapshot was taken at: a pull from its `cursor` continues
    /// from it.
    pub version: i64,
    /// The pull cursor that continues from this snapshot.
    pub cursor: String,
    /// Whose data it is.
    pub user_id: Uuid,
    pub created_at: Timestamp,
    /// Every live row, by entity name, in the REST API's form (as pull returns `data`).
    #[schema(value_type = Object)]
    pub entities: BTreeMap<String, Vec<Value>>,
    /// SHA-256 (hex) of the canonical JSON of every other member (see `checksum`).
    pub checksum: String,
}

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ImportMode {
        /// The account ends up holding exactly the snapshot: what it lacks is deleted.
        Replace = "replace",
        /// The snapshot's rows are upserted; everything else stays.
        Merge = "merge",
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ImportRequest {
    pub mode: ImportMode,
    pub snapshot: Snapshot,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub mode: ImportMode,
    /// Rows created or updated, and rows deleted (replace only).
    pub upserted: u64,
    pub deleted: u64,
    /// Rows of entities an import does not replay (completions: their XP belongs to the
    /// moment they happened), left as they are.
    pub skipped: u64,
    /// The user's version after the import.
    pub version: i64,
}
