//! Identity's HTTP API under `/api/v1`: `/auth/*` and `/me*`.

use axum::Extension;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use lifeos_kernel::consent::Purpose;
use lifeos_kernel::http::idempotency::NoReplay;
use lifeos_kernel::http::{ClientIp, Json, Path, Query};
use lifeos_kernel::page::{Page, PageParams};
use lifeos_kernel::patch::present;
use lifeos_kernel::{AppError, Principal, Scope, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::model::{ApiKey, Consent, ProfilePatch, User};
use crate::service::{Registration, Session, SharedIdentity};

pub const TAG_AUTH: &str = "auth";
pub const TAG_ACCOUNT: &str = "account";

/// Identity's routes, for any app state that can hand out the identity service.
pub fn router<S>() -> OpenApiRouter<S>
where
    S: Clone + Send + Sync + 'static,
    SharedIdentity: FromRef<S>,
{
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(verify_email))
        .routes(routes!(request_magic_link))
        .routes(routes!(consume_magic_link))
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(list_api_keys, create_api_key))
        .routes(routes!(delete_api_key))
        .routes(routes!(list_consents))
        .routes(routes!(set_consent))
        .routes(routes!(export_me))
}

// ---- views -------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = identity::User)]
pub struct UserView {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: String,
    /// Hour (0-23, local) at which the user's day starts.
    pub day_start_hour: i32,
    pub email_verified: bool,
    pub email_verified_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<User> for UserView {
    fn from(user: User) -> Self {
        Self {
            id: user.id,
            email: user.email,
            display_name: user.display_name,
            timezone: user.timezone,
            day_start_hour: user.day_start_hour,
            email_verified: user.email_verified_at.is_some(),
            email_verified_at: user.email_verified_at,
            created_at: user.created_at,
            updated_at: user.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = identity::Session)]
pub struct SessionView {
    pub user: UserView,
    /// Bearer token for `Authorization`, valid for `expiresIn` seconds.
    pub access_token: String,
    /// Single-use token for `POST /auth/refresh`; every refresh returns a new one.
    pub refresh_token: String,
    pub expires_in: i64,
    /// Always `Bearer`.
    pub token_type: String,
}

impl From<Session> for SessionView {
    fn from(session: Session) -> Self {
        Self {
            user: session.user.into(),
            access_token: session.access_token,
            refresh_token: session.refresh_token,
            expires_in: session.expires_in,
            token_type: "Bearer".into(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = identity::ApiKey)]
pub struct ApiKeyView {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub scopes: Vec<Scope>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        Self {
            id: key.id,
            name: key.name,
            prefix: format!("{}{}", crate::tokens::API_KEY_PREFIX, key.lookup),
            scopes: key.scopes.to_vec(),
            created_at: key.created_at,
            last_used_at: key.last_used_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = identity::CreatedApiKey)]
pub struct CreatedApiKeyView {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The secret key. Shown only in this response: store it now.
    pub key: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = identity::Consent)]
pub struct ConsentView {
    pub purpose: Purpose,
    pub granted: bool,
    /// When it was last given or withdrawn; null if never asked.
    pub changed_at: Option<Timestamp>,
}

impl From<Consent> for ConsentView {
    fn from(consent: Consent) -> Self {
        Self {
            purpose: consent.purpose,
            granted: consent.granted,
            changed_at: consent.changed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = identity::ConsentList)]
pub struct ConsentListView {
    pub items: Vec<ConsentView>,
}

// ---- requests ----------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::RegisterRequest)]
pub struct RegisterRequest {
    /// An e-mail address (trimmed; at most 254 characters, at most 64 before the `@`, a
    /// dot inside the domain).
    #[schema(
        example = "ada@example.com",
        max_length = 254,
        pattern = r"^[^\S\u000B\u000C\u001C-\u001F\u0085]*[^\s@\u0000-\u001F\u007F-\u009F]{1,64}@[^\s@.\u0000-\u001F\u007F-\u009F][^\s@\u0000-\u001F\u007F-\u009F]*\.[^\s@\u0000-\u001F\u007F-\u009F]*[^\s@.\u0000-\u001F\u007F-\u009F][^\S\u000B\u000C\u001C-\u001F\u0085]*$"
    )]
    pub email: String,
    /// 10 to 128 characters.
    #[schema(min_length = 10, max_length = 128)]
    pub password: String,
    #[schema(max_length = 100, min_length = 1)]
    pub display_name: Option<String>,
    /// IANA time zone; default `UTC`.
    #[schema(example = "Europe/Berlin")]
    pub timezone: Option<String>,
    /// The invitation code, when the server admits accounts by invitation only
    /// (`LIFEOS_REGISTRATION=invite`); ignored otherwise.
    #[schema(max_length = 200, min_length = 1)]
    pub invite_code: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::LoginRequest)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::RefreshRequest)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::TokenRequest)]
