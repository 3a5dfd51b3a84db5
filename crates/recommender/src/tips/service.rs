//! Deciding and recording feedback: ports -> candidates -> policies -> one logged decision.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use lifeos_kernel::consent::Purpose;
use lifeos_kernel::error::Validator;
use lifeos_kernel::outbox::{NewEvent, Outbox};
use lifeos_kernel::zone::{self, UserClock, ZoneError};
use lifeos_kernel::{AppError, Db, SharedClock, Timestamp};
use serde_json::{Value, json};
use time::UtcOffset;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::store::{self, NewDecision};
use super::{Feedback, FeedbackKind, Recommendation, Tip, Trigger, topics};
use crate::candidate::{Candidate, Context, Situation, TipKind};
use crate::candidates::{self, Facts, external};
use crate::error::{RecommenderError, Result};
use crate::policy::set::PolicySet;
use crate::policy::{self, Policy, PolicyError, remote, rules};
use crate::ports::{Completed, ExternalFacts, Ports};

/// A shadow that has not answered by then is logged as an error: shadows never hold up a tip.
const SHADOW_TIMEOUT: Duration = Duration::from_millis(250);
/// Connected services (Todoist) that have not answered by then are left out of the
/// decision: a tip never waits on another company's API.
const EXTERNAL_TIMEOUT: Duration = Duration::from_secs(2);

#[async_trait]
pub trait TipsService: Send + Sync {
    /// One decision for the user now (requires the `recommendations` consent).
    async fn recommend(
        &self,
        user_id: Uuid,
        context: Context,
        trigger: Trigger,
    ) -> Result<Recommendation>;
    /// Records feedback on a shown tip (404 for a tip the user was not shown).
    async fn feedback(&self, user_id: Uuid, tip_id: Uuid, kind: FeedbackKind) -> Result<Feedback>;
}

pub type SharedTips = Arc<dyn TipsService>;

pub struct Tips {
    db: Db,
    clock: SharedClock,
    outbox: Outbox,
    ports: Ports,
    policies: Arc<PolicySet>,
}

impl Tips {
    pub fn new(
        db: Db,
        clock: SharedClock,
        outbox: Outbox,
        ports: Ports,
        policies: Arc<PolicySet>,
    ) -> Self {
        Self {
            db,
            clock,
            outbox,
            ports,
            policies,
        }
    }
}

fn validate(context: &Context) -> Result<()> {
    let mut v = Validator::new();
    if let Some(location) = &context.location {
        v.length(location, "context.location", 1, 64);
        v.check(
            location.is_empty() || !location.trim().is_empty(),
            "context.location",
            "must not be blank",
        );
    }
    for (field, value) in [
        ("context.mood", context.mood),
        ("context.energy", context.energy),
    ] {
        v.check(
            value.is_none_or(|n| (1..=5).contains(&n)),
            field,
            "must be between 1 and 5",
        );
    }
    v.finish().map_err(|e| RecommenderError::Invalid(e.errors))
}

fn zone_error(error: ZoneError) -> RecommenderError {
    RecommenderError::Port(AppError::internal(error))
}

/// The moment in the user's own time: the local date after their day-start hour, the
/// wall-clock hour and minute, and the minutes until their next day starts.
pub fn situation(
    clock: &UserClock,
    now: Timestamp,
    context: Context,
) -> Result<Situation, ZoneError> {
    let zone = clock.zone()?;
    let offset = zone.to_offset(zone::to_jiff_timestamp(now.as_offset_date_time())?);
    let offset =
        UtcOffset::from_whole_seconds(offset.seconds()).map_err(|_| ZoneError::OutOfRange)?;
    let wall = now.as_offset_date_time().to_offset(offset);
    let date = clock.local_date(now)?;
    let next = date.next_day().ok_or(ZoneError::OutOfRange)?;
    let day_end = clock.start_of(next)? + time::Duration::hours(i64::from(clock.day_start_hour));
    Ok(Situation {
        now,
        date,
        weekday: date.weekday(),
        hour: wall.hour(),
        minute: wall.minute(),
        minutes_left_in_day: day_end.since(now).whole_minutes().max(0),
        context,
        user_key: None,
    })
}

