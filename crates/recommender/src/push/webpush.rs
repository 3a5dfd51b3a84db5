//! The web push protocol, sans policy: the server's VAPID key and its `Authorization`
//! (RFC 8292, an ES256 JWT signed here with `p256`, whose tree jsonwebtoken already
//! brings), the subscription's keys, the aes128gcm body (RFC 8291, `web-push-native`),
//! and one POST to the push service (RFC 8030).

use std::time::Duration;

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose::URL_SAFE_NO_PAD};
use lifeos_kernel::Timestamp;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use reqwest::{StatusCode, Url};

/// For receivers (and tests that play the browser): open a body this module encrypted.
pub use web_push_native::{Auth, decrypt, p256};

/// Browsers send base64url without padding; padded input is accepted too.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

pub fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    LENIENT.decode(text).ok()
}

pub fn encode_base64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// How long a VAPID token is good for (RFC 8292 allows at most 24 h).
const TOKEN_LIFE_SECONDS: i64 = 12 * 3600;

/// The server's application server key pair.
pub struct VapidKey {
    signing: SigningKey,
    public: String,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl VapidKey {
    /// The key whose private scalar is `text` (base64url, 32 bytes); `None` if it is not one.
    pub fn from_base64(text: &str) -> Option<VapidKey> {
        let bytes = decode_base64url(text.trim())?;
        let signing = SigningKey::from_slice(&bytes).ok()?;
        Some(VapidKey::of(signing))
    }

    /// A fresh key from the operating system's randomness.
    pub fn generate() -> Result<VapidKey, getrandom::Error> {
        loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes)?;
            // Nearly every 32 bytes are a valid scalar; zero or >= n are drawn again.
            if let Ok(signing) = SigningKey::from_slice(&bytes) {
                return Ok(VapidKey::of(signing));
            }
        }
    }

    fn of(signing: SigningKey) -> VapidKey {
        let point = signing.verifying_key().to_encoded_point(false);
        let public = encode_base64url(point.as_bytes());
        VapidKey { signing, public }
    }

    pub fn private_base64(&self) -> String {
        encode_base64url(&self.signing.to_bytes())
    }

    /// The uncompressed public point, base64url: what browsers call `applicationServerKey`.
    pub fn public_key(&self) -> &str {
        &self.public
    }

    /// `vapid t=<jwt>, k=<public key>` for a push service at `audience` (its origin).
    pub fn authorization(&self, audience: &str, subject: &str, now: Timestamp) -> String {
        let header = encode_base64url(br#"{"typ":"JWT","alg":"ES256"}"#);
        let exp = now.as_offset_date_time().unix_timestamp() + TOKEN_LIFE_SECONDS;
        let claims = serde_json::json!({ "aud": audience, "exp": exp, "sub": subject });
        let claims = encode_base64url(claims.to_string().as_bytes());
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(signed.as_bytes());
        let signature = encode_base64url(&signature.to_bytes());
        format!("vapid t={signed}.{signature}, k={}", self.public)
    }
}

/// A subscription's keys, decoded.
#[derive(Debug, Clone)]
pub struct Keys {
    pub public: p256::PublicKey,
    pub auth: Auth,
}

impl Keys {
    /// `None` for `p256dh` if it is not an uncompressed P-256 point, for `auth` if it is
    /// not 16 bytes: `(p256dh, auth)`.
    pub fn parse(p256dh: &str, auth: &str) -> (Option<p256::PublicKey>, Option<Auth>) {
        let public = decode_base64url(p256dh)
            .filter(|bytes| bytes.len() == 65 && bytes[0] == 4)
            .and_then(|bytes| p256::PublicKey::from_sec1_bytes(&bytes).ok());
        let auth = decode_base64url(auth)
            .and_then(|bytes| <[u8; 16]>::try_from(bytes.as_slice()).ok())
            .map(Auth::from);
        (public, auth)
    }

    pub fn decode(p256dh: &str, auth: &str) -> Option<Keys> {
        match Keys::parse(p256dh, auth) {
            (Some(public), Some(auth)) => Some(Keys { public, auth }),
            _ => None,
        }
    }

    /// The aes128gcm body (one record) for `payload`, with a fresh sender key and salt.
    pub fn encrypt(&self, payload: &[u8]) -> Result<Vec<u8>, web_push_native::Error> {
        web_push_native::encrypt(payload.to_vec(), &self.public, &self.auth)
    }
}

/// Why an endpoint is refused, as a field message.
pub fn check_endpoint(text: &str, allow_loopback_http: bool) -> Result<Url, &'static str> {
    if text.chars().count() > 2048 {
        return Err("must be at most 2048 characters");
    }
    let url = Url::parse(text).map_err(|_| "must be an absolute https URL")?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials");
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("must be an absolute https URL"),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback && allow_loopback_http => Ok(url),
        _ => Err("must be an https URL"),
    }
}

/// The `aud` of a VAPID token: the push service's origin.
pub fn audience(endpoint: &Url) -> String {
    endpoint.origin().ascii_serialization()
}

/// What a push service made of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// 404 or 410: the subscription expired or was withdrawn; forget it.
    Gone,
    Failed(String),
}

/// At most this long per push service call: a slow one does not hold up everyone else's.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Replaces an undelivered earlier tip on the push service: only the newest one matters.
const TOPIC: &str = "lifeos-tip";

/// One message to a push service.
#[derive(Debug, Clone)]
pub struct Message {
    pub body: Vec<u8>,
    pub authorization: String,
    /// How long the push service may keep it for an offline browser.
    pub ttl: Duration,
}