pub struct TokenRequest {
    /// The `token` query parameter of the link in the e-mail.
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::MagicLinkRequest)]
pub struct MagicLinkRequest {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::UpdateMeRequest)]
pub struct UpdateMeRequest {
    /// A new display name, or null to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, max_length = 100, min_length = 1)]
    pub display_name: Option<Option<String>>,
    pub timezone: Option<String>,
    #[schema(minimum = 0, maximum = 23)]
    pub day_start_hour: Option<i32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::CreateApiKeyRequest)]
pub struct CreateApiKeyRequest {
    #[schema(example = "voice assistant", max_length = 100, min_length = 1)]
    pub name: String,
    /// `read` for GET; `write` for everything that changes data.
    #[schema(min_items = 1)]
    pub scopes: Vec<Scope>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = identity::SetConsentRequest)]
pub struct SetConsentRequest {
    pub granted: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = identity::Export)]
pub struct ExportView {
    pub user_id: Uuid,
    pub exported_at: Timestamp,
    /// One section per domain (`identity`, `platform`, ...), each table's rows by its
    /// name: `{ "<domain>": { "<table>": [{ "<column>": value, ... }] } }`.
    #[schema(value_type = std::collections::HashMap<String, std::collections::HashMap<String, Vec<std::collections::HashMap<String, serde_json::Value>>>>)]
    pub data: serde_json::Value,
    /// The synced data as a sync snapshot (`GET /sync/snapshot`'s body), which
    /// `POST /sync/import` accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = snapshot_ref)]
    pub sync: Option<serde_json::Value>,
}

/// `ExportView::sync`: the sync crate's `Snapshot` component, by name (this crate does
/// not depend on the sync crate).
fn snapshot_ref() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::RefOr::Ref(utoipa::openapi::Ref::from_schema_name("Snapshot"))
}

// ---- handlers ----------------------------------------------------------------------

/// Create an account and start a session. Sends an e-mail verification link.
///
/// Rules the schema cannot state (422 `validation_failed`): `timezone` must name a zone of the IANA database.
#[utoipa::path(post, path = "/auth/register", tag = TAG_AUTH, operation_id = "register",
    request_body = RegisterRequest,
    responses((status = 201, description = "Account created", body = SessionView),
              (status = 403, description = "`registration_closed`: this server admits no new accounts, or only with a valid invitation (`invite_invalid`)", body = lifeos_kernel::http::Problem, content_type = "application/problem+json"),
              (status = 409, description = "`email_taken`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn register(
    State(service): State<SharedIdentity>,
    client: ClientIp,
    Json(body): Json<RegisterRequest>,
) -> Result<impl IntoResponse, AppError> {
    let input = Registration {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
        timezone: body.timezone,
        invite_code: body.invite_code,
    };
    let session = service.register(input, client.0).await?;
    Ok((StatusCode::CREATED, Json(SessionView::from(session))))
}

/// Sign in with e-mail and password. Wrong e-mail and wrong password answer alike.
#[utoipa::path(post, path = "/auth/login", tag = TAG_AUTH, operation_id = "login",
    request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = SessionView),
              (status = 401, description = "`invalid_credentials`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn login(
    State(service): State<SharedIdentity>,
    client: ClientIp,
    Json(body): Json<LoginRequest>,
) -> Result<Json<SessionView>, AppError> {
    Ok(Json(
        service
            .login(&body.email, body.password, client.0)
            .await?
            .into(),
    ))
}

