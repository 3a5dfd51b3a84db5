//! The HRV baseline: count, mean and standard deviation of the samples of one
//! (metric, source) over the 7 days before now, kept up to date incrementally.
//!
//! SDNN and RMSSD are not comparable, nor are two devices' readings of the same metric,
//! so a store keeps one [`Accumulator`] per (user, metric, source) and never mixes them.
//!
//! # Keeping it up to date without rescans
//!
//! The accumulator holds exactly the stored samples whose `measured_at` is at or after a
//! *watermark* that the store keeps beside it (e.g. both in one row, the accumulator as
//! JSON). Each sample is then added once and removed once in its life, so the work is
//! O(1) per sample however long the history is:
//!
//! 1. **Insert** (in the same transaction as the sample row): a new sample whose
//!    `measured_at >= watermark` is [`Accumulator::add`]ed. When an idempotent re-send of
//!    (source, metric, measuredAt) carries a different value, the old value is
//!    [`Accumulator::remove`]d first (if it was at or after the watermark). Samples
//!    measured after now belong to no "7 days before now", so the API should refuse
//!    them (beyond a small clock skew) rather than let them into the baseline early.
//! 2. **Read** (before a check uses the baseline), with `new = window_start(now)`: if
//!    `new > watermark`, every stored sample with `watermark <= measured_at < new` (an
//!    index range scan on (user, metric, source, measured_at)) is removed, then the
//!    watermark becomes `new`. Moving the watermark only forwards is what makes this
//!    amortised O(1); if a (test) clock ever moves back so that `new < watermark`, the
//!    store rebuilds with [`Accumulator::from_samples`] from the rows in the window.
//! 3. **Consent revoked**: samples, accumulators and watermarks are deleted together.
//!
//! # Numerics
//!
//! Values are kept as whole nanoseconds (1e-6 ms, far below any device's resolution) and
//! the sums as exact integers (`i128`). Adding and removing are therefore exact inverses:
//! the accumulator after any sequence of adds and removes is *identical* to one built
//! from the remaining samples, with no drift however long the window slides, and the
//! variance comes from exact integers, so there is no cancellation either. The only error
//! is the rounding of each value to a nanosecond, at most 5e-7 ms on the mean and on the
//! standard deviation.
//!
//! The standard deviation is the *population* one (divide by n): the baseline describes
//! the person's last 7 days themselves, not an estimate of some larger population, and it
//! stays defined for a single sample.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

/// At least this many samples in the window ...
pub const MIN_SAMPLES: u32 = 5;
/// ... on at least this many distinct (UTC) days, else the brake answers
/// `insufficient_data` rather than firing on a handful of readings.
pub const MIN_DAYS: u32 = 3;
/// The baseline covers the samples of this long before now.
pub const WINDOW: Duration = Duration::days(7);
/// Largest accepted value. Real SDNN or RMSSD stays far below a few hundred ms; the cap
/// keeps the exact sums from ever overflowing.
pub const MAX_VALUE_MS: f64 = 10_000.0;

/// Nanoseconds per millisecond: the unit the sums are kept in.
const UNITS_PER_MS: f64 = 1_000_000.0;

/// Whether `count` samples on `distinct_days` days make a baseline worth comparing with.
pub fn sufficient(count: u32, distinct_days: u32) -> bool {
    count >= MIN_SAMPLES && distinct_days >= MIN_DAYS
}

/// How far `current` lies below `mean`, as a fraction of `mean`: 0.25 is 25% below, a
/// negative value means above. Without a usable mean (finite and positive) or a finite
/// `current` this is 0.0, "no drop": a brake must never fire on NaN or infinity.
pub fn drop_fraction(current: f64, mean: f64) -> f64 {
    if !(current.is_finite() && mean.is_finite() && mean > 0.0) {
        return 0.0;
    }
    (mean - current) / mean
}

/// Whether an HRV value in ms can be taken: finite, positive and at most
/// [`MAX_VALUE_MS`]. The API should validate incoming samples with this, so that
/// [`Accumulator::add`] never refuses a stored sample.
pub fn is_valid_value_ms(value_ms: f64) -> bool {
    value_ms.is_finite() && value_ms > 0.0 && value_ms <= MAX_VALUE_MS
}

