//! The two languages of the UI, as a value: what a user, a customer and an email are in. The texts
//! themselves are `i18n`'s.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    diesel::AsExpression,
    diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Locale {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "zh-TW")]
    ZhTw,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::En, Locale::ZhTw];

    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::ZhTw => "zh-TW",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Self::En),
            "zh-TW" => Some(Self::ZhTw),
            _ => None,
        }
    }

    /// The best supported language for an `Accept-Language` header; English when nothing matches.
    /// Any Chinese preference maps to Traditional Chinese, the only Chinese the UI ships.
    pub fn from_accept_language(header: &str) -> Self {
        let mut best: Option<(f32, usize, Locale)> = None;
        for (index, item) in header.split(',').enumerate() {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let locale = if tag == "zh" || tag.starts_with("zh-") {
                Some(Locale::ZhTw)
            } else if tag == "en" || tag.starts_with("en-") {
                Some(Locale::En)
            } else {
                None
            };
            if let Some(locale) = locale.filter(|_| q > 0.0) {
                // Highest q wins; among equals, the one listed first.
                if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && index < bi)) {
                    best = Some((q, index, locale));
                }
            }
        }
        best.map_or(Locale::En, |(_, _, l)| l)
    }

    /// The name of the language in itself, for the switcher.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::ZhTw => "繁體中文",
        }
    }
}

// Stored by its code, on either backend.
impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB> for Locale
where
    str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
{
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, DB>,
    ) -> diesel::serialize::Result {
        self.code().to_sql(out)
    }
}

impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
    for Locale
where
    String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
        let code = String::from_sql(bytes)?;
        Self::from_code(&code).ok_or_else(|| format!("unknown locale {code:?}").into())
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
