//! Argon2id password hashing (OWASP: 19 MiB, t=2, p=1) off the async threads, with a
//! bound on concurrent hashes so a login burst cannot exhaust memory or the blocking pool.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{IdentityError, Result};

#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Verified for unknown e-mails so a miss costs as long as a wrong password.
    dummy_hash: Arc<OnceLock<String>>,
}

#[expect(
    clippy::expect_used,
    reason = "constant parameters, checked by the tests: they cannot be invalid at run time"
)]
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &[u8]) -> Result<String> {
    argon2()
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|e| IdentityError::Hashing(e.to_string()))
}

impl Passwords {
    /// `max_concurrent` hashes at a time (each takes 19 MiB).
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            dummy_hash: Arc::new(OnceLock::new()),
        }
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        self.blocking(move || hash_blocking(password.as_bytes()))
            .await?
    }

    /// Verifies `password` against `stored`; with no stored hash, burns the same time
    /// on a dummy hash and answers false.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool> {
        let dummy = self.dummy_hash.clone();
        self.blocking(move || {
            let (hash, real) = match stored {
                Some(hash) => (hash, true),
                None => (
                    dummy
                        .get_or_init(|| hash_blocking(b"lifeos dummy password").unwrap_or_default())
                        .clone(),
                    false,
                ),
            };
            let matches = PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            real && matches
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| IdentityError::Hashing(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| IdentityError::Hashing(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let passwords = Passwords::new(2);
        let hash = passwords
            .hash("correct horse battery".into())
            .await
            .unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            passwords
                .verify("correct horse battery".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("wrong horse battery".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .verify("lifeos dummy password".into(), None)
                .await
                .unwrap()
        );
    }
}
