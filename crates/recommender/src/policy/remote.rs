//! The remote policy: the same trait over HTTP to the scoring sidecar (`apps/ml-serving`,
//! its README states the contract). The sidecar sees a pseudonym of the person
//! ([`user_key`]) and the candidates' kinds and features, never their texts or sources:
//! what a tip says stays in the gateway.

use std::fmt::Write as _;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Weekday;
use uuid::Uuid;

use super::{Policy, PolicyError};
use crate::candidate::{Candidate, Features, Situation, TipKind};

pub const ID: &str = "remote";

/// The default time the sidecar has to answer.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(50);

/// Learning is off the request path: it may take longer than scoring, but not forever
/// (a hung sidecar must not pile up tasks).
pub const LEARN_TIMEOUT: Duration = Duration::from_secs(2);

/// How far from 1 a sidecar's probabilities may sum (its floats went through JSON).
pub const SUM_TOLERANCE: f64 = 1e-6;

/// The pseudonym the sidecar knows a person by: sha256 (lower-case hex) of the user id's
/// hyphenated text. Stable, so the sidecar can personalise; one-way, so its logs hold no ids.
pub fn user_key(user_id: Uuid) -> String {
    let digest = Sha256::digest(user_id.hyphenated().to_string().as_bytes());
    digest
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// The moment as the sidecar reads it (`context` of `/score` and `/learn`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteContext {
    /// Local hour 0..=23.
    pub hour: u8,
    /// 0 = Monday .. 6 = Sunday.
    pub weekday: u8,
    /// Minutes until the local day ends.
    pub minutes_left: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub energy: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mood: Option<u8>,
}

impl RemoteContext {
    pub fn from_situation(situation: &Situation) -> Self {
        Self {
            hour: situation.hour,
            weekday: situation.weekday.number_days_from_monday(),
            minutes_left: situation.minutes_left_in_day,
            energy: situation.context.energy,
            mood: situation.context.mood,
        }
    }

    /// Rebuilt from a logged candidate's features (`hour` = h/23, `minutes_left` = m/1440,
    /// `energy`/`mood` = x/5, 0 when unknown), for feedback that comes long after the
    /// decision, when only the log is left.
    pub fn from_features(features: &Features, weekday: Weekday) -> Self {
        let scaled = |name: &str, by: f64| features.get(name).map_or(0.0, |v| (v * by).round());
        let level = |name: &str| {
            let value = scaled(name, 5.0);
            (1.0..=5.0).contains(&value).then_some(value as u8)
        };
        Self {
            hour: scaled("hour", 23.0).clamp(0.0, 23.0) as u8,
            weekday: weekday.number_days_from_monday(),
            minutes_left: scaled("minutes_left", 1440.0).max(0.0) as i64,
            energy: level("energy"),
            mood: level("mood"),
        }
    }
}

/// What came of a decision, as `/learn` takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub decision_id: Uuid,
    /// [`user_key`] of the person.
    pub user_key: Option<String>,
    pub context: RemoteContext,
    /// The decision's candidates, in the logged order.
    pub candidates: Vec<Candidate>,
    /// The shown candidate's index.
    pub chosen: usize,
    /// The logged propensity of the shown candidate (the chooser's, not the sidecar's).
    pub probability: f64,
    /// 1 for done, else 0 (`FeedbackKind::reward`).
    pub reward: f64,
}

#[derive(Serialize)]
struct WireCandidate<'a> {
    kind: TipKind,
    features: &'a Features,
}

fn wire_candidates(candidates: &[Candidate]) -> Vec<WireCandidate<'_>> {
    candidates
        .iter()
        .map(|c| WireCandidate {
            kind: c.kind,
            features: &c.features,
        })
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ScoreRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_key: Option<&'a str>,
    context: RemoteContext,
    candidates: Vec<WireCandidate<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LearnRequest<'a> {
    decision_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_key: Option<&'a str>,
    context: &'a RemoteContext,
    candidates: Vec<WireCandidate<'a>>,
    chosen: usize,
    probability: f64,
    reward: f64,
}

#[derive(Deserialize)]
struct ScoreReply {
    probabilities: Vec<f64>,
}

