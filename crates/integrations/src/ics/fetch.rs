//! Fetching a feed without letting its address reach inside the server's network (SSRF):
//! only http(s), every address a name resolves to checked before connecting (and the
//! connection made to exactly those addresses), IP literals checked before the request,
//! every redirect checked again (at most `max_redirects`), a total timeout, a size cap, and
//! conditional requests. Error sentences name the host only: the rest of a feed's address
//! is its secret.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{CONTENT_LENGTH, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::redirect::{Attempt, Policy};
use reqwest::{StatusCode, Url};

use super::address::{Network, forbidden};
use super::resolve::HostResolver;
use crate::IcsConfig;
use crate::error::{IntegrationsError, Result};
use crate::vault::Secret;

const MIB: u64 = 1024 * 1024;

/// The cache validators of the last successful fetch.
#[derive(Debug, Clone, Copy, Default)]
pub struct Validators<'a> {
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
}

/// What a fetch brought.
#[derive(Clone, PartialEq)]
pub enum Fetched {
    /// 304: the feed has not changed since the validators.
    Unchanged,
    Body {
        text: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

impl std::fmt::Debug for Fetched {
    // A feed's text is a person's calendar: logs see its size only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fetched::Unchanged => f.write_str("Unchanged"),
            Fetched::Body { text, .. } => f
                .debug_struct("Body")
                .field("bytes", &text.len())
                .finish_non_exhaustive(),
        }
    }
}

/// A feed address checked for its form: http(s) (`webcal` is https), a host, at most
/// 2048 characters. The address itself stays a secret.
pub fn parse_url(url: &str) -> Result<(Url, String)> {
    let url = url.trim();
    if url.is_empty() || url.chars().count() > 2048 {
        return Err(IntegrationsError::invalid(
            "url",
            "must be 1 to 2048 characters",
        ));
    }
    // Calendar apps hand out `webcal://` links for the same https address.
    let normalised = match url.get(..9) {
        Some(prefix) if prefix.eq_ignore_ascii_case("webcal://") => {
            format!("https://{}", &url[9..])
        }
        _ => url.to_owned(),
    };
    let parsed = Url::parse(&normalised)
        .map_err(|_| IntegrationsError::invalid("url", "is not a valid URL"))?;
    check_scheme(&parsed)?;
    let host =
        host_of(&parsed).ok_or_else(|| IntegrationsError::invalid("url", "must name a host"))?;
    Ok((parsed, host))
}

/// The host as shown to the person (no user info, path or query: those carry the secret).
pub fn host_of(url: &Url) -> Option<String> {
    match url.host()? {
        url::Host::Domain(domain) => Some(domain.to_ascii_lowercase()),
        url::Host::Ipv4(ip) => Some(ip.to_string()),
        url::Host::Ipv6(ip) => Some(format!("[{ip}]")),
    }
}

fn check_scheme(url: &Url) -> Result<()> {
    match url.scheme() {
        "http" | "https" => Ok(()),
        other => Err(IntegrationsError::FeedForbidden(format!(
            "only http and https feed addresses can be fetched, not {other}"
        ))),
    }
}

