//! Syncing a user's primary calendar into the brake: periodically and on demand.

use std::sync::Arc;

use lifeos_kernel::{Db, SharedClock};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::IntegrationsConfig;
use crate::oauth::service::Connections;
use crate::ports::CalendarSink;

pub struct GoogleCalendar {
    db: Db,
    clock: SharedClock,
    connections: Arc<Connections>,
    calendar: Arc<dyn CalendarSink>,
    config: Arc<IntegrationsConfig>,
}

impl GoogleCalendar {
    pub fn new(
        db: Db,
        clock: SharedClock,
        connections: Arc<Connections>,
        calendar: Arc<dyn CalendarSink>,
        config: Arc<IntegrationsConfig>,
    ) -> Self {
        Self {
            db,
            clock,
            connections,
            calendar,
            config,
        }
    }

    /// The periodic sync of every connected user.
    pub fn spawn_sync(&self) -> Option<JoinHandle<()>> {
        None
    }

    /// Before a brake check: syncs when the last sync is older than five minutes (errors
    /// are logged and recorded on the connection, never the check's).
    pub async fn refresh_if_stale(&self, _user_id: Uuid) {}
}
