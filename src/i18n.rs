//! The two languages of the UI. Every visible string lives in `locales/en.toml` and `locales/zh-TW.toml`
//! (compiled in); keys are dotted paths of the TOML tables, placeholders are `{name}`.
//! Both files must hold exactly the same keys: checked at start-up and by the tests.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::OnceLock;

const EN_SOURCE: &str = include_str!("../locales/en.toml");
const ZH_TW_SOURCE: &str = include_str!("../locales/zh-TW.toml");

pub use crate::domain::locale::Locale;

struct Catalogs {
    en: HashMap<String, String>,
    zh_tw: HashMap<String, String>,
}

static CATALOGS: OnceLock<Catalogs> = OnceLock::new();

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            toml::Value::Table(inner) => flatten(&path, inner, out),
            toml::Value::String(s) => {
                out.insert(path, s.clone());
            }
            other => {
                out.insert(path, other.to_string());
            }
        }
    }
}

fn parse(source: &str, name: &str) -> Result<HashMap<String, String>, String> {
    let table: toml::Table = source
        .parse()
        .map_err(|e| format!("locale file {name} is not valid TOML: {e}"))?;
    let mut out = HashMap::new();
    flatten("", &table, &mut out);
    Ok(out)
}

fn load() -> Result<Catalogs, String> {
    let en = parse(EN_SOURCE, "en.toml")?;
    let zh_tw = parse(ZH_TW_SOURCE, "zh-TW.toml")?;
    let en_keys: BTreeSet<&String> = en.keys().collect();
    let zh_keys: BTreeSet<&String> = zh_tw.keys().collect();
    let missing_zh: Vec<_> = en_keys.difference(&zh_keys).collect();
    let missing_en: Vec<_> = zh_keys.difference(&en_keys).collect();
    if !missing_zh.is_empty() || !missing_en.is_empty() {
        return Err(format!(
            "locale files differ: missing in zh-TW.toml {missing_zh:?}; missing in en.toml {missing_en:?}"
        ));
    }
    Ok(Catalogs { en, zh_tw })
}

/// Loads and checks the catalogs; called once at start-up so a broken locale file stops the binary.
pub fn init() -> Result<(), String> {
    if CATALOGS.get().is_none() {
        let catalogs = load()?;
        let _ = CATALOGS.set(catalogs);
    }
    Ok(())
}

fn catalogs() -> &'static Catalogs {
    CATALOGS.get_or_init(|| match load() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("{e}");
            Catalogs {
                en: HashMap::new(),
                zh_tw: HashMap::new(),
            }
        }
    })
}

/// The text for `key` in `locale`. A missing key shows itself (and is logged), so it is noticed.
pub fn t(locale: Locale, key: &str) -> &'static str {
    let c = catalogs();
    let map = match locale {
        Locale::En => &c.en,
        Locale::ZhTw => &c.zh_tw,
    };
    match map.get(key) {
        Some(s) => s.as_str(),
        None => {
            tracing::warn!(key, %locale, "missing translation");
            // Leak-free fallback: the key itself, borrowed from the static catalog when English has it.
            c.en.get(key).map_or("??", |s| s.as_str())
        }
    }
}

/// `t` with `{name}` placeholders filled in.
pub fn t_args(locale: Locale, key: &str, args: &[(&str, &str)]) -> String {
    let mut text = t(locale, key).to_owned();
    for (name, value) in args {
        text = text.replace(&format!("{{{name}}}"), value);
    }
    text
}

/// Whether a key exists in both catalogs (used by tests that check templates only use known keys).
pub fn has_key(key: &str) -> bool {
    let c = catalogs();
    c.en.contains_key(key) && c.zh_tw.contains_key(key)
}

/// All keys, for tests.
pub fn keys() -> Vec<String> {
    let mut keys: Vec<String> = catalogs().en.keys().cloned().collect();
    keys.sort();
    keys
}

/// A locale's date formats, parsed once (a list page shows a date on every row).
struct Formats {
    datetime: Vec<chrono::format::Item<'static>>,
    date: Vec<chrono::format::Item<'static>>,
}

