//! What can go wrong in identity, without HTTP. Converted into the kernel's `AppError`.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error("e-mail or password is wrong")]
    InvalidCredentials,
    #[error("the refresh token is not valid")]
    InvalidRefreshToken,
    #[error("the refresh token was already used; the session has been revoked")]
    RefreshTokenReused,
    #[error("the token is invalid, expired or already used")]
    InvalidToken,
    #[error("the access token is invalid: {0}")]
    InvalidAccessToken(&'static str),
    #[error("the API key is not valid")]
    InvalidApiKey,
    #[error("the session has ended")]
    SessionEnded,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("unknown consent purpose '{0}'")]
    UnknownPurpose(String),
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("too many attempts")]
    RateLimited { retry_after_secs: u64 },
    /// Failed password sign-ins on the account: a backoff, not a lock (`lockout`).
    #[error(
        "too many failed sign-ins for this account; retry in {retry_after_secs} s or sign in with a magic link"
    )]
    SignInThrottled { retry_after_secs: u64 },
    /// `LIFEOS_REGISTRATION=closed`.
    #[error("this server does not accept new accounts; ask its operator")]
    RegistrationClosed,
    /// `LIFEOS_REGISTRATION=invite` and no code given.
    #[error(
        "this server accepts new accounts by invitation only; ask its operator for an invite code and send it as inviteCode"
    )]
    InvitationRequired,
    #[error(
        "the invite code is unknown, expired, already used or meant for another e-mail address; ask the operator for a new one"
    )]
    InviteInvalid,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

lifeos_kernel::error_codes! {
    /// The codes identity answers with.
    pub enum IdentityCode {
        EmailTaken = "email_taken",
        InvalidCredentials = "invalid_credentials",
        InvalidRefreshToken = "invalid_refresh_token",
        RefreshTokenReused = "refresh_token_reused",
        InvalidToken = "invalid_token",
        InvalidAccessToken = "invalid_access_token",
        InvalidApiKey = "invalid_api_key",
        SessionEnded = "session_ended",
        UnknownConsentPurpose = "unknown_consent_purpose",
        RegistrationClosed = "registration_closed",
        InviteInvalid = "invite_invalid",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = IdentityCode::CODES;

impl From<IdentityError> for AppError {
    fn from(error: IdentityError) -> Self {
        let detail = error.to_string();
        let (kind, code) = match error {
            IdentityError::EmailTaken => (ErrorKind::Conflict, IdentityCode::EmailTaken),
            IdentityError::InvalidCredentials => {
                (ErrorKind::Unauthenticated, IdentityCode::InvalidCredentials)
            }
            IdentityError::InvalidRefreshToken => (
                ErrorKind::Unauthenticated,
                IdentityCode::InvalidRefreshToken,
            ),
            IdentityError::RefreshTokenReused => {
                (ErrorKind::Unauthenticated, IdentityCode::RefreshTokenReused)
            }
            IdentityError::InvalidToken => (ErrorKind::Validation, IdentityCode::InvalidToken),
            IdentityError::InvalidAccessToken(_) => {
                (ErrorKind::Unauthenticated, IdentityCode::InvalidAccessToken)
            }
            IdentityError::InvalidApiKey => {
                (ErrorKind::Unauthenticated, IdentityCode::InvalidApiKey)
            }
            IdentityError::SessionEnded => (ErrorKind::Unauthenticated, IdentityCode::SessionEnded),
            IdentityError::NotFound(_) => {
                return AppError::new(ErrorKind::NotFound, CommonCode::NotFound, detail);
            }
            IdentityError::UnknownPurpose(_) => {
                (ErrorKind::NotFound, IdentityCode::UnknownConsentPurpose)
            }
            IdentityError::RegistrationClosed | IdentityError::InvitationRequired => {
                (ErrorKind::Forbidden, IdentityCode::RegistrationClosed)
            }
            IdentityError::InviteInvalid => (ErrorKind::Forbidden, IdentityCode::InviteInvalid),
            IdentityError::Invalid(errors) => return AppError::validation(errors),
            IdentityError::RateLimited { retry_after_secs } => {
                return AppError::rate_limited(retry_after_secs);
            }
            IdentityError::SignInThrottled { retry_after_secs } => {
                let mut throttled = AppError::rate_limited(retry_after_secs);
                throttled.detail = detail;
                return throttled;
            }
            IdentityError::Store(store) => return AppError::internal(store),
            IdentityError::Hashing(message) => return AppError::internal(message),
        };
        AppError::new(kind, code, detail)
    }
}

impl From<sqlx::Error> for IdentityError {
    fn from(error: sqlx::Error) -> Self {
        IdentityError::Store(StoreError::from(error))
    }
}

pub type Result<T, E = IdentityError> = std::result::Result<T, E>;
