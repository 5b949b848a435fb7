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
    /// Whether a run may connect to `ip`.
    fn allows(self, ip: std::net::IpAddr) -> bool {
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

/// Whether `ip` is reachable from the internet at large (RFC 6890's special ranges excluded).
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                // 100.64.0.0/10, carrier-grade NAT.
                || (a == 100 && (64..128).contains(&b))
                // 198.18.0.0/15, benchmarking.
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The host of `url` when it is an IP literal (reqwest resolves no name for those).
fn literal_ip(url: &Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// The system resolver (as reqwest's default), failing with [`UnresolvedName`], and with
/// [`RefusedAddress`] when the name resolves only to addresses the destinations forbid.
pub(super) struct NameResolver {
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
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        assert!(Destinations::Any.allows("127.0.0.1".parse().unwrap()));
    }
}