/// Exchange a refresh token for a new pair. A token can be used once; presenting it again
/// (except to retry within 30 s) revokes the session.
#[utoipa::path(post, path = "/auth/refresh", tag = TAG_AUTH, operation_id = "refreshSession",
    request_body = RefreshRequest,
    responses((status = 200, description = "New token pair", body = SessionView),
              (status = 401, description = "`invalid_refresh_token` or `refresh_token_reused`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn refresh(
    State(service): State<SharedIdentity>,
    Json(body): Json<RefreshRequest>,
) -> Result<Json<SessionView>, AppError> {
    Ok(Json(service.refresh(&body.refresh_token).await?.into()))
}

/// End the session the refresh token belongs to (every token of it stops working).
#[utoipa::path(post, path = "/auth/logout", tag = TAG_AUTH, operation_id = "logout",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"),
              (status = 401, description = "`invalid_refresh_token`", body = lifeos_kernel::http::Problem, content_type = "application/problem+json")))]
async fn logout(
    State(service): State<SharedIdentity>,
    Json(body): Json<RefreshRequest>,
) -> Result<StatusCode, AppError> {
    service.logout(&body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirm the e-mail address with the token from the verification e-mail.
///
/// Rules the schema cannot state (422 `invalid_token`): the token must be one this API mailed, unused and unexpired.
#[utoipa::path(post, path = "/auth/verify-email", tag = TAG_AUTH, operation_id = "verifyEmail",
    request_body = TokenRequest,
    responses((status = 200, description = "Verified", body = UserView)))]
async fn verify_email(
    State(service): State<SharedIdentity>,
    Json(body): Json<TokenRequest>,
) -> Result<Json<UserView>, AppError> {
    Ok(Json(service.verify_email(&body.token).await?.into()))
}

/// E-mail a sign-in link. Always 202, whether or not the address has an account.
#[utoipa::path(post, path = "/auth/magic-link", tag = TAG_AUTH, operation_id = "requestMagicLink",
    request_body = MagicLinkRequest,
    responses((status = 202, description = "If the account exists, a link was sent")))]
async fn request_magic_link(
    State(service): State<SharedIdentity>,
    client: ClientIp,
    Json(body): Json<MagicLinkRequest>,
) -> Result<StatusCode, AppError> {
    service.request_magic_link(&body.email, client.0).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Sign in with the token from a magic-link e-mail (single use, 15 minutes).
///
/// Rules the schema cannot state (422 `invalid_token`): the token must be one this API mailed, unused and unexpired.
#[utoipa::path(post, path = "/auth/magic-link/consume", tag = TAG_AUTH, operation_id = "consumeMagicLink",
    request_body = TokenRequest,
    responses((status = 200, description = "Signed in", body = SessionView)))]
async fn consume_magic_link(
    State(service): State<SharedIdentity>,
    Json(body): Json<TokenRequest>,
) -> Result<Json<SessionView>, AppError> {
    Ok(Json(service.consume_magic_link(&body.token).await?.into()))
}

/// The signed-in user's profile.
#[utoipa::path(get, path = "/me", tag = TAG_ACCOUNT, operation_id = "getMe",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Profile", body = UserView)))]
async fn get_me(
    State(service): State<SharedIdentity>,
    principal: Principal,
) -> Result<Json<UserView>, AppError> {
    Ok(Json(service.me(principal.user_id).await?.into()))
}

/// Change display name, time zone or the hour the day starts.
///
/// Rules the schema cannot state (422 `validation_failed`): `timezone` must name a zone of the IANA database.
#[utoipa::path(patch, path = "/me", tag = TAG_ACCOUNT, operation_id = "updateMe",
    security(("bearerAuth" = []), ("apiKey" = [])),
    request_body = UpdateMeRequest,
    responses((status = 200, description = "Updated profile", body = UserView)))]
async fn update_me(
    State(service): State<SharedIdentity>,
    principal: Principal,
    Json(body): Json<UpdateMeRequest>,
) -> Result<Json<UserView>, AppError> {
    let patch = ProfilePatch {
        display_name: body.display_name,
        timezone: body.timezone,
        day_start_hour: body.day_start_hour,
    };
    Ok(Json(
        service.update_me(principal.user_id, patch).await?.into(),
    ))
}

/// Erase the account and every piece of data held about it. Needs a login session.
#[utoipa::path(delete, path = "/me", tag = TAG_ACCOUNT, operation_id = "deleteMe",
    security(("bearerAuth" = [])),
    responses((status = 204, description = "Account erased")))]
