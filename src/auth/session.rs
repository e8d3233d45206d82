//! A typed wrapper over the session, so handlers never use string keys: who is signed in, the CSRF
//! token, the chosen language, flash messages, and small per-session secrets.

use actix_session::{Session, SessionExt};
use actix_web::cookie::Key;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};
use std::future::{Ready, ready};

use crate::domain::token::new_token;
use crate::error::AppError;
use crate::i18n::Locale;

/// The session-state key that holds the signed-in user's id; the store copies it to its own column so
/// all sessions of a user can be found and ended.
pub const USER_ID_KEY: &str = "uid";

/// The key under which the store hands the signed-in user, loaded in the same trip to the database as
/// the session, to `CurrentUser::load`. It lives only for the request: the store drops it before saving,
/// so it is never stored, and a user disabled since is simply not found.
pub const PRELOADED_USER_KEY: &str = "\u{0}user";

const CSRF_KEY: &str = "csrf";
/// The signed-in session's device (Account → Signed-in devices): a random id shown in its place, the
/// browser's description and the address it signed in from. The store copies them to columns.
pub(crate) const DEVICE_KEY: &str = "device";
const SECOND_FACTOR_KEY: &str = "mfa_pending";
pub(crate) const USER_AGENT_KEY: &str = "ua";
pub(crate) const ADDRESS_KEY: &str = "addr";
pub(crate) const LOCALE_KEY: &str = "locale";
const FLASH_KEY: &str = "flash";
pub(crate) const SEEN_KEY: &str = "seen";

/// A one-time message shown on the next page ("Password changed.").
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Flash {
    pub kind: FlashKind,
    /// A locale key, or pre-rendered text when `text` is set.
    pub key: String,
    #[serde(default)]
    pub args: Vec<(String, String)>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    Success,
    Info,
    Error,
}

impl FlashKind {
    pub fn css(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Info => "info",
            Self::Error => "error",
        }
    }
}

pub struct AppSession(Session);

/// Where a sign-in came from, kept with its session.
pub struct Device {
    pub user_agent: String,
    pub address: Option<String>,
}

impl Device {
    pub fn of(req: &HttpRequest, address: Option<std::net::IpAddr>) -> Self {
        let user_agent = req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        Self {
            user_agent,
            address: address.map(|a| a.to_string()),
        }
    }
}

impl FromRequest for AppSession {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self(req.get_session())))
    }
}

impl AppSession {
    pub fn of(req: &HttpRequest) -> Self {
        Self(req.get_session())
    }

    pub fn user_id(&self) -> Result<Option<i64>, AppError> {
        Ok(self.0.get::<i64>(USER_ID_KEY)?)
    }

