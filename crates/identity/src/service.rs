//! Identity's use cases: accounts, sessions, e-mail links, API keys, consents, and the
//! account-wide export and erasure.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use lifeos_kernel::consent::{ConsentCheck, Purpose};
use lifeos_kernel::error::Validator;
use lifeos_kernel::http::Authenticator;
use lifeos_kernel::id::new_id;
use lifeos_kernel::invalidation;
use lifeos_kernel::page::{Page, PageRequest};
use lifeos_kernel::rate_limit::{Quota, RateLimiter};
use lifeos_kernel::user_data::UserDataRegistry;
use lifeos_kernel::{
    AppError, AuthMethod, Db, Principal, Scope, Scopes, SharedClock, StoreError, Timestamp, zone,
};
use subtle::ConstantTimeEq;
use time::Duration;
use uuid::Uuid;

use crate::error::{IdentityError, Result};
use crate::lockout::{self, LoginThrottle};
use crate::mailer::{Mail, Mailer};
use crate::model::{
    ApiKey, Consent, EmailTokenPurpose, Invite, IssuedInvite, NewRefreshToken, NewUser,
    ProfilePatch, RefreshTokenRow, User,
};
use crate::password::Passwords;
use crate::session_cache::{self, CachedKey, Notice, SessionCache};
use crate::store::{IdentityStore, Rotation, UserCreation};
use crate::tokens::{self, ACCESS_TTL, REFRESH_GRACE, REFRESH_TTL, TokenKeys};

pub const VERIFY_EMAIL_TTL: Duration = Duration::minutes(60);
pub const MAGIC_LINK_TTL: Duration = Duration::minutes(15);
/// How long an invite code may be valid at most (`lifeos invite create --days`).
pub const INVITE_TTL_MAX: Duration = Duration::days(365);

/// A login: the user and a fresh (or replayed) token pair.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    pub timezone: Option<String>,
    /// Needed when [`RegistrationPolicy::Invite`]: a code from `lifeos invite create`.
    pub invite_code: Option<String>,
}

/// An account the operator creates (`lifeos user create`): its address counts as
/// verified, and without a password it signs in by magic link.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub email: String,
    pub password: Option<String>,
    pub display_name: Option<String>,
    pub timezone: Option<String>,
}

/// Who may create an account through `POST /auth/register` (`LIFEOS_REGISTRATION`).
/// The operator's CLI (`lifeos user create`) creates accounts whatever the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationPolicy {
    /// Anyone.
    Open,
    /// No one: 403 `registration_closed`.
    Closed,
    /// Whoever holds an unused, unexpired invite code.
    Invite,
}

impl RegistrationPolicy {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            "invite" => Some(Self::Invite),
            _ => None,
        }
    }
}

#[async_trait]
pub trait IdentityService: Send + Sync {
    async fn register(&self, input: Registration, client: IpAddr) -> Result<Session>;
    async fn login(&self, email: &str, password: String, client: IpAddr) -> Result<Session>;
    async fn refresh(&self, refresh_token: &str) -> Result<Session>;
    async fn logout(&self, refresh_token: &str) -> Result<()>;
    async fn verify_email(&self, token: &str) -> Result<User>;
    async fn request_magic_link(&self, email: &str, client: IpAddr) -> Result<()>;
    async fn consume_magic_link(&self, token: &str) -> Result<Session>;
    async fn me(&self, user_id: Uuid) -> Result<User>;
    async fn update_me(&self, user_id: Uuid, patch: ProfilePatch) -> Result<User>;
    /// The new key and its secret (shown once).
    async fn create_api_key(
        &self,
        user_id: Uuid,
        name: String,
        scopes: Vec<Scope>,
    ) -> Result<(ApiKey, String)>;
    async fn api_keys(&self, user_id: Uuid, page: PageRequest<Uuid>) -> Result<Page<ApiKey>>;
    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> Result<()>;
    async fn consents(&self, user_id: Uuid) -> Result<Vec<Consent>>;
    async fn set_consent(&self, user_id: Uuid, purpose: &str, granted: bool) -> Result<Consent>;
    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value>;
    async fn erase(&self, user_id: Uuid) -> Result<()>;

