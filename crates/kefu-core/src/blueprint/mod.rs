//! Service blueprints (docs/blueprints.md): a service drawn as steps in five lanes — physical
//! evidence, customer actions, onstage contact, backstage contact and support processes — with
//! the line of interaction, the line of visibility and the line of internal interaction between
//! them. Steps the customer meets are touchpoints (moments of truth, 关键时刻); steps where the
//! service tends to go wrong are failure points; a step may carry a standard time, a checklist and
//! the SERVQUAL dimension it serves.
//!
//! - [`Blueprint::check`]: the rules every blueprint meets, for one built from the web form
//!   (docs/blueprints.md#rules).
//! - [`file`]: the TOML text file, read with every error named by line and written canonically
//!   (docs/blueprints.md#file-format).
//! - [`svg`]: the diagram, optionally shaded by complaints (docs/blueprints.md#the-diagram).
//! - [`step_diff`]: which steps a new version keeps unchanged, so their figures carry across
//!   (docs/blueprints.md#importing-a-new-version).

use crate::Language;
use crate::error::{FieldError, Invalid};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub mod file;
pub mod heat;
pub mod svg;

/// The five lanes of a blueprint, top to bottom (docs/blueprints.md#lanes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    PhysicalEvidence,
    CustomerActions,
    Onstage,
    Backstage,
    Support,
}

impl Lane {
    /// Top to bottom, as drawn.
    pub const ALL: [Lane; 5] = [
        Lane::PhysicalEvidence,
        Lane::CustomerActions,
        Lane::Onstage,
        Lane::Backstage,
        Lane::Support,
    ];

    /// The code written in files and forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Lane::PhysicalEvidence => "physical_evidence",
            Lane::CustomerActions => "customer_actions",
            Lane::Onstage => "onstage",
            Lane::Backstage => "backstage",
            Lane::Support => "support",
        }
    }

    /// The lane of a code, exactly as [`Lane::as_str`] writes it.
    pub fn parse(s: &str) -> Option<Lane> {
        Lane::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Its position from the top, 0 to 4.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Lane::PhysicalEvidence, Language::ZhCn) => "有形展示",
            (Lane::PhysicalEvidence, Language::En) => "Physical evidence",
            (Lane::CustomerActions, Language::ZhCn) => "顾客行为",
            (Lane::CustomerActions, Language::En) => "Customer actions",
            (Lane::Onstage, Language::ZhCn) => "前台接触员工行为",
            (Lane::Onstage, Language::En) => "Onstage contact",
            (Lane::Backstage, Language::ZhCn) => "后台接触员工行为",
            (Lane::Backstage, Language::En) => "Backstage contact",
            (Lane::Support, Language::ZhCn) => "支持过程",
            (Lane::Support, Language::En) => "Support processes",
        }
    }

    /// The line drawn between this lane and the one below it, if any.
    pub fn line_below(self) -> Option<Line> {
        Line::ALL.into_iter().find(|l| l.between().0 == self)
    }
}

impl std::fmt::Display for Lane {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The three lines between lanes (docs/blueprints.md#the-three-lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Line {
    /// Between the customer's actions and the onstage contact staff.
    Interaction,
    /// Between what the customer sees (onstage) and what they do not (backstage).
    Visibility,
    /// Between the contact staff and the processes that support them.
    InternalInteraction,
}

impl Line {
    /// Top to bottom.
    pub const ALL: [Line; 3] = [Line::Interaction, Line::Visibility, Line::InternalInteraction];

    pub fn as_str(self) -> &'static str {
        match self {
            Line::Interaction => "interaction",
            Line::Visibility => "visibility",
            Line::InternalInteraction => "internal_interaction",
        }
    }

    /// The lanes above and below the line.
    pub fn between(self) -> (Lane, Lane) {
        match self {
            Line::Interaction => (Lane::CustomerActions, Lane::Onstage),
            Line::Visibility => (Lane::Onstage, Lane::Backstage),
            Line::InternalInteraction => (Lane::Backstage, Lane::Support),
        }
    }