fn formats(locale: Locale) -> &'static Formats {
    static EN: OnceLock<Formats> = OnceLock::new();
    static ZH_TW: OnceLock<Formats> = OnceLock::new();
    let cell = match locale {
        Locale::En => &EN,
        Locale::ZhTw => &ZH_TW,
    };
    cell.get_or_init(|| {
        let parse = |key: &str| {
            chrono::format::StrftimeItems::new(t(locale, key))
                .parse_to_owned()
                .unwrap_or_default()
        };
        Formats {
            datetime: parse("format.datetime"),
            date: parse("format.date"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_formatted_per_locale() {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
            .and_then(|d| d.and_hms_opt(9, 7, 0))
            .unwrap();
        assert_eq!(Tr(Locale::En).date(&at), "5 Mar 2026");
        assert_eq!(Tr(Locale::En).datetime(&at), "5 Mar 2026, 09:07 UTC");
        assert_eq!(Tr(Locale::ZhTw).date(&at), "2026年3月5日");
        assert_eq!(Tr(Locale::ZhTw).datetime(&at), "2026年3月5日 09:07 (UTC)");
    }

    #[test]
    fn both_locale_files_hold_the_same_keys() {
        load().unwrap();
    }

    #[test]
    fn accept_language_prefers_the_highest_weight() {
        assert_eq!(
            Locale::from_accept_language("zh-TW,zh;q=0.9,en;q=0.8"),
            Locale::ZhTw
        );
        assert_eq!(
            Locale::from_accept_language("en-US,en;q=0.9,zh-TW;q=0.8"),
            Locale::En
        );
        assert_eq!(
            Locale::from_accept_language("fr-FR, zh-Hant;q=0.5"),
            Locale::ZhTw
        );
        assert_eq!(Locale::from_accept_language("de"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
        assert_eq!(
            Locale::from_accept_language("en;q=0.2, zh;q=0.7"),
            Locale::ZhTw
        );
    }

    #[test]
    fn placeholders_are_filled() {
        let text = t_args(Locale::En, "flash.signed_in_as", &[("name", "Ada")]);
        assert!(text.contains("Ada"), "{text}");
    }
}

/// A translator bound to one language, for templates: `{{ tr.t("key") }}`, `{{ tr.t1("key", "name", value) }}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tr(pub Locale);

const MONTH_KEYS: [&str; 12] = [
    "months.1",
    "months.2",
    "months.3",
    "months.4",
    "months.5",
    "months.6",
    "months.7",
    "months.8",
    "months.9",
    "months.10",
    "months.11",
    "months.12",
];

impl Tr {
    pub fn locale(&self) -> Locale {
        self.0
    }

    pub fn t(&self, key: &str) -> &'static str {
        t(self.0, key)
    }

    pub fn t1(&self, key: &str, name: &str, value: impl fmt::Display) -> String {
        t_args(self.0, key, &[(name, &value.to_string())])
    }

    pub fn t2(
        &self,
        key: &str,
        name1: &str,
        value1: impl fmt::Display,
        name2: &str,
        value2: impl fmt::Display,
    ) -> String {
        t_args(
            self.0,
            key,
            &[(name1, &value1.to_string()), (name2, &value2.to_string())],
        )
    }

    /// Three placeholders; the pairs are (name, value).
    #[expect(
        clippy::too_many_arguments,
        reason = "three (name, value) pairs, as the template reads"
    )]
    pub fn t3(
        &self,
        key: &str,
        name1: &str,
        value1: impl fmt::Display,
        name2: &str,
        value2: impl fmt::Display,
        name3: &str,
        value3: impl fmt::Display,
    ) -> String {
        t_args(
            self.0,
            key,
            &[
                (name1, &value1.to_string()),
                (name2, &value2.to_string()),
                (name3, &value3.to_string()),
            ],
        )
    }

    /// A UTC time in this language's format.
    pub fn datetime(&self, at: &chrono::NaiveDateTime) -> String {
        at.format_with_items(formats(self.0).datetime.iter())
            .to_string()
    }

    pub fn date(&self, at: &chrono::NaiveDateTime) -> String {
        at.format_with_items(formats(self.0).date.iter())
            .to_string()
    }

    /// A UTC time as wall-clock time in `tz`, with that day's offset where the format says UTC
    /// (`8 Jan 2027, 08:00 UTC+08:00`).
    pub fn datetime_in(
        &self,
        at: &chrono::NaiveDateTime,
        tz: crate::domain::time_zone::Tz,
    ) -> String {
        use crate::domain::time_zone::{local, offset_label};
        self.datetime(&local(at, tz))
            .replace("UTC", &offset_label(at, tz))
    }

    /// A change waiting for the renewal as the reader says it: `6 licenses · 1 year · Annual ·
    /// Microsoft 365 E5` (`offer`: the new offer's name, when it changes).
    pub fn change_spec(
        &self,
        spec: &crate::domain::lifecycle::ChangeSpec,
        offer: Option<&str>,
    ) -> String {
        let mut parts = Vec::new();
        if let Some(q) = spec.quantity {
            parts.push(self.t1("lifecycle.spec_licenses", "n", q));
        }
        if let Some(term) = spec.term {
            parts.push(self.t(term.label_key()).to_owned());
        }
        if let Some(billing) = spec.billing {
            parts.push(self.t(billing.label_key()).to_owned());
        }
        if let Some(name) = offer {
            parts.push(name.to_owned());
        }
        parts.join(" · ")
    }

    /// A month (`YYYY-MM`) as the reader says it: `November 2026`, `2026 年 11 月`.
    pub fn month(&self, month: &str) -> String {
        let (year, m) = month.split_once('-').unwrap_or((month, ""));
        let key = m
            .parse::<usize>()
            .ok()
            .and_then(|n| MONTH_KEYS.get(n.checked_sub(1)?));
        match key {
            Some(key) => self.t2("statements.month_label", "year", year, "month", self.t(key)),
            None => month.to_owned(),
        }
    }

    /// The date of a UTC time in `tz`.
    pub fn date_in(&self, at: &chrono::NaiveDateTime, tz: crate::domain::time_zone::Tz) -> String {
        self.date(&crate::domain::time_zone::local(at, tz))
    }

    /// How long to wait, as a person says it: "30 seconds", "2 minutes" (rounded up).
    pub fn wait(&self, wait: std::time::Duration) -> String {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let seconds = seconds.max(1);
        if seconds < 60 {
            if seconds == 1 {
                self.t("time.second").to_owned()
            } else {
                self.t1("time.seconds", "n", seconds)
            }
        } else {
            let minutes = seconds.div_ceil(60);
            if minutes == 1 {
                self.t("time.minute").to_owned()
            } else {
                self.t1("time.minutes", "n", minutes)
            }
        }
    }

    /// Integer minor units as money, e.g. "USD 1,234.50".
    pub fn money(&self, minor: i64, currency: &str) -> String {
        let abs = minor.unsigned_abs();
        let (units, cents) = (abs / 100, abs % 100);
        format!(
            "{}{currency} {}.{cents:02}",
            if minor < 0 { "-" } else { "" },
            grouped(units)
        )
    }

    /// A person's name in this language's order: given name first in English; family name first in
    /// Traditional Chinese, without a space between Chinese names ("林美"), with one otherwise.
    pub fn person_name(&self, given: &str, family: &str) -> String {
        let (given, family) = (given.trim(), family.trim());
        if given.is_empty() || family.is_empty() {
            return format!("{given}{family}");
        }
        match self.0 {
            Locale::En => format!("{given} {family}"),
            Locale::ZhTw => {
                let cjk = |s: &str| s.chars().all(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
                if cjk(given) && cjk(family) {
                    format!("{family}{given}")
                } else {
                    format!("{family} {given}")
                }
            }
        }
    }

    /// A whole number with thousands separators, e.g. "1,000,000" (both languages group by three).
    pub fn number(&self, n: i64) -> String {
        format!(
            "{}{}",
            if n < 0 { "-" } else { "" },
            grouped(n.unsigned_abs())
        )
    }
}

fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tr_tests {
    use super::*;

    #[test]
    fn money_is_grouped_with_two_decimals() {
        let tr = Tr(Locale::En);
        assert_eq!(tr.money(0, "USD"), "USD 0.00");
        assert_eq!(tr.money(123_456_789, "USD"), "USD 1,234,567.89");
        assert_eq!(tr.money(-1050, "TWD"), "-TWD 10.50");
        assert_eq!(tr.number(1_000_000), "1,000,000");
        assert_eq!(tr.number(999), "999");
        assert_eq!(tr.number(-1234), "-1,234");
    }

    #[test]
    fn names_are_family_first_in_chinese() {
        assert_eq!(Tr(Locale::En).person_name("Mei", "Lin"), "Mei Lin");
        assert_eq!(Tr(Locale::ZhTw).person_name("美", "林"), "林美");
        assert_eq!(Tr(Locale::ZhTw).person_name("Mei", "Lin"), "Lin Mei");
        assert_eq!(Tr(Locale::ZhTw).person_name("", "Lin"), "Lin");
    }

    #[test]
    fn waits_are_said_in_whole_seconds_or_minutes_rounded_up() {
        use std::time::Duration;
        let en = Tr(Locale::En);
        assert_eq!(en.wait(Duration::from_millis(300)), "1 second");
        assert_eq!(en.wait(Duration::from_millis(1500)), "2 seconds");
        assert_eq!(en.wait(Duration::from_secs(59)), "59 seconds");
        assert_eq!(en.wait(Duration::from_secs(60)), "1 minute");
        assert_eq!(en.wait(Duration::from_secs(61)), "2 minutes");
        assert_eq!(Tr(Locale::ZhTw).wait(Duration::from_secs(900)), "15 分鐘");
    }
}
