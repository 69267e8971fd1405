//! A survey report in the formats `kefu survey report` writes besides JSON: text for a terminal,
//! CSV and xlsx for a spreadsheet. All three are made from the report's JSON (the API's shape,
//! docs/survey-report.schema.json), so every format says the same.

use serde_json::Value;

/// The columns of the item and dimension table (CSV, xlsx).
pub const TABLE_COLUMNS: [&str; 15] = [
    "level",
    "code",
    "dimension",
    "n",
    "e_mean",
    "p_mean",
    "gap_mean",
    "gap_sd",
    "gap_ci95_lo",
    "gap_ci95_hi",
    "alpha_e",
    "alpha_p",
    "alpha_p_std",
    "importance_stated",
    "quadrant",
];

/// A number as text with `digits` decimals; null (or absent) as empty.
fn num(v: &Value, digits: usize) -> String {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::Number(n) => format!("{:.digits$}", n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// A value as CSV text: numbers as the JSON has them (shortest exact form), null as empty.
fn raw(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

/// A comment on one line: newlines and control characters as spaces, at most 200 characters.
fn one_line(c: &str) -> String {
    let mut out: String = c
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .take(200)
        .collect();
    if c.chars().count() > 200 {
        out.push('…');
    }
    out
}

fn dash(s: String) -> String {
    if s.is_empty() { "—".into() } else { s }
}

/// The IPA row of a dimension.
fn ipa_of<'a>(r: &'a Value, dim: &str) -> Option<&'a Value> {
    r["ipa"].as_array()?.iter().find(|x| x["dimension"] == dim)
}

/// The item and dimension rows, in [`TABLE_COLUMNS`] order (full precision).
pub fn table_rows(r: &Value) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for d in r["dimensions"].as_array().into_iter().flatten() {
        let code = d["code"].as_str().unwrap_or("");
        let ipa = ipa_of(r, code);
        out.push(vec![
            Value::from("dimension"),
            d["code"].clone(),
            d["code"].clone(),
            d["n"].clone(),
            d["e_mean"].clone(),
            d["p_mean"].clone(),
            d["gap_mean"].clone(),
            d["gap_sd"].clone(),
            d["gap_ci95"][0].clone(),
            d["gap_ci95"][1].clone(),
            d["alpha_e"].clone(),
            d["alpha_p"].clone(),
            d["alpha_p_std"].clone(),
            ipa.map(|i| i["importance_stated"].clone()).unwrap_or(Value::Null),
            ipa.map(|i| i["quadrant"].clone()).unwrap_or(Value::Null),
        ]);
    }
    for i in r["items"].as_array().into_iter().flatten() {
        out.push(vec![
            Value::from("item"),
            i["code"].clone(),
            i["dimension"].clone(),
            i["n"].clone(),
            i["e_mean"].clone(),
            i["p_mean"].clone(),
            i["gap_mean"].clone(),
            i["gap_sd"].clone(),
            i["gap_ci95"][0].clone(),
            i["gap_ci95"][1].clone(),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null,
        ]);
    }
    out
}

/// The summary figures: (name, value) — the SERVQUAL scores, or NPS / CSAT / CES with intervals.
pub fn summary_rows(r: &Value) -> Vec<(String, Value)> {
    let mut out = vec![("n_responses".to_owned(), r["n_responses"].clone())];
    if let Some(s) = r["servqual"].as_object() {
        for k in [
            "unweighted",
            "weighted_manager",
            "weighted_respondent",
            "n_weighted_respondent",
            "mean_item_gap",
        ] {
            out.push((format!("servqual.{k}"), s.get(k).cloned().unwrap_or(Value::Null)));
        }
    }
    for k in ["nps", "nps_se", "csat", "ces_mean"] {
        if let Some(v) = r.get(k) {
            out.push((k.to_owned(), v.clone()));
        }
    }
    for k in ["nps_ci95", "csat_ci95", "ces_ci95"] {
        if let Some(v) = r.get(k) {
            out.push((format!("{k}_lo"), v[0].clone()));
            out.push((format!("{k}_hi"), v[1].clone()));
        }
    }
    out
}

