//! Shadow policies: scored on every decision, logged, never shown. Each is a belief about
//! what helps, cheap enough to run on every request; the decision log says which belief
//! the evidence supports (`GET /admin/policies`).

use std::sync::Arc;

use async_trait::async_trait;

use super::rules::{TEMPERATURE, feature, priority, softmax, uniform};
use super::{Policy, PolicyError, pick};
use crate::candidate::{Candidate, Situation, TipKind};

pub const UNIFORM: &str = "uniform";
pub const TODO_FIRST: &str = "todo-first";
pub const TIME_AWARE: &str = "time-aware";
pub const GREEDY: &str = "greedy";

/// The built-in shadows, in the order the admin report lists them.
pub fn all() -> Vec<Arc<dyn Policy>> {
    vec![
        Arc::new(Uniform),
        Arc::new(TodoFirst),
        Arc::new(TimeAware),
        Arc::new(Greedy),
    ]
}

/// Believes nothing: every candidate is as good as any other. The baseline every other
/// policy has to beat, and the widest exploration.
#[derive(Debug, Default)]
pub struct Uniform;

#[async_trait]
impl Policy for Uniform {
    fn id(&self) -> &str {
        UNIFORM
    }

    async fn probabilities(
        &self,
        candidates: &[Candidate],
        _situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        Ok(uniform(candidates.len()))
    }
}

/// Believes people act on things to do, not on advice: any todo before any advice, and
/// within each, higher priority first (a softmax over `is_todo + priority`, so a todo
/// outweighs advice about e^6.7 to one).
#[derive(Debug, Default)]
pub struct TodoFirst;

#[async_trait]
impl Policy for TodoFirst {
    fn id(&self) -> &str {
        TODO_FIRST
    }

    async fn probabilities(
        &self,
        candidates: &[Candidate],
        _situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        let scores: Vec<f64> = candidates
            .iter()
            .map(|c| priority(c) + if c.kind == TipKind::Todo { 1.0 } else { 0.0 })
            .collect();
        Ok(softmax(&scores, TEMPERATURE))
    }
}

/// Believes the hour decides: mornings are for getting things done, evenings for looking
/// after yourself. Before noon todos gain [`TIME_BONUS`] priority, from 18:00 advice does;
/// in between it scores as `rules-v0`.
#[derive(Debug, Default)]
pub struct TimeAware;

/// What the right kind at the right hour gains (two softmax temperatures: ~7 times as likely).
pub const TIME_BONUS: f64 = 0.3;

#[async_trait]
impl Policy for TimeAware {
    fn id(&self) -> &str {
        TIME_AWARE
    }

    async fn probabilities(
        &self,
        candidates: &[Candidate],
        situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        let favoured = match situation.hour {
            0..12 => Some(TipKind::Todo),
            18.. => Some(TipKind::Advice),
            _ => None,
        };
        let scores: Vec<f64> = candidates
            .iter()
            .map(|c| {
                priority(c)
                    + if Some(c.kind) == favoured {
                        TIME_BONUS
                    } else {
                        0.0
                    }
            })
            .collect();
        Ok(softmax(&scores, TEMPERATURE))
    }
}

/// Believes the rules are right and exploration is waste: always the highest priority
/// (ties: the first, i.e. the candidates' own order). What `rules-v0` would be without
/// its softmax; its value against `rules-v0` prices the exploration.
#[derive(Debug, Default)]
pub struct Greedy;

#[async_trait]
impl Policy for Greedy {
    fn id(&self) -> &str {
        GREEDY
    }

