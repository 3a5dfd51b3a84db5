//! Supplement logs: what a person took, in servings or by mass, with a warning in the
//! write's answer when the day's intake passes a nutrient's published upper limit.

pub mod http;
pub mod limits;
pub mod service;
pub mod store;
pub mod validate;

use lifeos_kernel::Timestamp;
use lifeos_kernel::patch::present;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

pub use limits::UpperLimitWarning;
pub use service::{SharedSupplementLogs, SupplementLogs, SupplementLogsService};
pub use validate::validate_supplement_log;

lifeos_kernel::text_enum! {
    /// What `amount` counts: servings of the supplement (its `serving`), or a mass of its
    /// nutrient (for a supplement of one nutrient).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = library::SupplementUnit)]
    pub enum SupplementUnit {
        Serving = "serving",
        G = "g",
        Mg = "mg",
        Ug = "ug",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::SupplementLog)]
pub struct SupplementLog {
    pub id: Uuid,
    pub supplement_id: Uuid,
    pub amount: f64,
    pub unit: SupplementUnit,
    pub taken_at: Timestamp,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A write's answer: the log, and the upper limits the local day now passes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = library::SupplementLogSaved)]
pub struct SupplementLogSaved {
    pub id: Uuid,
    pub supplement_id: Uuid,
    pub amount: f64,
    pub unit: SupplementUnit,
    pub taken_at: Timestamp,
    pub notes: Option<String>,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// The nutrients of the day's supplements whose day total passes the published upper
    /// limit (supplements only for `supplemental` limits, food too for `total` ones).
    pub warnings: Vec<UpperLimitWarning>,
}

impl SupplementLogSaved {
    pub fn new(log: SupplementLog, warnings: Vec<UpperLimitWarning>) -> Self {
        SupplementLogSaved {
            id: log.id,
            supplement_id: log.supplement_id,
            amount: log.amount,
            unit: log.unit,
            taken_at: log.taken_at,
            notes: log.notes,
            version: log.version,
            created_at: log.created_at,
            updated_at: log.updated_at,
            warnings,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::NewSupplementLog)]
pub struct NewSupplementLog {
    pub id: Option<Uuid>,
    /// A supplement of the library (`GET /api/v1/library/supplements`).
    pub supplement_id: Uuid,
    /// Servings at most 100; a mass at most 100 g (100000 mg, 100000000 ug).
    #[schema(example = 1, exclusive_minimum = 0)]
    pub amount: f64,
    pub unit: SupplementUnit,
    /// Not more than a minute in the future.
    pub taken_at: Timestamp,
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = library::SupplementLogPatch)]
pub struct SupplementLogPatch {
    pub supplement_id: Option<Uuid>,
    #[schema(exclusive_minimum = 0)]
    pub amount: Option<f64>,
    pub unit: Option<SupplementUnit>,
    pub taken_at: Option<Timestamp>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub notes: Option<Option<String>>,
}

/// A supplement log's values, for insert and update alike.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplementLogValues {
    pub supplement_id: Uuid,
    pub amount: f64,
    pub unit: SupplementUnit,
    pub taken_at: Timestamp,
    pub notes: Option<String>,
}
