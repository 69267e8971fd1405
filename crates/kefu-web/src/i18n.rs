//! Translations: one TOML file per language under `locales/`, embedded in the binary, flattened
//! to dotted keys. The language is chosen per request (never process-global). A test fails when a
//! key is missing in either language or a template uses a key that no file has.

use kefu_core::Language;
use std::collections::HashMap;
use std::sync::OnceLock;

const EN: &str = include_str!("../locales/en.toml");
const ZH_CN: &str = include_str!("../locales/zh-CN.toml");

type Catalog = HashMap<String, String>;

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

fn catalogs() -> &'static (Catalog, Catalog) {
    static C: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    // The files are part of the binary and checked by tests; a broken one is a build defect.
    C.get_or_init(|| {
        (
            parse_catalog(EN).expect("locales/en.toml"),
            parse_catalog(ZH_CN).expect("locales/zh-CN.toml"),
        )
    })
}

/// Translator for one request's language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Language,
}

impl Tr {
    pub fn new(lang: Language) -> Tr {
        Tr { lang }
    }

    /// The text for `key`; the key itself if missing (tests keep that from happening).
    pub fn t<'a>(&self, key: &'a str) -> &'a str
    where
        'static: 'a,
    {
        let (en, zh) = catalogs();
        let cat = match self.lang {
            Language::En => en,
            Language::ZhCn => zh,
        };
        cat.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The text for `key` with `{name}` placeholders filled in.
    pub fn f(&self, key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
        let mut s = self.t(key).to_owned();
        for (name, value) in args {
            s = s.replace(&format!("{{{name}}}"), &value.to_string());
        }
        s
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
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

    /// Every `t("...")` / `f("...")` key used in templates and code exists in the catalogs.
    #[test]
    fn every_used_key_exists() {
        let (en, _) = catalogs();
        let mut used = BTreeSet::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![];
        for dir in ["templates", "src", "src/pages", "src/pages/surveys", "src/api"] {
            for e in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                if e.path().is_file() {
                    files.push(e.path());
                }
            }
        }
        let re_like = |s: &str, open: &str, out: &mut BTreeSet<String>| {
            let mut rest = s;
            while let Some(i) = rest.find(open) {
                rest = &rest[i + open.len()..];
                if let Some(j) = rest.find('"') {
                    let key = &rest[..j];
                    if !key.is_empty()
                        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                        && key.contains('.')
                    {
                        out.insert(key.to_owned());
                    }
                }
            }
        };
        for f in files {
            let s = std::fs::read_to_string(&f).unwrap();
            for open in [".t(\"", ".f(\"", "tkey(\""] {
                re_like(&s, open, &mut used);
            }
        }
        assert!(used.len() > 20, "the scan found too few keys: {used:?}");
        let missing: Vec<_> = used.iter().filter(|k| !en.contains_key(*k)).collect();
        assert!(missing.is_empty(), "keys used but not translated: {missing:?}");
    }

    #[test]
    fn fills_placeholders() {
        let t = Tr::new(Language::En);
        assert!(t.f("login.locked", &[("minutes", &15)]).contains("15"));
    }
}
