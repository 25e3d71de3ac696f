//! The guard against server-side request forgery: which addresses a process variable may
//! make the worker connect to.
//!
//! A URL's host is resolved here, every address is classified, and only the addresses
//! that pass are handed to the HTTP client, which then connects to exactly those (no
//! second lookup that could answer differently). Global unicast addresses pass; loopback,
//! private, link-local, unspecified, shared, documentation, multicast and other
//! non-global addresses (IPv4 and IPv6, including IPv4 addresses embedded in IPv6 ones)
//! pass only when the host, `host:port`, the address or a range holding it is on the
//! allow-list.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::Url;

/// Why an address is not global, or None when it is: "a loopback address", ...
pub fn non_global_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, _, _) => "an unspecified address (0.0.0.0/8)",
        (127, _, _) => "a loopback address",
        (10, _, _) => "a private address",
        (172, 16..=31, _) => "a private address",
        (192, 168, _) => "a private address",
        (100, 64..=127, _) => "a shared (carrier-grade NAT) address",
        (169, 254, _) => "a link-local address",
        (192, 0, 0) => "an IETF protocol assignment address",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (192, 88, 99) => "a reserved (6to4 relay) address",
        (198, 18..=19, _) => "a benchmarking address",
        (224..=239, _, _) => "a multicast address",
        (240..=255, _, _) => "a reserved or broadcast address",
        _ => return None,
    })
}

fn v6_reason(ip: Ipv6Addr) -> Option<&'static str> {
    if ip.is_unspecified() {
        return Some("an unspecified address");
    }
    if ip.is_loopback() {
        return Some("a loopback address");
    }
    let seg = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| {
        Ipv4Addr::new(
            (hi >> 8) as u8,
            (hi & 0xff) as u8,
            (lo >> 8) as u8,
            (lo & 0xff) as u8,
        )
    };
    // ::ffff:a.b.c.d (IPv4-mapped) is the IPv4 address itself.
    if seg[..5] == [0, 0, 0, 0, 0] && seg[5] == 0xffff {
        return v4_reason(embedded_v4(seg[6], seg[7]));
    }
    // ::a.b.c.d (IPv4-compatible, deprecated).
    if seg[..6] == [0, 0, 0, 0, 0, 0] {
        return Some("an IPv4-compatible address");
    }
    // 64:ff9b::/96, the well-known NAT64 prefix, reaches the embedded IPv4 address.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return v4_reason(embedded_v4(seg[6], seg[7]));
    }
    if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1 {
        return Some("a local-use NAT64 address");
    }
    // 2002::/16, 6to4, carries an IPv4 address in bits 16..48.
    if seg[0] == 0x2002 {
        return v4_reason(embedded_v4(seg[1], seg[2]));
    }
    Some(match seg[0] {
        0x0100 if seg[1..4] == [0, 0, 0] => "a discard-only address",
        0x2001 if seg[1] == 0x0db8 => "a documentation address",
        0x2001 if seg[1] < 0x0200 => "an IETF protocol assignment address (Teredo and others)",
        0x3fff if seg[1] < 0x1000 => "a documentation address",
        s if s & 0xfe00 == 0xfc00 => "a unique local (private) address",
        s if s & 0xffc0 == 0xfe80 => "a link-local address",
        s if s & 0xffc0 == 0xfec0 => "a site-local address",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        s if s & 0xe000 != 0x2000 => "a reserved address (outside 2000::/3)",
        _ => return None,
    })
}

/// The IPv4 address inside an IPv4-mapped IPv6 address, else the address itself.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// What an allow-list entry names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    /// A host name, lower case, without a trailing dot.
    Name(String),
    /// `*.example.com`: any name below `example.com`.
    Below(String),
    /// One address.
    Ip(IpAddr),
    /// A CIDR range.
    Net(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    pattern: Pattern,
    port: Option<u16>,
}

/// The hosts that may be reached although their addresses are not global.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowList {
    entries: Vec<Entry>,
}

