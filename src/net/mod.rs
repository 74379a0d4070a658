//! The network edge of the daemon: who is calling (the client IP behind trusted proxies, IP allow
//! lists) and where it may call out to ([`ssrf`]: the guard on every outbound URL).

pub mod ssrf;

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// The client's address: the socket peer, or, when the peer is a trusted proxy, the right-most
/// `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left are the
/// client's own claims and can be forged).
pub fn client_ip(
    peer: Option<SocketAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpNet],
) -> Option<IpAddr> {
    let peer = canonical(peer?.ip());
    let is_trusted = |ip: &IpAddr| is_trusted(*ip, trusted);
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    let hops: Vec<IpAddr> = header
        .split(',')
        .filter_map(|h| h.trim().parse().ok())
        .map(canonical)
        .collect();
    hops.iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .or(hops.first())
        .copied()
        .or(Some(peer))
}

/// Whether `ip` (canonical, see [`canonical`]) is one of the trusted proxies.
pub fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|n| n.contains(&ip))
}

/// The unit one client holds, for budgets kept per client (rate limits, open connections): an
/// IPv4 address, or an IPv6 /64, since a single IPv6 client holds a whole /64 and per-address keys
/// would let it multiply its budget (and the budget's memory) at will.
pub fn client_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
        v4 => v4,
    }
}

/// IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4, so allow lists written in IPv4 match.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter()
            .map(|s| crate::config::parse_ip_or_cidr(s).unwrap())
            .collect()
    }

    #[test]
    fn forwarded_for_only_counts_behind_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.5:4000".parse().unwrap();
        let xff = Some("6.6.6.6, 203.0.113.9");
        assert_eq!(
            client_ip(Some(peer), xff, &[]),
            Some("10.0.0.5".parse().unwrap())
        );
        assert_eq!(
            client_ip(Some(peer), xff, &nets(&["10.0.0.0/8"])),
            Some("203.0.113.9".parse().unwrap())
        );
        let mapped: SocketAddr = "[::ffff:192.0.2.1]:1".parse().unwrap();
        assert_eq!(
            client_ip(Some(mapped), None, &[]),
            Some("192.0.2.1".parse().unwrap())
        );
    }
}
