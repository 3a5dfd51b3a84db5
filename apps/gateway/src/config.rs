//! Configuration from the environment. Every variable is listed in the README.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lifeos_integrations::IntegrationsConfig;
use lifeos_integrations::ics::address::Network;
use lifeos_integrations::oauth::{Provider, ProviderConfig};
use lifeos_integrations::vault::Vault;

use crate::web::WebApp;
use lifeos_identity::RegistrationPolicy;
use lifeos_kernel::db::DEFAULT_SQLITE_URL;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    /// Local development: secrets are generated and kept under ./data.
    Dev,
    /// Production: every secret must be given.
    Prod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Where mail goes.
#[derive(Clone)]
pub enum MailTarget {
    Directory(PathBuf),
    Smtp(String),
}

impl std::fmt::Debug for MailTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailTarget::Directory(dir) => f.debug_tuple("Directory").field(dir).finish(),
            // The URL may hold SMTP credentials.
            MailTarget::Smtp(_) => f.write_str("Smtp(..)"),
        }
    }
}

#[derive(Clone)]
pub struct Config {
    pub env: Env,
    pub database_url: String,
    pub bind: SocketAddr,
    /// `LIFEOS_METRICS_BIND`: the separate listener for `/metrics` (default
    /// 127.0.0.1:9464, never the public port); `off` serves no metrics.
    pub metrics_bind: Option<SocketAddr>,
    pub public_url: String,
    /// `LIFEOS_APP_URL`: the client app; when set, mail links open it instead of this
    /// server's `/verify-email` and `/magic-link` pages.
    pub app_url: Option<String>,
    /// `LIFEOS_REGISTRATION`: open, closed or invite (default open in dev, closed in prod).
    pub registration: RegistrationPolicy,
    /// The web app served at `/`: the copy built into the binary, or `LIFEOS_WEB_DIR`'s.
    pub web: WebApp,
    pub jwt_secret: Vec<u8>,
    pub mail: MailTarget,
    pub mail_from: String,
    pub cors_origins: Vec<String>,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    pub db_max_connections: Option<u32>,
    pub trust_proxy: bool,
    pub log_format: LogFormat,
    /// `POST /brake/check` calls per user and minute.
    pub brake_checks_per_minute: u32,
    /// `POST /nodes/{id}/complete` calls per user and minute.
    pub completions_per_minute: u32,
    /// How long a live session or API key is trusted without a query
    /// (`LIFEOS_AUTH_CACHE_TTL_MS`, ADR 0012); zero asks the database on every request.
    pub auth_cache_ttl: Duration,
    /// `LIFEOS_ADMIN_EMAILS`: the accounts (comma separated) that may use `/admin/*`.
    pub admin_emails: Vec<String>,
    /// `LIFEOS_NATS_URL` (+ `_STREAM`, `_SUBJECT_PREFIX`): when set, the outbox's events
    /// are also relayed to NATS JetStream.
    pub nats: Option<NatsConfig>,
    /// The recommender: its sidecar, forced incumbent, promotion thresholds, web push.
    pub recommender: lifeos_recommender::RecommenderConfig,
    /// The token vault's keys (`LIFEOS_VAULT_KEYS`; in dev a generated ./data/vault-key).
    pub vault: Arc<Vault>,
    /// OAuth providers, ICS fetching, Apple Health uploads.
    pub integrations: IntegrationsConfig,
}

/// Where the outbox relay publishes (`apps/gateway/src/relay.rs`).
#[derive(Clone)]
pub struct NatsConfig {
    /// `LIFEOS_NATS_URL`, e.g. `nats://127.0.0.1:4222`.
    pub url: String,
    /// `LIFEOS_NATS_STREAM`: the JetStream stream, created if missing.
    pub stream: String,
    /// `LIFEOS_NATS_SUBJECT_PREFIX`: events go to `<prefix>.<topic>`.
    pub subject_prefix: String,
}

impl NatsConfig {
    pub const STREAM: &str = "LIFEOS_EVENTS";
    pub const SUBJECT_PREFIX: &str = "lifeos.events";

    /// The defaults' stream and prefix on `url`.
    pub fn new(url: impl Into<String>) -> NatsConfig {
        NatsConfig {
            url: url.into(),
            stream: Self::STREAM.to_owned(),
            subject_prefix: Self::SUBJECT_PREFIX.to_owned(),
        }
    }
}