    /// The operator's tools (`lifeos user|invite ...`), whatever the registration policy.
    /// Creates a verified account; no mail is sent.
    async fn create_account(&self, input: NewAccount) -> Result<User>;
    /// Every account, oldest first.
    async fn users(&self) -> Result<Vec<User>>;
    /// The account with this e-mail (case-insensitive), if any.
    async fn account(&self, email: &str) -> Result<Option<User>>;
    /// A single-use invite code valid for `valid_for` (at most [`INVITE_TTL_MAX`]), for
    /// anyone or only for `email`; the code is returned once and stored as its hash.
    async fn create_invite(
        &self,
        email: Option<String>,
        valid_for: Duration,
    ) -> Result<(IssuedInvite, String)>;
    /// The invites that still admit someone, newest first.
    async fn invites(&self) -> Result<Vec<IssuedInvite>>;
    /// Withdraws the live invite `id` (from [`IdentityService::invites`]): its code no longer
    /// registers anyone. `NotFound` when no live invite has that id.
    async fn revoke_invite(&self, id: &str) -> Result<IssuedInvite>;
}

pub type SharedIdentity = Arc<dyn IdentityService>;

#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// This server's public base URL, e.g. `https://lifeos.example`: mail links go to its
    /// `/verify-email` and `/magic-link` pages unless `app_url` is set.
    pub public_url: String,
    /// The client app's base URL (`LIFEOS_APP_URL`): when set, mail links go there.
    pub app_url: Option<String>,
    /// Who may register (`LIFEOS_REGISTRATION`).
    pub registration: RegistrationPolicy,
    /// Backoff after failed password sign-ins on one account (`lockout`).
    pub login_per_account: lockout::Policy,
    pub login_per_client: Quota,
    pub magic_link_per_account: Quota,
    pub magic_link_per_client: Quota,
    pub register_per_client: Quota,
    pub max_concurrent_hashes: usize,
    /// How long a live session or API key is trusted without asking the database
    /// (`session_cache`, ADR 0012); zero asks on every request.
    pub auth_cache_ttl: Duration,
    /// Sessions and API keys remembered at most.
    pub auth_cache_capacity: usize,
}

impl IdentityConfig {
    pub fn new(public_url: impl Into<String>) -> Self {
        Self {
            public_url: public_url.into(),
            app_url: None,
            registration: RegistrationPolicy::Open,
            login_per_account: lockout::Policy::default(),
            login_per_client: Quota {
                max_requests: 30,
                window: Duration::minutes(1),
            },
            magic_link_per_account: Quota {
                max_requests: 3,
                window: Duration::minutes(15),
            },
            magic_link_per_client: Quota {
                max_requests: 10,
                window: Duration::minutes(1),
            },
            register_per_client: Quota {
                max_requests: 30,
                window: Duration::minutes(1),
            },
            max_concurrent_hashes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            auth_cache_ttl: session_cache::DEFAULT_TTL,
            auth_cache_capacity: session_cache::DEFAULT_CAPACITY,
        }
    }
}

struct Limits {
    login_account: LoginThrottle,
    login_client: RateLimiter,
    magic_account: RateLimiter,
    magic_client: RateLimiter,
    register_client: RateLimiter,
}

/// Everything identity needs, wired by the gateway.
pub struct IdentityDeps {
    pub store: Arc<dyn IdentityStore>,
    pub mailer: Arc<dyn Mailer>,
    pub clock: SharedClock,
    pub jwt_secret: Vec<u8>,
    pub user_data: Arc<UserDataRegistry>,
    /// Where revocations are announced to other replicas (`NOTIFY` on PostgreSQL).
    pub db: Db,
}

pub struct Identity {
    store: Arc<dyn IdentityStore>,
    mailer: Arc<dyn Mailer>,
    clock: SharedClock,
    keys: TokenKeys,
    passwords: Passwords,
    user_data: Arc<UserDataRegistry>,
    limits: Limits,
    /// Where mail links point: the app's URL, or this server's.
    link_base: String,
    registration: RegistrationPolicy,
    sessions: Arc<SessionCache>,
    db: Db,
}

