//! What can go wrong in the recommender, without HTTP. Converted into the kernel's `AppError`.

use lifeos_kernel::error::CommonCode;
use lifeos_kernel::{AppError, ErrorKind, FieldError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum RecommenderError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error(
        "tips need the recommendations consent; grant it with PUT /api/v1/me/consents/recommendations"
    )]
    ConsentRequired,
    #[error("this tip already has feedback ({0})")]
    FeedbackRecorded(String),
    #[error("only an administrator may do this")]
    AdminRequired,
    #[error("policy {policy} cannot be promoted: {reason}")]
    PromotionRefused { policy: String, reason: String },
    #[error("web push is not configured on this server")]
    PushNotConfigured,
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Another domain's refusal through a port (e.g. completing a locked node), as it
    /// would answer on its own route.
    #[error(transparent)]
    Port(AppError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

lifeos_kernel::error_codes! {
    /// The codes the recommender answers with.
    pub enum RecommenderCode {
        FeedbackRecorded = "tip_feedback_recorded",
        AdminRequired = "admin_required",
        PromotionRefused = "promotion_not_supported_by_evidence",
        PushNotConfigured = "push_not_configured",
    }
}

/// Codes this crate answers with, listed in the OpenAPI contract.
pub const CODES: &[&str] = RecommenderCode::CODES;

pub type Result<T, E = RecommenderError> = std::result::Result<T, E>;

impl RecommenderError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        RecommenderError::Invalid(vec![FieldError {
            field: field.to_owned(),
            message: message.into(),
        }])
    }
}

impl From<RecommenderError> for AppError {
    fn from(error: RecommenderError) -> Self {
        let detail = error.to_string();
        match error {
            RecommenderError::NotFound(_) => {
                AppError::new(ErrorKind::NotFound, CommonCode::NotFound, detail)
            }
            RecommenderError::ConsentRequired => {
                AppError::new(ErrorKind::Forbidden, CommonCode::ConsentRequired, detail)
            }
            RecommenderError::FeedbackRecorded(_) => AppError::new(
                ErrorKind::Conflict,
                RecommenderCode::FeedbackRecorded,
                detail,
            ),
            RecommenderError::AdminRequired => {
                AppError::new(ErrorKind::Forbidden, RecommenderCode::AdminRequired, detail)
            }
            RecommenderError::PromotionRefused { .. } => AppError::new(
                ErrorKind::Conflict,
                RecommenderCode::PromotionRefused,
                detail,
            ),
            RecommenderError::PushNotConfigured => AppError::new(
                ErrorKind::NotImplemented,
                RecommenderCode::PushNotConfigured,
                detail,
            ),
            RecommenderError::Invalid(errors) => AppError::validation(errors),
            RecommenderError::Port(error) => error,
            RecommenderError::Store(store) => AppError::internal(store),
        }
    }
}

impl From<sqlx::Error> for RecommenderError {
    fn from(error: sqlx::Error) -> Self {
        RecommenderError::Store(StoreError::from(error))
    }
}
