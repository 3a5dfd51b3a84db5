//! Host name resolution behind a trait, so the SSRF checks run on the addresses a name
//! really resolves to, and tests can stub the answers.

use std::collections::HashMap;
use std::net::IpAddr;

use async_trait::async_trait;

#[async_trait]
pub trait HostResolver: Send + Sync {
    /// Every address `host` resolves to (empty: it does not resolve).
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The system's resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

#[async_trait]
impl HostResolver for SystemResolver {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        let addrs = tokio::net::lookup_host((host, 0)).await?;
        Ok(addrs.map(|a| a.ip()).collect())
    }
}

/// Fixed answers (tests): a name not in the map does not resolve.
#[derive(Debug, Clone, Default)]
pub struct StaticResolver {
    pub hosts: HashMap<String, Vec<IpAddr>>,
}

impl StaticResolver {
    pub fn with(mut self, host: &str, addrs: &[IpAddr]) -> Self {
        self.hosts.insert(host.to_ascii_lowercase(), addrs.to_vec());
        self
    }
}

#[async_trait]
impl HostResolver for StaticResolver {
    async fn resolve(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        Ok(self
            .hosts
            .get(&host.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default())
    }
}
