//! Every message a person reads on the terminal or in a quarantine file, in Vietnamese and in
//! English, from one catalogue: `catalogue.toml` beside this file. Code names a message by its
//! key and its arguments (`msg!("ingest.stored_as", batch = id)`); the words live only in the
//! catalogue, each message's two languages side by side.
//!
//! Why a catalogue of our own rather than fluent or rust-i18n: Vietnamese has no plural forms
//! and our English needs none that a sentence cannot avoid, so fluent's plural and gender
//! machinery buys nothing; rust-i18n prints a missing key silently at run time. Here a test
//! (`every_message_has_both_languages_and_the_same_arguments`) fails when a key used in code is
//! not in the catalogue, when a message lacks a language, when its two languages name different
//! arguments, or when a message is no longer used. No new dependency: the catalogue is TOML,
//! read once with the `toml` crate chiso already uses.
//!
//! The language is chosen once per process (`--lang`, else `CHISO_LANG`, else Vietnamese) with
//! [`set_lang`]; rule codes such as `[out_of_scale]` are not translated, so they can be searched.

use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::lang::Lang;

const CATALOGUE: &str = include_str!("catalogue.toml");

static LANG: AtomicU8 = AtomicU8::new(0);

/// Choose the language of every message from now on (the process's `--lang`).
pub fn set_lang(lang: Lang) {
    LANG.store(
        match lang {
            Lang::Vi => 0,
            Lang::En => 1,
        },
        Ordering::Relaxed,
    );
}

/// The language messages are written in.
pub fn lang() -> Lang {
    match LANG.load(Ordering::Relaxed) {
        1 => Lang::En,
        _ => Lang::Vi,
    }
}

/// One message: its text in each language.
#[derive(Debug, Clone)]
struct Entry {
    vi: String,
    en: String,
}

fn catalogue() -> &'static HashMap<String, Entry> {
    static MAP: OnceLock<HashMap<String, Entry>> = OnceLock::new();
    MAP.get_or_init(|| parse(CATALOGUE).unwrap_or_default())
}

/// The catalogue's entries by dotted key: a table holding `vi` and `en` is one message.
fn parse(text: &str) -> Result<HashMap<String, Entry>, String> {
    fn walk(prefix: &str, t: &toml::Table, out: &mut HashMap<String, Entry>) -> Result<(), String> {
        if let (Some(vi), Some(en)) = (t.get("vi"), t.get("en")) {
            let (Some(vi), Some(en)) = (vi.as_str(), en.as_str()) else {
                return Err(format!("{prefix}: vi and en must be strings"));
            };
            if t.len() != 2 {
                return Err(format!("{prefix}: a message holds only vi and en"));
            }
            out.insert(
                prefix.to_string(),
                Entry {
                    vi: vi.into(),
                    en: en.into(),
                },
            );
            return Ok(());
        }
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::Table(sub) => walk(&key, sub, out)?,
                _ => return Err(format!("{key}: a message needs both vi and en")),
            }
        }
        Ok(())
    }
    let table: toml::Table = text.parse().map_err(|e| format!("{e}"))?;
    let mut out = HashMap::new();
    walk("", &table, &mut out)?;
    Ok(out)
}

/// The message `key` in the current language, its `{name}` placeholders filled in. A key not
/// in the catalogue (a bug the catalogue test catches) prints as itself, never panics.
pub fn text(key: &str, args: &[(&str, &dyn Display)]) -> String {
    text_in(lang(), key, args)
}

/// [`text`] in a given language (for files written in the output's language).
pub fn text_in(lang: Lang, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let Some(entry) = catalogue().get(key) else {
        return key.to_string();
    };
    fill(lang.pick(&entry.vi, &entry.en), args)
}

fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_end = after.find('}');
        let filled = name_end.and_then(|end| {
            let name = &after[..end];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (end, v.to_string()))
        });
        match filled {
            Some((end, value)) => {
                out.push_str(&value);
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `msg!("key", name = value, …)`: the catalogue's message in the current language.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::messages::text($key, &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),*])
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(s: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut rest = s;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            match after.find('}') {
                Some(end)
                    if after[..end]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    out.insert(after[..end].to_string());
                    rest = &after[end + 1..];
                }
                _ => rest = after,
            }
        }
        out
    }

    /// Every `msg!("…"` and `text("…"`/`text_in(…, "…"` key in the sources.
    fn keys_used() -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("src is readable").flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let src = std::fs::read_to_string(&p).expect("a source file");
                    for marker in ["msg!(\"", "msg!(\n"] {
                        for (at, _) in src.match_indices(marker) {
                            let line_start = src[..at].rfind('\n').map_or(0, |n| n + 1);
                            if src[line_start..at].trim_start().starts_with("//") {
                                continue; // documentation, not a use
                            }
                            let tail = src[at + marker.len() - 1..].trim_start();
                            if let Some(t) = tail.strip_prefix('"')
                                && let Some(end) = t.find('"')
                            {
                                used.insert(t[..end].to_string());
                            }
                        }
                    }
                }
            }
        }
        used
    }

    #[test]
    fn every_message_has_both_languages_and_the_same_arguments() {
        let cat = parse(CATALOGUE).expect("catalogue.toml parses");
        assert!(cat.len() > 50, "{} messages", cat.len());
        for (key, e) in &cat {
            assert!(!e.vi.trim().is_empty() && !e.en.trim().is_empty(), "{key}");
            assert_eq!(
                placeholders(&e.vi),
                placeholders(&e.en),
                "{key}: arguments differ"
            );
            assert_ne!(e.vi, e.en, "{key}: not translated");
        }
        let used = keys_used();
        let missing: Vec<_> = used.iter().filter(|k| !cat.contains_key(*k)).collect();
        assert!(
            missing.is_empty(),
            "used but not in catalogue.toml: {missing:?}"
        );
        let unused: Vec<_> = cat.keys().filter(|k| !used.contains(*k)).collect();
        assert!(
            unused.is_empty(),
            "in catalogue.toml but never used: {unused:?}"
        );
    }

    #[test]
    fn placeholders_are_filled_and_unknown_ones_kept() {
        assert_eq!(fill("{a} và {b}", &[("a", &1), ("b", &"x")]), "1 và x");
        assert_eq!(fill("{a} {c} {", &[("a", &1)]), "1 {c} {");
    }
}
