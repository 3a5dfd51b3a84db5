//! Google Calendar API v3, the one call lifeos makes: the primary calendar's events,
//! either a full listing of a window (ending with a `nextSyncToken`) or the changes since
//! a sync token. Pages are followed here; what an answer means for the brake and the
//! connection is the service's business.

use lifeos_kernel::Timestamp;
use reqwest::StatusCode;
use serde::Deserialize;

use crate::error::{IntegrationsError, Result};
use crate::vault::Secret;

const PROVIDER: &str = "Google Calendar";
/// Google's largest page for `events.list`.
const MAX_RESULTS: &str = "250";
/// A listing longer than this many pages is refused: a calendar whose next 24 hours take
/// 10,000 events is not a person's, and a provider looping on page tokens must not keep
/// a sync (and the brake check waiting on it) busy forever.
const MAX_PAGES: usize = 40;

/// What Google says an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventStatus {
    Confirmed,
    Tentative,
    Cancelled,
}

/// One event of a listing, as much of it as the brake needs.
#[derive(Clone, PartialEq)]
pub struct GoogleEvent {
    pub id: String,
    pub status: EventStatus,
    pub summary: String,
    /// `None` for an all-day event (`date` instead of `dateTime`) or a cancelled one
    /// Google sends without times.
    pub starts_at: Option<Timestamp>,
    pub ends_at: Option<Timestamp>,
}

impl std::fmt::Debug for GoogleEvent {
    // The summary may be private; logs see the id and times only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleEvent")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("starts_at", &self.starts_at)
            .field("ends_at", &self.ends_at)
            .finish_non_exhaustive()
    }
}

impl GoogleEvent {
    /// The event's times when it is a timed (not all-day), not cancelled meeting.
    pub fn timed(&self) -> Option<(Timestamp, Timestamp)> {
        if self.status == EventStatus::Cancelled {
            return None;
        }
        match (self.starts_at, self.ends_at) {
            (Some(start), Some(end)) if end > start => Some((start, end)),
            _ => None,
        }
    }
}

/// Which events to ask for.
#[derive(Debug, Clone, Copy)]
pub enum Listing<'a> {
    /// Every (expanded) event overlapping `[from, to)`.
    Full { from: Timestamp, to: Timestamp },
    /// What changed since the listing that issued `sync_token`.
    Since { sync_token: &'a Secret },
}

/// What a whole listing (every page) answered.
#[derive(Debug)]
pub enum ListAnswer {
    Events {
        events: Vec<GoogleEvent>,
        /// The cursor for the next incremental listing (the last page carries it).
        sync_token: Option<Secret>,
    },
    /// 410: the sync token is no longer valid; list everything again.
    Gone,
    /// 401/403: the token is no longer accepted.
    Refused,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WirePage {
    #[serde(default)]
    items: Vec<WireEvent>,
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    next_sync_token: Option<String>,
}

#[derive(Deserialize)]
struct WireEvent {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    start: Option<WireTime>,
    #[serde(default)]
    end: Option<WireTime>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTime {
    /// RFC 3339 with an offset; absent for an all-day event, which has `date`.
    #[serde(default)]
    date_time: Option<String>,
}

impl From<WireEvent> for GoogleEvent {
    fn from(wire: WireEvent) -> Self {
        let status = match wire.status.as_deref() {
            Some("cancelled") => EventStatus::Cancelled,
            Some("tentative") => EventStatus::Tentative,
            // Google documents `confirmed` as the default.
            _ => EventStatus::Confirmed,
        };
        let at = |time: Option<WireTime>| {
            time.and_then(|t| t.date_time)
                .and_then(|text| Timestamp::parse(&text).ok())
        };
        GoogleEvent {
            id: wire.id,
            status,
            summary: wire.summary.unwrap_or_default(),
            starts_at: at(wire.start),
            ends_at: at(wire.end),
        }
    }
}

fn unavailable(reason: impl Into<String>) -> IntegrationsError {
    IntegrationsError::ProviderUnavailable {
        provider: PROVIDER,
        reason: reason.into(),
    }
}

/// The reason a request failed, without its URL.
fn transport(error: reqwest::Error) -> IntegrationsError {
    unavailable(crate::oauth::failure_reason(&error))
}

/// One page: its answer, or how the listing ended early.
enum PageAnswer {
    Page(WirePage),
    Gone,
    Refused,
}

pub struct GoogleClient {
    http: reqwest::Client,
}

impl GoogleClient {
    pub fn new() -> Result<Self> {
        let http = crate::oauth::provider_http_client()
            .map_err(|_| unavailable("the HTTP client could not start"))?;
        Ok(Self { http })
    }

