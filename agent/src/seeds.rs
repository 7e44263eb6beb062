//! Seeds as people give them: an address, or a host name and a port. A name is resolved
//! again before each attempt to reach it, because seeds behind DNS (or a hosts file, or
//! a container platform) change address when they are replaced.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use tokio::net::lookup_host;
use tracing::{debug, warn};

/// How long one name may take to resolve before that attempt counts as failed.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(2);

/// A seed to join and reconnect through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seed {
    /// A fixed address.
    Addr(SocketAddr),
    /// `host:port`, resolved at each attempt.
    Host { host: String, port: u16 },
}

impl Seed {
    /// Whether this seed must be looked up (rather than used as it is).
    pub fn is_name(&self) -> bool {
        matches!(self, Seed::Host { .. })
    }

    /// The seed's addresses now: the address itself, or every address its name resolves
    /// to (none when the lookup fails, which is logged).
    pub async fn resolve(&self) -> Vec<SocketAddr> {
        let (host, port) = match self {
            Seed::Addr(addr) => return vec![*addr],
            Seed::Host { host, port } => (host.as_str(), *port),
        };
        match tokio::time::timeout(LOOKUP_TIMEOUT, lookup_host((host, port))).await {
            Ok(Ok(addrs)) => {
                let addrs: Vec<SocketAddr> = addrs.collect();
                debug!(seed = %self, ?addrs, "resolved a seed");
                addrs
            }
            Ok(Err(error)) => {
                warn!(seed = %self, %error, "cannot resolve a seed");
                Vec::new()
            }
            Err(_) => {
                warn!(seed = %self, "resolving a seed timed out");
                Vec::new()
            }
        }
    }
}

/// Each seed's addresses now, in the seeds' order (empty for a name that did not
/// resolve).
pub async fn resolve_each(seeds: &[Seed]) -> Vec<Vec<SocketAddr>> {
    futures_util::future::join_all(seeds.iter().map(Seed::resolve)).await
}

/// Whether a UDP socket bound to `local` can send to `addr`: only within its own
/// address family (a name such as `localhost` may give an IPv4 and an IPv6 address).
pub fn can_send(local: SocketAddr, addr: SocketAddr) -> bool {
    local.is_ipv4() == addr.is_ipv4()
}

/// Where each seed was last found, as addresses the agent's socket can send to: a
/// lookup that fails keeps the addresses of the last one that worked, so a DNS hiccup
/// does not leave a node with nobody to reconnect to.
#[derive(Clone, Debug)]
pub struct SeedAddrs {
    local: SocketAddr,
    found: Vec<Vec<SocketAddr>>,
}

impl SeedAddrs {
    /// For a socket bound to `local`.
    pub fn for_socket(local: SocketAddr) -> SeedAddrs {
        SeedAddrs {
            local,
            found: Vec::new(),
        }
    }

    /// Takes a round of lookups (as [`resolve_each`] answers). Addresses of the other
    /// family are dropped: sending to them could only fail, every time.
    pub fn update(&mut self, looked_up: Vec<Vec<SocketAddr>>) {
        self.found.resize(looked_up.len(), Vec::new());
        for (known, mut now) in self.found.iter_mut().zip(looked_up) {
            now.retain(|addr| can_send(self.local, *addr));
            if !now.is_empty() {
                *known = now;
            }
        }
    }

    /// Every address known for any seed, in order, without repeats.
    pub fn all(&self) -> Vec<SocketAddr> {
        let mut seen = std::collections::HashSet::new();
        self.found
            .iter()
            .flatten()
            .copied()
            .filter(|addr| seen.insert(*addr))
            .collect()
    }
}

impl From<SocketAddr> for Seed {
    fn from(addr: SocketAddr) -> Seed {
        Seed::Addr(addr)
    }
}

impl fmt::Display for Seed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Seed::Addr(addr) => addr.fmt(f),
            Seed::Host { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

/// Why a seed does not parse.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    #[error("{0:?} has no port: write HOST:PORT, e.g. node1.example:7946")]
    NoPort(String),
    #[error("{0:?} has a bad port: a port is a number from 1 to 65535")]
    BadPort(String),
    #[error("{0:?} has no host name before the port")]
    NoHost(String),
    #[error("{0:?} is not a host name: use letters, digits, '-', '_' and '.'")]
    BadHost(String),
}

