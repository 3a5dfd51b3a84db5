//! The brake's API shapes (requests and responses).

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use time::Date;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::baseline::Sample;
use crate::machine::{Decision, NextAction, Phase, Reason, ReflectionResponse, Settings};

lifeos_kernel::text_enum! {
    // Stored in `hrv_samples.metric` (no doc comment: it would change the schema).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = brake::HrvMetric)]
    pub enum Metric {
        /// Apple Watch: scattered measurements.
        Sdnn = "sdnn",
        /// Oura, Fitbit: nightly.
        Rmssd = "rmssd",
    }
}

lifeos_kernel::text_enum! {
    // Stored in `hrv_samples.source`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    #[schema(as = brake::HrvSource)]
    pub enum Source {
        Healthkit = "healthkit",
        Oura = "oura",
        Fitbit = "fitbit",
        Manual = "manual",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::HrvSample)]
pub struct SampleInput {
    pub measured_at: Timestamp,
    #[schema(exclusive_minimum = 0, maximum = 10000)]
    pub value_ms: f64,
    pub metric: Metric,
    pub source: Source,
}

impl SampleInput {
    /// The reading as the baseline takes it.
    pub fn sample(&self) -> Sample {
        Sample {
            measured_at: self.measured_at.as_offset_date_time(),
            value_ms: self.value_ms,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::HrvSamplesRequest)]
pub struct SamplesRequest {
    /// Up to 1,000 samples; a repeated (source, metric, measuredAt) is ignored.
    #[schema(max_items = 1000)]
    pub samples: Vec<SampleInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::HrvSamplesAccepted)]
pub struct SamplesAccepted {
    pub stored: u32,
    pub duplicates: u32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::CalendarEventInput)]
pub struct EventInput {
    #[schema(min_length = 1, max_length = 200)]
    pub external_id: String,
    /// Classified for high stakes, then dropped: titles are never stored.
    #[schema(max_length = 1000)]
    pub title: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::CalendarEventsRequest)]
pub struct EventsRequest {
    #[schema(max_items = 1000)]
    pub events: Vec<EventInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::CalendarEventsAccepted)]
pub struct EventsAccepted {
    pub upserted: u32,
    pub high_stakes: u32,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::CheckRequest)]
pub struct CheckRequest {
    /// A fresh measurement to judge; otherwise the latest stored one of the last hour.
    pub hrv_sample: Option<SampleInput>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::CheckResult)]
pub struct CheckView {
    pub should_display: bool,
    pub reason: Reason,
    pub event_id: Option<String>,
    pub current_day: u8,
    pub phase: Phase,
    pub hrv_current: Option<f64>,
    pub hrv_baseline_mean: Option<f64>,
    pub hrv_baseline_std_dev: Option<f64>,
    pub cooling_ends_at: Option<Timestamp>,
    pub timestamp: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::DecisionRequest)]
pub struct DecisionRequest {
    pub decision_type: Decision,
    pub event_id: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::DecisionResult)]
pub struct DecisionView {
    /// Always `decision_recorded`.
    pub status: &'static str,
    pub decision_type: Decision,
    pub timestamp: Timestamp,
    pub next_action: NextAction,
    /// When a delayed brake may show again; null after Proceed.
    pub re_trigger_time: Option<Timestamp>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::ReflectionRequest)]
pub struct ReflectionRequest {
    pub response: ReflectionResponse,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::CycleReset)]
pub struct CycleReset {
    /// Always `cycle_reset`.
    pub status: &'static str,
    /// The next local midnight, in UTC.
    pub new_cycle_start: Timestamp,
    pub current_day: u8,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::ReflectionResult)]
pub struct ReflectionView {
    /// Always `reflection_recorded`.
    pub status: &'static str,
    pub response: ReflectionResponse,
    pub timestamp: Timestamp,
    pub cycle_reset: CycleReset,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = brake::CycleRequest)]
pub struct CycleRequest {
    /// Day 1 of the cycle (local date); default today.
    #[serde(default, deserialize_with = "lifeos_kernel::date::option_in_range")]
    pub start_date: Option<Date>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::Cooling)]
pub struct CoolingView {
    pub event_id: String,
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::State)]
pub struct StateView {
    pub current_day: u8,
    pub phase: Phase,
    /// Day 1 (local date).
    pub cycle_start: Date,
    /// The cooling period in force, if any.
    pub cooling: Option<CoolingView>,
    /// Events the person chose Proceed for this cycle.
    pub locked_events: Vec<String>,
    pub should_display_reflection: bool,
    pub reflection_overdue: bool,
    pub settings: Settings,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::DecisionRecord)]
pub struct DecisionRecord {
    pub id: Uuid,
    pub decision_type: Decision,
    pub cycle_day: i32,
    pub timestamp: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = brake::ReflectionRecord)]
pub struct ReflectionRecord {
    pub id: Uuid,
    pub response: ReflectionResponse,
    pub cycle_day: i32,
    pub timestamp: Timestamp,
}
