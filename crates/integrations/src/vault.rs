//! The token vault: AES-256-GCM (RustCrypto's `aes-gcm`) under keys from
//! `LIFEOS_VAULT_KEYS` (`id:base64key,...`, the first active). A sealed value is one text
//! column, `v1:<key id>:<base64 nonce || ciphertext>`, so rotation sees which key sealed
//! it. The associated data binds the value to its user, provider, row and column: a
//! ciphertext copied to another row, user or column does not open. Pure: no SQL, no clock.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

const VERSION: &str = "v1";
const NONCE_BYTES: usize = 12;
pub const KEY_BYTES: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    #[error("LIFEOS_VAULT_KEYS is invalid: {0}")]
    InvalidKeys(String),
    /// Tampered, moved to another row, or sealed under a key this server does not have.
    #[error("a sealed value could not be opened (tampered, moved, or its key {key_id} is gone)")]
    Unreadable { key_id: String },
    #[error("a sealed value is malformed")]
    Malformed,
    #[error("the system's random source failed")]
    Random,
}

/// What a sealed value belongs to; all of it is authenticated, none of it secret.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub user_id: Uuid,
    /// `todoist`, `google`, `ics`, `oauth_state`...
    pub owner: &'a str,
    pub row_id: Uuid,
    /// The column (`access_token`, `refresh_token`, `url`...).
    pub column: &'a str,
}

impl Binding<'_> {
    fn aad(&self) -> Vec<u8> {
        format!(
            "lifeos-vault/{VERSION}/{}/{}/{}/{}",
            self.user_id, self.owner, self.row_id, self.column
        )
        .into_bytes()
    }
}

/// A secret in memory: never printed, never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
}

/// The keys; the first seals, any opens.
pub struct Vault {
    keys: Vec<Key>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Vault").field("key_ids", &ids).finish()
    }
}

impl Vault {
    /// Parses `id:base64key,...` (each key 32 bytes, standard base64; ids unique,
    /// `[A-Za-z0-9_-]`).
    pub fn parse(spec: &str) -> Result<Vault, VaultError> {
        let mut keys: Vec<Key> = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or_else(|| VaultError::InvalidKeys("expected id:base64key".into()))?;
            if id.is_empty()
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(VaultError::InvalidKeys(format!(
                    "key id '{id}' must be letters, digits, '_' or '-'"
                )));
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(VaultError::InvalidKeys(format!(
                    "key id '{id}' appears twice"
                )));
            }
            let bytes = STANDARD
                .decode(encoded)
                .map_err(|_| VaultError::InvalidKeys(format!("key '{id}' is not base64")))?;
            keys.push(Key::new(id, &bytes)?);
        }
        if keys.is_empty() {
            return Err(VaultError::InvalidKeys("no key given".into()));
        }
        Ok(Vault { keys })
    }

    /// A vault of one key (tests, the dev key file).
    pub fn single(id: &str, key: &[u8]) -> Result<Vault, VaultError> {
        Ok(Vault {
            keys: vec![Key::new(id, key)?],
        })
    }

    /// A fresh random key, base64 (what `LIFEOS_VAULT_KEYS` takes).
    pub fn generate_key() -> Result<String, VaultError> {
        let mut key = [0_u8; KEY_BYTES];
        getrandom::fill(&mut key).map_err(|_| VaultError::Random)?;
        Ok(STANDARD.encode(key))
    }

    /// The id of the key that seals.
    pub fn active_id(&self) -> &str {
        // `parse` and `single` never build an empty vault.
        self.keys.first().map_or("", |k| k.id.as_str())
    }

    /// The key id a sealed value names (without opening it).
    pub fn key_id_of(sealed: &str) -> Option<&str> {
        let mut parts = sealed.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(VERSION), Some(id), Some(_)) => Some(id),
            _ => None,
        }
    }

    /// Whether `sealed` is under the active key (rotation skips it).
    pub fn is_current(&self, sealed: &str) -> bool {
        Self::key_id_of(sealed) == Some(self.active_id())
    }

    pub fn seal(&self, plaintext: &str, binding: Binding<'_>) -> Result<String, VaultError> {
        let key = self.keys.first().ok_or(VaultError::Malformed)?;
        let mut nonce = [0_u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).map_err(|_| VaultError::Random)?;
        let aad = binding.aad();
        let ciphertext = key
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Malformed)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&ciphertext);
        Ok(format!("{VERSION}:{}:{}", key.id, STANDARD.encode(blob)))
    }

    pub fn open(&self, sealed: &str, binding: Binding<'_>) -> Result<Secret, VaultError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(VERSION), Some(id), Some(encoded)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(VaultError::Malformed);
        };
        let unreadable = || VaultError::Unreadable {
            key_id: id.to_owned(),
        };
        let key = self
            .keys
            .iter()
            .find(|k| k.id == id)
            .ok_or_else(unreadable)?;
        let blob = STANDARD
            .decode(encoded)
            .map_err(|_| VaultError::Malformed)?;
        if blob.len() <= NONCE_BYTES {
            return Err(VaultError::Malformed);
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| VaultError::Malformed)?;
        let aad = binding.aad();
        let plaintext = key
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| unreadable())?;
        String::from_utf8(plaintext)
            .map(Secret)
            .map_err(|_| VaultError::Malformed)
    }

    /// Opens `sealed` and seals it again under the active key (rotation).
    pub fn reseal(&self, sealed: &str, binding: Binding<'_>) -> Result<String, VaultError> {
        let secret = self.open(sealed, binding)?;
        self.seal(secret.expose(), binding)
    }
}

