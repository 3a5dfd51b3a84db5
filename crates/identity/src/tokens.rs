//! Access JWTs, opaque refresh tokens, e-mail tokens and API keys.
//!
//! Secrets are random 256-bit values, base64url. The server stores only SHA-256 hashes.
//! A rotated refresh token's successor is derived (HMAC of the presented token) rather
//! than random, so a retry inside the grace window can be answered with the identical
//! pair without keeping any token in plaintext.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use lifeos_kernel::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::Duration;
use uuid::Uuid;

pub const ISSUER: &str = "lifeos";
pub const AUDIENCE: &str = "lifeos-api";
pub const ACCESS_TYPE: &str = "access";
pub const ACCESS_TTL: Duration = Duration::minutes(15);
pub const LEEWAY: Duration = Duration::seconds(30);
pub const REFRESH_TTL: Duration = Duration::days(30);
pub const REFRESH_GRACE: Duration = Duration::seconds(30);
pub const REFRESH_PREFIX: &str = "lfr_";
pub const API_KEY_PREFIX: &str = "lfs_";
pub const INVITE_PREFIX: &str = "lfi_";
/// Characters after `lfs_` used to find a key (72 random bits, not secret on their own).
pub const API_KEY_LOOKUP_LEN: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub typ: String,
    pub sub: Uuid,
    /// The login session (refresh-token family).
    pub sid: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    /// Not before: we never issue it, but a token that carries it is held to it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// Signs and checks tokens with the server secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    successor_key: Vec<u8>,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> Self {
        let successor_key = Sha256::new()
            .chain_update(b"lifeos refresh-token successor v1\0")
            .chain_update(secret)
            .finalize()
            .to_vec();
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            successor_key,
        }
    }

    /// The access token for a session, deterministic for the same (jti, issued_at).
    #[expect(
        clippy::expect_used,
        reason = "HS256 over claims of strings and numbers has no failure case"
    )]
    pub fn access_token(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        jti: Uuid,
        issued_at: Timestamp,
    ) -> String {
        let claims = AccessClaims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            typ: ACCESS_TYPE.into(),
            sub: user_id,
            sid: session_id,
            jti,
            iat: issued_at.unix_seconds(),
            exp: (issued_at + ACCESS_TTL).unix_seconds(),
            nbf: None,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .expect("HS256 signing of plain claims cannot fail")
    }

    /// Checks signature, algorithm, issuer, audience, type and expiry (against `now`,
    /// with [`LEEWAY`]).
    pub fn verify_access(&self, token: &str, now: Timestamp) -> Result<AccessClaims, &'static str> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked below against the injected clock, not the system time.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|_| "signature, algorithm, issuer or audience rejected")?
            .claims;
        if claims.typ != ACCESS_TYPE {
            return Err("not an access token");
        }
        let leeway = LEEWAY.whole_seconds();
        if now.unix_seconds() > claims.exp + leeway {
            return Err("expired");
        }
        if claims.iat > now.unix_seconds() + leeway {
            return Err("issued in the future");
        }
        if claims
            .nbf
            .is_some_and(|nbf| nbf > now.unix_seconds() + leeway)
        {
            return Err("not valid yet");
        }
        Ok(claims)
    }

    /// The refresh token that replaces `presented` on rotation.
    #[expect(clippy::expect_used, reason = "HMAC accepts keys of any length")]
    pub fn successor_of(&self, presented: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.successor_key).expect("HMAC takes any key length");
        mac.update(presented.as_bytes());
        format!(
            "{REFRESH_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        )
    }
}