impl Identity {
    pub fn new(deps: IdentityDeps, config: IdentityConfig) -> Self {
        let limiter = |quota| RateLimiter::new(quota, deps.clock.clone());
        let limits = Limits {
            login_account: LoginThrottle::new(config.login_per_account),
            login_client: limiter(config.login_per_client),
            magic_account: limiter(config.magic_link_per_account),
            magic_client: limiter(config.magic_link_per_client),
            register_client: limiter(config.register_per_client),
        };
        let sessions = Arc::new(SessionCache::new(
            config.auth_cache_ttl,
            config.auth_cache_capacity,
            deps.clock.clone(),
        ));
        Self {
            sessions,
            keys: TokenKeys::new(&deps.jwt_secret),
            passwords: Passwords::new(config.max_concurrent_hashes),
            store: deps.store,
            mailer: deps.mailer,
            clock: deps.clock,
            user_data: deps.user_data,
            limits,
            link_base: config
                .app_url
                .as_deref()
                .unwrap_or(&config.public_url)
                .trim_end_matches('/')
                .to_owned(),
            registration: config.registration,
            db: deps.db,
        }
    }

    /// The liveness cache, for the gateway to feed with other replicas' notices
    /// (`kernel::invalidation::spawn_listener` on [`session_cache::CHANNEL`]).
    pub fn session_cache(&self) -> Arc<SessionCache> {
        self.sessions.clone()
    }

    /// After a revocation was written (or failed, when it may have been): forgets the
    /// entries here at once and tells the other replicas. A notice that cannot be sent
    /// is logged; the replicas then trust their entries for at most the cache's TTL.
    async fn revoked(&self, notice: Notice) {
        self.sessions.forget(notice);
        let payload = notice.payload();
        if let Err(error) = invalidation::publish(&self.db, session_cache::CHANNEL, &payload).await
        {
            tracing::error!(%error, notice = %payload, "could not announce a revocation to other replicas");
        }
    }

    async fn start_session(&self, user: User) -> Result<Session> {
        let now = self.clock.now();
        let refresh_token = tokens::new_refresh_token();
        let first = NewRefreshToken {
            id: new_id(),
            session_id: new_id(),
            user_id: user.id,
            parent_id: None,
            token_hash: tokens::hash_token(&refresh_token),
            access_jti: new_id(),
            access_issued_at: now,
            expires_at: now + REFRESH_TTL,
        };
        self.store.create_session(&first, now).await?;
        let access_token = self
            .keys
            .access_token(user.id, first.session_id, first.access_jti, now);
        Ok(Session {
            user,
            access_token,
            refresh_token,
            expires_in: ACCESS_TTL.whole_seconds(),
        })
    }

    /// The pair issued for `row`, rebuilt: `refresh_token` is its (derived) value.
    async fn session_for(&self, row: &RefreshTokenRow, refresh_token: String) -> Result<Session> {
        let user = self
            .store
            .user(row.user_id)
            .await?
            .ok_or(IdentityError::InvalidRefreshToken)?;
        let access_token = self.keys.access_token(
            row.user_id,
            row.session_id,
            row.access_jti,
            row.access_issued_at,
        );
        let expires_at = row.access_issued_at + ACCESS_TTL;
        let expires_in = expires_at.since(self.clock.now()).whole_seconds().max(0);
        Ok(Session {
            user,
            access_token,
            refresh_token,
            expires_in,
        })
    }

    /// A rotated token presented again: the lost-response retry inside the grace window
    /// gets the same successor pair; anything else is reuse and ends the session.
    async fn replay_or_revoke(
        &self,
        presented: &str,
        row: &RefreshTokenRow,
        rotated_at: Timestamp,
    ) -> Result<Session> {
        let now = self.clock.now();
        let successor = self.store.successor(row.id).await?;
        if let Some(successor) = successor
            && successor.rotated_at.is_none()
            && now.since(rotated_at) <= REFRESH_GRACE
        {
            return self
                .session_for(&successor, self.keys.successor_of(presented))
                .await;
        }
        let revoked = self.store.revoke_session(row.session_id, now).await;
        self.revoked(Notice::Session(row.session_id)).await;
        revoked?;
        tracing::warn!(session = %row.session_id, "refresh token reuse detected; session revoked");
        Err(IdentityError::RefreshTokenReused)
    }

