//! Connections: connect (state + PKCE), callback (code exchange, sealed tokens), list,
//! disconnect (revoke at the provider, delete), and the live access token other modules
//! call the providers with (refreshed before expiry, single-flight per connection).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use lifeos_kernel::consent::{ConsentCheck, Purpose};
use lifeos_kernel::{Db, SharedClock, Timestamp};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::IntegrationsConfig;
use crate::error::{IntegrationsError, Result};
use crate::oauth::client::{OAuthClient, TokenFailure, Tokens};
use crate::oauth::model::{
    ConnectStarted, ConnectionStatus, Integration, IntegrationList, Outcome,
};
use crate::oauth::store::{self, ConnectionRow};
use crate::oauth::{Provider, ProviderConfig};
use crate::vault::{Binding, Secret, Vault};

/// How long an authorization in flight is accepted.
const STATE_TTL_MINUTES: i64 = 10;
/// A token expiring within this is refreshed first (a request in flight must not see
/// it lapse).
const REFRESH_MARGIN_SECONDS: i64 = 60;
/// The owner a state's sealed verifier is bound to.
const STATE_OWNER: &str = "oauth_state";

/// A calendar connection's incremental-sync cursor (Google's `syncToken`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyncState {
    pub sync_token: Option<Secret>,
    pub last_sync_at: Option<Timestamp>,
    pub last_full_sync_at: Option<Timestamp>,
}

/// How a sync ended, for the connection's `lastSyncAt` / `lastError`.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncOutcome {
    /// Synced; the new cursor (`None` keeps none), and whether it was a full sync.
    Synced {
        sync_token: Option<String>,
        full: bool,
    },
    /// Failed with a sentence a person can read (never a token).
    Failed(String),
}

type RefreshLock = Arc<tokio::sync::Mutex<()>>;

pub struct Connections {
    db: Db,
    clock: SharedClock,
    vault: Arc<Vault>,
    config: Arc<IntegrationsConfig>,
    consent: Arc<dyn ConsentCheck>,
    /// `None` only if the TLS stack could not start; every provider call then fails.
    oauth: Option<OAuthClient>,
    /// One lock per connection: the first stale caller refreshes, the others wait for it
    /// and read what it stored.
    refreshing: Mutex<HashMap<(Uuid, Provider), RefreshLock>>,
}

