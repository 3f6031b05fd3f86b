//! Where a connection goes, for every client runner makes (the endpoints', a redirect's, the
//! revocation fetcher's) and the probe. `localhost` and the names under it (`api.localhost`) are
//! the loopback addresses, answered here without asking the system's resolver, as curl and the
//! browsers do (RFC 6761 §6.3): a suite's `https://localhost:8443` reaches this machine whatever
//! the hosts file or DNS say, and its first request does not wait for a resolver thread (6% of a
//! one-request run's wall time). Other names go to the system's resolver (getaddrinfo).

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::sync::OnceLock;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// The loopback addresses, IPv4 first (a server that listens on one family mostly listens on
/// IPv4; when IPv4 is refused the connection tries IPv6 at once), if `host` is `localhost` or a
/// name under it, in any case, with or without the final dot. IPv6's only where the machine has
/// an IPv6 loopback: where it has none (containers often), a refused connection is said as
/// refused, not as an address family the machine lacks.
pub fn loopback(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
    (host == "localhost" || host.ends_with(".localhost")).then(|| {
        let mut addrs = vec![SocketAddr::from((Ipv4Addr::LOCALHOST, port))];
        if ipv6_loopback() {
            addrs.push(SocketAddr::from((Ipv6Addr::LOCALHOST, port)));
        }
        addrs
    })
}

/// Whether this machine has an IPv6 loopback, as curl asks: a UDP socket can be bound to
/// `::1` (once a run; nothing is sent).
fn ipv6_loopback() -> bool {
    static WORKS: OnceLock<bool> = OnceLock::new();
    *WORKS.get_or_init(|| UdpSocket::bind((Ipv6Addr::LOCALHOST, 0)).is_ok())
}

/// Resolves the names a client's connections go to. With a redirect, the name a request is
/// sent to (`server_name`, or the URL's host) resolves to where the connection must go
/// (`connect_to`, or the URL's real host), so TLS speaks to the name while the TCP connection
/// goes elsewhere.
#[derive(Debug, Clone, Default)]
pub struct Resolver {
    redirect: Option<Redirect>,
}

#[derive(Debug, Clone)]
struct Redirect {
    name: String,
    target_host: String,
    port: u16,
}

impl Resolver {
    /// Connections to `name` go to `target_host`, and every connection to `port`.
    pub fn redirecting(name: String, target_host: String, port: u16) -> Self {
        Self {
            redirect: Some(Redirect {
                name,
                target_host,
                port,
            }),
        }
    }
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        // Port 0: the URL's port, or its scheme's.
        let (host, port) = match &self.redirect {
            Some(to) if name.as_str().eq_ignore_ascii_case(&to.name) => {
                (to.target_host.clone(), to.port)
            }
            Some(to) => (name.as_str().to_owned(), to.port),
            None => (name.as_str().to_owned(), 0),
        };
        if let Some(addrs) = loopback(&host, port) {
            return Box::pin(std::future::ready(Ok(Box::new(addrs.into_iter()) as Addrs)));
        }
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_and_the_names_under_it_are_loopback_and_nothing_else_is() {
        // ::1 is there where the machine has an IPv6 loopback.
        let mut expected = vec!["127.0.0.1:8443"];
        if UdpSocket::bind("[::1]:0").is_ok() {
            expected.push("[::1]:8443");
        }
        for host in [
            "localhost",
            "LocalHost",
            "localhost.",
            "api.localhost",
            "a.b.LOCALHOST.",
        ] {
            let addrs = loopback(host, 8443).unwrap_or_else(|| panic!("{host} is loopback"));
            let shown: Vec<String> = addrs.iter().map(ToString::to_string).collect();
            assert_eq!(shown, expected, "{host}");
        }
        for host in [
            "notlocalhost",
            "localhost.example",
            "localhost..",
            "127.0.0.2",
            "",
        ] {
            assert_eq!(loopback(host, 8443), None, "{host}");
        }
    }
}
