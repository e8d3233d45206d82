//! The messages of a form that did not pass: field name → locale key. Parsing (here and in the use
//! cases) fills it; the page shows one message per field and keeps what was typed.

/// Per-field messages of a form that did not pass: field name → locale key.
#[derive(Clone, Debug, Default)]
pub struct FormErrors(Vec<(&'static str, &'static str)>);

impl FormErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the first message for a field; later ones for the same field are dropped.
    pub fn add(&mut self, field: &'static str, key: &'static str) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, key));
        }
    }

    /// Runs a parse and records its message under `field` on failure.
    pub fn check<T>(&mut self, field: &'static str, result: Result<T, &'static str>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(key) => {
                self.add(field, key);
                None
            }
        }
    }

    /// A required text field: trimmed, at most `max` characters. Returns the trimmed value either way
    /// (the form comes back with what was typed).
    pub fn text(&mut self, field: &'static str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.add(field, "validation.required");
        }
        self.optional_text(field, v, max)
    }

    /// An optional text field: trimmed, at most `max` characters.
    pub fn optional_text(&mut self, field: &'static str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.chars().count() > max {
            self.add(field, "validation.too_long");
        }
        v.to_owned()
    }

    /// `check` for a field whose name is made at run time.
    pub fn check_named<T>(&mut self, field: &str, result: Result<T, &'static str>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(key) => {
                self.add_named(field, key);
                None
            }
        }
    }

    /// Records a message for a field whose name is made at run time (`qty_<offer id>`).
    pub fn add_named(&mut self, field: &str, key: &'static str) {
        self.add(leak_field(field), key);
    }

    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each field with its message, in the order they were found (the error summary lists them).
    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.0.iter().copied()
    }

    pub fn fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(f, _)| *f)
    }

    /// Adds the messages of `validator`'s derive, using each error's code as `validation.<code>`.
    /// The validator keeps its errors in a hash map; they are added in the order the forms show their
    /// fields (`FIELD_ORDER`), so the error summary reads top to bottom.
    pub fn extend_from(&mut self, errors: &validator::ValidationErrors) {
        let mut found: Vec<_> = errors.field_errors().into_iter().collect();
        found.sort_by_key(|(field, _)| {
            let position = FIELD_ORDER.iter().position(|f| *f == field.as_ref());
            (position.unwrap_or(usize::MAX), field.to_string())
        });
        for (field, list) in found {
            if let Some(first) = list.first() {
                let key = validation_key(&first.code);
                let field: &'static str = leak_field(field.as_ref());
                self.add(field, key);
            }
        }
    }
}

/// The order in which the forms show the fields they share (the enrollment and sign-up forms).
const FIELD_ORDER: &[&str] = &[
    "company_name",
    "partner_number",
    "domain_prefix",
    "country",
    "contact_name",
    "contact_first_name",
    "contact_last_name",
    "email",
    "password",
    "confirm_password",
];

/// Field names come from struct fields, a small fixed set; interning them avoids lifetimes in templates.
fn leak_field(field: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static FIELDS: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut set = FIELDS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(f) = set.get(field) {
        return f;
    }
    let leaked: &'static str = Box::leak(field.to_owned().into_boxed_str());
    set.insert(leaked);
    leaked
}

fn validation_key(code: &str) -> &'static str {
    match code {
        "required" => "validation.required",
        "email" => "validation.email",
        "too_long" => "validation.too_long",
        "length" => "validation.too_long",
        "digits" => "validation.digits",
        "url" => "validation.url",
        "country" => "validation.country",
        _ => "validation.invalid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_message_per_field_wins() {
        let mut e = FormErrors::new();
        e.add("email", "validation.required");
        e.add("email", "validation.email");
        assert_eq!(e.get("email"), Some("validation.required"));
        assert!(!e.has("password"));
    }
}

/// The key a form carries (a hidden field made when the form is shown) so that sending it twice, or
/// twice at once, has one effect: 16–64 URL-safe characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormKey(String);

impl FormKey {
    /// A new key, for a form about to be shown.
    pub fn generate() -> Result<Self, super::token::NoRandomness> {
        super::token::new_token().map(Self)
    }

    /// The key a form sent back; none when it is missing or not one of ours.
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        let ours = (16..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ours.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod form_key_tests {
    use super::FormKey;

    #[test]
    fn a_form_key_is_what_generate_makes_and_nothing_else() {
        let key = FormKey::generate().unwrap();
        assert_eq!(FormKey::parse(key.as_str()), Some(key));
        for bad in [
            "",
            "short",
            "has spaces in it, sixteen+",
            "ключ-ключ-ключ-ключ",
            &"a".repeat(65),
        ] {
            assert_eq!(FormKey::parse(bad), None, "{bad:?}");
        }
    }
}
