//! What the connection routes answer and take.

use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::oauth::Provider;

/// A connection's state as listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = integrations::ConnectionStatus)]
pub enum ConnectionStatus {
    Connected,
    /// The provider refused a refresh: connect again.
    RefreshFailed,
    Revoked,
    NotConnected,
    /// The server has no client id for this provider.
    NotConfigured,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectionStatus::Connected => "connected",
            ConnectionStatus::RefreshFailed => "refresh_failed",
            ConnectionStatus::Revoked => "revoked",
            ConnectionStatus::NotConnected => "not_connected",
            ConnectionStatus::NotConfigured => "not_configured",
        }
    }

    pub fn parse(text: &str) -> Option<ConnectionStatus> {
        [
            ConnectionStatus::Connected,
            ConnectionStatus::RefreshFailed,
            ConnectionStatus::Revoked,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// Where to send the browser to authorize lifeos.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = integrations::ConnectStarted)]
pub struct ConnectStarted {
    /// The provider's authorize page (state and PKCE challenge included).
    pub authorize_url: String,
    /// When the authorization stops being accepted (10 minutes).
    pub expires_at: Timestamp,
}

/// One provider's connection for the user.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = integrations::Integration)]
pub struct Integration {
    pub provider: Provider,
    pub name: String,
    pub status: ConnectionStatus,
    pub scopes: Vec<String>,
    pub connected_at: Option<Timestamp>,
    pub last_sync_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = integrations::IntegrationList)]
pub struct IntegrationList {
    pub items: Vec<Integration>,
}

/// What the provider sends the browser back with.
#[derive(Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// The provider's refusal (`access_denied`...).
    pub error: Option<String>,
}

impl std::fmt::Debug for CallbackQuery {
    // The code and state open a connection: logs see whether they came, not what they are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackQuery")
            .field("code", &self.code.as_ref().map(|_| "***"))
            .field("state", &self.state.as_ref().map(|_| "***"))
            .field("error", &self.error)
            .finish()
    }
}

/// How a callback ended, as the return URL's `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Connected,
    Denied,
    InvalidState,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Connected => "connected",
            Outcome::Denied => "denied",
            Outcome::InvalidState => "invalid_state",
            Outcome::Failed => "failed",
        }
    }
}