/// Literal IP hosts never reach the resolver (reqwest connects to them directly), so they
/// are judged here, before the request and before every redirect.
fn check_literal(url: &Url, allowed: &[Network]) -> Result<()> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => {
            return Err(IntegrationsError::FeedForbidden(
                "the feed address names no host".into(),
            ));
        }
    };
    match forbidden(ip, allowed) {
        Some(reason) => Err(IntegrationsError::FeedForbidden(format!(
            "the feed address {} is {reason}, which this server does not fetch from",
            host_of(url).unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

/// Why the resolver or the redirect policy stopped a request; found again in reqwest's
/// error chain to answer with the right code.
#[derive(Debug)]
enum Stop {
    Forbidden(String),
    Unreachable(String),
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Forbidden(text) | Stop::Unreachable(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for Stop {}

/// reqwest's resolver hook: names resolve through the configured [`HostResolver`], and
/// the answer is refused if ANY of its addresses is forbidden. Checking only the first or
/// "at least one public" address would let a name that answers a public and a private
/// address (or one an attacker re-points between lookups: DNS rebinding) steer the
/// connection inside, since the connector tries each address in turn. The connector uses
/// exactly the addresses returned here, so nothing is resolved again between check and
/// connect.
struct GuardedResolver {
    resolver: Arc<dyn HostResolver>,
    allowed: Vec<Network>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let resolver = self.resolver.clone();
        let allowed = self.allowed.clone();
        Box::pin(async move {
            // Boxed as the trait object itself (not through `From`, which would box the
            // box) so `failure` finds the `Stop` in reqwest's error chain.
            let stop = |stop: Stop| -> Box<dyn std::error::Error + Send + Sync> { Box::new(stop) };
            let addrs = resolver
                .resolve(&host)
                .await
                .map_err(|_| stop(Stop::Unreachable(format!("{host} could not be resolved"))))?;
            if addrs.is_empty() {
                return Err(stop(Stop::Unreachable(format!("{host} does not resolve"))));
            }
            for ip in &addrs {
                if let Some(reason) = forbidden(*ip, &allowed) {
                    return Err(stop(Stop::Forbidden(format!(
                        "{host} resolves to {reason}, which this server does not fetch from"
                    ))));
                }
            }
            let addrs: Addrs = Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// One HTTP client for every feed, with the checks built in.
pub struct Fetcher {
    client: reqwest::Client,
    config: IcsConfig,
}

impl std::fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    pub fn new(config: &IcsConfig) -> Result<Fetcher> {
        let allowed = config.allowed_networks.clone();
        let max_redirects = config.max_redirects;
        let policy_allowed = allowed.clone();
        let policy = Policy::custom(move |attempt: Attempt<'_>| {
            // `previous` starts with the first address, which is no redirect.
            if attempt.previous().len() > max_redirects {
                return attempt.error(Stop::Unreachable(format!(
                    "the feed redirected more than {max_redirects} times"
                )));
            }
            let next = attempt.url();
            if let Err(error) =
                check_scheme(next).and_then(|()| check_literal(next, &policy_allowed))
            {
                return attempt.error(Stop::Forbidden(format!("it redirected: {error}")));
            }
            // A host name is checked by the resolver when the redirect connects.
            attempt.follow()
        });
        let client = reqwest::Client::builder()
            // A proxy would resolve the feed's host itself, out of the resolver's sight.
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver {
                resolver: config.resolver.clone(),
                allowed,
            }))
            .redirect(policy)
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!(
                "lifeos/",
                env!("CARGO_PKG_VERSION"),
                " (calendar feed)"
            ))
            .build()
            .map_err(|_| {
                IntegrationsError::FeedUnreachable(
                    "the server could not set up its HTTP client".into(),
                )
            })?;
        Ok(Fetcher {
            client,
            config: config.clone(),
        })
    }

    /// Fetches `url` (conditionally when `validators` has any).
    pub async fn fetch(&self, url: &Secret, validators: Validators<'_>) -> Result<Fetched> {
        let (url, host) = parse_url(url.expose())?;
        check_literal(&url, &self.config.allowed_networks)?;
        // reqwest's timeout covers the body too; this one also bounds our own reading.
        let timeout = self.config.timeout;
        match tokio::time::timeout(timeout, self.get(url, &host, validators)).await {
            Ok(result) => result,
            Err(_) => Err(timed_out(&host, timeout)),
        }
    }

    async fn get(&self, url: Url, host: &str, validators: Validators<'_>) -> Result<Fetched> {
        let mut request = self.client.get(url).header(
            reqwest::header::ACCEPT,
            "text/calendar, text/plain;q=0.5, */*;q=0.1",
        );
        if let Some(etag) = validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(since) = validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, since);
        }
        let mut response = request.send().await.map_err(|e| self.failure(&e, host))?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::Unchanged);
        }
        if !status.is_success() {
            return Err(IntegrationsError::FeedUnreachable(format!(
                "{host} answered HTTP {}",
                status.as_u16()
            )));
        }
        let max = self.config.max_bytes;
        let too_large = || IntegrationsError::FeedTooLarge(max.div_ceil(MIB));
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|length| length > max) {
            return Err(too_large());
        }
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let etag = header(ETAG);
        let last_modified = header(LAST_MODIFIED);
        // Read in chunks: a server that lies about (or omits) its length is cut off at
        // the cap instead of filling memory.
        let mut body: Vec<u8> = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failure(&e, host))? {
            if body.len() as u64 + chunk.len() as u64 > max {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body {
            text: String::from_utf8_lossy(&body).into_owned(),
            etag,
            last_modified,
        })
    }

    /// A readable sentence for reqwest's error; reqwest's own text holds the whole URL,
    /// so it is never shown.
    fn failure(&self, error: &reqwest::Error, host: &str) -> IntegrationsError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        while let Some(current) = source {
            if let Some(stop) = current.downcast_ref::<Stop>() {
                return match stop {
                    Stop::Forbidden(text) => IntegrationsError::FeedForbidden(text.clone()),
                    Stop::Unreachable(text) => IntegrationsError::FeedUnreachable(text.clone()),
                };
            }
            source = current.source();
        }
        if error.is_timeout() {
            timed_out(host, self.config.timeout)
        } else if error.is_redirect() {
            IntegrationsError::FeedUnreachable(format!("{host} redirected too often"))
        } else if error.is_connect() {
            IntegrationsError::FeedUnreachable(format!("could not connect to {host}"))
        } else {
            IntegrationsError::FeedUnreachable(format!(
                "the connection to {host} failed before the feed was read"
            ))
        }
    }
}

