//! Devices: each one a person syncs from, with where its pushes have got to. A revoked
//! (deleted) device's pushes are refused.

pub mod http;
pub mod service;
pub mod store;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The platforms a device may name.
pub const PLATFORMS: &[&str] = &["web", "ios", "android", "voice", "desktop", "other"];

/// A device, as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct Device {
    pub id: Uuid,
    pub name: String,
    /// `web`, `ios`, `android`, `voice`, `desktop` or `other`.
    pub platform: String,
    pub created_at: Timestamp,
    /// When it last pushed or pulled; null before its first sync.
    pub last_sync_at: Option<Timestamp>,
    /// The last mutation id the server processed from it (0 before its first push).
    pub last_mutation_id: i64,
}

/// `POST /devices`: a client-chosen id lets an offline client name itself before it
/// first reaches the server.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewDevice {
    pub id: Option<Uuid>,
    /// 1 to 100 characters, not all blank.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    #[schema(pattern = "^(web|ios|android|voice|desktop|other)$")]
    pub platform: String,
}