/// The earliest `measured_at` inside the baseline at `now`.
pub fn window_start(now: OffsetDateTime) -> OffsetDateTime {
    now.saturating_sub(WINDOW)
}

/// Whether a sample measured at `measured_at` belongs to the baseline at `now`.
pub fn in_window(measured_at: OffsetDateTime, now: OffsetDateTime) -> bool {
    window_start(now) <= measured_at && measured_at <= now
}

/// How a read brings a stored accumulator to the window at `now` (step 2 of the module
/// docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Remove the samples measured in `[from, until)`, which left the window since the
    /// watermark `from`; the watermark becomes `until`. Nothing to do if there are none.
    Evict {
        from: OffsetDateTime,
        until: OffsetDateTime,
    },
    /// Build the accumulator from the samples measured at or after `from` (the window
    /// start, which becomes the watermark): none is kept yet, or the clock went back
    /// past its watermark.
    Rebuild { from: OffsetDateTime },
}

/// What a read at `now` must do with the accumulator kept with `watermark` (`None`:
/// none is kept).
pub fn refresh(watermark: Option<OffsetDateTime>, now: OffsetDateTime) -> Refresh {
    let start = window_start(now);
    match watermark {
        Some(from) if from <= start => Refresh::Evict { from, until: start },
        _ => Refresh::Rebuild { from: start },
    }
}

/// Step 1 of the module docs: feeds a newly stored sample into the accumulator kept with
/// `watermark`. False, and the accumulator unchanged, when the sample lies before the
/// watermark (it is not one the accumulator holds) or cannot be added.
pub fn admit(accumulator: &mut Accumulator, watermark: OffsetDateTime, sample: &Sample) -> bool {
    sample.measured_at >= watermark && accumulator.add(sample).is_ok()
}

/// One HRV reading of a given (metric, source).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sample {
    #[serde(with = "time::serde::rfc3339")]
    pub measured_at: OffsetDateTime,
    pub value_ms: f64,
}

impl Sample {
    /// The day a sample counts for among the distinct days: its UTC date. UTC rather than
    /// the person's zone so that a change of zone never invalidates stored accumulators;
    /// the two differ only for samples near midnight, which can shift a night's reading
    /// by one day but not let a single day pass for three.
    pub fn day(&self) -> Date {
        self.measured_at
            .checked_to_offset(time::UtcOffset::UTC)
            .map_or_else(|| self.measured_at.date(), |utc| utc.date())
    }
}

/// The statistics of the samples in the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    pub count: u32,
    pub mean: f64,
    /// Population standard deviation, in ms.
    pub std_dev: f64,
    pub distinct_days: u32,
}

impl Baseline {
    pub fn sufficient(&self) -> bool {
        sufficient(self.count, self.distinct_days)
    }

    pub fn summary(&self) -> BaselineSummary {
        BaselineSummary {
            mean: self.mean,
            std_dev: self.std_dev,
            sufficient: self.sufficient(),
        }
    }
}

/// What the state machine needs to know of a baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BaselineSummary {
    pub mean: f64,
    pub std_dev: f64,
    pub sufficient: bool,
}

