//! Where a webhook may go: `https://` to a public address. A name that resolves to a private,
//! loopback, link-local or otherwise internal address is refused (when the endpoint is saved and again
//! before each delivery, which is then made to the very address checked), so an endpoint cannot be
//! pointed at the dashboard's own network. In demo mode `http://` to a loopback address is allowed.

use std::net::{IpAddr, SocketAddr};

use url::Url;

/// The URL typed, checked for its form: the message key when it is not acceptable.
pub fn check_url(raw: &str, allow_loopback: bool) -> Result<Url, &'static str> {
    let url = Url::parse(raw.trim()).map_err(|_| "webhooks.url_invalid")?;
    if !url.username().is_empty() || url.password().is_some() || url.host_str().is_none() {
        return Err("webhooks.url_invalid");
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if allow_loopback && is_loopback_host(&url) => Ok(url),
        _ => Err("webhooks.url_https"),
    }
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Whether an address is on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b))
                // Benchmarking, 198.18.0.0/15; reserved, 240.0.0.0/4.
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

/// The addresses a checked URL resolves to, each allowed; the message key when any is not.
pub async fn resolve(url: &Url, allow_loopback: bool) -> Result<Vec<SocketAddr>, &'static str> {
    let host = url.host_str().ok_or("webhooks.url_invalid")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = url.port_or_known_default().ok_or("webhooks.url_invalid")?;
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
        .await
        .map_err(|_| "webhooks.url_unresolvable")?
        .collect();
    if addrs.is_empty() {
        return Err("webhooks.url_unresolvable");
    }
    let allowed = |ip: IpAddr| is_public(ip) || (allow_loopback && ip.is_loopback());
    if addrs.iter().all(|a| allowed(a.ip())) {
        Ok(addrs)
    } else {
        Err("webhooks.url_private")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_not_public() {
        for ip in [
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "203.0.114.1", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn only_https_unless_a_demo_posts_to_its_own_machine() {
        assert!(check_url("https://hooks.example.com/x", false).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com/x", false),
            Err("webhooks.url_https")
        );
        assert_eq!(
            check_url("http://127.0.0.1:9000/x", false),
            Err("webhooks.url_https")
        );
        assert!(check_url("http://127.0.0.1:9000/x", true).is_ok());
        assert_eq!(
            check_url("http://hooks.example.com/x", true),
            Err("webhooks.url_https")
        );
        assert_eq!(
            check_url("https://user:pw@hooks.example.com/", false),
            Err("webhooks.url_invalid")
        );
        assert_eq!(check_url("not a url", false), Err("webhooks.url_invalid"));
    }
}
