//! What a tip can be: a candidate with the reason shown to the person and the features a
//! policy scores, and the situation it is judged in. Pure types, shared by the
//! candidate rules, the policies, the decision log and the simulator.

use std::collections::BTreeMap;

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use time::{Date, Weekday};
use utoipa::ToSchema;

/// `advice` (something to consider) or `todo` (something to do, which `done` can complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = recommender::TipKind)]
pub enum TipKind {
    Advice,
    Todo,
}

/// Where a candidate comes from: an entity of another domain (`node`, `time_entry`,
/// `vehicle_maintenance`...), or the recommender's own (`advice_rule`, `streak`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::TipSource)]
pub struct Source {
    pub entity: String,
    /// The entity's id (a UUID), or an advice rule's code.
    pub id: String,
}

impl Source {
    pub fn new(entity: &str, id: impl ToString) -> Self {
        Self {
            entity: entity.to_owned(),
            id: id.to_string(),
        }
    }

    /// The key suppressions and cool-downs are kept under: `entity:id`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.entity, self.id)
    }
}

/// Named numeric features, in a stable order (what the log keeps and the sidecar reads).
pub type Features = BTreeMap<String, f64>;

/// One thing worth saying, before a policy chooses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Candidate {
    pub kind: TipKind,
    pub text: String,
    /// Shown to the person: why this, why now ("due today, streak 12 at risk").
    pub reason: String,
    pub source: Source,
    pub features: Features,
}

/// What the client may say about the moment (`POST /recommend`'s `context`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = recommender::Context)]
pub struct Context {
    /// Where the person is, in their own word (`home`, `work`, `outside`...), 1 to 64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub location: Option<String>,
    /// 1 (low) to 5 (great).
    #[schema(minimum = 1, maximum = 5)]
    pub mood: Option<u8>,
    /// 1 (drained) to 5 (full of energy).
    #[schema(minimum = 1, maximum = 5)]
    pub energy: Option<u8>,
}

/// The moment a decision is made, in the person's own time.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    pub now: Timestamp,
    /// The local calendar date (after the person's day-start hour).
    pub date: Date,
    pub weekday: Weekday,
    /// Local wall-clock hour 0..=23 and minute.
    pub hour: u8,
    pub minute: u8,
    /// Minutes until the local day ends (at the next day-start hour).
    pub minutes_left_in_day: i64,
    pub context: Context,
    /// A pseudonym of the person (`policy::remote::user_key`: sha256 hex of the user id)
    /// for policies that personalise; `None` where there is no person (simulation).
    pub user_key: Option<String>,
}
