//! A report's JSON as a table of figures, `figure,value`, one row per number or text in it — the
//! dashboard's CSV and XLSX (`kefu report dashboard --format csv|xlsx`). Nested keys are joined with
//! dots (`tickets.by_channel.phone`), list entries by their place (`sla.0.attainment`); an
//! interval `[lo, hi]` becomes `….lo` and `….hi`; null figures are kept, empty. Texts are written
//! with the formula guard of the customer export ([`crate::columns::guard`]).

use serde_json::Value;

/// The rows `(figure, value)` of `json`, in its order.
pub fn figure_rows(json: &Value) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    walk(json, String::new(), &mut out);
    out
}

fn walk(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_owned()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| walk(v, join(k), out)),
        Value::Array(a) if a.len() == 2 && a.iter().all(Value::is_number) => {
            out.push((join("lo"), a[0].clone()));
            out.push((join("hi"), a[1].clone()));
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, v)| walk(v, join(&i.to_string()), out)),
        scalar => out.push((path, scalar.clone())),
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => crate::columns::guard(s).into_owned(),
        other => other.to_string(),
    }
}

/// The rows as CSV with a header, UTF-8 with a byte-order mark (Excel reads Chinese then).
pub fn to_csv(rows: &[(String, Value)]) -> std::io::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer("\u{feff}".as_bytes().to_vec());
    w.write_record(["figure", "value"])?;
    for (figure, v) in rows {
        w.write_record([crate::columns::guard(figure).as_ref(), &cell(v)])?;
    }
    w.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
}

/// The rows as one sheet of an xlsx workbook, numbers as numbers.
pub fn to_xlsx(rows: &[(String, Value)], title: &str) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet().set_name("Figures")?;
    sheet.write_string_with_format(0, 0, crate::columns::guard(title).as_ref(), &bold)?;
    sheet.write_string_with_format(1, 0, "figure", &bold)?;
    sheet.write_string_with_format(1, 1, "value", &bold)?;
    for (i, (figure, v)) in rows.iter().enumerate() {
        let row = i as u32 + 2;
        sheet.write_string(row, 0, crate::columns::guard(figure).as_ref())?;
        match v {
            Value::Number(n) => {
                sheet.write_number(row, 1, n.as_f64().unwrap_or(0.0))?;
            }
            Value::Null => {}
            other => {
                sheet.write_string(row, 1, cell(other))?;
            }
        }
    }
    sheet.set_column_width(0, 44)?;
    book.save_to_buffer()
}

/// The file a page's figures download as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Xlsx,
}

impl TableFormat {
    /// `csv` or `xlsx`; anything else is refused naming `format`.
    pub fn parse(s: &str) -> Result<TableFormat, kefu_core::Invalid> {
        match s.trim() {
            "csv" => Ok(TableFormat::Csv),
            "xlsx" => Ok(TableFormat::Xlsx),
            _ => Err(kefu_core::Invalid::one("format", "invalid", "format is csv or xlsx")),
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            TableFormat::Csv => "text/csv; charset=utf-8",
            TableFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

impl crate::App {
    /// A report's figures as a file, audited as `<what>.download` with what it covered: the
    /// dashboard's and the gap page's downloads. The caller has already been allowed to read
    /// `json` (it holds only aggregates).
    pub async fn download_figures(
        &self,
        actor: &crate::Actor,
        what: &str,
        json: &Value,
        title: &str,
        sheet: &str,
        format: TableFormat,
    ) -> crate::AppResult<Vec<u8>> {
        let rows = figure_rows(json);
        let bytes = match format {
            TableFormat::Csv => {
                to_csv(&rows).map_err(|e| crate::AppError::Store(kefu_store::StoreError::Data(e.to_string())))?
            }
            TableFormat::Xlsx => to_xlsx(&rows, title)
                .map_err(|e| crate::AppError::Store(kefu_store::StoreError::Data(e.to_string())))?,
        };
        let detail = serde_json::json!({"title": title, "format": format.extension(), "rows": rows.len()});
        self.audit(actor, &format!("{what}.download"), sheet.to_owned(), detail)
            .await?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_figures_become_rows_and_texts_are_guarded() {
        let rows = figure_rows(&json!({
            "tickets": {"created": 3, "by_channel": {"phone": 2}},
            "sla": [{"target": "resolution", "attainment": 0.5}],
            "nps": {"ci95": [-3.5, 20.0], "value": null, "title": "=HYPERLINK(\"x\")"}
        }));
        let names: Vec<&str> = rows.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            names,
            [
                "nps.ci95.lo",
                "nps.ci95.hi",
                "nps.title",
                "nps.value",
                "sla.0.attainment",
                "sla.0.target",
                "tickets.by_channel.phone",
                "tickets.created"
            ]
        );
        let csv = String::from_utf8(to_csv(&rows).unwrap()).unwrap();
        assert!(csv.starts_with("\u{feff}figure,value\n"), "{csv}");
        assert!(csv.contains("nps.title,\"'=HYPERLINK(\"\"x\"\")\""), "{csv}");
        assert!(
            csv.contains("nps.value,\n") && csv.contains("tickets.created,3\n"),
            "{csv}"
        );
        let book = to_xlsx(&rows, "Dashboard").unwrap();
        assert!(book.starts_with(b"PK"));
    }
}
