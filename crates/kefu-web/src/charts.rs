//! Charts as inline SVG, drawn on the server: no script, presentation attributes only (the CSP
//! allows no inline style), every label escaped, a `viewBox` so they shrink to a phone's width.
//! The gap bar chart with 95 % intervals, the importance–performance scatter, and a trend line.

use kefu_core::text::xml_text;
use std::fmt::Write;

/// The opening of a chart: its id, size, accessible name and title.
fn svg_open(id: &str, w: f64, h: f64, caption: &str) -> String {
    format!(
        r#"<svg id="{}" class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>"#,
        xml_text(id),
        xml_text(caption),
        xml_text(caption)
    )
}

/// A linear scale from a domain onto a pixel range.
#[derive(Clone, Copy)]
struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    fn at(&self, v: f64) -> f64 {
        if (self.d1 - self.d0).abs() < f64::EPSILON {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// One bar: a label, the value, its interval.
pub struct Bar {
    pub label: String,
    pub value: Option<f64>,
    pub lo: Option<f64>,
    pub hi: Option<f64>,
}

/// Horizontal bars from zero (negative gaps to the left, in red) with the 95 % interval as a
/// whisker; a bar without a value shows only its label.
pub fn gap_bars(id: &str, bars: &[Bar], caption: &str) -> String {
    let (w, row, left, right, top) = (640.0, 30.0, 150.0, 20.0, 24.0);
    let h = top + row * bars.len() as f64 + 28.0;
    let values = bars.iter().flat_map(|b| [b.value, b.lo, b.hi]).flatten();
    let (mut lo, mut hi) = (-1.0f64, 1.0f64);
    for v in values {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    let (lo, hi) = (lo.floor().max(-6.0), hi.ceil().min(6.0));
    let x = Scale {
        d0: lo,
        d1: hi,
        r0: left,
        r1: w - right,
    };
    let mut s = svg_open(id, w, h, caption);
    let bottom = top + row * bars.len() as f64;
    let mut t = lo;
    while t <= hi + 1e-9 {
        let px = x.at(t);
        let _ = write!(
            s,
            r##"<line x1="{px:.1}" y1="{top}" x2="{px:.1}" y2="{bottom}" stroke="{}" stroke-width="1"/><text x="{px:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#555">{t}</text>"##,
            if t == 0.0 { "#333" } else { "#ddd" },
            bottom + 16.0
        );
        t += 1.0;
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row * i as f64;
        let mid = y + row / 2.0;
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end" fill="#222">{}</text>"##,
            left - 8.0,
            mid + 4.0,
            xml_text(&b.label)
        );
        let Some(v) = b.value else { continue };
        let (a, z) = (x.at(0.0), x.at(v));
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}" opacity="0.8"><title>{}: {v:.2}</title></rect>"##,
            a.min(z),
            y + 6.0,
            (z - a).abs().max(1.0),
            row - 12.0,
            if v < 0.0 { "#c0392b" } else { "#2e7d32" },
            xml_text(&b.label)
        );
        if let (Some(l), Some(u)) = (b.lo, b.hi) {
            let (xl, xu) = (x.at(l.max(lo)), x.at(u.min(hi)));
            let _ = write!(
                s,
                r##"<line x1="{xl:.1}" y1="{mid:.1}" x2="{xu:.1}" y2="{mid:.1}" stroke="#111" stroke-width="1.5"/><line x1="{xl:.1}" y1="{:.1}" x2="{xl:.1}" y2="{:.1}" stroke="#111"/><line x1="{xu:.1}" y1="{:.1}" x2="{xu:.1}" y2="{:.1}" stroke="#111"/>"##,
                mid - 5.0,
                mid + 5.0,
                mid - 5.0,
                mid + 5.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A point of the importance–performance scatter.
pub struct IpaPoint {
    pub label: String,
    pub performance: f64,
    pub importance: f64,
    /// Drawn in red: the "concentrate here" quadrant.
    pub plank: bool,
}

/// Performance across, importance up, cross-hairs at the means; the quadrants named in their corners
/// (`corners`: top-left, top-right, bottom-left, bottom-right).
pub fn ipa_scatter(
    id: &str,
    points: &[IpaPoint],
    means: (f64, f64),
    axes: (&str, &str),
    corners: [&str; 4],
    caption: &str,
) -> String {
    let (w, h, m) = (520.0, 380.0, 48.0);
    let span = |vals: &mut dyn Iterator<Item = f64>, mean: f64| {
        let (mut a, mut b) = (mean, mean);
        for v in vals {
            a = a.min(v);
            b = b.max(v);
        }
        let pad = ((b - a) * 0.15).max(0.1);
        (a - pad, b + pad)
    };
    let (x0, x1) = span(&mut points.iter().map(|p| p.performance), means.0);
    let (y0, y1) = span(&mut points.iter().map(|p| p.importance), means.1);
    let x = Scale {
        d0: x0,
        d1: x1,
        r0: m,
        r1: w - 16.0,
    };
    let y = Scale {
        d0: y0,
        d1: y1,
        r0: h - m,
        r1: 16.0,
    };
    let mut s = svg_open(id, w, h, caption);
    let _ = write!(
        s,
        r##"<rect x="{m}" y="16" width="{:.1}" height="{:.1}" fill="none" stroke="#999"/>"##,
        w - 16.0 - m,
        h - m - 16.0
    );
    let (cx, cy) = (x.at(means.0), y.at(means.1));
    let _ = write!(
        s,
        r##"<line x1="{cx:.1}" y1="16" x2="{cx:.1}" y2="{:.1}" stroke="#888" stroke-dasharray="4 3"/><line x1="{m}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="#888" stroke-dasharray="4 3"/>"##,
        h - m,
        w - 16.0
    );
    for (i, c) in corners.iter().enumerate() {
        let (tx, anchor) = if i % 2 == 0 {
            (m + 6.0, "start")
        } else {
            (w - 22.0, "end")
        };
        let ty = if i < 2 { 32.0 } else { h - m - 8.0 };
        let _ = write!(
            s,
            r##"<text x="{tx:.1}" y="{ty:.1}" font-size="11" text-anchor="{anchor}" fill="#777">{}</text>"##,
            xml_text(c)
        );
    }
    let _ = write!(
        s,
        r##"<text x="{:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="#333">{}</text>"##,
        (m + w - 16.0) / 2.0,
        h - 12.0,
        xml_text(axes.0)
    );
    let _ = write!(
        s,
        r##"<text x="14" y="{:.1}" font-size="12" text-anchor="middle" fill="#333" transform="rotate(-90 14 {:.1})">{}</text>"##,
        (h - m + 16.0) / 2.0,
        (h - m + 16.0) / 2.0,
        xml_text(axes.1)
    );
    for p in points {
        let (px, py) = (x.at(p.performance), y.at(p.importance));
        let _ = write!(
            s,
            r##"<circle cx="{px:.1}" cy="{py:.1}" r="6" fill="{}"><title>{}: {:.2}, {:.2}</title></circle><text x="{:.1}" y="{:.1}" font-size="12" fill="#222">{}</text>"##,
            if p.plank { "#c0392b" } else { "#1565c0" },
            xml_text(&p.label),
            p.performance,
            p.importance,
            px + 9.0,
            py + 4.0,
            xml_text(&p.label)
        );
    }
    s.push_str("</svg>");
    s
}

/// A line over periods; a period without a value breaks the line.
pub fn trend_line(id: &str, points: &[(String, Option<f64>)], caption: &str) -> String {
    let (w, h, m) = (640.0, 220.0, 40.0);
    let vals: Vec<f64> = points.iter().filter_map(|(_, v)| *v).collect();
    let (mut a, mut b) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in &vals {
        a = a.min(*v);
        b = b.max(*v);
    }
    if vals.is_empty() {
        (a, b) = (0.0, 1.0);
    }
    let pad = ((b - a) * 0.15).max(0.1);
    let y = Scale {
        d0: a - pad,
        d1: b + pad,
        r0: h - m,
        r1: 14.0,
    };
    let n = points.len().max(1);
    let x = Scale {
        d0: 0.0,
        d1: (n.saturating_sub(1)).max(1) as f64,
        r0: m + 10.0,
        r1: w - 20.0,
    };
    let mut s = svg_open(id, w, h, caption);
    let _ = write!(
        s,
        r##"<line x1="{m}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#999"/>"##,
        h - m,
        w - 20.0,
        h - m
    );
    for v in [a, b] {
        if v.is_finite() {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="end" fill="#555">{v:.2}</text>"##,
                m + 4.0,
                y.at(v) + 4.0
            );
        }
    }
    let mut path = String::new();
    for (i, (label, v)) in points.iter().enumerate() {
        let px = x.at(i as f64);
        let _ = write!(
            s,
            r##"<text x="{px:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#555">{}</text>"##,
            h - m + 16.0,
            xml_text(label)
        );
        match v {
            Some(v) => {
                let py = y.at(*v);
                let _ = write!(
                    path,
                    "{}{px:.1} {py:.1} ",
                    if path.is_empty() || path.ends_with('|') {
                        "M"
                    } else {
                        "L"
                    }
                );
                let _ = write!(
                    s,
                    r##"<circle cx="{px:.1}" cy="{py:.1}" r="4" fill="#1565c0"><title>{}: {v:.3}</title></circle>"##,
                    xml_text(label)
                );
            }
            None => path.push('|'),
        }
    }
    let d = path.replace('|', "");
    if !d.is_empty() {
        let _ = write!(s, r##"<path d="{d}" fill="none" stroke="#1565c0" stroke-width="2"/>"##);
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_go_left_for_negative_gaps() {
        let svg = gap_bars(
            "gaps",
            &[
                Bar {
                    label: "<script>x</script>".into(),
                    value: Some(-1.5),
                    lo: Some(-2.0),
                    hi: Some(-1.0),
                },
                Bar {
                    label: "有形性".into(),
                    value: None,
                    lo: None,
                    hi: None,
                },
            ],
            "gap \"P − E\"",
        );
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("aria-label=\"gap &quot;P − E&quot;\""));
        assert!(svg.contains("fill=\"#c0392b\""), "a negative gap is red");
        assert_eq!(svg.matches("<rect").count(), 1, "no bar without a value");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn the_scatter_marks_short_planks_and_a_trend_breaks_at_gaps() {
        let svg = ipa_scatter(
            "ipa",
            &[
                IpaPoint {
                    label: "A".into(),
                    performance: 4.0,
                    importance: 30.0,
                    plank: true,
                },
                IpaPoint {
                    label: "B".into(),
                    performance: 6.0,
                    importance: 10.0,
                    plank: false,
                },
            ],
            (5.0, 20.0),
            ("P", "importance"),
            ["concentrate", "keep up", "low", "overkill"],
            "IPA",
        );
        assert_eq!(svg.matches("<circle").count(), 2);
        assert_eq!(svg.matches("fill=\"#c0392b\"").count(), 1);
        let t = trend_line(
            "trend",
            &[
                ("2026-01".into(), Some(-1.0)),
                ("2026-02".into(), None),
                ("2026-03".into(), Some(-0.5)),
            ],
            "trend",
        );
        assert_eq!(t.matches("<circle").count(), 2);
        assert_eq!(
            t.matches(" M").count() + t.matches("\"M").count(),
            2,
            "two segments: {t}"
        );
    }
}
