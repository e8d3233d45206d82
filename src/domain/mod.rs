//! Parse-don't-validate types: a value of one of these has passed its checks, so code that receives it
//! need not check again.

pub mod countries;

use std::fmt;

use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use crate::i18n::Locale;

/// An email address, trimmed and lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err("validation.required");
        }
        if s.len() > 254 || !s.validate_email() {
            return Err("validation.email");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 3166-1 alpha-2 country code from the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Country(&'static str);

impl Country {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err("validation.required");
        }
        countries::COUNTRIES
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(c, _, _)| Self(c))
            .ok_or("validation.country")
    }

    pub fn code(self) -> &'static str {
        self.0
    }
}

/// The name of a country in the given language; the code itself when unknown.
pub fn country_name(code: &str, locale: Locale) -> &str {
    match countries::COUNTRIES.iter().find(|(c, _, _)| *c == code) {
        Some((_, en, zh)) => match locale {
            Locale::En => en,
            Locale::ZhTw => zh,
        },
        None => code,
    }
}

/// Countries sorted by their name in the given language, for a select list.
pub fn countries_by_name(locale: Locale) -> Vec<(&'static str, &'static str)> {
    let mut list: Vec<(&'static str, &'static str)> = countries::COUNTRIES
        .iter()
        .map(|(code, en, zh)| (*code, if locale == Locale::En { *en } else { *zh }))
        .collect();
    list.sort_by(|a, b| a.1.cmp(b.1));
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lowercased() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert_eq!(Email::parse(""), Err("validation.required"));
        assert_eq!(Email::parse("no-at-sign"), Err("validation.email"));
    }

    #[test]
    fn country_must_be_on_the_list() {
        assert_eq!(Country::parse("tw").unwrap().code(), "TW");
        assert_eq!(Country::parse("XX"), Err("validation.country"));
        assert_eq!(country_name("TW", Locale::ZhTw), "臺灣");
        assert_eq!(country_name("TW", Locale::En), "Taiwan");
        assert!(countries_by_name(Locale::En).len() > 240);
    }
}

/// Field rules for `validator`'s derive (`#[validate(custom(function = "crate::domain::checks::required"))]`).
/// Each failure's code names its message: `validation.<code>`.
pub mod checks {
    use validator::ValidationError;

    pub fn required(value: &str) -> Result<(), ValidationError> {
        if value.trim().is_empty() {
            Err(ValidationError::new("required"))
        } else {
            Ok(())
        }
    }

    /// A Partner ID: digits only (spaces around are ignored).
    pub fn digits(value: &str) -> Result<(), ValidationError> {
        let v = value.trim();
        if !v.is_empty() && !v.chars().all(|c| c.is_ascii_digit()) {
            Err(ValidationError::new("digits"))
        } else {
            Ok(())
        }
    }

    /// Empty, or an email address.
    pub fn optional_email(value: &str) -> Result<(), ValidationError> {
        if value.trim().is_empty() || super::Email::parse(value).is_ok() {
            Ok(())
        } else {
            Err(ValidationError::new("email"))
        }
    }

    pub fn email(value: &str) -> Result<(), ValidationError> {
        match super::Email::parse(value) {
            Ok(_) => Ok(()),
            Err("validation.required") => Err(ValidationError::new("required")),
            Err(_) => Err(ValidationError::new("email")),
        }
    }

    pub fn country(value: &str) -> Result<(), ValidationError> {
        match super::Country::parse(value) {
            Ok(_) => Ok(()),
            Err("validation.required") => Err(ValidationError::new("required")),
            Err(_) => Err(ValidationError::new("country")),
        }
    }
}