async fn delete_me(
    State(service): State<SharedIdentity>,
    principal: Principal,
) -> Result<StatusCode, AppError> {
    principal.require_session()?;
    service.erase(principal.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everything lifeos holds about the signed-in user, as JSON. Needs a login session.
#[utoipa::path(get, path = "/me/export", tag = TAG_ACCOUNT, operation_id = "exportMe",
    security(("bearerAuth" = [])),
    responses((status = 200, description = "The export", body = ExportView)))]
async fn export_me(
    State(service): State<SharedIdentity>,
    principal: Principal,
) -> Result<impl IntoResponse, AppError> {
    principal.require_session()?;
    Ok(Json(service.export(principal.user_id).await?))
}

/// The user's API keys (secrets are never shown again).
#[utoipa::path(get, path = "/me/api-keys", tag = TAG_ACCOUNT, operation_id = "listApiKeys",
    security(("bearerAuth" = [])),
    params(PageParams),
    responses((status = 200, description = "API keys", body = Page<ApiKeyView>)))]
async fn list_api_keys(
    State(service): State<SharedIdentity>,
    principal: Principal,
    Query(params): Query<PageParams>,
) -> Result<Json<Page<ApiKeyView>>, AppError> {
    principal.require_session()?;
    let page = service.api_keys(principal.user_id, params.parse()?).await?;
    Ok(Json(page.map(ApiKeyView::from)))
}

/// Create an API key for an assistant or script. The key is in this response only.
#[utoipa::path(post, path = "/me/api-keys", tag = TAG_ACCOUNT, operation_id = "createApiKey",
    security(("bearerAuth" = [])),
    request_body = CreateApiKeyRequest,
    responses((status = 201, description = "Created", body = CreatedApiKeyView)))]
async fn create_api_key(
    State(service): State<SharedIdentity>,
    principal: Principal,
    Json(body): Json<CreateApiKeyRequest>,
) -> Result<impl IntoResponse, AppError> {
    principal.require_session()?;
    let (key, secret) = service
        .create_api_key(principal.user_id, body.name, body.scopes)
        .await?;
    // The secret is shown once: never kept for an idempotent replay.
    Ok((
        StatusCode::CREATED,
        Extension(NoReplay),
        Json(CreatedApiKeyView {
            api_key: key.into(),
            key: secret,
        }),
    ))
}

/// Revoke an API key.
#[utoipa::path(delete, path = "/me/api-keys/{id}", tag = TAG_ACCOUNT, operation_id = "deleteApiKey",
    security(("bearerAuth" = [])),
    params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 204, description = "Revoked")))]
async fn delete_api_key(
    State(service): State<SharedIdentity>,
    principal: Principal,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, AppError> {
    principal.require_session()?;
    service.delete_api_key(principal.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Consent per purpose (`health_data`, `integrations`, `recommendations`).
#[utoipa::path(get, path = "/me/consents", tag = TAG_ACCOUNT, operation_id = "listConsents",
    security(("bearerAuth" = []), ("apiKey" = [])),
    responses((status = 200, description = "Consents", body = ConsentListView)))]
async fn list_consents(
    State(service): State<SharedIdentity>,
    principal: Principal,
) -> Result<Json<ConsentListView>, AppError> {
    let items = service
        .consents(principal.user_id)
        .await?
        .into_iter()
        .map(ConsentView::from)
        .collect();
    Ok(Json(ConsentListView { items }))
}

/// Give or withdraw consent for a purpose. Domains react to withdrawals.
#[utoipa::path(put, path = "/me/consents/{purpose}", tag = TAG_ACCOUNT, operation_id = "setConsent",
    security(("bearerAuth" = [])),
    params(("purpose" = Purpose, Path, description = "The purpose")),
    request_body = SetConsentRequest,
    responses((status = 200, description = "Recorded", body = ConsentView)))]
async fn set_consent(
    State(service): State<SharedIdentity>,
    principal: Principal,
    Path(purpose): Path<String>,
    Json(body): Json<SetConsentRequest>,
) -> Result<Json<ConsentView>, AppError> {
    principal.require_session()?;
    Ok(Json(
        service
            .set_consent(principal.user_id, &purpose, body.granted)
            .await?
            .into(),
    ))
}
