//! Every string a template or handler shows must exist in both languages.

use std::collections::BTreeSet;

/// `section.name` in lower case: what locale keys look like (and emails, formats, URLs do not).
fn looks_like_key(key: &str) -> bool {
    key.contains('.')
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && !key.ends_with('.')
        && !key.contains("..")
        && ![".csv", ".html", ".txt", ".png", ".svg", ".css", ".js"]
            .iter()
            .any(|ext| key.ends_with(ext))
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// Every quoted string in the sources that looks like a locale key of one of the catalog's sections,
/// except activity-log action names (`NewActivity::new("partnership.accepted", …)`), which are data.
fn keys_used_in(dir: &std::path::Path, sections: &BTreeSet<String>, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            keys_used_in(&path, sections, found);
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut from = 0;
        while let Some(open) = text[from..].find('"') {
            let start = from + open + 1;
            let Some(len) = text[start..].find('"') else {
                break;
            };
            let literal = &text[start..start + len];
            let before = &text[..start - 1];
            // Actions are not keys; each one's name is checked in activity_log.rs.
            let is_action = before.trim_end().ends_with("NewActivity::new(")
                || partner_dashboard::db::models::activity::ACTIONS.contains(&literal);
            let section = literal.split('.').next().unwrap_or("");
            if looks_like_key(literal) && sections.contains(section) && !is_action {
                found.insert(literal.to_owned());
            }
            from = start + len + 1;
        }
    }
}

#[test]
fn every_key_used_exists_in_english_and_traditional_chinese() {
    partner_dashboard::i18n::init().unwrap();
    let sections: BTreeSet<String> = partner_dashboard::i18n::keys()
        .iter()
        .map(|k| k.split('.').next().unwrap().to_owned())
        .collect();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut used = BTreeSet::new();
    keys_used_in(&root.join("templates"), &sections, &mut used);
    keys_used_in(&root.join("src"), &sections, &mut used);
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

/// Every action the code logs has a label in the activity log, in both languages.
#[test]
fn every_logged_action_has_a_label() {
    partner_dashboard::i18n::init().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut actions = BTreeSet::new();
    fn scan(dir: &std::path::Path, actions: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                scan(&path, actions);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (i, _) in text.match_indices("NewActivity::new(") {
                let rest = text[i + "NewActivity::new(".len()..].trim_start();
                if let Some(rest) = rest.strip_prefix('"') {
                    actions.insert(rest[..rest.find('"').unwrap()].to_owned());
                }
            }
            // Actions chosen by a match before being logged.
            for prefix in ["\"reseller.verified\"", "\"reseller.rejected\""] {
                if text.contains(prefix) {
                    actions.insert(prefix.trim_matches('"').to_owned());
                }
            }
        }
    }
    scan(&root, &mut actions);
    assert!(actions.len() >= 15, "{actions:?}");
    let missing: Vec<_> = actions
        .iter()
        .map(|a| format!("activity.{}", a.replace('.', "_")))
        .filter(|k| !partner_dashboard::i18n::has_key(k))
        .collect();
    assert!(missing.is_empty(), "actions without a label: {missing:?}");
}
