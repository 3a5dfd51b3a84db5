//! The candidate rules: from the facts the ports answered, everything worth saying now,
//! each with its reason and features, after the gates (nothing during a high-stakes
//! meeting, no work todo on a free day...). Pure: no SQL, no clock.
//!
//! Each source module proposes [`Draft`]s with a rule priority in 0..=1; [`gates`] decides
//! what may be said at all, drops what is too weak to interrupt for, and orders the rest.

mod advice;
pub mod external;
mod gates;
mod habits;
mod tasks;
#[cfg(test)]
mod tests;

use lifeos_kernel::Timestamp;

use crate::candidate::{Candidate, Features, Situation, Source, TipKind};
use crate::ports::{BrakeFacts, DayKind, ExternalFacts, NutritionFacts, PlansToday, Progress};

pub use gates::{MAX_CANDIDATES, QUIET_BELOW};

/// Every feature a candidate carries, always all of them (0 when it does not apply), so
/// the log and the sidecar see one fixed vector. Fractions are 0..=1 (`priority`,
/// `hour` = local hour / 23, `minutes_left` = minutes left today / 1440, `nutrition_gap`,
/// `energy` and `mood` = the context's value / 5); flags are 0 or 1; `overdue_days`,
/// `streak`, `timer_hours`, `service_days` are plain counts; `advice_weight` is the advice
/// rule's weight.
pub const FEATURES: &[&str] = &[
    "priority",
    "is_todo",
    "is_advice",
    "habit",
    "task",
    "due_today",
    "overdue_days",
    "streak",
    "strength",
    "hour",
    "minutes_left",
    "free_day",
    "focus_day",
    "buffer_day",
    "recent_delay",
    "timer_hours",
    "service_days",
    "nutrition_gap",
    "energy",
    "mood",
    "advice_weight",
];

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
    /// Connected services' tasks and connections needing attention.
    pub external: ExternalFacts,
}

/// Every candidate worth saying in `situation`, after the gates; empty when silence is
/// the right answer. Each carries a `priority` feature in 0..=1 (the rule-based policy's
/// score) among its others. Ordered by priority (highest first), then source key; at
/// most [`MAX_CANDIDATES`].
pub fn gather(facts: &Facts, situation: &Situation) -> Vec<Candidate> {
    if gates::silenced(facts) {
        return Vec::new();
    }
    let risk = habits::streak_risk(&facts.progress, situation);
    let mut drafts = habits::due(&facts.plans.habits, risk);
    drafts.extend(habits::streak(risk));
    drafts.extend(tasks::open(&facts.plans.tasks, facts.plans.day, situation));
    drafts.extend(tasks::timer(facts.plans.timer.as_ref(), situation));
    drafts.extend(tasks::services(&facts.plans.services, situation));
    drafts.extend(external::drafts(
        &facts.external,
        facts.plans.day,
        situation,
    ));
    drafts.extend(advice::focus_session(facts.plans.day, situation));
    drafts.extend(advice::after_delay(&facts.brake, situation));
    drafts.extend(advice::nutrition(facts.nutrition.as_ref(), situation));
    drafts.extend(advice::time_of_day(
        &facts.advice,
        facts.plans.day,
        situation,
    ));
    let base = context_features(facts, situation);
    gates::finish(drafts, facts.plans.day, &base)
}

/// A candidate before the gates: what a source proposes.
#[derive(Debug, Clone, PartialEq)]
struct Draft {
    kind: TipKind,
    text: String,
    reason: String,
    source: Source,
    /// The rule score, clamped to 0..=1 when the candidate is built.
    priority: f64,
    /// A task or milestone: work, which a free day keeps quiet.
    work: bool,
    /// The source's own features (over the shared context ones).
    features: Vec<(&'static str, f64)>,
}

impl Draft {
    fn new(kind: TipKind, source: Source, text: String, reason: String, priority: f64) -> Self {
        Self {
            kind,
            text,
            reason,
            source,
            priority,
            work: false,
            features: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: f64) -> Self {
        self.features.push((name, value));
        self
    }

    fn priority(&self) -> f64 {
        unit(self.priority)
    }

    fn into_candidate(self, base: &Features) -> Candidate {
        let mut features = base.clone();
        let priority = self.priority();
        for (name, value) in self.features {
            features.insert(name.to_owned(), finite(value));
        }
        features.insert("priority".to_owned(), priority);
        features.insert("is_todo".to_owned(), flag(self.kind == TipKind::Todo));
        features.insert("is_advice".to_owned(), flag(self.kind == TipKind::Advice));
        Candidate {
            kind: self.kind,
            text: self.text,
            reason: self.reason,
            source: self.source,
            features,
        }
    }
}

/// The features every candidate of one decision shares: the moment and the day.
fn context_features(facts: &Facts, situation: &Situation) -> Features {
    let mut features: Features = FEATURES
        .iter()
        .map(|name| ((*name).to_owned(), 0.0))
        .collect();
    let day = facts.plans.day;
    let context = &situation.context;
    let shared = [
        ("hour", f64::from(situation.hour.min(23)) / 23.0),
        (
            "minutes_left",
            situation.minutes_left_in_day.clamp(0, 1440) as f64 / 1440.0,
        ),
        ("free_day", flag(day == Some(DayKind::Free))),
        ("focus_day", flag(day == Some(DayKind::Focus))),
        ("buffer_day", flag(day == Some(DayKind::Buffer))),
        (
            "recent_delay",
            flag(advice::minutes_since_delay(&facts.brake, situation).is_some()),
        ),
        (
            "nutrition_gap",
            facts.nutrition.as_ref().map_or(0.0, advice::protein_gap),
        ),
        ("energy", context.energy.map_or(0.0, fifths)),
        ("mood", context.mood.map_or(0.0, fifths)),
    ];
    for (name, value) in shared {
        features.insert(name.to_owned(), value);
    }
    features
}

fn fifths(value: u8) -> f64 {
    unit(f64::from(value) / 5.0)
}

fn flag(on: bool) -> f64 {
    if on { 1.0 } else { 0.0 }
}

/// A NaN or infinity (a weight read from the database, say) would poison every softmax.
fn finite(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

fn unit(value: f64) -> f64 {
    finite(value).clamp(0.0, 1.0)
}

/// "1 day", "3 days".
fn days(n: i64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// "3 h", "1 h 20 min", "45 min": what a person says about a stretch of time.
fn span(minutes: i64) -> String {
    let minutes = minutes.max(0);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        // Past two hours the minutes are noise when read aloud.
        (h, m) if m == 0 || h >= 2 => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}
