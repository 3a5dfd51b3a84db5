//! `rules-v0`, the incumbent: the candidates' rule priority, softened by a softmax so
//! every candidate keeps a propensity above zero (exploration the log can learn from).

use async_trait::async_trait;

use super::{Policy, PolicyError};
use crate::candidate::{Candidate, Situation};

pub const ID: &str = "rules-v0";

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
        let n = candidates.len() as f64;
        Ok(candidates.iter().map(|_| 1.0 / n).collect())
    }
}
