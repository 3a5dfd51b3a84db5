//! Off-policy evaluation, pure: how a target policy would have done on decisions another
//! policy logged, and whether that is evidence enough to promote it (ADR 0017).
//!
//! Each logged decision with a shown tip gives the propensity `p` the logging policy gave
//! the shown candidate, its index, the reward (done = 1, anything else or no feedback = 0)
//! and the target policy's probabilities over the same candidates. With the importance
//! weight `w = π(chosen) / p`:
//!
//! - IPS(π) = mean(w · r). Unbiased when every candidate the target may choose had `p > 0`
//!   (rules-v0's softmax guarantees it), but its variance grows with the weights.
//! - SNIPS(π) = Σ w · r / Σ w. Self-normalised: slightly biased, much steadier, and
//!   always within the reward range.
//!
//! Intervals are 95 % normal approximations (± 1.96 standard errors). IPS's standard
//! error is that of the mean of the per-decision terms `w · r` (population variance / n);
//! SNIPS's comes from the delta method for a ratio of means: Var ≈ Σ w²(r − SNIPS)² / (Σ w)².
//! Both are asymptotic: with few decisions, or a few huge weights (see the effective
//! sample size), they are too narrow, which is why promotion also asks for a minimum
//! number of decisions.

use serde::Serialize;
use utoipa::ToSchema;

use crate::admin::Thresholds;
use crate::policy::pick;
use crate::tips::FeedbackKind;

/// The 95 % normal quantile.
const Z95: f64 = 1.959_963_984_540_054;

/// One logged decision with a shown tip, seen from one target policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample<'a> {
    /// The index of the shown candidate.
    pub chosen: usize,
    /// The probability the logging policy gave the shown candidate (> 0).
    pub propensity: f64,
    /// 1 for done, else 0.
    pub reward: f64,
    /// The target policy's probabilities over the decision's candidates.
    pub target: &'a [f64],
}

impl Sample<'_> {
    /// `π(chosen) / p`; 0 when the target gives the shown candidate nothing (or the
    /// record is unusable: a propensity of 0 or an index out of range).
    pub fn weight(&self) -> f64 {
        match self.target.get(self.chosen) {
            Some(pi) if self.propensity > 0.0 && pi.is_finite() => pi / self.propensity,
            _ => 0.0,
        }
    }

    /// Whether the target's most probable candidate is the one shown.
    pub fn agrees(&self) -> bool {
        pick(self.target) == Some(self.chosen)
    }
}

/// An estimate with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::Interval)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

impl Interval {
    fn around(estimate: f64, standard_error: f64) -> Self {
        Self {
            estimate,
            low: estimate - Z95 * standard_error,
            high: estimate + Z95 * standard_error,
        }
    }
}

/// What the log says about one target policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Decisions the estimate rests on.
    pub decisions: u64,
    /// Share of them where the target's pick is the shown candidate (0 without decisions).
    pub agreement: f64,
    /// `None` without decisions.
    pub ips: Option<Interval>,
    /// `None` without decisions or when the target gives every shown candidate 0.
    pub snips: Option<Interval>,
    /// Kish's (Σ w)² / Σ w²: how many decisions the weighted estimate is worth.
    pub effective_sample_size: f64,
}

