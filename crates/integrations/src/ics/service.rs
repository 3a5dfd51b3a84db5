//! Adding, listing, removing and refreshing a user's ICS feeds. A feed's events reach the
//! brake as its source `ics:<feed id>:`, replaced whole on every read of the feed.

use std::sync::Arc;
use std::time::Duration;

use lifeos_kernel::consent::{ConsentCheck, Purpose};
use lifeos_kernel::{Db, SharedClock, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;
use utoipa::ToSchema;
use uuid::Uuid;

use super::fetch::{self, Fetched, Fetcher, Validators};
use super::parse;
use super::store::{self, FeedRow, NewFeed};
use crate::IntegrationsConfig;
use crate::error::{IntegrationsError, Result};
use crate::ports::{CalendarChanges, CalendarEvent, CalendarSink};
use crate::vault::{Binding, Secret, Vault};

/// At most this many feeds per person.
pub const MAX_FEEDS: usize = 20;
/// A brake check refreshes feeds not fetched for this long...
const STALE_AFTER: time::Duration = time::Duration::minutes(5);
/// ...and waits for them at most this long.
const STALE_BUDGET: Duration = Duration::from_secs(3);
/// Conditional requests only while the events came from a read this recent: the feed may
/// not change, but the 24-hour window moves, and only a read brings the instances that
/// enter it (a 304 keeps what the last read expanded).
const REEXPAND_AFTER: time::Duration = time::Duration::hours(1);
const OWNER: &str = "ics";
const URL_COLUMN: &str = "url";

/// `POST /integrations/ics-feeds`.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = integrations::NewIcsFeed)]
pub struct NewIcsFeed {
    /// The calendar's secret iCal address (`https://`, `http://` or `webcal://`).
    #[schema(
        example = "https://calendar.google.com/calendar/ical/.../basic.ics",
        max_length = 2048
    )]
    pub url: String,
}

impl std::fmt::Debug for NewIcsFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewIcsFeed { url: *** }")
    }
}

/// A feed as shown: its host only, never the address.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = integrations::IcsFeed)]
pub struct IcsFeed {
    pub id: Uuid,
    #[schema(example = "calendar.google.com")]
    pub host: String,
    pub created_at: Timestamp,
    /// The last fetch, successful or not.
    pub last_fetched_at: Option<Timestamp>,
    /// The last time the feed's events were read (a 304 keeps the previous read).
    pub last_success_at: Option<Timestamp>,
    /// Why the last fetch failed, if it did.
    pub last_error: Option<String>,
    /// Events of the next 24 hours at the last read.
    pub events: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = integrations::IcsFeedList)]
pub struct IcsFeedList {
    pub items: Vec<IcsFeed>,
}

impl From<FeedRow> for IcsFeed {
    fn from(row: FeedRow) -> Self {
        IcsFeed {
            id: row.id,
            host: row.url_host,
            created_at: row.created_at,
            last_fetched_at: row.last_fetched_at,
            last_success_at: row.last_success_at,
            last_error: row.last_error,
            events: row.events,
        }
    }
}

pub struct IcsFeeds {
    db: Db,
    clock: SharedClock,
    vault: Arc<Vault>,
    calendar: Arc<dyn CalendarSink>,
    consent: Arc<dyn ConsentCheck>,
    config: Arc<IntegrationsConfig>,
    /// `Err` holds why the HTTP client could not be built; every fetch says so.
    fetcher: Arc<std::result::Result<Fetcher, String>>,
}

fn source(feed_id: Uuid) -> String {
    format!("ics:{feed_id}:")
}

