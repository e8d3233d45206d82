//! Sealing small secrets with the server's key (AES-256-GCM, through the cookie crate's private jar):
//! what must be kept a short while but never in clear — a personal link on a draft page, a temporary
//! password between Submit and Confirmation. `name` binds the sealed value to its purpose.

use actix_web::cookie::{Cookie, CookieJar, Key};

pub fn seal(key: &Key, name: &str, value: &str) -> anyhow::Result<String> {
    let mut jar = CookieJar::new();
    jar.private_mut(key)
        .add(Cookie::new(name.to_owned(), value.to_owned()));
    jar.get(name)
        .map(|c| c.value().to_owned())
        .ok_or_else(|| anyhow::anyhow!("cannot seal a secret"))
}

/// The sealed value, if it was sealed with this key under this name.
pub fn open(key: &Key, name: &str, sealed: &str) -> Option<String> {
    CookieJar::new()
        .private(key)
        .decrypt(Cookie::new(name.to_owned(), sealed.to_owned()))
        .map(|c| c.value().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_with_its_key_and_name() {
        let key = Key::from(&[3u8; 64]);
        let sealed = seal(&key, "temp_password:1", "Secret-Passw0rd").unwrap();
        assert!(!sealed.contains("Secret"));
        assert_eq!(
            open(&key, "temp_password:1", &sealed).as_deref(),
            Some("Secret-Passw0rd")
        );
        assert_eq!(open(&key, "temp_password:2", &sealed), None);
        assert_eq!(
            open(&Key::from(&[4u8; 64]), "temp_password:1", &sealed),
            None
        );
    }
}
