//! `rules-v0`, the incumbent: the candidates' rule priority, softened by a softmax so
//! every candidate keeps a propensity above zero (exploration the log can learn from).

use async_trait::async_trait;

use super::{Policy, PolicyError};
use crate::candidate::{Candidate, Situation};

pub const ID: &str = "rules-v0";

/// The softmax temperature: a priority 0.15 higher is e (~2.7) times as likely, so the
/// best candidate usually wins yet a runner-up is still shown now and then.
pub const TEMPERATURE: f64 = 0.15;

#[derive(Debug, Default)]
pub struct RulesV0;

impl RulesV0 {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl Policy for RulesV0 {
    fn id(&self) -> &str {
        ID
    }

    async fn probabilities(
        &self,
        candidates: &[Candidate],
        _situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        let scores: Vec<f64> = candidates.iter().map(priority).collect();
        Ok(softmax(&scores, TEMPERATURE))
    }
}

/// A candidate's `priority` feature, clamped to 0..=1 (missing or not finite: 0). The
/// clamp is what keeps every softmax probability above zero: scores at most 1 apart at
/// T = 0.15 are at most e^6.7 (~800) times apart.
pub fn priority(candidate: &Candidate) -> f64 {
    feature(candidate, "priority").clamp(0.0, 1.0)
}

/// A feature's value; 0 when missing or not finite.
pub fn feature(candidate: &Candidate, name: &str) -> f64 {
    candidate
        .features
        .get(name)
        .copied()
        .filter(|value| value.is_finite())
        .unwrap_or(0.0)
}

/// `exp(s / t)` normalised, computed as `exp((s - max) / t)` so no term overflows; a
/// non-finite score counts as the lowest finite one. Empty in, empty out.
pub fn softmax(scores: &[f64], temperature: f64) -> Vec<f64> {
    let finite = |s: f64| if s.is_finite() { Some(s) } else { None };
    let values: Vec<f64> = scores.iter().filter_map(|s| finite(*s)).collect();
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    if values.is_empty() {
        return uniform(scores.len());
    }
    let weights: Vec<f64> = scores
        .iter()
        .map(|s| ((finite(*s).unwrap_or(min) - max) / temperature).exp())
        .collect();
    let total: f64 = weights.iter().sum();
    // The max term is exp(0) = 1, so the total is at least 1; the guard is for a NaN temperature.
    if !(total.is_finite() && total > 0.0) {
        return uniform(scores.len());
    }
    weights.iter().map(|w| w / total).collect()
}

/// 1/n each.
pub fn uniform(n: usize) -> Vec<f64> {
    vec![1.0 / n as f64; n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn softmax_follows_the_priorities() {
        let p = softmax(&[0.9, 0.6, 0.3], TEMPERATURE);
        assert!(p[0] > p[1] && p[1] > p[2]);
        assert!(close(p.iter().sum(), 1.0));
        // Two scores 0.15 apart: e times as likely.
        let p = softmax(&[0.5, 0.35], TEMPERATURE);
        assert!(close(p[0] / p[1], std::f64::consts::E));
    }

    #[test]
    fn softmax_is_stable_for_extreme_scores() {
        let p = softmax(&[1e308, 1e308, -1e308], TEMPERATURE);
        assert!(p.iter().all(|p| p.is_finite()));
        assert!(close(p[0], 0.5) && close(p[1], 0.5) && p[2] == 0.0);
        let p = softmax(&[f64::NAN, f64::INFINITY, 0.5], TEMPERATURE);
        assert!(p.iter().all(|p| p.is_finite()));
        assert!(close(p.iter().sum(), 1.0));
        assert_eq!(softmax(&[f64::NAN, f64::NAN], TEMPERATURE), vec![0.5, 0.5]);
        assert!(softmax(&[], TEMPERATURE).is_empty());
        let p = softmax(&[700.0, 0.0], 1e-300);
        assert!(close(p[0], 1.0) && p[1] == 0.0);
    }

    #[test]
    fn the_priority_clamp_keeps_every_propensity_above_zero() {
        // Priorities are clamped to 0..=1 first, so the worst is ~1/800 of the best.
        let scores = [f64::MAX, -f64::MAX].map(|p| p.clamp(0.0, 1.0));
        let p = softmax(&scores, TEMPERATURE);
        assert!(p[1] > 1e-3, "{p:?}");
    }
}
