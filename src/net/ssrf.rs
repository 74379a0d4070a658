//! The SSRF guard for every URL the daemon calls on a user's behalf (webhooks now, media downloads
//! later): only http(s), and never an address inside the server's own networks.
//!
//! A host name is resolved once, every address it resolves to is vetted, and the connection goes to
//! those vetted addresses (the guard is the HTTP client's DNS resolver), so a name cannot resolve to
//! a public address for the check and to a private one for the connection.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, LazyLock};

use ipnet::{Ipv4Net, Ipv6Net};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// IPv4 ranges a webhook may never reach, with the reason given to the user.
static BLOCKED_V4: LazyLock<Vec<(Ipv4Net, &'static str)>> = LazyLock::new(|| {
    [
        ("0.0.0.0/8", "an unspecified address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a carrier-grade NAT address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local or cloud metadata address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "a reserved address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a reserved address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a reserved address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
    ]
    .into_iter()
    .filter_map(|(net, why)| net.parse().ok().map(|n| (n, why)))
    .collect()
});

/// IPv6 ranges refused outright (the forms that embed an IPv4 address are unwrapped instead).
static BLOCKED_V6: LazyLock<Vec<(Ipv6Net, &'static str)>> = LazyLock::new(|| {
    [
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("64:ff9b:1::/48", "a private NAT64 address"),
        ("100::/64", "a reserved address"),
        ("2001::/32", "a Teredo tunnel address"),
        ("2001:10::/28", "a reserved address"),
        ("2001:db8::/32", "a documentation address"),
        ("fc00::/7", "a private address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
    ]
    .into_iter()
    .filter_map(|(net, why)| net.parse().ok().map(|n| (n, why)))
    .collect()
});

/// Why `ip` may not be reached, or `None` when it is a public address.
pub fn blocked(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => BLOCKED_V4
            .iter()
            .find(|(net, _)| net.contains(&v4))
            .map(|(_, why)| *why),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => blocked(IpAddr::V4(v4)),
            None => BLOCKED_V6
                .iter()
                .find(|(net, _)| net.contains(&v6))
                .map(|(_, why)| *why),
        },
    }
}

/// The IPv4 address inside an IPv6 form that carries one: IPv4-mapped (`::ffff:a.b.c.d`),
/// IPv4-translated (`::ffff:0:a.b.c.d`, RFC 2765), IPv4-compatible (`::a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`) and 6to4 (`2002:AABB:CCDD::`). Teredo and local-use NAT64 ranges are
/// refused whole (see `BLOCKED_V6`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return Some(tail());
    }
    if s[..6] == [0, 0, 0, 0, 0, 0] && v6 != Ipv6Addr::UNSPECIFIED && v6 != Ipv6Addr::LOCALHOST {
        return Some(tail());
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        ));
    }
    None
}

/// The guard's settings: on or off, and the host names exempt from it.
#[derive(Debug, Clone)]
pub struct SsrfGuard {
    protect: bool,
    allowed_hosts: Vec<String>,
}

impl SsrfGuard {
    pub fn new(protect: bool, allowed_hosts: &[String]) -> Self {
        Self {
            protect,
            allowed_hosts: allowed_hosts.iter().map(|h| normalize_host(h)).collect(),
        }
    }

    /// Whether addresses behind `host` must be vetted.
    fn applies_to(&self, host: &str) -> bool {
        self.protect && !self.allowed_hosts.contains(&normalize_host(host))
    }

    /// Why `host` may not be reached at `ip` ("10.0.0.1 is a private address (10.0.0.1)").
    fn refusal(&self, host: &str, ip: IpAddr) -> Option<String> {
        let ip = crate::net::canonical(ip);
        blocked(ip)
            .filter(|_| self.applies_to(host))
            .map(|why| format!("{host} is {why} ({ip})"))
    }

    /// Checks an address `host` points to; the error names the address and what it is.
    fn vet(&self, host: &str, ip: IpAddr) -> Result<(), String> {
        match self.refusal(host, ip) {
            Some(why) => Err(format!(
                "{why}; only public addresses may be reached \
                 (WEBHOOK_SSRF_PROTECT, SSRF_ALLOWED_HOSTS)"
            )),
            None => Ok(()),
        }
    }

    /// Checks a host the daemon would dial itself (a session's proxy): an address given
    /// literally, in any spelling the resolver accepts, or every address the name resolves to
    /// now. The error says what the host is, without the guard's settings.
    pub async fn check_host(&self, host: &str) -> Result<(), String> {
        let bare = normalize_host(host);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.refusal(&bare, ip).map_or(Ok(()), Err);
        }
        if !self.applies_to(&bare) {
            return Ok(());
        }
        if let Ok(addrs) = tokio::net::lookup_host((bare.as_str(), 0)).await {
            for addr in addrs {
                if let Some(why) = self.refusal(&bare, addr.ip()) {
                    return Err(why);
                }
            }
        }
        Ok(())
    }

    /// Checks a URL before anything is sent to it: http(s) only, and an address given literally
    /// must be allowed. Names are vetted when they are resolved (see [`GuardedResolver`]).
    pub fn check_literal(&self, url: &Url) -> Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "only http and https URLs are allowed, not {}",
                url.scheme()
            ));
        }
        let Some(host) = url.host_str() else {
            return Err("the URL has no host".into());
        };
        match url.host() {
            Some(url::Host::Ipv4(v4)) => self.vet(host, IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => self.vet(host, IpAddr::V6(v6)),
            _ => Ok(()),
        }
    }

    /// The registration check: the literal check, then every address the name resolves to now.
    /// A name that does not resolve yet is accepted; each delivery vets it again.
    pub async fn check_url(&self, url: &Url) -> Result<(), String> {
        self.check_literal(url)?;
        let Some(url::Host::Domain(name)) = url.host() else {
            return Ok(());
        };
        if !self.applies_to(name) {
            return Ok(());
        }
        if let Ok(addrs) = tokio::net::lookup_host((name, 0)).await {
            for addr in addrs {
                self.vet(name, addr.ip())?;
            }
        }
        Ok(())
    }
}

