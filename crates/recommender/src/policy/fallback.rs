//! A policy that falls back: a slow, dead or confused primary never delays or breaks a tip.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::remote::{Outcome, validate};
use super::{Policy, PolicyError};
use crate::candidate::{Candidate, Situation};

/// Answers as `primary` within `timeout`, else as `fallback`, under `primary`'s id.
pub struct Fallback {
    primary: Arc<dyn Policy>,
    fallback: Arc<dyn Policy>,
    timeout: Duration,
}

impl std::fmt::Debug for Fallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fallback")
            .field("primary", &self.primary.id())
            .field("fallback", &self.fallback.id())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl Fallback {
    pub fn new(primary: Arc<dyn Policy>, fallback: Arc<dyn Policy>, timeout: Duration) -> Self {
        Self {
            primary,
            fallback,
            timeout,
        }
    }
}

#[async_trait]
impl Policy for Fallback {
    fn id(&self) -> &str {
        self.primary.id()
    }

    /// Never slower than `timeout` plus the fallback's own time; never the primary's error.
    async fn probabilities(
        &self,
        candidates: &[Candidate],
        situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        let answer = tokio::time::timeout(
            self.timeout,
            self.primary.probabilities(candidates, situation),
        )
        .await
        .unwrap_or(Err(PolicyError::Timeout(self.timeout)))
        // Whatever the primary is, a tip is only chosen from a distribution over these candidates.
        .and_then(|p| validate(p, candidates.len()));
        match answer {
            Ok(p) => Ok(p),
            Err(error) => {
                // Policy ids and the failure only: the situation is the person's.
                tracing::warn!(
                    policy = self.primary.id(),
                    fallback = self.fallback.id(),
                    error = %error,
                    "policy fell back"
                );
                self.fallback.probabilities(candidates, situation).await
            }
        }
    }

    fn learn(&self, outcome: &Outcome) {
        self.primary.learn(outcome);
    }
}

#[cfg(test)]
#[path = "fallback_tests.rs"]
mod tests;