    /// What the session store loaded with the session under `PRELOADED_USER_KEY`, if anything.
    pub fn preloaded<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.0.get::<T>(PRELOADED_USER_KEY).ok().flatten()
    }

    /// Starts a signed-in session: a new session key (the old cookie dies), a new CSRF token, and
    /// nothing carried over from before sign-in except the language.
    pub fn sign_in(
        &self,
        user_id: i64,
        locale: Option<Locale>,
        device: Device,
    ) -> Result<(), AppError> {
        let keep_locale = locale.or(self.locale());
        self.0.renew();
        self.0.clear();
        self.0.insert(USER_ID_KEY, user_id)?;
        self.0.insert(CSRF_KEY, new_token()?)?;
        self.0.insert(DEVICE_KEY, new_token()?)?;
        self.0.insert(USER_AGENT_KEY, device.user_agent)?;
        if let Some(address) = device.address {
            self.0.insert(ADDRESS_KEY, address)?;
        }
        self.0.insert(SEEN_KEY, chrono::Utc::now().timestamp())?;
        if let Some(locale) = keep_locale {
            self.0.insert(LOCALE_KEY, locale.code())?;
        }
        Ok(())
    }

    /// The password was right and a second factor is due: nothing signed in yet, a new key, and who
    /// is half-way (for five minutes) with where they were going.
    pub fn await_second_factor(&self, user_id: i64, next: &str) -> Result<(), AppError> {
        let locale = self.locale();
        self.0.renew();
        self.0.clear();
        if let Some(locale) = locale {
            self.0.insert(LOCALE_KEY, locale.code())?;
        }
        self.0.insert(
            SECOND_FACTOR_KEY,
            (user_id, chrono::Utc::now().timestamp(), next),
        )?;
        Ok(())
    }

    /// Who is waiting to give a second factor, and where they go next (five minutes at most).
    pub fn second_factor_pending(&self) -> Option<(i64, String)> {
        let (user_id, at, next): (i64, i64, String) =
            self.0.get(SECOND_FACTOR_KEY).ok().flatten()?;
        (chrono::Utc::now().timestamp() - at < 300).then_some((user_id, next))
    }

    /// Ends the session: its row is deleted, so the cookie is worthless. A language chosen during the
    /// session carries over to a fresh anonymous session, so the sign-in page stays in that language.
    pub fn sign_out(&self) {
        match self.locale() {
            Some(locale) => {
                self.0.renew();
                self.0.clear();
                let _ = self.0.insert(LOCALE_KEY, locale.code());
            }
            None => self.0.purge(),
        }
    }

    /// Ends any signed-in state but keeps an anonymous session (a new key) with the language, so a
    /// message can follow to the next page ("Your password was set").
    pub fn restart_anonymous(&self) {
        let locale = self.locale();
        self.0.renew();
        self.0.clear();
        if let Some(locale) = locale {
            let _ = self.0.insert(LOCALE_KEY, locale.code());
        }
    }

    /// Gives the session a fresh key after something sensitive (a password change), keeping its state.
    pub fn renew(&self) {
        self.0.renew();
    }

    /// This session's device id (Account → Signed-in devices), when signed in.
    pub fn device_id(&self) -> Option<String> {
        self.0.get::<String>(DEVICE_KEY).ok().flatten()
    }

    /// The token stored, without creating one.
    pub fn existing_csrf_token(&self) -> Option<String> {
        self.0.get::<String>(CSRF_KEY).ok().flatten()
    }

    pub fn locale(&self) -> Option<Locale> {
        self.0
            .get::<String>(LOCALE_KEY)
            .ok()
            .flatten()
            .and_then(|code| Locale::from_code(&code))
    }

    pub fn set_locale(&self, locale: Locale) -> Result<(), AppError> {
        Ok(self.0.insert(LOCALE_KEY, locale.code())?)
    }

    pub fn flash(&self, kind: FlashKind, key: &str) -> Result<(), AppError> {
        self.flash_with(kind, key, &[])
    }

    pub fn flash_with(
        &self,
        kind: FlashKind,
        key: &str,
        args: &[(&str, &str)],
    ) -> Result<(), AppError> {
        let mut flashes: Vec<Flash> = self.0.get(FLASH_KEY)?.unwrap_or_default();
        flashes.push(Flash {
            kind,
            key: key.to_owned(),
            args: args
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        });
        Ok(self.0.insert(FLASH_KEY, flashes)?)
    }

    /// The flash messages to show now; they are gone afterwards.
    pub fn take_flashes(&self) -> Vec<Flash> {
        // `Session::remove` marks the session changed even when the key is absent, which would save the
        // session (a database write) on every page view.
        if !self.0.contains_key(FLASH_KEY) {
            return Vec::new();
        }
        match self.0.remove_as::<Vec<Flash>>(FLASH_KEY) {
            Some(Ok(flashes)) => flashes,
            _ => Vec::new(),
        }
    }

    /// Marks the session as in use. The store's expiry moves only when the state changes, so the
    /// "last seen" stamp is refreshed once a minute: enough for the idle timeout, cheap for the database.
    pub fn touch(&self) -> Result<(), AppError> {
        let now = chrono::Utc::now().timestamp();
        let seen = self.0.get::<i64>(SEEN_KEY)?.unwrap_or(0);
        if now - seen >= 60 {
            self.0.insert(SEEN_KEY, now)?;
        }
        Ok(())
    }

    /// A small secret kept for this session only (a personal link shown on a draft page until Done).
    /// Session state is stored in the database, so the secret is sealed (AES-256-GCM under the server's
    /// key) first: the database never holds it in clear.
    pub fn put_secret(&self, key: &Key, name: &str, value: &str) -> Result<(), AppError> {
        let name = format!("secret:{name}");
        let sealed = crate::auth::seal::seal(key, &name, value).map_err(AppError::Unexpected)?;
        Ok(self.0.insert(name, sealed)?)
    }

    pub fn secret(&self, key: &Key, name: &str) -> Option<String> {
        let name = format!("secret:{name}");
        let sealed = self.0.get::<String>(&name).ok().flatten()?;
        crate::auth::seal::open(key, &name, &sealed)
    }

    pub fn forget_secret(&self, name: &str) {
        self.0.remove(&format!("secret:{name}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_session::SessionStatus;
    use actix_web::test::TestRequest;

    #[test]
    fn a_page_view_without_flashes_leaves_the_session_unchanged() {
        let req = TestRequest::default().to_http_request();
        let session = AppSession::of(&req);
        assert!(session.take_flashes().is_empty());
        assert!(session.locale().is_none());
        assert_eq!(session.0.status(), SessionStatus::Unchanged);
    }

    #[test]
    fn flashes_are_shown_once() {
        let req = TestRequest::default().to_http_request();
        let session = AppSession::of(&req);
        session
            .flash(FlashKind::Success, "flash.signed_in_as")
            .unwrap();
        let shown = session.take_flashes();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].key, "flash.signed_in_as");
        assert!(session.take_flashes().is_empty());
        assert_eq!(session.0.status(), SessionStatus::Changed);
    }
}