/// IPS, SNIPS, agreement and effective sample size of the target over `samples`.
pub fn estimate(samples: &[Sample<'_>]) -> Estimate {
    let weights: Vec<f64> = samples.iter().map(Sample::weight).collect();
    let agreeing = samples.iter().filter(|s| s.agrees()).count();
    let decisions = samples.len();
    Estimate {
        decisions: decisions as u64,
        agreement: share(agreeing, decisions),
        ips: ips(samples, &weights),
        snips: snips(samples, &weights),
        effective_sample_size: effective_sample_size(&weights),
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn ips(samples: &[Sample<'_>], weights: &[f64]) -> Option<Interval> {
    if samples.is_empty() {
        return None;
    }
    let n = samples.len() as f64;
    let terms: Vec<f64> = samples
        .iter()
        .zip(weights)
        .map(|(s, w)| w * s.reward)
        .collect();
    let mean = terms.iter().sum::<f64>() / n;
    let variance = terms.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / n;
    Some(Interval::around(mean, (variance / n).sqrt()))
}

fn snips(samples: &[Sample<'_>], weights: &[f64]) -> Option<Interval> {
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return None;
    }
    let weighted: f64 = samples.iter().zip(weights).map(|(s, w)| w * s.reward).sum();
    let estimate = weighted / total;
    let spread: f64 = samples
        .iter()
        .zip(weights)
        .map(|(s, w)| (w * (s.reward - estimate)).powi(2))
        .sum();
    Some(Interval::around(estimate, spread.sqrt() / total))
}

fn effective_sample_size(weights: &[f64]) -> f64 {
    let squares: f64 = weights.iter().map(|w| w * w).sum();
    if squares <= 0.0 {
        return 0.0;
    }
    weights.iter().sum::<f64>().powi(2) / squares
}

/// What people did with shown tips: each kind's share, and the share left without feedback.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = recommender::FeedbackRates)]
pub struct FeedbackRates {
    pub done: f64,
    pub dismissed: f64,
    pub not_now: f64,
    pub not_useful: f64,
    pub none: f64,
}

impl FeedbackRates {
    /// The shares over the given shown tips (all 0 for none).
    pub fn of(feedback: impl IntoIterator<Item = Option<FeedbackKind>>) -> Self {
        let mut counts = [0usize; 5];
        let mut total = 0;
        for kind in feedback {
            total += 1;
            let slot = match kind {
                Some(FeedbackKind::Done) => 0,
                Some(FeedbackKind::Dismissed) => 1,
                Some(FeedbackKind::NotNow) => 2,
                Some(FeedbackKind::NotUseful) => 3,
                None => 4,
            };
            counts[slot] += 1;
        }
        Self {
            done: share(counts[0], total),
            dismissed: share(counts[1], total),
            not_now: share(counts[2], total),
            not_useful: share(counts[3], total),
            none: share(counts[4], total),
        }
    }
}

/// Whether `candidate`'s estimate supports promoting it over an incumbent whose tips
/// earned `incumbent_rate` (its observed reward rate; `None` when nothing measures the
/// incumbent): `Err` with a sentence naming the first threshold that fails and the figures.
pub fn promotion(
    candidate: &Estimate,
    incumbent_rate: Option<f64>,
    thresholds: &Thresholds,
) -> Result<(), String> {
    if candidate.decisions < thresholds.min_decisions {
        return Err(format!(
            "minDecisions: the estimate rests on {} logged decisions with a shown tip, {} are needed",
            candidate.decisions, thresholds.min_decisions
        ));
    }
    if candidate.agreement < thresholds.min_agreement {
        return Err(format!(
            "minAgreement: it picks what was shown in {:.3} of the decisions, {:.3} is needed",
            candidate.agreement, thresholds.min_agreement
        ));
    }
    let Some(incumbent_rate) = incumbent_rate else {
        return Err("minLift: the incumbent has no logged decisions to compare with".to_owned());
    };
    let bar = incumbent_rate + thresholds.min_lift;
    match candidate.snips {
        Some(snips) if snips.low > bar => Ok(()),
        Some(snips) => Err(format!(
            "minLift: the lower end of its SNIPS interval, {:.4}, does not clear the incumbent's \
             observed reward rate {:.4} plus the lift {:.4} ({:.4})",
            snips.low, incumbent_rate, thresholds.min_lift, bar
        )),
        None => Err(format!(
            "minLift: it gives none of the {} shown tips any probability, so there is no SNIPS \
             estimate to compare with the incumbent's observed reward rate {:.4}",
            candidate.decisions, incumbent_rate
        )),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    // Three decisions, hand-computed:
    //   1: shown 0 with p 0.5, r 1, π = [1, 0]     -> w 2,   w·r 2
    //   2: shown 1 with p 0.25, r 0, π = [0.5, 0.5] -> w 2,   w·r 0
    //   3: shown 0 with p 0.5, r 1, π = [0.25, 0.75] -> w 0.5, w·r 0.5
    fn three() -> Vec<(usize, f64, f64, Vec<f64>)> {
        vec![
            (0, 0.5, 1.0, vec![1.0, 0.0]),
            (1, 0.25, 0.0, vec![0.5, 0.5]),
            (0, 0.5, 1.0, vec![0.25, 0.75]),
        ]
    }

    fn samples(rows: &[(usize, f64, f64, Vec<f64>)]) -> Vec<Sample<'_>> {
        rows.iter()
            .map(|(chosen, propensity, reward, target)| Sample {
                chosen: *chosen,
                propensity: *propensity,
                reward: *reward,
                target,
            })
            .collect()
    }

    #[test]
    fn ips_and_snips_by_hand() {
        let rows = three();
        let e = estimate(&samples(&rows));
        assert_eq!(e.decisions, 3);
        // IPS = (2 + 0 + 0.5) / 3 = 5/6; terms' population variance:
        // ((2 - 5/6)² + (5/6)² + (0.5 - 5/6)²) / 3 = (49/36 + 25/36 + 4/36) / 3 = 13/18;
        // se = sqrt(13/18 / 3).
        let ips = e.ips.unwrap();
        assert!(close(ips.estimate, 5.0 / 6.0));
        let se = (13.0_f64 / 54.0).sqrt();
        assert!(close(ips.low, 5.0 / 6.0 - Z95 * se));
        assert!(close(ips.high, 5.0 / 6.0 + Z95 * se));
        // SNIPS = 2.5 / 4.5 = 5/9; delta method:
        // Σ w²(r - 5/9)² = 4·(4/9)² + 4·(5/9)² + 0.25·(4/9)² = (64 + 100 + 4) / 81 = 168/81;
        // se = sqrt(168/81) / 4.5.
        let snips = e.snips.unwrap();
        assert!(close(snips.estimate, 5.0 / 9.0));
        let se = (168.0_f64 / 81.0).sqrt() / 4.5;
        assert!(close(snips.low, 5.0 / 9.0 - Z95 * se));
        assert!(close(snips.high, 5.0 / 9.0 + Z95 * se));
        // ESS = 4.5² / (4 + 4 + 0.25) = 20.25 / 8.25.
        assert!(close(e.effective_sample_size, 20.25 / 8.25));
        // Picks: 0 (agrees), 0 (ties go first; shown 1: disagrees), 1 (disagrees).
        assert!(close(e.agreement, 1.0 / 3.0));
    }

    #[test]
    fn nothing_logged_estimates_nothing() {
        let e = estimate(&[]);
        assert_eq!(e.decisions, 0);
        assert_eq!(e.ips, None);
        assert_eq!(e.snips, None);
        assert_eq!(e.agreement, 0.0);
        assert_eq!(e.effective_sample_size, 0.0);
    }

    #[test]
    fn a_target_that_never_shows_what_was_shown_has_no_snips() {
        let rows = vec![(0, 0.5, 1.0, vec![0.0, 1.0])];
        let e = estimate(&samples(&rows));
        assert_eq!(e.ips.unwrap().estimate, 0.0);
        assert_eq!(e.snips, None);
        assert_eq!(e.effective_sample_size, 0.0);
        let refused = promotion(
            &e,
            Some(0.0),
            &Thresholds {
                min_decisions: 1,
                min_agreement: 0.0,
                min_lift: 0.0,
            },
        )
        .unwrap_err();
        assert!(refused.starts_with("minLift"), "{refused}");
    }

    #[test]
    fn unusable_records_weigh_nothing() {
        let target = [1.0];
        let out_of_range = Sample {
            chosen: 3,
            propensity: 0.5,
            reward: 1.0,
            target: &target,
        };
        let no_propensity = Sample {
            propensity: 0.0,
            chosen: 0,
            ..out_of_range
        };
        assert_eq!(out_of_range.weight(), 0.0);
        assert_eq!(no_propensity.weight(), 0.0);
    }

    #[test]
    fn feedback_rates_are_shares_of_the_shown_tips() {
        let rates = FeedbackRates::of([
            Some(FeedbackKind::Done),
            Some(FeedbackKind::Done),
            Some(FeedbackKind::NotNow),
            None,
        ]);
        assert_eq!(
            rates,
            FeedbackRates {
                done: 0.5,
                dismissed: 0.0,
                not_now: 0.25,
                not_useful: 0.0,
                none: 0.25,
            }
        );
        assert_eq!(FeedbackRates::of([]), FeedbackRates::default());
    }

    fn supported(decisions: u64, agreement: f64, snips_low: f64) -> Estimate {
        let interval = Interval {
            estimate: snips_low + 0.05,
            low: snips_low,
            high: snips_low + 0.1,
        };
        Estimate {
            decisions,
            agreement,
            ips: Some(interval),
            snips: Some(interval),
            effective_sample_size: decisions as f64,
        }
    }

    #[test]
    fn promotion_names_the_failing_threshold_and_the_figures() {
        let thresholds = Thresholds {
            min_decisions: 200,
            min_agreement: 0.2,
            min_lift: 0.05,
        };
        assert_eq!(
            promotion(&supported(200, 0.2, 0.36), Some(0.3), &thresholds),
            Ok(())
        );

        let few = promotion(&supported(12, 0.9, 0.9), Some(0.3), &thresholds).unwrap_err();
        assert_eq!(
            few,
            "minDecisions: the estimate rests on 12 logged decisions with a shown tip, 200 are needed"
        );
        let apart = promotion(&supported(500, 0.1, 0.9), Some(0.3), &thresholds).unwrap_err();
        assert_eq!(
            apart,
            "minAgreement: it picks what was shown in 0.100 of the decisions, 0.200 is needed"
        );
        let flat = promotion(&supported(500, 0.5, 0.34), Some(0.3), &thresholds).unwrap_err();
        assert_eq!(
            flat,
            "minLift: the lower end of its SNIPS interval, 0.3400, does not clear the incumbent's \
             observed reward rate 0.3000 plus the lift 0.0500 (0.3500)"
        );
        assert_eq!(
            promotion(&supported(500, 0.5, 0.9), None, &thresholds).unwrap_err(),
            "minLift: the incumbent has no logged decisions to compare with"
        );
    }

    /// Decisions logged by random policies: probabilities, the drawn index, a 0/1 reward.
    fn logged() -> impl Strategy<Value = Vec<(Vec<f64>, usize, f64)>> {
        let decision = prop::collection::vec(0.01f64..1.0, 1..6).prop_flat_map(|raw| {
            let total: f64 = raw.iter().sum();
            let probabilities: Vec<f64> = raw.iter().map(|x| x / total).collect();
            let n = probabilities.len();
            (Just(probabilities), 0..n, prop::bool::ANY)
        });
        prop::collection::vec(decision, 1..60).prop_map(|rows| {
            rows.into_iter()
                .map(|(p, chosen, done)| (p, chosen, if done { 1.0 } else { 0.0 }))
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_logging_policy_is_worth_its_observed_reward(rows in logged()) {
            let samples: Vec<Sample<'_>> = rows
                .iter()
                .map(|(p, chosen, reward)| Sample {
                    chosen: *chosen,
                    propensity: p[*chosen],
                    reward: *reward,
                    target: p,
                })
                .collect();
            let observed = rows.iter().map(|(_, _, r)| r).sum::<f64>() / rows.len() as f64;
            let e = estimate(&samples);
            prop_assert!((e.ips.unwrap().estimate - observed).abs() < 1e-12);
            prop_assert_eq!(e.snips.unwrap().estimate, observed);
            prop_assert!((e.effective_sample_size - rows.len() as f64).abs() < 1e-9);
            let snips = e.snips.unwrap();
            prop_assert!(snips.low <= snips.estimate && snips.estimate <= snips.high);
        }
    }
}
