//! Web push (RFC 8030, VAPID RFC 8292, payload encryption RFC 8291): browsers'
//! subscriptions, each person's decision points (by default five a day, quiet hours
//! respected), and the scheduler that decides at those points and pushes the tip.

pub mod http;
pub mod schedule;
pub mod scheduler;
pub mod service;
pub mod store;
pub mod webpush;

use std::time::Duration;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Web push settings (`LIFEOS_VAPID_*`).
#[derive(Clone)]
pub struct PushConfig {
    /// The VAPID private key (base64url, 32 raw bytes); `None`: one generated and kept in
    /// the database (fine for one server; set it when running replicas).
    pub vapid_private_key: Option<String>,
    /// The VAPID `sub` claim (`mailto:` or `https:`).
    pub subject: String,
    /// Accept `http://` endpoints on loopback hosts (a push service faked in tests or run
    /// on a developer's machine). Off by default: the server should not post to its own
    /// host's plain-text services on a user's say-so.
    pub allow_loopback_http: bool,
    /// How often the scheduler looks for due decision points; `None`: no scheduler runs
    /// (tests drive [`service::Push::run_due`] themselves).
    pub scheduler_every: Option<Duration>,
}

impl Default for PushConfig {
    fn default() -> Self {
        Self {
            vapid_private_key: None,
            subject: "mailto:admin@localhost".into(),
            allow_loopback_http: false,
            scheduler_every: Some(Duration::from_secs(60)),
        }
    }
}

impl std::fmt::Debug for PushConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushConfig")
            .field("subject", &self.subject)
            .field("allow_loopback_http", &self.allow_loopback_http)
            .field("scheduler_every", &self.scheduler_every)
            .finish_non_exhaustive()
    }
}

/// `GET /push/vapid-public-key`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::VapidPublicKey)]
pub struct VapidPublicKey {
    /// The server's uncompressed P-256 public key, base64url without padding: the
    /// `applicationServerKey` of `pushManager.subscribe`.
    pub public_key: String,
}

/// A browser's `PushSubscription.toJSON()`. Unknown members are ignored (not refused)
/// so that a browser adding one does not break subscribing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::NewPushSubscription)]
pub struct NewPushSubscription {
    /// The push service's URL for this browser (https; at most 2048 characters).
    #[schema(
        max_length = 2048,
        pattern = "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s]*)?$"
    )]
    pub endpoint: String,
    /// When the browser says the subscription lapses (ms since the epoch); informative.
    pub expiration_time: Option<f64>,
    pub keys: SubscriptionKeys,
}

/// The keys of RFC 8291, base64url as the browser gives them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::PushSubscriptionKeys)]
pub struct SubscriptionKeys {
    /// The browser's uncompressed P-256 public key (65 bytes, the first 0x04: 87 base64url
    /// characters, unpadded).
    #[schema(pattern = "^B[A-Za-z0-9_-]{85}[AEIMQUYcgkosw048]$")]
    pub p256dh: String,
    /// The authentication secret (16 bytes: 22 base64url characters, unpadded).
    #[schema(pattern = "^[A-Za-z0-9_-]{21}[AQgw]$")]
    pub auth: String,
}

/// A subscription, as the API shows it (never its keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::PushSubscription)]
pub struct PushSubscription {
    pub id: Uuid,
    pub endpoint: String,
    pub created_at: Timestamp,
}

/// Quiet hours: no decision point from `start` (inclusive) to `end` (exclusive), local
/// time; `start` after `end` wraps past midnight (22:00-07:00).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = recommender::QuietHours)]
pub struct QuietHoursBody {
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    #[schema(pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub end: String,
}

/// A local wall-clock time, "HH:MM": the contract's item type of `times` (the body keeps
/// plain strings, checked by `schedule`).
pub struct LocalTime;

impl utoipa::PartialSchema for LocalTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^([01][0-9]|2[0-3]):[0-5][0-9]$"))
            .description(Some("A local time, HH:MM"))
            .examples(["08:30"])
            .into()
    }
}

impl ToSchema for LocalTime {
    fn name() -> std::borrow::Cow<'static, str> {
        "recommender.LocalTime".into()
    }
}

/// `GET`/`PUT /push/schedule`: the local times of the day's decision points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = recommender::PushSchedule)]
pub struct PushScheduleBody {
    /// 1 to 12 distinct "HH:MM" local times, in ascending order.
    #[schema(min_items = 1, max_items = 12, value_type = Vec<LocalTime>)]
    pub times: Vec<String>,
    /// `null`: no quiet hours.
    pub quiet_hours: Option<QuietHoursBody>,
}

/// What a decision point pushes to each of the person's browsers (the encrypted body).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::PushPayload)]
pub struct PushPayload {
    pub tip_id: Uuid,
    pub kind: crate::candidate::TipKind,
    pub text: String,
    pub reason: String,
    pub decision_id: Uuid,
}