impl FromStr for Seed {
    type Err = SeedError;

    fn from_str(text: &str) -> Result<Seed, SeedError> {
        let text = text.trim();
        if let Ok(addr) = text.parse::<SocketAddr>() {
            if addr.port() == 0 {
                return Err(SeedError::BadPort(text.to_owned()));
            }
            return Ok(Seed::Addr(addr));
        }
        let (host, port) = text
            .rsplit_once(':')
            .ok_or_else(|| SeedError::NoPort(text.to_owned()))?;
        let port: u16 = port
            .parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| SeedError::BadPort(text.to_owned()))?;
        if host.is_empty() {
            return Err(SeedError::NoHost(text.to_owned()));
        }
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        if host.len() > 253 || !host.chars().all(valid) {
            return Err(SeedError::BadHost(text.to_owned()));
        }
        Ok(Seed::Host {
            host: host.to_owned(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_as_addresses_or_names() {
        assert_eq!(
            "127.0.0.1:7946".parse::<Seed>(),
            Ok(Seed::Addr("127.0.0.1:7946".parse().unwrap()))
        );
        assert_eq!(
            "[::1]:7946".parse::<Seed>(),
            Ok(Seed::Addr("[::1]:7946".parse().unwrap()))
        );
        assert_eq!(
            "node-1.cluster.local:7946".parse::<Seed>(),
            Ok(Seed::Host {
                host: "node-1.cluster.local".into(),
                port: 7946
            })
        );
        assert!(matches!("node1".parse::<Seed>(), Err(SeedError::NoPort(_))));
        for no_port in ["node1:0", "127.0.0.1:0", "[::1]:0"] {
            assert!(
                matches!(no_port.parse::<Seed>(), Err(SeedError::BadPort(_))),
                "{no_port}"
            );
        }
        assert!(matches!(
            "node1:99999".parse::<Seed>(),
            Err(SeedError::BadPort(_))
        ));
        assert!(matches!(":7946".parse::<Seed>(), Err(SeedError::NoHost(_))));
        assert!(matches!(
            "no de:7946".parse::<Seed>(),
            Err(SeedError::BadHost(_))
        ));
    }

    #[tokio::test]
    async fn names_resolve_and_repeats_are_dropped() {
        let seeds: Vec<Seed> = ["localhost:7946", "127.0.0.1:7946", "127.0.0.1:7947"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let mut found = SeedAddrs::for_socket("127.0.0.1:7000".parse().unwrap());
        found.update(resolve_each(&seeds).await);
        assert!(
            found.all().iter().all(SocketAddr::is_ipv4),
            "{:?}",
            found.all()
        );
        let addrs = found.all();
        let loopback: SocketAddr = "127.0.0.1:7946".parse().unwrap();
        assert_eq!(
            addrs.iter().filter(|a| **a == loopback).count(),
            1,
            "{addrs:?}"
        );
        assert!(addrs.contains(&"127.0.0.1:7947".parse().unwrap()));
        let unknown = resolve_each(&["no-such-host.invalid:1".parse().unwrap()]).await;
        assert_eq!(unknown, vec![Vec::<SocketAddr>::new()]);
    }

    #[test]
    fn a_failed_lookup_keeps_the_last_addresses_found() {
        let a: SocketAddr = "10.0.0.1:7946".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:7946".parse().unwrap();
        let c: SocketAddr = "10.0.0.3:7946".parse().unwrap();
        let mut found = SeedAddrs::for_socket("10.0.0.9:7946".parse().unwrap());
        found.update(vec![vec![a], vec![b]]);
        found.update(vec![vec![], vec![c]]);
        assert_eq!(found.all(), vec![a, c], "the first kept, the second moved");
        // An address the socket cannot send to is no address: the last ones stay.
        let v6: SocketAddr = "[2001:db8::1]:7946".parse().unwrap();
        found.update(vec![vec![v6], vec![v6, b]]);
        assert_eq!(found.all(), vec![a, b]);
    }
}