#[expect(
    clippy::expect_used,
    reason = "without the OS random source no secret can be made safely: refuse to go on"
)]
pub fn random_secret() -> String {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn new_refresh_token() -> String {
    format!("{REFRESH_PREFIX}{}", random_secret())
}

/// A fresh invite code (`lifeos invite create`); stored only as [`hash_token`].
pub fn new_invite_code() -> String {
    format!("{INVITE_PREFIX}{}", random_secret())
}

/// A fresh API key and its lookup part.
pub fn new_api_key() -> (String, String) {
    let secret = random_secret();
    let lookup = secret[..API_KEY_LOOKUP_LEN].to_owned();
    (format!("{API_KEY_PREFIX}{secret}"), lookup)
}

/// The lookup part of a presented key, if it has the right shape.
pub fn api_key_lookup(key: &str) -> Option<&str> {
    let secret = key.strip_prefix(API_KEY_PREFIX)?;
    (secret.len() >= API_KEY_LOOKUP_LEN + 16).then(|| &secret[..API_KEY_LOOKUP_LEN])
}

pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(b"0123456789abcdef0123456789abcdef")
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn access_tokens_expire_after_fifteen_minutes_plus_leeway() {
        let issued = at("2026-11-21T10:00:00Z");
        let token = keys().access_token(Uuid::nil(), Uuid::nil(), Uuid::nil(), issued);
        assert!(
            keys()
                .verify_access(&token, issued + Duration::minutes(15))
                .is_ok()
        );
        assert!(
            keys()
                .verify_access(&token, issued + Duration::seconds(15 * 60 + 30))
                .is_ok()
        );
        assert_eq!(
            keys().verify_access(&token, issued + Duration::seconds(15 * 60 + 31)),
            Err("expired")
        );
    }

    #[test]
    fn not_before_is_checked_with_the_same_leeway() {
        let now = at("2026-11-21T10:00:00Z");
        let token_with_nbf = |nbf: Timestamp| {
            let claims = AccessClaims {
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                typ: ACCESS_TYPE.into(),
                sub: Uuid::nil(),
                sid: Uuid::nil(),
                jti: Uuid::nil(),
                iat: now.unix_seconds(),
                exp: (now + ACCESS_TTL).unix_seconds(),
                nbf: Some(nbf.unix_seconds()),
            };
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys().encoding).unwrap()
        };
        assert_eq!(
            keys().verify_access(&token_with_nbf(now + Duration::hours(1)), now),
            Err("not valid yet")
        );
        assert!(
            keys()
                .verify_access(&token_with_nbf(now + Duration::seconds(30)), now)
                .is_ok()
        );
    }

    #[test]
    fn same_claims_give_the_same_token() {
        let issued = at("2026-11-21T10:00:00Z");
        let jti = Uuid::now_v7();
        assert_eq!(
            keys().access_token(Uuid::nil(), Uuid::nil(), jti, issued),
            keys().access_token(Uuid::nil(), Uuid::nil(), jti, issued)
        );
    }

    #[test]
    fn other_secret_is_rejected() {
        let issued = at("2026-11-21T10:00:00Z");
        let token = TokenKeys::new(b"another secret that is long enough!").access_token(
            Uuid::nil(),
            Uuid::nil(),
            Uuid::nil(),
            issued,
        );
        assert!(keys().verify_access(&token, issued).is_err());
    }

    #[test]
    fn successor_is_deterministic_and_unguessable_without_the_key() {
        let presented = new_refresh_token();
        assert_eq!(
            keys().successor_of(&presented),
            keys().successor_of(&presented)
        );
        assert_ne!(
            keys().successor_of(&presented),
            TokenKeys::new(b"x".repeat(32).as_slice()).successor_of(&presented)
        );
        assert!(keys().successor_of(&presented).starts_with(REFRESH_PREFIX));
    }

    #[test]
    fn api_keys_have_prefix_lookup_and_enough_entropy() {
        let (key, lookup) = new_api_key();
        assert!(key.starts_with("lfs_"));
        assert_eq!(key.len(), 4 + 43, "256 random bits in base64url");
        assert_eq!(api_key_lookup(&key), Some(lookup.as_str()));
        assert_eq!(api_key_lookup("lfs_short"), None);
        assert_eq!(api_key_lookup("nope"), None);
    }
}
