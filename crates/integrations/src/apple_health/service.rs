//! Uploads and their import jobs.

use std::sync::Arc;

use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::{Db, SharedClock};

use crate::IntegrationsConfig;
use crate::ports::HrvSink;

pub struct AppleHealth {
    db: Db,
    clock: SharedClock,
    hrv: Arc<dyn HrvSink>,
    consent: Arc<dyn ConsentCheck>,
    config: Arc<IntegrationsConfig>,
}

impl AppleHealth {
    pub fn new(
        db: Db,
        clock: SharedClock,
        hrv: Arc<dyn HrvSink>,
        consent: Arc<dyn ConsentCheck>,
        config: Arc<IntegrationsConfig>,
    ) -> Self {
        Self {
            db,
            clock,
            hrv,
            consent,
            config,
        }
    }
}