impl From<Baseline> for BaselineSummary {
    fn from(baseline: Baseline) -> Self {
        baseline.summary()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BaselineError {
    #[error("an HRV value must be a finite number of ms above 0 and at most {MAX_VALUE_MS}")]
    InvalidValue,
    /// Removing what was never added: the store and its accumulator disagree and the
    /// accumulator should be rebuilt.
    #[error("the sample is not in the accumulator")]
    NotPresent,
    #[error("too many samples in one window")]
    Overflow,
}

/// Running sums over the samples currently in the window; see the module docs.
///
/// Serialises to JSON such as
/// `{"count":2,"sum":95000000,"sumSq":4525000000000000,"days":{"2026-03-23":2}}`
/// (sums in nanoseconds and nanoseconds squared, as JSON integers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accumulator {
    count: u32,
    sum: i128,
    sum_sq: i128,
    /// Samples per UTC day, to count distinct days. At most 8 entries live at once (a
    /// 7-day window touches 8 dates), so its operations are constant-time in practice.
    days: BTreeMap<Date, u32>,
}

impl Accumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh accumulator over `samples`: the rebuild path, and the reference that the
    /// incremental one always equals.
    pub fn from_samples<'a>(
        samples: impl IntoIterator<Item = &'a Sample>,
    ) -> Result<Self, BaselineError> {
        let mut accumulator = Self::new();
        for sample in samples {
            accumulator.add(sample)?;
        }
        Ok(accumulator)
    }

    pub fn add(&mut self, sample: &Sample) -> Result<(), BaselineError> {
        let units = to_units(sample.value_ms)?;
        let count = self.count.checked_add(1).ok_or(BaselineError::Overflow)?;
        let sum = self.sum.checked_add(units).ok_or(BaselineError::Overflow)?;
        let sum_sq = units
            .checked_mul(units)
            .and_then(|sq| self.sum_sq.checked_add(sq))
            .ok_or(BaselineError::Overflow)?;
        let day = sample.day();
        let on_day = self
            .days
            .get(&day)
            .copied()
            .unwrap_or(0)
            .checked_add(1)
            .ok_or(BaselineError::Overflow)?;
        // Everything is checked before anything changes, so an error leaves it as it was.
        self.count = count;
        self.sum = sum;
        self.sum_sq = sum_sq;
        self.days.insert(day, on_day);
        Ok(())
    }

    pub fn remove(&mut self, sample: &Sample) -> Result<(), BaselineError> {
        let units = to_units(sample.value_ms)?;
        let day = sample.day();
        let on_day = self.days.get(&day).copied().unwrap_or(0);
        let square = units.checked_mul(units).ok_or(BaselineError::Overflow)?;
        // With positive values the sums can only shrink to zero: anything else means the
        // sample was never added.
        if on_day == 0 || self.count == 0 || self.sum < units || self.sum_sq < square {
            return Err(BaselineError::NotPresent);
        }
        self.count -= 1;
        self.sum -= units;
        self.sum_sq -= square;
        if on_day == 1 {
            self.days.remove(&day);
        } else {
            self.days.insert(day, on_day - 1);
        }
        Ok(())
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn distinct_days(&self) -> u32 {
        u32::try_from(self.days.len()).unwrap_or(u32::MAX)
    }

    /// The statistics, or `None` for an empty window (a mean of nothing is no baseline).
    pub fn baseline(&self) -> Option<Baseline> {
        if self.count == 0 {
            return None;
        }
        let n = i128::from(self.count);
        let mean = self.sum as f64 / n as f64 / UNITS_PER_MS;
        // n²·variance = n·Σx² − (Σx)², exact in integers; the f64 form is only a fallback
        // for windows of over a billion samples.
        let spread = n
            .checked_mul(self.sum_sq)
            .zip(self.sum.checked_mul(self.sum))
            .and_then(|(a, b)| a.checked_sub(b))
            .map(|exact| exact as f64)
            .unwrap_or_else(|| {
                let (n, sum, sum_sq) = (n as f64, self.sum as f64, self.sum_sq as f64);
                n * sum_sq - sum * sum
            });
        let variance = (spread / (n as f64 * n as f64)).max(0.0);
        Some(Baseline {
            count: self.count,
            mean,
            std_dev: variance.sqrt() / UNITS_PER_MS,
            distinct_days: self.distinct_days(),
        })
    }
}