/// A sidecar's answer is only used when it is a distribution over exactly these candidates.
pub fn validate(probabilities: Vec<f64>, candidates: usize) -> Result<Vec<f64>, PolicyError> {
    if probabilities.len() != candidates {
        return Err(PolicyError::Garbage(format!(
            "{} probabilities for {candidates} candidates",
            probabilities.len()
        )));
    }
    if let Some(bad) = probabilities.iter().find(|p| !p.is_finite() || **p < 0.0) {
        return Err(PolicyError::Garbage(format!("probability {bad}")));
    }
    let sum: f64 = probabilities.iter().sum();
    if candidates > 0 && (sum - 1.0).abs() > SUM_TOLERANCE {
        return Err(PolicyError::Garbage(format!("probabilities sum to {sum}")));
    }
    Ok(probabilities)
}

#[derive(Debug, Clone)]
pub struct RemotePolicy {
    url: String,
    timeout: Duration,
    client: reqwest::Client,
}

impl RemotePolicy {
    /// `url`: the sidecar's base URL (`http://127.0.0.1:8090`); `timeout`: for a whole
    /// `/score` exchange, connecting included.
    pub fn new(url: String, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()
            // Without TLS the builder has nothing that can fail; the default client is
            // the same but for the timeouts, which `probabilities` also sets per request.
            .unwrap_or_default();
        Self {
            url: url.trim_end_matches('/').to_owned(),
            timeout,
            client,
        }
    }

    fn error(&self, error: &reqwest::Error) -> PolicyError {
        if error.is_timeout() {
            PolicyError::Timeout(self.timeout)
        } else if error.is_decode() {
            PolicyError::Garbage(error.to_string())
        } else {
            PolicyError::Unreachable(error.to_string())
        }
    }

    async fn post_learn(client: reqwest::Client, url: String, body: serde_json::Value) {
        let sent = client
            .post(url)
            .timeout(LEARN_TIMEOUT)
            .json(&body)
            .send()
            .await;
        match sent {
            Ok(reply) if reply.status().is_success() => {}
            Ok(reply) => {
                tracing::warn!(status = %reply.status(), "the scoring sidecar refused feedback")
            }
            Err(error) => tracing::warn!(error = %error, "the scoring sidecar missed feedback"),
        }
    }
}

#[async_trait]
impl Policy for RemotePolicy {
    fn id(&self) -> &str {
        ID
    }

    async fn probabilities(
        &self,
        candidates: &[Candidate],
        situation: &Situation,
    ) -> Result<Vec<f64>, PolicyError> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let request = ScoreRequest {
            user_key: situation.user_key.as_deref(),
            context: RemoteContext::from_situation(situation),
            candidates: wire_candidates(candidates),
        };
        let reply = self
            .client
            .post(format!("{}/score", self.url))
            .timeout(self.timeout)
            .json(&request)
            .send()
            .await
            .map_err(|e| self.error(&e))?;
        let status = reply.status();
        if !status.is_success() {
            return Err(PolicyError::Unreachable(format!(
                "the sidecar answered {status}"
            )));
        }
        let body = reply.bytes().await.map_err(|e| self.error(&e))?;
        let reply: ScoreReply =
            serde_json::from_slice(&body).map_err(|e| PolicyError::Garbage(e.to_string()))?;
        validate(reply.probabilities, candidates.len())
    }

    /// Posts the outcome to `/learn` on a task of its own; a failure is only logged.
    fn learn(&self, outcome: &Outcome) {
        let usable = outcome.chosen < outcome.candidates.len()
            && outcome.probability.is_finite()
            && outcome.probability > 0.0
            && outcome.probability <= 1.0
            && outcome.reward.is_finite();
        if !usable {
            tracing::warn!(decision = %outcome.decision_id, "an outcome the sidecar cannot learn from");
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let request = LearnRequest {
            decision_id: outcome.decision_id,
            user_key: outcome.user_key.as_deref(),
            context: &outcome.context,
            candidates: wire_candidates(&outcome.candidates),
            chosen: outcome.chosen,
            probability: outcome.probability,
            reward: outcome.reward,
        };
        // Serialised here so the task owns plain data, not the outcome's borrows.
        let Ok(body) = serde_json::to_value(&request) else {
            return;
        };
        let url = format!("{}/learn", self.url);
        runtime.spawn(Self::post_learn(self.client.clone(), url, body));
    }
}