impl std::fmt::Debug for NatsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may hold credentials (nats://user:pass@host).
        f.debug_struct("NatsConfig")
            .field("url", &redact_url(&self.url))
            .field("stream", &self.stream)
            .field("subject_prefix", &self.subject_prefix)
            .finish()
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("env", &self.env)
            .field("database", &redact_url(&self.database_url))
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("mail", &self.mail)
            .field("cors_origins", &self.cors_origins)
            .field("body_limit_bytes", &self.body_limit_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("auth_cache_ttl", &self.auth_cache_ttl)
            .finish_non_exhaustive()
    }
}

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***@{}", &url[..scheme_end], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is invalid: {reason}")]
    Invalid { name: &'static str, reason: String },
    #[error("LIFEOS_JWT_SECRET is required when LIFEOS_ENV=prod (at least 32 bytes)")]
    MissingSecret,
    #[error("LIFEOS_VAULT_KEYS is required when LIFEOS_ENV=prod (id:base64key, 32-byte keys)")]
    MissingVaultKeys,
    #[error("could not read or create the development JWT secret at {path}: {source}")]
    DevSecret {
        path: String,
        source: std::io::Error,
    },
}

pub const MIN_SECRET_BYTES: usize = 32;
const DEV_SECRET_FILE: &str = "./data/jwt-secret";
const DEV_VAULT_KEY_FILE: &str = "./data/vault-key";

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Builds the configuration from any variable source (the environment, or a map in tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = match var("LIFEOS_ENV").as_deref() {
            None | Some("dev") => Env::Dev,
            Some("prod") => Env::Prod,
            Some(other) => {
                return Err(invalid(
                    "LIFEOS_ENV",
                    format!("'{other}' (expected dev or prod)"),
                ));
            }
        };
        let bind: SocketAddr = parse(&var, "LIFEOS_BIND", "127.0.0.1:8080")?;
        let jwt_secret = match var("LIFEOS_JWT_SECRET") {
            Some(secret) if secret.len() >= MIN_SECRET_BYTES => secret.into_bytes(),
            Some(_) => {
                return Err(invalid(
                    "LIFEOS_JWT_SECRET",
                    format!("must be at least {MIN_SECRET_BYTES} bytes"),
                ));
            }
            None if env == Env::Prod => return Err(ConfigError::MissingSecret),
            None => dev_secret(Path::new(DEV_SECRET_FILE))?,
        };
        let mail = match var("LIFEOS_SMTP_URL") {
            Some(url) => MailTarget::Smtp(url),
            None => MailTarget::Directory(
                var("LIFEOS_MAIL_DIR")
                    .unwrap_or_else(|| "./data/mail".into())
                    .into(),
            ),
        };
        let log_default = if env == Env::Prod { "json" } else { "pretty" };
        let log_format = match var("LIFEOS_LOG_FORMAT").as_deref().unwrap_or(log_default) {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(invalid(
                    "LIFEOS_LOG_FORMAT",
                    format!("'{other}' (expected pretty or json)"),
                ));
            }
        };
        let public_url = var("LIFEOS_PUBLIC_URL").unwrap_or_else(|| format!("http://{bind}"));
        let vault = Arc::new(match var("LIFEOS_VAULT_KEYS") {
            Some(spec) => {
                Vault::parse(&spec).map_err(|e| invalid("LIFEOS_VAULT_KEYS", e.to_string()))?
            }
            None if env == Env::Prod => return Err(ConfigError::MissingVaultKeys),
            None => dev_vault(Path::new(DEV_VAULT_KEY_FILE))?,
        });
        let integrations = integrations(&var, &public_url)?;
        Ok(Config {
            env,
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_SQLITE_URL.into()),
            bind,
            metrics_bind: metrics_bind(&var)?,
            public_url,
            app_url: var("LIFEOS_APP_URL"),
            registration: registration(&var, env)?,
            web: web_app(&var)?,
            jwt_secret,
            mail,
            mail_from: var("LIFEOS_MAIL_FROM")
                .unwrap_or_else(|| "lifeos <no-reply@localhost>".into()),
            cors_origins: list(&var, "LIFEOS_CORS_ORIGINS"),
            body_limit_bytes: parse(&var, "LIFEOS_BODY_LIMIT_BYTES", "1048576")?,
            request_timeout: Duration::from_secs(parse(&var, "LIFEOS_REQUEST_TIMEOUT_SECS", "30")?),
            db_max_connections: var("LIFEOS_DB_MAX_CONNECTIONS")
                .map(|v| {
                    v.parse()
                        .map_err(|e| invalid("LIFEOS_DB_MAX_CONNECTIONS", format!("{e}")))
                })
                .transpose()?,
            trust_proxy: parse(&var, "LIFEOS_TRUST_PROXY", "false")?,
            log_format,
            brake_checks_per_minute: parse(&var, "LIFEOS_BRAKE_CHECKS_PER_MINUTE", "120")?,
            completions_per_minute: parse(&var, "LIFEOS_COMPLETIONS_PER_MINUTE", "120")?,
            auth_cache_ttl: Duration::from_millis(parse(&var, "LIFEOS_AUTH_CACHE_TTL_MS", "5000")?),
            admin_emails: list(&var, "LIFEOS_ADMIN_EMAILS")
                .into_iter()
                .map(|email| email.to_lowercase())
                .collect(),
            nats: nats(&var),
            recommender: recommender(&var)?,
            vault,
            integrations,
        })
    }
}

