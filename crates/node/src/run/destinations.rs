//! Which addresses a run may reach ([`Destinations`]): checked on an IP literal before the run
//! is admitted, and on every address a name resolves to as the connection is made
//! ([`NameResolver`]).

use std::net::SocketAddr;

use url::Url;

use super::failure::{RefusedAddress, UnresolvedName, authority};
use super::result::{RunResult, Stop};
use crate::model::Edge;

/// Which addresses a run may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Destinations {
    /// Wherever the definition says (the operator wrote it).
    #[default]
    Any,
    /// Public addresses only: no loopback, private, link-local, shared, unique-local,
    /// multicast or unspecified address, by IP literal or by a name that resolves to one. For
    /// definitions someone else wrote (nodes imported at the console), so that an API key
    /// cannot make the service call into its own network.
    Public,
}

impl Destinations {
    /// Whether a run (or anything else that keeps to these destinations, such as the
    /// service's webhooks) may connect to `ip`.
    pub fn allows(self, ip: std::net::IpAddr) -> bool {
        self == Destinations::Any || is_public(ip)
    }

    /// The destination step: a request to an IP literal these destinations forbid ends the run
    /// with nothing sent. (A name is checked when it resolves.)
    pub(super) fn check(self, url: &Url) -> Result<(), Stop> {
        match literal_ip(url) {
            Some(ip) if !self.allows(ip) => {
                let refused = RefusedAddress {
                    name: authority(url),
                };
                Err(Stop::ended(RunResult::unanswered(
                    Edge::Error,
                    refused.to_string(),
                    0,
                )))
            }
            _ => Ok(()),
        }
    }
}

/// Whether `ip` is global unicast: reachable from the internet at large, outside every special
/// range of the IANA registries (RFC 6890 and its successors). An IPv4 address carried in an
/// IPv6 one (mapped, NAT64's well-known prefix, 6to4) is judged as the IPv4 address it reaches.
fn is_public(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => is_public_v4(v4),
        std::net::IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(v4: std::net::Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    !(v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || v4.is_unspecified()
        || v4.is_documentation()
        || v4.is_multicast()
        || a == 0
        // 240.0.0.0/4, reserved (255.255.255.255, broadcast, among them).
        || a >= 240
        // 100.64.0.0/10, carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 192.0.0.0/24, IETF protocol assignments; 192.88.99.0/24, the 6to4 relays.
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 88 && c == 99))
}

/// Global unicast is 2000::/3, less its special blocks.
fn is_public_v6(v6: std::net::Ipv6Addr) -> bool {
    let [first, second, ..] = v6.segments();
    (first & 0xe000) == 0x2000
        // 2001::/23, IETF protocol assignments (Teredo, benchmarking, ORCHID among them).
        && !(first == 0x2001 && second < 0x0200)
        // 2001:db8::/32 and 3fff::/20, documentation.
        && !(first == 0x2001 && second == 0x0db8)
        && !(first == 0x3fff && second < 0x1000)
}

/// The IPv4 address an IPv6 one carries to: `::ffff:a.b.c.d` (mapped), `64:ff9b::a.b.c.d`
/// (NAT64's well-known prefix) and `2002:aabb:ccdd::/48` (6to4).
fn embedded_v4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let segments = v6.segments();
    let octets = v6.octets();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(std::net::Ipv4Addr::new(
            octets[12], octets[13], octets[14], octets[15],
        ));
    }
    if segments[0] == 0x2002 {
        return Some(std::net::Ipv4Addr::new(
            octets[2], octets[3], octets[4], octets[5],
        ));
    }
    None
}

/// The host of `url` when it is an IP literal (reqwest resolves no name for those, so it is
/// checked before any connection is made).
pub fn literal_ip(url: &Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// The system resolver (as reqwest's default), failing when a name does not resolve, and
/// refusing it (before any connection) when it resolves to an address the destinations
/// forbid. Given
/// to a reqwest client (`dns_resolver`), it holds every connection the client makes to them.
pub struct NameResolver {
    pub destinations: Destinations,
}

impl reqwest::dns::Resolve for NameResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        let destinations = self.destinations;
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port in place.
            let looked_up: std::io::Result<Vec<SocketAddr>> =
                tokio::net::lookup_host((name.as_str(), 0))
                    .await
                    .map(Iterator::collect);
            match looked_up {
                Ok(addresses) => {
                    // Every address must be allowed: one forbidden answer among public ones
                    // would let DNS pick the private one.
                    if addresses.iter().any(|a| !destinations.allows(a.ip())) {
                        return Err(Box::new(RefusedAddress { name }) as _);
                    }
                    Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
                }
                Err(source) => Err(Box::new(UnresolvedName { name, source }) as _),
            }
        })
    }
}

#[cfg(test)]
mod destination_tests {
    use super::*;

    #[test]
    fn public_means_outside_every_special_range() {
        for private in [
            // What the first rule let through: reserved, IETF, 6to4 relays; IPv4-compatible,
            // site-local, Teredo, and private IPv4 behind NAT64 and 6to4.
            "240.0.0.1",
            "250.1.2.3",
            "192.0.0.8",
            "192.88.99.1",
            "::127.0.0.1",
            "::8.8.8.8",
            "fec0::1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "64:ff9b:1::808:808",
            "2002:7f00:1::1",
            "2002:a9fe:a9fe::1",
            "2001::1",
            "2001:db8::1",
            "3fff::1",
            "3fff:fff::1",
            "1fff::1",
            "4000::1",
            "2001:1ff::1",
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "198.19.255.254",
            "100.127.255.254",
            "192.0.2.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            // Neighbours of the special ranges, one octet away.
            "192.0.1.1",
            "192.1.0.1",
            "193.0.0.1",
            "192.88.98.1",
            "192.87.99.1",
            "193.88.99.1",
            "223.255.255.254",
            "198.17.255.254",
            "198.20.0.1",
            "199.18.0.1",
            "8.18.0.1",
            "8.19.0.1",
            "100.63.255.254",
            "101.64.0.1",
            "2001:200::1",
            "2001:db7::1",
            "2001:db9::1",
            "2003::1",
            "3ffe::1",
            "2001:4860:4860::8888",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "3fff:1000::1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        assert!(Destinations::Any.allows("127.0.0.1".parse().unwrap()));
    }
}
