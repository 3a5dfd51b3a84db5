//! Push: a device's batch of offline mutations, each applied exactly once through its
//! entity's own rules, rejected with a reason, or kept as a conflict (ADR 0016).

pub mod apply;
pub mod http;
pub mod merge;
pub mod service;
pub mod store;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;
use uuid::Uuid;

/// The most mutations one push may carry.
pub const MAX_MUTATIONS: usize = 500;

/// How far the batch's client clocks may be off before the answer says so.
pub const MAX_CLOCK_SKEW_SECONDS: i64 = 300;

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Op { Upsert = "upsert", Delete = "delete" }
}

lifeos_kernel::text_enum! {
    /// What became of one mutation.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum MutationStatus {
        /// Applied now; `version` is the row's new version.
        Applied = "applied",
        /// Processed by an earlier push (a retry); nothing changed.
        Duplicate = "duplicate",
        /// Refused by the entity's rules: `code` and `message` say why. The device's
        /// mutation id still advances.
        Rejected = "rejected",
        /// Applied against a newer server row; what it overwrote (or what overwrote it)
        /// is kept as conflict `conflictId`.
        Conflict = "conflict",
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PushRequest {
    pub device_id: Uuid,
    /// At most 500, in increasing `mutationId` order without gaps.
    #[schema(max_items = 500)]
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Mutation {
    /// Increases by one per device, from 1.
    #[schema(minimum = 1)]
    pub mutation_id: i64,
    /// An entity name from `GET /sync/entities` (`day_type`, `document`...).
    pub entity: String,
    pub entity_id: Uuid,
    pub op: Op,
    /// For an upsert: the REST API's create body (for a new row) or patch body (for an
    /// existing one), camelCase, without `id`. Ignored for a delete.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub fields: Option<Map<String, Value>>,
    /// The row's version this device last saw; absent for a row it created.
    pub base_version: Option<i64>,
    /// When the device made the change, by its own clock.
    pub client_timestamp: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MutationResult {
    pub mutation_id: i64,
    pub status: MutationStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflict_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
    /// The device's last processed mutation id after this push.
    pub last_mutation_id: i64,
    /// The user's version after this push.
    pub latest_version: i64,
    pub server_time: Timestamp,
    /// How far ahead (positive) or behind the device's clock is, when more than 5 minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_skew_seconds: Option<i64>,
}