fn timed_out(host: &str, timeout: std::time::Duration) -> IntegrationsError {
    IntegrationsError::FeedUnreachable(format!(
        "{host} did not answer within {} seconds",
        timeout.as_secs_f64()
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn addresses_are_checked_for_form() {
        let (url, host) = parse_url("webcal://Calendar.Example.com/private/abc.ics").unwrap();
        assert_eq!(url.scheme(), "https");
        assert_eq!(host, "calendar.example.com");
        let (_, host) = parse_url("https://user:pw@[::1]:8443/x").unwrap();
        assert_eq!(host, "[::1]");
        assert!(matches!(
            parse_url("ftp://example.com/feed.ics"),
            Err(IntegrationsError::FeedForbidden(_))
        ));
        assert!(matches!(
            parse_url("not a url"),
            Err(IntegrationsError::Invalid(_))
        ));
        assert!(matches!(parse_url(""), Err(IntegrationsError::Invalid(_))));
    }

    #[test]
    fn literal_addresses_are_judged_before_the_request() {
        let check = |text: &str| check_literal(&Url::parse(text).unwrap(), &[]);
        assert!(check("http://127.0.0.1/").is_err());
        // WHATWG parsing turns these spellings into 127.0.0.1 too.
        assert!(check("http://2130706433/").is_err());
        assert!(check("http://0x7f.1/").is_err());
        assert!(check("http://[::ffff:127.0.0.1]/").is_err());
        assert!(check("http://[::1]/").is_err());
        assert!(check("http://8.8.8.8/").is_ok());
        assert!(check("http://calendar.example.com/").is_ok());
    }

    #[test]
    fn errors_name_the_host_only() {
        let error = check_literal(
            &Url::parse("http://10.1.2.3/secret-token/basic.ics").unwrap(),
            &[],
        )
        .unwrap_err();
        let text = error.to_string();
        assert!(text.contains("10.1.2.3"), "{text}");
        assert!(!text.contains("secret-token"), "{text}");
    }
}
