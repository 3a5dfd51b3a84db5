//! Policies: candidates and situation in, a probability for each candidate out. The
//! incumbent's probabilities choose the tip (its propensity is logged); shadow policies
//! score the same decision and are only logged (ADR 0017).

pub mod fallback;
pub mod remote;
pub mod rules;
pub mod set;
pub mod shadow;

use async_trait::async_trait;

use crate::candidate::{Candidate, Situation};

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy did not answer within {0:?}")]
    Timeout(std::time::Duration),
    #[error("the policy could not be reached: {0}")]
    Unreachable(String),
    #[error("the policy answered something unusable: {0}")]
    Garbage(String),
}

/// One way of choosing a tip.
#[async_trait]
pub trait Policy: Send + Sync {
    /// Stable id, as logged and shown by `GET /admin/policies` (`rules-v0`, `uniform`...).
    fn id(&self) -> &str;
    /// A probability per candidate (same order), each in 0..=1, summing to 1; empty for
    /// no candidates.
    async fn probabilities(
        &self,
        candidates: &[Candidate],
        situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError>;
    /// What came of a logged decision (whichever policy chose it), for a policy that learns
    /// online. Returns at once (a learner spawns its work) and never fails the feedback.
    fn learn(&self, _outcome: &remote::Outcome) {}
}

/// The index `u` (uniform in 0..1) falls on when walking the cumulative `probabilities`.
pub fn draw(probabilities: &[f64], u: f64) -> Option<usize> {
    let mut cumulative = 0.0;
    for (index, p) in probabilities.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return Some(index);
        }
    }
    probabilities.iter().rposition(|p| *p > 0.0)
}

/// The most probable candidate (ties: the first), what a shadow policy "would show".
pub fn pick(probabilities: &[f64]) -> Option<usize> {
    probabilities
        .iter()
        .enumerate()
        .fold(None, |best: Option<(usize, f64)>, (i, p)| match best {
            Some((_, bp)) if bp >= *p => best,
            _ => Some((i, *p)),
        })
        .map(|(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draw_walks_the_cumulative_distribution() {
        let p = [0.2, 0.5, 0.3];
        assert_eq!(draw(&p, 0.0), Some(0));
        assert_eq!(draw(&p, 0.19), Some(0));
        assert_eq!(draw(&p, 0.2), Some(1));
        assert_eq!(draw(&p, 0.69), Some(1));
        assert_eq!(draw(&p, 0.71), Some(2));
        // Rounding can leave the sum just under 1: the last possible candidate.
        assert_eq!(draw(&[0.5, 0.4999999], 0.99999999), Some(1));
        assert_eq!(draw(&[], 0.5), None);
    }

    #[test]
    fn pick_takes_the_first_of_the_most_probable() {
        assert_eq!(pick(&[0.2, 0.4, 0.4]), Some(1));
        assert_eq!(pick(&[]), None);
    }
}