fn binding(user_id: Uuid, feed_id: Uuid) -> Binding<'static> {
    Binding {
        user_id,
        owner: OWNER,
        row_id: feed_id,
        column: URL_COLUMN,
    }
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
        let fetcher = Arc::new(Fetcher::new(&config.ics).map_err(|error| {
            tracing::error!(%error, "the ICS feed client could not be built");
            error.to_string()
        }));
        Self {
            db,
            clock,
            vault,
            calendar,
            consent,
            config,
            fetcher,
        }
    }

    fn fetcher(&self) -> Result<&Fetcher> {
        self.fetcher
            .as_ref()
            .as_ref()
            .map_err(|reason| IntegrationsError::FeedUnreachable(reason.clone()))
    }

    /// Adds a feed: fetched and parsed first, so a feed that cannot be read is refused
    /// and nothing is stored.
    pub async fn add(&self, user_id: Uuid, body: NewIcsFeed) -> Result<IcsFeed> {
        if !self
            .consent
            .is_granted(user_id, Purpose::Integrations)
            .await?
        {
            return Err(IntegrationsError::ConsentRequired);
        }
        let (url, host) = fetch::parse_url(&body.url)?;
        let url = Secret::new(url.as_str());
        let url_hash = hex(&Sha256::digest(url.expose().as_bytes()));
        let count = store::count(&self.db, user_id).await?;
        if usize::try_from(count).unwrap_or(usize::MAX) >= MAX_FEEDS {
            return Err(IntegrationsError::TooManyFeeds(MAX_FEEDS));
        }
        if store::exists(&self.db, user_id, &url_hash).await? {
            return Err(IntegrationsError::FeedExists);
        }

        let fetched = self.fetcher()?.fetch(&url, Validators::default()).await?;
        let Fetched::Body {
            text,
            etag,
            last_modified,
        } = fetched
        else {
            // A 304 to a request without validators: a broken server.
            return Err(IntegrationsError::FeedUnreachable(format!(
                "{host} answered 304 Not Modified to a first request"
            )));
        };
        let id = lifeos_kernel::id::new_id();
        let now = self.clock.now();
        let events = expand(id, text, now).await?;

        let sealed = self.vault.seal(url.expose(), binding(user_id, id))?;
        let feed = NewFeed {
            id,
            user_id,
            sealed_url: &sealed,
            url_host: &host,
            url_hash: &url_hash,
            etag: etag.as_deref(),
            last_modified: last_modified.as_deref(),
            events: i64::try_from(events.len()).unwrap_or(i64::MAX),
            at: now,
        };
        match store::insert(&self.db, &feed).await {
            Ok(()) => {}
            // Added meanwhile by a concurrent request.
            Err(error) if error.is_unique_violation() => return Err(IntegrationsError::FeedExists),
            Err(error) => return Err(error.into()),
        }
        if let Err(error) = self
            .calendar
            .apply(user_id, &source(id), CalendarChanges::Replace(events))
            .await
        {
            // Nothing stays of a feed whose events the brake refused.
            store::delete(&self.db, user_id, id).await?;
            return Err(IntegrationsError::Port(error));
        }
        tracing::info!(user = %user_id, feed = %id, %host, events = feed.events, "ICS feed added");
        let row = store::get(&self.db, user_id, id)
            .await?
            .ok_or(IntegrationsError::NotFound("calendar feed"))?;
        Ok(row.into())
    }

    pub async fn list(&self, user_id: Uuid) -> Result<IcsFeedList> {
        let rows = store::list(&self.db, user_id).await?;
        Ok(IcsFeedList {
            items: rows.into_iter().map(IcsFeed::from).collect(),
        })
    }

    /// Removes a feed and its events in the brake.
    pub async fn remove(&self, user_id: Uuid, feed_id: Uuid) -> Result<()> {
        if store::get(&self.db, user_id, feed_id).await?.is_none() {
            return Err(IntegrationsError::NotFound("calendar feed"));
        }
        self.forget(user_id, feed_id).await
    }

    /// The brake's events first: a failure leaves the feed to remove again.
    async fn forget(&self, user_id: Uuid, feed_id: Uuid) -> Result<()> {
        self.calendar
            .apply(
                user_id,
                &source(feed_id),
                CalendarChanges::Replace(Vec::new()),
            )
            .await
            .map_err(IntegrationsError::Port)?;
        store::delete(&self.db, user_id, feed_id).await?;
        Ok(())
    }

    /// Removes every feed of the user and its events in the brake (consent withdrawn).
    pub async fn remove_all(&self, user_id: Uuid) -> Result<()> {
        for feed_id in store::ids(&self.db, user_id).await? {
            self.forget(user_id, feed_id).await?;
        }
        Ok(())
    }

    /// Fetches the feed again (conditionally while its events are recent) and replaces
    /// its events in the brake; a failure is recorded on the feed (`lastError`), its
    /// events kept, and returned.
    pub async fn refresh(&self, user_id: Uuid, feed_id: Uuid) -> Result<IcsFeed> {
        let row = store::get(&self.db, user_id, feed_id)
            .await?
            .ok_or(IntegrationsError::NotFound("calendar feed"))?;
        let now = self.clock.now();
        match self.read(&row, now).await {
            Ok(()) => {}
            Err(error @ (IntegrationsError::Store(_) | IntegrationsError::Vault(_))) => {
                return Err(error);
            }
            Err(error) => {
                store::record_failure(&self.db, user_id, feed_id, &error.to_string(), now).await?;
                return Err(error);
            }
        }
        let row = store::get(&self.db, user_id, feed_id)
            .await?
            .ok_or(IntegrationsError::NotFound("calendar feed"))?;
        Ok(row.into())
    }

    async fn read(&self, row: &FeedRow, now: Timestamp) -> Result<()> {
        let url = self.vault.open(&row.url, binding(row.user_id, row.id))?;
        let recent = row
            .last_success_at
            .is_some_and(|at| at > now - REEXPAND_AFTER);
        let validators = if recent {
            Validators {
                etag: row.etag.as_deref(),
                last_modified: row.last_modified.as_deref(),
            }
        } else {
            Validators::default()
        };
        match self.fetcher()?.fetch(&url, validators).await? {
            Fetched::Unchanged => {
                store::record_unchanged(&self.db, row.user_id, row.id, now).await?;
            }
            Fetched::Body {
                text,
                etag,
                last_modified,
            } => {
                let events = expand(row.id, text, now).await?;
                let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
                self.calendar
                    .apply(
                        row.user_id,
                        &source(row.id),
                        CalendarChanges::Replace(events),
                    )
                    .await
                    .map_err(IntegrationsError::Port)?;
                store::record_read(
                    &self.db,
                    row.user_id,
                    row.id,
                    etag.as_deref(),
                    last_modified.as_deref(),
                    count,
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Every feed refreshed every `config.ics.refresh_every`.
    pub fn spawn_refresh(&self) -> Option<JoinHandle<()>> {
        let every = self.config.ics.refresh_every;
        if every.is_zero() {
            return None;
        }
        let this = IcsFeeds {
            db: self.db.clone(),
            clock: self.clock.clone(),
            vault: self.vault.clone(),
            calendar: self.calendar.clone(),
            consent: self.consent.clone(),
            config: self.config.clone(),
            fetcher: self.fetcher.clone(),
        };
        Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                this.refresh_due(every).await;
            }
        }))
    }

    /// One round of the periodic refresh: feeds not fetched for most of a period (a
    /// brake check may have just done some).
    async fn refresh_due(&self, every: Duration) {
        let slack = time::Duration::try_from(every / 2).unwrap_or(time::Duration::ZERO);
        let due = match store::all_stale(&self.db, self.clock.now() - slack).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, "listing ICS feeds to refresh failed");
                return;
            }
        };
        for (user_id, feed_id) in due {
            if let Err(error) = self.refresh(user_id, feed_id).await {
                tracing::info!(user = %user_id, feed = %feed_id, %error, "ICS feed refresh failed");
            }
        }
    }

    /// Before a brake check: refreshes the feeds last fetched more than five minutes ago,
    /// waiting at most three seconds. Errors are logged and recorded on the feed, never
    /// the check's.
    pub async fn refresh_if_stale(&self, user_id: Uuid) {
        let before = self.clock.now() - STALE_AFTER;
        let stale = match store::stale(&self.db, user_id, before).await {
            Ok(stale) => stale,
            Err(error) => {
                tracing::warn!(user = %user_id, %error, "listing stale ICS feeds failed");
                return;
            }
        };
        if stale.is_empty() {
            return;
        }
        let refreshes = stale.into_iter().map(|feed_id| async move {
            if let Err(error) = self.refresh(user_id, feed_id).await {
                tracing::info!(user = %user_id, feed = %feed_id, %error, "ICS feed refresh failed");
            }
        });
        let all = futures_util::future::join_all(refreshes);
        if tokio::time::timeout(STALE_BUDGET, all).await.is_err() {
            tracing::info!(user = %user_id, "ICS feeds still refreshing after 3 s; the check goes on");
        }
    }
}

/// Parsing and expanding is CPU work (a 5 MiB feed, recurrence rules): off the async
/// workers.
async fn expand(feed_id: Uuid, text: String, now: Timestamp) -> Result<Vec<CalendarEvent>> {
    tokio::task::spawn_blocking(move || parse::events(feed_id, &text, now))
        .await
        .map_err(|_| IntegrationsError::FeedNotCalendar("reading it failed".into()))?
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
