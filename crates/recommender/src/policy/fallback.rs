//! A policy that falls back: a slow, dead or confused primary never delays or breaks a tip.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

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

    async fn probabilities(
        &self,
        candidates: &[Candidate],
        situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        match self.primary.probabilities(candidates, situation).await {
            Ok(p) => Ok(p),
            Err(_) => self.fallback.probabilities(candidates, situation).await,
        }
    }
}
