#![doc = include_str!("../README.md")]

pub mod apple_health;
pub mod consent;
pub mod error;
pub mod google;
pub mod ics;
pub mod oauth;
pub mod ports;
pub mod rotate;
pub mod todoist;
pub mod user_data;
pub mod vault;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use lifeos_kernel::migrate::MigrationSet;
use lifeos_kernel::{Db, SharedClock};
use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;

pub use error::{CODES, IntegrationsError};
pub use user_data::TABLES;

use apple_health::service::AppleHealth;
use google::service::GoogleCalendar;
use ics::service::IcsFeeds;
use oauth::service::Connections;
use oauth::{Provider, ProviderConfig};
use ports::Ports;
use todoist::service::Todoist;
use vault::Vault;

/// ICS feed fetching (`LIFEOS_ICS_*`).
#[derive(Clone)]
pub struct IcsConfig {
    pub timeout: Duration,
    pub max_bytes: u64,
    pub max_redirects: usize,
    /// Private networks a server operator allows (`LIFEOS_ICS_ALLOW_NETWORKS`, CIDR list):
    /// a calendar server on the home network. Empty: only public addresses.
    pub allowed_networks: Vec<ics::address::Network>,
    /// How host names become addresses; the system's resolver unless a test stubs it.
    pub resolver: Arc<dyn ics::resolve::HostResolver>,
    pub refresh_every: Duration,
}

impl std::fmt::Debug for IcsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IcsConfig")
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .field("max_redirects", &self.max_redirects)
            .field("allowed_networks", &self.allowed_networks)
            .finish_non_exhaustive()
    }
}

impl Default for IcsConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_bytes: 5 * 1024 * 1024,
            max_redirects: 3,
            allowed_networks: Vec::new(),
            resolver: Arc::new(ics::resolve::SystemResolver),
            refresh_every: Duration::from_secs(15 * 60),
        }
    }
}

/// Integrations' settings, from the gateway's configuration.
#[derive(Debug, Clone)]
pub struct IntegrationsConfig {
    pub todoist: ProviderConfig,
    pub google: ProviderConfig,
    /// The server's public base URL: the OAuth redirect URI is
    /// `{public_url}/api/v1/integrations/{provider}/callback`.
    pub public_url: String,
    /// Where the callback sends the browser afterwards (`LIFEOS_INTEGRATIONS_RETURN_URL`),
    /// with `?integration=<provider>&outcome=<connected|denied|invalid_state|failed>`.
    pub return_url: String,
    pub ics: IcsConfig,
    /// Where an Apple Health upload waits for its import job (`LIFEOS_IMPORT_DIR`).
    pub import_dir: PathBuf,
    /// The largest upload accepted (2 GiB).
    pub import_max_bytes: u64,
    /// How often connected calendars are synced (5 minutes).
    pub calendar_sync_every: Duration,
}

impl IntegrationsConfig {
    pub const IMPORT_MAX_BYTES: u64 = 2 * 1024 * 1024 * 1024;

    /// No provider configured, the real providers' endpoints.
    pub fn new(public_url: &str) -> Self {
        Self {
            todoist: ProviderConfig::defaults(Provider::Todoist),
            google: ProviderConfig::defaults(Provider::Google),
            public_url: public_url.trim_end_matches('/').to_owned(),
            return_url: format!("{}/", public_url.trim_end_matches('/')),
            ics: IcsConfig::default(),
            import_dir: std::env::temp_dir().join("lifeos-imports"),
            import_max_bytes: Self::IMPORT_MAX_BYTES,
            calendar_sync_every: Duration::from_secs(5 * 60),
        }
    }

    pub fn provider(&self, provider: Provider) -> &ProviderConfig {
        match provider {
            Provider::Todoist => &self.todoist,
            Provider::Google => &self.google,
        }
    }
}

/// Integrations' services, handed to their routes by the app state.
#[derive(Clone)]
pub struct IntegrationsState {
    pub connections: Arc<Connections>,
    pub todoist: Arc<Todoist>,
    pub google: Arc<GoogleCalendar>,
    pub ics: Arc<IcsFeeds>,
    pub health: Arc<AppleHealth>,
    pub vault: Arc<Vault>,
}

impl std::fmt::Debug for IntegrationsState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationsState").finish_non_exhaustive()
    }
}

impl IntegrationsState {
    pub fn new(
        db: Db,
        clock: SharedClock,
        vault: Arc<Vault>,
        ports: Ports,
        config: IntegrationsConfig,
    ) -> Self {
        let config = Arc::new(config);
        let connections = Arc::new(Connections::new(
            db.clone(),
            clock.clone(),
            vault.clone(),
            config.clone(),
            ports.consent.clone(),
        ));
        let todoist = Arc::new(Todoist::new(
            clock.clone(),
            connections.clone(),
            config.clone(),
        ));
        let google = Arc::new(GoogleCalendar::new(
            db.clone(),
            clock.clone(),
            connections.clone(),
            ports.calendar.clone(),
            config.clone(),
        ));
        let ics = Arc::new(IcsFeeds::new(
            db.clone(),
            clock.clone(),
            vault.clone(),
            ports.calendar.clone(),
            ports.consent.clone(),
            config.clone(),
        ));
        let health = Arc::new(AppleHealth::new(
            db,
            clock,
            ports.hrv.clone(),
            ports.consent,
            config,
        ));
        Self {
            connections,
            todoist,
            google,
            ics,
            health,
            vault,
        }
    }

    /// The periodic jobs `lifeos serve` runs: calendar sync and feed refresh.
    pub fn spawn_jobs(&self) -> Vec<JoinHandle<()>> {
        let mut jobs = Vec::new();
        jobs.extend(self.google.spawn_sync());
        jobs.extend(self.ics.spawn_refresh());
        jobs
    }
}

/// The OpenAPI tags of integrations' operations: (name, description).
pub const TAGS: &[(&str, &str)] = &[(
    "integrations",
    "Connections to Todoist and Google Calendar, ICS feeds and Apple Health imports",
)];

/// Integrations' tables (they refer to users only).
pub fn migrations() -> MigrationSet {
    MigrationSet::new(
        "integrations",
        sqlx::migrate!("./migrations/sqlite"),
        sqlx::migrate!("./migrations/postgres"),
    )
}

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    IntegrationsState: FromRef<S>,
{
    OpenApiRouter::new()
        .merge(oauth::http::router())
        .merge(ics::http::router())
        .merge(apple_health::http::router())
}