    async fn send_link(&self, to: &str, subject: &str, intro: &str, path: &str, token: &str) {
        let link = format!("{}/{path}?token={token}", self.link_base);
        let text =
            format!("{intro}\n\n{link}\n\nIf you did not ask for this, ignore this message.\n");
        let mail = Mail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text,
        };
        // Mail trouble must not fail the request; it is logged (without the token) instead.
        match tokio::time::timeout(std::time::Duration::from_secs(10), self.mailer.send(mail)).await
        {
            Ok(Ok(())) => {}
            Ok(Err(error)) => tracing::error!(%error, subject, "could not send mail"),
            Err(_) => tracing::error!(subject, "sending mail timed out"),
        }
    }

    async fn issue_email_token(
        &self,
        user: &User,
        purpose: EmailTokenPurpose,
        ttl: Duration,
    ) -> Result<String> {
        let now = self.clock.now();
        let token = tokens::random_secret();
        self.store
            .create_email_token(
                user.id,
                purpose,
                &tokens::hash_token(&token),
                now,
                now + ttl,
            )
            .await?;
        Ok(token)
    }

    /// Stores `user` (claiming the invite when there is one): `email_taken`, `invite_invalid`.
    async fn insert_user(&self, user: &NewUser, invite_hash: Option<&[u8]>) -> Result<()> {
        match self.store.create_user(user, invite_hash).await {
            Ok(UserCreation::Created) => Ok(()),
            Ok(UserCreation::InviteRejected) => Err(IdentityError::InviteInvalid),
            Err(error) if error.is_unique_violation() => Err(IdentityError::EmailTaken),
            Err(error) => Err(error.into()),
        }
    }

    fn limit(limiter: &RateLimiter, key: &str) -> Result<()> {
        limiter
            .check(key)
            .map_err(|retry_after_secs| IdentityError::RateLimited { retry_after_secs })
    }
}

/// The key that login throttling counts under: the e-mail as typed, case-insensitive.
fn account_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Trimmed address and its case-insensitive key, if it looks like an e-mail address.
fn normalize_email(raw: &str) -> Option<(String, String)> {
    let email = raw.trim();
    let (local, domain) = email.rsplit_once('@')?;
    let plausible = (3..=254).contains(&email.len())
        && (1..=64).contains(&local.len())
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then(|| (email.to_owned(), email.to_lowercase()))
}

/// The checks register and `create_account` share: the address, the password when there
/// is one, the profile. The address (trimmed) and its key.
fn check_account(
    email: &str,
    password: Option<&str>,
    display_name: Option<&str>,
    timezone: Option<&str>,
) -> Result<(String, String)> {
    let email = normalize_email(email);
    let mut v = Validator::new();
    v.check(email.is_some(), "email", "must be an e-mail address");
    if let Some(password) = password {
        v.length(password, "password", 10, 128);
    }
    check_profile(&mut v, display_name, timezone, None);
    invalid(&mut v)?;
    email.ok_or_else(|| IdentityError::Invalid(Vec::new()))
}

fn invalid(v: &mut Validator) -> Result<()> {
    v.finish().map_err(|e| IdentityError::Invalid(e.errors))
}

fn check_profile(
    v: &mut Validator,
    display_name: Option<&str>,
    timezone: Option<&str>,
    day_start_hour: Option<i32>,
) {
    if let Some(name) = display_name {
        v.length(name.trim(), "displayName", 1, 100);
    }
    if let Some(zone) = timezone {
        v.check(
            zone::is_valid(zone),
            "timezone",
            "must be an IANA time zone such as Europe/Berlin",
        );
    }
    if let Some(hour) = day_start_hour {
        v.check(
            (0..=23).contains(&hour),
            "dayStartHour",
            "must be between 0 and 23",
        );
    }
}

