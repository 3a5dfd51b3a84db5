//! Todoist's REST API v2, the two calls lifeos makes: the open tasks (conditional on an
//! ETag) and closing one. Answers are plain outcomes; what they mean for the cache, the
//! back-off and the connection is the service's business.

use std::time::Duration;

use reqwest::{StatusCode, header};
use serde::Deserialize;
use time::Date;

use crate::error::{IntegrationsError, Result};
use crate::vault::Secret;

const PROVIDER: &str = "Todoist";
/// When Todoist says 429 without a usable `Retry-After`, this long before asking again.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);
/// A `Retry-After` beyond this is capped: a typo at the provider must not silence it for days.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// An open task, as much of it as a tip needs.
#[derive(Debug, Clone, PartialEq)]
pub struct TodoistTask {
    pub id: String,
    pub content: String,
    pub project_id: Option<String>,
    /// 1 (normal, shown as p4) to 4 (urgent, p1).
    pub priority: u8,
    pub due_on: Option<Date>,
}

/// What `GET /rest/v2/tasks` answered.
#[derive(Debug)]
pub enum TasksAnswer {
    Tasks {
        tasks: Vec<TodoistTask>,
        etag: Option<String>,
    },
    /// 304: the tasks are the ones the ETag named.
    NotModified,
    RateLimited(Duration),
    /// 401/403: the token is no longer accepted.
    Refused,
}

/// What `POST /rest/v2/tasks/{id}/close` answered.
#[derive(Debug)]
pub enum CloseAnswer {
    Closed,
    NotFound,
    RateLimited(Duration),
    Refused,
}

#[derive(Deserialize)]
struct WireTask {
    #[serde(deserialize_with = "id_text")]
    id: String,
    #[serde(default)]
    content: String,
    #[serde(default, deserialize_with = "optional_id_text")]
    project_id: Option<String>,
    #[serde(default = "normal")]
    priority: u8,
    #[serde(default)]
    due: Option<WireDue>,
}

#[derive(Deserialize)]
struct WireDue {
    /// `YYYY-MM-DD` (a timed task has its date here too, and a `datetime`).
    date: String,
}

fn normal() -> u8 {
    1
}

/// Ids are strings in v2; older answers (and some proxies) send numbers.
#[derive(Deserialize)]
#[serde(untagged)]
enum IdText {
    Text(String),
    Number(u64),
}

impl IdText {
    fn into_string(self) -> String {
        match self {
            IdText::Text(text) => text,
            IdText::Number(n) => n.to_string(),
        }
    }
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    IdText::deserialize(d).map(IdText::into_string)
}

fn optional_id_text<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    Ok(Option::<IdText>::deserialize(d)?.map(IdText::into_string))
}

