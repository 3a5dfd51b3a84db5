//! `/api/v1/integrations/apple-health`.

use axum::body::Body;
use axum::extract::{FromRef, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use lifeos_kernel::http::{Json, Path};
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::service::ImportView;
use crate::IntegrationsState;

const TAG: &str = "integrations";

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    IntegrationsState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(get_import))
}

/// Import an Apple Health export: the `export.zip` the Health app shares, or the
/// `export.xml` inside it, as the raw body (up to 2 GiB; streamed to disk, never held in
/// memory). Heart-rate-variability (SDNN) records become the brake's `healthkit` samples;
/// importing the same file again adds nothing. Runs in the background: poll the
/// `Location`. Needs the `health_data` consent (403 `consent_required`). The format is
/// recognised from the first bytes, whatever the `Content-Type` says.
#[utoipa::path(post, path = "/integrations/apple-health/import", tag = TAG, operation_id = "importAppleHealth",
    security(("bearerAuth" = []), ("apiKey" = [])),
    request_body(description = "export.zip or export.xml, as the Health app exports it",
        content(("application/zip"), ("application/xml"), ("text/xml"))),
    responses((status = 202, description = "Received; the import is queued", body = ImportView,
                  headers(("Location" = String, description = "The import's address, to poll"))),
              (status = 409, description = "`import_running`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 413, description = "`import_too_large`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 415, description = "`import_not_apple_health`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn import(
    State(state): State<IntegrationsState>,
    principal: Principal,
    headers: HeaderMap,
    body: Body,
) -> Result<impl IntoResponse, AppError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let view = state
        .health
        .upload(principal.user_id, declared, body)
        .await?;
    let location = format!("/api/v1/integrations/apple-health/imports/{}", view.id);
    let mut response = (StatusCode::ACCEPTED, Json(view)).into_response();
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// An Apple Health import's status and counts: `imported`, `duplicates`, `skipped`, and
/// `from`/`to`, the first and last sample time found.
#[utoipa::path(get, path = "/integrations/apple-health/imports/{id}", tag = TAG, operation_id = "getAppleHealthImport",
    security(("bearerAuth" = []), ("apiKey" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The import", body = ImportView)))]
async fn get_import(
    State(state): State<IntegrationsState>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<Json<ImportView>, AppError> {
    Ok(Json(state.health.get(principal.user_id, id).await?))
}
