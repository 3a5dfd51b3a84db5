//! Syncing a user's primary calendar into the brake: periodically and on demand.
//!
//! A full sync lists the window `[now, now + 24 h)` and replaces the user's `google:`
//! events with it; it ends with a sync token, and later syncs ask only for what changed
//! since. Google answers changes for the whole calendar (a sync token cannot be combined
//! with a time window), so each change is judged against the window here: an event in
//! it (or under way) is upserted, one that is cancelled, all-day or outside it is
//! removed (removing an id the brake never had is harmless).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use lifeos_kernel::{Db, SharedClock, Timestamp};
use time::Duration;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::IntegrationsConfig;
use crate::error::{IntegrationsError, Result};
use crate::google::client::{GoogleClient, GoogleEvent, ListAnswer, Listing};
use crate::oauth::Provider;
use crate::oauth::service::{Connections, SyncOutcome, SyncState};
use crate::ports::{CalendarChanges, CalendarEvent, CalendarSink};
use crate::vault::Secret;

/// The brake source every Google event's external id starts with.
pub const SOURCE: &str = "google:";
/// How far ahead a sync looks.
const WINDOW: Duration = Duration::hours(24);
/// Incremental syncs only see events that *change*; an unchanged event that was beyond
/// the window at the last full sync never arrives on its own. So the window is listed
/// again every 12 hours: a full sync at T knows every event overlapping [T, T + 24 h),
/// and until the next one (at T + 12 h at the latest) every moment t has at least
/// [t, t + 12 h) known, so the meeting under way at any moment (what the brake asks
/// about) is always among the stored events, with half a day to spare.
const FULL_SYNC_EVERY: Duration = Duration::hours(12);
/// A sync older than this is redone before a brake check: a meeting added a few minutes
/// ago may be the one under way.
const FRESH_FOR: Duration = Duration::minutes(5);
/// The most a brake check waits for that sync; a slow Google must not stall the brake.
const REFRESH_TIMEOUT: StdDuration = StdDuration::from_secs(3);
/// The brake's limits on what it accepts of an event.
const MAX_EXTERNAL_ID_CHARS: usize = 200;
const MAX_TITLE_CHARS: usize = 1000;

/// What one sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Whether the window was listed in full (first sync, 12 hours passed, or 410).
    pub full: bool,
    pub upserted: u32,
    pub removed: u32,
    pub high_stakes: u32,
}

type UserLock = Arc<tokio::sync::Mutex<()>>;

struct Inner {
    clock: SharedClock,
    connections: Arc<Connections>,
    calendar: Arc<dyn CalendarSink>,
    config: Arc<IntegrationsConfig>,
    /// `None` only if the TLS stack could not start; every sync then fails.
    client: Option<GoogleClient>,
    /// One sync per user at a time: the periodic job and a brake check's refresh must
    /// not both spend the same sync token and race their results into the brake.
    syncing: Mutex<HashMap<Uuid, UserLock>>,
}

pub struct GoogleCalendar {
    inner: Arc<Inner>,
}

impl GoogleCalendar {
    pub fn new(
        // The sync cursor lives on the connection (`Connections`): no table of its own.
        _db: Db,
        clock: SharedClock,
        connections: Arc<Connections>,
        calendar: Arc<dyn CalendarSink>,
        config: Arc<IntegrationsConfig>,
    ) -> Self {
        let client = match GoogleClient::new() {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::error!(%error, "the Google Calendar HTTP client could not be built");
                None
            }
        };
        Self {
            inner: Arc::new(Inner {
                clock,
                connections,
                calendar,
                config,
                client,
                syncing: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Syncs the user's primary calendar into the brake and records the outcome on the
    /// connection. Not connected: [`IntegrationsError::NotConnected`]; a token Google
    /// refuses marks the connection `refresh_failed` ([`IntegrationsError::ReconnectRequired`]).
    pub async fn sync(&self, user_id: Uuid) -> Result<SyncReport> {
        self.inner.sync(user_id).await
    }

    /// The periodic sync of every connected user, every `calendar_sync_every`; `None`
    /// when Google is not configured.
    pub fn spawn_sync(&self) -> Option<JoinHandle<()>> {
        if !self.inner.config.google.is_configured() {
            return None;
        }
        let inner = self.inner.clone();
        // `interval` refuses a zero period.
        let every = inner
            .config
            .calendar_sync_every
            .max(StdDuration::from_secs(1));
        Some(tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                inner.sync_everyone().await;
            }
        }))
    }

