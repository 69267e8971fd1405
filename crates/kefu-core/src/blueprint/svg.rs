//! The blueprint diagram as SVG (docs/blueprints.md#the-diagram), written by hand: the five lanes
//! as bands with their names at the left, the three lines dashed between them, each step a
//! rounded box in its lane and in the column of its `order`, arrows for `next`, badges for the
//! moments of truth and the failure points, and a legend. With a [`HeatMap`] each box is shaded
//! by the step's complaints ([`heat_levels`]) and shows their number.
//!
//! The output is accessible (`role="img"`, a `<title>` and a `<desc>`, a `<title>` on every step)
//! and self-contained: presentation attributes only, no `<style>` that would leak into the page
//! it is inlined in. Its `viewBox` lets it scale to any width (`width: 100%; height: auto`); its
//! own size is at least an A4 landscape page at 96 px per inch.

use super::{Blueprint, Lane, Line, Step, dimension_label};
use crate::Language;
use crate::text::xml_text;
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub use super::heat::{HeatLegend, HeatLevel, HeatMap, HeatRule, StepFigures, StepHeat, heat_levels, heat_rule};

/// The fonts asked for, Chinese first so Chinese titles never fall back to a Latin font's
/// fallback.
pub const FONT_FAMILY: &str =
    "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif";

// The layout, in px (user units).
const PAGE_W: i64 = 1123; // A4 landscape at 96 px/in
const MARGIN: i64 = 16;
const HEADER_H: i64 = 36;
const LABEL_W: i64 = 132;
const COL_MIN: i64 = 150;
const COL_MAX: i64 = 220;
const BOX_H: i64 = 80;
const BOX_GAP: i64 = 18;
const LANE_PAD: i64 = 18;
const LINE_GAP: i64 = 26;
const PLAIN_GAP: i64 = 6;
const TITLE_FS: i64 = 13;
const TITLE_LH: i64 = 16;
const SMALL_FS: i64 = 11;
const TITLE_LINES: usize = 3;
const LEGEND_ROW: i64 = 26;
const INK: &str = "#0f172a";
const FLOW: &str = "#475569";
const TOUCHPOINT: &str = "#b45309";
const FAILURE: &str = "#dc2626";

fn lane_colours(lane: Lane) -> (&'static str, &'static str) {
    match lane {
        Lane::PhysicalEvidence => ("#f8fafc", "#e2e8f0"),
        Lane::CustomerActions => ("#eff6ff", "#dbeafe"),
        Lane::Onstage => ("#f0fdf4", "#dcfce7"),
        Lane::Backstage => ("#fefce8", "#fef3c7"),
        Lane::Support => ("#f5f3ff", "#ede9fe"),
    }
}

#[derive(Clone, Copy)]
struct BoxAt {
    x: i64,
    y: i64,
    w: i64,
    col: usize,
}

impl BoxAt {
    fn cx(self) -> i64 {
        self.x + self.w / 2
    }
    fn cy(self) -> i64 {
        self.y + BOX_H / 2
    }
}

fn en_zh(lang: Language, en: impl Into<String>, zh: impl Into<String>) -> String {
    match lang {
        Language::En => en.into(),
        Language::ZhCn => zh.into(),
    }
}

fn minutes(m: u32, lang: Language) -> String {
    match lang {
        Language::En if m.is_multiple_of(1440) => format!("{} d", m / 1440),
        Language::En if m.is_multiple_of(60) => format!("{} h", m / 60),
        Language::En => format!("{m} min"),
        Language::ZhCn if m.is_multiple_of(1440) => format!("{} 天", m / 1440),
        Language::ZhCn if m.is_multiple_of(60) => format!("{} 小时", m / 60),
        Language::ZhCn => format!("{m} 分钟"),
    }
}

fn percent(v: Option<f64>) -> Option<String> {
    v.filter(|v| v.is_finite())
        .map(|v| format!("{:.0}%", v.clamp(0.0, 1.0) * 100.0))
}

