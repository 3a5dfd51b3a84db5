//! The recommender's `AdminPort`: the accounts named in `LIFEOS_ADMIN_EMAILS`.

use async_trait::async_trait;
use lifeos_identity::{IdentityError, SharedIdentity};
use lifeos_kernel::StoreError;
use lifeos_recommender::ports::AdminPort;
use uuid::Uuid;

use super::refused;

#[derive(Clone)]
pub struct AdminsAdapter {
    /// Lower-cased, as the configuration reads them.
    emails: Vec<String>,
    identity: SharedIdentity,
}

impl AdminsAdapter {
    pub fn new(emails: &[String], identity: SharedIdentity) -> Self {
        let emails = emails.iter().map(|e| e.trim().to_lowercase()).collect();
        Self { emails, identity }
    }
}

impl std::fmt::Debug for AdminsAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminsAdapter")
            .field("emails", &self.emails)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl AdminPort for AdminsAdapter {
    async fn is_admin(&self, user_id: Uuid) -> Result<bool, StoreError> {
        if self.emails.is_empty() {
            return Ok(false);
        }
        match self.identity.me(user_id).await {
            Ok(user) => Ok(self.emails.contains(&user.email.to_lowercase())),
            // An account gone since its token was issued is nobody's admin.
            Err(IdentityError::SessionEnded) => Ok(false),
            Err(IdentityError::Store(error)) => Err(error),
            Err(other) => Err(refused(other)),
        }
    }
}
