//! The candidate rules: from the facts the ports answered, everything worth saying now,
//! each with its reason and features, after the gates (nothing during a high-stakes
//! meeting, no work todo on a free day...). Pure: no SQL, no clock.

use lifeos_kernel::Timestamp;

use crate::candidate::{Candidate, Situation};
use crate::ports::{BrakeFacts, NutritionFacts, PlansToday, Progress};

/// One advice rule (the seeded `rec_advice_rules` table).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AdviceRule {
    pub code: String,
    pub text: String,
    pub reason: String,
    pub from_hour: i32,
    pub to_hour: i32,
    /// Comma list of `free`, `focus`, `buffer`; empty: any day.
    pub day_kinds: String,
    pub weight: f64,
}

/// What the recommender learned from other domains' events (`signals`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub last_completion_at: Option<Timestamp>,
    pub completions: i64,
    pub undos: i64,
    pub last_time_entry_at: Option<Timestamp>,
    pub brake_delays: i64,
    pub brake_proceeds: i64,
}

/// Everything known about the person at the moment of a decision.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Facts {
    pub plans: PlansToday,
    pub progress: Progress,
    pub brake: BrakeFacts,
    pub nutrition: Option<NutritionFacts>,
    pub advice: Vec<AdviceRule>,
    pub signals: Signals,
}

/// Every candidate worth saying in `situation`, after the gates; empty when silence is
/// the right answer. Each carries a `priority` feature in 0..=1 (the rule-based policy's
/// score) among its others.
pub fn gather(facts: &Facts, situation: &Situation) -> Vec<Candidate> {
    let _ = (facts, situation);
    Vec::new()
}