/// Draws the blueprint in `lang`, shaded by `heat` when given.
pub fn render(bp: &Blueprint, lang: Language, heat: Option<&HeatMap>) -> String {
    let steps = bp.steps_in_order();
    let mut orders: Vec<i64> = steps.iter().map(|s| s.order).collect();
    orders.sort_unstable();
    orders.dedup();
    let cols = orders.len().max(1) as i64;
    let col_w = ((PAGE_W - 2 * MARGIN - LABEL_W) / cols).clamp(COL_MIN, COL_MAX);
    let width = (2 * MARGIN + LABEL_W + cols * col_w).max(PAGE_W);
    let box_w = col_w - 20;
    let right = width - MARGIN;

    // The cells: the steps of a lane in a column, by id.
    let mut cells: BTreeMap<(Lane, usize), Vec<&Step>> = BTreeMap::new();
    for s in &steps {
        let col = orders.binary_search(&s.order).unwrap_or(0);
        cells.entry((s.lane, col)).or_default().push(s);
    }
    let stack = |lane: Lane| {
        cells
            .iter()
            .filter(|((l, _), _)| *l == lane)
            .map(|(_, v)| v.len() as i64)
            .max()
            .unwrap_or(1)
    };
    let mut lane_top = [0i64; 5];
    let mut lane_h = [0i64; 5];
    let mut line_y: Vec<(Line, i64)> = Vec::new();
    let mut y = MARGIN + HEADER_H;
    for lane in Lane::ALL {
        let n = stack(lane);
        lane_top[lane.index()] = y;
        lane_h[lane.index()] = 2 * LANE_PAD + n * BOX_H + (n - 1) * BOX_GAP;
        y += lane_h[lane.index()];
        if let Some(line) = lane.line_below() {
            line_y.push((line, y + LINE_GAP / 2));
            y += LINE_GAP;
        } else if lane != Lane::Support {
            y += PLAIN_GAP;
        }
    }
    let lanes_bottom = y;
    let mut at: BTreeMap<&str, BoxAt> = BTreeMap::new();
    for (&(lane, col), cell) in &cells {
        let n = cell.len() as i64;
        let offset = (stack(lane) - n) * (BOX_H + BOX_GAP) / 2;
        for (k, s) in cell.iter().enumerate() {
            at.entry(s.id.as_str()).or_insert(BoxAt {
                x: MARGIN + LABEL_W + col as i64 * col_w + (col_w - box_w) / 2,
                y: lane_top[lane.index()] + LANE_PAD + offset + k as i64 * (BOX_H + BOX_GAP),
                w: box_w,
                col,
            });
        }
    }

    let legend = legend_items(lang, heat);
    let legend_rows = legend_layout(&legend, width - 2 * MARGIN, lang);
    let legend_top = lanes_bottom + 16;
    let height = legend_top + LEGEND_ROW * (legend_rows.len() as i64 + 1) + MARGIN;

    let pfx = id_prefix(&bp.slug);
    let name = bp.name(lang);
    let touchpoints = steps.iter().filter(|s| s.touchpoint).count();
    let failures = steps.iter().filter(|s| s.failure_point).count();
    let mut o = String::with_capacity(16 * 1024 + steps.len() * 1500);
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="blueprint" data-blueprint="{slug}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" preserveAspectRatio="xMinYMin meet" role="img" aria-labelledby="{pfx}-title {pfx}-desc" font-family="{FONT_FAMILY}" lang="{lang}">"#,
        slug = xml_text(&bp.slug),
        lang = lang.code(),
    );
    let _ = write!(
        o,
        r#"<title id="{pfx}-title">{}</title>"#,
        xml_text(&en_zh(
            lang,
            format!("Service blueprint: {name}"),
            format!("服务蓝图：{name}")
        ))
    );
    let desc = en_zh(
        lang,
        format!(
            "{} steps in five lanes (physical evidence, customer actions, onstage contact, backstage contact, support processes) divided by the lines of interaction, visibility and internal interaction; {touchpoints} moments of truth and {failures} failure points. Arrows show the flow from step to step.{}",
            steps.len(),
            if heat.is_some() {
                " Steps are shaded by their number of complaints."
            } else {
                ""
            }
        ),
        format!(
            "共 {} 个步骤，分布在有形展示、顾客行为、前台接触员工行为、后台接触员工行为、支持过程五个泳道，由外部互动分界线、可视分界线和内部互动分界线分隔；关键时刻 {touchpoints} 个，失败点 {failures} 个。箭头表示步骤之间的流程。{}",
            steps.len(),
            if heat.is_some() {
                "步骤按投诉数着色。"
            } else {
                ""
            }
        ),
    );
    let _ = write!(o, r#"<desc id="{pfx}-desc">{}</desc>"#, xml_text(&desc));
    let _ = write!(
        o,
        r#"<defs><marker id="{pfx}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{FLOW}"/></marker></defs>"#
    );
    let _ = write!(o, r##"<rect width="{width}" height="{height}" fill="#ffffff"/>"##);
    let _ = write!(
        o,
        r#"<text class="heading" x="{MARGIN}" y="{}" font-size="17" font-weight="700" fill="{INK}">{}</text>"#,
        MARGIN + 20,
        xml_text(&en_zh(
            lang,
            format!("Service blueprint: {name}"),
            format!("服务蓝图：{name}")
        ))
    );

    // Lanes.
    for lane in Lane::ALL {
        let (band, label_bg) = lane_colours(lane);
        let (top, h) = (lane_top[lane.index()], lane_h[lane.index()]);
        let _ = write!(
            o,
            r#"<g class="lane" data-lane="{}"><rect x="{MARGIN}" y="{top}" width="{}" height="{h}" fill="{band}"/><rect x="{MARGIN}" y="{top}" width="{LABEL_W}" height="{h}" fill="{label_bg}"/>"#,
            lane.as_str(),
            right - MARGIN,
        );
        let lines = wrap(lane.label(lang), (LABEL_W - 20) as f64, TITLE_FS as f64 * 1.05, 3);
        text_lines(
            &mut o,
            &lines,
            MARGIN + 10,
            top + h / 2,
            TITLE_FS + 4,
            "start",
            r#"font-size="13" font-weight="700""#,
        );
        o.push_str("</g>");
    }
    // Lines.
    for (line, ly) in &line_y {
        let label = line.label(lang);
        let label_w = text_width(label, SMALL_FS as f64).ceil() as i64;
        let end = right - label_w - 10;
        let _ = write!(
            o,
            r##"<g class="line" data-line="{}"><line x1="{MARGIN}" y1="{ly}" x2="{end}" y2="{ly}" stroke="{FLOW}" stroke-width="1.5" stroke-dasharray="7 5"/><text x="{right}" y="{}" font-size="{SMALL_FS}" text-anchor="end" fill="#334155">{}</text></g>"##,
            line.as_str(),
            ly + 4,
            xml_text(label)
        );
    }
    // Flows, under the boxes.
    let _ = write!(o, r#"<g class="flows" fill="none" stroke="{FLOW}" stroke-width="1.5">"#);
    for s in &steps {
        let Some(&a) = at.get(s.id.as_str()) else { continue };
        for n in &s.next {
            let Some(&b) = at.get(n.as_str()) else { continue };
            if n == &s.id {
                continue;
            }
            let _ = write!(
                o,
                r#"<path class="flow" data-from="{}" data-to="{}" d="{}" marker-end="url(#{pfx}-arrow)"/>"#,
                xml_text(&s.id),
                xml_text(n),
                flow_path(a, b)
            );
        }
    }
    o.push_str("</g>");
    // Steps.
    for s in &steps {
        let Some(&b) = at.get(s.id.as_str()) else { continue };
        step_svg(&mut o, bp, s, b, lang, heat.and_then(|h| h.steps.get(&s.id)));
    }
    // Legend.
    let _ = write!(o, r#"<g class="legend" font-size="{SMALL_FS}" fill="{INK}">"#);
    let _ = write!(
        o,
        r#"<text x="{MARGIN}" y="{}" font-size="12" font-weight="700">{}</text>"#,
        legend_top + 16,
        en_zh(lang, "Legend", "图例")
    );
    for (r, row) in legend_rows.iter().enumerate() {
        let cy = legend_top + LEGEND_ROW * (r as i64 + 1) + 12;
        let mut x = MARGIN;
        for &i in row {
            legend_item(&mut o, &legend[i], x, cy, &pfx, lang);
            x += legend[i].width(lang);
        }
    }
    o.push_str("</g></svg>");
    o
}

/// A prefix for the ids in the SVG, unique per blueprint so two diagrams on one page do not
/// share a marker by accident.
fn id_prefix(slug: &str) -> String {
    let clean: String = slug
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    format!("bp-{clean}")
}

fn flow_path(a: BoxAt, b: BoxAt) -> String {
    if b.col > a.col {
        // Right side to left side.
        let (sx, sy, ex, ey) = (a.x + a.w, a.cy(), b.x, b.cy());
        let dx = (ex - sx) / 2;
        format!("M{sx},{sy} C{},{sy} {},{ey} {ex},{ey}", sx + dx, ex - dx)
    } else if b.col == a.col {
        // Straight up or down, a little aside so arrows both ways do not overlap.
        if b.y > a.y {
            let x = a.cx() + 8;
            format!("M{x},{} L{x},{}", a.y + BOX_H, b.y)
        } else {
            let x = a.cx() - 8;
            format!("M{x},{} L{x},{}", a.y, b.y + BOX_H)
        }
    } else {
        // Back to an earlier column: out of the bottom, round below both boxes, into the bottom.
        let (sx, sy, ex, ey) = (a.cx(), a.y + BOX_H, b.cx(), b.y + BOX_H);
        let low = sy.max(ey) + 36;
        format!("M{sx},{sy} C{sx},{low} {ex},{low} {ex},{ey}")
    }
}

fn step_svg(o: &mut String, bp: &Blueprint, s: &Step, b: BoxAt, lang: Language, heat: Option<&StepHeat>) {
    let mut class = String::from("step");
    if let Some(h) = heat {
        let _ = write!(class, " heat-{}", h.level.as_str());
    }
    let _ = write!(
        o,
        r#"<g class="{class}" data-step="{}" data-lane="{}""#,
        xml_text(&s.id),
        s.lane.as_str()
    );
    if let Some(h) = heat {
        let _ = write!(o, r#" data-complaints="{}""#, h.complaints);
        if let Some(v) = h.satisfaction.filter(|v| v.is_finite()) {
            let _ = write!(o, r#" data-satisfaction="{v:.4}""#);
        }
        if let Some(v) = h.attainment.filter(|v| v.is_finite()) {
            let _ = write!(o, r#" data-attainment="{v:.4}""#);
        }
    }
    o.push('>');
    let _ = write!(o, "<title>{}</title>", xml_text(&step_description(bp, s, lang, heat)));
    let (fill, stroke) = heat.map_or(("#ffffff", "#64748b"), |h| h.level.colours());
    let stroke_w = if heat.is_some_and(|h| h.level == HeatLevel::Hot) {
        2.5
    } else {
        1.5
    };
    let _ = write!(
        o,
        r#"<rect x="{}" y="{}" width="{}" height="{BOX_H}" rx="8" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_w}"/>"#,
        b.x, b.y, b.w
    );
    let bottom_row = heat.is_some() || s.standard_minutes.is_some();
    // Three lines above the bottom row, four without one.
    let max_lines = if bottom_row { TITLE_LINES } else { TITLE_LINES + 1 };
    let title = wrap(s.title(lang), (b.w - 12) as f64, TITLE_FS as f64, max_lines);
    let mid = if bottom_row { b.y + 6 + 28 } else { b.cy() };
    text_lines(o, &title, b.cx(), mid, TITLE_LH, "middle", r#"font-size="13""#);
    let base = b.y + BOX_H - 7;
    if let Some(h) = heat {
        let n = h.complaints.to_string();
        let w = text_width(&n, SMALL_FS as f64).ceil() as i64 + 12;
        let _ = write!(
            o,
            r##"<g class="complaints"><rect x="{}" y="{}" width="{w}" height="15" rx="7.5" fill="{stroke}"/><text x="{}" y="{}" font-size="{SMALL_FS}" font-weight="700" text-anchor="middle" fill="#ffffff">{n}</text></g>"##,
            b.x + 7,
            base - 11,
            b.x + 7 + w / 2,
            base
        );
    }
    if let Some(m) = s.standard_minutes {
        let _ = write!(
            o,
            r##"<text class="standard" x="{}" y="{base}" font-size="{SMALL_FS}" text-anchor="end" fill="#334155">≤ {}</text>"##,
            b.x + b.w - 8,
            xml_text(&minutes(m, lang))
        );
    }
    if s.touchpoint {
        touchpoint_badge(o, "badge touchpoint", b.x + 8, b.y - 9, lang);
    }
    if s.failure_point {
        failure_badge(o, "badge failure", b.x + b.w - 10, b.y);
    }
    o.push_str("</g>");
}

fn touchpoint_text(lang: Language) -> &'static str {
    match lang {
        Language::En => "★ MOT",
        Language::ZhCn => "★ 关键时刻",
    }
}

/// The moment-of-truth pill, its top left corner at (x, y).
fn touchpoint_badge(o: &mut String, class: &str, x: i64, y: i64, lang: Language) {
    let text = touchpoint_text(lang);
    let w = (text_width(text, 10.0) * 1.05).ceil() as i64 + 12;
    let _ = write!(
        o,
        r##"<g class="{class}"><rect x="{x}" y="{y}" width="{w}" height="18" rx="9" fill="{TOUCHPOINT}"/><text x="{}" y="{}" font-size="10" font-weight="700" text-anchor="middle" fill="#ffffff">{text}</text></g>"##,
        x + w / 2,
        y + 13
    );
}

/// The failure-point badge centred on (cx, cy).
fn failure_badge(o: &mut String, class: &str, cx: i64, cy: i64) {
    let _ = write!(
        o,
        r##"<g class="{class}"><circle cx="{cx}" cy="{cy}" r="9" fill="{FAILURE}" stroke="#ffffff" stroke-width="1.5"/><text x="{cx}" y="{}" font-size="11" font-weight="700" text-anchor="middle" fill="#ffffff">F</text></g>"##,
        cy + 4
    );
}

/// What a screen reader (and a hovering mouse) is told of a step.
fn step_description(bp: &Blueprint, s: &Step, lang: Language, heat: Option<&StepHeat>) -> String {
    let mut parts = vec![s.title(lang).to_owned(), s.lane.label(lang).to_owned()];
    if s.touchpoint {
        parts.push(en_zh(lang, "moment of truth", "关键时刻"));
    }
    if s.failure_point {
        parts.push(en_zh(lang, "failure point", "失败点"));
    }
    if let Some(m) = s.standard_minutes {
        parts.push(en_zh(
            lang,
            format!("standard {}", minutes(m, lang)),
            format!("标准用时 {}", minutes(m, lang)),
        ));
    }
    if let Some(d) = s.dimension.as_deref() {
        let label = dimension_label(d, lang).unwrap_or(d);
        parts.push(en_zh(lang, format!("dimension: {label}"), format!("质量维度：{label}")));
    }
    if !s.checklist.is_empty() {
        parts.push(en_zh(
            lang,
            format!("checklist: {}", s.checklist.join(", ")),
            format!("检查清单：{}", s.checklist.join("，")),
        ));
    }
    if let Some(h) = heat {
        parts.push(en_zh(
            lang,
            format!("{} complaint{}", h.complaints, if h.complaints == 1 { "" } else { "s" }),
            format!("投诉 {} 件", h.complaints),
        ));
        if let Some(p) = percent(h.satisfaction) {
            parts.push(en_zh(lang, format!("satisfaction {p}"), format!("满意度 {p}")));
        }
        if let Some(p) = percent(h.attainment) {
            parts.push(en_zh(lang, format!("standards met {p}"), format!("达标率 {p}")));
        }
        parts.push(en_zh(
            lang,
            format!("heat: {}", h.level.label(lang)),
            format!("热度：{}", h.level.label(lang)),
        ));
    }
    let next: Vec<&str> = s
        .next
        .iter()
        .filter_map(|n| bp.step(n))
        .map(|n| n.title(lang))
        .collect();
    if !next.is_empty() {
        parts.push(en_zh(
            lang,
            format!("next: {}", next.join(", ")),
            format!("下一步：{}", next.join("，")),
        ));
    }
    match lang {
        Language::En => parts.join("; "),
        Language::ZhCn => parts.join("；"),
    }
}

/// Lines of text centred vertically on `mid`.
fn text_lines(o: &mut String, lines: &[String], x: i64, mid: i64, lh: i64, anchor: &str, attrs: &str) {
    let n = lines.len() as i64;
    let first = mid - (n - 1) * lh / 2 + 4;
    let _ = write!(
        o,
        r#"<text x="{x}" y="{first}" {attrs} text-anchor="{anchor}" fill="{INK}">"#
    );
    for (i, l) in lines.iter().enumerate() {
        let _ = write!(
            o,
            r#"<tspan x="{x}" y="{}">{}</tspan>"#,
            first + i as i64 * lh,
            xml_text(l)
        );
    }
    o.push_str("</text>");
}

enum Symbol {
    Touchpoint,
    Failure,
    Flow,
    Standard(String),
    Complaints,
    Heat(HeatLevel),
    /// Text alone (the caption).
    Text,
}

struct LegendItem {
    symbol: Symbol,
    text: String,
    /// Starts a new row (the heat map's items keep together).
    new_row: bool,
}

impl LegendItem {
    fn symbol_width(&self, lang: Language) -> i64 {
        match &self.symbol {
            Symbol::Touchpoint => (text_width(touchpoint_text(lang), 10.0) * 1.05).ceil() as i64 + 12,
            Symbol::Failure => 18,
            Symbol::Flow => 30,
            Symbol::Standard(s) => text_width(s, SMALL_FS as f64).ceil() as i64,
            Symbol::Complaints => 24,
            Symbol::Heat(_) => 22,
            Symbol::Text => -6,
        }
    }

    fn width(&self, lang: Language) -> i64 {
        self.symbol_width(lang) + 8 + text_width(&self.text, SMALL_FS as f64).ceil() as i64 + 22
    }
}

fn legend_items(lang: Language, heat: Option<&HeatMap>) -> Vec<LegendItem> {
    let item = |symbol, en: &str, zh: &str| LegendItem {
        symbol,
        text: en_zh(lang, en, zh),
        new_row: false,
    };
    let mut items = vec![
        item(
            Symbol::Touchpoint,
            "Moment of truth: the customer meets the service",
            "关键时刻：顾客与服务接触之处",
        ),
        item(
            Symbol::Failure,
            "Failure point: where the service tends to go wrong",
            "失败点：服务容易出错之处",
        ),
        item(Symbol::Flow, "Flow to the next step", "流程走向"),
        item(
            Symbol::Standard(format!("≤ {}", minutes(30, lang))),
            "Standard time",
            "标准用时",
        ),
    ];
    if let Some(h) = heat {
        if let Some(c) = h.legend.caption.as_deref().filter(|c| !c.trim().is_empty()) {
            items.push(LegendItem {
                symbol: Symbol::Text,
                text: c.to_owned(),
                new_row: false,
            });
        }
        items.push(item(Symbol::Complaints, "Complaints about the step", "该步骤的投诉数"));
        let first_heat = items
            .iter()
            .position(|i| matches!(i.symbol, Symbol::Text | Symbol::Complaints));
        if let Some(i) = first_heat {
            items[i].new_row = true;
        }
        let rule = h.legend.rule;
        for level in HeatLevel::ALL {
            let name = level.label(lang);
            let text = match (level, rule) {
                (HeatLevel::Hot, Some(r)) => en_zh(
                    lang,
                    format!("{name}: ≥ {}", r.hot_from),
                    format!("{name}：≥ {} 件", r.hot_from),
                ),
                (HeatLevel::Warm, Some(r)) => en_zh(
                    lang,
                    format!("{name}: ≥ {}", r.warm_from),
                    format!("{name}：≥ {} 件", r.warm_from),
                ),
                (HeatLevel::Cool, Some(r)) => en_zh(
                    lang,
                    format!("{name}: < {}", r.warm_from),
                    format!("{name}：< {} 件", r.warm_from),
                ),
                _ => name.to_owned(),
            };
            items.push(LegendItem {
                symbol: Symbol::Heat(level),
                text,
                new_row: false,
            });
        }
    }
    items
}

/// The legend's items in rows that fit `width`.
fn legend_layout(items: &[LegendItem], width: i64, lang: Language) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = vec![vec![]];
    let mut x = 0;
    for (i, it) in items.iter().enumerate() {
        let w = it.width(lang);
        if x > 0 && (x + w > width || it.new_row) {
            rows.push(vec![]);
            x = 0;
        }
        rows.last_mut().expect("a row").push(i);
        x += w;
    }
    rows
}

fn legend_item(o: &mut String, it: &LegendItem, x: i64, cy: i64, pfx: &str, lang: Language) {
    let class = match &it.symbol {
        Symbol::Heat(level) => format!("legend-item heat-{}", level.as_str()),
        _ => "legend-item".to_owned(),
    };
    let _ = write!(o, r#"<g class="{class}">"#);
    let sym_w = it.symbol_width(lang);
    match &it.symbol {
        Symbol::Touchpoint => {
            touchpoint_badge(o, "legend-touchpoint", x, cy - 9, lang);
        }
        Symbol::Failure => failure_badge(o, "legend-failure", x + 9, cy),
        Symbol::Flow => {
            let _ = write!(
                o,
                r#"<path d="M{x},{cy} L{},{cy}" fill="none" stroke="{FLOW}" stroke-width="1.5" marker-end="url(#{pfx}-arrow)"/>"#,
                x + 28
            );
        }
        Symbol::Standard(s) => {
            let _ = write!(
                o,
                r##"<text x="{x}" y="{}" fill="#334155">{}</text>"##,
                cy + 4,
                xml_text(s)
            );
        }
        Symbol::Complaints => {
            let _ = write!(
                o,
                r##"<rect x="{x}" y="{}" width="24" height="15" rx="7.5" fill="{FLOW}"/><text x="{}" y="{}" font-weight="700" text-anchor="middle" fill="#ffffff">12</text>"##,
                cy - 7,
                x + 12,
                cy + 4
            );
        }
        Symbol::Heat(level) => {
            let (fill, stroke) = level.colours();
            let _ = write!(
                o,
                r#"<rect x="{x}" y="{}" width="22" height="14" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>"#,
                cy - 7
            );
        }
        Symbol::Text => {}
    }
    let _ = write!(
        o,
        r#"<text x="{}" y="{}">{}</text></g>"#,
        x + sym_w + 8,
        cy + 4,
        xml_text(&it.text)
    );
}

/// Full-width characters: CJK ideographs, kana, hangul, full-width forms and punctuation. A line
/// may break between any two of them.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD)
}

/// An estimate of the advance of a text in px, erring wide: the SVG cannot measure, and a title
/// slightly short of its box reads better than one spilling out of it.
fn text_width(s: &str, font_px: f64) -> f64 {
    s.chars()
        .map(|c| {
            let em = if is_wide(c) || matches!(c, '★' | '≤') {
                1.0
            } else if c == ' ' {
                0.27
            } else if c.is_ascii_uppercase() || matches!(c, 'm' | 'w' | '@' | '%' | '…') {
                0.68
            } else if matches!(
                c,
                'i' | 'l' | 'j' | 't' | 'f' | 'r' | '.' | ',' | '\'' | '!' | '|' | ':' | ';'
            ) {
                0.3
            } else {
                0.55
            };
            em * font_px
        })
        .sum()
}

/// Not to start a line (Chinese and Latin closing punctuation).
const NO_BREAK_BEFORE: &str = "，。、；：！？）」』】》〉…·%,.;:!?)]}";
/// Not to end a line (opening punctuation).
const NO_BREAK_AFTER: &str = "（「『【《〈“‘([{";

/// Breaks a text into lines of at most `max_w` px: Chinese between any two characters, other
/// scripts between words (a word too long for a line between its letters), never before closing
/// or after opening punctuation; more than `max_lines` lines end the last one with "…".
fn wrap(s: &str, max_w: f64, font_px: f64, max_lines: usize) -> Vec<String> {
    // The pieces a line may break between, each with whether a space came before it.
    let mut toks: Vec<(String, bool)> = Vec::new();
    fn push(toks: &mut Vec<(String, bool)>, text: String, space: bool) {
        if text.is_empty() {
            return;
        }
        if !space && let Some((last, _)) = toks.last_mut() {
            let first = text.chars().next().expect("not empty");
            let end = last.chars().last().expect("not empty");
            if NO_BREAK_BEFORE.contains(first) || NO_BREAK_AFTER.contains(end) {
                last.push_str(&text);
                return;
            }
        }
        toks.push((text, space));
    }
    let mut word = String::new();
    let mut word_space = false;
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() || c.is_control() {
            push(&mut toks, std::mem::take(&mut word), word_space);
            space = true;
        } else if is_wide(c) {
            push(&mut toks, std::mem::take(&mut word), word_space);
            push(&mut toks, c.to_string(), space);
            space = false;
        } else {
            if word.is_empty() {
                word_space = space;
            }
            word.push(c);
            space = false;
        }
    }
    push(&mut toks, word, word_space);

    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (t, space) in toks {
        let sep = if space && !cur.is_empty() { " " } else { "" };
        if cur.is_empty() || text_width(&cur, font_px) + text_width(sep, font_px) + text_width(&t, font_px) <= max_w {
            cur.push_str(sep);
            cur.push_str(&t);
        } else {
            lines.push(std::mem::take(&mut cur));
            cur = t;
        }
        // A piece wider than a whole line is cut where it must be.
        while text_width(&cur, font_px) > max_w && cur.chars().count() > 1 {
            let mut head = String::new();
            for c in cur.chars() {
                let mut longer = head.clone();
                longer.push(c);
                if !head.is_empty() && text_width(&longer, font_px) > max_w {
                    break;
                }
                head = longer;
            }
            cur = cur[head.len()..].to_owned();
            lines.push(head);
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        let last = lines.last_mut().expect("max_lines > 0");
        while !last.is_empty() && text_width(&format!("{last}…"), font_px) > max_w {
            last.pop();
        }
        let trimmed = last.trim_end().len();
        last.truncate(trimmed);
        last.push('…');
    }
    lines
}

#[cfg(test)]
mod tests;