    /// Every page of `listing` from the primary calendar.
    pub async fn events(
        &self,
        api_url: &str,
        token: &Secret,
        listing: Listing<'_>,
    ) -> Result<ListAnswer> {
        let mut events = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = match self
                .page(api_url, token, listing, page_token.as_deref())
                .await?
            {
                PageAnswer::Page(page) => page,
                PageAnswer::Gone => return Ok(ListAnswer::Gone),
                PageAnswer::Refused => return Ok(ListAnswer::Refused),
            };
            events.extend(page.items.into_iter().map(GoogleEvent::from));
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page_token = Some(next),
                None => {
                    return Ok(ListAnswer::Events {
                        events,
                        sync_token: page
                            .next_sync_token
                            .filter(|t| !t.is_empty())
                            .map(Secret::new),
                    });
                }
            }
        }
        Err(unavailable(format!(
            "listed more than {MAX_PAGES} pages of events"
        )))
    }

    async fn page(
        &self,
        api_url: &str,
        token: &Secret,
        listing: Listing<'_>,
        page_token: Option<&str>,
    ) -> Result<PageAnswer> {
        let url = format!(
            "{}/calendar/v3/calendars/primary/events",
            api_url.trim_end_matches('/')
        );
        // Recurring events come expanded into their instances, each with its own times.
        let mut query: Vec<(&str, String)> = vec![("singleEvents", "true".to_owned())];
        match listing {
            Listing::Full { from, to } => {
                query.push(("timeMin", from.to_string()));
                query.push(("timeMax", to.to_string()));
                query.push(("maxResults", MAX_RESULTS.to_owned()));
            }
            // Google refuses timeMin/timeMax with a sync token: the changes are the
            // whole calendar's, and the service keeps the window.
            Listing::Since { sync_token } => {
                query.push(("syncToken", sync_token.expose().to_owned()));
                query.push(("maxResults", MAX_RESULTS.to_owned()));
            }
        }
        if let Some(page_token) = page_token {
            query.push(("pageToken", page_token.to_owned()));
        }
        let response = self
            .http
            .get(url)
            .bearer_auth(token.expose())
            .query(&query)
            .send()
            .await
            .map_err(transport)?;
        match response.status() {
            StatusCode::GONE => Ok(PageAnswer::Gone),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(PageAnswer::Refused),
            StatusCode::TOO_MANY_REQUESTS => Err(unavailable("asked us to slow down (429)")),
            status if status.is_success() => {
                Ok(PageAnswer::Page(response.json().await.map_err(transport)?))
            }
            status => Err(unavailable(format!("answered {}", status.as_u16()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_the_v3_shape() {
        let body = r#"{
            "kind": "calendar#events",
            "nextSyncToken": "sync-1",
            "items": [
                {"id": "a1", "status": "confirmed", "summary": "Board meeting",
                 "start": {"dateTime": "2026-03-25T09:30:00+01:00", "timeZone": "Europe/Berlin"},
                 "end": {"dateTime": "2026-03-25T10:30:00+01:00"}},
                {"id": "a2", "status": "tentative", "summary": "Offsite",
                 "start": {"date": "2026-03-25"}, "end": {"date": "2026-03-26"}},
                {"id": "a3", "status": "cancelled"},
                {"id": "a4", "start": {"dateTime": "2026-03-25T12:00:00Z"},
                 "end": {"dateTime": "2026-03-25T11:00:00Z"}}
            ]
        }"#;
        let page: WirePage = serde_json::from_str(body).unwrap();
        assert_eq!(page.next_sync_token.as_deref(), Some("sync-1"));
        assert_eq!(page.next_page_token, None);
        let events: Vec<GoogleEvent> = page.items.into_iter().map(GoogleEvent::from).collect();
        let board = &events[0];
        assert_eq!(board.summary, "Board meeting");
        assert_eq!(
            board.timed(),
            Some((
                Timestamp::parse("2026-03-25T08:30:00Z").unwrap(),
                Timestamp::parse("2026-03-25T09:30:00Z").unwrap()
            ))
        );
        assert_eq!(events[1].status, EventStatus::Tentative);
        assert_eq!(events[1].timed(), None, "all-day: not a meeting");
        assert_eq!(events[2].status, EventStatus::Cancelled);
        assert_eq!(events[2].timed(), None);
        assert_eq!(events[3].status, EventStatus::Confirmed, "the default");
        assert_eq!(events[3].timed(), None, "ends before it starts");
    }

    #[test]
    fn debug_shows_no_summary() {
        let event = GoogleEvent {
            id: "x".into(),
            status: EventStatus::Confirmed,
            summary: "Private: therapy".into(),
            starts_at: None,
            ends_at: None,
        };
        assert!(!format!("{event:?}").contains("therapy"));
    }
}