    /// Before a brake check: syncs when the last sync is older than five minutes, within
    /// three seconds. Errors are logged and recorded on the connection, never the check's.
    pub async fn refresh_if_stale(&self, user_id: Uuid) {
        self.inner.refresh_if_stale(user_id).await;
    }
}

impl Inner {
    fn lock_for(&self, user_id: Uuid) -> UserLock {
        let mut locks = self
            .syncing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry(user_id).or_default().clone()
    }

    fn client(&self) -> Result<&GoogleClient> {
        self.client
            .as_ref()
            .ok_or_else(|| IntegrationsError::ProviderUnavailable {
                provider: Provider::Google.as_str(),
                reason: "no HTTP client".into(),
            })
    }

    async fn sync_everyone(&self) {
        let users = match self.connections.connected_users(Provider::Google).await {
            Ok(users) => users,
            Err(error) => {
                tracing::warn!(%error, "the Google Calendar users could not be listed");
                return;
            }
        };
        for user_id in users {
            match self.sync(user_id).await {
                Ok(report) => tracing::debug!(user = %user_id, ?report, "calendar synced"),
                Err(error) => {
                    tracing::warn!(user = %user_id, %error, "a calendar sync failed");
                }
            }
        }
    }

    async fn refresh_if_stale(&self, user_id: Uuid) {
        if !self.config.google.is_configured() {
            return;
        }
        match self.connections.sync_state(user_id, Provider::Google).await {
            Ok(Some(state)) if self.is_stale(&state) => {}
            Ok(_) => return,
            Err(error) => {
                tracing::warn!(user = %user_id, %error, "the calendar sync state could not be read");
                return;
            }
        }
        match tokio::time::timeout(REFRESH_TIMEOUT, self.sync_if_stale(user_id)).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => {
                tracing::info!(user = %user_id, %error, "a calendar refresh before a check failed");
            }
            Err(_) => {
                tracing::info!(user = %user_id, "a calendar refresh before a check timed out");
                let failed = SyncOutcome::Failed(format!(
                    "{} did not answer within {} seconds",
                    Provider::Google.display_name(),
                    REFRESH_TIMEOUT.as_secs()
                ));
                if let Err(error) = self
                    .connections
                    .record_sync(user_id, Provider::Google, failed)
                    .await
                {
                    tracing::warn!(user = %user_id, %error, "a calendar sync failure could not be recorded");
                }
            }
        }
    }

    fn is_stale(&self, state: &SyncState) -> bool {
        state
            .last_sync_at
            .is_none_or(|at| self.clock.now().since(at) >= FRESH_FOR)
    }

    /// Syncs unless someone else did while this caller waited for the user's lock.
    async fn sync_if_stale(&self, user_id: Uuid) -> Result<Option<SyncReport>> {
        let lock = self.lock_for(user_id);
        let _syncing = lock.lock().await;
        let state = self
            .connections
            .sync_state(user_id, Provider::Google)
            .await?
            .ok_or(IntegrationsError::NotConnected(
                Provider::Google.display_name(),
            ))?;
        if !self.is_stale(&state) {
            return Ok(None);
        }
        self.sync_locked(user_id, state).await.map(Some)
    }

    async fn sync(&self, user_id: Uuid) -> Result<SyncReport> {
        let lock = self.lock_for(user_id);
        let _syncing = lock.lock().await;
        let state = self
            .connections
            .sync_state(user_id, Provider::Google)
            .await?
            .ok_or(IntegrationsError::NotConnected(
                Provider::Google.display_name(),
            ))?;
        self.sync_locked(user_id, state).await
    }

    async fn sync_locked(&self, user_id: Uuid, state: SyncState) -> Result<SyncReport> {
        let synced = self.run(user_id, state).await;
        let outcome = match &synced {
            Ok((report, sync_token)) => SyncOutcome::Synced {
                sync_token: sync_token.as_ref().map(|t| t.expose().to_owned()),
                full: report.full,
            },
            // The connection already says why (refused, gone): a sync error would hide it.
            Err(IntegrationsError::ReconnectRequired(_) | IntegrationsError::NotConnected(_)) => {
                return synced.map(|(report, _)| report);
            }
            Err(error) => SyncOutcome::Failed(failure_sentence(error)),
        };
        self.connections
            .record_sync(user_id, Provider::Google, outcome)
            .await?;
        synced.map(|(report, _)| report)
    }

    /// One sync: incremental when a cursor exists and the last full sync is recent, in
    /// full otherwise (and when Google says the cursor expired). The new cursor with it.
    async fn run(&self, user_id: Uuid, state: SyncState) -> Result<(SyncReport, Option<Secret>)> {
        let token = self
            .connections
            .access_token(user_id, Provider::Google)
            .await?;
        let api_url = &self.config.google.api_url;
        let client = self.client()?;
        let now = self.clock.now();
        let full_due = state
            .last_full_sync_at
            .is_none_or(|at| now.since(at) >= FULL_SYNC_EVERY);
        if let (Some(sync_token), false) = (&state.sync_token, full_due) {
            match client
                .events(api_url, &token, Listing::Since { sync_token })
                .await?
            {
                ListAnswer::Events { events, sync_token } => {
                    let changes = incremental_changes(&events, now);
                    let report = self.apply(user_id, changes, false).await?;
                    return Ok((report, sync_token));
                }
                ListAnswer::Gone => {
                    tracing::info!(user = %user_id, "the calendar sync token expired: listing again");
                }
                ListAnswer::Refused => return Err(self.refused(user_id).await),
            }
        }
        let listing = Listing::Full {
            from: now,
            to: now + WINDOW,
        };
        match client.events(api_url, &token, listing).await? {
            ListAnswer::Events { events, sync_token } => {
                let changes = full_changes(&events, now);
                let report = self.apply(user_id, changes, true).await?;
                Ok((report, sync_token))
            }
            // A full listing has no token to expire; Google answering 410 anyway is a
            // fault on its side.
            ListAnswer::Gone => Err(IntegrationsError::ProviderUnavailable {
                provider: Provider::Google.as_str(),
                reason: "answered 410 to a full listing".into(),
            }),
            ListAnswer::Refused => Err(self.refused(user_id).await),
        }
    }

    async fn apply(
        &self,
        user_id: Uuid,
        changes: CalendarChanges,
        full: bool,
    ) -> Result<SyncReport> {
        let applied = self
            .calendar
            .apply(user_id, SOURCE, changes)
            .await
            .map_err(IntegrationsError::Port)?;
        Ok(SyncReport {
            full,
            upserted: applied.upserted,
            removed: applied.removed,
            high_stakes: applied.high_stakes,
        })
    }

    /// Google no longer accepts the token: the person has to connect again.
    async fn refused(&self, user_id: Uuid) -> IntegrationsError {
        tracing::info!(user = %user_id, "Google Calendar refused the access token");
        if let Err(error) = self
            .connections
            .mark_refused(user_id, Provider::Google)
            .await
        {
            return error;
        }
        IntegrationsError::ReconnectRequired(Provider::Google.display_name())
    }
}