/// A host name lower-cased, without the trailing dot of a fully qualified name.
fn normal_name(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl AllowList {
    /// Parses entries: `host`, `host:port`, `*.domain`, `1.2.3.4`, `1.2.3.4:80`, `::1`,
    /// `[::1]:8080`, `10.0.0.0/8`, `fd00::/8`.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<AllowList, String> {
        let mut parsed = Vec::new();
        for raw in entries {
            let text = raw.as_ref().trim();
            if text.is_empty() {
                continue;
            }
            parsed.push(parse_entry(text).ok_or_else(|| {
                format!(
                    "HTTP_ALLOWED_HOSTS: {text:?} is not a host, host:port, address or CIDR range"
                )
            })?);
        }
        Ok(AllowList { entries: parsed })
    }

    /// Whether an entry allows connecting to `ip` on `port` for a URL whose host is
    /// `host` (a name, or the address written as text).
    pub fn permits(&self, host: &str, port: u16, ip: IpAddr) -> bool {
        let name = normal_name(host.trim_start_matches('[').trim_end_matches(']'));
        let ip = canonical(ip);
        self.entries.iter().any(|entry| {
            entry.port.is_none_or(|p| p == port)
                && match &entry.pattern {
                    Pattern::Name(n) => *n == name,
                    Pattern::Below(suffix) => {
                        name.len() > suffix.len() + 1
                            && name.ends_with(suffix.as_str())
                            && name[..name.len() - suffix.len()].ends_with('.')
                    }
                    Pattern::Ip(a) => *a == ip,
                    Pattern::Net(net, bits) => in_net(ip, *net, *bits),
                }
        })
    }
}

fn parse_entry(text: &str) -> Option<Entry> {
    let text = text.to_ascii_lowercase();
    if let Some((addr, bits)) = text.split_once('/') {
        let net = canonical(addr.parse::<IpAddr>().ok()?);
        let bits: u8 = bits.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        return (bits <= max).then_some(Entry {
            pattern: Pattern::Net(net, bits),
            port: None,
        });
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(Entry {
            pattern: Pattern::Ip(canonical(ip)),
            port: None,
        });
    }
    if let Some(rest) = text.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        let ip = canonical(addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6)?);
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        return Some(Entry {
            pattern: Pattern::Ip(ip),
            port,
        });
    }
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, Some(port.parse::<u16>().ok()?)),
        None => (text.as_str(), None),
    };
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Some(Entry {
            pattern: Pattern::Ip(IpAddr::V4(ip)),
            port,
        });
    }
    let valid = |name: &str| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    };
    let pattern = match host.strip_prefix("*.") {
        Some(suffix) if valid(suffix) => Pattern::Below(normal_name(suffix)),
        None if valid(host) => Pattern::Name(normal_name(host)),
        _ => return None,
    };
    Some(Entry { pattern, port })
}

fn in_net(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Why a URL may not be requested.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuardError {
    /// The URL's scheme is not `http` or `https`.
    #[error("refused {url}: only http and https URLs may be requested")]
    Scheme {
        /// The URL.
        url: String,
    },
    /// The URL has no host.
    #[error("refused {url}: the URL has no host")]
    NoHost {
        /// The URL.
        url: String,
    },
    /// The host resolves only to addresses that are not allowed.
    #[error(
        "refused {url}: {host}{} is {reason}; add {host} or {host}:{port} to HTTP_ALLOWED_HOSTS to allow it",
        resolved_to(host, addr)
    )]
    Refused {
        /// The URL.
        url: String,
        /// The host as written in the URL.
        host: String,
        /// The port.
        port: u16,
        /// The first refused address.
        addr: IpAddr,
        /// What kind of address it is.
        reason: &'static str,
    },
    /// The host name could not be resolved (may work later).
    #[error("cannot resolve {host}: {message}")]
    Resolve {
        /// The host name.
        host: String,
        /// The resolver's message.
        message: String,
    },
}

/// ` (resolved to ADDR)` when `host` is a name, nothing when it is the address itself.
fn resolved_to(host: &str, addr: &IpAddr) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<IpAddr>().is_ok_and(|h| h == *addr) {
        String::new()
    } else {
        format!(" (resolved to {addr})")
    }
}

/// Where a checked URL may connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The host name to pin to `addrs`; None when the URL's host is an address.
    pub domain: Option<String>,
    /// The addresses that passed the check (for an address host: that address).
    pub addrs: Vec<SocketAddr>,
}

/// Checks URLs against the address policy and an allow-list.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    allow: AllowList,
}

impl Guard {
    /// A guard with this allow-list.
    pub fn new(allow: AllowList) -> Guard {
        Guard { allow }
    }

    /// Whether `ip` may be reached on `port` for the host `host`.
    pub fn allows(&self, host: &str, port: u16, ip: IpAddr) -> bool {
        non_global_reason(canonical(ip)).is_none() || self.allow.permits(host, port, ip)
    }

