//! `/mcp`: Streamable HTTP, stateless (every POST stands alone, so any replica answers it)
//! with JSON answers. Every request carries an API key in `X-API-Key`; without a valid one
//! it is answered 401 problem+json before the MCP service sees it.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use lifeos_kernel::AppError;
use lifeos_kernel::http::auth::{API_KEY_HEADER, SharedAuthenticator};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

use super::LifeosMcp;
use super::tools::Tools;
use crate::access_log;
use crate::config::Config;

pub const PATH: &str = "/mcp";

/// The `/mcp` route, on the services of `tools`.
pub fn router(config: &Config, tools: Arc<Tools>) -> Router {
    let authenticator = tools.authenticator.clone();
    let server = LifeosMcp::over_http(tools);
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_sse_keep_alive(None)
            .with_allowed_hosts(allowed_hosts(&config.public_url))
            .with_allowed_origins(config.cors_origins.clone()),
    );
    Router::new()
        .route_service(PATH, service)
        // Each `layer` wraps what is above it: the key is checked first.
        .layer(from_fn(access_log::record_principal))
        .layer(from_fn_with_state(authenticator, require_key))
}

/// The `Host` values `/mcp` answers (DNS rebinding protection): loopback, and the host
/// of `LIFEOS_PUBLIC_URL` on any port.
fn allowed_hosts(public_url: &str) -> Vec<String> {
    let mut hosts: Vec<String> = ["localhost", "127.0.0.1", "::1"]
        .map(str::to_owned)
        .to_vec();
    let authority = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Ok(parsed) = authority.parse::<axum::http::uri::Authority>() {
        let host = parsed.host().trim_matches(['[', ']']).to_ascii_lowercase();
        if !host.is_empty() && !hosts.contains(&host) {
            hosts.push(host);
        }
    }
    hosts
}

/// Lets a request through only with a valid API key, as its [`lifeos_kernel::Principal`].
async fn require_key(
    State(authenticator): State<SharedAuthenticator>,
    mut request: Request,
    next: Next,
) -> Response {
    let key = request
        .headers()
        .get(API_KEY_HEADER)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let outcome = match key {
        None => Err(AppError::unauthenticated(
            "authentication required: send the API key in the X-API-Key header",
        )),
        Some(key) => authenticator.api_key(&key).await,
    };
    match outcome {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::allowed_hosts;

    #[test]
    fn the_public_host_is_allowed_besides_loopback() {
        let hosts = allowed_hosts("https://lifeos.example.com:8443/base");
        assert!(
            hosts.contains(&"lifeos.example.com".to_owned()),
            "{hosts:?}"
        );
        assert!(hosts.contains(&"127.0.0.1".to_owned()));
        assert_eq!(allowed_hosts("http://127.0.0.1:8080").len(), 3);
    }
}
