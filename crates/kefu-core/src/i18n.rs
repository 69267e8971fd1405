//! Translations: one TOML file per language under `locales/` (of this crate), embedded in the
//! binary, flattened to dotted keys, and the translator `Tr` for one language. The language is
//! chosen per request or per recipient (never process-global).
//!
//! Why here, in kefu-core: two crates write text for people — kefu-web its pages and kefu-app its
//! notification mails — and kefu-app cannot depend on kefu-web. kefu-core is below both, already
//! owns `Language` and the validation codes (`crate::codes`) whose messages the catalogs must
//! carry, and embedding a file at compile time is no I/O. So the catalogs live here, one set for
//! the whole product, and a test fails when a key is missing in either language or a validation
//! code has no message (kefu-web's own test checks the keys its templates and handlers use).

use crate::Language;
use std::collections::HashMap;
use std::sync::OnceLock;

const EN: &str = include_str!("../locales/en.toml");
const ZH_CN: &str = include_str!("../locales/zh-CN.toml");

/// A language's texts by dotted key.
pub type Catalog = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

pub fn parse_catalog(src: &str) -> Result<Catalog, toml::de::Error> {
    let table: toml::Table = toml::from_str(src)?;
    let mut out = Catalog::new();
    flatten("", &table, &mut out);
    Ok(out)
}

/// The embedded catalogs, English and Simplified Chinese.
pub fn catalogs() -> &'static (Catalog, Catalog) {
    static C: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    // The files are part of the binary and checked by tests; a broken one is a build defect.
    C.get_or_init(|| {
        (
            parse_catalog(EN).expect("locales/en.toml"),
            parse_catalog(ZH_CN).expect("locales/zh-CN.toml"),
        )
    })
}

/// Translator for one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Language,
}

impl Tr {
    pub fn new(lang: Language) -> Tr {
        Tr { lang }
    }

    fn catalog(&self) -> &'static Catalog {
        let (en, zh) = catalogs();
        match self.lang {
            Language::En => en,
            Language::ZhCn => zh,
        }
    }

    /// The text for `key`; the key itself if missing (tests keep that from happening).
    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        self.catalog().get(key).map(String::as_str).unwrap_or(key)
    }

    /// Whether the catalog has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.catalog().contains_key(key)
    }

    /// The text for `key` with `{name}` placeholders filled in, in one pass: a value that itself
    /// contains `{…}` (a customer's subject, say) is written as it is, never filled again.
    pub fn f(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        fill(self.t(key), args)
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

/// `text` with each `{name}` of `args` replaced by its value; other braces stay as they are.
fn fill(text: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            args.iter()
                .find(|(name, _)| *name == &after[..close])
                .map(|a| (close, a.1))
        });
        match value {
            Some((close, v)) => {
                out.push_str(&v.to_string());
                rest = &after[close + 1..];
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn both_languages_have_the_same_keys() {
        let (en, zh) = (parse_catalog(EN).unwrap(), parse_catalog(ZH_CN).unwrap());
        let ek: BTreeSet<_> = en.keys().collect();
        let zk: BTreeSet<_> = zh.keys().collect();
        let only_en: Vec<_> = ek.difference(&zk).collect();
        let only_zh: Vec<_> = zk.difference(&ek).collect();
        assert!(
            only_en.is_empty() && only_zh.is_empty(),
            "missing in zh-CN: {only_en:?}; missing in en: {only_zh:?}"
        );
        for (k, v) in en.iter().chain(zh.iter()) {
            assert!(!v.trim().is_empty(), "{k} is empty");
        }
    }

    #[test]
    fn fills_placeholders_once() {
        let t = Tr::new(Language::En);
        assert!(t.f("login.rate_limited", &[("seconds", &15)]).contains("15"));
        assert_eq!(fill("{a} and {b} {c}", &[("a", &"{b}"), ("b", &2)]), "{b} and 2 {c}");
    }
}
