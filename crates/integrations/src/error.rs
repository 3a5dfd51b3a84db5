//! What can go wrong in integrations, without HTTP. Converted into the kernel's `AppError`.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};

use crate::vault::VaultError;

#[derive(Debug, thiserror::Error)]
pub enum IntegrationsError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(
        "connecting other services needs the integrations consent; grant it with PUT /api/v1/me/consents/integrations"
    )]
    ConsentRequired,
    #[error(
        "importing health data needs the health_data consent; grant it with PUT /api/v1/me/consents/health_data"
    )]
    HealthConsentRequired,
    #[error("{0} is not configured on this server")]
    ProviderNotConfigured(&'static str),
    #[error("{0} is not connected; connect it first")]
    NotConnected(&'static str),
    #[error("{0} needs to be connected again: its authorization was refused")]
    ReconnectRequired(&'static str),
    #[error("{provider} did not answer as expected: {reason}")]
    ProviderUnavailable {
        provider: &'static str,
        reason: String,
    },
    #[error("{provider} asks us to slow down; try again in {retry_after_secs} seconds")]
    ProviderRateLimited {
        provider: &'static str,
        retry_after_secs: u64,
    },
    /// An ICS feed's address may not be fetched (private, loopback, metadata...).
    #[error("{0}")]
    FeedForbidden(String),
    #[error("the calendar feed could not be fetched: {0}")]
    FeedUnreachable(String),
    #[error("the calendar feed is larger than {0} MiB")]
    FeedTooLarge(u64),
    #[error("the address does not serve an iCalendar feed: {0}")]
    FeedNotCalendar(String),
    #[error("this calendar feed is already added")]
    FeedExists,
    #[error("at most {0} calendar feeds can be added")]
    TooManyFeeds(usize),
    #[error("the upload is larger than {0} GiB")]
    ImportTooLarge(u64),
    #[error("the upload is not an Apple Health export (export.zip or export.xml)")]
    ImportNotRecognised,
    #[error("an import is already running; wait for it to finish")]
    ImportRunning,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Another domain's refusal through a port, as it would answer on its own route.
    #[error(transparent)]
    Port(AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lifeos_kernel::error_codes! {
    /// The codes integrations answer with.
    pub enum IntegrationsCode {
        ProviderNotConfigured = "provider_not_configured",
        NotConnected = "integration_not_connected",
        ReconnectRequired = "integration_reconnect_required",
        ProviderUnavailable = "provider_unavailable",
        ProviderRateLimited = "provider_rate_limited",
        FeedForbidden = "feed_address_forbidden",
        FeedUnreachable = "feed_unreachable",
        FeedTooLarge = "feed_too_large",
        FeedNotCalendar = "feed_not_icalendar",
        FeedExists = "feed_exists",
        TooManyFeeds = "too_many_feeds",
        ImportTooLarge = "import_too_large",
        ImportNotRecognised = "import_not_apple_health",
        ImportRunning = "import_running",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = IntegrationsCode::CODES;

pub type Result<T, E = IntegrationsError> = std::result::Result<T, E>;

impl IntegrationsError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        IntegrationsError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<IntegrationsError> for AppError {
    fn from(error: IntegrationsError) -> Self {
        use IntegrationsCode as C;
        use IntegrationsError as E;
        let detail = error.to_string();
        let app = |kind: ErrorKind, code: C| AppError::new(kind, code, detail.clone());
        match error {
            E::NotFound(_) => AppError::new(ErrorKind::NotFound, CommonCode::NotFound, detail),
            E::ConsentRequired | E::HealthConsentRequired => {
                AppError::new(ErrorKind::Forbidden, CommonCode::ConsentRequired, detail)
            }
            E::ProviderNotConfigured(_) => app(ErrorKind::NotImplemented, C::ProviderNotConfigured),
            E::NotConnected(_) => app(ErrorKind::Conflict, C::NotConnected),
            E::ReconnectRequired(_) => app(ErrorKind::Conflict, C::ReconnectRequired),
            E::ProviderUnavailable { .. } => app(ErrorKind::BadGateway, C::ProviderUnavailable),
            E::ProviderRateLimited {
                retry_after_secs, ..
            } => {
                let mut error = app(ErrorKind::Unavailable, C::ProviderRateLimited);
                error.retry_after = Some(retry_after_secs);
                error
            }
            E::FeedForbidden(_) => app(ErrorKind::Validation, C::FeedForbidden),
            E::FeedUnreachable(_) => app(ErrorKind::Validation, C::FeedUnreachable),
            E::FeedTooLarge(_) => app(ErrorKind::Validation, C::FeedTooLarge),
            E::FeedNotCalendar(_) => app(ErrorKind::Validation, C::FeedNotCalendar),
            E::FeedExists => app(ErrorKind::Conflict, C::FeedExists),
            E::TooManyFeeds(_) => app(ErrorKind::Conflict, C::TooManyFeeds),
            E::ImportTooLarge(_) => app(ErrorKind::PayloadTooLarge, C::ImportTooLarge),
            E::ImportNotRecognised => app(ErrorKind::UnsupportedMediaType, C::ImportNotRecognised),
            E::ImportRunning => app(ErrorKind::Conflict, C::ImportRunning),
            E::Invalid(errors) => AppError::validation(errors),
            E::Vault(vault) => AppError::internal(vault),
            E::Port(inner) => inner,
            E::Store(store) => AppError::internal(store),
        }
    }
}

impl From<sqlx::Error> for IntegrationsError {
    fn from(error: sqlx::Error) -> Self {
        IntegrationsError::Store(StoreError::from(error))
    }
}
