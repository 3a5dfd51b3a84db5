//! Integrations' `HrvSink`: Apple Health readings become the brake's `healthkit` SDNN
//! samples (the brake checks the health_data consent and each value).

use async_trait::async_trait;
use lifeos_integrations::ports::{HrvSample, HrvSink, HrvStored};
use lifeos_kernel::AppError;
use lifeos_omtobe_brake::SharedBrake;
use lifeos_omtobe_brake::model::{Metric, SampleInput, Source};
use uuid::Uuid;

#[derive(Clone)]
pub struct HrvAdapter {
    brake: SharedBrake,
}

impl HrvAdapter {
    pub fn new(brake: SharedBrake) -> Self {
        Self { brake }
    }
}

#[async_trait]
impl HrvSink for HrvAdapter {
    async fn add(&self, user_id: Uuid, samples: Vec<HrvSample>) -> Result<HrvStored, AppError> {
        let samples = samples
            .into_iter()
            .map(|s| SampleInput {
                measured_at: s.measured_at,
                value_ms: s.value_ms,
                metric: Metric::Sdnn,
                source: Source::Healthkit,
            })
            .collect();
        let accepted = self.brake.add_samples(user_id, samples).await?;
        Ok(HrvStored {
            stored: accepted.stored,
            duplicates: accepted.duplicates,
        })
    }
}