impl Key {
    fn new(id: &str, bytes: &[u8]) -> Result<Key, VaultError> {
        if bytes.len() != KEY_BYTES {
            return Err(VaultError::InvalidKeys(format!(
                "key '{id}' is {} bytes; AES-256 needs {KEY_BYTES}",
                bytes.len()
            )));
        }
        let cipher = Aes256Gcm::new_from_slice(bytes)
            .map_err(|_| VaultError::InvalidKeys(format!("key '{id}' is unusable")))?;
        Ok(Key {
            id: id.to_owned(),
            cipher,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn binding(row_id: Uuid) -> Binding<'static> {
        Binding {
            user_id: Uuid::nil(),
            owner: "todoist",
            row_id,
            column: "access_token",
        }
    }

    fn vault(spec_ids: &[&str]) -> Vault {
        let spec: Vec<String> = spec_ids
            .iter()
            .map(|id| format!("{id}:{}", Vault::generate_key().unwrap()))
            .collect();
        Vault::parse(&spec.join(",")).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_where_it_was_sealed() {
        let vault = vault(&["k1"]);
        let row = Uuid::now_v7();
        let sealed = vault.seal("tok-123", binding(row)).unwrap();
        assert!(!sealed.contains("tok-123"));
        assert_eq!(
            vault.open(&sealed, binding(row)).unwrap().expose(),
            "tok-123"
        );
        let other_row = vault.open(&sealed, binding(Uuid::now_v7()));
        assert!(matches!(other_row, Err(VaultError::Unreadable { .. })));
        let other_column = Binding {
            column: "refresh_token",
            ..binding(row)
        };
        assert!(vault.open(&sealed, other_column).is_err());
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let vault = vault(&["k1"]);
        let row = Uuid::now_v7();
        let sealed = vault.seal("tok-123", binding(row)).unwrap();
        let (head, body) = sealed.rsplit_once(':').unwrap();
        let mut bytes = STANDARD.decode(body).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = format!("{head}:{}", STANDARD.encode(bytes));
        assert!(vault.open(&tampered, binding(row)).is_err());
    }

    #[test]
    fn an_old_key_still_opens_and_reseal_moves_to_the_active_one() {
        let old = vault(&["old"]);
        let row = Uuid::now_v7();
        let sealed = old.seal("tok", binding(row)).unwrap();
        // The new spec names the new key first and keeps the old one.
        let old_key = old.keys[0].id.clone();
        assert_eq!(old_key, "old");
        let both = Vault {
            keys: vec![
                Key::new("new", &[7; 32]).unwrap(),
                old.keys.into_iter().next().unwrap(),
            ],
        };
        assert!(!both.is_current(&sealed));
        let resealed = both.reseal(&sealed, binding(row)).unwrap();
        assert!(both.is_current(&resealed));
        assert_eq!(both.open(&resealed, binding(row)).unwrap().expose(), "tok");
    }

    #[test]
    fn bad_key_specs_are_refused_with_a_reason() {
        assert!(Vault::parse("").is_err());
        assert!(Vault::parse("k1").is_err());
        assert!(Vault::parse("k1:notbase64!").is_err());
        assert!(Vault::parse(&format!("k1:{}", STANDARD.encode([1_u8; 16]))).is_err());
        let key = Vault::generate_key().unwrap();
        assert!(Vault::parse(&format!("k1:{key},k1:{key}")).is_err());
        assert!(format!("{:?}", Vault::parse(&format!("k1:{key}")).unwrap()).contains("k1"));
        assert!(!format!("{:?}", Secret::new("tok")).contains("tok"));
    }
}
