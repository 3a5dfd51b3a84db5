//! Who is calling: the user, how they authenticated, and what they may do.

use crate::error::CommonCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppError;
use crate::error::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A person with an access token from a login session (token family).
    Session { session_id: Uuid },
    /// An assistant or script holding an API key.
    ApiKey { key_id: Uuid },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = kernel::Scope)]
pub enum Scope {
    /// Safe methods (GET, HEAD).
    Read,
    /// Everything that changes data (POST, PUT, PATCH, DELETE).
    Write,
}

impl Scope {
    pub const ALL: [Scope; 2] = [Scope::Read, Scope::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(text: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text)
    }
}

/// A small set of scopes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes {
    read: bool,
    write: bool,
}

impl Scopes {
    pub const FULL: Scopes = Scopes {
        read: true,
        write: true,
    };

    pub fn from_slice(scopes: &[Scope]) -> Self {
        let mut set = Scopes::default();
        for scope in scopes {
            set.insert(*scope);
        }
        set
    }

    pub fn insert(&mut self, scope: Scope) {
        match scope {
            Scope::Read => self.read = true,
            Scope::Write => self.write = true,
        }
    }

    pub fn contains(self, scope: Scope) -> bool {
        match scope {
            Scope::Read => self.read,
            Scope::Write => self.write,
        }
    }

    pub fn to_vec(self) -> Vec<Scope> {
        Scope::ALL
            .into_iter()
            .filter(|s| self.contains(*s))
            .collect()
    }

    /// Comma-separated, as stored (`read,write`).
    pub fn to_storage(self) -> String {
        self.to_vec()
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn from_storage(text: &str) -> Self {
        let scopes: Vec<Scope> = text.split(',').filter_map(Scope::parse).collect();
        Scopes::from_slice(&scopes)
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub auth: AuthMethod,
    pub scopes: Scopes,
}

impl Principal {
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.scopes.contains(scope) {
            Ok(())
        } else {
            Err(AppError::new(
                ErrorKind::Forbidden,
                CommonCode::InsufficientScope,
                format!("this credential lacks the '{}' scope", scope.as_str()),
            ))
        }
    }

    /// For actions only a person in a login session may take (managing keys, erasing
    /// the account), never an API key.
    pub fn require_session(&self) -> Result<Uuid, AppError> {
        match self.auth {
            AuthMethod::Session { session_id } => Ok(session_id),
            AuthMethod::ApiKey { .. } => Err(AppError::new(
                ErrorKind::Forbidden,
                CommonCode::SessionRequired,
                "this action needs a login session; API keys cannot perform it",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_through_storage() {
        let scopes = Scopes::from_slice(&[Scope::Write, Scope::Read]);
        assert_eq!(scopes.to_storage(), "read,write");
        assert_eq!(Scopes::from_storage("read,write"), scopes);
        assert_eq!(
            Scopes::from_storage("read"),
            Scopes::from_slice(&[Scope::Read])
        );
        assert!(!Scopes::from_storage("read,bogus").contains(Scope::Write));
    }

    #[test]
    fn read_key_cannot_write() {
        let p = Principal {
            user_id: Uuid::nil(),
            auth: AuthMethod::ApiKey {
                key_id: Uuid::nil(),
            },
            scopes: Scopes::from_slice(&[Scope::Read]),
        };
        assert_eq!(
            p.require(Scope::Write).unwrap_err().code,
            "insufficient_scope"
        );
        assert_eq!(p.require_session().unwrap_err().code, "session_required");
    }
}