fn due_date(due: Option<WireDue>) -> Option<Date> {
    let due = due?;
    let day = due.date.get(..10)?;
    Date::parse(
        day,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

impl From<WireTask> for TodoistTask {
    fn from(wire: WireTask) -> Self {
        TodoistTask {
            id: wire.id,
            content: wire.content,
            project_id: wire.project_id.filter(|p| !p.is_empty()),
            priority: wire.priority.clamp(1, 4),
            due_on: due_date(wire.due),
        }
    }
}

/// A Todoist task id as it may appear in a URL path: what Todoist issues (digits, or
/// letters and digits), nothing that could walk to another endpoint.
pub fn valid_task_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn unavailable(reason: impl Into<String>) -> IntegrationsError {
    IntegrationsError::ProviderUnavailable {
        provider: PROVIDER,
        reason: reason.into(),
    }
}

/// Seconds (what Todoist sends); an HTTP date or garbage falls back to a minute.
fn retry_after(headers: &header::HeaderMap) -> Duration {
    headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(DEFAULT_RETRY_AFTER, Duration::from_secs)
        .min(MAX_RETRY_AFTER)
}

/// The reason a request failed, without its URL.
fn transport(error: reqwest::Error) -> IntegrationsError {
    unavailable(crate::oauth::failure_reason(&error))
}

pub struct TodoistClient {
    http: reqwest::Client,
}

impl TodoistClient {
    pub fn new() -> Result<Self> {
        let http = crate::oauth::provider_http_client()
            .map_err(|_| unavailable("the HTTP client could not start"))?;
        Ok(Self { http })
    }

    /// The open tasks, or `NotModified` when `etag` still names them.
    pub async fn tasks(
        &self,
        api_url: &str,
        token: &Secret,
        etag: Option<&str>,
    ) -> Result<TasksAnswer> {
        let url = format!("{}/rest/v2/tasks", api_url.trim_end_matches('/'));
        let mut request = self.http.get(url).bearer_auth(token.expose());
        if let Some(etag) = etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        let response = request.send().await.map_err(transport)?;
        match response.status() {
            StatusCode::NOT_MODIFIED => Ok(TasksAnswer::NotModified),
            StatusCode::TOO_MANY_REQUESTS => {
                Ok(TasksAnswer::RateLimited(retry_after(response.headers())))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(TasksAnswer::Refused),
            status if status.is_success() => {
                let etag = response
                    .headers()
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let wire: Vec<WireTask> = response.json().await.map_err(transport)?;
                Ok(TasksAnswer::Tasks {
                    tasks: wire.into_iter().map(TodoistTask::from).collect(),
                    etag,
                })
            }
            status => Err(unavailable(format!("answered {}", status.as_u16()))),
        }
    }

    /// Closes (completes) the task; a recurring task moves to its next date.
    pub async fn close(&self, api_url: &str, token: &Secret, task_id: &str) -> Result<CloseAnswer> {
        if !valid_task_id(task_id) {
            return Ok(CloseAnswer::NotFound);
        }
        let url = format!(
            "{}/rest/v2/tasks/{task_id}/close",
            api_url.trim_end_matches('/')
        );
        let response = self
            .http
            .post(url)
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(transport)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(CloseAnswer::NotFound),
            StatusCode::TOO_MANY_REQUESTS => {
                Ok(CloseAnswer::RateLimited(retry_after(response.headers())))
            }
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Ok(CloseAnswer::Refused),
            status if status.is_success() => Ok(CloseAnswer::Closed),
            status => Err(unavailable(format!("answered {}", status.as_u16()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_read_the_v2_shape() {
        let body = r#"[
            {"id": "2995104339", "content": "Buy milk", "project_id": "2203306141",
             "priority": 4, "due": {"date": "2026-03-10", "string": "today", "is_recurring": false},
             "labels": [], "url": "https://todoist.com/showTask?id=2995104339"},
            {"id": 7, "content": "Call Ada", "priority": 1, "due": null},
            {"id": "8", "content": "Timed", "project_id": null, "priority": 9,
             "due": {"date": "2026-03-11T09:00:00", "datetime": "2026-03-11T09:00:00Z"}}
        ]"#;
        let wire: Vec<WireTask> = serde_json::from_str(body).unwrap();
        let tasks: Vec<TodoistTask> = wire.into_iter().map(TodoistTask::from).collect();
        assert_eq!(tasks[0].id, "2995104339");
        assert_eq!(tasks[0].project_id.as_deref(), Some("2203306141"));
        assert_eq!(tasks[0].priority, 4);
        assert_eq!(tasks[0].due_on, Some(time::macros::date!(2026 - 03 - 10)));
        assert_eq!((tasks[1].id.as_str(), tasks[1].due_on), ("7", None));
        assert_eq!(tasks[2].priority, 4, "clamped");
        assert_eq!(tasks[2].due_on, Some(time::macros::date!(2026 - 03 - 11)));
    }

    #[test]
    fn retry_after_is_seconds_capped_with_a_default() {
        let mut headers = header::HeaderMap::new();
        assert_eq!(retry_after(&headers), DEFAULT_RETRY_AFTER);
        headers.insert(header::RETRY_AFTER, "30".parse().unwrap());
        assert_eq!(retry_after(&headers), Duration::from_secs(30));
        headers.insert(header::RETRY_AFTER, "999999".parse().unwrap());
        assert_eq!(retry_after(&headers), MAX_RETRY_AFTER);
        headers.insert(
            header::RETRY_AFTER,
            "Wed, 21 Oct 2026 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), DEFAULT_RETRY_AFTER);
    }

    #[test]
    fn only_todoist_shaped_ids_reach_a_path() {
        assert!(valid_task_id("2995104339"));
        assert!(valid_task_id("6Jf8VQXxpwv56VQ7"));
        for bad in ["", "../projects", "1/close", "a?b", "x y", &"9".repeat(65)] {
            assert!(!valid_task_id(bad), "{bad}");
        }
    }
}
