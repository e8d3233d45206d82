//! Where a request may send the browser next, and who the client is behind a load balancer.

use std::net::IpAddr;

use actix_web::HttpRequest;

/// Accepts only a path on this site as a place to return to: an open redirect would let a phishing
/// link borrow the dashboard's name. Control characters and backslashes are refused anywhere (browsers
/// drop a tab or a line break and read `/\t/evil.example` as `//evil.example`); what is left is resolved
/// against BASE_URL with the `url` crate and must keep its origin. The path and query come back
/// normalised (percent-encoded), ready for a `Location` header.
pub fn safe_next(next: Option<&str>, base: &url::Url) -> Option<String> {
    let next = next?;
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2000
        && !next.chars().any(|c| c.is_control() || c == '\\');
    if !plain {
        return None;
    }
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    let mut path = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

/// The address of the client behind this request: the connection's peer, unless the peer is one of
/// the trusted proxies, when `X-Forwarded-For` is read from the right, past the trusted hops. A header
/// from anyone else is ignored (it is the client's to forge).
pub fn client_address(req: &HttpRequest, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|hop| hop.trim().parse::<IpAddr>().ok())
        .collect();
    Some(
        hops.iter()
            .rev()
            .find(|ip| !is_trusted(ip))
            .or_else(|| hops.first())
            .copied()
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_comes_from_x_forwarded_for_only_behind_a_trusted_proxy() {
        use actix_web::test::TestRequest;
        let lb: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let req = |peer: &str, xff: Option<&str>| {
            let mut r = TestRequest::default().peer_addr(peer.parse().unwrap());
            if let Some(xff) = xff {
                r = r.insert_header(("x-forwarded-for", xff));
            }
            r.to_http_request()
        };
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // No trusted proxies: the header is the client's to forge, and ignored.
        assert_eq!(
            client_address(&req("198.51.100.7:5000", Some("1.2.3.4")), &[]),
            ip("198.51.100.7")
        );
        assert_eq!(
            client_address(&req("198.51.100.7:5000", Some("1.2.3.4")), &lb),
            ip("198.51.100.7")
        );
        // Behind the load balancer: the rightmost hop that is not one of ours.
        assert_eq!(
            client_address(
                &req("10.0.0.2:5000", Some("1.2.3.4, 203.0.113.5, 10.0.0.9")),
                &lb
            ),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_address(&req("10.0.0.2:5000", None), &lb),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        let base = url::Url::parse("https://partners.example.com").unwrap();
        let next = |s: &str| safe_next(Some(s), &base);
        assert_eq!(
            next("/customers?page=2").as_deref(),
            Some("/customers?page=2")
        );
        assert_eq!(
            next("/customers?q=中").as_deref(),
            Some("/customers?q=%E4%B8%AD")
        );
        for bad in [
            "//evil.example/",
            "/\\evil.example",
            "/\t/evil.example",
            "/\r\n/evil.example",
            "/x\r\nSet-Cookie: a=b",
            "/\u{7f}/evil.example",
            "/a\\b",
            "https://evil.example/",
            "https://partners.example.com/customers",
            "evil.example",
            "",
        ] {
            assert_eq!(next(bad), None, "{bad:?}");
        }
        assert_eq!(safe_next(None, &base), None);
    }
}
