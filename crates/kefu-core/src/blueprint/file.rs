//! The blueprint text file (docs/blueprints.md#file-format): TOML with top-level `slug`, `name`
//! and `name_zh`, and one `[[step]]` table per step. [`parse`] reads the whole file before it
//! answers and names every error by its line (docs/blueprints.md#errors); [`write`] writes the
//! canonical form, which [`parse`] reads back to the same blueprint and [`write`] writes again
//! byte for byte. The file carries no database ids, versions or timestamps: the slug is the
//! blueprint's identity, and importing a file with an existing slug makes a new version.

use super::{Blueprint, Field, Lane, Problem, STANDARD_MINUTES_MAX, STEPS_MAX, Step, StepField};
use crate::Language;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The largest file read, in bytes.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// After-sale repair at the customer's home: report by phone, dispatch, the technician's visit,
/// diagnosis, repair, test run, payment and follow-up, with its evidence and support processes.
pub const EXAMPLE_REPAIR: &str = include_str!("after_sale_repair.toml");

/// Delivering and installing an appliance, from the purchase to the follow-up call.
pub const EXAMPLE_INSTALLATION: &str = include_str!("installation.toml");

/// One thing wrong with a file, by line (1-based), in English and Chinese. `code` is stable:
/// `toml_syntax`, `file_too_large`, `unknown_key`, `wrong_type`, `required`, `unknown_lane`,
/// `duplicate`, `unknown_next`, `unknown_dimension`, ... (docs/blueprints.md#errors).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct FileError {
    pub line: usize,
    pub message: String,
    pub message_zh: String,
    pub code: &'static str,
}

impl FileError {
    /// The message in `lang`.
    pub fn text(&self, lang: Language) -> &str {
        match lang {
            Language::ZhCn => &self.message_zh,
            Language::En => &self.message,
        }
    }
}

/// Reads a blueprint file: the whole file is checked, and either the blueprint (which passes
/// [`Blueprint::check`]) or every error found, in line order, is returned.
pub fn parse(src: &str) -> Result<Blueprint, Vec<FileError>> {
    if src.len() > MAX_FILE_BYTES {
        return Err(vec![FileError {
            line: 1,
            message: format!(
                "the file is {} bytes; a blueprint file is at most {} KiB ({MAX_FILE_BYTES} bytes)",
                src.len(),
                MAX_FILE_BYTES / 1024
            ),
            message_zh: format!(
                "文件大小为 {} 字节，服务蓝图文件最大 {} KiB（{MAX_FILE_BYTES} 字节）",
                src.len(),
                MAX_FILE_BYTES / 1024
            ),
            code: "file_too_large",
        }]);
    }
    // Notepad saves UTF-8 with a byte-order mark; it holds no line break, so lines are unchanged.
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut r = Reader {
        line_starts: std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect(),
        errors: Vec::new(),
        skip: BTreeSet::new(),
    };
    let (root, syntax) = DeTable::parse_recoverable(src);
    if !syntax.is_empty() {
        // What the parser recovered is a guess; rules checked on it would mislead.
        for e in syntax {
            let line = e.span().map_or(1, |s| r.line(s.start));
            let what = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
            r.error(
                line,
                "toml_syntax",
                format!("TOML syntax error: {what}"),
                format!("TOML 语法错误：{what}"),
            );
        }
        return Err(r.finish());
    }
    let (bp, lines) = r.blueprint(root.get_ref());
    for p in super::problems(&bp) {
        if r.skip.contains(&p.field) {
            continue;
        }
        let line = lines.of(p.field);
        r.errors.push(FileError {
            line,
            message: p.en,
            message_zh: p.zh,
            code: p.code,
        });
    }
    if r.errors.is_empty() { Ok(bp) } else { Err(r.finish()) }
}

/// The lines of the keys read, to name the line of a [`Problem`].
#[derive(Default)]
struct Lines {
    top: BTreeMap<&'static str, usize>,
    steps: Vec<StepLines>,
}

#[derive(Default)]
struct StepLines {
    header: usize,
    keys: BTreeMap<&'static str, usize>,
    checklist: Vec<usize>,
    next: Vec<usize>,
}

