//! Exports of customers and purchases (docs/export.md) in exactly the import's columns, so an
//! export imports again: into an empty database it rebuilds the same rows and tree, onto the
//! database it came from it updates every row to what it already is. Rows are read in keyset pages
//! of the store and written as they come, so memory stays flat however large the table.
//!
//! Two writers: CSV (UTF-8, by default with a byte-order mark so that Excel in China reads it as
//! UTF-8), and xlsx (one sheet in rust_xlsxwriter's constant-memory mode). A CSV cell that Excel
//! could run as a formula gets a leading `'` ([`guard`]); the import takes it off ([`unguard`]).
//! An xlsx writes every text cell as a string, never a formula, so it needs no prefix.
//! See docs/export.md.

pub use crate::columns::{guard, unguard};

use crate::columns::{CUSTOMER_COLUMNS, PURCHASE_COLUMNS};
use crate::{App, AppError, AppResult};
use kefu_core::customer::format_amount;
use serde::Serialize;
use std::io::Write;

/// What customers without an external id are given, followed by their id, so the file re-imports.
pub const EXTERNAL_ID_PREFIX: &str = "kefu-";
const CUSTOMER_PAGE: u32 = 1_000;
const PURCHASE_PAGE: u32 = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Customers,
    Purchases,
}

impl Entity {
    /// `customers` or `purchases`: the command's word and the xlsx sheet's name.
    pub fn name(self) -> &'static str {
        match self {
            Entity::Customers => "customers",
            Entity::Purchases => "purchases",
        }
    }
    /// The import's columns, in the order an export writes them.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Entity::Customers => CUSTOMER_COLUMNS,
            Entity::Purchases => PURCHASE_COLUMNS,
        }
    }
}

/// One cell of a row: text, or an amount in minor units (a number in xlsx, `2999.50` in CSV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Amount(i64),
}

/// Where exported rows go, one at a time; the header is written when the sink is made.
pub trait Sink {
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()>;
    /// The most data rows this sink can hold, if it has a limit.
    fn max_rows(&self) -> Option<u64> {
        None
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ExportSummary {
    pub rows: u64,
    /// Customers that had no external id and were given `kefu-<id>` by this export.
    pub assigned_external_ids: u64,
}

/// CSV rows: UTF-8, with a byte-order mark unless `bom` is false, CRLF line ends, formula cells guarded.
pub struct CsvSink<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W, entity: Entity, bom: bool) -> std::io::Result<CsvSink<W>> {
        CsvSink::with_columns(out, entity.columns(), bom)
    }

    /// A sink for any table: `columns` is its header.
    pub fn with_columns(mut out: W, columns: &[&str], bom: bool) -> std::io::Result<CsvSink<W>> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .buffer_capacity(64 * 1024)
            .from_writer(out);
        out.write_record(columns)?;
        Ok(CsvSink { out })
    }

    /// Flushes what is buffered to the writer.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }

    /// Flushes everything and hands back the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.out.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        for c in cells {
            match c {
                Cell::Text(s) => self.out.write_field(guard(s).as_bytes())?,
                Cell::Amount(minor) => self.out.write_field(format_amount(*minor))?,
            }
        }
        self.out.write_record(None::<&[u8]>)?;
        Ok(())
    }
}

/// The rows of one sheet (`customers` or `purchases`), bold header frozen at the top, text cells
/// written as strings and amounts as numbers with two decimals. Rows go to a temporary file as they
/// come (rust_xlsxwriter's constant-memory mode) and are zipped by [`XlsxSink::save_to`].
pub struct XlsxSink {
    book: rust_xlsxwriter::Workbook,
    next_row: u32,
    amount: rust_xlsxwriter::Format,
}

/// Excel's most rows in a sheet, the header included.
const XLSX_ROWS: u64 = 1_048_576;
/// Excel's longest text in a cell, in UTF-16 units.
const XLSX_TEXT: usize = 32_767;

fn xlsx_err(e: rust_xlsxwriter::XlsxError) -> std::io::Error {
    match e {
        rust_xlsxwriter::XlsxError::IoError(e) => e,
        other => std::io::Error::other(other.to_string()),
    }
}

/// A column's width in Excel's units (characters of the default font; a Chinese character takes two).
fn column_width(column: &str) -> f64 {
    match column {
        "name" | "product_name" => 28.0,
        "email" | "account_manager_email" => 28.0,
        "notes" => 40.0,
        "tags" | "region" => 18.0,
        "kind" | "currency" | "date" => 12.0,
        _ => (column.len() as f64 + 2.0).max(14.0),
    }
}

impl XlsxSink {
    pub fn new(entity: Entity) -> std::io::Result<XlsxSink> {
        XlsxSink::with_columns(entity.name(), entity.columns())
    }

