//! `lifeos health` and `lifeos --version`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long `lifeos health` waits for `/ready`, connecting included.
const TIMEOUT: Duration = Duration::from_secs(3);

/// `lifeos --version`.
pub fn version() -> Result<(), String> {
    use std::io::Write;
    writeln!(
        std::io::stdout().lock(),
        "lifeos {}",
        env!("CARGO_PKG_VERSION")
    )
    .map_err(|e| format!("could not write to stdout: {e}"))
}

/// `lifeos health [--url URL]`: exit 0 when `/ready` answers 200.
///
/// It needs no configuration but the address: without `--url` it asks the server
/// `LIFEOS_BIND` names (an unspecified address such as `0.0.0.0` means loopback), so a
/// container health check runs it with the server's own environment.
pub async fn health(args: Vec<String>) -> Result<(), String> {
    let base = match args.as_slice() {
        [] => default_base(std::env::var("LIFEOS_BIND").ok().as_deref())?,
        [flag, url] if flag == "--url" => url.clone(),
        [flag] if flag == "--url" => return Err("--url needs a value".into()),
        _ => return Err("usage: lifeos health [--url http://HOST:PORT]".into()),
    };
    let target = Target::parse(&base)?;
    match tokio::time::timeout(TIMEOUT, target.status()).await {
        Err(_) => Err(format!(
            "{}/ready did not answer within {} s",
            target.base,
            TIMEOUT.as_secs()
        )),
        Ok(Err(e)) => Err(format!("{}/ready: {e}", target.base)),
        Ok(Ok(200)) => {
            eprintln!("{}/ready: ready", target.base);
            Ok(())
        }
        Ok(Ok(status)) => Err(format!(
            "{}/ready answered {status}: not ready",
            target.base
        )),
    }
}

/// `http://` and the address `LIFEOS_BIND` names (default `127.0.0.1:8080`).
fn default_base(bind: Option<&str>) -> Result<String, String> {
    let text = bind.unwrap_or("127.0.0.1:8080");
    let mut addr: SocketAddr = text
        .parse()
        .map_err(|e| format!("LIFEOS_BIND '{text}': {e}"))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    Ok(format!("http://{addr}"))
}

/// A plain `http://host:port` base (a container's own server; no TLS, no proxy).
#[derive(Debug, PartialEq, Eq)]
struct Target {
    base: String,
    authority: String,
}

impl Target {
    fn parse(url: &str) -> Result<Target, String> {
        let base = url.trim_end_matches('/');
        let authority = base
            .strip_prefix("http://")
            .ok_or_else(|| format!("'{url}' is not an http:// URL"))?;
        if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
            return Err(format!("'{url}' must be http://HOST[:PORT] with no path"));
        }
        let authority = if authority.ends_with(']') || !authority.contains(':') {
            format!("{authority}:80")
        } else {
            authority.to_owned()
        };
        Ok(Target {
            base: base.to_owned(),
            authority,
        })
    }

    /// One HTTP/1.1 `GET /ready`; the status code.
    async fn status(&self) -> Result<u16, String> {
        let mut stream = TcpStream::connect(&self.authority)
            .await
            .map_err(|e| format!("cannot connect: {e}"))?;
        let request = format!(
            "GET /ready HTTP/1.1\r\nHost: {}\r\nUser-Agent: lifeos-health\r\nConnection: close\r\n\r\n",
            self.authority
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("cannot send the request: {e}"))?;
        // The status line is all we need: `HTTP/1.1 200 OK`.
        let mut head = Vec::with_capacity(64);
        let mut buffer = [0u8; 256];
        while !head.contains(&b'\n') && head.len() < 4096 {
            let read = stream
                .read(&mut buffer)
                .await
                .map_err(|e| format!("cannot read the answer: {e}"))?;
            if read == 0 {
                break;
            }
            head.extend_from_slice(buffer.get(..read).unwrap_or_default());
        }
        let text = String::from_utf8_lossy(&head);
        let line = text.lines().next().unwrap_or_default();
        line.strip_prefix("HTTP/1.")
            .and_then(|rest| rest.split_whitespace().nth(1))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| format!("not an HTTP answer: '{}'", line.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_address_is_the_bind_on_loopback() {
        assert_eq!(default_base(None).unwrap(), "http://127.0.0.1:8080");
        assert_eq!(
            default_base(Some("0.0.0.0:9000")).unwrap(),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            default_base(Some("[::]:9000")).unwrap(),
            "http://[::1]:9000"
        );
        assert!(default_base(Some("nowhere")).is_err());
    }

    #[test]
    fn urls_are_plain_http_bases() {
        let target = Target::parse("http://localhost:8080/").unwrap();
        assert_eq!(target.authority, "localhost:8080");
        assert_eq!(target.base, "http://localhost:8080");
        assert_eq!(Target::parse("http://[::1]").unwrap().authority, "[::1]:80");
        assert!(Target::parse("https://example.com").is_err());
        assert!(Target::parse("http://example.com/ready").is_err());
    }
}
