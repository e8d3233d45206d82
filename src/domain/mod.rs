//! Parse-don't-validate types: a value of one of these has passed its checks, so code that receives it
//! need not check again.

pub mod browser;
pub mod countries;
pub mod form;
pub mod id;
pub mod lifecycle;
pub mod locale;
pub mod pricing;
pub mod scope;
pub mod states;
pub mod time_zone;
pub mod token;
pub mod totp;

pub use form::FormKey;
pub use scope::{CustomerId, ProviderId, ResellerId};
pub use states::*;

use std::fmt;

use serde::{Deserialize, Serialize};
use validator::ValidateEmail;

use crate::domain::locale::Locale;

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

/// The first label of a customer's tenant domain, `<prefix>.<TENANT_DOMAIN_SUFFIX>`: 3 to 27 of a-z,
/// 0-9 and hyphen, not starting or ending with a hyphen. Typed capitals are lowered.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DomainPrefix(String);

impl DomainPrefix {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let s = raw.trim().to_ascii_lowercase();
        if s.is_empty() {
            return Err("validation.required");
        }
        let ok = (3..=27).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s))
        } else {
            Err("validation.domain_prefix")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A telephone number as people write them: digits with spaces, dashes, dots, brackets and a leading +.
pub fn check_phone(raw: &str) -> Result<(), &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(());
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let ok = s
        .chars()
        .all(|c| c.is_ascii_digit() || " -.()+".contains(c))
        && !s.chars().skip(1).any(|c| c == '+')
        && (5..=20).contains(&digits);
    if ok { Ok(()) } else { Err("validation.phone") }
}

/// A whole number as typed (a number of licenses, before its offer's limits are known).
pub fn parse_count(raw: &str) -> Result<i64, &'static str> {
    raw.trim().parse().map_err(|_| "validation.quantity_number")
}

/// A number of licenses within an offer's limits.
pub fn check_limits(n: i64, min: i32, max: i32) -> Result<i32, &'static str> {
    if n < i64::from(min) {
        Err("validation.quantity_below_min")
    } else if n > i64::from(max) {
        Err("validation.quantity_above_max")
    } else {
        i32::try_from(n).map_err(|_| "validation.quantity_above_max")
    }
}

/// A number of licenses for an offer with these limits.
pub fn parse_quantity(raw: &str, min: i32, max: i32) -> Result<i32, &'static str> {
    check_limits(parse_count(raw)?, min, max)
}

/// A price as typed (`12`, `12.5`, `1,234.50`) in minor units (cents). No negatives, at most two
/// decimals, at most a billion.
pub fn parse_money(raw: &str) -> Result<i64, &'static str> {
    let s: String = raw.trim().chars().filter(|c| *c != ',').collect();
    if s.is_empty() {
        return Err("validation.required");
    }
    let (units, cents) = s.split_once('.').unwrap_or((&s, ""));
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty() || units.len() > 10 || !digits(units) || cents.len() > 2 || !digits(cents) {
        return Err("validation.money");
    }
    let units: i64 = units.parse().map_err(|_| "validation.money")?;
    let cents: i64 = format!("{cents:0<2}")
        .parse()
        .map_err(|_| "validation.money")?;
    let minor = units * 100 + cents;
    if minor > 100_000_000_000 {
        return Err("validation.money");
    }
    Ok(minor)
}

/// Minor units as a plain decimal, the way `parse_money` reads it back: `1250` → `12.50`.
pub fn decimal(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
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
    fn money_is_read_in_minor_units() {
        assert_eq!(parse_money("12"), Ok(1200));
        assert_eq!(parse_money(" 12.5 "), Ok(1250));
        assert_eq!(parse_money("1,234.05"), Ok(123_405));
        assert_eq!(parse_money("0"), Ok(0));
        assert_eq!(parse_money(""), Err("validation.required"));
        for bad in ["-1", "1.234", "abc", ".5", "1e3", "12.", "99999999999"] {
            let result = parse_money(bad);
            if bad == "12." {
                assert_eq!(result, Ok(1200), "{bad}");
            } else {
                assert_eq!(result, Err("validation.money"), "{bad}");
            }
        }
    }

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
    fn domain_prefixes_follow_the_rule() {
        assert_eq!(
            DomainPrefix::parse(" Wingtip-Toys ").unwrap().as_str(),
            "wingtip-toys"
        );
        assert_eq!(DomainPrefix::parse(""), Err("validation.required"));
        for bad in [
            "ab",
            "-abc",
            "abc-",
            "a_bc",
            "abc.def",
            &"a".repeat(28),
            "中文名稱",
        ] {
            assert_eq!(
                DomainPrefix::parse(bad),
                Err("validation.domain_prefix"),
                "{bad}"
            );
        }
        assert!(DomainPrefix::parse(&"a".repeat(27)).is_ok());
    }

    #[test]
    fn phones_and_quantities() {
        assert!(check_phone("").is_ok());
        assert!(check_phone("+886 2 1234-5678").is_ok());
        assert!(check_phone("call me").is_err());
        assert!(check_phone("12+34567").is_err());
        assert_eq!(parse_quantity(" 12 ", 1, 300), Ok(12));
        assert_eq!(
            parse_quantity("0", 1, 300),
            Err("validation.quantity_below_min")
        );
        assert_eq!(
            parse_quantity("301", 1, 300),
            Err("validation.quantity_above_max")
        );
        assert_eq!(
            parse_quantity("ten", 1, 300),
            Err("validation.quantity_number")
        );
        assert_eq!(
            parse_quantity("1.5", 1, 300),
            Err("validation.quantity_number")
        );
        assert_eq!(
            parse_quantity("99999999999", 1, 300),
            Err("validation.quantity_above_max")
        );
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

/// The years a date filter accepts: far enough either way for any real question, near enough that no
/// date arithmetic can overflow.
pub const FILTER_YEARS: std::ops::RangeInclusive<i32> = 2000..=2999;

/// A day as typed in a date filter (YYYY-MM-DD, UTC): the first id made that day and the first id of the
/// next day, so a range of days is a range of (time-ordered) ids. Empty is no bound.
pub fn day_bounds(raw: &str) -> Result<Option<(i64, i64)>, &'static str> {
    use chrono::Datelike;
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let day = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "validation.date")?;
    if !FILTER_YEARS.contains(&day.year()) {
        return Err("validation.date_range");
    }
    let start = day.and_hms_opt(0, 0, 0).ok_or("validation.date")?;
    let next = day
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .ok_or("validation.date_range")?;
    Ok(Some((
        crate::domain::id::first_id_at(start),
        crate::domain::id::first_id_at(next),
    )))
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn date_filters_take_real_days_within_the_years_and_never_overflow() {
        let (start, end) = day_bounds("2026-02-28").unwrap().unwrap();
        assert!(start < end);
        assert!(day_bounds("2028-02-29").unwrap().is_some());
        assert_eq!(day_bounds("2026-02-29"), Err("validation.date"));
        assert_eq!(day_bounds(" "), Ok(None));
        for far in [
            "+262142-12-31",
            "-262143-01-01",
            "1999-12-31",
            "3000-01-01",
            "9999-12-31",
        ] {
            assert_eq!(day_bounds(far), Err("validation.date_range"), "{far}");
        }
        let (start, end) = day_bounds("2999-12-31").unwrap().unwrap();
        assert!(start > 0 && start <= end, "late years do not wrap");
    }
}

/// A CSV cell as a spreadsheet should show it, never as a formula (the pages' downloads and the API's).
pub fn safe_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}