fn to_units(value_ms: f64) -> Result<i128, BaselineError> {
    if !is_valid_value_ms(value_ms) {
        return Err(BaselineError::InvalidValue);
    }
    // In range by the check above (at most 1e10), so the cast neither saturates nor
    // truncates anything but the sub-nanosecond part.
    Ok((value_ms * UNITS_PER_MS).round() as i128)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn sample(at: OffsetDateTime, value_ms: f64) -> Sample {
        Sample {
            measured_at: at,
            value_ms,
        }
    }

    /// Mean and population standard deviation by the textbook two-pass method.
    fn two_pass(values: &[f64]) -> (f64, f64) {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        (mean, var.sqrt())
    }

    #[test]
    fn empty_window_has_no_baseline() {
        assert_eq!(Accumulator::new().baseline(), None);
        assert_eq!(Accumulator::new().distinct_days(), 0);
    }

    #[test]
    fn mean_and_population_std_dev() {
        let t = datetime!(2026-03-23 08:00 UTC);
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let samples: Vec<_> = values
            .iter()
            .enumerate()
            .map(|(i, v)| sample(t + Duration::hours(i as i64 * 12), *v))
            .collect();
        let acc = Accumulator::from_samples(&samples).unwrap();
        let b = acc.baseline().unwrap();
        assert_eq!(b.count, 8);
        assert_eq!(b.mean, 5.0);
        assert_eq!(b.std_dev, 2.0);
        assert_eq!(b.distinct_days, 4);
        assert!(b.sufficient());
    }

    #[test]
    fn single_sample_has_zero_spread() {
        let acc =
            Accumulator::from_samples(&[sample(datetime!(2026-03-23 08:00 UTC), 42.5)]).unwrap();
        let b = acc.baseline().unwrap();
        assert_eq!(
            (b.count, b.mean, b.std_dev, b.distinct_days),
            (1, 42.5, 0.0, 1)
        );
    }

    #[test]
    fn sufficiency_needs_five_samples_on_three_days() {
        assert!(!sufficient(4, 3));
        assert!(!sufficient(5, 2));
        assert!(sufficient(5, 3));
        assert!(sufficient(100, 7));

        // Five samples on two days, then one more on a third day.
        let d1 = datetime!(2026-03-23 06:00 UTC);
        let mut acc = Accumulator::new();
        for i in 0..3 {
            acc.add(&sample(d1 + Duration::minutes(i), 50.0)).unwrap();
        }
        for i in 0..2 {
            acc.add(&sample(d1 + Duration::days(1) + Duration::minutes(i), 50.0))
                .unwrap();
        }
        assert!(!acc.baseline().unwrap().sufficient());
        acc.add(&sample(d1 + Duration::days(2), 50.0)).unwrap();
        assert!(acc.baseline().unwrap().sufficient());
    }

    #[test]
    fn distinct_days_are_utc_dates() {
        let mut acc = Accumulator::new();
        // 23:30 and 00:30 in Berlin (UTC+1) on different local days but the same UTC day.
        acc.add(&sample(datetime!(2026-03-23 22:30 +01:00), 50.0))
            .unwrap();
        acc.add(&sample(datetime!(2026-03-24 00:30 +01:00), 50.0))
            .unwrap();
        assert_eq!(acc.distinct_days(), 1);
        // Across UTC midnight.
        acc.add(&sample(datetime!(2026-03-24 01:30 +01:00), 50.0))
            .unwrap();
        assert_eq!(acc.distinct_days(), 2);
    }

    #[test]
    fn remove_undoes_add_exactly() {
        let t = datetime!(2026-03-23 08:00 UTC);
        let keep = [sample(t, 48.3), sample(t + Duration::days(1), 51.7)];
        let mut acc = Accumulator::from_samples(&keep).unwrap();
        let before = acc.clone();
        let extra = sample(t + Duration::days(2), 0.1 + 0.2);
        acc.add(&extra).unwrap();
        acc.remove(&extra).unwrap();
        assert_eq!(acc, before);
        acc.remove(&keep[0]).unwrap();
        acc.remove(&keep[1]).unwrap();
        assert_eq!(acc, Accumulator::new());
        assert_eq!(acc.baseline(), None);
    }

    #[test]
    fn removing_what_was_never_added_is_refused_and_changes_nothing() {
        let t = datetime!(2026-03-23 08:00 UTC);
        let mut acc = Accumulator::from_samples(&[sample(t, 40.0)]).unwrap();
        let before = acc.clone();
        assert_eq!(
            acc.remove(&sample(t + Duration::days(1), 40.0)),
            Err(BaselineError::NotPresent)
        );
        assert_eq!(acc.remove(&sample(t, 60.0)), Err(BaselineError::NotPresent));
        assert_eq!(acc, before);
        assert_eq!(
            Accumulator::new().remove(&sample(t, 40.0)),
            Err(BaselineError::NotPresent)
        );
    }

    #[test]
    fn invalid_values_are_refused() {
        let t = datetime!(2026-03-23 08:00 UTC);
        let mut acc = Accumulator::new();
        for bad in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            -5.0,
            MAX_VALUE_MS * 1.0001,
            f64::MAX,
        ] {
            assert_eq!(acc.add(&sample(t, bad)), Err(BaselineError::InvalidValue));
            assert_eq!(
                acc.remove(&sample(t, bad)),
                Err(BaselineError::InvalidValue)
            );
            assert!(!is_valid_value_ms(bad));
        }
        assert_eq!(acc, Accumulator::new());
        assert!(is_valid_value_ms(MAX_VALUE_MS));
        assert!(is_valid_value_ms(f64::MIN_POSITIVE));
    }

    #[test]
    fn drop_fraction_is_relative_to_the_mean() {
        assert_eq!(drop_fraction(40.0, 50.0), 0.2);
        assert_eq!(drop_fraction(48.0, 60.0), 0.2);
        assert_eq!(drop_fraction(50.0, 50.0), 0.0);
        assert_eq!(drop_fraction(75.0, 50.0), -0.5);
        assert_eq!(drop_fraction(0.0, 50.0), 1.0);
    }

    #[test]
    fn drop_fraction_without_a_usable_mean_is_no_drop() {
        for (current, mean) in [
            (40.0, 0.0),
            (40.0, -50.0),
            (40.0, f64::NAN),
            (40.0, f64::INFINITY),
            (f64::NAN, 50.0),
            (f64::NEG_INFINITY, 50.0),
        ] {
            assert_eq!(drop_fraction(current, mean), 0.0);
        }
    }

    #[test]
    fn window_is_the_seven_days_before_now() {
        let now = datetime!(2026-03-30 12:00 UTC);
        assert_eq!(window_start(now), datetime!(2026-03-23 12:00 UTC));
        assert!(in_window(datetime!(2026-03-23 12:00 UTC), now));
        assert!(in_window(now, now));
        assert!(!in_window(datetime!(2026-03-23 11:59:59 UTC), now));
        assert!(!in_window(now + Duration::seconds(1), now));
        // Saturates instead of panicking at the end of time's range.
        let min = time::PrimitiveDateTime::MIN.assume_utc();
        assert_eq!(window_start(min), min);
    }

    #[test]
    fn a_read_evicts_forward_and_rebuilds_otherwise() {
        let now = datetime!(2026-03-25 09:00 UTC);
        let start = datetime!(2026-03-18 09:00 UTC);
        assert_eq!(refresh(None, now), Refresh::Rebuild { from: start });
        let earlier = datetime!(2026-03-17 00:00 UTC);
        assert_eq!(
            refresh(Some(earlier), now),
            Refresh::Evict {
                from: earlier,
                until: start
            }
        );
        assert_eq!(
            refresh(Some(start), now),
            Refresh::Evict {
                from: start,
                until: start
            }
        );
        // The clock went back past the watermark.
        let later = start + Duration::seconds(1);
        assert_eq!(refresh(Some(later), now), Refresh::Rebuild { from: start });
    }

    #[test]
    fn a_new_sample_is_admitted_from_the_watermark_on() {
        let watermark = datetime!(2026-03-18 09:00 UTC);
        let mut acc = Accumulator::new();
        assert!(!admit(
            &mut acc,
            watermark,
            &sample(watermark - Duration::seconds(1), 50.0)
        ));
        assert_eq!(acc, Accumulator::new());
        assert!(admit(&mut acc, watermark, &sample(watermark, 50.0)));
        assert!(!admit(&mut acc, watermark, &sample(watermark, f64::NAN)));
        assert_eq!(acc.count(), 1);
    }

    #[test]
    fn serialises_as_json_and_back() {
        let t = datetime!(2026-03-23 08:00 UTC);
        let acc = Accumulator::from_samples(&[sample(t, 45.0), sample(t, 50.0)]).unwrap();
        let json = serde_json::to_string(&acc).unwrap();
        assert_eq!(
            json,
            r#"{"count":2,"sum":95000000,"sumSq":4525000000000000,"days":{"2026-03-23":2}}"#
        );
        let back: Accumulator = serde_json::from_str(&json).unwrap();
        assert_eq!(back, acc);

        // Sums past i64 survive the round trip.
        let mut big = Accumulator::new();
        for i in 0..100_000 {
            big.add(&sample(t + Duration::seconds(i), MAX_VALUE_MS))
                .unwrap();
        }
        let back: Accumulator =
            serde_json::from_str(&serde_json::to_string(&big).unwrap()).unwrap();
        assert_eq!(back, big);
        assert_eq!(back.baseline().unwrap().mean, MAX_VALUE_MS);
        assert_eq!(back.baseline().unwrap().std_dev, 0.0);

        let s = sample(t, 48.25);
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            r#"{"measuredAt":"2026-03-23T08:00:00Z","valueMs":48.25}"#
        );
    }

    #[test]
    fn a_corrupt_stored_accumulator_does_not_panic() {
        let weird: Accumulator = serde_json::from_str(
            r#"{"count":3,"sum":-5,"sumSq":-170141183460469231731687303715884105728,"days":{}}"#,
        )
        .unwrap();
        let b = weird.baseline().unwrap();
        assert_eq!(b.std_dev, 0.0);
        assert_eq!(b.distinct_days, 0);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Add { minutes: i64, value_ms: f64 },
        Remove { pick: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0i64..(10 * 24 * 60), 1.0f64..300.0)
                .prop_map(|(minutes, value_ms)| Op::Add { minutes, value_ms }),
            2 => any::<usize>().prop_map(|pick| Op::Remove { pick }),
        ]
    }

    proptest! {
        #[test]
        fn incremental_equals_full_recomputation(ops in prop::collection::vec(op(), 0..200)) {
            let origin = datetime!(2026-03-20 00:00 UTC);
            let mut acc = Accumulator::new();
            let mut kept: Vec<Sample> = Vec::new();
            for op in ops {
                match op {
                    Op::Add { minutes, value_ms } => {
                        let s = sample(origin + Duration::minutes(minutes), value_ms);
                        acc.add(&s).unwrap();
                        kept.push(s);
                    }
                    Op::Remove { pick } => {
                        if kept.is_empty() {
                            continue;
                        }
                        let s = kept.swap_remove(pick % kept.len());
                        acc.remove(&s).unwrap();
                    }
                }
                // Exactly the accumulator built from scratch ...
                let fresh = Accumulator::from_samples(&kept).unwrap();
                prop_assert_eq!(&acc, &fresh);
                // ... and within 1e-6 ms of a two-pass computation on the raw values.
                match acc.baseline() {
                    None => prop_assert!(kept.is_empty()),
                    Some(b) => {
                        let values: Vec<f64> = kept.iter().map(|s| s.value_ms).collect();
                        let (mean, std_dev) = two_pass(&values);
                        prop_assert_eq!(b.count as usize, kept.len());
                        prop_assert!((b.mean - mean).abs() < 1e-6, "{} vs {}", b.mean, mean);
                        prop_assert!(
                            (b.std_dev - std_dev).abs() < 1e-6,
                            "{} vs {}", b.std_dev, std_dev
                        );
                        let mut days: Vec<Date> = kept.iter().map(Sample::day).collect();
                        days.sort();
                        days.dedup();
                        prop_assert_eq!(b.distinct_days as usize, days.len());
                    }
                }
            }
        }

        #[test]
        fn any_value_is_either_taken_or_refused(value_ms in any::<f64>()) {
            let mut acc = Accumulator::new();
            let s = sample(datetime!(2026-03-23 08:00 UTC), value_ms);
            match acc.add(&s) {
                Ok(()) => {
                    prop_assert!(is_valid_value_ms(value_ms));
                    prop_assert!(acc.baseline().is_some());
                    prop_assert_eq!(acc.remove(&s), Ok(()));
                    prop_assert_eq!(acc, Accumulator::new());
                }
                Err(e) => {
                    prop_assert_eq!(e, BaselineError::InvalidValue);
                    prop_assert_eq!(acc, Accumulator::new());
                }
            }
        }
    }
}
