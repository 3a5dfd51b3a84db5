//! The user's open Todoist tasks (short cache, ETag, 429 back-off) and closing one.
//!
//! Tasks live only in memory, per user, for as long as a decision may reuse them: the
//! issue forbids copying them into our tables. Within [`FRESH`] a decision reads the
//! cache; after it, a conditional request (`If-None-Match`) usually costs Todoist a 304.
//! A 429 stops every request for that user until its `Retry-After` passes, and the last
//! answer (or nothing) is served meanwhile.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use lifeos_kernel::{SharedClock, Timestamp};
use uuid::Uuid;

use super::client::{CloseAnswer, TasksAnswer, TodoistClient, TodoistTask};
use crate::IntegrationsConfig;
use crate::error::{IntegrationsError, Result};
use crate::oauth::Provider;
use crate::oauth::service::Connections;

/// How long an answer is served without asking Todoist again.
const FRESH: time::Duration = time::Duration::seconds(60);
/// A cached answer older than this is dropped: serving it during a back-off or an outage
/// would show tasks long done.
const KEEP: time::Duration = time::Duration::hours(1);

/// One user's last answer and back-off.
#[derive(Debug, Clone, Default)]
struct Entry {
    /// `None`: nothing fetched yet (a 429 came first).
    tasks: Option<Arc<Vec<TodoistTask>>>,
    etag: Option<String>,
    fetched_at: Option<Timestamp>,
    /// No request until then (Todoist's `Retry-After`).
    backoff_until: Option<Timestamp>,
}

impl Entry {
    fn fresh(&self, now: Timestamp) -> Option<Arc<Vec<TodoistTask>>> {
        let fetched = self.fetched_at?;
        (now.since(fetched) < FRESH).then(|| self.tasks.clone())?
    }

    fn backing_off(&self, now: Timestamp) -> Option<time::Duration> {
        let until = self.backoff_until?;
        (until > now).then(|| until.since(now))
    }

    fn served(&self) -> Vec<TodoistTask> {
        self.tasks.as_deref().cloned().unwrap_or_default()
    }

    fn stale(&self, now: Timestamp) -> bool {
        let kept = self.fetched_at.is_some_and(|at| now.since(at) < KEEP);
        !kept && self.backing_off(now).is_none()
    }
}

pub struct Todoist {
    clock: SharedClock,
    connections: Arc<Connections>,
    config: Arc<IntegrationsConfig>,
    client: Option<TodoistClient>,
    cache: Mutex<HashMap<Uuid, Entry>>,
}

fn seconds(span: time::Duration) -> u64 {
    // Rounded up: "retry in 0 seconds" would invite the request the back-off forbids.
    let whole = span.whole_seconds().max(0) as u64;
    if span.subsec_nanoseconds() > 0 {
        whole + 1
    } else {
        whole
    }
}

fn span(duration: std::time::Duration) -> time::Duration {
    time::Duration::try_from(duration).unwrap_or(time::Duration::hours(1))
}