/// Probabilities a decision can use: one per candidate, finite, not negative, summing
/// to 1 (rescaled, so the logged propensity is the probability the draw really used).
fn usable(probabilities: Vec<f64>, candidates: usize) -> Result<Vec<f64>, PolicyError> {
    let valid = probabilities.len() == candidates
        && probabilities.iter().all(|p| p.is_finite() && *p >= 0.0);
    let sum: f64 = probabilities.iter().sum();
    if !valid || sum <= 0.0 || !sum.is_finite() {
        return Err(PolicyError::Garbage(format!(
            "{} probabilities for {candidates} candidates",
            probabilities.len()
        )));
    }
    Ok(probabilities.into_iter().map(|p| p / sum).collect())
}

async fn score(
    policy: &dyn Policy,
    candidates: &[Candidate],
    situation: &Situation,
) -> Result<Vec<f64>, PolicyError> {
    let probabilities = policy.probabilities(candidates, situation).await?;
    usable(probabilities, candidates.len())
}

/// Every shadow's answer, concurrently: `{policyId: {probabilities, pick} | {error}}`.
async fn shadows(
    policies: Vec<Arc<dyn Policy>>,
    candidates: Arc<[Candidate]>,
    situation: Arc<Situation>,
) -> Value {
    let mut set = JoinSet::new();
    for policy in policies {
        let (candidates, situation) = (candidates.clone(), situation.clone());
        set.spawn(async move {
            let answer = tokio::time::timeout(
                SHADOW_TIMEOUT,
                score(policy.as_ref(), &candidates, &situation),
            )
            .await
            .unwrap_or(Err(PolicyError::Timeout(SHADOW_TIMEOUT)));
            let logged = match answer {
                Ok(p) => json!({ "probabilities": p, "pick": policy::pick(&p) }),
                Err(error) => json!({ "error": error.to_string() }),
            };
            (policy.id().to_owned(), logged)
        });
    }
    let mut log = BTreeMap::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((id, logged)) => {
                log.insert(id, logged);
            }
            Err(error) => tracing::warn!(%error, "a shadow policy's task failed"),
        }
    }
    json!(log)
}

/// A uniform number in 0..1 from the OS: the draw's randomness is not the clock's.
fn uniform() -> Result<f64> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)
        .map_err(|e| RecommenderError::Port(AppError::internal(e.to_string())))?;
    // The top 53 bits: every value exactly representable, below 1.
    Ok((u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64)
}

/// What the incumbent chose.
struct Choice {
    policy_id: String,
    probabilities: Vec<f64>,
    chosen: Option<usize>,
    shadow: Value,
}

impl Tips {
    async fn facts(
        &self,
        user_id: Uuid,
        situation: &Situation,
    ) -> Result<(Facts, std::collections::HashSet<String>)> {
        let (now, date) = (situation.now, situation.date);
        let (plans, progress, brake, nutrition, advice, signals, suppressed, external) = tokio::join!(
            self.ports.plans.today(user_id, date, now),
            self.ports.gamification.progress(user_id, now),
            self.ports.brake.facts(user_id, now),
            self.ports.nutrition.day(user_id, date),
            store::advice_rules(&self.db),
            store::signals(&self.db, user_id),
            store::suppressed(&self.db, user_id, now),
            self.external(user_id, now),
        );
        let facts = Facts {
            plans: plans?,
            progress: progress?,
            brake: brake?,
            nutrition: nutrition?,
            advice: advice?,
            signals: signals?,
            external,
        };
        Ok((facts, suppressed?))
    }

