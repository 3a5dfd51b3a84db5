//! Conflicts: what a push overwrote, or lost to a delete, kept until the person chooses.

pub mod http;
pub mod service;
pub mod store;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum ConflictKind {
        /// Both sides changed the same fields; the client's values were applied and the
        /// server's are in `serverFields`.
        UpdateUpdate = "update_update",
        /// The row was deleted on the server; the client's update (`clientFields`) was not
        /// applied.
        DeleteUpdate = "delete_update",
        /// The client deleted a row the server had changed since; the row as it was is in
        /// `serverFields`.
        UpdateDelete = "update_delete",
    }
}

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Side { Server = "server", Client = "client" }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    pub id: Uuid,
    pub entity: String,
    pub entity_id: Uuid,
    pub kind: ConflictKind,
    pub device_id: Option<Uuid>,
    pub mutation_id: Option<i64>,
    pub base_version: Option<i64>,
    pub server_version: i64,
    /// The server's values the push overwrote or deleted (see `kind`), in the REST API's form.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub server_fields: Option<Value>,
    /// The device's update that was not applied (see `kind`), as it sent the fields.
    #[schema(value_type = Option<std::collections::HashMap<String, serde_json::Value>>)]
    pub client_fields: Option<Value>,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub resolution: Option<Side>,
}

/// A conflict as the push records it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewConflict {
    pub entity: String,
    pub entity_id: Uuid,
    pub kind: ConflictKind,
    pub device_id: Option<Uuid>,
    pub mutation_id: Option<i64>,
    pub base_version: Option<i64>,
    pub server_version: i64,
    pub server_fields: Option<Value>,
    pub client_fields: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resolve {
    /// `server` keeps (or restores) the server's side, `client` the device's.
    pub choose: Side,
}
