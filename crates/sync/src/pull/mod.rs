//! Pull: the user's changes after a cursor, in version order, across every entity.

pub mod cursor;
pub mod http;
pub mod service;
pub mod store;

use std::collections::BTreeMap;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::push::Op;

/// The default and largest page.
pub const DEFAULT_LIMIT: u32 = 500;
pub const MAX_LIMIT: u32 = 5000;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PullRequest {
    /// The `cursor` of the previous page; absent for a full pull of the current state.
    pub cursor: Option<String>,
    /// 1 to 5000 changes (default 500); a page may hold a few more when rows share the
    /// last version.
    #[schema(minimum = 1, maximum = 5000)]
    pub limit: Option<u32>,
    /// Only these entities (default: all), named as `GET /sync/entities` lists them.
    #[schema(min_items = 1)]
    pub entities: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    pub entity: String,
    pub entity_id: Uuid,
    pub op: Op,
    pub version: i64,
    /// The row in the REST API's form (the entity's GET body, see `GET /sync/entities`);
    /// null for a delete.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub data: Option<Value>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// Pass it to the next pull.
    pub cursor: String,
    pub has_more: bool,
    /// Each of the user's devices' last processed mutation id.
    pub last_mutation_ids: BTreeMap<Uuid, i64>,
    pub server_time: Timestamp,
}
