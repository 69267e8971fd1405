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
mod tests;
