use super::*;
use crate::blueprint::file::{EXAMPLE_INSTALLATION, EXAMPLE_REPAIR, parse};
use crate::blueprint::tests::{sample, step};

/// A small XML well-formedness check: tags balance and nest, one root, attributes are
/// quoted and unique, text and attribute values hold no raw `<` and only known entities.
fn well_formed(s: &str) -> Result<(), String> {
    fn check_text(t: &str) -> Result<(), String> {
        if t.contains('<') {
            return Err(format!("raw < in {t:?}"));
        }
        let mut rest = t;
        while let Some(i) = rest.find('&') {
            rest = &rest[i + 1..];
            let end = rest.find(';').ok_or_else(|| format!("unterminated entity in {t:?}"))?;
            let name = &rest[..end];
            let ok = matches!(name, "amp" | "lt" | "gt" | "quot" | "apos") || (name.starts_with('#') && name.len() > 1);
            if !ok {
                return Err(format!("unknown entity &{name}; in {t:?}"));
            }
        }
        if t.chars().any(|c| (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r')) {
            return Err(format!("control character in {t:?}"));
        }
        Ok(())
    }
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        check_text(&rest[..i])?;
        if stack.is_empty() && !rest[..i].trim().is_empty() {
            return Err("text outside the root".into());
        }
        rest = &rest[i + 1..];
        let end = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or_else(|| format!("</{name}> closes nothing"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
            continue;
        }
        let (body, empty) = match tag.strip_suffix('/') {
            Some(b) => (b, true),
            None => (tag, false),
        };
        let name_end = body.find(char::is_whitespace).unwrap_or(body.len());
        let name = &body[..name_end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') {
            return Err(format!("bad tag name {name:?}"));
        }
        let mut attrs = body[name_end..].trim();
        let mut seen = Vec::new();
        while !attrs.is_empty() {
            let eq = attrs
                .find('=')
                .ok_or_else(|| format!("attribute without value in <{name}>"))?;
            let key = attrs[..eq].trim();
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':') {
                return Err(format!("bad attribute name {key:?} in <{name}>"));
            }
            if seen.contains(&key) {
                return Err(format!("attribute {key} twice in <{name}>"));
            }
            seen.push(key);
            let after = attrs[eq + 1..].trim_start();
            let q = after.chars().next().ok_or("missing value")?;
            if q != '"' && q != '\'' {
                return Err(format!("unquoted attribute {key} in <{name}>"));
            }
            let close = after[1..].find(q).ok_or("unterminated value")?;
            check_text(&after[1..1 + close])?;
            attrs = after[close + 2..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !empty {
            stack.push(name);
        }
    }
    check_text(rest)?;
    if !rest.trim().is_empty() {
        return Err("text after the root".into());
    }
    if let Some(open) = stack.pop() {
        return Err(format!("<{open}> never closed"));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(())
}

fn count(s: &str, needle: &str) -> usize {
    s.matches(needle).count()
}

#[test]
fn the_checker_catches_bad_xml() {
    assert!(well_formed("<a><b/></a>").is_ok());
    assert!(well_formed(r#"<a x="1" y='&amp;'>t &lt; u</a>"#).is_ok());
    for bad in [
        "<a><b></a>",
        "<a>",
        "<a></a><b/>",
        "<a>x < y</a>",
        "<a>&nbsp;</a>",
        "<a x=1/>",
        r#"<a x="1" x="2"/>"#,
        r#"<a x="<"/>"#,
        "<a>&amp</a>",
    ] {
        assert!(well_formed(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_diagram_has_its_lanes_lines_steps_and_arrows() {
    for ex in [EXAMPLE_REPAIR, EXAMPLE_INSTALLATION] {
        let bp = parse(ex).unwrap();
        let links: usize = bp.steps.iter().map(|s| s.next.len()).sum();
        let touch = bp.steps.iter().filter(|s| s.touchpoint).count();
        let fail = bp.steps.iter().filter(|s| s.failure_point).count();
        for lang in Language::ALL {
            let svg = render(&bp, lang, None);
            well_formed(&svg).unwrap_or_else(|e| panic!("{e}"));
            assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
            assert!(svg.contains(r#"role="img""#) && svg.contains("<title id=") && svg.contains("<desc id="));
            assert!(svg.contains("viewBox=\"0 0 "));
            assert!(svg.contains(&format!("font-family=\"{FONT_FAMILY}\"")));
            assert_eq!(count(&svg, r#"<g class="lane" "#), 5);
            for lane in Lane::ALL {
                assert_eq!(count(&svg, &format!(r#"data-lane="{}"><rect"#, lane.as_str())), 1);
                assert!(svg.contains(&format!(">{}</tspan>", lane.label(lang))) || lang == Language::En);
            }
            assert_eq!(count(&svg, r#"<g class="line" "#), 3);
            for line in Line::ALL {
                assert!(
                    svg.contains(&format!(">{}</text></g>", line.label(lang))),
                    "{}",
                    line.as_str()
                );
            }
            assert_eq!(count(&svg, r#"<g class="step""#), bp.steps.len());
            for s in &bp.steps {
                assert_eq!(count(&svg, &format!(r#"data-step="{}""#, s.id)), 1);
            }
            assert_eq!(count(&svg, r#"<path class="flow""#), links);
            assert_eq!(count(&svg, r#"<g class="badge touchpoint">"#), touch);
            assert_eq!(count(&svg, r#"<g class="badge failure">"#), fail);
            assert_eq!(count(&svg, "<marker "), 1);
            assert_eq!(count(&svg, r#"<g class="legend""#), 1);
            assert!(svg.contains("legend-touchpoint") && svg.contains("legend-failure"));
            assert!(!svg.contains("heat-"), "no heat classes without heat");
            assert!(!svg.contains("class=\"complaints\""));
            assert!(!svg.contains("<style"));
            // Every step's own title.
            assert_eq!(count(&svg, "<title>"), bp.steps.len());
        }
        let zh = render(&bp, Language::ZhCn, None);
        assert!(zh.contains(&format!("服务蓝图：{}", bp.name_zh.as_deref().unwrap())));
        assert!(zh.contains("★ 关键时刻") && zh.contains("有形展示") && zh.contains("支持过程"));
        assert!(zh.contains("前台接触员工行为") || zh.contains(">前台接触员工</tspan>"));
        let en = render(&bp, Language::En, None);
        assert!(en.contains("★ MOT") && en.contains("Physical evidence") && en.contains("Line of visibility"));
    }
}

/// The `width` attribute of the SVG's root element.
fn svg_width(svg: &str) -> i64 {
    svg.split("width=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|w| w.parse().ok())
        .unwrap()
}

#[test]
fn the_size_reads_on_a4_and_scales() {
    let svg = render(&sample(), Language::En, None);
    let w = svg_width(&svg);
    assert_eq!(w, PAGE_W, "a small blueprint fills an A4 landscape page");
    assert!(svg.contains(&format!("viewBox=\"0 0 {w} ")));
    let bp = parse(EXAMPLE_REPAIR).unwrap();
    let svg = render(&bp, Language::En, None);
    let w = svg_width(&svg);
    assert_eq!(w, 2 * MARGIN + LABEL_W + 9 * COL_MIN, "nine columns");
}

#[test]
fn hostile_text_is_escaped() {
    let mut bp = sample();
    let evil = "<script>alert(\"x\")</script>&'\u{1}\u{b}";
    bp.name = evil.into();
    bp.slug = "x\"><script>".into();
    bp.steps[0].title = evil.into();
    bp.steps[0].id = "a\"><script>".into();
    bp.steps[1].checklist = vec![evil.into()];
    bp.steps[1].dimension = Some(evil.into());
    bp.steps[2].next = vec![bp.steps[0].id.clone()];
    let heat = HeatMap::from_figures(
        [(
            "b".to_owned(),
            StepFigures {
                complaints: 3,
                ..StepFigures::default()
            },
        )]
        .into(),
        Some(evil.into()),
    );
    for lang in Language::ALL {
        for h in [None, Some(&heat)] {
            let svg = render(&bp, lang, h);
            well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
            assert!(!svg.contains("<script"), "{svg}");
            assert!(svg.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&apos;"));
            assert!(!svg.contains('\u{1}') && !svg.contains('\u{b}'));
        }
    }
}

#[test]
fn heat_is_drawn_only_when_given() {
    let bp = parse(EXAMPLE_REPAIR).unwrap();
    let figures: BTreeMap<String, StepFigures> = [
        ("arrive", 9, Some(0.61), Some(0.7)),
        ("dispatch", 5, None, Some(0.85)),
        ("diagnose", 2, Some(0.9), None),
        ("repair", 0, Some(0.95), Some(1.0)),
    ]
    .into_iter()
    .map(|(id, c, s, a)| {
        let f = StepFigures {
            complaints: c,
            satisfaction: s,
            attainment: a,
        };
        (id.to_owned(), f)
    })
    .collect();
    let heat = HeatMap::from_figures(figures, Some("2025-01-01 – 2025-03-31".into()));
    assert_eq!(heat.steps["arrive"].level, HeatLevel::Hot);
    assert_eq!(heat.steps["dispatch"].level, HeatLevel::Warm);
    assert_eq!(heat.steps["diagnose"].level, HeatLevel::Cool);
    assert_eq!(heat.steps["repair"].level, HeatLevel::None);
    for lang in Language::ALL {
        let svg = render(&bp, lang, Some(&heat));
        well_formed(&svg).unwrap();
        assert_eq!(count(&svg, r#"<g class="step heat-"#), 4, "only the steps with figures");
        for level in ["hot", "warm", "cool", "none"] {
            assert_eq!(count(&svg, &format!(r#"<g class="step heat-{level}""#)), 1);
            assert_eq!(count(&svg, &format!(r#"<g class="legend-item heat-{level}">"#)), 1);
        }
        assert_eq!(count(&svg, r#"<g class="complaints">"#), 4);
        assert!(svg.contains(r#"data-step="arrive" data-lane="onstage" data-complaints="9" data-satisfaction="0.6100" data-attainment="0.7000""#));
        assert!(svg.contains("2025-01-01 – 2025-03-31"));
        assert_eq!(count(&svg, r#"<g class="step""#), bp.steps.len() - 4);
    }
    let en = render(&bp, Language::En, Some(&heat));
    assert!(
        en.contains("9 complaints; satisfaction 61%; standards met 70%; heat: Hot"),
        "{en}"
    );
    assert!(en.contains("Hot: ≥ 9") && en.contains("Warm: ≥ 5") && en.contains("Cool: &lt; 5"));
    let zh = render(&bp, Language::ZhCn, Some(&heat));
    assert!(zh.contains("投诉 9 件；满意度 61%；达标率 70%；热度：高"));
    // No complaints at all: every step with figures is "none", and the legend has no numbers.
    let calm = HeatMap::from_figures([("arrive".to_owned(), StepFigures::default())].into(), None);
    let svg = render(&bp, Language::En, Some(&calm));
    assert_eq!(count(&svg, r#"<g class="step heat-none""#), 1);
    assert!(!svg.contains("≥ 0"));
}

#[test]
fn heat_levels_rank_by_thirds() {
    use HeatLevel::*;
    assert_eq!(heat_levels(&[]), []);
    assert_eq!(heat_levels(&[0, 0]), [None, None]);
    assert_eq!(heat_levels(&[4]), [Hot]);
    assert_eq!(heat_levels(&[1, 4]), [Warm, Hot]);
    assert_eq!(heat_levels(&[3, 1, 2]), [Hot, Cool, Warm]);
    assert_eq!(heat_levels(&[5, 0, 1, 3, 8, 2]), [Hot, None, Cool, Warm, Hot, Warm]);
    // Ties take the higher level.
    assert_eq!(heat_levels(&[2, 2, 2, 1]), [Hot, Hot, Hot, Cool]);
    assert_eq!(heat_levels(&[7, 7, 1, 1, 1, 1]), [Hot, Hot, Warm, Warm, Warm, Warm]);
    assert_eq!(heat_rule(&[0]), Option::None);
    assert_eq!(
        heat_rule(&[10, 9, 8, 7, 6, 5, 4, 3, 2]),
        Some(HeatRule {
            hot_from: 8,
            warm_from: 5
        })
    );
}

#[test]
fn arrows_route_by_column() {
    let mut bp = sample();
    // a (customer, column 0) -> b (onstage, column 1) -> c (support, column 1) -> back to a.
    bp.steps[2].next = vec!["a".into()];
    let svg = render(&bp, Language::En, None);
    assert_eq!(count(&svg, r#"<path class="flow""#), 3);
    let path = |from: &str| {
        let tag = format!(r#"data-from="{from}""#);
        let i = svg.find(&tag).unwrap();
        svg[i..]
            .split("d=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_owned()
    };
    assert!(path("a").contains(" C"), "forward: a curve");
    assert!(path("b").contains(" L"), "same column: straight down");
    assert!(path("c").contains(" C"), "backward: a curve below");
    // Dangling arrows and self-loops of an unchecked blueprint are left out.
    bp.steps[0].next = vec!["a".into(), "ghost".into()];
    let svg = render(&bp, Language::En, None);
    assert_eq!(count(&svg, r#"<path class="flow""#), 2);
}

#[test]
fn steps_in_one_cell_stack() {
    let mut bp = sample();
    bp.steps.push(step("b2", Lane::Onstage, 2));
    bp.steps.push(step("b3", Lane::Onstage, 2));
    let svg = render(&bp, Language::En, None);
    well_formed(&svg).unwrap();
    let y_of = |id: &str| -> i64 {
        let i = svg.find(&format!(r#"data-step="{id}""#)).unwrap();
        svg[i..]
            .split("<rect x=\"")
            .nth(1)
            .unwrap()
            .split("y=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(y_of("b") < y_of("b2") && y_of("b2") < y_of("b3"));
    // An empty blueprint still draws.
    let empty = Blueprint {
        steps: vec![],
        ..sample()
    };
    well_formed(&render(&empty, Language::ZhCn, None)).unwrap();
}

#[test]
fn titles_wrap() {
    let w = 100.0;
    let lines = wrap("Technician arrives in the booked slot and shows ID", w, 13.0, 3);
    assert!(lines.len() > 1 && lines.len() <= 3, "{lines:?}");
    for l in &lines {
        assert!(text_width(l, 13.0) <= w, "{l}");
        assert!(!l.starts_with(' ') && !l.ends_with(' '));
    }
    let shown = lines.join(" ").replace('…', "");
    assert!(
        "Technician arrives in the booked slot and shows ID".starts_with(&shown),
        "{shown}"
    );
    // Chinese breaks between characters: 7 characters a line at 13 px in 100 px.
    let zh = wrap("技师按预约时段上门并出示工牌", w, 13.0, 3);
    assert_eq!(zh, ["技师按预约时段", "上门并出示工牌"]);
    // Not before a closing mark, not after an opening one.
    let p = wrap("师傅上门，铺设防护垫并开箱验货", 7.0 * 13.0, 13.0, 3);
    assert!(p.iter().all(|l| !l.starts_with('，')), "{p:?}");
    assert_eq!(p[0], "师傅上门，铺设");
    let q = wrap("客户与保修档案（CRM）", 6.0 * 13.0, 13.0, 3);
    assert!(q.iter().all(|l| !l.ends_with('（')), "{q:?}");
    // Mixed: Latin words stay whole.
    let m = wrap("使用 kefu 系统记录", 60.0, 13.0, 3);
    assert!(m.iter().any(|l| l.contains("kefu")), "{m:?}");
    // A word too long for a line is cut; too many lines end with an ellipsis.
    let long = wrap(&"x".repeat(60), w, 13.0, 3);
    assert_eq!(long.len(), 3);
    assert!(long[2].ends_with('…'));
    assert!(long.iter().all(|l| text_width(l, 13.0) <= w));
    assert_eq!(wrap("", w, 13.0, 3), Vec::<String>::new());
    assert_eq!(wrap("short", w, 13.0, 3), ["short"]);
}

#[test]
fn minutes_read_naturally() {
    assert_eq!(minutes(30, Language::En), "30 min");
    assert_eq!(minutes(120, Language::En), "2 h");
    assert_eq!(minutes(2880, Language::En), "2 d");
    assert_eq!(minutes(90, Language::ZhCn), "90 分钟");
    assert_eq!(minutes(60, Language::ZhCn), "1 小时");
    assert_eq!(minutes(10080, Language::ZhCn), "7 天");
}
