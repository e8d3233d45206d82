//! What the two "send a personal link" drafts share (partnership requests, customer invitations): the
//! mailto: address for Open in email, and the check that a message still holds its link.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::db::models::relationship_request::hash_token;

/// RFC 3986 unreserved characters stay as they are; everything else (spaces, CJK, line breaks) is
/// percent-encoded as UTF-8, as RFC 6068 asks of mailto: URIs.
const MAILTO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A `mailto:` URI that opens the user's email application with this message.
pub fn mailto(to: &str, subject: &str, body: &str) -> String {
    // Line breaks in a mailto body are CRLF.
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    format!(
        "mailto:{}?subject={}&body={}",
        utf8_percent_encode(to.trim(), MAILTO),
        utf8_percent_encode(subject, MAILTO),
        utf8_percent_encode(&body, MAILTO)
    )
}

/// Whether `text` holds the link `{base}{prefix}{token}` of the request whose token hashes to
/// `token_hash`: present, and not altered.
pub fn holds_link(text: &str, base: &str, prefix: &str, token_hash: &str) -> bool {
    let start = format!("{base}{prefix}");
    let mut rest = text;
    while let Some(pos) = rest.find(&start) {
        rest = &rest[pos + start.len()..];
        let token: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        if !token.is_empty() && hash_token(&token) == token_hash {
            return true;
        }
    }
    false
}

/// Typed text with Windows line breaks made plain.
pub fn normalize(text: &str) -> String {
    text.replace("\r\n", "\n").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_encodes_chinese_and_line_breaks() {
        let uri = mailto(
            "wei@northwind.example",
            "合作 request",
            "第一行\n2nd & last",
        );
        assert_eq!(
            uri,
            "mailto:wei%40northwind.example?subject=%E5%90%88%E4%BD%9C%20request&body=%E7%AC%AC%E4%B8%80%E8%A1%8C%0D%0A2nd%20%26%20last"
        );
    }

    #[test]
    fn a_link_must_be_whole() {
        let token = "abcDEF123_-abcDEF123_-abcDEF123_-abcDEF123";
        let hash = hash_token(token);
        let base = "https://p.example";
        let prefix = "/partnerships/accept/";
        let good = format!("Hi\n{base}{prefix}{token}\nBye");
        assert!(holds_link(&good, base, prefix, &hash));
        assert!(!holds_link("Hi, no link", base, prefix, &hash));
        let altered = good.replace(
            "abcDEF123_-abcDEF123_-abcDEF123_-abcDEF123",
            "abcDEF123_-abcDEF123_-abcDEF123_-abcDEF12X",
        );
        assert!(!holds_link(&altered, base, prefix, &hash));
        let truncated = format!("{base}{prefix}{}", &token[..20]);
        assert!(!holds_link(&truncated, base, prefix, &hash));
        let other_site = format!("https://evil.example{prefix}{token}");
        assert!(!holds_link(&other_site, base, prefix, &hash));
    }
}