/// Posts messages to push services.
#[derive(Debug, Clone)]
pub struct Sender {
    /// `None` if the TLS stack could not start: every message then fails (and says so)
    /// rather than the server panicking at start.
    http: Option<reqwest::Client>,
}

impl Default for Sender {
    fn default() -> Self {
        // No redirects: a push service answers where it was asked.
        let http = reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .inspect_err(|error| tracing::error!(%error, "no HTTP client for web push"))
            .ok();
        Sender { http }
    }
}

impl Sender {
    pub async fn send(&self, endpoint: Url, message: Message) -> Outcome {
        let Some(http) = &self.http else {
            return Outcome::Failed("no HTTP client (TLS did not start)".into());
        };
        let sent = http
            .post(endpoint)
            .header("TTL", message.ttl.as_secs().to_string())
            .header("Urgency", "normal")
            .header("Topic", TOPIC)
            .header(reqwest::header::CONTENT_ENCODING, "aes128gcm")
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::AUTHORIZATION, message.authorization)
            .body(message.body)
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => Outcome::Delivered,
            Ok(response)
                if matches!(response.status(), StatusCode::NOT_FOUND | StatusCode::GONE) =>
            {
                Outcome::Gone
            }
            Ok(response) => Outcome::Failed(format!("push service answered {}", response.status())),
            Err(error) => Outcome::Failed(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::sec1::ToEncodedPoint;

    #[test]
    fn a_vapid_key_round_trips_and_signs_a_verifiable_token() {
        let key = VapidKey::generate().unwrap();
        let again = VapidKey::from_base64(&key.private_base64()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(decode_base64url(key.public_key()).unwrap().len(), 65);
        let now = Timestamp::parse("2026-06-10T08:00:00Z").unwrap();
        let header = key.authorization("https://push.example", "mailto:a@b.c", now);
        let (token, k) = header
            .strip_prefix("vapid t=")
            .unwrap()
            .split_once(", k=")
            .unwrap();
        assert_eq!(k, key.public_key());
        let (signed, signature) = token.rsplit_once('.').unwrap();
        let claims = signed.split('.').nth(1).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&decode_base64url(claims).unwrap()).unwrap();
        assert_eq!(claims["aud"], "https://push.example");
        assert_eq!(claims["exp"], 1_781_078_400 + TOKEN_LIFE_SECONDS);
        let verifying =
            p256::ecdsa::VerifyingKey::from_sec1_bytes(&decode_base64url(k).unwrap()).unwrap();
        let signature = Signature::from_slice(&decode_base64url(signature).unwrap()).unwrap();
        use p256::ecdsa::signature::Verifier;
        verifying.verify(signed.as_bytes(), &signature).unwrap();
        assert!(VapidKey::from_base64("not a key").is_none());
        assert!(VapidKey::from_base64(&encode_base64url(&[0u8; 32])).is_none());
    }

    #[test]
    fn a_body_opens_with_the_browser_keys_only() {
        let browser = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let point = browser.public_key().to_encoded_point(false);
        let keys = Keys::decode(
            &encode_base64url(point.as_bytes()),
            "AAECAwQFBgcICQoLDA0ODw",
        )
        .unwrap();
        let body = keys.encrypt(b"{\"tip\":1}").unwrap();
        assert_eq!(
            decrypt(body.clone(), &browser, &keys.auth).unwrap(),
            b"{\"tip\":1}"
        );
        let other = p256::SecretKey::from_slice(&[8u8; 32]).unwrap();
        assert!(decrypt(body, &other, &keys.auth).is_err());
    }

    #[test]
    fn keys_must_be_a_point_and_sixteen_bytes() {
        let browser = p256::SecretKey::from_slice(&[7u8; 32]).unwrap();
        let point = encode_base64url(browser.public_key().to_encoded_point(false).as_bytes());
        let compressed = encode_base64url(browser.public_key().to_encoded_point(true).as_bytes());
        let sixteen = encode_base64url(&[1u8; 16]);
        assert!(Keys::decode(&point, &sixteen).is_some());
        assert!(Keys::decode(&format!("{point}="), &format!("{sixteen}==")).is_some());
        assert!(Keys::parse(&compressed, &sixteen).0.is_none());
        assert!(
            Keys::parse(&encode_base64url(&[4u8; 65]), &sixteen)
                .0
                .is_none()
        );
        assert!(
            Keys::parse(&point, &encode_base64url(&[1u8; 15]))
                .1
                .is_none()
        );
        assert!(Keys::parse("!!", "??").0.is_none());
    }

    #[test]
    fn endpoints_are_https_or_loopback_http_when_allowed() {
        assert!(check_endpoint("https://fcm.googleapis.com/fcm/send/abc", false).is_ok());
        assert!(check_endpoint("http://127.0.0.1:9/push", true).is_ok());
        assert!(check_endpoint("http://localhost:9/push", true).is_ok());
        assert!(check_endpoint("http://[::1]:9/push", true).is_ok());
        assert!(check_endpoint("http://127.0.0.1:9/push", false).is_err());
        assert!(check_endpoint("http://push.example/x", true).is_err());
        assert!(check_endpoint("ftp://push.example/x", true).is_err());
        assert!(check_endpoint("https://u:p@push.example/x", false).is_err());
        assert!(check_endpoint("/relative", false).is_err());
        assert!(check_endpoint(&format!("https://a.example/{}", "x".repeat(2100)), false).is_err());
        let url = check_endpoint("https://push.example:8443/a/b?c", false).unwrap();
        assert_eq!(audience(&url), "https://push.example:8443");
    }
}
