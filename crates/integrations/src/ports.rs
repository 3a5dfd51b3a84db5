//! What integrations feed into other domains, as small traits the gateway adapts: calendar
//! events and HRV samples into the brake. Integrations depend on no domain crate.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::{AppError, Timestamp};
use uuid::Uuid;

/// One calendar event as a provider or feed gave it. The brake classifies the title and
/// drops it; only the times and the high-stakes flag are stored.
#[derive(Clone, PartialEq)]
pub struct CalendarEvent {
    /// Unique within its source (`google:<event id>`, `ics:<feed id>:<uid>:<start>`).
    pub external_id: String,
    pub title: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

impl std::fmt::Debug for CalendarEvent {
    // A title may be private; logs see the times only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CalendarEvent")
            .field("external_id", &self.external_id)
            .field("starts_at", &self.starts_at)
            .field("ends_at", &self.ends_at)
            .finish_non_exhaustive()
    }
}

/// How a source's events change in the brake.
#[derive(Debug, Clone, PartialEq)]
pub enum CalendarChanges {
    /// These are all of the source's events now: the source's others are removed.
    Replace(Vec<CalendarEvent>),
    /// Upsert these, remove those (external ids): an incremental sync.
    Changes {
        upserts: Vec<CalendarEvent>,
        removed: Vec<String>,
    },
}

/// What the brake kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CalendarApplied {
    pub upserted: u32,
    pub removed: u32,
    pub high_stakes: u32,
}

#[async_trait]
pub trait CalendarSink: Send + Sync {
    /// Applies `changes` to the events whose external ids start with `source`
    /// (`google:`, `ics:<feed id>:`); every upserted id starts with it.
    async fn apply(
        &self,
        user_id: Uuid,
        source: &str,
        changes: CalendarChanges,
    ) -> Result<CalendarApplied, AppError>;
}

/// One heart-rate-variability reading (SDNN, in milliseconds) from Apple Health.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HrvSample {
    pub measured_at: Timestamp,
    pub value_ms: f64,
}

/// What the brake stored of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HrvStored {
    pub stored: u32,
    pub duplicates: u32,
}

#[async_trait]
pub trait HrvSink: Send + Sync {
    /// Stores up to [`HrvSink::MAX_BATCH`] samples as `healthkit` SDNN readings,
    /// idempotently (a reading already stored is a duplicate).
    async fn add(&self, user_id: Uuid, samples: Vec<HrvSample>) -> Result<HrvStored, AppError>;
}

impl dyn HrvSink {
    pub const MAX_BATCH: usize = 1000;
}

/// Every port, as the gateway wires them.
#[derive(Clone)]
pub struct Ports {
    pub calendar: Arc<dyn CalendarSink>,
    pub hrv: Arc<dyn HrvSink>,
    pub consent: Arc<dyn ConsentCheck>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports").finish_non_exhaustive()
    }
}