/// The default metrics listener: loopback only, Prometheus' conventional exporter port.
pub const DEFAULT_METRICS_BIND: &str = "127.0.0.1:9464";

/// `LIFEOS_METRICS_BIND`: an address, or `off`.
fn metrics_bind(var: &impl Fn(&str) -> Option<String>) -> Result<Option<SocketAddr>, ConfigError> {
    match var("LIFEOS_METRICS_BIND").as_deref() {
        Some("off") => Ok(None),
        _ => parse(var, "LIFEOS_METRICS_BIND", DEFAULT_METRICS_BIND).map(Some),
    }
}

/// `LIFEOS_WEB_DIR`: a built app to serve instead of the embedded one (read at start).
fn web_app(var: &impl Fn(&str) -> Option<String>) -> Result<WebApp, ConfigError> {
    let Some(dir) = var("LIFEOS_WEB_DIR") else {
        return Ok(WebApp::embedded());
    };
    let app = WebApp::from_dir(Path::new(&dir))
        .map_err(|e| invalid("LIFEOS_WEB_DIR", format!("'{dir}' cannot be read: {e}")))?;
    if !app.is_built() {
        return Err(invalid(
            "LIFEOS_WEB_DIR",
            format!("'{dir}' has no index.html (build the app: npm run build in apps/web)"),
        ));
    }
    Ok(app)
}

/// `LIFEOS_REGISTRATION`: open in dev and closed in prod unless set.
fn registration(
    var: &impl Fn(&str) -> Option<String>,
    env: Env,
) -> Result<RegistrationPolicy, ConfigError> {
    match var("LIFEOS_REGISTRATION") {
        None if env == Env::Prod => Ok(RegistrationPolicy::Closed),
        None => Ok(RegistrationPolicy::Open),
        Some(text) => RegistrationPolicy::parse(&text).ok_or_else(|| {
            invalid(
                "LIFEOS_REGISTRATION",
                format!("'{text}' (expected open, closed or invite)"),
            )
        }),
    }
}

/// `LIFEOS_TODOIST_*`, `LIFEOS_GOOGLE_*`, `LIFEOS_INTEGRATIONS_RETURN_URL`,
/// `LIFEOS_ICS_ALLOW_NETWORKS`, `LIFEOS_IMPORT_DIR`.
fn integrations(
    var: &impl Fn(&str) -> Option<String>,
    public_url: &str,
) -> Result<IntegrationsConfig, ConfigError> {
    let mut config = IntegrationsConfig::new(public_url);
    config.todoist = provider(var, Provider::Todoist);
    config.google = provider(var, Provider::Google);
    if let Some(url) = var("LIFEOS_INTEGRATIONS_RETURN_URL") {
        config.return_url = url;
    }
    for network in list(var, "LIFEOS_ICS_ALLOW_NETWORKS") {
        let parsed = Network::parse(&network).ok_or_else(|| {
            invalid(
                "LIFEOS_ICS_ALLOW_NETWORKS",
                format!("'{network}' is not a CIDR network"),
            )
        })?;
        config.ics.allowed_networks.push(parsed);
    }
    config.import_dir = var("LIFEOS_IMPORT_DIR")
        .unwrap_or_else(|| "./data/imports".into())
        .into();
    Ok(config)
}