impl Lines {
    fn of(&self, field: Field) -> usize {
        let top = |k| self.top.get(k).copied().unwrap_or(1);
        match field {
            Field::Slug => top("slug"),
            Field::Name => top("name"),
            Field::NameZh => top("name_zh"),
            Field::Steps => match self.steps.get(STEPS_MAX) {
                Some(first_too_many) => first_too_many.header,
                None => top("step"),
            },
            Field::Step(i, f) => {
                let Some(s) = self.steps.get(i) else { return 1 };
                let key = |k| s.keys.get(k).copied().unwrap_or(s.header);
                match f {
                    StepField::Whole => s.header,
                    StepField::Id => key("id"),
                    StepField::Title => key("title"),
                    StepField::TitleZh => key("title_zh"),
                    StepField::Lane => key("lane"),
                    StepField::Order => key("order"),
                    StepField::StandardMinutes => key("standard_minutes"),
                    StepField::Checklist(None) => key("checklist"),
                    StepField::Checklist(Some(j)) => s.checklist.get(j).copied().unwrap_or_else(|| key("checklist")),
                    StepField::Dimension => key("dimension"),
                    StepField::Next(None) => key("next"),
                    StepField::Next(Some(j)) => s.next.get(j).copied().unwrap_or_else(|| key("next")),
                }
            }
        }
    }
}

/// The keys of a `[[step]]` table, in the documented order.
const STEP_KEYS: [&str; 11] = [
    "id",
    "title",
    "title_zh",
    "lane",
    "order",
    "touchpoint",
    "failure_point",
    "standard_minutes",
    "checklist",
    "dimension",
    "next",
];

/// The keys a step must have.
const STEP_REQUIRED: [&str; 4] = ["id", "title", "lane", "order"];

struct Reader {
    line_starts: Vec<usize>,
    errors: Vec<FileError>,
    /// Fields whose value was missing or of the wrong type, already reported: the rules are not
    /// applied to the placeholder put in their place.
    skip: BTreeSet<Field>,
}

