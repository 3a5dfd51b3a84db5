//! Liveness and readiness.

use lifeos_kernel::error::CommonCode;
use std::time::Duration;

use axum::extract::State;
use lifeos_kernel::http::Json;
use lifeos_kernel::{AppError, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/health", tag = "system", operation_id = "health",
    responses((status = 200, description = "Alive", body = Status)))]
pub async fn health() -> Json<Status> {
    Json(Status { status: "ok" })
}

/// The database answers. 503 while it does not; recovers by itself when it returns.
#[utoipa::path(get, path = "/ready", tag = "system", operation_id = "ready",
    responses((status = 200, description = "Ready", body = Status),
              (status = 503, description = "`service_unavailable`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn ready(State(state): State<AppState>) -> Result<Json<Status>, AppError> {
    match tokio::time::timeout(Duration::from_secs(2), state.db.ping()).await {
        Ok(Ok(())) => Ok(Json(Status { status: "ready" })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check failed");
            Err(unavailable())
        }
        Err(_) => {
            tracing::warn!("readiness check timed out");
            Err(unavailable())
        }
    }
}

fn unavailable() -> AppError {
    let mut error = AppError::new(
        ErrorKind::Unavailable,
        CommonCode::ServiceUnavailable,
        "the database is unreachable",
    );
    error.retry_after = Some(5);
    error
}