/// What the connection's `lastError` says: the error's own sentence (never a token: the
/// client's errors carry no URL or body).
fn failure_sentence(error: &IntegrationsError) -> String {
    match error {
        IntegrationsError::Store(_) | IntegrationsError::Vault(_) => {
            "the calendar could not be saved; it is tried again shortly".to_owned()
        }
        other => other.to_string(),
    }
}

/// The brake's form of a Google event, when it is a timed meeting overlapping
/// `[now, now + 24 h)` (so one under way counts).
fn in_window(event: &GoogleEvent, now: Timestamp) -> Option<CalendarEvent> {
    let (starts_at, ends_at) = event.timed()?;
    if ends_at <= now || starts_at >= now + WINDOW {
        return None;
    }
    let external_id = format!("{SOURCE}{}", event.id);
    if event.id.trim().is_empty() || external_id.chars().count() > MAX_EXTERNAL_ID_CHARS {
        tracing::debug!("a Google event with an unusable id was skipped");
        return None;
    }
    Some(CalendarEvent {
        external_id,
        // Classified by the brake, never stored; a longer title is judged by its start.
        title: event.summary.chars().take(MAX_TITLE_CHARS).collect(),
        starts_at,
        ends_at,
    })
}

/// A full listing: exactly the window's meetings.
fn full_changes(events: &[GoogleEvent], now: Timestamp) -> CalendarChanges {
    CalendarChanges::Replace(events.iter().filter_map(|e| in_window(e, now)).collect())
}

