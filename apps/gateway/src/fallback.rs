//! What a request to no route gets: 404 problem+json, with a hint when the path exists
//! under `/api/v1` (a client that forgot the prefix).

use std::sync::Arc;

use axum::http::Uri;
use lifeos_kernel::AppError;
use utoipa::openapi::OpenApi;

/// The contract's path templates (`/api/v1/days/{id}`), to match a path against.
#[derive(Debug, Default)]
pub struct ApiPaths {
    #[expect(dead_code, reason = "matched by the hint (issue 10)")]
    templates: Vec<String>,
}

impl ApiPaths {
    pub fn of(api: &OpenApi) -> Self {
        Self {
            templates: api.paths.paths.keys().cloned().collect(),
        }
    }
}

/// The fallback handler.
pub async fn not_found(_known: Arc<ApiPaths>, _uri: Uri) -> AppError {
    AppError::not_found("resource")
}
