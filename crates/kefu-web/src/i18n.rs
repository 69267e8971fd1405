//! Translations for pages: the catalogs and the translator `Tr` live in `kefu_core::i18n`
//! (shared with the notification mails of kefu-app); this module's test checks that every key a
//! template or handler of kefu-web uses exists.

pub use kefu_core::i18n::Tr;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// Every `t("...")` / `f("...")` key used in templates and code exists in the catalogs.
    #[test]
    fn every_used_key_exists() {
        let (en, _) = kefu_core::i18n::catalogs();
        let mut used = BTreeSet::new();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![];
        for dir in [
            "templates",
            "templates/components",
            "src",
            "src/pages",
            "src/pages/surveys",
            "src/api",
        ] {
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
}