impl Connections {
    pub fn new(
        db: Db,
        clock: SharedClock,
        vault: Arc<Vault>,
        config: Arc<IntegrationsConfig>,
        consent: Arc<dyn ConsentCheck>,
    ) -> Self {
        let oauth = match OAuthClient::new() {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::error!(%error, "the OAuth HTTP client could not be built");
                None
            }
        };
        Self {
            db,
            clock,
            vault,
            config,
            consent,
            oauth,
            refreshing: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &IntegrationsConfig {
        &self.config
    }

    fn oauth(&self, provider: Provider) -> Result<&OAuthClient> {
        self.oauth
            .as_ref()
            .ok_or_else(|| IntegrationsError::ProviderUnavailable {
                provider: provider.as_str(),
                reason: "no HTTP client".into(),
            })
    }

    fn redirect_uri(&self, provider: Provider) -> String {
        format!(
            "{}/api/v1/integrations/{}/callback",
            self.config.public_url,
            provider.as_str()
        )
    }

    fn configured(&self, provider: Provider) -> Result<&ProviderConfig> {
        let config = self.config.provider(provider);
        if config.is_configured() {
            Ok(config)
        } else {
            Err(IntegrationsError::ProviderNotConfigured(
                provider.display_name(),
            ))
        }
    }

    async fn require_consent(&self, user_id: Uuid) -> Result<()> {
        if self
            .consent
            .is_granted(user_id, Purpose::Integrations)
            .await?
        {
            Ok(())
        } else {
            Err(IntegrationsError::ConsentRequired)
        }
    }

    /// Starts an authorization: a random single-use state (only its hash is kept) and
    /// a PKCE verifier (sealed), for 10 minutes.
    pub async fn connect(&self, user_id: Uuid, provider: Provider) -> Result<ConnectStarted> {
        self.require_consent(user_id).await?;
        let config = self.configured(provider)?;
        let authorization =
            self.oauth(provider)?
                .authorize(provider, config, &self.redirect_uri(provider))?;
        let id = lifeos_kernel::id::new_id();
        let verifier = self.vault.seal(
            authorization.verifier.expose(),
            Binding {
                user_id,
                owner: STATE_OWNER,
                row_id: id,
                column: "verifier",
            },
        )?;
        let now = self.clock.now();
        let expires_at = now + time::Duration::minutes(STATE_TTL_MINUTES);
        let state_hash = sha256_hex(authorization.state.expose());
        store::insert_state(
            &self.db,
            &store::NewState {
                id,
                user_id,
                provider: provider.as_str(),
                state_hash: &state_hash,
                verifier: &verifier,
                created_at: now,
                expires_at,
            },
        )
        .await?;
        Ok(ConnectStarted {
            authorize_url: authorization.url,
            expires_at,
        })
    }

    /// Where the browser goes after the provider sent it back: the return URL with the
    /// outcome. Nothing the provider said (its error text, a token) goes into it.
    pub async fn callback(
        &self,
        provider: Provider,
        code: Option<&str>,
        state: Option<&str>,
        error: Option<&str>,
    ) -> String {
        let outcome = self.finish(provider, code, state, error).await;
        self.return_url(provider, outcome)
    }

    async fn finish(
        &self,
        provider: Provider,
        code: Option<&str>,
        state: Option<&str>,
        error: Option<&str>,
    ) -> Outcome {
        let now = self.clock.now();
        let spent = match state.filter(|s| !s.is_empty()) {
            Some(state) => {
                match store::consume_state(&self.db, &sha256_hex(state), provider.as_str(), now)
                    .await
                {
                    Ok(spent) => spent,
                    Err(error) => {
                        tracing::warn!(provider = provider.as_str(), %error, "an OAuth state could not be read");
                        return Outcome::Failed;
                    }
                }
            }
            None => None,
        };
        if let Some(error) = error {
            // The provider's own code (`access_denied`...) is its vocabulary; the
            // description it may add is not logged.
            let denied = error == "access_denied";
            tracing::info!(
                provider = provider.as_str(),
                refused = if denied { "access_denied" } else { "other" },
                "an authorization came back refused"
            );
            return if denied {
                Outcome::Denied
            } else {
                Outcome::Failed
            };
        }
        let Some(spent) = spent else {
            return Outcome::InvalidState;
        };
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            return Outcome::Failed;
        };
        match self.complete(provider, &spent, code, now).await {
            Ok(()) => Outcome::Connected,
            Err(error) => {
                tracing::warn!(provider = provider.as_str(), %error, "connecting failed");
                Outcome::Failed
            }
        }
    }

