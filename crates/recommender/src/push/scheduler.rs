//! The decision-point scheduler: for every person with a subscription whose latest point
//! is due, claim the point (one replica wins), decide with `Trigger::Schedule`, and push
//! the tip (if any) to each of their browsers.
//!
//! Every replica may run it: the claim is a conditional write of
//! `rec_schedules.last_point_at`, so a point is decided and pushed at most once. A point
//! is claimed before deciding, so a crash between the two loses that point rather than
//! pushing it twice.

use std::time::Duration;

use lifeos_kernel::consent::Purpose;
use lifeos_kernel::{Timestamp, zone};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::PushPayload;
use super::schedule::{GRACE, Schedule};
use super::service::{Push, SharedPush, stored};
use super::store::{self, Subscriber, Target};
use super::webpush::{Keys, Message, Outcome, audience, check_endpoint};
use crate::candidate::Context;
use crate::error::{RecommenderError, Result};
use crate::tips::Trigger;

/// Subscribers read per query.
const PAGE: i64 = 200;

/// How long a push service may hold a tip for an offline browser: after that it is
/// about a moment that has passed.
const TTL: Duration = Duration::from_secs(2 * 3600);

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Decision points claimed (and decided) by this run.
    pub points: usize,
    /// Of those, the ones that produced a tip.
    pub tips: usize,
    /// Messages the push services accepted.
    pub pushed: usize,
    /// Messages that failed (the subscription's `failures` count grows).
    pub failed: usize,
    /// Subscriptions forgotten because their push service said 404/410.
    pub gone: usize,
}

impl RunReport {
    fn add(&mut self, other: RunReport) {
        self.points += other.points;
        self.tips += other.tips;
        self.pushed += other.pushed;
        self.failed += other.failed;
        self.gone += other.gone;
    }
}

/// Runs [`Push::run_due`] every `config.scheduler_every` (the first time one period after
/// start); `None` when the configuration turns the scheduler off.
pub fn spawn(push: SharedPush) -> Option<JoinHandle<()>> {
    let every = push.config.scheduler_every?;
    Some(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            match push.run_due().await {
                Ok(report) if report.points > 0 => tracing::info!(
                    points = report.points,
                    pushed = report.pushed,
                    failed = report.failed,
                    gone = report.gone,
                    "push decision points run"
                ),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "push decision points failed; next try soon"),
            }
        }
    }))
}

impl Push {
    /// Decides and pushes every point due now.
    pub async fn run_due(&self) -> Result<RunReport> {
        self.run_due_at(self.clock.now()).await
    }

    /// Decides and pushes every point due at `now`.
    pub async fn run_due_at(&self, now: Timestamp) -> Result<RunReport> {
        let mut report = RunReport::default();
        let mut after = Uuid::nil();
        loop {
            let page = store::subscribers(&self.db, after, PAGE).await?;
            let Some(last) = page.last() else {
                return Ok(report);
            };
            after = last.user_id;
            for subscriber in &page {
                match self.run_for(subscriber, now).await {
                    Ok(done) => report.add(done),
                    // One person's failure (a store hiccup, a policy error) is not everyone's.
                    Err(error) => {
                        tracing::warn!(%error, user_id = %subscriber.user_id, "decision point failed");
                    }
                }
            }
        }
    }

    async fn run_for(&self, subscriber: &Subscriber, now: Timestamp) -> Result<RunReport> {
        let Some(point) = self.due_point(subscriber, now)? else {
            return Ok(RunReport::default());
        };
        let user_id = subscriber.user_id;
        if !self
            .consent
            .is_granted(user_id, Purpose::Recommendations)
            .await?
        {
            return Ok(RunReport::default());
        }
        let schedule = schedule_of(subscriber);
        if !store::claim(&self.db, user_id, &stored(&schedule), point).await? {
            return Ok(RunReport::default());
        }
        let mut report = RunReport {
            points: 1,
            ..RunReport::default()
        };
        let recommendation = match self
            .tips
            .recommend(user_id, Context::default(), Trigger::Schedule)
            .await
        {
            Ok(recommendation) => recommendation,
            // Withdrawn between the check and the decision: nothing to say.
            Err(RecommenderError::ConsentRequired) => return Ok(report),
            // The point stays claimed: a retry would decide late, or twice.
            Err(error) => {
                tracing::warn!(%error, %user_id, "no decision at a push point");
                return Ok(report);
            }
        };
        let Some(tip) = recommendation.tip else {
            return Ok(report);
        };
        report.tips = 1;
        let payload = PushPayload {
            tip_id: tip.id,
            kind: tip.kind,
            text: tip.text,
            reason: tip.reason,
            decision_id: recommendation.decision_id,
        };
        // Ids, strings and an enum: serialising cannot fail.
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        for target in store::targets(&self.db, user_id).await? {
            report.add(self.deliver(&target, &body, now).await?);
        }
        Ok(report)
    }

    fn due_point(&self, subscriber: &Subscriber, now: Timestamp) -> Result<Option<Timestamp>> {
        let Some(zone) = zone::resolve(&subscriber.timezone) else {
            tracing::warn!(user_id = %subscriber.user_id, "unknown time zone; no decision points");
            return Ok(None);
        };
        let schedule = schedule_of(subscriber);
        match schedule.due(&zone, now, subscriber.last_point_at, GRACE) {
            Ok(point) => Ok(point),
            Err(error) => {
                tracing::warn!(%error, user_id = %subscriber.user_id, "no decision points");
                Ok(None)
            }
        }
    }

    /// One encrypted message to one browser, and what its push service said, recorded.
    async fn deliver(&self, target: &Target, body: &[u8], now: Timestamp) -> Result<RunReport> {
        let outcome = match self.message(target, body, now).await? {
            Some((endpoint, message)) => self.sender.send(endpoint, message).await,
            None => Outcome::Failed("the stored subscription is not usable".into()),
        };
        let mut report = RunReport::default();
        match outcome {
            Outcome::Delivered => {
                store::delivered(&self.db, target.id, now).await?;
                report.pushed = 1;
            }
            Outcome::Gone => {
                store::forget(&self.db, target.id).await?;
                report.gone = 1;
            }
            Outcome::Failed(reason) => {
                tracing::warn!(subscription = %target.id, %reason, "push not delivered");
                store::failed(&self.db, target.id).await?;
                report.failed = 1;
            }
        }
        Ok(report)
    }

    async fn message(
        &self,
        target: &Target,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Option<(url::Url, Message)>> {
        let vapid = self.vapid().await?;
        let endpoint = check_endpoint(&target.endpoint, self.config.allow_loopback_http).ok();
        let keys = Keys::decode(&target.p256dh, &target.auth);
        let (Some(endpoint), Some(keys)) = (endpoint, keys) else {
            return Ok(None);
        };
        let Ok(body) = keys.encrypt(body) else {
            return Ok(None);
        };
        let authorization = vapid.authorization(&audience(&endpoint), &self.config.subject, now);
        Ok(Some((
            endpoint,
            Message {
                body,
                authorization,
                ttl: TTL,
            },
        )))
    }
}

/// The subscriber's stored schedule, or the default one.
fn schedule_of(subscriber: &Subscriber) -> Schedule {
    subscriber
        .times
        .as_deref()
        .and_then(|times| {
            Schedule::from_stored(
                times,
                subscriber.quiet_from.as_deref(),
                subscriber.quiet_to.as_deref(),
            )
        })
        .unwrap_or_default()
}