/// The report for a terminal, with the lowest-scoring items and their comments (`low`, read
/// from the answers besides the report).
pub fn to_text(r: &Value, title: &str, slug: &str, low: &[crate::surveys::LowItem]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let months = match (r["from"].as_str(), r["to"].as_str()) {
        (None, None) => "all months".to_owned(),
        (f, t) => format!("{} to {}", f.unwrap_or("…"), t.unwrap_or("…")),
    };
    let _ = writeln!(
        s,
        "{title} ({slug}, {}) — segment {}, {months}",
        r["kind"].as_str().unwrap_or(""),
        r["segment"].as_str().unwrap_or("all")
    );
    let _ = writeln!(s, "responses: {}", r["n_responses"]);
    if let Some(q) = r["servqual"].as_object() {
        let g = |k: &str| dash(num(q.get(k).unwrap_or(&Value::Null), 3));
        let _ = writeln!(
            s,
            "SERVQUAL score (P − E): unweighted {}, weighted by manager {}, weighted by respondents {} (n = {}), mean item gap {}",
            g("unweighted"),
            g("weighted_manager"),
            g("weighted_respondent"),
            num(q.get("n_weighted_respondent").unwrap_or(&Value::Null), 0),
            g("mean_item_gap")
        );
    }
    for (k, label) in [("nps", "NPS"), ("csat", "CSAT"), ("ces_mean", "CES mean")] {
        if let Some(v) = r.get(k) {
            let ci = &r[format!("{}_ci95", k.trim_end_matches("_mean"))];
            let _ = writeln!(
                s,
                "{label}: {} (95 % CI {} to {})",
                dash(num(v, 3)),
                dash(num(&ci[0], 3)),
                dash(num(&ci[1], 3))
            );
        }
    }
    let rows = table_rows(r);
    if !rows.is_empty() {
        let _ = writeln!(
            s,
            "\n{:<8} {:<16} {:<16} {:>7} {:>6} {:>6} {:>7} {:>6} {:>17} {:>7} {:>7} {:<22}",
            "level", "code", "dimension", "n", "E", "P", "gap", "sd", "gap 95% CI", "α E", "α P", "quadrant"
        );
        for row in rows {
            let ci = if row[8].is_null() {
                "—".to_owned()
            } else {
                format!("[{}, {}]", num(&row[8], 2), num(&row[9], 2))
            };
            let _ = writeln!(
                s,
                "{:<8} {:<16} {:<16} {:>7} {:>6} {:>6} {:>7} {:>6} {:>17} {:>7} {:>7} {:<22}",
                num(&row[0], 0),
                num(&row[1], 0),
                num(&row[2], 0),
                num(&row[3], 0),
                dash(num(&row[4], 2)),
                dash(num(&row[5], 2)),
                dash(num(&row[6], 3)),
                dash(num(&row[7], 2)),
                ci,
                if row[0] == "item" {
                    String::new()
                } else {
                    dash(num(&row[10], 3))
                },
                if row[0] == "item" {
                    String::new()
                } else {
                    dash(num(&row[11], 3))
                },
                num(&row[14], 0)
            );
        }
    }
    if let Some(p) = r["short_planks"].as_array().filter(|p| !p.is_empty()) {
        let names: Vec<&str> = p.iter().filter_map(Value::as_str).collect();
        let _ = writeln!(s, "\nshort planks (concentrate here): {}", names.join(", "));
    }
    if !low.is_empty() {
        let _ = writeln!(s, "\nlowest-scoring items, with what those who rated them low said:");
        for l in low {
            let _ = writeln!(s, "  {:<8} {:>7.3}", l.code, l.score);
            for c in &l.comments {
                let _ = writeln!(s, "           “{}”", one_line(c));
            }
        }
    }
    if let Some(points) = r["trend"].as_array().filter(|t| !t.is_empty()) {
        let percent = r["kind"] == "csat";
        let shown = |v: &Value| match v.as_f64() {
            Some(x) if percent => format!("{:.1} %", x * 100.0),
            Some(x) => format!("{x:.3}"),
            None => "—".into(),
        };
        let _ = writeln!(s, "\ntrend by month:");
        for p in points {
            let ci = if p["ci95"].is_array() {
                format!("  95 % CI {} to {}", shown(&p["ci95"][0]), shown(&p["ci95"][1]))
            } else {
                String::new()
            };
            let _ = writeln!(
                s,
                "  {}  n = {:>7}  {:>9}{ci}",
                p["period"].as_str().unwrap_or(""),
                p["n"].to_string(),
                shown(&p["value"])
            );
        }
    }
    if let Some(rows) = r["dissatisfaction"].as_array().filter(|d| !d.is_empty()) {
        let _ = writeln!(
            s,
            "\ndissatisfied respondents of ticket answers: ticket met its targets (value not perceived) / breached one (value below expectation)"
        );
        for d in rows {
            let share = |x: &Value| {
                format!(
                    "{} of {} ({}%)",
                    x["count"],
                    x["n"],
                    dash(num(&x["share"].as_f64().map(|v| v * 100.0).into(), 0))
                )
            };
            let _ = writeln!(
                s,
                "  {:<16} {:>5} dissatisfied: {} / {}",
                d["code"].as_str().unwrap_or(""),
                d["dissatisfied"],
                share(&d["value_not_perceived"]),
                share(&d["value_below_expectation"])
            );
        }
    }
    if let Some(notes) = r["notes"].as_array().filter(|n| !n.is_empty()) {
        let _ = writeln!(s, "\nnotes:");
        for n in notes {
            let _ = writeln!(
                s,
                "  {}: {}",
                n["field"].as_str().unwrap_or(""),
                n["reason"].as_str().unwrap_or("")
            );
        }
    }
    s
}