/// One provider's `LIFEOS_<PROVIDER>_*`, over the real provider's endpoints.
fn provider(var: &impl Fn(&str) -> Option<String>, provider: Provider) -> ProviderConfig {
    let prefix = format!("LIFEOS_{}", provider.as_str().to_ascii_uppercase());
    let get = |suffix: &str| var(&format!("{prefix}_{suffix}"));
    let defaults = ProviderConfig::defaults(provider);
    ProviderConfig {
        client_id: get("CLIENT_ID"),
        client_secret: get("CLIENT_SECRET"),
        auth_url: get("AUTH_URL").unwrap_or(defaults.auth_url),
        token_url: get("TOKEN_URL").unwrap_or(defaults.token_url),
        api_url: get("API_URL").unwrap_or(defaults.api_url),
        revoke_url: get("REVOKE_URL").or(defaults.revoke_url),
    }
}

/// The development vault: one key, generated on first run and kept like the JWT secret.
fn dev_vault(path: &Path) -> Result<Vault, ConfigError> {
    let error = |source| ConfigError::DevSecret {
        path: path.display().to_string(),
        source,
    };
    let key = match std::fs::read_to_string(path) {
        Ok(existing) if !existing.trim().is_empty() => existing.trim().to_owned(),
        _ => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(error)?;
            }
            let key =
                Vault::generate_key().map_err(|e| error(std::io::Error::other(e.to_string())))?;
            write_private(path, key.as_bytes()).map_err(error)?;
            key
        }
    };
    Vault::parse(&format!("dev:{key}")).map_err(|e| invalid("LIFEOS_VAULT_KEYS", e.to_string()))
}

/// The relay's settings, when `LIFEOS_NATS_URL` is set.
fn nats(var: &impl Fn(&str) -> Option<String>) -> Option<NatsConfig> {
    let url = var("LIFEOS_NATS_URL")?;
    Some(NatsConfig {
        url,
        stream: var("LIFEOS_NATS_STREAM").unwrap_or_else(|| NatsConfig::STREAM.to_owned()),
        subject_prefix: var("LIFEOS_NATS_SUBJECT_PREFIX")
            .unwrap_or_else(|| NatsConfig::SUBJECT_PREFIX.to_owned()),
    })
}