    pub fn label(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Line::Interaction, Language::ZhCn) => "外部互动分界线",
            (Line::Interaction, Language::En) => "Line of interaction",
            (Line::Visibility, Language::ZhCn) => "可视分界线",
            (Line::Visibility, Language::En) => "Line of visibility",
            (Line::InternalInteraction, Language::ZhCn) => "内部互动分界线",
            (Line::InternalInteraction, Language::En) => "Line of internal interaction",
        }
    }
}

/// The SERVQUAL dimension codes a step may serve, with their English and Chinese names.
pub const DIMENSIONS: [(&str, &str, &str); 5] = [
    ("tangibles", "Tangibles", "有形性"),
    ("reliability", "Reliability", "可靠性"),
    ("responsiveness", "Responsiveness", "响应性"),
    ("assurance", "Assurance", "保证性"),
    ("empathy", "Empathy", "移情性"),
];

/// The name of a dimension code, `None` for an unknown code.
pub fn dimension_label(code: &str, lang: Language) -> Option<&'static str> {
    DIMENSIONS.iter().find(|d| d.0 == code).map(|d| match lang {
        Language::ZhCn => d.2,
        Language::En => d.1,
    })
}

/// The longest slug, in characters.
pub const SLUG_MAX: usize = 64;
/// The longest blueprint name, step title or checklist item, in characters.
pub const TEXT_MAX: usize = 200;
/// The most steps in one blueprint.
pub const STEPS_MAX: usize = 500;
/// The longest step id, in characters.
pub const STEP_ID_MAX: usize = 64;
/// The most checklist items on one step.
pub const CHECKLIST_MAX: usize = 50;
/// The longest standard time: a year, in minutes.
pub const STANDARD_MINUTES_MAX: u32 = 525_600;

/// One step of a blueprint (docs/blueprints.md#steps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// Unique in the blueprint; what `next` and the heat map name it by.
    pub id: String,
    pub title: String,
    pub title_zh: Option<String>,
    pub lane: Lane,
    /// Its column: steps with the same `order` are drawn one above the other.
    pub order: i64,
    /// A moment of truth: the customer meets the service here.
    pub touchpoint: bool,
    /// The service tends to go wrong here.
    pub failure_point: bool,
    /// The standard time for the step, in minutes.
    pub standard_minutes: Option<u32>,
    pub checklist: Vec<String>,
    /// The SERVQUAL dimension the step serves (a code of [`DIMENSIONS`]).
    pub dimension: Option<String>,
    /// The ids of the steps that follow this one (the arrows).
    pub next: Vec<String>,
}

impl Step {
    /// A plain step: no marks, no standard, no arrows.
    pub fn new(id: impl Into<String>, title: impl Into<String>, lane: Lane, order: i64) -> Step {
        Step {
            id: id.into(),
            title: title.into(),
            title_zh: None,
            lane,
            order,
            touchpoint: false,
            failure_point: false,
            standard_minutes: None,
            checklist: vec![],
            dimension: None,
            next: vec![],
        }
    }

    /// The title in `lang`; Chinese falls back to the English title.
    pub fn title(&self, lang: Language) -> &str {
        pick(&self.title, self.title_zh.as_deref(), lang)
    }
}

/// A service blueprint (docs/blueprints.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blueprint {
    /// Its identity across versions: importing a file with an existing slug makes a new version.
    pub slug: String,
    pub name: String,
    pub name_zh: Option<String>,
    pub steps: Vec<Step>,
}

impl Blueprint {
    /// The name in `lang`; Chinese falls back to the English name.
    pub fn name(&self, lang: Language) -> &str {
        pick(&self.name, self.name_zh.as_deref(), lang)
    }

    /// The step with this id (the first, should ids repeat in an unchecked blueprint).
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The steps in their canonical order: by lane top to bottom, then `order`, then id — the order
    /// of the file [`file::write`] writes.
    pub fn steps_in_order(&self) -> Vec<&Step> {
        let mut steps: Vec<&Step> = self.steps.iter().collect();
        steps.sort_by(|a, b| (a.lane, a.order, &a.id).cmp(&(b.lane, b.order, &b.id)));
        steps
    }

    /// Checks every rule of docs/blueprints.md#rules, reporting every broken one, with English
    /// messages.
    pub fn check(&self) -> Result<(), Invalid> {
        self.check_in(Language::En)
    }

