//! The policy report and promotion: admins only; the report aggregates the decision
//! log's recent window ([`store::WINDOW`]) in memory, promotion asks the evaluation's
//! thresholds and then the policy set.

use std::sync::Arc;

use lifeos_kernel::{Db, SharedClock};
use uuid::Uuid;

use super::store::{self, LoggedDecision};
use super::{PolicyReport, PolicyReports, Role, Thresholds};
use crate::error::{RecommenderError, Result};
use crate::evaluation::{self, Estimate, FeedbackRates, Sample};
use crate::policy::set::PolicySet;
use crate::ports::AdminPort;

pub struct Admin {
    pub(crate) db: Db,
    pub(crate) clock: SharedClock,
    pub(crate) policies: Arc<PolicySet>,
    pub(crate) admins: Arc<dyn AdminPort>,
    pub(crate) thresholds: Thresholds,
}

impl Admin {
    pub fn new(
        db: Db,
        clock: SharedClock,
        policies: Arc<PolicySet>,
        admins: Arc<dyn AdminPort>,
        thresholds: Thresholds,
    ) -> Self {
        Self {
            db,
            clock,
            policies,
            admins,
            thresholds,
        }
    }

    /// Every policy on the recent log: the incumbent first, then the shadows.
    pub async fn report(&self, user_id: Uuid) -> Result<PolicyReports> {
        self.require_admin(user_id).await?;
        let log = store::recent_shown(&self.db, store::WINDOW).await?;
        let (incumbent, shadows) = self.policies.roles().await?;
        let items = std::iter::once((incumbent.id(), Role::Incumbent))
            .chain(shadows.iter().map(|p| (p.id(), Role::Shadow)))
            .map(|(id, role)| Assessment::of(id, &log).report(id, role))
            .collect();
        Ok(PolicyReports {
            items,
            thresholds: self.thresholds.into(),
        })
    }

    /// Makes `id` the incumbent when the log supports it (promoting the incumbent again
    /// changes nothing); its report as the incumbent.
    pub async fn promote(&self, user_id: Uuid, id: &str) -> Result<PolicyReport> {
        self.require_admin(user_id).await?;
        let policy = self
            .policies
            .get(id)
            .ok_or(RecommenderError::NotFound("policy"))?;
        let id = policy.id();
        let log = store::recent_shown(&self.db, store::WINDOW).await?;
        let candidate = Assessment::of(id, &log);
        let incumbent_id = self.policies.incumbent_id().await?;
        if incumbent_id != id {
            let incumbent = Assessment::of(&incumbent_id, &log);
            check(&candidate, &incumbent, &self.thresholds).map_err(|reason| {
                RecommenderError::PromotionRefused {
                    policy: id.to_owned(),
                    reason,
                }
            })?;
            self.policies.promote(id, user_id, self.clock.now()).await?;
            tracing::info!(policy = id, from = %incumbent_id, by = %user_id, "policy promoted");
            // Only a forced incumbent (configuration) wins over a promotion.
            let now = self.policies.incumbent_id().await?;
            if now != id {
                return Err(RecommenderError::PromotionRefused {
                    policy: id.to_owned(),
                    reason: format!(
                        "LIFEOS_RECOMMENDER_INCUMBENT forces {now}; the promotion is recorded \
                         and applies once that setting is removed"
                    ),
                });
            }
        }
        Ok(candidate.report(id, Role::Incumbent))
    }

    async fn require_admin(&self, user_id: Uuid) -> Result<()> {
        if self.admins.is_admin(user_id).await? {
            Ok(())
        } else {
            Err(RecommenderError::AdminRequired)
        }
    }
}

pub type SharedAdmin = Arc<Admin>;

/// One policy's figures on a log.
#[derive(Debug, Clone, PartialEq)]
struct Assessment {
    estimate: Estimate,
    /// The tips it chose itself.
    shown: u64,
    feedback_rates: FeedbackRates,
    /// The mean reward of the tips it chose itself; `None` when it chose none.
    observed_rate: Option<f64>,
}

impl Assessment {
    /// On each decision the policy scored: its own probabilities where it chose, its
    /// shadow entry elsewhere. Decisions it did not score (it failed, or did not exist
    /// yet) are left out of its estimate.
    fn of(id: &str, log: &[LoggedDecision]) -> Self {
        let samples: Vec<Sample<'_>> = log
            .iter()
            .filter_map(|d| {
                let target = if d.policy_id == id {
                    Some(&d.probabilities)
                } else {
                    d.shadow.get(id).and_then(|s| s.probabilities.as_ref())
                }?;
                Some(Sample {
                    chosen: d.chosen,
                    propensity: d.propensity,
                    reward: d.reward,
                    target,
                })
            })
            .collect();
        let own: Vec<&LoggedDecision> = log.iter().filter(|d| d.policy_id == id).collect();
        let observed_rate =
            (!own.is_empty()).then(|| own.iter().map(|d| d.reward).sum::<f64>() / own.len() as f64);
        Self {
            estimate: evaluation::estimate(&samples),
            shown: own.len() as u64,
            feedback_rates: FeedbackRates::of(own.iter().map(|d| d.feedback)),
            observed_rate,
        }
    }

