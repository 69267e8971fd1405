//! The CJK n-gram analyzer (Lucene's CJKAnalyzer is the model): Chinese, Japanese and Korean
//! characters are indexed as overlapping bigrams in one column and as unigrams in another; other
//! text as lower-cased words. A query of two or more CJK characters becomes the phrase of its
//! bigrams, so 王芳 is found inside 客户王芳投诉 with no word segmenter (which would split it away).

/// Whether a character is written without spaces between words (Han, Kana, Hangul, CJK punctuation excluded).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F // Han
        | 0x3040..=0x30FF | 0x31F0..=0x31FF // Kana
        | 0xAC00..=0xD7AF | 0x1100..=0x11FF // Hangul
    )
}

/// The terms of a text, ready for the database's full-text index.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexTerms {
    /// Lower-cased words of non-CJK text, and the digits of phone numbers.
    pub words: Vec<String>,
    /// Overlapping pairs of adjacent CJK characters within each run.
    pub bigrams: Vec<String>,
    /// Every CJK character.
    pub unigrams: Vec<String>,
}

impl IndexTerms {
    /// The space-joined column values: (words, bigrams, unigrams).
    pub fn columns(&self) -> (String, String, String) {
        (self.words.join(" "), self.bigrams.join(" "), self.unigrams.join(" "))
    }
}

/// Splits text into runs: CJK runs, and words of letters and digits (lower-cased), after NFKC,
/// so that the full-width letters and digits of Chinese input (ＢＣＤ-２１５, １３８…) are their
/// ASCII forms in the index and in queries alike.
fn runs(text: &str) -> Vec<(bool, String)> {
    use unicode_normalization::UnicodeNormalization;
    let mut out: Vec<(bool, String)> = Vec::new();
    for c in text.nfkc() {
        let (cjk, keep) = if is_cjk(c) {
            (true, true)
        } else {
            (false, c.is_alphanumeric())
        };
        if !keep {
            out.push((false, String::new()));
            continue;
        }
        match out.last_mut() {
            Some((k, s)) if *k == cjk && !s.is_empty() => s.extend(c.to_lowercase()),
            _ => out.push((cjk, c.to_lowercase().collect())),
        }
    }
    out.retain(|(_, s)| !s.is_empty());
    out
}

pub fn analyze(text: &str) -> IndexTerms {
    let mut t = IndexTerms::default();
    for (cjk, run) in runs(text) {
        if cjk {
            let chars: Vec<char> = run.chars().collect();
            t.unigrams.extend(chars.iter().map(|c| c.to_string()));
            t.bigrams.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
        } else {
            t.words.push(run);
        }
    }
    t
}

/// What a search box's text asks the index for: every part must match (AND).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryPart {
    /// A word (prefix match), in the words column.
    Word(String),
    /// Consecutive bigrams, as a phrase, in the bigrams column.
    BigramPhrase(Vec<String>),
    /// One CJK character alone, in the unigrams column.
    Unigram(String),
}

pub fn parse_query(q: &str) -> Vec<QueryPart> {
    runs(q)
        .into_iter()
        .take(16)
        .map(|(cjk, run)| {
            if !cjk {
                return QueryPart::Word(run);
            }
            let chars: Vec<char> = run.chars().collect();
            if chars.len() == 1 {
                QueryPart::Unigram(run)
            } else {
                QueryPart::BigramPhrase(chars.windows(2).map(|w| w.iter().collect()).collect())
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_runs_become_bigrams_and_unigrams() {
        let t = analyze("客户王芳投诉: Fridge BCD-215 不制冷，电话 138-0013-8000");
        assert_eq!(
            t.bigrams,
            ["客户", "户王", "王芳", "芳投", "投诉", "不制", "制冷", "电话"]
        );
        assert_eq!(t.unigrams.len(), 11);
        assert_eq!(t.words, ["fridge", "bcd", "215", "138", "0013", "8000"]);
    }

    #[test]
    fn a_two_character_name_is_a_one_bigram_phrase() {
        assert_eq!(parse_query("王芳"), vec![QueryPart::BigramPhrase(vec!["王芳".into()])]);
        assert_eq!(
            parse_query("北京市"),
            vec![QueryPart::BigramPhrase(vec!["北京".into(), "京市".into()])]
        );
        assert_eq!(parse_query("王"), vec![QueryPart::Unigram("王".into())]);
        assert_eq!(
            parse_query("Wang 芳"),
            vec![QueryPart::Word("wang".into()), QueryPart::Unigram("芳".into())]
        );
        assert_eq!(parse_query("  ,,, "), vec![]);
        // The query's bigrams are exactly a run of the text's: the phrase matches inside running text.
        let text = analyze("客户王芳投诉").bigrams;
        let QueryPart::BigramPhrase(q) = &parse_query("王芳投")[0] else {
            panic!()
        };
        assert!(text.windows(q.len()).any(|w| w == q.as_slice()));
    }

    #[test]
    fn full_width_letters_and_digits_are_their_ascii_forms() {
        let t = analyze("冰箱ＢＣＤ－２１５不制冷，电话１３８００１３８０００");
        assert_eq!(t.words, ["bcd", "215", "13800138000"]);
        assert_eq!(t.bigrams, ["冰箱", "不制", "制冷", "电话"]);
        assert_eq!(parse_query("ＢＣＤ"), parse_query("bcd"));
        assert_eq!(parse_query("１３８"), vec![QueryPart::Word("138".into())]);
    }

    #[test]
    fn hostile_and_odd_input() {
        let t = analyze("<script>alert('x')</script> \"; DROP TABLE customers; --");
        assert!(
            t.words.iter().all(|w| w.chars().all(char::is_alphanumeric)),
            "no operators reach the index: {:?}",
            t.words
        );
        assert!(parse_query(&"字".repeat(10_000)).len() == 1);
        assert!(
            parse_query(&"a b ".repeat(1000)).len() == 16,
            "a query has at most 16 parts"
        );
    }
}