    /// [`Blueprint::check`] with the messages in `lang`.
    pub fn check_in(&self, lang: Language) -> Result<(), Invalid> {
        let errors: Vec<FieldError> = problems(self)
            .into_iter()
            .map(|p| FieldError {
                field: p.field.name(),
                code: p.code,
                message: match lang {
                    Language::ZhCn => p.zh,
                    Language::En => p.en,
                },
            })
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid { errors })
        }
    }
}

fn pick<'a>(en: &'a str, zh: Option<&'a str>, lang: Language) -> &'a str {
    match (lang, zh) {
        (Language::ZhCn, Some(zh)) if !zh.trim().is_empty() => zh,
        _ => en,
    }
}

/// The ids of the steps of `new` that are unchanged from `old`: a step of `old` has the same id
/// and every field the same (`next` compared as a set, its order meaning nothing). In `new`'s
/// order. The figures of these steps carry across to the new version
/// (docs/blueprints.md#importing-a-new-version).
pub fn step_diff(old: &Blueprint, new: &Blueprint) -> Vec<String> {
    let old_steps: BTreeMap<&str, &Step> = old.steps.iter().rev().map(|s| (s.id.as_str(), s)).collect();
    fn next_set(s: &Step) -> BTreeSet<&str> {
        s.next.iter().map(String::as_str).collect()
    }
    new.steps
        .iter()
        .filter(|n| {
            old_steps.get(n.id.as_str()).is_some_and(|o| {
                o.title == n.title
                    && o.title_zh == n.title_zh
                    && o.lane == n.lane
                    && o.order == n.order
                    && o.touchpoint == n.touchpoint
                    && o.failure_point == n.failure_point
                    && o.standard_minutes == n.standard_minutes
                    && o.checklist == n.checklist
                    && o.dimension == n.dimension
                    && next_set(o) == next_set(n)
            })
        })
        .map(|s| s.id.clone())
        .collect()
}

/// Which field a broken rule is about: the web form names it ([`Field::name`]), the file reader
/// turns it into a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Field {
    Slug,
    Name,
    NameZh,
    Steps,
    Step(usize, StepField),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum StepField {
    /// The step as a whole (its `[[step]]` header in a file).
    Whole,
    Id,
    Title,
    TitleZh,
    Lane,
    Order,
    StandardMinutes,
    /// `None`: the list as a whole; `Some(j)`: its item `j`.
    Checklist(Option<usize>),
    Dimension,
    Next(Option<usize>),
}

impl Field {
    /// `slug`, `steps[3].title`, `steps[3].checklist[0]` (indexes from 0).
    pub(crate) fn name(self) -> String {
        match self {
            Field::Slug => "slug".into(),
            Field::Name => "name".into(),
            Field::NameZh => "name_zh".into(),
            Field::Steps => "steps".into(),
            Field::Step(i, f) => {
                let key = match f {
                    StepField::Whole => return format!("steps[{i}]"),
                    StepField::Id => "id",
                    StepField::Title => "title",
                    StepField::TitleZh => "title_zh",
                    StepField::Lane => "lane",
                    StepField::Order => "order",
                    StepField::StandardMinutes => "standard_minutes",
                    StepField::Checklist(Some(j)) => return format!("steps[{i}].checklist[{j}]"),
                    StepField::Checklist(None) => "checklist",
                    StepField::Dimension => "dimension",
                    StepField::Next(Some(j)) => return format!("steps[{i}].next[{j}]"),
                    StepField::Next(None) => "next",
                };
                format!("steps[{i}].{key}")
            }
        }
    }
}

/// One broken rule, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub field: Field,
    pub code: &'static str,
    pub en: String,
    pub zh: String,
}

impl Problem {
    pub(crate) fn new(field: Field, code: &'static str, en: impl Into<String>, zh: impl Into<String>) -> Problem {
        Problem {
            field,
            code,
            en: en.into(),
            zh: zh.into(),
        }
    }
}

/// `^[a-z0-9][a-z0-9-]{0,63}$`, and not only digits: as with surveys, a number names a
/// blueprint by its database id.
fn slug_ok(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= SLUG_MAX
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
        && !b.iter().all(u8::is_ascii_digit)
}