    fn report(&self, id: &str, role: Role) -> PolicyReport {
        PolicyReport {
            id: id.to_owned(),
            role,
            decisions: self.estimate.decisions,
            shown: self.shown,
            feedback_rates: self.feedback_rates,
            agreement: self.estimate.agreement,
            ips: self.estimate.ips,
            snips: self.estimate.snips,
            effective_sample_size: self.estimate.effective_sample_size,
        }
    }
}

/// The promotion rule against the incumbent's observed reward rate; an incumbent that
/// chose nothing in the window (e.g. just promoted) is measured by its SNIPS estimate.
fn check(
    candidate: &Assessment,
    incumbent: &Assessment,
    thresholds: &Thresholds,
) -> std::result::Result<(), String> {
    let rate = incumbent
        .observed_rate
        .or(incumbent.estimate.snips.map(|s| s.estimate));
    evaluation::promotion(&candidate.estimate, rate, thresholds)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::admin::store::ShadowScore;
    use crate::tips::FeedbackKind;

    fn decision(
        policy: &str,
        chosen: usize,
        done: bool,
        shadow: &[(&str, Vec<f64>)],
    ) -> LoggedDecision {
        LoggedDecision {
            policy_id: policy.to_owned(),
            probabilities: vec![0.5, 0.5],
            chosen,
            propensity: 0.5,
            reward: if done { 1.0 } else { 0.0 },
            feedback: done.then_some(FeedbackKind::Done),
            shadow: shadow
                .iter()
                .map(|(id, p)| {
                    let score = ShadowScore {
                        probabilities: Some(p.clone()),
                        error: None,
                    };
                    ((*id).to_owned(), score)
                })
                .chain(std::iter::once((
                    "broken".to_owned(),
                    ShadowScore {
                        probabilities: None,
                        error: Some("timeout".into()),
                    },
                )))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn a_policy_is_judged_on_the_decisions_it_scored() {
        let log = vec![
            decision("rules-v0", 0, true, &[("first", vec![1.0, 0.0])]),
            decision("rules-v0", 1, false, &[("first", vec![1.0, 0.0])]),
            decision("first", 0, true, &[("rules-v0", vec![0.5, 0.5])]),
        ];
        let rules = Assessment::of("rules-v0", &log);
        assert_eq!(rules.estimate.decisions, 3);
        assert_eq!(rules.shown, 2);
        assert_eq!(rules.observed_rate, Some(0.5));
        assert_eq!(rules.feedback_rates.done, 0.5);
        assert_eq!(rules.feedback_rates.none, 0.5);
        // Weights 1 everywhere: IPS = mean reward = 2/3.
        assert!((rules.estimate.ips.unwrap().estimate - 2.0 / 3.0).abs() < 1e-12);

        let first = Assessment::of("first", &log);
        assert_eq!(first.estimate.decisions, 3);
        assert_eq!(first.shown, 1);
        // Its own decision carries the logged probabilities [0.5, 0.5] (weight 1); on the
        // others it weighs 2 (shown 0) and 0 (shown 1): SNIPS = (2 + 1) / 3 = 1.
        assert_eq!(first.estimate.snips.unwrap().estimate, 1.0);

        let broken = Assessment::of("broken", &log);
        assert_eq!(broken.estimate.decisions, 0);
        assert_eq!(broken.observed_rate, None);
        assert_eq!(broken.report("broken", Role::Shadow).ips, None);
    }

    #[test]
    fn an_incumbent_that_chose_nothing_is_measured_by_its_estimate() {
        let log = vec![decision("rules-v0", 0, true, &[("first", vec![1.0, 0.0])])];
        let thresholds = Thresholds {
            min_decisions: 1,
            min_agreement: 0.0,
            min_lift: 0.0,
        };
        let first = Assessment::of("first", &log);
        let rules = Assessment::of("rules-v0", &log);
        // The incumbent's observed rate is 1: nothing clears it.
        let refused = check(&first, &rules, &thresholds).unwrap_err();
        assert!(refused.starts_with("minLift"), "{refused}");
        // `first` chose nothing: its SNIPS (1) is the bar.
        let refused = check(&rules, &first, &thresholds).unwrap_err();
        assert!(refused.contains("observed reward rate 1.0000"), "{refused}");
        let nobody = Assessment::of("nobody", &log);
        assert_eq!(
            check(&first, &nobody, &thresholds).unwrap_err(),
            "minLift: the incumbent has no logged decisions to compare with"
        );
    }
}
