//! The OAuth protocol through the `oauth2` crate: the authorize URL with PKCE, the code
//! exchange, refresh, and revocation. No SQL, no clock: the service decides when.

use std::time::Duration;

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    Scope, TokenResponse, TokenUrl,
};

use crate::error::{IntegrationsError, Result};
use crate::oauth::{Provider, ProviderConfig};
use crate::vault::Secret;

type Configured =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// What a token endpoint answered, secrets wrapped.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub expires_in: Option<Duration>,
    /// The granted scopes, when the provider says.
    pub scopes: Option<Vec<String>>,
}

/// An authorization to send the browser to.
pub struct Authorization {
    pub url: String,
    pub state: Secret,
    pub verifier: Secret,
}

/// Why a token request failed; never carries the provider's body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFailure {
    /// `invalid_grant`: the code or refresh token is no longer accepted.
    InvalidGrant,
    /// Anything else, as a short reason fit for a log line.
    Other(String),
}

/// One outbound HTTP client (no redirects: the `oauth2` crate's SSRF advice) shared by
/// every token request.
pub struct OAuthClient {
    http: reqwest::Client,
}

impl OAuthClient {
    pub fn new() -> Result<Self> {
        let http =
            super::provider_http_client().map_err(|_| IntegrationsError::ProviderUnavailable {
                provider: "oauth",
                reason: "the HTTP client could not be built".into(),
            })?;
        Ok(Self { http })
    }

    fn client(provider: Provider, config: &ProviderConfig, redirect: &str) -> Result<Configured> {
        let unavailable = |what: &str| IntegrationsError::ProviderUnavailable {
            provider: provider.as_str(),
            reason: format!("its {what} is not a valid URL"),
        };
        let client_id = config
            .client_id
            .clone()
            .ok_or(IntegrationsError::ProviderNotConfigured(provider.as_str()))?;
        let mut client = BasicClient::new(ClientId::new(client_id))
            .set_auth_uri(
                AuthUrl::new(config.auth_url.clone()).map_err(|_| unavailable("authorize URL"))?,
            )
            .set_token_uri(
                TokenUrl::new(config.token_url.clone()).map_err(|_| unavailable("token URL"))?,
            )
            .set_redirect_uri(
                RedirectUrl::new(redirect.to_owned()).map_err(|_| unavailable("redirect URL"))?,
            )
            // Both providers take the client's credentials in the form.
            .set_auth_type(AuthType::RequestBody);
        if let Some(secret) = &config.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        Ok(client)
    }

    /// The provider's authorize URL with a random state and a PKCE S256 challenge.
    pub fn authorize(
        &self,
        provider: Provider,
        config: &ProviderConfig,
        redirect: &str,
    ) -> Result<Authorization> {
        let client = Self::client(provider, config, redirect)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(
                provider
                    .scopes()
                    .iter()
                    .map(|s| Scope::new((*s).to_owned())),
            )
            .set_pkce_challenge(challenge);
        if provider == Provider::Google {
            // A refresh token, every time (Google gives one only on consent).
            request = request
                .add_extra_param("access_type", "offline")
                .add_extra_param("prompt", "consent");
        }
        let (url, state) = request.url();
        Ok(Authorization {
            url: url.to_string(),
            state: Secret::new(state.secret().clone()),
            verifier: Secret::new(verifier.secret().clone()),
        })
    }

    /// Trades the code for tokens, proving the PKCE verifier.
    pub async fn exchange(
        &self,
        provider: Provider,
        config: &ProviderConfig,
        redirect: &str,
        code: &str,
        verifier: &Secret,
    ) -> std::result::Result<Tokens, TokenFailure> {
        let client = Self::client(provider, config, redirect)
            .map_err(|_| TokenFailure::Other("not configured".into()))?;
        let answer = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose().to_owned()))
            .request_async(&self.http)
            .await;
        tokens(answer)
    }

    pub async fn refresh(
        &self,
        provider: Provider,
        config: &ProviderConfig,
        redirect: &str,
        refresh: &Secret,
    ) -> std::result::Result<Tokens, TokenFailure> {
        let client = Self::client(provider, config, redirect)
            .map_err(|_| TokenFailure::Other("not configured".into()))?;
        let token = RefreshToken::new(refresh.expose().to_owned());
        let answer = client
            .exchange_refresh_token(&token)
            .request_async(&self.http)
            .await;
        tokens(answer)
    }

    /// Revokes `token` at the provider's revocation endpoint. Google takes a form
    /// `token=`; Todoist a JSON body with the client's credentials.
    pub async fn revoke(
        &self,
        provider: Provider,
        config: &ProviderConfig,
        token: &Secret,
    ) -> std::result::Result<(), String> {
        let Some(url) = &config.revoke_url else {
            return Ok(());
        };
        let request = match provider {
            Provider::Google => self.http.post(url).form(&[("token", token.expose())]),
            Provider::Todoist => self.http.post(url).json(&serde_json::json!({
                "client_id": config.client_id.as_deref().unwrap_or_default(),
                "client_secret": config.client_secret.as_deref().unwrap_or_default(),
                "access_token": token.expose(),
            })),
        };
        // The error's Display may name the URL only; reqwest never prints a body.
        let response = request
            .send()
            .await
            .map_err(|e| format!("revocation request failed: {}", e.without_url()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!(
                "revocation answered {}",
                response.status().as_u16()
            ))
        }
    }
}

fn tokens<RE: std::error::Error + 'static>(
    answer: std::result::Result<
        oauth2::basic::BasicTokenResponse,
        RequestTokenError<RE, oauth2::basic::BasicErrorResponse>,
    >,
) -> std::result::Result<Tokens, TokenFailure> {
    match answer {
        Ok(response) => Ok(Tokens {
            access: Secret::new(response.access_token().secret().clone()),
            refresh: response
                .refresh_token()
                .map(|r| Secret::new(r.secret().clone())),
            expires_in: response.expires_in(),
            scopes: response
                .scopes()
                .map(|s| s.iter().map(|s| s.to_string()).collect()),
        }),
        Err(RequestTokenError::ServerResponse(error)) => match error.error() {
            BasicErrorResponseType::InvalidGrant => Err(TokenFailure::InvalidGrant),
            // The error code is the provider's vocabulary, not a secret; its description
            // and body are not kept.
            other => Err(TokenFailure::Other(format!(
                "token endpoint refused: {other}"
            ))),
        },
        Err(RequestTokenError::Request(_)) => {
            Err(TokenFailure::Other("token endpoint unreachable".into()))
        }
        Err(RequestTokenError::Parse(..)) => Err(TokenFailure::Other(
            "token endpoint answered something unreadable".into(),
        )),
        Err(RequestTokenError::Other(_)) => Err(TokenFailure::Other(
            "token endpoint answered unexpectedly".into(),
        )),
    }
}
