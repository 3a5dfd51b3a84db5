//! Identity's domain types (storage-facing; the HTTP views live in `http`).

use lifeos_kernel::consent::Purpose;
use lifeos_kernel::{Scopes, Timestamp};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    pub timezone: String,
    pub day_start_hour: i32,
    pub email_verified_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: Uuid,
    pub email: String,
    pub email_key: String,
    pub display_name: Option<String>,
    pub timezone: String,
    pub password_hash: String,
    pub at: Timestamp,
    /// Set when the address needs no proof (the operator's `lifeos user create`).
    pub email_verified_at: Option<Timestamp>,
}

/// An invitation as stored: only the code's hash identifies it (`tokens::hash_token`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Invite {
    /// The normalised address it admits; `None` admits anyone.
    pub email_key: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An invite as the operator sees it (`lifeos invite list|revoke`): `id` is the first
/// [`INVITE_ID_LEN`] hex digits of the code's hash, enough to name it among the live ones
/// and of no use for guessing the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedInvite {
    pub id: String,
    pub invite: Invite,
}

pub const INVITE_ID_LEN: usize = 12;

impl IssuedInvite {
    pub fn new(code_hash: &[u8], invite: Invite) -> Self {
        let id = code_hash
            .iter()
            .take(INVITE_ID_LEN / 2)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Self { id, invite }
    }
}

impl Invite {
    /// Whether it still admits the address with `email_key` at `now`.
    pub fn admits(&self, email_key: &str, now: Timestamp) -> bool {
        self.expires_at > now && self.email_key.as_deref().is_none_or(|key| key == email_key)
    }
}

/// A profile change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    /// `Some(None)` clears the display name.
    pub display_name: Option<Option<String>>,
    pub timezone: Option<String>,
    pub day_start_hour: Option<i32>,
}

/// A refresh token as stored (only its hash), with its session's state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub access_jti: Uuid,
    pub access_issued_at: Timestamp,
    pub expires_at: Timestamp,
    pub rotated_at: Option<Timestamp>,
    pub session_revoked_at: Option<Timestamp>,
}

/// A refresh token to store.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub parent_id: Option<Uuid>,
    pub token_hash: Vec<u8>,
    pub access_jti: Uuid,
    pub access_issued_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailTokenPurpose {
    VerifyEmail,
    MagicLink,
}

impl EmailTokenPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailTokenPurpose::VerifyEmail => "verify_email",
            EmailTokenPurpose::MagicLink => "magic_link",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub lookup: String,
    pub scopes: Scopes,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub lookup: String,
    pub key_hash: Vec<u8>,
    pub scopes: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

impl ApiKeyRow {
    pub fn into_key(self) -> ApiKey {
        ApiKey {
            id: self.id,
            user_id: self.user_id,
            name: self.name,
            lookup: self.lookup,
            scopes: Scopes::from_storage(&self.scopes),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Consent {
    pub purpose: Purpose,
    pub granted: bool,
    pub changed_at: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::Invite;
    use lifeos_kernel::Timestamp;
    use time::Duration;

    #[test]
    fn an_invite_admits_its_address_until_it_expires() {
        let now = Timestamp::parse("2026-12-04T12:00:00Z").unwrap();
        let open = Invite {
            email_key: None,
            created_at: now,
            expires_at: now + Duration::days(7),
        };
        assert!(open.admits("anyone@example.com", now));
        assert!(open.admits(
            "anyone@example.com",
            now + Duration::days(7) - Duration::seconds(1)
        ));
        assert!(!open.admits("anyone@example.com", now + Duration::days(7)));
        let for_ada = Invite {
            email_key: Some("ada@example.com".into()),
            ..open
        };
        assert!(for_ada.admits("ada@example.com", now));
        assert!(!for_ada.admits("bob@example.com", now));
    }
}
