//! Which addresses a feed may be fetched from: public ones, and the networks an
//! operator allows. Pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A CIDR network (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1/32`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Network {
    /// Parses `addr/prefix` (a bare address is a host network).
    pub fn parse(text: &str) -> Option<Network> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((addr, prefix)) => (addr.parse().ok()?, prefix.parse().ok()?),
            None => {
                let addr: IpAddr = text.trim().parse().ok()?;
                (addr, if addr.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if matches!(addr, IpAddr::V4(_)) {
            32
        } else {
            128
        };
        (prefix <= max).then_some(Network { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Why an address may not be fetched from, or `None` when it may: public addresses, and
/// anything inside an operator's `allowed` networks. The reason names the kind of
/// address, never the feed's URL.
pub fn forbidden(ip: IpAddr, allowed: &[Network]) -> Option<&'static str> {
    if allowed.iter().any(|n| n.contains(ip)) {
        return None;
    }
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6, allowed),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    let reason = if ip.is_unspecified() || a == 0 {
        // 0.0.0.0/8 ("this network"): connecting to 0.0.0.0 reaches the local host.
        "an unspecified address"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip == Ipv4Addr::new(169, 254, 169, 254) {
        "a cloud metadata address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if ip.is_private() {
        "a private network address"
    } else if a == 100 && (b & 0b1100_0000) == 64 {
        "a carrier-grade NAT address"
    } else if ip.is_broadcast() {
        "a broadcast address"
    } else if ip.is_multicast() || a >= 240 {
        // 224/4 multicast, 240/4 reserved.
        "a multicast or reserved address"
    } else if (a, b, c) == (192, 0, 2) || (a, b, c) == (198, 51, 100) || (a, b, c) == (203, 0, 113)
    {
        "a documentation address"
    } else if a == 198 && (b & 0xfe) == 18 {
        "a benchmarking address"
    } else if (a, b, c) == (192, 0, 0) || (a, b, c) == (192, 88, 99) {
        // IETF protocol assignments (incl. DS-Lite) and the deprecated 6to4 relay.
        "a reserved address"
    } else {
        return None;
    };
    Some(reason)
}

fn forbidden_v6(ip: Ipv6Addr, allowed: &[Network]) -> Option<&'static str> {
    let segments = ip.segments();
    // An IPv4 address carried inside IPv6 reaches that IPv4 host: judge the embedded one
    // (and the operator's IPv4 networks apply to it).
    if let Some(v4) = embedded_v4(ip) {
        return forbidden(IpAddr::V4(v4), allowed);
    }
    let reason = if ip.is_unspecified() {
        "an unspecified address"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip == Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254) {
        "a cloud metadata address"
    } else if (segments[0] & 0xffc0) == 0xfe80 {
        "a link-local address"
    } else if (segments[0] & 0xffc0) == 0xfec0 {
        // Deprecated site-local: still routed internally by some networks.
        "a site-local address"
    } else if (segments[0] & 0xfe00) == 0xfc00 {
        "a unique-local (private) address"
    } else if (segments[0] & 0xff00) == 0xff00 {
        "a multicast address"
    } else if segments[0] == 0x2001 && segments[1] == 0x0db8 {
        "a documentation address"
    } else if segments[0] == 0x2001 && segments[1] == 0x0002 && segments[2] == 0 {
        "a benchmarking address"
    } else if segments[0] == 0x0100 && segments[1..4] == [0, 0, 0] {
        "a discard-only address"
    } else {
        return None;
    };
    Some(reason)
}

/// The IPv4 address an IPv6 one stands for: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d` (deprecated, but still routed by some stacks), NAT64 `64:ff9b::a.b.c.d`
/// and the local-use NAT64 prefix `64:ff9b:1::/48`, and 6to4 `2002:aabb:ccdd::/48`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    if s[..5] == [0, 0, 0, 0, 0] && s[5] == 0xffff {
        return Some(low(s[6], s[7]));
    }
    // `::` and `::1` are IPv6's own unspecified and loopback addresses, not IPv4.
    if s[..6] == [0, 0, 0, 0, 0, 0] && (s[6] != 0 || s[7] > 1) {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && (s[2..6] == [0, 0, 0, 0] || s[2] == 1) {
        return Some(low(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return Some(low(s[1], s[2]));
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn refused(text: &str) -> bool {
        forbidden(ip(text), &[]).is_some()
    }

    #[test]
    fn public_addresses_are_allowed() {
        for text in [
            "8.8.8.8",
            "142.250.74.46",
            "1.1.1.1",
            "100.128.0.1",
            "172.32.0.1",
            "2a00:1450:4001:82a::200e",
            "2606:4700:4700::1111",
        ] {
            assert!(!refused(text), "{text} should be allowed");
        }
    }

    #[test]
    fn internal_addresses_are_refused() {
        for text in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.10",
            "169.254.0.5",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.1",
            "192.0.0.8",
            "::",
            "::1",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "fd00:ec2::254",
            "ff02::1",
            "2001:db8::1",
            "2001:2::1",
            "100::1",
        ] {
            assert!(refused(text), "{text} should be refused");
        }
    }

    #[test]
    fn embedded_ipv4_is_judged_as_ipv4() {
        for text in [
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "::10.0.0.1",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::c0a8:101",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
        ] {
            assert!(refused(text), "{text} should be refused");
        }
        assert!(!refused("::ffff:8.8.8.8"));
        assert!(!refused("64:ff9b::8.8.8.8"));
        assert!(!refused("2002:808:808::1"));
    }

    #[test]
    fn reasons_name_the_kind_of_address() {
        assert_eq!(forbidden(ip("127.0.0.1"), &[]), Some("a loopback address"));
        assert_eq!(
            forbidden(ip("169.254.169.254"), &[]),
            Some("a cloud metadata address")
        );
        assert_eq!(
            forbidden(ip("100.64.1.1"), &[]),
            Some("a carrier-grade NAT address")
        );
        assert_eq!(
            forbidden(ip("::ffff:10.0.0.1"), &[]),
            Some("a private network address")
        );
    }

    #[test]
    fn allowed_networks_open_only_themselves() {
        let allowed = [
            Network::parse("127.0.0.1/32").unwrap(),
            Network::parse("192.168.10.0/24").unwrap(),
            Network::parse("fd00:1::/32").unwrap(),
        ];
        assert_eq!(forbidden(ip("127.0.0.1"), &allowed), None);
        assert!(forbidden(ip("127.0.0.2"), &allowed).is_some());
        assert_eq!(forbidden(ip("192.168.10.77"), &allowed), None);
        assert!(forbidden(ip("192.168.11.1"), &allowed).is_some());
        assert_eq!(forbidden(ip("fd00:1:2::3"), &allowed), None);
        assert!(forbidden(ip("fd00:2::3"), &allowed).is_some());
        // The mapped form of an allowed IPv4 address is the same host.
        assert_eq!(forbidden(ip("::ffff:127.0.0.1"), &allowed), None);
    }

    #[test]
    fn networks_parse() {
        assert_eq!(
            Network::parse("10.0.0.0/8"),
            Some(Network {
                addr: ip("10.0.0.0"),
                prefix: 8
            })
        );
        assert_eq!(Network::parse("10.1.2.3").map(|n| n.prefix), Some(32));
        assert_eq!(Network::parse("::1").map(|n| n.prefix), Some(128));
        assert_eq!(Network::parse("10.0.0.0/33"), None);
        assert_eq!(Network::parse("nonsense"), None);
        assert!(Network::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert!(!Network::parse("0.0.0.0/0").unwrap().contains(ip("::1")));
    }
}