#[async_trait]
impl IdentityService for Identity {
    async fn register(&self, input: Registration, client: IpAddr) -> Result<Session> {
        Self::limit(&self.limits.register_client, &client.to_string())?;
        let invite_hash = match self.registration {
            RegistrationPolicy::Open => None,
            RegistrationPolicy::Closed => return Err(IdentityError::RegistrationClosed),
            RegistrationPolicy::Invite => {
                let code = input
                    .invite_code
                    .as_deref()
                    .map(str::trim)
                    .filter(|code| !code.is_empty())
                    .ok_or(IdentityError::InvitationRequired)?;
                Some(tokens::hash_token(code))
            }
        };
        let (email, email_key) = check_account(
            &input.email,
            Some(&input.password),
            input.display_name.as_deref(),
            input.timezone.as_deref(),
        )?;

        let now = self.clock.now();
        // A quick answer before the password hash; the claim below is what counts.
        if let Some(hash) = &invite_hash {
            let invite = self.store.invite(hash).await?;
            if !invite.is_some_and(|invite| invite.admits(&email_key, now)) {
                return Err(IdentityError::InviteInvalid);
            }
        }
        let new_user = NewUser {
            id: new_id(),
            email,
            email_key,
            display_name: input.display_name.map(|n| n.trim().to_owned()),
            timezone: input.timezone.unwrap_or_else(|| "UTC".to_owned()),
            password_hash: self.passwords.hash(input.password).await?,
            at: now,
            email_verified_at: None,
        };
        self.insert_user(&new_user, invite_hash.as_deref()).await?;
        let user = self
            .store
            .user(new_user.id)
            .await?
            .ok_or(IdentityError::NotFound("user"))?;
        let token = self
            .issue_email_token(&user, EmailTokenPurpose::VerifyEmail, VERIFY_EMAIL_TTL)
            .await?;
        self.send_link(
            &user.email,
            "Confirm your e-mail for lifeos",
            "Confirm your e-mail address:",
            "verify-email",
            &token,
        )
        .await;
        self.start_session(user).await
    }