    /// A sheet named `sheet` for any table: `columns` is its header.
    pub fn with_columns(sheet_name: &str, columns: &[&str]) -> std::io::Result<XlsxSink> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let bold = rust_xlsxwriter::Format::new().set_bold();
        let sheet = book.add_worksheet_with_constant_memory().map_err(xlsx_err)?;
        sheet.set_name(sheet_name).map_err(xlsx_err)?;
        for (i, column) in columns.iter().enumerate() {
            sheet
                .set_column_width(i as u16, column_width(column))
                .map_err(xlsx_err)?;
            sheet
                .write_string_with_format(0, i as u16, *column, &bold)
                .map_err(xlsx_err)?;
        }
        sheet.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        Ok(XlsxSink {
            book,
            next_row: 1,
            amount: rust_xlsxwriter::Format::new().set_num_format("0.00"),
        })
    }

    /// Writes the finished workbook.
    pub fn save_to<W: Write + Send>(mut self, out: W) -> std::io::Result<()> {
        self.book.save_to_writer(out).map_err(xlsx_err)
    }
}

/// At most Excel's longest cell text (in UTF-16 units, as Excel counts).
fn clip_for_excel(s: &str) -> &str {
    let mut units = 0;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > XLSX_TEXT {
            return &s[..i];
        }
    }
    s
}

impl Sink for XlsxSink {
    fn row(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        let row = self.next_row;
        let sheet = self.book.worksheet_from_index(0).map_err(xlsx_err)?;
        for (i, c) in cells.iter().enumerate() {
            let col = i as u16;
            match c {
                Cell::Text(s) => sheet.write_string(row, col, clip_for_excel(s)),
                Cell::Amount(minor) => sheet.write_number_with_format(row, col, *minor as f64 / 100.0, &self.amount),
            }
            .map_err(xlsx_err)?;
        }
        self.next_row += 1;
        Ok(())
    }
    fn max_rows(&self) -> Option<u64> {
        Some(XLSX_ROWS - 1)
    }
}

/// `kefu-<id>` for a customer the database has no external id for (only possible when one was
/// created while the export ran: the export gives every other one an id first).
fn external_id(ext: Option<String>, id: i64) -> String {
    ext.unwrap_or_else(|| format!("{EXTERNAL_ID_PREFIX}{id}"))
}

fn reference(ext: Option<String>, id: Option<i64>) -> String {
    match id {
        Some(id) => external_id(ext, id),
        None => String::new(),
    }
}

