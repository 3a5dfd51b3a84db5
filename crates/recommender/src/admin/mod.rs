//! Admin: how every policy does on the decision log (feedback rates, agreement with the
//! incumbent, IPS and self-normalised IPS estimates with confidence intervals), and
//! promotion when the evidence supports it (ADR 0017).

pub mod http;
pub mod service;
pub mod store;

use serde::Serialize;
use utoipa::ToSchema;

use crate::evaluation::{FeedbackRates, Interval};

/// What a promotion needs (`LIFEOS_PROMOTION_*`, ADR 0017).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Decisions with a shown tip the estimate must rest on.
    pub min_decisions: u64,
    /// Share of decisions where the candidate picks what the incumbent showed.
    pub min_agreement: f64,
    /// How far the lower end of the candidate's SNIPS interval must clear the
    /// incumbent's observed reward rate.
    pub min_lift: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            min_decisions: 200,
            min_agreement: 0.2,
            min_lift: 0.0,
        }
    }
}

/// What a policy does now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = recommender::PolicyRole)]
pub enum Role {
    /// Chooses the tips shown.
    Incumbent,
    /// Scores every decision, never shown.
    Shadow,
}

/// How one policy does on the decision log's recent window: the newest 100 000
/// decisions with a shown tip.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::PolicyReport)]
pub struct PolicyReport {
    pub id: String,
    pub role: Role,
    /// Decisions with a shown tip this policy scored (as incumbent or shadow): what the
    /// estimates rest on.
    pub decisions: u64,
    /// Tips this policy chose itself (while it was the incumbent).
    pub shown: u64,
    /// What people did with the tips this policy chose itself (all 0 when `shown` is 0).
    pub feedback_rates: FeedbackRates,
    /// Share of `decisions` where this policy's most probable candidate is the one shown.
    pub agreement: f64,
    /// Inverse propensity scoring estimate of the reward rate (done = 1), with its 95 %
    /// normal interval; `null` without decisions.
    pub ips: Option<Interval>,
    /// Self-normalised IPS with its 95 % interval (delta method); `null` without decisions
    /// or when the policy gives no shown tip any probability.
    pub snips: Option<Interval>,
    /// Kish's (Σw)²/Σw²: how many decisions the weighted estimates are worth.
    pub effective_sample_size: f64,
}

/// The promotion thresholds, as the report shows them.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::PromotionThresholds)]
pub struct ThresholdsView {
    pub min_decisions: u64,
    pub min_agreement: f64,
    pub min_lift: f64,
}

impl From<Thresholds> for ThresholdsView {
    fn from(t: Thresholds) -> Self {
        Self {
            min_decisions: t.min_decisions,
            min_agreement: t.min_agreement,
            min_lift: t.min_lift,
        }
    }
}

/// `GET /admin/policies`: the incumbent first, then the shadows.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::PolicyReports)]
pub struct PolicyReports {
    pub items: Vec<PolicyReport>,
    pub thresholds: ThresholdsView,
}