    async fn login(&self, email: &str, password: String, client: IpAddr) -> Result<Session> {
        let key = account_key(email);
        Self::limit(&self.limits.login_client, &client.to_string())?;
        self.limits
            .login_account
            .admit(&key, client, self.clock.now())
            .map_err(|retry_after_secs| IdentityError::SignInThrottled { retry_after_secs })?;
        let found = self.store.user_by_email(&key).await?;
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, None),
        };
        // Runs the hash even for unknown e-mails so timing does not reveal accounts.
        let ok = self.passwords.verify(password, hash).await?;
        match user {
            Some(user) if ok => {
                self.limits.login_account.succeeded(&key);
                self.start_session(user).await
            }
            _ => Err(IdentityError::InvalidCredentials),
        }
    }

    async fn refresh(&self, refresh_token: &str) -> Result<Session> {
        let now = self.clock.now();
        let row = self
            .store
            .refresh_token(&tokens::hash_token(refresh_token))
            .await?
            .ok_or(IdentityError::InvalidRefreshToken)?;
        if row.session_revoked_at.is_some() || row.expires_at <= now {
            return Err(IdentityError::InvalidRefreshToken);
        }
        if let Some(rotated_at) = row.rotated_at {
            return self.replay_or_revoke(refresh_token, &row, rotated_at).await;
        }
        let successor_token = self.keys.successor_of(refresh_token);
        let next = NewRefreshToken {
            id: new_id(),
            session_id: row.session_id,
            user_id: row.user_id,
            parent_id: Some(row.id),
            token_hash: tokens::hash_token(&successor_token),
            access_jti: new_id(),
            access_issued_at: now,
            expires_at: now + REFRESH_TTL,
        };
        match self.store.rotate(row.id, &next, now).await? {
            Rotation::Rotated => {
                let issued = RefreshTokenRow {
                    id: next.id,
                    rotated_at: None,
                    expires_at: next.expires_at,
                    ..row
                };
                let issued = RefreshTokenRow {
                    access_jti: next.access_jti,
                    access_issued_at: now,
                    ..issued
                };
                self.session_for(&issued, successor_token).await
            }
            // A concurrent request rotated it a moment ago: same answer as a retry.
            Rotation::AlreadyRotated => self.replay_or_revoke(refresh_token, &row, now).await,
        }
    }

    async fn logout(&self, refresh_token: &str) -> Result<()> {
        let row = self
            .store
            .refresh_token(&tokens::hash_token(refresh_token))
            .await?
            .ok_or(IdentityError::InvalidRefreshToken)?;
        let revoked = self
            .store
            .revoke_session(row.session_id, self.clock.now())
            .await;
        self.revoked(Notice::Session(row.session_id)).await;
        revoked?;
        Ok(())
    }

    async fn verify_email(&self, token: &str) -> Result<User> {
        let now = self.clock.now();
        let user_id = self
            .store
            .consume_email_token(
                EmailTokenPurpose::VerifyEmail,
                &tokens::hash_token(token),
                now,
            )
            .await?
            .ok_or(IdentityError::InvalidToken)?;
        self.store.mark_email_verified(user_id, now).await?;
        self.me(user_id).await
    }

    async fn request_magic_link(&self, email: &str, client: IpAddr) -> Result<()> {
        let key = email.trim().to_lowercase();
        Self::limit(&self.limits.magic_client, &client.to_string())?;
        Self::limit(&self.limits.magic_account, &key)?;
        if let Some((user, _)) = self.store.user_by_email(&key).await? {
            let token = self
                .issue_email_token(&user, EmailTokenPurpose::MagicLink, MAGIC_LINK_TTL)
                .await?;
            self.send_link(
                &user.email,
                "Your lifeos sign-in link",
                "Sign in to lifeos (valid for 15 minutes):",
                "magic-link",
                &token,
            )
            .await;
        }
        Ok(())
    }

    async fn consume_magic_link(&self, token: &str) -> Result<Session> {
        let now = self.clock.now();
        let user_id = self
            .store
            .consume_email_token(
                EmailTokenPurpose::MagicLink,
                &tokens::hash_token(token),
                now,
            )
            .await?
            .ok_or(IdentityError::InvalidToken)?;
        // Following the link proves the address.
        self.store.mark_email_verified(user_id, now).await?;
        let user = self.me(user_id).await?;
        // ... and the owner: failed password guesses on the account stop counting.
        self.limits
            .login_account
            .succeeded(&account_key(&user.email));
        self.start_session(user).await
    }

    async fn me(&self, user_id: Uuid) -> Result<User> {
        self.store
            .user(user_id)
            .await?
            .ok_or(IdentityError::SessionEnded)
    }

    async fn update_me(&self, user_id: Uuid, mut patch: ProfilePatch) -> Result<User> {
        let mut v = Validator::new();
        let name = patch.display_name.as_ref().and_then(|n| n.as_deref());
        check_profile(
            &mut v,
            name,
            patch.timezone.as_deref(),
            patch.day_start_hour,
        );
        invalid(&mut v)?;
        patch.display_name = patch.display_name.map(|n| n.map(|n| n.trim().to_owned()));
        self.store
            .update_profile(user_id, &patch, self.clock.now())
            .await?
            .ok_or(IdentityError::SessionEnded)
    }

    async fn create_api_key(
        &self,
        user_id: Uuid,
        name: String,
        scopes: Vec<Scope>,
    ) -> Result<(ApiKey, String)> {
        let mut v = Validator::new();
        v.length(name.trim(), "name", 1, 100);
        v.check(
            !scopes.is_empty(),
            "scopes",
            "must name at least one scope (read, write)",
        );
        invalid(&mut v)?;
        let (secret, lookup) = tokens::new_api_key();
        let key = ApiKey {
            id: new_id(),
            user_id,
            name: name.trim().to_owned(),
            lookup,
            scopes: Scopes::from_slice(&scopes),
            created_at: self.clock.now(),
            last_used_at: None,
        };
        self.store
            .create_api_key(&key, &tokens::hash_token(&secret))
            .await?;
        Ok((key, secret))
    }

    async fn api_keys(&self, user_id: Uuid, page: PageRequest<Uuid>) -> Result<Page<ApiKey>> {
        let rows = self.store.api_keys(user_id, &page).await?;
        Ok(Page::from_rows(rows, page.limit, |key| key.id))
    }

    async fn delete_api_key(&self, user_id: Uuid, id: Uuid) -> Result<()> {
        let deleted = self.store.delete_api_key(user_id, id).await;
        if !matches!(deleted, Ok(false)) {
            self.revoked(Notice::ApiKey(id)).await;
        }
        if deleted? {
            Ok(())
        } else {
            Err(IdentityError::NotFound("API key"))
        }
    }

    async fn consents(&self, user_id: Uuid) -> Result<Vec<Consent>> {
        Ok(self.store.consents(user_id).await?)
    }

    async fn set_consent(&self, user_id: Uuid, purpose: &str, granted: bool) -> Result<Consent> {
        let purpose = Purpose::parse(purpose)
            .ok_or_else(|| IdentityError::UnknownPurpose(purpose.to_owned()))?;
        Ok(self
            .store
            .set_consent(user_id, purpose, granted, self.clock.now())
            .await?)
    }

    async fn export(&self, user_id: Uuid) -> Result<serde_json::Value> {
        let now = self.clock.now();
        let (data, sync) = self.user_data.export_with_snapshot(user_id, now).await?;
        let mut export = serde_json::json!({ "userId": user_id, "exportedAt": now, "data": data });
        // The synced data once more, as the sync snapshot (what `POST /sync/import` reads).
        if let Some(sync) = sync {
            export["sync"] = sync;
        }
        Ok(export)
    }

    async fn erase(&self, user_id: Uuid) -> Result<()> {
        let erased = self.user_data.erase(user_id).await;
        // Every session and key of the user is gone (or, on error, may be).
        self.revoked(Notice::User(user_id)).await;
        erased?;
        tracing::info!(user = %user_id, "account erased");
        Ok(())
    }

    async fn create_account(&self, input: NewAccount) -> Result<User> {
        let (email, email_key) = check_account(
            &input.email,
            input.password.as_deref(),
            input.display_name.as_deref(),
            input.timezone.as_deref(),
        )?;
        // Without a password: the hash of a random secret no one knows, so a password
        // sign-in fails like any wrong password and the magic link is the way in.
        let password = input.password.unwrap_or_else(tokens::random_secret);
        let now = self.clock.now();
        let new_user = NewUser {
            id: new_id(),
            email,
            email_key,
            display_name: input.display_name.map(|n| n.trim().to_owned()),
            timezone: input.timezone.unwrap_or_else(|| "UTC".to_owned()),
            password_hash: self.passwords.hash(password).await?,
            at: now,
            email_verified_at: Some(now),
        };
        self.insert_user(&new_user, None).await?;
        tracing::info!(user = %new_user.id, "account created by the operator");
        self.store
            .user(new_user.id)
            .await?
            .ok_or(IdentityError::NotFound("user"))
    }

    async fn users(&self) -> Result<Vec<User>> {
        Ok(self.store.users().await?)
    }

    async fn account(&self, email: &str) -> Result<Option<User>> {
        let found = self.store.user_by_email(&account_key(email)).await?;
        Ok(found.map(|(user, _)| user))
    }

    async fn create_invite(
        &self,
        email: Option<String>,
        valid_for: Duration,
    ) -> Result<(IssuedInvite, String)> {
        let email_key = email.as_deref().map(normalize_email);
        let mut v = Validator::new();
        if let Some(key) = &email_key {
            v.check(key.is_some(), "email", "must be an e-mail address");
        }
        v.check(
            valid_for > Duration::ZERO && valid_for <= INVITE_TTL_MAX,
            "days",
            "must be between 1 and 365 days",
        );
        invalid(&mut v)?;
        let now = self.clock.now();
        let invite = Invite {
            email_key: email_key.flatten().map(|(_, key)| key),
            created_at: now,
            expires_at: now + valid_for,
        };
        let code = tokens::new_invite_code();
        let code_hash = tokens::hash_token(&code);
        self.store
            .create_invite(
                &code_hash,
                invite.email_key.as_deref(),
                now,
                invite.expires_at,
            )
            .await?;
        Ok((IssuedInvite::new(&code_hash, invite), code))
    }

    async fn invites(&self) -> Result<Vec<IssuedInvite>> {
        let live = self.store.live_invites(self.clock.now()).await?;
        Ok(live
            .into_iter()
            .map(|(hash, invite)| IssuedInvite::new(&hash, invite))
            .collect())
    }

    async fn revoke_invite(&self, id: &str) -> Result<IssuedInvite> {
        const NOT_FOUND: IdentityError = IdentityError::NotFound("live invite with this id");
        let live = self.store.live_invites(self.clock.now()).await?;
        let (issued, hash) = live
            .into_iter()
            .map(|(hash, invite)| (IssuedInvite::new(&hash, invite), hash))
            .find(|(issued, _)| issued.id == id)
            .ok_or(NOT_FOUND)?;
        if !self.store.delete_invite(&hash).await? {
            // Used (or revoked) between the read and the delete.
            return Err(NOT_FOUND);
        }
        Ok(issued)
    }
}