    async fn complete(
        &self,
        provider: Provider,
        spent: &store::SpentState,
        code: &str,
        now: Timestamp,
    ) -> Result<()> {
        let user_id = spent.user_id;
        self.require_consent(user_id).await?;
        let config = self.configured(provider)?;
        let verifier = self.vault.open(
            &spent.verifier,
            Binding {
                user_id,
                owner: STATE_OWNER,
                row_id: spent.id,
                column: "verifier",
            },
        )?;
        let tokens = self
            .oauth(provider)?
            .exchange(
                provider,
                config,
                &self.redirect_uri(provider),
                code,
                &verifier,
            )
            .await
            .map_err(|failure| unavailable(provider, failure))?;
        let id = lifeos_kernel::id::new_id();
        let access = self.seal(&tokens.access, user_id, provider, id, "access_token")?;
        let refresh = tokens
            .refresh
            .as_ref()
            .map(|r| self.seal(r, user_id, provider, id, "refresh_token"))
            .transpose()?;
        let scopes = tokens
            .scopes
            .clone()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| provider.scopes().iter().map(|s| (*s).to_owned()).collect())
            .join(" ");
        store::replace_connection(
            &self.db,
            &store::NewConnection {
                id,
                user_id,
                provider: provider.as_str(),
                scopes: &scopes,
                access_token: &access,
                refresh_token: refresh.as_deref(),
                expires_at: expiry(now, &tokens),
                now,
            },
        )
        .await?;
        Ok(())
    }

    fn return_url(&self, provider: Provider, outcome: Outcome) -> String {
        let base = &self.config.return_url;
        let pairs = [
            ("integration", provider.as_str()),
            ("outcome", outcome.as_str()),
        ];
        match url::Url::parse(base) {
            Ok(mut url) => {
                url.query_pairs_mut().extend_pairs(pairs);
                url.to_string()
            }
            Err(_) => {
                let join = if base.contains('?') { '&' } else { '?' };
                format!(
                    "{base}{join}integration={}&outcome={}",
                    provider.as_str(),
                    outcome.as_str()
                )
            }
        }
    }

    /// Every provider, connected or not, for the user.
    pub async fn list(&self, user_id: Uuid) -> Result<IntegrationList> {
        let rows = store::connections_of(&self.db, user_id).await?;
        let items = Provider::ALL
            .into_iter()
            .map(|provider| {
                let row = rows.iter().find(|r| r.provider == provider.as_str());
                let configured = self.config.provider(provider).is_configured();
                let mut item = Integration {
                    provider,
                    name: provider.display_name().to_owned(),
                    status: if configured {
                        ConnectionStatus::NotConnected
                    } else {
                        ConnectionStatus::NotConfigured
                    },
                    scopes: Vec::new(),
                    connected_at: None,
                    last_sync_at: None,
                    last_error: None,
                };
                if let (true, Some(row)) = (configured, row) {
                    item.status =
                        ConnectionStatus::parse(&row.status).unwrap_or(ConnectionStatus::Revoked);
                    item.scopes = row.scopes.split_whitespace().map(str::to_owned).collect();
                    item.connected_at = Some(row.connected_at);
                    item.last_sync_at = row.last_sync_at;
                    item.last_error.clone_from(&row.last_error);
                }
                item
            })
            .collect();
        Ok(IntegrationList { items })
    }

    /// Revokes the connection at the provider (best effort) and deletes it.
    pub async fn disconnect(&self, user_id: Uuid, provider: Provider) -> Result<()> {
        let row = store::connection(&self.db, user_id, provider.as_str())
            .await?
            .ok_or(IntegrationsError::NotFound("integration"))?;
        self.revoke(provider, &row).await;
        store::delete_connection(&self.db, user_id, provider.as_str()).await?;
        self.forget_lock(user_id, provider);
        Ok(())
    }

    /// Best effort: a provider that cannot be reached keeps a token it will let expire;
    /// ours is deleted either way.
    async fn revoke(&self, provider: Provider, row: &ConnectionRow) {
        let config = self.config.provider(provider);
        if config.revoke_url.is_none() || !config.is_configured() {
            return;
        }
        // Google revokes the whole grant through the refresh token; Todoist only knows
        // the access token.
        let (sealed, column) = match (provider, &row.refresh_token) {
            (Provider::Google, Some(refresh)) => (refresh.as_str(), "refresh_token"),
            _ => (row.access_token.as_str(), "access_token"),
        };
        let token = match self.vault.open(
            sealed,
            Binding {
                user_id: row.user_id,
                owner: provider.as_str(),
                row_id: row.id,
                column,
            },
        ) {
            Ok(token) => token,
            Err(error) => {
                tracing::warn!(provider = provider.as_str(), %error, "a token to revoke could not be opened");
                return;
            }
        };
        let Some(oauth) = self.oauth.as_ref() else {
            return;
        };
        if let Err(reason) = oauth.revoke(provider, config, &token).await {
            tracing::warn!(provider = provider.as_str(), %reason, "revoking at the provider failed");
        }
    }

    fn seal(
        &self,
        secret: &Secret,
        user_id: Uuid,
        provider: Provider,
        row_id: Uuid,
        column: &str,
    ) -> Result<String> {
        Ok(self.vault.seal(
            secret.expose(),
            Binding {
                user_id,
                owner: provider.as_str(),
                row_id,
                column,
            },
        )?)
    }

    fn open(
        &self,
        row: &ConnectionRow,
        provider: Provider,
        sealed: &str,
        column: &str,
    ) -> Result<Secret> {
        Ok(self.vault.open(
            sealed,
            Binding {
                user_id: row.user_id,
                owner: provider.as_str(),
                row_id: row.id,
                column,
            },
        )?)
    }

    fn lock_for(&self, user_id: Uuid, provider: Provider) -> RefreshLock {
        let mut locks = self
            .refreshing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.entry((user_id, provider)).or_default().clone()
    }

    fn forget_lock(&self, user_id: Uuid, provider: Provider) {
        let mut locks = self
            .refreshing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        locks.remove(&(user_id, provider));
    }

    fn is_stale(&self, row: &ConnectionRow) -> bool {
        let horizon = self.clock.now() + time::Duration::seconds(REFRESH_MARGIN_SECONDS);
        row.expires_at.is_some_and(|at| at <= horizon)
    }

    async fn live_row(&self, user_id: Uuid, provider: Provider) -> Result<ConnectionRow> {
        let row = store::connection(&self.db, user_id, provider.as_str())
            .await?
            .ok_or(IntegrationsError::NotConnected(provider.display_name()))?;
        if row.status != ConnectionStatus::Connected.as_str() {
            return Err(IntegrationsError::ReconnectRequired(
                provider.display_name(),
            ));
        }
        Ok(row)
    }

    /// A live access token for the user's connection to `provider`, refreshed first when
    /// it expires within a minute; concurrent callers share one refresh. A refresh the
    /// provider refuses (`invalid_grant`) marks the connection `refresh_failed` and
    /// answers [`IntegrationsError::ReconnectRequired`].
    pub async fn access_token(&self, user_id: Uuid, provider: Provider) -> Result<Secret> {
        let row = self.live_row(user_id, provider).await?;
        if !self.is_stale(&row) {
            return self.open(&row, provider, &row.access_token, "access_token");
        }
        let lock = self.lock_for(user_id, provider);
        let _refreshing = lock.lock().await;
        // Whoever held the lock before may have refreshed already.
        let row = self.live_row(user_id, provider).await?;
        if !self.is_stale(&row) {
            return self.open(&row, provider, &row.access_token, "access_token");
        }
        self.refresh(provider, &row).await
    }

    async fn refresh(&self, provider: Provider, row: &ConnectionRow) -> Result<Secret> {
        let Some(sealed_refresh) = row.refresh_token.as_deref() else {
            self.refused(
                row.user_id,
                provider,
                "the access expired and cannot be renewed",
            )
            .await?;
            return Err(IntegrationsError::ReconnectRequired(
                provider.display_name(),
            ));
        };
        let refresh = self.open(row, provider, sealed_refresh, "refresh_token")?;
        let config = self.configured(provider)?;
        let answer = self
            .oauth(provider)?
            .refresh(provider, config, &self.redirect_uri(provider), &refresh)
            .await;
        let tokens = match answer {
            Ok(tokens) => tokens,
            Err(TokenFailure::InvalidGrant) => {
                tracing::info!(
                    provider = provider.as_str(),
                    "a refresh was refused: reconnect needed"
                );
                self.refused(
                    row.user_id,
                    provider,
                    "the provider refused to renew the access",
                )
                .await?;
                return Err(IntegrationsError::ReconnectRequired(
                    provider.display_name(),
                ));
            }
            Err(failure) => return Err(unavailable(provider, failure)),
        };
        let now = self.clock.now();
        let access = self.seal(
            &tokens.access,
            row.user_id,
            provider,
            row.id,
            "access_token",
        )?;
        let new_refresh = tokens
            .refresh
            .as_ref()
            .map(|r| self.seal(r, row.user_id, provider, row.id, "refresh_token"))
            .transpose()?;
        store::store_refreshed(
            &self.db,
            row.id,
            &access,
            new_refresh.as_deref(),
            expiry(now, &tokens),
            now,
        )
        .await?;
        Ok(tokens.access)
    }

    async fn refused(&self, user_id: Uuid, provider: Provider, why: &str) -> Result<()> {
        let message = format!("{}: {why}; connect it again", provider.display_name());
        store::set_status(
            &self.db,
            user_id,
            provider.as_str(),
            ConnectionStatus::RefreshFailed.as_str(),
            Some(&message),
            self.clock.now(),
        )
        .await?;
        Ok(())
    }

    /// The provider refused a token that should be live (401 on its API): the
    /// connection is `refresh_failed` until the person connects again.
    pub async fn mark_refused(&self, user_id: Uuid, provider: Provider) -> Result<()> {
        self.refused(
            user_id,
            provider,
            "the provider no longer accepts the access",
        )
        .await
    }

    /// The calendar sync cursor, `None` when not connected.
    pub async fn sync_state(&self, user_id: Uuid, provider: Provider) -> Result<Option<SyncState>> {
        let Some(row) = store::connection(&self.db, user_id, provider.as_str()).await? else {
            return Ok(None);
        };
        let sync_token = row
            .sync_token
            .as_deref()
            .map(|sealed| self.open(&row, provider, sealed, "sync_token"))
            .transpose()?;
        Ok(Some(SyncState {
            sync_token,
            last_sync_at: row.last_sync_at,
            last_full_sync_at: row.last_full_sync_at,
        }))
    }

    /// Records a sync's outcome (`lastSyncAt`, `lastError`, the cursor).
    pub async fn record_sync(
        &self,
        user_id: Uuid,
        provider: Provider,
        outcome: SyncOutcome,
    ) -> Result<()> {
        let Some(row) = store::connection(&self.db, user_id, provider.as_str()).await? else {
            // Disconnected while syncing: nothing to record.
            return Ok(());
        };
        let now = self.clock.now();
        match outcome {
            SyncOutcome::Synced { sync_token, full } => {
                let sealed = sync_token
                    .map(|t| self.seal(&Secret::new(t), user_id, provider, row.id, "sync_token"))
                    .transpose()?;
                store::record_sync(
                    &self.db,
                    &store::SyncRecord {
                        id: row.id,
                        sync_token: Some(sealed.as_deref()),
                        synced_at: Some(now),
                        full_sync_at: full.then_some(now),
                        last_error: None,
                        now,
                    },
                )
                .await?;
            }
            SyncOutcome::Failed(message) => {
                store::record_sync(
                    &self.db,
                    &store::SyncRecord {
                        id: row.id,
                        sync_token: None,
                        synced_at: None,
                        full_sync_at: None,
                        last_error: Some(&message),
                        now,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Users with a `connected` connection to `provider` (the periodic jobs' list).
    pub async fn connected_users(&self, provider: Provider) -> Result<Vec<Uuid>> {
        Ok(store::users_with_status(
            &self.db,
            provider.as_str(),
            ConnectionStatus::Connected.as_str(),
        )
        .await?)
    }

    /// The user's providers whose connection is `refresh_failed` (the recommender's
    /// "reconnect" todo).
    pub async fn needing_reconnect(&self, user_id: Uuid) -> Result<Vec<Provider>> {
        let providers = store::providers_with_status(
            &self.db,
            user_id,
            ConnectionStatus::RefreshFailed.as_str(),
        )
        .await?;
        Ok(providers
            .iter()
            .filter_map(|p| Provider::parse(p))
            .collect())
    }

    /// Revokes every connection at its provider (best effort) and deletes them all:
    /// consent withdrawn, account erased.
    pub async fn disconnect_all(&self, user_id: Uuid) -> Result<()> {
        for row in store::connections_of(&self.db, user_id).await? {
            if let Some(provider) = Provider::parse(&row.provider) {
                self.revoke(provider, &row).await;
                self.forget_lock(user_id, provider);
            }
        }
        store::delete_all(&self.db, user_id).await?;
        Ok(())
    }
}

/// A token failure as the error callers see: a short reason, never the provider's body.
fn unavailable(provider: Provider, failure: TokenFailure) -> IntegrationsError {
    let reason = match failure {
        TokenFailure::InvalidGrant => "the provider refused the grant".to_owned(),
        TokenFailure::Other(reason) => reason,
    };
    IntegrationsError::ProviderUnavailable {
        provider: provider.as_str(),
        reason,
    }
}

/// When the tokens lapse (capped: a provider's absurd `expires_in` must not overflow).
fn expiry(now: Timestamp, tokens: &Tokens) -> Option<Timestamp> {
    const TEN_YEARS: i64 = 10 * 366 * 24 * 3600;
    tokens.expires_in.map(|d| {
        let seconds = i64::try_from(d.as_secs())
            .unwrap_or(TEN_YEARS)
            .min(TEN_YEARS);
        now + time::Duration::seconds(seconds)
    })
}

fn sha256_hex(text: &str) -> String {
    use std::fmt::Write;
    Sha256::digest(text.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}
