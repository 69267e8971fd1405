//! The two languages kefu speaks, and choosing one from a request's Accept-Language.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Language {
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[default]
    #[serde(rename = "en")]
    En,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::ZhCn, Language::En];

    pub fn code(self) -> &'static str {
        match self {
            Language::ZhCn => "zh-CN",
            Language::En => "en",
        }
    }

    /// Accepts the stored codes and the common spellings people type (`zh`, `zh-Hans`, `en-US`).
    pub fn parse(s: &str) -> Option<Language> {
        let s = s.trim().to_ascii_lowercase();
        let primary = s.split(['-', '_']).next().unwrap_or("");
        match primary {
            "zh" if !(s.contains("hant") || s.ends_with("-tw") || s.ends_with("-hk") || s.ends_with("-mo")) => {
                Some(Language::ZhCn)
            }
            // Traditional Chinese readers read Simplified better than English, as most Chinese help desks assume.
            "zh" => Some(Language::ZhCn),
            "en" => Some(Language::En),
            _ => None,
        }
    }

    /// Picks the best supported language from an Accept-Language header (RFC 9110 §12.5.4),
    /// honouring q-values; `None` when nothing in it is supported.
    pub fn negotiate(header: &str) -> Option<Language> {
        let mut best: Option<(u32, Language)> = None;
        for part in header.split(',') {
            let mut it = part.split(';');
            let tag = it.next().unwrap_or("").trim();
            let mut q = 1000u32;
            for param in it {
                if let Some(v) = param.trim().strip_prefix("q=") {
                    q = v
                        .trim()
                        .parse::<f64>()
                        .map(|f| (f.clamp(0.0, 1.0) * 1000.0) as u32)
                        .unwrap_or(0);
                }
            }
            if q == 0 {
                continue;
            }
            if let Some(lang) = Language::parse(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_by_quality() {
        assert_eq!(Language::negotiate("zh-CN,zh;q=0.9,en;q=0.8"), Some(Language::ZhCn));
        assert_eq!(Language::negotiate("en-US,en;q=0.9"), Some(Language::En));
        assert_eq!(Language::negotiate("fr-FR, en;q=0.5, zh;q=0.7"), Some(Language::ZhCn));
        assert_eq!(Language::negotiate("zh;q=0, en"), Some(Language::En));
        assert_eq!(Language::negotiate("de, fr"), None);
        assert_eq!(Language::negotiate(""), None);
        assert_eq!(Language::negotiate("zh-TW"), Some(Language::ZhCn));
        assert_eq!(Language::negotiate(";;;,q=abc"), None);
    }

    #[test]
    fn codes_round_trip() {
        for l in Language::ALL {
            assert_eq!(Language::parse(l.code()), Some(l));
        }
        assert_eq!(Language::parse("zh-Hans"), Some(Language::ZhCn));
        assert_eq!(Language::parse("klingon"), None);
    }
}