/// Host names compare without case and without IPv6 brackets.
fn normalize_host(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase()
}

/// Refusal from the resolver; its text reaches `lastError` of the delivery.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Blocked(pub String);

/// The HTTP client's DNS resolver: resolves once and hands the client only vetted addresses.
pub struct GuardedResolver(pub Arc<SsrfGuard>);

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            for addr in &addrs {
                guard.vet(&host, addr.ip()).map_err(Blocked)?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_blocked(s: &str) -> bool {
        blocked(s.parse().unwrap()).is_some()
    }

    #[test]
    fn refuses_internal_addresses_in_every_form() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2002:c0a8:0101::1",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(is_blocked(ip), "{ip} should be refused");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "::ffff:8.8.8.8",
            "2606:4700::1111",
        ] {
            assert!(!is_blocked(ip), "{ip} should be allowed");
        }
    }

    /// Every IPv6 spelling that carries an IPv4 address is judged by that address.
    #[test]
    fn ipv6_forms_that_embed_an_ipv4_address_are_judged_by_it() {
        // (form, the address with 127.0.0.1 / 10.0.0.1 / 169.254.169.254 / 8.8.8.8 inside)
        let forms: [(&str, [&str; 4]); 6] = [
            (
                "IPv4-mapped",
                [
                    "::ffff:127.0.0.1",
                    "::ffff:10.0.0.1",
                    "::ffff:a9fe:a9fe",
                    "::ffff:8.8.8.8",
                ],
            ),
            (
                "IPv4-translated",
                [
                    "::ffff:0:127.0.0.1",
                    "::ffff:0:a00:1",
                    "::ffff:0:169.254.169.254",
                    "::ffff:0:8.8.8.8",
                ],
            ),
            (
                "IPv4-compatible",
                ["::127.0.0.1", "::a00:1", "::169.254.169.254", "::8.8.8.8"],
            ),
            (
                "NAT64 well-known prefix",
                [
                    "64:ff9b::127.0.0.1",
                    "64:ff9b::a00:1",
                    "64:ff9b::a9fe:a9fe",
                    "64:ff9b::808:808",
                ],
            ),
            (
                "6to4",
                [
                    "2002:7f00:1::1",
                    "2002:a00:1::",
                    "2002:a9fe:a9fe::1",
                    "2002:808:808::1",
                ],
            ),
            (
                "IPv4-mapped, written in full",
                [
                    "0:0:0:0:0:ffff:7f00:1",
                    "0:0:0:0:0:ffff:0a00:0001",
                    "0:0:0:0:0:ffff:a9fe:a9fe",
                    "0:0:0:0:0:ffff:0808:0808",
                ],
            ),
        ];
        for (form, [loopback, private, metadata, public]) in forms {
            for ip in [loopback, private, metadata] {
                assert!(is_blocked(ip), "{form}: {ip} should be refused");
            }
            assert!(!is_blocked(public), "{form}: {public} should be allowed");
        }
        // Ranges whose embedded address cannot be trusted are refused whatever they carry.
        for ip in ["64:ff9b:1::808:808", "2001:0:4136:e378:8000:63bf:3fff:fdd2"] {
            assert!(is_blocked(ip), "{ip} should be refused");
        }
        let guard = SsrfGuard::new(true, &[]);
        for url in [
            "http://[::ffff:0:127.0.0.1]/",
            "http://[::ffff:0:7f00:1]/",
            "http://[::ffff:0:a9fe:a9fe]/latest/meta-data",
        ] {
            assert!(
                guard.check_literal(&Url::parse(url).unwrap()).is_err(),
                "{url}"
            );
        }
    }

    #[test]
    fn literal_hosts_in_urls_are_vetted_after_normalisation() {
        let guard = SsrfGuard::new(true, &["receiver.internal".into(), "10.0.0.7".into()]);
        let check = |u: &str| guard.check_literal(&Url::parse(u).unwrap());
        assert!(check("http://127.0.0.1/").is_err());
        // WHATWG parsing turns these spellings of 127.0.0.1 into the address itself.
        assert!(check("http://2130706433/").is_err());
        assert!(check("http://0x7f.1/").is_err());
        assert!(check("http://[::ffff:7f00:1]/").is_err());
        assert!(check("ftp://example.com/").is_err());
        assert!(check("http://10.0.0.7:8080/hook").is_ok());
        assert!(check("https://example.com/hook").is_ok());
        let off = SsrfGuard::new(false, &[]);
        assert!(off
            .check_literal(&Url::parse("http://127.0.0.1/").unwrap())
            .is_ok());
    }
}