    /// Resolves `url`'s host and keeps the addresses it may connect to; refuses the URL
    /// when none is left.
    pub async fn check(&self, url: &Url) -> Result<Target, GuardError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(GuardError::Scheme {
                url: url.to_string(),
            });
        }
        let no_host = || GuardError::NoHost {
            url: url.to_string(),
        };
        let port = url.port_or_known_default().ok_or_else(no_host)?;
        let host_text = url.host_str().ok_or_else(no_host)?.to_owned();
        // The URL parser has normalised address hosts (`0x7f000001` is `127.0.0.1`,
        // IPv6 ones are bracketed), so an address host parses here and a name does not.
        let literal = match host_text.strip_prefix('[') {
            Some(v6) => v6
                .trim_end_matches(']')
                .parse::<Ipv6Addr>()
                .ok()
                .map(IpAddr::V6),
            None => host_text.parse::<Ipv4Addr>().ok().map(IpAddr::V4),
        };
        let (domain, resolved) = match literal {
            Some(ip) => (None, vec![SocketAddr::new(ip, port)]),
            None => {
                let name = host_text.as_str();
                let resolved: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                    .await
                    .map_err(|e| GuardError::Resolve {
                        host: name.to_owned(),
                        message: e.to_string(),
                    })?
                    .collect();
                if resolved.is_empty() {
                    return Err(GuardError::Resolve {
                        host: name.to_owned(),
                        message: "no addresses".to_owned(),
                    });
                }
                (Some(name.to_owned()), resolved)
            }
        };
        let (allowed, refused): (Vec<SocketAddr>, Vec<SocketAddr>) = resolved
            .into_iter()
            .partition(|addr| self.allows(&host_text, port, addr.ip()));
        if allowed.is_empty() {
            let addr = refused
                .first()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
            return Err(GuardError::Refused {
                url: url.to_string(),
                host: host_text,
                port,
                addr,
                reason: non_global_reason(canonical(addr)).unwrap_or("not allowed"),
            });
        }
        if !refused.is_empty() {
            tracing::debug!(host = %host_text, ?refused, "skipping non-global addresses");
        }
        Ok(Target {
            domain,
            addrs: allowed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("a test address")
    }

    #[test]
    fn non_global_addresses_are_recognised() {
        for a in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "2002:7f00:1::",
            "100::1",
        ] {
            assert!(non_global_reason(ip(a)).is_some(), "{a} counts as global");
        }
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2a00:1450::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::",
        ] {
            assert_eq!(non_global_reason(ip(a)), None, "{a} counts as non-global");
        }
    }

    #[test]
    fn allow_list_entries_match_host_port_address_and_range() {
        let list = AllowList::parse(&[
            "localhost",
            "127.0.0.1:8080",
            "[::1]:9000",
            "10.0.0.0/8",
            "*.internal.example",
            "Intranet.Example.:443",
        ])
        .expect("valid entries");
        assert!(list.permits("localhost", 1234, ip("127.0.0.1")));
        assert!(list.permits("LOCALHOST.", 80, ip("::1")));
        assert!(list.permits("127.0.0.1", 8080, ip("127.0.0.1")));
        assert!(list.permits("anything", 8080, ip("::ffff:127.0.0.1")));
        assert!(!list.permits("127.0.0.1", 8081, ip("127.0.0.1")));
        assert!(list.permits("[::1]", 9000, ip("::1")));
        assert!(!list.permits("[::1]", 9001, ip("::1")));
        assert!(list.permits("db", 5432, ip("10.9.8.7")));
        assert!(!list.permits("db", 5432, ip("11.9.8.7")));
        assert!(list.permits("a.internal.example", 80, ip("192.168.0.1")));
        assert!(!list.permits("internal.example", 80, ip("192.168.0.1")));
        assert!(!list.permits("xinternal.example", 80, ip("192.168.0.1")));
        assert!(list.permits("intranet.example", 443, ip("192.168.0.1")));
        assert!(!list.permits("intranet.example", 80, ip("192.168.0.1")));
        assert!(AllowList::parse(&["bad host"]).is_err());
        assert!(AllowList::parse(&["10.0.0.0/33"]).is_err());
        assert!(AllowList::parse(&["host:port"]).is_err());
    }

    #[tokio::test]
    async fn urls_to_non_global_addresses_are_refused() {
        let guard = Guard::default();
        for url in [
            "http://127.0.0.1:1/",
            "http://10.0.0.1/",
            "http://[::1]:8080/x",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://localhost:9/",
            "http://0x7f000001/",
            "http://2130706433/",
        ] {
            let parsed = Url::parse(url).expect("a test URL");
            match guard.check(&parsed).await {
                Err(GuardError::Refused { .. }) => {}
                other => panic!("{url}: {other:?}"),
            }
        }
        let file = Url::parse("file:///etc/passwd").expect("a test URL");
        assert!(matches!(
            guard.check(&file).await,
            Err(GuardError::Scheme { .. })
        ));
        let allowed = Guard::new(AllowList::parse(&["localhost:9"]).expect("valid"));
        let target = allowed
            .check(&Url::parse("http://localhost:9/").expect("a test URL"))
            .await
            .expect("allow-listed");
        assert_eq!(target.domain.as_deref(), Some("localhost"));
        assert!(target.addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