    /// What connected services add, never failing the decision: an error or a slow
    /// provider is logged and counts as nothing. The call runs on its own task, so one cut
    /// short by the timeout still finishes (a token refresh half done, a cache filled for
    /// the next decision).
    async fn external(&self, user_id: Uuid, now: Timestamp) -> ExternalFacts {
        let port = self.ports.external.clone();
        let call = tokio::spawn(async move { port.facts(user_id, now).await });
        match tokio::time::timeout(EXTERNAL_TIMEOUT, call).await {
            Ok(Ok(Ok(facts))) => facts,
            Ok(Ok(Err(error))) => {
                tracing::warn!(%error, "connected services' facts failed; deciding without them");
                ExternalFacts::default()
            }
            Ok(Err(error)) => {
                tracing::warn!(%error, "connected services' facts task failed; deciding without them");
                ExternalFacts::default()
            }
            Err(_) => {
                tracing::warn!(
                    timeout_ms = EXTERNAL_TIMEOUT.as_millis() as u64,
                    "connected services did not answer in time; deciding without them"
                );
                ExternalFacts::default()
            }
        }
    }

    /// The incumbent's draw, with the shadows scored alongside. An incumbent that fails
    /// gives way to `rules-v0` (logged under that id), so a tip never waits on it.
    async fn choose(
        &self,
        candidates: &Arc<[Candidate]>,
        situation: &Arc<Situation>,
    ) -> Result<Choice> {
        let (incumbent, others) = self.policies.roles().await?;
        if candidates.is_empty() {
            return Ok(Choice {
                policy_id: incumbent.id().to_owned(),
                probabilities: Vec::new(),
                chosen: None,
                shadow: json!({}),
            });
        }
        let (answer, shadow) = tokio::join!(
            score(incumbent.as_ref(), candidates, situation),
            shadows(others, candidates.clone(), situation.clone()),
        );
        let (policy_id, probabilities) = match answer {
            Ok(p) => (incumbent.id().to_owned(), p),
            Err(error) => {
                tracing::warn!(policy = incumbent.id(), %error, "the incumbent failed; rules-v0 decides");
                let rules = self
                    .policies
                    .get(rules::ID)
                    .ok_or_else(|| RecommenderError::Port(AppError::internal(error)))?;
                let p = score(rules.as_ref(), candidates, situation)
                    .await
                    .map_err(|e| RecommenderError::Port(AppError::internal(e)))?;
                (rules::ID.to_owned(), p)
            }
        };
        let chosen = policy::draw(&probabilities, uniform()?);
        Ok(Choice {
            policy_id,
            probabilities,
            chosen,
            shadow,
        })
    }

    async fn log(
        &self,
        user_id: Uuid,
        trigger: Trigger,
        situation: &Situation,
        candidates: &[Candidate],
        choice: &Choice,
    ) -> Result<Recommendation> {
        let decision_id = lifeos_kernel::id::new_id();
        let shown = choice
            .chosen
            .and_then(|i| candidates.get(i).map(|c| (i, c)));
        let tip = shown.map(|(_, c)| Tip {
            id: lifeos_kernel::id::new_id(),
            kind: c.kind,
            text: c.text.clone(),
            reason: c.reason.clone(),
            source: c.source.clone(),
        });
        let propensity = shown.map_or(1.0, |(i, _)| choice.probabilities[i]);
        let kept: Vec<Candidate> = candidates.iter().map(external::as_logged).collect();
        let row = NewDecision {
            id: decision_id,
            user_id,
            decided_at: situation.now,
            trigger: trigger.as_str(),
            context: &situation.context,
            candidates: &kept,
            probabilities: &choice.probabilities,
            shadow: &choice.shadow,
            policy_id: &choice.policy_id,
            chosen: shown.map(|(i, _)| i),
            propensity,
            tip_id: tip.as_ref().map(|t| t.id),
            source_key: tip.as_ref().map(|t| t.source.key()),
        };
        let mut tx = self.db.begin().await?;
        store::insert_decision(&mut tx, &row).await?;
        if let Some(tip) = &tip {
            let event = NewEvent {
                user_id: Some(user_id),
                topic: topics::TIP_SHOWN.into(),
                payload: json!({
                    "decisionId": decision_id,
                    "tipId": tip.id,
                    "policyId": choice.policy_id,
                    "source": tip.source,
                }),
            };
            self.outbox.append(&mut tx, situation.now, event).await?;
        }
        // No wake-up: `tip_shown` is a record for the relay and the sidecar, not a change
        // another domain acts on, and waking every subscriber per decision cost a fetch and
        // an acknowledging commit each. They take it on their next poll, in a batch.
        tx.commit().await?;
        Ok(Recommendation {
            tip,
            decision_id,
            policy_id: choice.policy_id.clone(),
            propensity,
        })
    }