#[async_trait]
impl Authenticator for Identity {
    async fn bearer(&self, token: &str) -> std::result::Result<Principal, AppError> {
        let claims = self
            .keys
            .verify_access(token, self.clock.now())
            .map_err(IdentityError::InvalidAccessToken)?;
        let owner = match self.sessions.session_owner(claims.sid) {
            Some(owner) => Some(owner),
            None => {
                let ticket = self.sessions.ticket();
                let owner = self
                    .store
                    .live_session_owner(claims.sid)
                    .await
                    .map_err(IdentityError::from)?;
                // Only a live session is remembered; an ended one is asked again.
                if let Some(owner) = owner {
                    self.sessions.insert_session(ticket, claims.sid, owner);
                }
                owner
            }
        };
        match owner {
            Some(owner) if owner == claims.sub => Ok(Principal {
                user_id: claims.sub,
                auth: AuthMethod::Session {
                    session_id: claims.sid,
                },
                scopes: Scopes::FULL,
            }),
            _ => Err(IdentityError::SessionEnded.into()),
        }
    }

    async fn api_key(&self, key: &str) -> std::result::Result<Principal, AppError> {
        let lookup = tokens::api_key_lookup(key).ok_or(IdentityError::InvalidApiKey)?;
        let cached = match self.sessions.api_key(lookup) {
            Some(cached) => cached,
            None => {
                let ticket = self.sessions.ticket();
                let row = self
                    .store
                    .api_key_by_lookup(lookup)
                    .await
                    .map_err(IdentityError::from)?
                    .ok_or(IdentityError::InvalidApiKey)?;
                let cached = CachedKey {
                    id: row.id,
                    user_id: row.user_id,
                    scopes: Scopes::from_storage(&row.scopes),
                    key_hash: Arc::from(row.key_hash),
                    last_touch: row.last_used_at,
                };
                self.sessions.insert_api_key(ticket, lookup, cached.clone());
                cached
            }
        };
        let presented = tokens::hash_token(key);
        if !bool::from(presented.ct_eq(&cached.key_hash)) {
            return Err(IdentityError::InvalidApiKey.into());
        }
        // Use is recorded at most once a minute: skip the write when it was recently.
        let now = self.clock.now();
        if cached.needs_touch(now) {
            self.store
                .touch_api_key(cached.id, now)
                .await
                .map_err(IdentityError::from)?;
            self.sessions.touched(lookup, now);
        }
        Ok(Principal {
            user_id: cached.user_id,
            auth: AuthMethod::ApiKey { key_id: cached.id },
            scopes: cached.scopes,
        })
    }
}

#[async_trait]
impl ConsentCheck for Identity {
    async fn is_granted(
        &self,
        user_id: Uuid,
        purpose: Purpose,
    ) -> std::result::Result<bool, StoreError> {
        let consents = self.store.consents(user_id).await?;
        Ok(consents.iter().any(|c| c.purpose == purpose && c.granted))
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_trimmed_and_keyed_case_insensitively() {
        assert_eq!(
            normalize_email("  Ada.Lovelace@Example.COM "),
            Some((
                "Ada.Lovelace@Example.COM".into(),
                "ada.lovelace@example.com".into()
            ))
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a da@example.com",
            "ada@@example.com",
            "ada@.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