    async fn probabilities(
        &self,
        candidates: &[Candidate],
        _situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        let scores: Vec<f64> = candidates.iter().map(|c| feature(c, "priority")).collect();
        let best = pick(&scores);
        Ok((0..candidates.len())
            .map(|i| if Some(i) == best { 1.0 } else { 0.0 })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use lifeos_kernel::Timestamp;
    use proptest::prelude::*;
    use time::Weekday;
    use time::macros::date;

    use super::*;
    use crate::candidate::{Context, Source};
    use crate::policy::rules::{self, RulesV0};

    fn situation(hour: u8) -> Situation {
        Situation {
            now: Timestamp::from_unix_seconds(1_796_256_000 + i64::from(hour) * 3600).unwrap(),
            date: date!(2026 - 12 - 03),
            weekday: Weekday::Thursday,
            hour,
            minute: 0,
            minutes_left_in_day: 1440 - i64::from(hour) * 60,
            context: Context::default(),
            user_key: None,
        }
    }

    fn candidate(kind: TipKind, priority: f64) -> Candidate {
        Candidate {
            kind,
            text: "Something.".to_owned(),
            reason: "a reason".to_owned(),
            source: Source::new("advice_rule", "x"),
            features: [("priority".to_owned(), priority)].into_iter().collect(),
        }
    }

    fn every_policy() -> Vec<Arc<dyn Policy>> {
        let mut policies: Vec<Arc<dyn Policy>> = vec![Arc::new(RulesV0::new())];
        policies.extend(all());
        policies
    }

    fn run(policy: &dyn Policy, candidates: &[Candidate], situation: &Situation) -> Vec<f64> {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(policy.probabilities(candidates, situation))
            .unwrap()
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        let ids: Vec<String> = every_policy().iter().map(|p| p.id().to_owned()).collect();
        assert_eq!(ids, [rules::ID, UNIFORM, TODO_FIRST, TIME_AWARE, GREEDY]);
    }

    #[test]
    fn todo_first_prefers_any_todo_to_better_advice() {
        let candidates = [
            candidate(TipKind::Advice, 0.9),
            candidate(TipKind::Todo, 0.2),
            candidate(TipKind::Todo, 0.4),
        ];
        let p = run(&TodoFirst, &candidates, &situation(10));
        assert!(p[2] > p[1] && p[1] > p[0], "{p:?}");
        assert_eq!(crate::policy::pick(&p), Some(2));
    }

    #[test]
    fn time_aware_favours_todos_in_the_morning_and_advice_in_the_evening() {
        let candidates = [
            candidate(TipKind::Advice, 0.5),
            candidate(TipKind::Todo, 0.5),
        ];
        let morning = run(&TimeAware, &candidates, &situation(9));
        let afternoon = run(&TimeAware, &candidates, &situation(14));
        let evening = run(&TimeAware, &candidates, &situation(20));
        assert!(morning[1] > morning[0]);
        assert!((afternoon[0] - afternoon[1]).abs() < 1e-12);
        assert!(evening[0] > evening[1]);
    }

    #[test]
    fn greedy_puts_everything_on_the_first_best() {
        let candidates = [
            candidate(TipKind::Advice, 0.3),
            candidate(TipKind::Todo, 0.8),
            candidate(TipKind::Todo, 0.8),
        ];
        assert_eq!(run(&Greedy, &candidates, &situation(9)), [0.0, 1.0, 0.0]);
    }

    #[test]
    fn rules_v0_favours_priority_and_keeps_everyone_possible() {
        let candidates = [
            candidate(TipKind::Advice, 0.2),
            candidate(TipKind::Todo, 0.9),
        ];
        let p = run(&RulesV0::new(), &candidates, &situation(9));
        assert!(p[1] > 0.98 && p[0] > 0.0, "{p:?}");
        assert!(run(&RulesV0::new(), &[], &situation(9)).is_empty());
    }

    fn any_candidate() -> impl Strategy<Value = Candidate> {
        let priority = prop_oneof![
            -1e300..1e300f64,
            0.0..=1.0f64,
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
        ];
        (any::<bool>(), priority, any::<bool>()).prop_map(|(todo, priority, has)| {
            let kind = if todo { TipKind::Todo } else { TipKind::Advice };
            let mut c = candidate(kind, priority);
            if !has {
                c.features.clear();
            }
            c
        })
    }

    proptest! {
        #[test]
        fn every_policy_answers_a_probability_vector(
            candidates in proptest::collection::vec(any_candidate(), 0..25),
            hour in 0u8..24,
        ) {
            let situation = situation(hour);
            for policy in every_policy() {
                let p = run(policy.as_ref(), &candidates, &situation);
                prop_assert_eq!(p.len(), candidates.len(), "{}", policy.id());
                prop_assert!(p.iter().all(|p| (0.0..=1.0).contains(p)), "{}: {:?}", policy.id(), p);
                if !p.is_empty() {
                    let sum: f64 = p.iter().sum();
                    prop_assert!((sum - 1.0).abs() < 1e-9, "{}: sums to {}", policy.id(), sum);
                }
                if policy.id() == rules::ID {
                    prop_assert!(p.iter().all(|p| *p > 0.0), "rules-v0: {:?}", p);
                }
            }
        }
    }
}