fn type_name(v: &DeValue<'_>, lang: Language) -> &'static str {
    match (v, lang) {
        (DeValue::String(_), Language::En) => "a string",
        (DeValue::String(_), Language::ZhCn) => "字符串",
        (DeValue::Integer(_), Language::En) => "an integer",
        (DeValue::Integer(_), Language::ZhCn) => "整数",
        (DeValue::Float(_), Language::En) => "a decimal number",
        (DeValue::Float(_), Language::ZhCn) => "小数",
        (DeValue::Boolean(_), Language::En) => "true or false",
        (DeValue::Boolean(_), Language::ZhCn) => "布尔值",
        (DeValue::Datetime(_), Language::En) => "a date or time",
        (DeValue::Datetime(_), Language::ZhCn) => "日期时间",
        (DeValue::Array(_), Language::En) => "a list",
        (DeValue::Array(_), Language::ZhCn) => "列表",
        (DeValue::Table(_), Language::En) => "a table",
        (DeValue::Table(_), Language::ZhCn) => "表",
    }
}

/// What a key holds, in both languages, for the wrong-type message.
#[derive(Clone, Copy)]
struct Expected(&'static str, &'static str);

const STRING: Expected = Expected("a string", "字符串");
const INTEGER: Expected = Expected("a whole number", "整数");
const BOOLEAN: Expected = Expected("true or false", "布尔值 true 或 false");
const STRINGS: Expected = Expected("a list of strings", "字符串列表");

impl Reader {
    /// The 1-based line of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn line_of<T>(&self, spanned: &Spanned<T>) -> usize {
        self.line(spanned.span().start)
    }

    fn error(&mut self, line: usize, code: &'static str, en: String, zh: String) {
        self.errors.push(FileError {
            line,
            message: en,
            message_zh: zh,
            code,
        });
    }

    fn problem(&mut self, line: usize, p: Problem) {
        self.skip.insert(p.field);
        self.error(line, p.code, p.en, p.zh);
    }

    fn finish(mut self) -> Vec<FileError> {
        self.errors.sort_by_key(|e| e.line);
        self.errors.dedup();
        self.errors
    }

    fn wrong_type(&mut self, v: &Spanned<DeValue<'_>>, key: &str, field: Field, want: Expected) {
        let line = self.line_of(v);
        self.problem(
            line,
            Problem::new(
                field,
                "wrong_type",
                format!("{key} must be {}, not {}", want.0, type_name(v.get_ref(), Language::En)),
                format!("{key} 应为{}，而不是{}", want.1, type_name(v.get_ref(), Language::ZhCn)),
            ),
        );
    }

    fn string(&mut self, v: &Spanned<DeValue<'_>>, key: &str, field: Field) -> Option<String> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.to_string()),
            _ => {
                self.wrong_type(v, key, field, STRING);
                None
            }
        }
    }

    fn integer(&mut self, v: &Spanned<DeValue<'_>>, key: &str, field: Field) -> Option<i64> {
        match v.get_ref() {
            DeValue::Integer(n) => match i64::from_str_radix(n.as_str(), n.radix()) {
                Ok(n) => Some(n),
                Err(_) => {
                    let line = self.line_of(v);
                    self.problem(
                        line,
                        Problem::new(
                            field,
                            "out_of_range",
                            format!("{key} is too large"),
                            format!("{key} 数值过大"),
                        ),
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(v, key, field, INTEGER);
                None
            }
        }
    }

    fn boolean(&mut self, v: &Spanned<DeValue<'_>>, key: &str, field: Field) -> bool {
        match v.get_ref() {
            DeValue::Boolean(b) => *b,
            _ => {
                self.wrong_type(v, key, field, BOOLEAN);
                false
            }
        }
    }

    /// A list of strings, with the line of each item; an item of another type is reported and
    /// kept as an empty placeholder, so the others keep their index.
    fn strings(
        &mut self,
        v: &Spanned<DeValue<'_>>,
        key: &str,
        whole: Field,
        item: impl Fn(usize) -> Field,
    ) -> (Vec<String>, Vec<usize>) {
        let DeValue::Array(items) = v.get_ref() else {
            self.wrong_type(v, key, whole, STRINGS);
            return (vec![], vec![]);
        };
        let mut out = Vec::with_capacity(items.len());
        let mut lines = Vec::with_capacity(items.len());
        for (j, x) in items.iter().enumerate() {
            lines.push(self.line_of(x));
            match x.get_ref() {
                DeValue::String(s) => out.push(s.to_string()),
                _ => {
                    self.wrong_type(x, &format!("each item of {key}"), item(j), STRING);
                    out.push(String::new());
                }
            }
        }
        (out, lines)
    }

    fn blueprint(&mut self, root: &DeTable<'_>) -> (Blueprint, Lines) {
        let mut bp = Blueprint {
            slug: String::new(),
            name: String::new(),
            name_zh: None,
            steps: vec![],
        };
        let mut lines = Lines::default();
        for (k, v) in root.iter() {
            let line = self.line_of(k);
            match k.get_ref().as_ref() {
                "slug" => {
                    lines.top.insert("slug", line);
                    bp.slug = self.string(v, "slug", Field::Slug).unwrap_or_default();
                }
                "name" => {
                    lines.top.insert("name", line);
                    bp.name = self.string(v, "name", Field::Name).unwrap_or_default();
                }
                "name_zh" => {
                    lines.top.insert("name_zh", line);
                    bp.name_zh = self.string(v, "name_zh", Field::NameZh);
                }
                "step" => {
                    lines.top.insert("step", line);
                    self.steps(v, &mut bp, &mut lines);
                }
                other => self.error(
                    line,
                    "unknown_key",
                    format!("unknown key {other:?}: a blueprint file has slug, name, name_zh and [[step]] tables"),
                    format!("未知的键 {other:?}：服务蓝图文件只有 slug、name、name_zh 和 [[step]] 表"),
                ),
            }
        }
        for (key, field) in [("slug", Field::Slug), ("name", Field::Name)] {
            if !lines.top.contains_key(key) {
                self.problem(
                    1,
                    Problem::new(
                        field,
                        "required",
                        format!("the file has no {key}"),
                        format!("文件缺少 {key}"),
                    ),
                );
            }
        }
        (bp, lines)
    }

    fn steps(&mut self, v: &Spanned<DeValue<'_>>, bp: &mut Blueprint, lines: &mut Lines) {
        let DeValue::Array(items) = v.get_ref() else {
            let line = self.line_of(v);
            self.problem(
                line,
                Problem::new(
                    Field::Steps,
                    "wrong_type",
                    "step must be a list of steps: write each step as a [[step]] table",
                    "step 应为步骤列表：每个步骤写作一个 [[step]] 表",
                ),
            );
            return;
        };
        for item in items.iter() {
            let header = self.line_of(item);
            let DeValue::Table(t) = item.get_ref() else {
                self.error(
                    header,
                    "wrong_type",
                    format!(
                        "each step must be a table ([[step]]), not {}",
                        type_name(item.get_ref(), Language::En)
                    ),
                    format!(
                        "每个步骤应为一个表（[[step]]），而不是{}",
                        type_name(item.get_ref(), Language::ZhCn)
                    ),
                );
                continue;
            };
            let i = bp.steps.len();
            let (step, step_lines) = self.step(i, t, header);
            bp.steps.push(step);
            lines.steps.push(step_lines);
        }
    }

    fn step(&mut self, i: usize, t: &DeTable<'_>, header: usize) -> (Step, StepLines) {
        let f = |sf| Field::Step(i, sf);
        let mut s = Step::new("", "", Lane::Onstage, 0);
        let mut sl = StepLines {
            header,
            ..StepLines::default()
        };
        for (k, v) in t.iter() {
            let line = self.line_of(k);
            let Some(key) = STEP_KEYS.into_iter().find(|&key| key == k.get_ref().as_ref()) else {
                let other = k.get_ref().as_ref();
                self.error(
                    line,
                    "unknown_key",
                    format!("unknown step key {other:?}: a step has {}", STEP_KEYS.join(", ")),
                    format!("未知的步骤键 {other:?}：步骤可用的键为 {}", STEP_KEYS.join("、")),
                );
                continue;
            };
            sl.keys.insert(key, line);
            match key {
                "id" => s.id = self.string(v, key, f(StepField::Id)).unwrap_or_default(),
                "title" => s.title = self.string(v, key, f(StepField::Title)).unwrap_or_default(),
                "title_zh" => s.title_zh = self.string(v, key, f(StepField::TitleZh)),
                "lane" => {
                    if let Some(code) = self.string(v, key, f(StepField::Lane)) {
                        match Lane::parse(&code) {
                            Some(lane) => s.lane = lane,
                            None => {
                                let codes: Vec<&str> = Lane::ALL.iter().map(|l| l.as_str()).collect();
                                self.problem(
                                    line,
                                    Problem::new(
                                        f(StepField::Lane),
                                        "unknown_lane",
                                        format!("unknown lane {code:?}: use {}", codes.join(", ")),
                                        format!("未知的泳道 {code:?}：可用 {}", codes.join("、")),
                                    ),
                                );
                            }
                        }
                    }
                }
                "order" => s.order = self.integer(v, key, f(StepField::Order)).unwrap_or_default(),
                "touchpoint" => s.touchpoint = self.boolean(v, key, f(StepField::Whole)),
                "failure_point" => s.failure_point = self.boolean(v, key, f(StepField::Whole)),
                "standard_minutes" => {
                    let field = f(StepField::StandardMinutes);
                    if let Some(m) = self.integer(v, key, field) {
                        match u32::try_from(m) {
                            Ok(m) if (1..=STANDARD_MINUTES_MAX).contains(&m) => s.standard_minutes = Some(m),
                            _ => self.problem(line, super::standard_minutes_problem(field)),
                        }
                    }
                }
                "checklist" => {
                    (s.checklist, sl.checklist) = self.strings(v, key, f(StepField::Checklist(None)), |j| {
                        f(StepField::Checklist(Some(j)))
                    });
                }
                "dimension" => s.dimension = self.string(v, key, f(StepField::Dimension)),
                "next" => {
                    (s.next, sl.next) = self.strings(v, key, f(StepField::Next(None)), |j| f(StepField::Next(Some(j))));
                }
                _ => unreachable!("every key of STEP_KEYS is read"),
            }
        }
        for key in STEP_REQUIRED {
            if !sl.keys.contains_key(key) {
                let field = match key {
                    "id" => StepField::Id,
                    "title" => StepField::Title,
                    "lane" => StepField::Lane,
                    _ => StepField::Order,
                };
                let example = match key {
                    "lane" => " (lane = \"onstage\", or physical_evidence, customer_actions, backstage, support)",
                    _ => "",
                };
                self.problem(
                    header,
                    Problem::new(
                        f(field),
                        "required",
                        format!("this step has no {key}{example}"),
                        format!("该步骤缺少 {key}{example}"),
                    ),
                );
            }
        }
        (s, sl)
    }
}

/// The canonical file of a blueprint (docs/blueprints.md#file-format): the top-level keys, then
/// the steps by lane (top to bottom), `order` and id, each key in the documented order, optional
/// keys left out when empty, false or absent; strings in double quotes with only `"`, `\` and
/// control characters escaped (Chinese stays as it is).
pub fn write(bp: &Blueprint) -> String {
    let mut out = String::new();
    key_str(&mut out, "slug", &bp.slug);
    key_str(&mut out, "name", &bp.name);
    if let Some(zh) = bp.name_zh.as_deref().filter(|z| !z.is_empty()) {
        key_str(&mut out, "name_zh", zh);
    }
    for s in bp.steps_in_order() {
        out.push_str("\n[[step]]\n");
        key_str(&mut out, "id", &s.id);
        key_str(&mut out, "title", &s.title);
        if let Some(zh) = s.title_zh.as_deref().filter(|z| !z.is_empty()) {
            key_str(&mut out, "title_zh", zh);
        }
        key_str(&mut out, "lane", s.lane.as_str());
        let _ = writeln!(out, "order = {}", s.order);
        if s.touchpoint {
            out.push_str("touchpoint = true\n");
        }
        if s.failure_point {
            out.push_str("failure_point = true\n");
        }
        if let Some(m) = s.standard_minutes {
            let _ = writeln!(out, "standard_minutes = {m}");
        }
        if !s.checklist.is_empty() {
            out.push_str("checklist = [\n");
            for item in &s.checklist {
                out.push_str("    ");
                quote(&mut out, item);
                out.push_str(",\n");
            }
            out.push_str("]\n");
        }
        if let Some(d) = s.dimension.as_deref().filter(|d| !d.is_empty()) {
            key_str(&mut out, "dimension", d);
        }
        if !s.next.is_empty() {
            out.push_str("next = [");
            for (j, n) in s.next.iter().enumerate() {
                if j > 0 {
                    out.push_str(", ");
                }
                quote(&mut out, n);
            }
            out.push_str("]\n");
        }
    }
    out
}

fn key_str(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(" = ");
    quote(out, value);
    out.push('\n');
}

/// A TOML basic string.
fn quote(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_control() && (c as u32) < 0x80 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::tests::{sample, step};

    /// The (line, code) of every error, and each message's naming of what was wrong.
    fn errs(src: &str) -> Vec<(usize, &'static str)> {
        match parse(src) {
            Ok(_) => vec![],
            Err(e) => {
                for x in &e {
                    assert!(!x.message.is_empty() && !x.message_zh.is_empty(), "{x:?}");
                    assert_eq!(x.to_string(), format!("line {}: {}", x.line, x.message));
                }
                e.into_iter().map(|e| (e.line, e.code)).collect()
            }
        }
    }

    fn messages(src: &str) -> Vec<String> {
        parse(src).unwrap_err().into_iter().map(|e| e.to_string()).collect()
    }

    const GOOD: &str = r#"slug = "s"
name = "S"

[[step]]
id = "a"
title = "A"
lane = "customer_actions"
order = 1
next = ["b"]

[[step]]
id = "b"
title = "B"
lane = "onstage"
order = 2
"#;

    #[test]
    fn the_examples_are_canonical_and_valid() {
        for ex in [EXAMPLE_REPAIR, EXAMPLE_INSTALLATION] {
            let bp = parse(ex).unwrap_or_else(|e| panic!("{e:?}"));
            bp.check().unwrap();
            assert_eq!(write(&bp), ex, "the example file is written canonically");
            assert_eq!(write(&parse(&write(&bp)).unwrap()), write(&bp));
            assert!(bp.steps.iter().any(|s| s.touchpoint));
            assert!(bp.steps.iter().any(|s| s.failure_point));
            assert!(bp.steps.iter().all(|s| s.title_zh.is_some()));
            assert!(bp.name_zh.is_some());
            for lane in Lane::ALL {
                assert!(bp.steps.iter().any(|s| s.lane == lane), "{lane} in {}", bp.slug);
            }
        }
        let repair = parse(EXAMPLE_REPAIR).unwrap();
        assert_eq!(repair.slug, "after-sale-repair");
        let ids: Vec<&str> = repair.steps.iter().map(|s| s.id.as_str()).collect();
        for id in [
            "report",
            "dispatch",
            "arrive",
            "diagnose",
            "repair",
            "test-run",
            "pay",
            "follow-up",
        ] {
            assert!(ids.contains(&id), "{id}");
        }
        assert_eq!(parse(EXAMPLE_INSTALLATION).unwrap().slug, "installation");
    }

    #[test]
    fn the_round_trip_keeps_everything_but_the_step_order() {
        let mut bp = sample();
        bp.name = "A \"quoted\" \\ name with <script>&'".into();
        bp.steps[0].title = "Tab\tnew\nline \u{7f} \u{1} 中文 \u{1F600}".into();
        bp.steps[0].order = -3;
        bp.steps[1].checklist.push("\"\"\"".into());
        bp.steps[2].failure_point = true;
        bp.steps.push(step("pe", Lane::PhysicalEvidence, 100));
        let text = write(&bp);
        assert!(text.contains("中文"), "Chinese is kept as UTF-8");
        assert!(!text.contains("\\u4E2D"));
        let back = parse_unchecked(&text);
        let mut want = bp.steps.clone();
        want.sort_by(|a, b| (a.lane, a.order, &a.id).cmp(&(b.lane, b.order, &b.id)));
        assert_eq!(back.steps, want);
        assert_eq!(
            (back.slug.as_str(), back.name.as_str()),
            (bp.slug.as_str(), bp.name.as_str())
        );
        assert_eq!(back.name_zh, bp.name_zh);
        assert_eq!(write(&back), text);
    }

    /// The blueprint the file holds, for texts [`parse`] refuses only for the rules (control
    /// characters): checks the writer's escaping, not the rules.
    fn parse_unchecked(text: &str) -> Blueprint {
        let (root, errors) = DeTable::parse_recoverable(text);
        assert!(errors.is_empty(), "{errors:?}");
        let mut r = Reader {
            line_starts: vec![0],
            errors: vec![],
            skip: BTreeSet::new(),
        };
        let (bp, _) = r.blueprint(root.get_ref());
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        bp
    }

    #[test]
    fn the_writer_leaves_out_what_is_empty() {
        let mut bp = sample();
        bp.name_zh = None;
        let text = write(&bp);
        assert!(
            text.starts_with("slug = \"sample\"\nname = \"Sample\"\n\n[[step]]\nid = \"a\"\n"),
            "{text}"
        );
        assert!(!text.contains("name_zh"));
        assert_eq!(text.matches("[[step]]").count(), 3);
        assert_eq!(text.matches("touchpoint = true").count(), 1);
        assert_eq!(text.matches("failure_point").count(), 1);
        assert_eq!(text.matches("checklist").count(), 1);
        assert_eq!(text.matches("next").count(), 2);
        assert!(!text.contains("false"));
        assert!(text.contains(
            "[[step]]\nid = \"b\"\ntitle = \"Step b\"\ntitle_zh = \"接待\"\nlane = \"onstage\"\norder = 2\nfailure_point = true\nstandard_minutes = 5\nchecklist = [\n    \"Smile\",\n    \"核对地址\",\n]\ndimension = \"responsiveness\"\nnext = [\"c\"]\n"
        ), "{text}");
        assert_eq!(parse(&text).unwrap().steps.len(), 3);
    }

    #[test]
    fn a_good_file_reads() {
        let bp = parse(GOOD).unwrap();
        assert_eq!(bp.steps.len(), 2);
        assert_eq!(bp.steps[0].next, ["b"]);
        assert_eq!(bp.steps[1].lane, Lane::Onstage);
        assert_eq!(bp.name_zh, None);
        // A byte-order mark, CRLF line ends, other integer spellings, inline tables.
        let crlf = format!(
            "\u{feff}{}",
            GOOD.replace('\n', "\r\n").replace("order = 2", "order = 0x10")
        );
        let bp2 = parse(&crlf).unwrap();
        assert_eq!(bp2.steps[1].order, 16);
        let inline =
            "slug = \"s\"\nname = \"S\"\nstep = [{ id = \"a\", title = \"A\", lane = \"support\", order = -1_000 }]\n";
        assert_eq!(parse(inline).unwrap().steps[0].order, -1000);
    }

    #[test]
    fn syntax_errors_name_their_line() {
        assert_eq!(errs("slug = \"s\"\nname = \"S\n"), [(2, "toml_syntax")]);
        assert_eq!(errs("slug = \"s\"\nname = \n"), [(2, "toml_syntax")]);
        let dup = GOOD.replace("title = \"B\"", "title = \"B\"\ntitle = \"C\"");
        assert_eq!(errs(&dup), [(14, "toml_syntax")]);
        assert!(messages(&dup)[0].contains("duplicate key"), "{:?}", messages(&dup));
        let two = format!("{GOOD}[[step]\nx = = 1\n");
        let e = errs(&two);
        assert!(
            e.iter().all(|e| e.1 == "toml_syntax") && e.iter().any(|e| e.0 == 17),
            "{e:?}"
        );
        assert!(parse("\u{0}").is_err());
    }

    #[test]
    fn a_file_over_the_limit_is_refused_at_line_1() {
        let big = format!("{GOOD}#{}\n", "x".repeat(MAX_FILE_BYTES));
        let e = parse(&big).unwrap_err();
        assert_eq!((e.len(), e[0].line, e[0].code), (1, 1, "file_too_large"));
        assert!(e[0].message.contains("256 KiB"), "{}", e[0].message);
        let at_limit = format!("{GOOD}#{}\n", "x".repeat(MAX_FILE_BYTES - GOOD.len() - 2));
        assert_eq!(at_limit.len(), MAX_FILE_BYTES);
        assert!(parse(&at_limit).is_ok());
    }

    #[test]
    fn unknown_keys_are_named() {
        let src = GOOD.replace("name = \"S\"", "name = \"S\"\ncolour = \"red\"\n[meta]\nx = 1");
        assert_eq!(errs(&src), [(3, "unknown_key"), (4, "unknown_key")]);
        let m = messages(&src);
        assert!(m[0].contains("\"colour\"") && m[1].contains("\"meta\""), "{m:?}");
        let src = GOOD.replace("order = 2", "order = 2\nowner = \"x\"");
        assert_eq!(errs(&src), [(16, "unknown_key")]);
        assert!(messages(&src)[0].contains("\"owner\""));
        let src = format!("{GOOD}[step.extra]\nx = 1\n");
        assert_eq!(errs(&src), [(16, "unknown_key")]);
    }

    #[test]
    fn wrong_types_are_reported_once() {
        let cases = [
            ("slug = \"s\"", "slug = 5", 1),
            ("name = \"S\"", "name = [\"S\"]", 2),
            ("title = \"A\"", "title = 1", 6),
            ("order = 1", "order = 1.5", 8),
            ("order = 1", "order = \"1\"", 8),
            ("next = [\"b\"]", "next = \"b\"", 9),
            ("next = [\"b\"]", "next = [\"b\", 3]", 9),
            ("lane = \"customer_actions\"", "lane = true", 7),
            ("order = 2", "order = 2\ntouchpoint = \"yes\"", 16),
            ("order = 2", "order = 2\nfailure_point = 1", 16),
            ("order = 2", "order = 2\nstandard_minutes = \"5\"", 16),
            ("order = 2", "order = 2\nchecklist = \"x\"", 16),
            ("order = 2", "order = 2\nchecklist = [\n  \"x\",\n  2,\n]", 18),
            ("order = 2", "order = 2\ndimension = 1", 16),
            ("order = 2", "order = 2\ntitle_zh = 1979-05-27", 16),
            ("name = \"S\"", "name = \"S\"\nname_zh = {}", 3),
        ];
        for (from, to, line) in cases {
            let src = GOOD.replacen(from, to, 1);
            assert_eq!(errs(&src), [(line, "wrong_type")], "{to}");
        }
        let src = GOOD.replace("[[step]]\nid = \"b\"", "[step]\nid = \"b\"").replace(
            "[[step]]\nid = \"a\"\ntitle = \"A\"\nlane = \"customer_actions\"\norder = 1\nnext = [\"b\"]\n",
            "",
        );
        assert_eq!(errs(&src), [(5, "wrong_type")], "[step] is one table, not a list");
        let src = "slug = \"s\"\nname = \"S\"\nstep = [1]\n";
        assert_eq!(errs(src), [(3, "wrong_type"), (3, "required")]);
    }

    #[test]
    fn lanes_are_checked() {
        let src = GOOD.replace("lane = \"onstage\"", "lane = \"front\"");
        assert_eq!(errs(&src), [(14, "unknown_lane")]);
        assert!(messages(&src)[0].contains("\"front\""));
        let src = GOOD.replace("lane = \"onstage\"\n", "");
        assert_eq!(errs(&src), [(11, "required")]);
        assert!(messages(&src)[0].contains("no lane"), "{:?}", messages(&src));
    }

    #[test]
    fn missing_keys_name_the_step_header() {
        let src = GOOD
            .replace("id = \"b\"\ntitle = \"B\"\n", "")
            .replace("next = [\"b\"]\n", "");
        assert_eq!(errs(&src), [(10, "required"), (10, "required")]);
        let src = GOOD.replace("order = 1\n", "");
        assert_eq!(errs(&src), [(4, "required")]);
        let src = GOOD.replace("slug = \"s\"\n", "");
        assert_eq!(errs(&src), [(1, "required")]);
        assert_eq!(errs("slug = \"s\"\nname = \"S\"\n"), [(1, "required")]);
        assert!(messages("slug = \"s\"\nname = \"S\"\n")[0].contains("at least one step"));
        assert_eq!(errs(""), [(1, "required"), (1, "required"), (1, "required")]);
    }

    #[test]
    fn duplicate_ids_name_the_second() {
        let src = GOOD.replace("id = \"b\"", "id = \"a\"");
        // b is gone, so a's arrow dangles too.
        assert_eq!(errs(&src), [(9, "unknown_next"), (12, "duplicate")]);
    }

    #[test]
    fn dangling_arrows_name_their_line() {
        let src = GOOD.replace("next = [\"b\"]", "next = [\"b\", \"zz\"]");
        assert_eq!(errs(&src), [(9, "unknown_next")]);
        assert!(messages(&src)[0].contains("\"zz\""));
        let src = GOOD.replace("next = [\"b\"]", "next = [\n  \"b\",\n  \"a\",\n  \"b\",\n  \"q\",\n]");
        assert_eq!(errs(&src), [(11, "self_loop"), (12, "duplicate"), (13, "unknown_next")]);
    }

    #[test]
    fn every_rule_names_its_line() {
        let cases = [
            ("slug = \"s\"", "slug = \"Bad Slug\"", 1, "invalid_slug"),
            ("name = \"S\"", "name = \"\"", 2, "required"),
            ("name = \"S\"", "name = \"S\"\nname_zh = \" \"", 3, "required"),
            ("title = \"B\"", "title = \"\"", 13, "required"),
            ("title = \"B\"", "title = \"B\\nC\"", 13, "control_chars"),
            ("title = \"B\"", "title = \"B\"\ntitle_zh = \"\"", 14, "required"),
            ("order = 2", "order = 2\ndimension = \"speed\"", 16, "unknown_dimension"),
            ("order = 2", "order = 2\nstandard_minutes = 0", 16, "out_of_range"),
            ("order = 2", "order = 2\nstandard_minutes = -5", 16, "out_of_range"),
            ("order = 2", "order = 2\nstandard_minutes = 525601", 16, "out_of_range"),
            (
                "order = 2",
                "order = 2\nstandard_minutes = 99999999999",
                16,
                "out_of_range",
            ),
            ("order = 2", "order = 2\nchecklist = [\"ok\", \"\"]", 16, "required"),
            (
                "order = 2",
                "order = 2\nchecklist = [\n\"ok\",\n\n\"\",\n]",
                19,
                "required",
            ),
        ];
        for (from, to, line, code) in cases {
            let src = GOOD.replacen(from, to, 1);
            assert_eq!(errs(&src), [(line, code)], "{to}");
        }
        let src = GOOD
            .replace("next = [\"b\"]\n", "")
            .replace("id = \"b\"", "id = \"b b\"");
        assert_eq!(errs(&src), [(11, "invalid_step_id")]);
        let long = format!("[{}]", vec!["\"x\""; 51].join(", "));
        let src = GOOD.replace("order = 2", &format!("order = 2\nchecklist = {long}"));
        assert_eq!(errs(&src), [(16, "too_many")]);
        let src = GOOD.replace("title = \"A\"", &format!("title = \"{}\"", "长".repeat(201)));
        assert_eq!(errs(&src), [(6, "too_long")]);
    }

    #[test]
    fn too_many_steps_names_the_first_one_over() {
        let mut src = String::from("slug = \"s\"\nname = \"S\"\n");
        for i in 0..=STEPS_MAX {
            src.push_str(&format!(
                "[[step]]\nid = \"s{i}\"\ntitle = \"T\"\nlane = \"support\"\norder = {i}\n"
            ));
        }
        assert_eq!(errs(&src), [(3 + 5 * STEPS_MAX, "too_many")]);
    }

    #[test]
    fn every_error_is_collected_in_line_order() {
        let src = r#"slug = "Bad"
name = "S"
colour = 1

[[step]]
id = "a"
title = "A"
lane = "nowhere"
order = 1
next = ["ghost"]
dimension = "speed"

[[step]]
id = "a"
title = 7
lane = "onstage"
order = 2
wat = 1
"#;
        assert_eq!(
            errs(src),
            [
                (1, "invalid_slug"),
                (3, "unknown_key"),
                (8, "unknown_lane"),
                (10, "unknown_next"),
                (11, "unknown_dimension"),
                (14, "duplicate"),
                (15, "wrong_type"),
                (18, "unknown_key"),
            ]
        );
        let e = parse(src).unwrap_err();
        assert!(e[2].message_zh.contains("未知的泳道"), "{:?}", e[2]);
        assert_eq!(e[2].text(Language::ZhCn), e[2].message_zh);
        assert_eq!(e[2].text(Language::En), e[2].message);
    }
}
