//! Which network addresses kefu may send outbound requests to (webhooks): a receiver must be on
//! the public internet, so that an admin cannot turn kefu into a probe of the network it runs in
//! (server-side request forgery) — unless the operator sets `webhook_allow_private`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is an address on the public internet. Refused: loopback, private (10/8,
/// 172.16/12, 192.168/16), link-local (169.254/16 with the cloud metadata address, fe80::/10),
/// unique-local (fc00::/7), "this network" (0.0.0.0/8, ::), shared address space (100.64/10),
/// broadcast, multicast, and IPv4-mapped IPv6 (::ffff:0:0/96), which some stacks connect to as
/// the IPv4 address inside.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let mapped = ip.to_ipv4_mapped().is_some();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || mapped
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_refused() {
        for refused in [
            "127.0.0.1",
            "127.255.0.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "255.255.255.255",
            "224.0.0.1",
            "239.1.2.3",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_public(refused.parse().unwrap()), "{refused}");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ok in [
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "203.0.113.9",
            "2001:4860:4860::8888",
            "2606:4700::1111",
        ] {
            assert!(is_public(ok.parse().unwrap()), "{ok}");
        }
    }
}
