//! The remote policy: the same trait over HTTP to the scoring sidecar (`apps/ml-serving`).

use std::time::Duration;

use async_trait::async_trait;

use super::{Policy, PolicyError};
use crate::candidate::{Candidate, Situation};

pub const ID: &str = "remote";

/// The default time the sidecar has to answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

#[derive(Debug)]
pub struct RemotePolicy {
    url: String,
    timeout: Duration,
}

impl RemotePolicy {
    /// `url`: the sidecar's base URL (`http://127.0.0.1:8090`).
    pub fn new(url: String, timeout: Duration) -> Self {
        Self { url, timeout }
    }
}

#[async_trait]
impl Policy for RemotePolicy {
    fn id(&self) -> &str {
        ID
    }

    async fn probabilities(
        &self,
        _candidates: &[Candidate],
        _situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        Err(PolicyError::Unreachable(self.url.clone())).or(Err(PolicyError::Timeout(self.timeout)))
    }
}
