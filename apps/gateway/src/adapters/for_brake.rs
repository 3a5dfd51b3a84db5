//! The brake's `CalendarRefresh`, answered by integrations: before a check, a calendar
//! whose last sync is stale is synced (Google) and feeds refreshed (ICS).

use async_trait::async_trait;
use lifeos_integrations::IntegrationsState;
use lifeos_omtobe_brake::CalendarRefresh;
use uuid::Uuid;

#[derive(Clone)]
pub struct CalendarRefreshAdapter {
    integrations: IntegrationsState,
}

impl CalendarRefreshAdapter {
    pub fn new(integrations: IntegrationsState) -> Self {
        Self { integrations }
    }
}

#[async_trait]
impl CalendarRefresh for CalendarRefreshAdapter {
    async fn refresh_if_stale(&self, user_id: Uuid) {
        tokio::join!(
            self.integrations.google.refresh_if_stale(user_id),
            self.integrations.ics.refresh_if_stale(user_id),
        );
    }
}
