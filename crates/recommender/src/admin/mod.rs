//! Admin: how every policy does on the decision log (feedback rates, agreement with the
//! incumbent, IPS and self-normalised IPS estimates with confidence intervals), and
//! promotion when the evidence supports it (ADR 0017).

pub mod http;
pub mod service;
pub mod store;

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