/// A comma-separated list, trimmed, without empty entries.
fn list(var: &impl Fn(&str) -> Option<String>, name: &str) -> Vec<String> {
    var(name)
        .map(|v| {
            v.split(',')
                .map(|o| o.trim().to_owned())
                .filter(|o| !o.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// `LIFEOS_ML_SERVING_*`, `LIFEOS_RECOMMENDER_INCUMBENT`, `LIFEOS_PROMOTION_*`, `LIFEOS_VAPID_*`.
fn recommender(
    var: &impl Fn(&str) -> Option<String>,
) -> Result<lifeos_recommender::RecommenderConfig, ConfigError> {
    use lifeos_recommender::{
        RecommenderConfig, RemoteConfig, admin::Thresholds, push::PushConfig,
    };
    let defaults = Thresholds::default();
    let timeout_ms: u64 = parse(var, "LIFEOS_ML_SERVING_TIMEOUT_MS", "50")?;
    Ok(RecommenderConfig {
        remote: var("LIFEOS_ML_SERVING_URL").map(|url| RemoteConfig {
            url,
            timeout: Duration::from_millis(timeout_ms),
        }),
        forced_incumbent: var("LIFEOS_RECOMMENDER_INCUMBENT"),
        promotion: Thresholds {
            min_decisions: parse(
                var,
                "LIFEOS_PROMOTION_MIN_DECISIONS",
                &defaults.min_decisions.to_string(),
            )?,
            min_agreement: parse(
                var,
                "LIFEOS_PROMOTION_MIN_AGREEMENT",
                &defaults.min_agreement.to_string(),
            )?,
            min_lift: parse(
                var,
                "LIFEOS_PROMOTION_MIN_LIFT",
                &defaults.min_lift.to_string(),
            )?,
        },
        push: PushConfig {
            vapid_private_key: var("LIFEOS_VAPID_PRIVATE_KEY"),
            subject: var("LIFEOS_VAPID_SUBJECT").unwrap_or_else(|| "mailto:admin@localhost".into()),
            ..PushConfig::default()
        },
    })
}

fn invalid(name: &'static str, reason: String) -> ConfigError {
    ConfigError::Invalid { name, reason }
}

fn parse<T: std::str::FromStr>(
    var: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: &str,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    let text = var(name).unwrap_or_else(|| default.to_owned());
    text.parse()
        .map_err(|e: T::Err| invalid(name, format!("'{text}': {e}")))
}

/// Reads the development secret, creating it (random, owner-only) on first run.
fn dev_secret(path: &Path) -> Result<Vec<u8>, ConfigError> {
    let error = |source| ConfigError::DevSecret {
        path: path.display().to_string(),
        source,
    };
    if let Ok(existing) = std::fs::read(path)
        && existing.len() >= MIN_SECRET_BYTES
    {
        return Ok(existing);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(error)?;
    }
    let mut bytes = [0_u8; 48];
    getrandom::fill(&mut bytes).map_err(|e| error(std::io::Error::other(e.to_string())))?;
    let secret = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes)
        .into_bytes();
    write_private(path, &secret).map_err(error)?;
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// The configuration of `vars`, with a vault key unless they name one (so no test
    /// writes a development key file into the source tree).
    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect();
        map.entry("LIFEOS_VAULT_KEYS".into())
            .or_insert_with(|| format!("t:{}", Vault::generate_key().unwrap()));
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn prod_requires_a_strong_secret() {
        assert!(matches!(
            config(&[("LIFEOS_ENV", "prod")]),
            Err(ConfigError::MissingSecret)
        ));
        assert!(config(&[("LIFEOS_ENV", "prod"), ("LIFEOS_JWT_SECRET", "short")]).is_err());
        let secret = "s".repeat(32);
        let no_vault = |name: &str| match name {
            "LIFEOS_ENV" => Some("prod".to_owned()),
            "LIFEOS_JWT_SECRET" => Some(secret.clone()),
            _ => None,
        };
        assert!(matches!(
            Config::from_lookup(no_vault),
            Err(ConfigError::MissingVaultKeys)
        ));
        let key = Vault::generate_key().unwrap();
        let keys = format!("k1:{key}");
        let ok = config(&[
            ("LIFEOS_ENV", "prod"),
            ("LIFEOS_JWT_SECRET", &"s".repeat(32)),
            ("LIFEOS_VAULT_KEYS", &keys),
        ])
        .unwrap();
        assert_eq!(ok.vault.active_id(), "k1");
        assert!(!ok.integrations.todoist.is_configured());
        assert_eq!(ok.log_format, LogFormat::Json);
        assert_eq!(ok.database_url, DEFAULT_SQLITE_URL);
        assert_eq!(ok.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(ok.body_limit_bytes, 1024 * 1024);
        assert_eq!(ok.auth_cache_ttl, Duration::from_secs(5));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let secret = "s".repeat(32);
        let err =
            config(&[("LIFEOS_JWT_SECRET", &secret), ("LIFEOS_BIND", "nowhere")]).unwrap_err();
        assert!(err.to_string().contains("LIFEOS_BIND"), "{err}");
        let err = config(&[("LIFEOS_JWT_SECRET", &secret), ("LIFEOS_ENV", "staging")]).unwrap_err();
        assert!(err.to_string().contains("LIFEOS_ENV"));
        let err = config(&[
            ("LIFEOS_JWT_SECRET", &secret),
            ("LIFEOS_AUTH_CACHE_TTL_MS", "-1"),
        ])
        .unwrap_err();
        assert!(
            err.to_string().contains("LIFEOS_AUTH_CACHE_TTL_MS"),
            "{err}"
        );
        let off = config(&[
            ("LIFEOS_JWT_SECRET", &secret),
            ("LIFEOS_AUTH_CACHE_TTL_MS", "0"),
        ])
        .unwrap();
        assert_eq!(off.auth_cache_ttl, Duration::ZERO);
    }

    #[test]
    fn dev_secret_is_created_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/jwt-secret");
        let first = dev_secret(&path).unwrap();
        assert!(first.len() >= MIN_SECRET_BYTES);
        assert_eq!(dev_secret(&path).unwrap(), first);
    }

    #[test]
    fn urls_are_redacted_for_logs() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/lifeos"),
            "postgres://***@db:5432/lifeos"
        );
        assert_eq!(
            redact_url("sqlite://./data/lifeos.db"),
            "sqlite://./data/lifeos.db"
        );
    }
}
