//! Withdrawing the `integrations` consent disconnects everything: every OAuth connection
//! is revoked at its provider and deleted, and every ICS feed removed. Erasing the account
//! does the same first ([`Revoker`]): the provider tokens are revoked while the rows that
//! hold them still exist, then the registry deletes the rows.

use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::StoreError;
use lifeos_kernel::consent::{CONSENT_CHANGED_TOPIC, Purpose};
use lifeos_kernel::outbox::{Event, Subscriber};
use lifeos_kernel::user_data::ErasureHook;
use uuid::Uuid;

use crate::error::IntegrationsError;
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

    async fn disconnect_everything(&self, user_id: Uuid) -> Result<(), IntegrationsError> {
        self.connections.disconnect_all(user_id).await?;
        self.ics.remove_all(user_id).await
    }
}

/// Whether `event` withdraws the integrations consent, and whose.
fn withdrawn_by(event: &Event) -> Option<Uuid> {
    let withdrawn = event.topic == CONSENT_CHANGED_TOPIC
        && event.payload.0["purpose"] == Purpose::Integrations.as_str()
        && event.payload.0["granted"] == false;
    event.user_id.filter(|_| withdrawn)
}

#[async_trait]
impl Subscriber for ConsentListener {
    fn name(&self) -> &'static str {
        "integrations.consent"
    }

    async fn handle(&self, event: &Event) -> Result<(), StoreError> {
        let Some(user_id) = withdrawn_by(event) else {
            return Ok(());
        };
        match self.disconnect_everything(user_id).await {
            Ok(()) => {
                tracing::info!(user = %user_id, "integrations consent withdrawn; connections and feeds removed");
                Ok(())
            }
            // The database failed: the event is handled again (both steps are idempotent).
            Err(IntegrationsError::Store(store)) => Err(store),
            // Anything else would fail again the same way; revocation at the provider is
            // best effort inside `disconnect_all` already.
            Err(error) => {
                tracing::warn!(user = %user_id, %error, "integrations consent withdrawal incomplete");
                Ok(())
            }
        }
    }
}

/// The account erasure's first step: every connection revoked at its provider (and
/// deleted) before the registry deletes the user's rows.
pub struct Revoker {
    connections: Arc<Connections>,
}

impl Revoker {
    pub fn new(connections: Arc<Connections>) -> Self {
        Self { connections }
    }
}

#[async_trait]
impl ErasureHook for Revoker {
    async fn before_erase(&self, user_id: Uuid) {
        // Erasure goes on whatever happens here: the rows are deleted either way.
        if let Err(error) = self.connections.disconnect_all(user_id).await {
            tracing::warn!(user = %user_id, %error, "revoking provider tokens before erasure failed");
        }
    }
}
