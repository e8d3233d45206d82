//! Every string a template or handler shows must exist in both languages.

use std::collections::BTreeSet;

fn keys_used_in(dir: &std::path::Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            keys_used_in(&path, found);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // t("key"), t1("key", …), t2("key", …), errors.add(…, "key"), Err("key"), flash(…, "key")
        for marker in [
            "t(\"",
            "t1(\"",
            "t2(\"",
            "\"validation.",
            "\"errors.",
            "\"account.",
            "\"sign_in.",
        ] {
            let mut rest = text.as_str();
            while let Some(pos) = rest.find(marker) {
                rest = &rest[pos + marker.len()..];
                let prefix = marker
                    .trim_start_matches(|c: char| c != '"')
                    .trim_start_matches('"');
                let end = rest.find('"').unwrap_or(0);
                let key = format!("{prefix}{}", &rest[..end]);
                if looks_like_key(&key) {
                    found.insert(key);
                }
            }
        }
    }
}

/// `section.name` in lower case: what locale keys look like (and emails, formats, URLs do not).
fn looks_like_key(key: &str) -> bool {
    key.contains('.')
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && !key.ends_with('.')
        && !key.contains("..")
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        && !key.ends_with(".html")
        && !key.ends_with(".txt")
}

#[test]
fn every_key_used_exists_in_english_and_traditional_chinese() {
    partner_dashboard::i18n::init().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut used = BTreeSet::new();
    keys_used_in(&root.join("templates"), &mut used);
    keys_used_in(&root.join("src"), &mut used);
    assert!(used.len() > 50, "the scan found too few keys: {used:?}");
    let missing: Vec<_> = used
        .iter()
        .filter(|k| !partner_dashboard::i18n::has_key(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from the locale files: {missing:?}"
    );
}

#[test]
fn the_guides_labels_are_used_exactly() {
    use partner_dashboard::i18n::{Locale, t};
    for (key, en, zh) in [
        ("menu.dashboard", "Dashboard", "儀表板"),
        (
            "menu.indirect_resellers",
            "Indirect resellers",
            "間接經銷商",
        ),
        ("menu.customers", "Customers", "客戶"),
        (
            "menu.indirect_providers",
            "Indirect providers",
            "間接提供者",
        ),
    ] {
        assert_eq!(t(Locale::En, key), en);
        assert_eq!(t(Locale::ZhTw, key), zh);
    }
}
