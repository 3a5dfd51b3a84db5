//! `/api/v1/integrations` (connect, callback, list, disconnect).

use axum::extract::{FromRef, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lifeos_kernel::http::extract::invalid_text;
use lifeos_kernel::http::{Json, Path, text};
use lifeos_kernel::{AppError, Principal};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Provider;
use super::model::{CallbackQuery, ConnectStarted, IntegrationList};
use crate::IntegrationsState;
use crate::error::IntegrationsError;

const TAG: &str = "integrations";

pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    IntegrationsState: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(list_integrations))
        .routes(routes!(connect_integration))
        .routes(routes!(integration_callback))
        .routes(routes!(disconnect_integration))
}

fn provider(name: &str) -> Result<Provider, IntegrationsError> {
    Provider::parse(name).ok_or(IntegrationsError::NotFound("integration"))
}

/// Every provider with the user's connection to it: `connected`, `refresh_failed`
/// (connect again), `revoked`, `not_connected`, or `not_configured` on this server.
#[utoipa::path(get, path = "/integrations", tag = TAG, operation_id = "listIntegrations",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "One item per provider", body = IntegrationList)))]
pub async fn list_integrations(
    State(state): State<IntegrationsState>,
    principal: Principal,
) -> Result<Json<IntegrationList>, AppError> {
    Ok(Json(state.connections.list(principal.user_id).await?))
}

/// Starts connecting a provider: send the browser to `authorizeUrl` (authorization code
/// with PKCE; the state is single use and expires in 10 minutes).
#[utoipa::path(post, path = "/integrations/{provider}/connect", tag = TAG, operation_id = "connectIntegration",
    security(("bearerAuth" = []), ("apiKey" = [])),
    params(("provider" = Provider, Path, description = "`todoist` or `google`")),
    responses((status = 200, description = "Where to authorize", body = ConnectStarted),
              (status = 403, description = "`consent_required`: grant `integrations` first", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 404, description = "`not_found`: no such provider", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 501, description = "`provider_not_configured`: the server has no client for it", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn connect_integration(
    State(state): State<IntegrationsState>,
    principal: Principal,
    Path(name): Path<String>,
) -> Result<Json<ConnectStarted>, AppError> {
    let provider = provider(&name)?;
    Ok(Json(
        state
            .connections
            .connect(principal.user_id, provider)
            .await?,
    ))
}

/// Where the provider sends the browser back. Needs no credentials: the state binds the
/// user. Always redirects (303) to the configured return URL with
/// `?integration=<provider>&outcome=connected|denied|invalid_state|failed`.
#[utoipa::path(get, path = "/integrations/{provider}/callback", tag = TAG, operation_id = "integrationCallback",
    params(("provider" = Provider, Path, description = "`todoist` or `google`"), CallbackQuery),
    responses((status = 303, description = "To the return URL with the outcome"),
              (status = 404, description = "`not_found`: no such provider", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 422, description = "`invalid_text`: a parameter holds control characters", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn integration_callback(
    State(state): State<IntegrationsState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let provider = provider(&name)?;
    // Control characters come from no provider: the API's one text rule (422 invalid_text).
    if let Some(field) = query.as_deref().and_then(text::first_invalid_in_query) {
        return Err(invalid_text(field));
    }
    // Parsed by hand: whatever the provider appends (`scope`, `authuser`...) or mangles
    // still ends in a redirect, never a problem page.
    let mut params = CallbackQuery {
        code: None,
        state: None,
        error: None,
    };
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let slot = match key.as_ref() {
            "code" => &mut params.code,
            "state" => &mut params.state,
            "error" => &mut params.error,
            _ => continue,
        };
        *slot = Some(value.into_owned());
    }
    let target = state
        .connections
        .callback(
            provider,
            params.code.as_deref(),
            params.state.as_deref(),
            params.error.as_deref(),
        )
        .await;
    Ok(Redirect::to(&target).into_response())
}

/// Disconnects a provider: its tokens are revoked at the provider (best effort) and
/// deleted.
#[utoipa::path(delete, path = "/integrations/{provider}", tag = TAG, operation_id = "disconnectIntegration",
    security(("bearerAuth" = []), ("apiKey" = [])),
    params(("provider" = Provider, Path, description = "`todoist` or `google`")),
    responses((status = 204, description = "Disconnected"),
              (status = 404, description = "`not_found`: no such provider, or not connected", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
pub async fn disconnect_integration(
    State(state): State<IntegrationsState>,
    principal: Principal,
    Path(name): Path<String>,
) -> Result<StatusCode, AppError> {
    let provider = provider(&name)?;
    state
        .connections
        .disconnect(principal.user_id, provider)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
