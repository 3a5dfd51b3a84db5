//! The user's open Todoist tasks (short cache, ETag, 429 back-off) and closing one.

use std::sync::Arc;

use lifeos_kernel::SharedClock;

use crate::IntegrationsConfig;
use crate::oauth::service::Connections;

pub struct Todoist {
    clock: SharedClock,
    connections: Arc<Connections>,
    config: Arc<IntegrationsConfig>,
}

impl Todoist {
    pub fn new(
        clock: SharedClock,
        connections: Arc<Connections>,
        config: Arc<IntegrationsConfig>,
    ) -> Self {
        Self {
            clock,
            connections,
            config,
        }
    }
}