    /// `done` on a node todo completes the node first: if the game layer refuses,
    /// nothing is recorded and its refusal is the answer.
    async fn complete_if_node(
        &self,
        user_id: Uuid,
        shown: &store::ShownTip,
        kind: FeedbackKind,
    ) -> Result<Option<Completed>> {
        if kind != FeedbackKind::Done
            || shown.kind != TipKind::Todo
            || shown.source.entity != "node"
        {
            return Ok(None);
        }
        let node_id: Uuid = shown
            .source
            .id
            .parse()
            .map_err(|_| RecommenderError::NotFound("node"))?;
        let completed = self
            .ports
            .gamification
            .complete(user_id, node_id)
            .await
            .map_err(RecommenderError::Port)?;
        Ok(Some(completed))
    }

    /// `done` on an outside task's todo closes it at its provider first: if the provider
    /// refuses (not found, reconnect needed, rate limited), nothing is recorded and its
    /// refusal is the answer, as for a node.
    async fn complete_if_external(
        &self,
        user_id: Uuid,
        shown: &store::ShownTip,
        kind: FeedbackKind,
    ) -> Result<()> {
        if kind != FeedbackKind::Done || shown.kind != TipKind::Todo {
            return Ok(());
        }
        let Some(provider) = external::task_provider(&shown.source) else {
            return Ok(());
        };
        self.ports
            .external
            .complete(user_id, provider, &shown.source.id)
            .await
            .map_err(RecommenderError::Port)
    }
}

impl Tips {
    /// Tells every policy what came of the decision (only learners act on it). Best
    /// effort: the feedback is recorded whatever happens here.
    async fn learn(&self, user_id: Uuid, shown: store::ShownTip, reward: f64) {
        let Some(candidates) = shown.candidates else {
            return;
        };
        let weekday = match zone::user_clock(&self.db, user_id).await {
            Ok(Some(clock)) => clock.local_date(shown.decided_at).ok(),
            _ => None,
        }
        .unwrap_or_else(|| shown.decided_at.as_offset_date_time().date())
        .weekday();
        let Some(features) = candidates.get(shown.chosen).map(|c| &c.features) else {
            return;
        };
        let outcome = remote::Outcome {
            decision_id: shown.decision_id,
            user_key: Some(remote::user_key(user_id)),
            context: remote::RemoteContext::from_features(features, weekday),
            chosen: shown.chosen,
            probability: shown.propensity,
            reward,
            candidates,
        };
        for id in self.policies.ids() {
            if let Some(policy) = self.policies.get(id) {
                policy.learn(&outcome);
            }
        }
    }
}

const TIP_NOT_FOUND: RecommenderError = RecommenderError::NotFound("tip");

#[async_trait]
impl TipsService for Tips {
    async fn recommend(
        &self,
        user_id: Uuid,
        context: Context,
        trigger: Trigger,
    ) -> Result<Recommendation> {
        validate(&context)?;
        if !self
            .ports
            .consent
            .is_granted(user_id, Purpose::Recommendations)
            .await?
        {
            return Err(RecommenderError::ConsentRequired);
        }
        let clock = zone::user_clock(&self.db, user_id)
            .await?
            .ok_or(RecommenderError::NotFound("user"))?;
        let mut situation = situation(&clock, self.clock.now(), context).map_err(zone_error)?;
        situation.user_key = Some(remote::user_key(user_id));
        let (facts, suppressed) = self.facts(user_id, &situation).await?;
        let candidates: Arc<[Candidate]> = candidates::gather(&facts, &situation)
            .into_iter()
            .filter(|c| !suppressed.contains(&c.source.key()))
            .collect();
        let situation = Arc::new(situation);
        let choice = self.choose(&candidates, &situation).await?;
        self.log(user_id, trigger, &situation, &candidates, &choice)
            .await
    }

