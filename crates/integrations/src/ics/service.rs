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

// Added by the vault/lifecycle helper for the consent withdrawal; the ICS helper may move
// the SQL into store.rs.
impl IcsFeeds {
    /// Removes every feed of the user and its events in the brake (consent withdrawn).
    pub async fn remove_all(&self, user_id: Uuid) -> crate::error::Result<()> {
        const IDS: &str = "SELECT id FROM int_ics_feeds WHERE user_id = $1";
        const DELETE: &str = "DELETE FROM int_ics_feeds WHERE user_id = $1 AND id = $2";
        let ids: Vec<Uuid> = lifeos_kernel::with_db!(&self.db, pool => {
            sqlx::query_scalar(IDS).bind(user_id).fetch_all(pool).await?
        });
        for id in ids {
            self.calendar
                .apply(
                    user_id,
                    &format!("ics:{id}:"),
                    crate::ports::CalendarChanges::Replace(Vec::new()),
                )
                .await
                .map_err(crate::error::IntegrationsError::Port)?;
            lifeos_kernel::with_writer!(&self.db, pool => {
                sqlx::query(DELETE).bind(user_id).bind(id).execute(pool).await?;
            });
        }
        Ok(())
    }
}