/// An incremental listing: the window's meetings upserted, every other changed event
/// (cancelled, moved away, turned all-day) removed.
fn incremental_changes(events: &[GoogleEvent], now: Timestamp) -> CalendarChanges {
    let mut upserts = Vec::new();
    let mut removed = Vec::new();
    for event in events {
        match in_window(event, now) {
            Some(kept) => upserts.push(kept),
            None => removed.push(format!("{SOURCE}{}", event.id)),
        }
    }
    CalendarChanges::Changes { upserts, removed }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::google::client::EventStatus;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn event(id: &str, status: EventStatus, from: &str, to: &str) -> GoogleEvent {
        GoogleEvent {
            id: id.into(),
            status,
            summary: format!("title {id}"),
            starts_at: Some(at(from)),
            ends_at: Some(at(to)),
        }
    }

    const NOW: &str = "2026-03-25T08:40:00Z";

    #[test]
    fn the_window_is_the_next_24_hours_and_what_is_under_way() {
        let now = at(NOW);
        let events = [
            event(
                "under-way",
                EventStatus::Confirmed,
                "2026-03-25T08:30:00Z",
                "2026-03-25T09:30:00Z",
            ),
            event(
                "ended",
                EventStatus::Confirmed,
                "2026-03-25T07:00:00Z",
                "2026-03-25T08:40:00Z",
            ),
            event(
                "tomorrow",
                EventStatus::Tentative,
                "2026-03-26T08:39:00Z",
                "2026-03-26T09:00:00Z",
            ),
            event(
                "too-late",
                EventStatus::Confirmed,
                "2026-03-26T08:40:00Z",
                "2026-03-26T09:00:00Z",
            ),
            event(
                "cancelled",
                EventStatus::Cancelled,
                "2026-03-25T10:00:00Z",
                "2026-03-25T11:00:00Z",
            ),
            GoogleEvent {
                id: "all-day".into(),
                status: EventStatus::Confirmed,
                summary: "Holiday".into(),
                starts_at: None,
                ends_at: None,
            },
        ];
        let CalendarChanges::Replace(kept) = full_changes(&events, now) else {
            panic!("a full sync replaces");
        };
        let ids: Vec<&str> = kept.iter().map(|e| e.external_id.as_str()).collect();
        assert_eq!(ids, ["google:under-way", "google:tomorrow"]);
        assert_eq!(kept[0].title, "title under-way");

        let CalendarChanges::Changes { upserts, removed } = incremental_changes(&events, now)
        else {
            panic!("an incremental sync changes");
        };
        assert_eq!(upserts.len(), 2);
        assert_eq!(
            removed,
            [
                "google:ended",
                "google:too-late",
                "google:cancelled",
                "google:all-day"
            ]
        );
    }

    #[test]
    fn what_the_brake_would_refuse_is_trimmed_or_skipped() {
        let now = at(NOW);
        let mut long = event(
            "x",
            EventStatus::Confirmed,
            "2026-03-25T09:00:00Z",
            "2026-03-25T10:00:00Z",
        );
        long.summary = "Board ".repeat(400);
        let kept = in_window(&long, now).unwrap();
        assert_eq!(kept.title.chars().count(), MAX_TITLE_CHARS);
        long.id = "i".repeat(300);
        assert_eq!(in_window(&long, now), None);
    }
}