impl Todoist {
    pub fn new(
        clock: SharedClock,
        connections: Arc<Connections>,
        config: Arc<IntegrationsConfig>,
    ) -> Self {
        let client = match TodoistClient::new() {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::error!(%error, "the Todoist client could not start; tasks are not read");
                None
            }
        };
        Self {
            clock,
            connections,
            config,
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<Uuid, Entry>> {
        // A panic while holding the lock leaves a map of plain values: still usable.
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn entry(&self, user_id: Uuid) -> Entry {
        self.cache().get(&user_id).cloned().unwrap_or_default()
    }

    fn update(&self, user_id: Uuid, now: Timestamp, change: impl FnOnce(&mut Entry)) {
        let mut cache = self.cache();
        change(cache.entry(user_id).or_default());
        cache.retain(|_, entry| !entry.stale(now));
    }

    /// Forgets the user's tasks and back-off (disconnected, refused, erased).
    pub fn forget(&self, user_id: Uuid) {
        self.cache().remove(&user_id);
    }

    fn client(&self) -> Result<&TodoistClient> {
        self.client
            .as_ref()
            .ok_or_else(|| IntegrationsError::ProviderUnavailable {
                provider: Provider::Todoist.display_name(),
                reason: "the HTTP client could not start".into(),
            })
    }

    fn api_url(&self) -> &str {
        &self.config.todoist.api_url
    }

    /// The connection is no longer accepted: it needs the person, and its tasks go.
    async fn refused(&self, user_id: Uuid) -> IntegrationsError {
        self.forget(user_id);
        if let Err(error) = self
            .connections
            .mark_refused(user_id, Provider::Todoist)
            .await
        {
            tracing::warn!(%error, "a refused Todoist connection could not be marked");
        }
        IntegrationsError::ReconnectRequired(Provider::Todoist.display_name())
    }

    /// The user's open tasks. `NotConnected` / `ReconnectRequired` /
    /// `ProviderNotConfigured` when there is nothing to read; during a back-off or an
    /// outage, the last answer (empty when there is none).
    pub async fn open_tasks(&self, user_id: Uuid) -> Result<Vec<TodoistTask>> {
        if !self.config.todoist.is_configured() {
            return Err(IntegrationsError::ProviderNotConfigured(
                Provider::Todoist.display_name(),
            ));
        }
        // Asked every time, even with a fresh cache: a disconnected account's tasks must
        // not outlive the connection by a minute.
        let token = match self
            .connections
            .access_token(user_id, Provider::Todoist)
            .await
        {
            Ok(token) => token,
            Err(error) => {
                if matches!(
                    error,
                    IntegrationsError::NotConnected(_) | IntegrationsError::ReconnectRequired(_)
                ) {
                    self.forget(user_id);
                }
                return Err(error);
            }
        };
        let now = self.clock.now();
        let entry = self.entry(user_id);
        if let Some(tasks) = entry.fresh(now) {
            return Ok(tasks.as_ref().clone());
        }
        if entry.backing_off(now).is_some() {
            return Ok(entry.served());
        }
        let etag = entry.tasks.as_ref().and(entry.etag.as_deref());
        let answer = match self.client()?.tasks(self.api_url(), &token, etag).await {
            Ok(answer) => answer,
            Err(error) if entry.tasks.is_some() => {
                tracing::warn!(%error, "Todoist is unreachable; the last tasks are served");
                return Ok(entry.served());
            }
            Err(error) => return Err(error),
        };
        let now = self.clock.now();
        match answer {
            TasksAnswer::Tasks { tasks, etag } => {
                self.update(user_id, now, |e| {
                    e.tasks = Some(Arc::new(tasks.clone()));
                    e.etag = etag;
                    e.fetched_at = Some(now);
                    e.backoff_until = None;
                });
                Ok(tasks)
            }
            TasksAnswer::NotModified => {
                self.update(user_id, now, |e| {
                    e.fetched_at = Some(now);
                    e.backoff_until = None;
                });
                Ok(entry.served())
            }
            TasksAnswer::RateLimited(wait) => {
                tracing::info!(
                    retry_after_secs = wait.as_secs(),
                    "Todoist asks us to slow down"
                );
                self.update(user_id, now, |e| e.backoff_until = Some(now + span(wait)));
                Ok(entry.served())
            }
            TasksAnswer::Refused => Err(self.refused(user_id).await),
        }
    }

    /// Closes the task at Todoist (`done` on its tip). A task Todoist does not know is
    /// `NotFound`; during a back-off nothing is sent and the answer says when to retry.
    pub async fn close(&self, user_id: Uuid, task_id: &str) -> Result<()> {
        if !self.config.todoist.is_configured() {
            return Err(IntegrationsError::ProviderNotConfigured(
                Provider::Todoist.display_name(),
            ));
        }
        let token = self
            .connections
            .access_token(user_id, Provider::Todoist)
            .await?;
        let now = self.clock.now();
        if let Some(wait) = self.entry(user_id).backing_off(now) {
            return Err(IntegrationsError::ProviderRateLimited {
                provider: Provider::Todoist.display_name(),
                retry_after_secs: seconds(wait),
            });
        }
        let answer = self
            .client()?
            .close(self.api_url(), &token, task_id)
            .await?;
        let now = self.clock.now();
        match answer {
            CloseAnswer::Closed => {
                // The cached answer no longer holds; the next decision must not offer it.
                self.update(user_id, now, |e| {
                    if let Some(tasks) = &e.tasks {
                        let open = tasks.iter().filter(|t| t.id != task_id).cloned().collect();
                        e.tasks = Some(Arc::new(open));
                    }
                    e.etag = None;
                });
                Ok(())
            }
            CloseAnswer::NotFound => Err(IntegrationsError::NotFound("Todoist task")),
            CloseAnswer::RateLimited(wait) => {
                let wait = span(wait);
                self.update(user_id, now, |e| e.backoff_until = Some(now + wait));
                Err(IntegrationsError::ProviderRateLimited {
                    provider: Provider::Todoist.display_name(),
                    retry_after_secs: seconds(wait),
                })
            }
            CloseAnswer::Refused => Err(self.refused(user_id).await),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn task(id: &str) -> TodoistTask {
        TodoistTask {
            id: id.into(),
            content: "x".into(),
            project_id: None,
            priority: 1,
            due_on: None,
        }
    }

    #[test]
    fn an_answer_is_fresh_for_a_minute_and_kept_for_an_hour() {
        let entry = Entry {
            tasks: Some(Arc::new(vec![task("1")])),
            etag: Some("\"v1\"".into()),
            fetched_at: Some(at("2026-03-10T10:00:00Z")),
            backoff_until: None,
        };
        assert!(entry.fresh(at("2026-03-10T10:00:59Z")).is_some());
        assert!(entry.fresh(at("2026-03-10T10:01:00Z")).is_none());
        assert!(!entry.stale(at("2026-03-10T10:59:59Z")));
        assert!(entry.stale(at("2026-03-10T11:00:00Z")));
    }

    #[test]
    fn a_back_off_is_kept_while_it_runs_even_without_tasks() {
        let entry = Entry {
            backoff_until: Some(at("2026-03-10T10:00:30Z")),
            ..Entry::default()
        };
        let now = at("2026-03-10T10:00:00Z");
        assert_eq!(entry.backing_off(now), Some(time::Duration::seconds(30)));
        assert!(!entry.stale(now));
        assert!(entry.served().is_empty());
        assert_eq!(entry.backing_off(at("2026-03-10T10:00:30Z")), None);
        assert!(entry.stale(at("2026-03-10T10:00:30Z")));
    }

    #[test]
    fn retry_seconds_round_up() {
        assert_eq!(seconds(time::Duration::milliseconds(1500)), 2);
        assert_eq!(seconds(time::Duration::seconds(30)), 30);
        assert_eq!(seconds(time::Duration::seconds(-3)), 0);
    }
}
