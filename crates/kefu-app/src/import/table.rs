//! The CSV table of an import: the header row checked against the known columns, then the
//! records, each with its line in the file so a problem is named by row and column.

use super::decode::open_text;
use super::{ImportReport, RowError};
use crate::columns::unguard;
use std::collections::HashSet;
use std::io::{Read, Seek};

/// A CSV file of known columns, its header row checked, ready to read records from.
pub(crate) struct CsvFile<'a> {
    pub(crate) header: Vec<String>,
    reader: csv::Reader<Box<dyn Read + Send + 'a>>,
    /// Lines in the file: at least the rows in it, for a progress bar.
    pub(crate) lines: u64,
}

impl<'a> CsvFile<'a> {
    pub(crate) fn open<R: Read + Seek + Send + 'a>(
        src: R,
        known: &[&str],
        required: &[&str],
    ) -> Result<CsvFile<'a>, RowError> {
        let (text, lines) = open_text(src)?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .buffer_capacity(1 << 16)
            .from_reader(text);
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| RowError {
                row: 1,
                column: String::new(),
                message: format!("cannot read the header row: {e}"),
            })?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let mut seen = HashSet::new();
        for h in &header {
            if !known.contains(&h.as_str()) {
                return Err(RowError {
                    row: 1,
                    column: h.clone(),
                    message: format!("unknown column; the columns are {}", known.join(", ")),
                });
            }
            if !seen.insert(h.clone()) {
                return Err(RowError {
                    row: 1,
                    column: h.clone(),
                    message: "the column appears twice".into(),
                });
            }
        }
        if let Some(missing) = required.iter().find(|r| !header.iter().any(|h| h == *r)) {
            return Err(RowError {
                row: 1,
                column: (*missing).into(),
                message: "required column missing from the header row".into(),
            });
        }
        Ok(CsvFile {
            header,
            reader,
            lines: lines.saturating_sub(1),
        })
    }

    /// The next record and its line (the header is row 1), or None at the end of the file.
    pub(crate) fn next(&mut self, rec: &mut csv::StringRecord) -> Result<Option<usize>, RowError> {
        let at = self.reader.position().line() as usize;
        match self.reader.read_record(rec) {
            Ok(false) => Ok(None),
            Ok(true) => Ok(Some(rec.position().map(|p| p.line() as usize).unwrap_or(at))),
            Err(e) => Err(RowError {
                row: e.position().map(|p| p.line() as usize).unwrap_or(at),
                column: String::new(),
                message: match e.kind() {
                    csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                        "the file is neither UTF-8 nor GB18030 text".into()
                    }
                    _ => format!("not a valid CSV row: {e}"),
                },
            }),
        }
    }

    pub(crate) fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

pub(super) struct Table {
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    pub(super) fn read<R: Read + Seek + Send>(src: R, known: &[&str], required: &[&str]) -> Result<Table, RowError> {
        let mut file = CsvFile::open(src, known, required)?;
        let mut rows = Vec::new();
        let mut rec = csv::StringRecord::new();
        while let Some(line) = file.next(&mut rec)? {
            rows.push((line, rec.iter().map(|f| f.trim().to_owned()).collect()));
        }
        Ok(Table {
            header: file.header,
            rows,
        })
    }

    fn col(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

/// A cell's text, without the `'` an export puts before a cell Excel could run as a formula.
pub(super) fn cell<'a>(t: &Table, row: &'a [String], name: &str) -> &'a str {
    t.col(name).and_then(|i| row.get(i)).map(|s| unguard(s)).unwrap_or("")
}

impl ImportReport {
    pub(super) fn reject(&mut self, t: &Table, errors: Vec<RowError>) {
        let rows: HashSet<usize> = errors.iter().map(|e| e.row).collect();
        self.rejected_rows = t.rows.iter().filter(|(n, _)| rows.contains(n)).cloned().collect();
        self.rejected = errors;
    }
}

/// A cell, trimmed (trimming in the CSV reader would copy every row), without the `'` an export
/// puts before a cell Excel could run as a formula.
pub(crate) fn field(rec: &csv::StringRecord, col: Option<usize>) -> &str {
    unguard(col.and_then(|i| rec.get(i)).unwrap_or("").trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::CUSTOMER_COLUMNS;

    fn table(text: &str, known: &[&str], required: &[&str]) -> Result<Table, RowError> {
        Table::read(std::io::Cursor::new(text.as_bytes()), known, required)
    }

    #[test]
    fn headers_are_checked() {
        assert_eq!(
            table("external_id,nmae\n", CUSTOMER_COLUMNS, &["external_id", "name"])
                .err()
                .unwrap()
                .column,
            "nmae"
        );
        assert_eq!(
            table("external_id\n", CUSTOMER_COLUMNS, &["external_id", "name"])
                .err()
                .unwrap()
                .column,
            "name"
        );
        assert!(table("name,name,external_id\n", CUSTOMER_COLUMNS, &[]).is_err());
        let t = table(
            "Name , External_ID\n王芳,C1\n李雷,C2\n",
            CUSTOMER_COLUMNS,
            &["external_id", "name"],
        )
        .unwrap();
        assert_eq!(
            (t.rows.len(), t.rows[1].0, cell(&t, &t.rows[0].1, "external_id")),
            (2, 3, "C1")
        );
        assert!(
            table("external_id,name\nC1\n", CUSTOMER_COLUMNS, &[]).is_err(),
            "a short row is an error"
        );
    }

    #[test]
    fn the_export_formula_guard_comes_off() {
        let t = table(
            "external_id,name,notes\nC1,'=HYPERLINK(1),''@x\nC2,'-5,'plain\n",
            CUSTOMER_COLUMNS,
            &[],
        )
        .unwrap();
        let cells = |i: usize| ["external_id", "name", "notes"].map(|c| cell(&t, &t.rows[i].1, c).to_owned());
        assert_eq!(cells(0), ["C1", "=HYPERLINK(1)", "'@x"]);
        assert_eq!(
            cells(1),
            ["C2", "-5", "'plain"],
            "only a ' before a formula character comes off"
        );
    }
}
