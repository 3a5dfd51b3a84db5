//! OAuth2 connections (authorization code with PKCE, through the `oauth2` crate): the
//! providers and their endpoints, the single-use states, the sealed tokens, refresh before
//! expiry (single-flight per connection) and revocation.

pub mod client;
pub mod http;
pub mod model;
pub mod service;
pub mod store;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A service lifeos connects to by OAuth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = integrations::Provider)]
pub enum Provider {
    Todoist,
    Google,
}

impl Provider {
    pub const ALL: [Provider; 2] = [Provider::Todoist, Provider::Google];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Todoist => "todoist",
            Provider::Google => "google",
        }
    }

    pub fn parse(text: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str() == text)
    }

    /// How a person (or a voice) names it.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Todoist => "Todoist",
            Provider::Google => "Google Calendar",
        }
    }

    /// The scopes lifeos asks for: Todoist's tasks, Google's calendar read-only.
    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Provider::Todoist => &["data:read_write"],
            Provider::Google => &["https://www.googleapis.com/auth/calendar.readonly"],
        }
    }
}

/// One provider's OAuth client and endpoints (`LIFEOS_<PROVIDER>_*`); the defaults are
/// the real providers' addresses, so tests point them at local fakes.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// `None`: the provider is listed as `not_configured`.
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub auth_url: String,
    pub token_url: String,
    /// The API's base (`https://api.todoist.com`, `https://www.googleapis.com`).
    pub api_url: String,
    /// `None`: the provider has no revocation endpoint; disconnecting deletes the tokens.
    pub revoke_url: Option<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("client_id", &self.client_id)
            .field("auth_url", &self.auth_url)
            .field("token_url", &self.token_url)
            .field("api_url", &self.api_url)
            .field("revoke_url", &self.revoke_url)
            .finish_non_exhaustive()
    }
}

impl ProviderConfig {
    /// The real provider's endpoints, without a client (not configured).
    pub fn defaults(provider: Provider) -> ProviderConfig {
        let (auth, token, api, revoke) = match provider {
            Provider::Todoist => (
                "https://todoist.com/oauth/authorize",
                "https://todoist.com/oauth/access_token",
                "https://api.todoist.com",
                "https://api.todoist.com/sync/v9/access_tokens/revoke",
            ),
            Provider::Google => (
                "https://accounts.google.com/o/oauth2/v2/auth",
                "https://oauth2.googleapis.com/token",
                "https://www.googleapis.com",
                "https://oauth2.googleapis.com/revoke",
            ),
        };
        ProviderConfig {
            client_id: None,
            client_secret: None,
            auth_url: auth.to_owned(),
            token_url: token.to_owned(),
            api_url: api.to_owned(),
            revoke_url: Some(revoke.to_owned()),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.client_id.is_some()
    }
}

/// The HTTP client every provider call uses (tokens, Todoist, Google): no redirects (a
/// provider that redirects an API call or a token request is not followed: the `oauth2`
/// crate's SSRF advice), 5 s to connect, 10 s in all.
pub fn provider_http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
}

/// What went wrong with a provider call, as a sentence without the request's URL (it can
/// carry a sync token or a task id): the one wording every provider client uses.
pub fn failure_reason(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_decode() || error.is_body() {
        "sent an unreadable answer"
    } else {
        "the request failed"
    }
}