    async fn feedback(&self, user_id: Uuid, tip_id: Uuid, kind: FeedbackKind) -> Result<Feedback> {
        let shown = store::shown_tip(&self.db, user_id, tip_id)
            .await?
            .ok_or(TIP_NOT_FOUND)?;
        if let Some(recorded) = &shown.feedback {
            return Err(RecommenderError::FeedbackRecorded(recorded.clone()));
        }
        let completed = self.complete_if_node(user_id, &shown, kind).await?;
        self.complete_if_external(user_id, &shown, kind).await?;
        let now = self.clock.now();
        let reward = kind.reward();
        let mut tx = self.db.begin().await?;
        if !store::record_feedback(&mut tx, user_id, tip_id, kind.as_str(), now, reward).await? {
            return Err(match store::feedback_of(&mut tx, user_id, tip_id).await? {
                Some(Some(recorded)) => RecommenderError::FeedbackRecorded(recorded),
                _ => TIP_NOT_FOUND,
            });
        }
        let suppressed_until = match kind.suppression() {
            Some(rest) => Some(
                store::suppress(
                    &mut tx,
                    user_id,
                    &shown.source.key(),
                    now + rest,
                    kind.as_str(),
                )
                .await?,
            ),
            None => None,
        };
        let event = NewEvent {
            user_id: Some(user_id),
            topic: topics::FEEDBACK_RECORDED.into(),
            payload: json!({
                "decisionId": shown.decision_id,
                "tipId": tip_id,
                "kind": kind,
                "reward": reward,
                "policyId": shown.policy_id,
            }),
        };
        self.outbox.append(&mut tx, now, event).await?;
        tx.commit().await?;
        self.outbox.wake();
        self.learn(user_id, shown, reward).await;
        Ok(Feedback {
            tip_id,
            kind,
            recorded_at: now,
            completion_id: completed.map(|c| c.completion_id),
            xp_awarded: completed.map(|c| c.xp_awarded),
            suppressed_until,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clock(zone: &str, day_start_hour: i32) -> UserClock {
        UserClock {
            timezone: zone.into(),
            day_start_hour,
        }
    }

    #[test]
    fn situation_is_in_the_users_time_after_their_day_start() {
        let now = Timestamp::parse("2026-07-01T23:30:00Z").unwrap();
        // 01:30 on July 2nd in Berlin (summer, +2), day starting at 04:00: still July 1st.
        let s = situation(&clock("Europe/Berlin", 4), now, Context::default()).unwrap();
        assert_eq!((s.hour, s.minute), (1, 30));
        assert_eq!(s.date, time::macros::date!(2026 - 07 - 01));
        assert_eq!(s.weekday, time::Weekday::Wednesday);
        assert_eq!(s.minutes_left_in_day, 150, "until 04:00 local");

        let utc = situation(&clock("UTC", 0), now, Context::default()).unwrap();
        assert_eq!((utc.hour, utc.minutes_left_in_day), (23, 30));
    }

    #[test]
    fn unusable_probabilities_are_refused_and_usable_ones_sum_to_one() {
        assert!(usable(vec![0.5], 2).is_err());
        assert!(usable(vec![f64::NAN, 0.5], 2).is_err());
        assert!(usable(vec![-0.1, 1.1], 2).is_err());
        assert!(usable(vec![0.0, 0.0], 2).is_err());
        assert_eq!(usable(vec![1.0, 3.0], 2).unwrap(), vec![0.25, 0.75]);
    }

    #[test]
    fn context_is_checked_field_by_field() {
        let bad = Context {
            location: Some(" ".into()),
            mood: Some(9),
            energy: Some(0),
        };
        let Err(RecommenderError::Invalid(errors)) = validate(&bad) else {
            panic!("invalid");
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["context.location", "context.mood", "context.energy"]
        );
        assert!(validate(&Context::default()).is_ok());
    }

    #[test]
    fn uniform_numbers_stay_below_one() {
        for _ in 0..100 {
            let u = uniform().unwrap();
            assert!((0.0..1.0).contains(&u));
        }
    }
}