impl App {
    /// Writes every customer (not deleted) or every purchase of such a customer to `sink`, in the
    /// import's columns, by id. First gives customers without an external id `kefu-<id>` (saved, so
    /// a re-import of the file updates them instead of adding copies). `progress(done, total)`.
    pub async fn export(
        &self,
        entity: Entity,
        sink: &mut dyn Sink,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<ExportSummary> {
        let assigned = self
            .store
            .assign_external_ids(EXTERNAL_ID_PREFIX, self.now())
            .await
            .map_err(|e| match AppError::from(e) {
                AppError::Conflict(_) => AppError::Conflict(format!(
                    "a customer without an external_id cannot be given {EXTERNAL_ID_PREFIX}<its id>: another customer has that external_id already; give the customer an external_id first"
                )),
                other => other,
            })?;
        for id in &assigned {
            // The search index holds external ids.
            self.reindex_customer(*id).await?;
        }
        let total = match entity {
            Entity::Customers => self.store.count_customers().await?,
            Entity::Purchases => self.store.count_export_purchases().await?,
        } as u64;
        if let Some(max) = sink.max_rows()
            && total > max
        {
            return Err(AppError::Refused(format!(
                "{total} {} do not fit in one xlsx sheet (at most {max} rows); export them as csv",
                entity.name()
            )));
        }
        let io = |e: std::io::Error| AppError::Refused(format!("cannot write the export: {e}"));
        let mut rows = 0u64;
        progress(0, total);
        let mut page = self.export_page(entity, 0).await?;
        while let Some((last, _)) = page.last() {
            // The next page is read, on another thread, while this one is written.
            let next = self.export_page(entity, *last);
            for (_, cells) in &page {
                sink.row(cells).map_err(io)?;
            }
            rows += page.len() as u64;
            progress(rows, total.max(rows));
            page = next.await?;
        }
        Ok(ExportSummary {
            rows,
            assigned_external_ids: assigned.len() as u64,
        })
    }
}

impl App {
    /// One page of rows after id `after`, read and turned into cells by a task of its own.
    fn export_page(&self, entity: Entity, after: i64) -> impl Future<Output = AppResult<Vec<(i64, Vec<Cell>)>>> {
        let store = self.store.clone();
        let task = tokio::spawn(async move {
            Ok::<_, AppError>(match entity {
                Entity::Customers => store
                    .export_customers(after, CUSTOMER_PAGE)
                    .await?
                    .into_iter()
                    .map(|c| (c.customer.id, customer_cells(c)))
                    .collect(),
                Entity::Purchases => store
                    .export_purchases(after, PURCHASE_PAGE)
                    .await?
                    .into_iter()
                    .map(|p| (p.purchase.id, purchase_cells(p)))
                    .collect(),
            })
        });
        async move {
            task.await
                .map_err(|e| AppError::Refused(format!("the export stopped: {e}")))?
        }
    }
}

fn customer_cells(e: kefu_store::ExportCustomer) -> Vec<Cell> {
    use Cell::Text;
    let c = e.customer;
    vec![
        Text(external_id(c.external_id, c.id)),
        Text(c.name),
        Text(c.kind.as_str().into()),
        Text(c.subkind.map(|k| k.as_str()).unwrap_or_default().into()),
        Text(reference(e.parent_external_id, c.parent_id)),
        Text(e.phone),
        Text(e.email),
        Text(c.region),
        Text(c.tags.join(";")),
        Text(e.account_manager_email.unwrap_or_default()),
        Text(e.social_style.map(|s| s.as_str()).unwrap_or_default().into()),
        Text(c.notes),
    ]
}

fn purchase_cells(e: kefu_store::ExportPurchase) -> Vec<Cell> {
    use Cell::{Amount, Text};
    let p = e.purchase;
    vec![
        Text(p.external_id),
        Text(external_id(e.customer_external_id, p.customer_id)),
        Text(p.purchased_on),
        Amount(p.amount_minor),
        Text(p.currency),
        Text(p.sku),
        Text(p.product_name),
        Text(p.category),
        Text(p.serial),
        Text(reference(e.seller_external_id, p.seller_id)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::{FORMULA_TRIGGERS, is_plain_number};

    #[test]
    fn formula_cells_are_guarded_and_the_guard_comes_off_exactly() {
        for (plain, written) in [
            (
                "=HYPERLINK(\"http://x\",\"点我\")",
                "'=HYPERLINK(\"http://x\",\"点我\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("\tdata", "'\tdata"),
            ("\r=1", "'\r=1"),
            ("'=already quoted", "''=already quoted"),
            ("-", "'-"),
            ("+86 138-0013-8000", "+86 138-0013-8000"),
            ("-12.50", "-12.50"),
            ("(010) 6552-9988", "(010) 6552-9988"),
            ("王芳 = 大客户", "王芳 = 大客户"),
            ("'quoted", "'quoted"),
            ("", ""),
        ] {
            assert_eq!(guard(plain), written, "{plain:?}");
            assert_eq!(unguard(written), plain, "{written:?}");
        }
        // Every text over these characters survives guard then unguard.
        let alphabet = ['\'', '=', '+', '-', '@', '\t', '\r', '1', 'a', ' ', '王'];
        let mut texts = vec![String::new()];
        for _ in 0..4 {
            texts = texts
                .iter()
                .flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}")))
                .collect();
            for t in &texts {
                let g = guard(t);
                assert_eq!(unguard(&g), t, "{t:?} written as {g:?}");
                let first = g.trim_start_matches('\'').chars().next();
                assert!(
                    g.starts_with('\'') || !first.is_some_and(|c| FORMULA_TRIGGERS.contains(&c)) || is_plain_number(&g),
                    "{t:?} written as {g:?} could run in Excel"
                );
            }
        }
    }

    #[test]
    fn csv_has_a_bom_the_header_and_crlf_rows() {
        let mut sink = CsvSink::new(Vec::new(), Entity::Purchases, true).unwrap();
        sink.row(&[
            Cell::Text("P1".into()),
            Cell::Text("C1".into()),
            Cell::Text("2026-01-15".into()),
            Cell::Amount(299_950),
            Cell::Text("CNY".into()),
            Cell::Text("=1+1".into()),
            Cell::Text("冰箱, \"大\"".into()),
            Cell::Text(String::new()),
            Cell::Text("SN\n1".into()),
            Cell::Text(String::new()),
        ])
        .unwrap();
        let out = String::from_utf8(sink.finish().unwrap()).unwrap();
        assert_eq!(
            out,
            "\u{feff}external_id,customer_external_id,date,amount,currency,sku,product_name,category,serial,seller_external_id\r\n\
             P1,C1,2026-01-15,2999.50,CNY,'=1+1,\"冰箱, \"\"大\"\"\",,\"SN\n1\",\r\n"
        );
        let out = CsvSink::new(Vec::new(), Entity::Customers, false)
            .unwrap()
            .finish()
            .unwrap();
        assert!(out.starts_with(b"external_id,name,kind,"), "no BOM when asked");
    }

    #[test]
    fn excel_limits() {
        let long = "王".repeat(XLSX_TEXT + 5);
        assert_eq!(clip_for_excel(&long).chars().count(), XLSX_TEXT);
        let emoji = "😀".repeat(XLSX_TEXT);
        assert_eq!(
            clip_for_excel(&emoji).chars().count(),
            XLSX_TEXT / 2,
            "two UTF-16 units each"
        );
        assert_eq!(clip_for_excel("short"), "short");
        assert_eq!(XlsxSink::new(Entity::Customers).unwrap().max_rows(), Some(1_048_575));
    }
}
