//! Day types: what kind of day a person plans (free, focus, buffer) and what it was.

pub mod http;
pub mod report;
pub mod service;
pub mod store;
pub mod sync;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

pub use report::MonthlyReport;
pub use service::{DayTypes, DayTypesService, SharedDayTypes};

lifeos_kernel::text_enum! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = tracking::DayKind)]
    pub enum DayKind {
        Free = "free",
        Focus = "focus",
        Buffer = "buffer",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = tracking::DayType)]
pub struct DayType {
    pub id: Uuid,
    pub date: Date,
    pub planned_type: DayKind,
    /// What the day turned out to be; null until recorded.
    pub actual_type: Option<DayKind>,
    pub notes: Option<String>,
    /// The user's change counter at the last write (for sync).
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::NewDayType)]
pub struct NewDayType {
    /// Optional client-generated id (UUID), for offline clients.
    pub id: Option<Uuid>,
    #[serde(deserialize_with = "lifeos_kernel::date::in_range")]
    pub date: Date,
    pub planned_type: DayKind,
    pub actual_type: Option<DayKind>,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

/// A partial update; absent fields stay, `null` clears the nullable ones.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = tracking::DayTypePatch)]
pub struct DayTypePatch {
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub date: Option<Date>,
    pub planned_type: Option<DayKind>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<DayKind>)]
    pub actual_type: Option<Option<DayKind>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// The values a day type is written with (create and update alike).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayTypeValues {
    pub date: Date,
    pub planned_type: DayKind,
    pub actual_type: Option<DayKind>,
    pub notes: Option<String>,
}