fn step_id_ok(s: &str) -> bool {
    (1..=STEP_ID_MAX).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

/// The problem with a standard time outside 1..=[`STANDARD_MINUTES_MAX`].
pub(crate) fn standard_minutes_problem(field: Field) -> Problem {
    Problem::new(
        field,
        "out_of_range",
        format!("standard_minutes is a whole number of minutes from 1 to {STANDARD_MINUTES_MAX}"),
        format!("standard_minutes（标准用时）须为 1 至 {STANDARD_MINUTES_MAX} 之间的整数分钟"),
    )
}

/// The rules for a required text (name, title, checklist item): not blank, at most
/// [`TEXT_MAX`] characters, no control characters.
fn text_problems(out: &mut Vec<Problem>, field: Field, what_en: &str, what_zh: &str, s: &str) {
    if s.trim().is_empty() {
        out.push(Problem::new(
            field,
            "required",
            format!("{what_en} is empty"),
            format!("{what_zh}不能为空"),
        ));
    } else if s.chars().count() > TEXT_MAX {
        out.push(Problem::new(
            field,
            "too_long",
            format!("{what_en} is longer than {TEXT_MAX} characters"),
            format!("{what_zh}超过 {TEXT_MAX} 个字符"),
        ));
    }
    if s.chars().any(char::is_control) {
        out.push(Problem::new(
            field,
            "control_chars",
            format!("{what_en} contains a control character (a tab, a line break, ...)"),
            format!("{what_zh}含有控制字符（制表符、换行等）"),
        ));
    }
}

/// Every rule of docs/blueprints.md#rules the blueprint breaks, in field order.
pub(crate) fn problems(bp: &Blueprint) -> Vec<Problem> {
    let mut out = Vec::new();
    if bp.slug.is_empty() {
        out.push(Problem::new(
            Field::Slug,
            "required",
            "the slug is empty",
            "标识（slug）不能为空",
        ));
    } else if !slug_ok(&bp.slug) {
        out.push(Problem::new(
            Field::Slug,
            "invalid_slug",
            format!(
                "the slug {:?} is not 1 to {SLUG_MAX} lower-case letters, digits and hyphens, starting with a letter or digit and not only digits",
                bp.slug
            ),
            format!(
                "标识 {:?} 须为 1 至 {SLUG_MAX} 个小写字母、数字或连字符，以字母或数字开头，且不能全是数字",
                bp.slug
            ),
        ));
    }
    text_problems(&mut out, Field::Name, "the name", "名称", &bp.name);
    if let Some(zh) = &bp.name_zh {
        text_problems(
            &mut out,
            Field::NameZh,
            "the Chinese name (name_zh)",
            "中文名称（name_zh）",
            zh,
        );
    }
    if bp.steps.is_empty() {
        out.push(Problem::new(
            Field::Steps,
            "required",
            "a blueprint has at least one step",
            "服务蓝图至少要有一个步骤",
        ));
    } else if bp.steps.len() > STEPS_MAX {
        out.push(Problem::new(
            Field::Steps,
            "too_many",
            format!(
                "a blueprint has at most {STEPS_MAX} steps; this one has {}",
                bp.steps.len()
            ),
            format!("服务蓝图最多 {STEPS_MAX} 个步骤，这里有 {} 个", bp.steps.len()),
        ));
    }
    let ids: BTreeSet<&str> = bp.steps.iter().map(|s| s.id.as_str()).collect();
    let mut seen = BTreeSet::new();
    for (i, s) in bp.steps.iter().enumerate() {
        let f = |sf| Field::Step(i, sf);
        if !step_id_ok(&s.id) {
            out.push(Problem::new(
                f(StepField::Id),
                if s.id.is_empty() { "required" } else { "invalid_step_id" },
                format!(
                    "the step id {:?} is not 1 to {STEP_ID_MAX} letters, digits, '_' or '-'",
                    s.id
                ),
                format!("步骤编号 {:?} 须为 1 至 {STEP_ID_MAX} 个字母、数字、“_”或“-”", s.id),
            ));
        } else if !seen.insert(s.id.as_str()) {
            out.push(Problem::new(
                f(StepField::Id),
                "duplicate",
                format!("the step id {:?} is used twice", s.id),
                format!("步骤编号 {:?} 重复", s.id),
            ));
        }
        text_problems(&mut out, f(StepField::Title), "the title", "步骤名称", &s.title);
        if let Some(zh) = &s.title_zh {
            text_problems(
                &mut out,
                f(StepField::TitleZh),
                "the Chinese title (title_zh)",
                "中文名称（title_zh）",
                zh,
            );
        }
        if s.standard_minutes
            .is_some_and(|m| !(1..=STANDARD_MINUTES_MAX).contains(&m))
        {
            out.push(standard_minutes_problem(f(StepField::StandardMinutes)));
        }
        if s.checklist.len() > CHECKLIST_MAX {
            out.push(Problem::new(
                f(StepField::Checklist(None)),
                "too_many",
                format!(
                    "a checklist has at most {CHECKLIST_MAX} items; this one has {}",
                    s.checklist.len()
                ),
                format!("检查清单最多 {CHECKLIST_MAX} 项，这里有 {} 项", s.checklist.len()),
            ));
        }
        for (j, item) in s.checklist.iter().enumerate() {
            text_problems(
                &mut out,
                f(StepField::Checklist(Some(j))),
                "a checklist item",
                "检查清单项",
                item,
            );
        }
        if let Some(d) = &s.dimension
            && dimension_label(d, Language::En).is_none()
        {
            out.push(Problem::new(
                f(StepField::Dimension),
                "unknown_dimension",
                format!(
                    "unknown dimension {d:?}: use tangibles, reliability, responsiveness, assurance or empathy"
                ),
                format!(
                    "未知的质量维度 {d:?}：可用 tangibles（有形性）、reliability（可靠性）、responsiveness（响应性）、assurance（保证性）、empathy（移情性）"
                ),
            ));
        }
        let mut targets = BTreeSet::new();
        for (j, n) in s.next.iter().enumerate() {
            let field = f(StepField::Next(Some(j)));
            if *n == s.id {
                out.push(Problem::new(
                    field,
                    "self_loop",
                    format!("step {:?} names itself in next", s.id),
                    format!("步骤 {:?} 的 next 指向了自己", s.id),
                ));
            } else if !ids.contains(n.as_str()) {
                out.push(Problem::new(
                    field,
                    "unknown_next",
                    format!("step {:?} leads to {n:?}, which is not a step of this blueprint", s.id),
                    format!("步骤 {:?} 的 next 指向的 {n:?} 不是本蓝图中的步骤", s.id),
                ));
            } else if !targets.insert(n.as_str()) {
                out.push(Problem::new(
                    field,
                    "duplicate",
                    format!("step {:?} names {n:?} twice in next", s.id),
                    format!("步骤 {:?} 的 next 重复列出了 {n:?}", s.id),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn step(id: &str, lane: Lane, order: i64) -> Step {
        Step::new(id, format!("Step {id}"), lane, order)
    }

    pub(crate) fn sample() -> Blueprint {
        let mut a = step("a", Lane::CustomerActions, 1);
        a.touchpoint = true;
        a.next = vec!["b".into()];
        let mut b = step("b", Lane::Onstage, 2);
        b.title_zh = Some("接待".into());
        b.failure_point = true;
        b.standard_minutes = Some(5);
        b.checklist = vec!["Smile".into(), "核对地址".into()];
        b.dimension = Some("responsiveness".into());
        b.next = vec!["c".into()];
        let c = step("c", Lane::Support, 2);
        Blueprint {
            slug: "sample".into(),
            name: "Sample".into(),
            name_zh: Some("样例".into()),
            steps: vec![a, b, c],
        }
    }

    fn errors(bp: &Blueprint) -> Vec<(String, &'static str)> {
        match bp.check() {
            Ok(()) => vec![],
            Err(e) => e.errors.into_iter().map(|e| (e.field, e.code)).collect(),
        }
    }

    fn one(bp: &Blueprint, field: &str, code: &str) {
        let e = errors(bp);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!((e[0].0.as_str(), e[0].1), (field, code));
    }

    #[test]
    fn lanes_and_lines() {
        for (i, l) in Lane::ALL.into_iter().enumerate() {
            assert_eq!(Lane::parse(l.as_str()), Some(l));
            assert_eq!(l.index(), i);
            assert_eq!(serde_json::to_value(l).unwrap(), l.as_str());
        }
        assert_eq!(Lane::parse("Onstage"), None);
        assert_eq!(Lane::parse(""), None);
        assert_eq!(Lane::Onstage.label(Language::ZhCn), "前台接触员工行为");
        assert_eq!(Lane::Support.label(Language::En), "Support processes");
        assert_eq!(Lane::PhysicalEvidence.line_below(), None);
        assert_eq!(Lane::CustomerActions.line_below(), Some(Line::Interaction));
        assert_eq!(Lane::Onstage.line_below(), Some(Line::Visibility));
        assert_eq!(Lane::Backstage.line_below(), Some(Line::InternalInteraction));
        assert_eq!(Lane::Support.line_below(), None);
        assert_eq!(Line::Visibility.label(Language::ZhCn), "可视分界线");
        assert_eq!(Line::Interaction.label(Language::ZhCn), "外部互动分界线");
        assert_eq!(Line::InternalInteraction.label(Language::ZhCn), "内部互动分界线");
        assert_eq!(dimension_label("empathy", Language::ZhCn), Some("移情性"));
        assert_eq!(dimension_label("Empathy", Language::En), None);
    }

    #[test]
    fn titles_fall_back_to_english() {
        let bp = sample();
        assert_eq!(bp.name(Language::ZhCn), "样例");
        assert_eq!(bp.name(Language::En), "Sample");
        assert_eq!(bp.steps[1].title(Language::ZhCn), "接待");
        assert_eq!(bp.steps[0].title(Language::ZhCn), "Step a");
        let mut s = bp.steps[1].clone();
        s.title_zh = Some("  ".into());
        assert_eq!(s.title(Language::ZhCn), "Step b");
    }

    #[test]
    fn a_good_blueprint_passes() {
        assert_eq!(errors(&sample()), vec![]);
        let mut bp = sample();
        bp.slug = format!("2026-{}", "a".repeat(59));
        bp.name = "名".repeat(200);
        bp.steps[0].id = "A_b-9".repeat(12);
        bp.steps[0].next = vec!["b".into(), "c".into()];
        bp.steps[1].standard_minutes = Some(STANDARD_MINUTES_MAX);
        bp.steps[1].checklist = vec!["x".repeat(200); 50];
        bp.steps[2].standard_minutes = Some(1);
        assert_eq!(errors(&bp), vec![]);
        for d in DIMENSIONS {
            bp.steps[2].dimension = Some(d.0.into());
            assert_eq!(errors(&bp), vec![]);
        }
    }

    #[test]
    fn the_slug_and_name_are_checked() {
        for bad in ["", "-a", "A", "a_b", "a b", "é", "2026", &"a".repeat(65)] {
            let mut bp = sample();
            bp.slug = bad.into();
            one(&bp, "slug", if bad.is_empty() { "required" } else { "invalid_slug" });
        }
        let mut bp = sample();
        bp.name = " ".into();
        one(&bp, "name", "required");
        bp.name = "x".repeat(201);
        one(&bp, "name", "too_long");
        bp.name = "a\nb".into();
        one(&bp, "name", "control_chars");
        let mut bp = sample();
        bp.name_zh = Some(String::new());
        one(&bp, "name_zh", "required");
    }

    #[test]
    fn the_steps_are_counted() {
        let mut bp = sample();
        bp.steps.clear();
        one(&bp, "steps", "required");
        bp.steps = (0..501).map(|i| step(&format!("s{i}"), Lane::Onstage, i)).collect();
        one(&bp, "steps", "too_many");
        bp.steps.pop();
        assert_eq!(errors(&bp), vec![]);
    }

    #[test]
    fn every_step_rule_is_checked() {
        type Change = fn(&mut Step);
        let cases: &[(Change, &str, &str)] = &[
            (|s| s.id = String::new(), "steps[1].id", "required"),
            (|s| s.id = "a b".into(), "steps[1].id", "invalid_step_id"),
            (|s| s.id = "步骤".into(), "steps[1].id", "invalid_step_id"),
            (|s| s.id = "x".repeat(65), "steps[1].id", "invalid_step_id"),
            (|s| s.title = String::new(), "steps[1].title", "required"),
            (|s| s.title = "t".repeat(201), "steps[1].title", "too_long"),
            (|s| s.title = "a\tb".into(), "steps[1].title", "control_chars"),
            (|s| s.title_zh = Some(" ".into()), "steps[1].title_zh", "required"),
            (
                |s| s.standard_minutes = Some(0),
                "steps[1].standard_minutes",
                "out_of_range",
            ),
            (
                |s| s.standard_minutes = Some(STANDARD_MINUTES_MAX + 1),
                "steps[1].standard_minutes",
                "out_of_range",
            ),
            (|s| s.checklist = vec!["x".into(); 51], "steps[1].checklist", "too_many"),
            (|s| s.checklist[1] = String::new(), "steps[1].checklist[1]", "required"),
            (
                |s| s.checklist[0] = "c".repeat(201),
                "steps[1].checklist[0]",
                "too_long",
            ),
            (
                |s| s.dimension = Some("speed".into()),
                "steps[1].dimension",
                "unknown_dimension",
            ),
            (|s| s.next = vec!["b".into()], "steps[1].next[0]", "self_loop"),
            (
                |s| s.next = vec!["c".into(), "zz".into()],
                "steps[1].next[1]",
                "unknown_next",
            ),
            (
                |s| s.next = vec!["c".into(), "a".into(), "c".into()],
                "steps[1].next[2]",
                "duplicate",
            ),
        ];
        for (change, field, code) in cases {
            let mut bp = sample();
            // The dangling arrow from "a" to "b" would be a second error when b's id changes.
            bp.steps[0].next.clear();
            change(&mut bp.steps[1]);
            one(&bp, field, code);
        }
        let mut bp = sample();
        bp.steps[1].next.clear();
        bp.steps[2].id = "a".into();
        one(&bp, "steps[2].id", "duplicate");
    }

    #[test]
    fn every_problem_is_reported_in_both_languages() {
        let mut bp = sample();
        bp.slug = "Bad".into();
        bp.name = String::new();
        bp.steps[1].dimension = Some("x".into());
        bp.steps[2].next = vec!["nowhere".into()];
        let en = bp.check().unwrap_err();
        assert_eq!(en.errors.len(), 4);
        let zh = bp.check_in(Language::ZhCn).unwrap_err();
        assert_eq!(zh.errors.len(), 4);
        assert!(zh.errors[3].message.contains("不是本蓝图中的步骤"), "{zh:?}");
        assert!(en.errors[3].message.contains("not a step of this blueprint"));
        assert_eq!(en.errors[3].field, "steps[2].next[0]");
    }

    #[test]
    fn steps_in_order_sort_by_lane_order_and_id() {
        let mut bp = sample();
        bp.steps.push(step("0", Lane::Support, 2));
        bp.steps.push(step("pe", Lane::PhysicalEvidence, 9));
        let ids: Vec<&str> = bp.steps_in_order().iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["pe", "a", "b", "0", "c"]);
    }

    #[test]
    fn step_diff_keeps_the_unchanged_steps() {
        let old = sample();
        assert_eq!(step_diff(&old, &old), ["a", "b", "c"]);
        let mut new = sample();
        new.steps.reverse();
        new.steps[0].title = "Changed".into(); // c
        new.steps[1].next = vec!["c".into(), "c".into()]; // b: the set is unchanged
        new.steps[1].checklist.reverse(); // b: a checklist's order counts
        new.steps.push(step("d", Lane::Backstage, 3));
        assert_eq!(step_diff(&old, &new), ["a"]);
        let mut new = sample();
        new.steps[0].touchpoint = false;
        new.steps[2].lane = Lane::Backstage;
        assert_eq!(step_diff(&old, &new), ["b"]);
        let mut new = sample();
        new.steps[1].order = 3;
        new.steps[2].standard_minutes = Some(1);
        new.steps[0].title_zh = Some("到".into());
        assert_eq!(step_diff(&old, &new), Vec::<String>::new());
        let mut new = sample();
        new.steps[1].failure_point = false;
        new.steps[0].next.push("c".into());
        new.steps[2].dimension = Some("empathy".into());
        assert_eq!(step_diff(&old, &new), Vec::<String>::new());
        let empty = Blueprint {
            steps: vec![],
            ..sample()
        };
        assert_eq!(step_diff(&empty, &old), Vec::<String>::new());
        assert_eq!(step_diff(&old, &empty), Vec::<String>::new());
    }
}