/// The report as CSV: the summary figures as `summary` rows, then dimensions and items.
pub fn to_csv(r: &Value) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TABLE_COLUMNS)?;
    let blank = |n: usize| std::iter::repeat_n(String::new(), n);
    for (name, v) in summary_rows(r) {
        // The value goes in gap_mean's place: summary figures are on the gap scale or counts.
        let mut line = vec!["summary".to_owned(), name];
        line.extend(blank(4));
        line.push(raw(&v));
        line.extend(blank(TABLE_COLUMNS.len() - 7));
        w.write_record(&line)?;
    }
    for row in table_rows(r) {
        w.write_record(row.iter().map(raw))?;
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// The report as an xlsx workbook: a summary sheet and a sheet of dimensions and items.
pub fn to_xlsx(r: &Value, title: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let figure = Format::new().set_num_format("0.000");
    let write = |sheet: &mut rust_xlsxwriter::Worksheet,
                 row: u32,
                 col: u16,
                 v: &Value|
     -> Result<(), rust_xlsxwriter::XlsxError> {
        match v {
            Value::Number(n) => {
                sheet.write_number_with_format(row, col, n.as_f64().unwrap_or(0.0), &figure)?;
            }
            Value::String(s) => {
                sheet.write_string(row, col, s)?;
            }
            _ => {}
        }
        Ok(())
    };
    let summary = book.add_worksheet().set_name("Summary")?;
    summary.write_string_with_format(0, 0, title, &bold)?;
    summary.write_string(1, 0, "segment")?;
    summary.write_string(1, 1, r["segment"].as_str().unwrap_or("all"))?;
    for (i, (name, v)) in summary_rows(r).into_iter().enumerate() {
        let row = i as u32 + 2;
        summary.write_string(row, 0, &name)?;
        write(summary, row, 1, &v)?;
    }
    summary.set_column_width(0, 28)?;
    summary.set_column_width(1, 14)?;
    let table = book.add_worksheet().set_name("Dimensions and items")?;
    for (c, h) in TABLE_COLUMNS.iter().enumerate() {
        table.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, row) in table_rows(r).into_iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            write(table, i as u32 + 1, c as u16, v)?;
        }
    }
    table.set_freeze_panes(1, 2)?;
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "kind": "servqual", "segment": "all", "from": null, "to": null, "n_responses": 3,
            "servqual": {"unweighted": -0.5, "weighted_manager": null, "weighted_respondent": -0.25,
                         "n_weighted_respondent": 2, "mean_item_gap": -0.4},
            "dimensions": [{"code": "tangibles", "n": 3, "e_mean": 6.0, "p_mean": 5.5, "gap_mean": -0.5,
                            "gap_sd": 0.5, "gap_ci95": [-1.74, 0.74], "alpha_e": null, "alpha_p": 0.8,
                            "alpha_p_std": 0.81}],
            "items": [{"code": "Q1", "dimension": "tangibles", "n": 3, "e_mean": 6.0, "p_mean": 5.5,
                       "gap_mean": -0.5, "gap_sd": 0.5, "gap_ci95": [-1.74, 0.74]}],
            "ipa": [{"dimension": "tangibles", "importance_stated": 20.0, "quadrant": "concentrate_here"}],
            "short_planks": ["tangibles"],
            "trend": [{"period": "2026-10", "n": 2, "value": -0.75, "ci95": null},
                      {"period": "2026-11", "n": 1, "value": null, "ci95": null}],
            "notes": [{"field": "servqual.weighted_manager", "reason": "the survey has no manager weights"}]
        })
    }

    #[test]
    fn csv_has_the_summary_then_dimensions_then_items() {
        let text = String::from_utf8(to_csv(&report()).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], TABLE_COLUMNS.join(","));
        assert!(lines.contains(&"summary,servqual.unweighted,,,,,-0.5,,,,,,,,"));
        assert!(lines.contains(&"summary,servqual.weighted_manager,,,,,,,,,,,,,"));
        let dim = lines.iter().position(|l| l.starts_with("dimension,tangibles")).unwrap();
        let item = lines
            .iter()
            .position(|l| l.starts_with("item,Q1,tangibles,3,"))
            .unwrap();
        assert!(dim < item);
        assert!(lines[dim].ends_with(",20.0,concentrate_here"), "{}", lines[dim]);
    }

    #[test]
    fn text_names_scores_planks_and_notes_and_dashes_nulls() {
        let low = [crate::surveys::LowItem {
            code: "Q1".into(),
            score: -0.5,
            comments: vec!["太慢了\n\u{1b}[31m再也不来".into()],
        }];
        let t = to_text(&report(), "Q4 survey", "q4", &low);
        assert!(
            t.starts_with("Q4 survey (q4, servqual) — segment all, all months\nresponses: 3\n"),
            "{t}"
        );
        assert!(t.contains("unweighted -0.500, weighted by manager —, weighted by respondents -0.250 (n = 2)"));
        assert!(t.contains("short planks (concentrate here): tangibles"));
        assert!(t.contains("servqual.weighted_manager: the survey has no manager weights"));
        assert!(t.contains("[-1.74, 0.74]"));
        assert!(
            t.contains("  Q1        -0.500\n           “太慢了  [31m再也不来”\n"),
            "{t}"
        );
        assert!(
            t.contains("  2026-10  n =       2     -0.750\n  2026-11  n =       1          —\n"),
            "{t}"
        );
    }

    #[test]
    fn xlsx_is_a_zip_workbook() {
        let b = to_xlsx(&report(), "Q4 survey").unwrap();
        assert_eq!(&b[..2], b"PK");
    }
}
