//! CSV imports of customers and purchases from an ERP (issue 3). Files are UTF-8 (with or
//! without a BOM) or GB18030, as Excel in China saves them; a header row is required and column
//! order is free. Every row is checked before anything is written; then all rows are written in
//! one transaction (all or nothing), or — with `skip_bad_rows` — exactly the good rows, the bad
//! ones returned with their reasons. A re-import updates rows by `external_id`.

use crate::customers::{CustomerInput, VALUE_TIERS_KIND, check};
use crate::{App, AppError, AppResult, now_ms};
use kefu_core::customer::CustomerKind;
use kefu_store::{ImportCounts, ImportCustomer, ImportPurchase};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

pub const CUSTOMER_COLUMNS: &[&str] = &[
    "external_id",
    "name",
    "kind",
    "subkind",
    "parent_external_id",
    "phone",
    "email",
    "region",
    "tags",
    "account_manager_email",
    "social_style",
    "notes",
];
pub const PURCHASE_COLUMNS: &[&str] = &[
    "external_id",
    "customer_external_id",
    "date",
    "amount",
    "currency",
    "sku",
    "product_name",
    "category",
    "serial",
    "seller_external_id",
];

/// One problem, where a spreadsheet user finds it: the file's line (the header is row 1) and column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "row {}, column {}: {}", self.row, self.column, self.message)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub inserted: u64,
    pub updated: u64,
    /// Rows left out (with `skip_bad_rows`), or the reasons nothing was imported.
    pub rejected: Vec<RowError>,
    /// True when the import wrote nothing because of `rejected`.
    pub aborted: bool,
    #[serde(skip)]
    pub header: Vec<String>,
    /// The rejected rows as read, for a reject file.
    #[serde(skip)]
    pub rejected_rows: Vec<(usize, Vec<String>)>,
}

/// The text of a file: UTF-8 (a BOM is dropped) or else GB18030; anything else is refused.
pub fn decode(bytes: &[u8]) -> Result<String, RowError> {
    let mut text = String::new();
    open_text(std::io::Cursor::new(bytes))
        .and_then(|(mut r, _)| r.read_to_string(&mut text).map_err(|e| not_text(&e.to_string())))?;
    Ok(text)
}

fn not_text(why: &str) -> RowError {
    RowError {
        row: 0,
        column: String::new(),
        message: format!("the file is neither UTF-8 nor GB18030 text{why}"),
    }
}

/// Reads a file once to tell its encoding (UTF-8, with or without a BOM, or else GB18030; anything
/// else is refused before a row is read) and to count its lines, then rewinds it and returns a
/// reader of its text as UTF-8, and the line count (an estimate of the rows, for progress).
fn open_text<'a, R: Read + Seek + Send + 'a>(mut src: R) -> Result<(Box<dyn Read + Send + 'a>, u64), RowError> {
    let io = |e: std::io::Error| not_text(&format!(" (cannot read it: {e})"));
    let mut buf = vec![0u8; 1 << 16];
    let (mut utf8, mut carry, mut lines, mut first) = (true, 0usize, 0u64, true);
    let mut bom = false;
    let mut gb = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut scratch = vec![0u8; 3 << 16];
    let mut gb_ok = true;
    loop {
        let n = src.read(&mut buf[carry..]).map_err(io)?;
        let end = carry + n;
        let last = n == 0;
        let chunk = &buf[..end];
        if first && end >= 3 {
            bom = chunk.starts_with(b"\xEF\xBB\xBF");
            first = false;
        }
        lines += chunk[carry..].iter().filter(|&&b| b == b'\n').count() as u64;
        if gb_ok {
            // GB18030 is checked alongside, for when the file turns out not to be UTF-8.
            let mut at = carry;
            loop {
                let (r, read, _) = gb.decode_to_utf8_without_replacement(&chunk[at..], &mut scratch, last);
                at += read;
                match r {
                    encoding_rs::DecoderResult::InputEmpty => break,
                    encoding_rs::DecoderResult::OutputFull => {}
                    encoding_rs::DecoderResult::Malformed(..) => {
                        gb_ok = false;
                        break;
                    }
                }
            }
        }
        if utf8 {
            match std::str::from_utf8(chunk) {
                Ok(_) => carry = 0,
                Err(e) if e.error_len().is_none() && !last => {
                    // A character cut at the end of the buffer: keep its bytes for the next read.
                    let keep = end - e.valid_up_to();
                    buf.copy_within(e.valid_up_to()..end, 0);
                    carry = keep;
                }
                Err(_) => {
                    utf8 = false;
                    carry = 0;
                }
            }
        }
        if last {
            break;
        }
        if !utf8 && !gb_ok {
            return Err(not_text(""));
        }
    }
    if !utf8 && !gb_ok {
        return Err(not_text(""));
    }
    src.seek(SeekFrom::Start(if utf8 && bom { 3 } else { 0 })).map_err(io)?;
    let text: Box<dyn Read + Send + 'a> = if utf8 {
        Box::new(LineEnds::new(src))
    } else {
        Box::new(LineEnds::new(Gb18030Reader::new(src)))
    };
    Ok((text, lines))
}

/// Text with each CRLF read as LF. The CSV reader counts lines by LF but takes a record's line
/// before it passes the LF of a CRLF, which put every row of a Windows file one line too early
/// in error messages; inside a quoted cell a CRLF becomes LF, which is what a cell means by it.
struct LineEnds<R> {
    inner: R,
    /// Bytes read and not handed out yet: `buf[at..end]`.
    buf: Vec<u8>,
    at: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> LineEnds<R> {
    fn new(inner: R) -> Self {
        LineEnds {
            inner,
            buf: vec![0; 1 << 16],
            at: 0,
            end: 0,
            eof: false,
        }
    }

    /// Reads more after what is left (at most a CR waiting for the byte after it).
    fn fill(&mut self) -> std::io::Result<()> {
        let keep = self.end - self.at;
        self.buf.copy_within(self.at..self.end, 0);
        (self.at, self.end) = (0, keep);
        let n = self.inner.read(&mut self.buf[keep..])?;
        self.eof = n == 0;
        self.end += n;
        Ok(())
    }
}

impl<R: Read> Read for LineEnds<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let lone_cr = self.end - self.at == 1 && self.buf[self.at] == b'\r';
            if self.at == self.end || (lone_cr && !self.eof) {
                if self.at == self.end && self.eof {
                    return Ok(0);
                }
                self.fill()?;
                continue;
            }
            let mut w = 0;
            while w < out.len() && self.at < self.end {
                let b = self.buf[self.at];
                if b == b'\r' && self.at + 1 < self.end && self.buf[self.at + 1] == b'\n' {
                    self.at += 1;
                    continue;
                }
                if b == b'\r' && self.at + 1 == self.end && !self.eof {
                    break;
                }
                out[w] = b;
                w += 1;
                self.at += 1;
            }
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

/// GB18030 bytes read as UTF-8 text, decoded as they stream by.
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    /// Undecoded input is `input[at..end]`.
    at: usize,
    end: usize,
    eof: bool,
    /// Decoded text not handed out yet is `output[out_at..out_end]`.
    output: Vec<u8>,
    out_at: usize,
    out_end: usize,
}

impl<R: Read> Gb18030Reader<R> {
    fn new(inner: R) -> Self {
        Gb18030Reader {
            inner,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: vec![0; 1 << 16],
            at: 0,
            end: 0,
            eof: false,
            output: vec![0; 3 << 16],
            out_at: 0,
            out_end: 0,
        }
    }
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.out_at == self.out_end {
            if self.eof && self.at == self.end {
                return Ok(0);
            }
            if self.at == self.end {
                self.end = self.inner.read(&mut self.input)?;
                self.at = 0;
                self.eof = self.end == 0;
            }
            let (r, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.at..self.end],
                &mut self.output,
                self.eof,
            );
            self.at += read;
            (self.out_at, self.out_end) = (0, written);
            if let encoding_rs::DecoderResult::Malformed(..) = r {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the file is not GB18030 text",
                ));
            }
        }
        let n = out.len().min(self.out_end - self.out_at);
        out[..n].copy_from_slice(&self.output[self.out_at..self.out_at + n]);
        self.out_at += n;
        Ok(n)
    }
}

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

struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn read<R: Read + Seek + Send>(src: R, known: &[&str], required: &[&str]) -> Result<Table, RowError> {
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
fn cell<'a>(t: &Table, row: &'a [String], name: &str) -> &'a str {
    t.col(name)
        .and_then(|i| row.get(i))
        .map(|s| crate::export::unguard(s))
        .unwrap_or("")
}

pub(crate) fn err(row: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        row,
        column: column.into(),
        message: message.into(),
    }
}

fn column_of(field: &str) -> &str {
    match field {
        "parent_id" => "parent_external_id",
        "seller_id" => "seller_external_id",
        "date" | "amount" | "currency" | "external_id" => field,
        other => other,
    }
}

impl ImportReport {
    fn reject(&mut self, t: &Table, errors: Vec<RowError>) {
        let rows: HashSet<usize> = errors.iter().map(|e| e.row).collect();
        self.rejected_rows = t.rows.iter().filter(|(n, _)| rows.contains(n)).cloned().collect();
        self.rejected = errors;
    }
}

impl App {
    /// Imports customers from CSV bytes. `progress(done, total)` reports the rows checked.
    pub async fn import_customers(
        &self,
        bytes: &[u8],
        skip_bad_rows: bool,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<ImportReport> {
        self.import_customers_from(std::io::Cursor::new(bytes), skip_bad_rows, progress)
            .await
    }

    /// Imports customers from a CSV file (read twice: once to tell its encoding).
    pub async fn import_customers_from<R: Read + Seek + Send>(
        &self,
        src: R,
        skip_bad_rows: bool,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<ImportReport> {
        let t = Table::read(src, CUSTOMER_COLUMNS, &["external_id", "name"]).map_err(file_error)?;
        let total = t.rows.len() as u64;
        let mut errors: Vec<RowError> = Vec::new();
        let mut good: Vec<(usize, ImportCustomer)> = Vec::new();
        let mut by_ext: HashMap<String, usize> = HashMap::new();
        let mut managers: HashMap<String, Option<i64>> = HashMap::new();
        for (i, (line, row)) in t.rows.iter().enumerate() {
            let line = *line;
            let ext = cell(&t, row, "external_id").to_owned();
            if ext.is_empty() {
                errors.push(err(line, "external_id", "external_id is required"));
                continue;
            }
            if let Some(first) = by_ext.insert(ext.clone(), line) {
                errors.push(err(
                    line,
                    "external_id",
                    format!("external_id {ext:?} is also on row {first}"),
                ));
                continue;
            }
            let kind = match cell(&t, row, "kind") {
                "" => "end",
                k => k,
            };
            let input = CustomerInput {
                external_id: Some(ext.clone()),
                name: cell(&t, row, "name").to_owned(),
                kind: kind.to_owned(),
                subkind: Some(cell(&t, row, "subkind").to_owned()),
                phone: Some(cell(&t, row, "phone").to_owned()),
                email: Some(cell(&t, row, "email").to_owned()),
                social_style: Some(cell(&t, row, "social_style").to_owned()),
                tags: cell(&t, row, "tags").split(';').map(str::to_owned).collect(),
                ..Default::default()
            };
            let checked = match check(&input) {
                Ok(c) => c,
                Err(inv) => {
                    errors.extend(
                        inv.errors
                            .into_iter()
                            .map(|e| err(line, column_of(&e.field), e.message)),
                    );
                    continue;
                }
            };
            let manager_email = cell(&t, row, "account_manager_email").to_lowercase();
            let account_manager_id = if manager_email.is_empty() {
                None
            } else {
                if !managers.contains_key(&manager_email) {
                    let found = self
                        .store
                        .get_user_by_email(&manager_email)
                        .await
                        .ok()
                        .filter(|u| u.role.is_staff())
                        .map(|u| u.id);
                    managers.insert(manager_email.clone(), found);
                }
                match managers[&manager_email] {
                    Some(id) => Some(id),
                    None => {
                        errors.push(err(
                            line,
                            "account_manager_email",
                            format!("no staff user {manager_email:?}"),
                        ));
                        continue;
                    }
                }
            };
            let parent = Some(cell(&t, row, "parent_external_id").to_owned()).filter(|p| !p.is_empty());
            good.push((
                line,
                ImportCustomer {
                    external_id: ext,
                    name: checked.name,
                    kind: checked.kind,
                    subkind: checked.subkind,
                    is_organisation: checked.kind != CustomerKind::End,
                    parent_external_id: parent,
                    region: cell(&t, row, "region").to_owned(),
                    tags: checked.tags,
                    account_manager_id,
                    notes: cell(&t, row, "notes").to_owned(),
                    phone: checked.phone,
                    email: checked.email,
                    social_style: checked.social_style,
                },
            ));
            if (i + 1) % 1000 == 0 {
                progress(i as u64 + 1, total);
            }
        }
        // Parents: in the file or in the database, and intermediate.
        let file_kind: HashMap<String, CustomerKind> =
            good.iter().map(|(_, c)| (c.external_id.clone(), c.kind)).collect();
        let outside: Vec<String> = good
            .iter()
            .filter_map(|(_, c)| c.parent_external_id.clone())
            .filter(|p| !file_kind.contains_key(p))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let db_kind: HashMap<String, CustomerKind> = self
            .store
            .existing_customer_external_ids(&outside)
            .await?
            .into_iter()
            .map(|(e, _, k)| (e, k))
            .collect();
        let mut bad_rows: HashSet<String> = HashSet::new();
        for (line, c) in &good {
            if let Some(p) = &c.parent_external_id {
                match file_kind.get(p).or_else(|| db_kind.get(p)) {
                    None => errors.push(err(
                        *line,
                        "parent_external_id",
                        format!("no customer {p:?} in the file or the database"),
                    )),
                    Some(k) if *k != CustomerKind::Intermediate => errors.push(err(
                        *line,
                        "parent_external_id",
                        format!("{p:?} is not an intermediate customer"),
                    )),
                    _ => continue,
                }
                bad_rows.insert(c.external_id.clone());
            }
        }
        // Order parents before children; rows that loop among themselves are errors.
        let ordered = order_parents_first(&good, &mut errors, &bad_rows);
        progress(total, total);
        let mut report = ImportReport {
            rows: t.rows.len(),
            header: t.header.clone(),
            ..Default::default()
        };
        if !errors.is_empty() && !skip_bad_rows {
            errors.sort_by_key(|e| e.row);
            report.aborted = true;
            report.reject(&t, errors);
            return Ok(report);
        }
        let (ids, counts) =
            self.store
                .import_customers(&ordered, now_ms())
                .await
                .map_err(|e| match AppError::from(e) {
                    AppError::Cycle => AppError::Refused(
                        "the import would make a cycle in the channel tree through customers already in the database"
                            .into(),
                    ),
                    other => other,
                })?;
        self.reindex_customers(&ids).await?;
        errors.sort_by_key(|e| e.row);
        report.inserted = counts.inserted;
        report.updated = counts.updated;
        report.reject(&t, errors);
        Ok(report)
    }

    /// Imports purchases from CSV bytes; value tiers are recomputed by a job afterwards.
    pub async fn import_purchases(
        &self,
        bytes: &[u8],
        skip_bad_rows: bool,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<ImportReport> {
        self.import_purchases_from(std::io::Cursor::new(bytes), skip_bad_rows, progress)
            .await
    }

    /// Imports purchases from a CSV file as it streams by: rows are checked and written in
    /// batches (the next batch is read and checked while the database writes the last), all in
    /// one transaction that is committed only if no row was bad, or with `skip_bad_rows`. Only
    /// the bad rows are kept in memory. Value tiers are recomputed by a job afterwards.
    pub async fn import_purchases_from<R: Read + Seek + Send>(
        &self,
        src: R,
        skip_bad_rows: bool,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> AppResult<ImportReport> {
        let file = CsvFile::open(
            src,
            PURCHASE_COLUMNS,
            &["external_id", "customer_external_id", "date", "amount"],
        )
        .map_err(file_error)?;
        let file_lines = file.lines;
        let mut check = PurchaseCheck {
            cols: PurchaseColumns::of(&file),
            file,
            today: jiff::Timestamp::now().to_zoned(self.time_zone().await).date(),
            seen: HashMap::with_capacity(usize::try_from(file_lines).unwrap_or(0).min(10_000_000)),
            customers: HashMap::new(),
            shared: Interner::default(),
            report: ImportReport::default(),
        };
        let total = check.file.lines;
        let mut writer = Some(self.store.begin_purchase_import(now_ms()).await?);
        let mut batch = check.next_batch(self).await?;
        while !batch.is_empty() {
            if !skip_bad_rows && !check.report.rejected.is_empty() {
                // Nothing will be written: drop (roll back) what was, and only check the rest.
                writer = None;
            }
            batch = match writer.as_mut() {
                Some(w) => {
                    let (written, next) = tokio::join!(w.write(batch), check.next_batch(self));
                    written?;
                    next?
                }
                None => check.next_batch(self).await?,
            };
            let rows = check.report.rows as u64;
            progress(rows, total.max(rows));
        }
        let mut report = check.report;
        report.header = check.file.header;
        report.rejected.sort_by_key(|e| e.row);
        report.rejected_rows.sort_by_key(|(row, _)| *row);
        progress(report.rows as u64, report.rows as u64);
        match writer {
            Some(w) if skip_bad_rows || report.rejected.is_empty() => {
                let ImportCounts { inserted, updated } = w.commit().await?;
                self.enqueue(VALUE_TIERS_KIND, serde_json::json!({})).await?;
                report.inserted = inserted;
                report.updated = updated;
            }
            _ => report.aborted = true,
        }
        Ok(report)
    }
}

/// Where each purchase column is in the file.
#[derive(Clone, Copy)]
struct PurchaseColumns {
    external_id: Option<usize>,
    customer: Option<usize>,
    date: Option<usize>,
    amount: Option<usize>,
    currency: Option<usize>,
    sku: Option<usize>,
    product_name: Option<usize>,
    category: Option<usize>,
    serial: Option<usize>,
    seller: Option<usize>,
}

impl PurchaseColumns {
    fn of(f: &CsvFile) -> PurchaseColumns {
        PurchaseColumns {
            external_id: f.col("external_id"),
            customer: f.col("customer_external_id"),
            date: f.col("date"),
            amount: f.col("amount"),
            currency: f.col("currency"),
            sku: f.col("sku"),
            product_name: f.col("product_name"),
            category: f.col("category"),
            serial: f.col("serial"),
            seller: f.col("seller_external_id"),
        }
    }
}

/// A cell, trimmed (trimming in the CSV reader would copy every row), without the `'` an export
/// puts before a cell Excel could run as a formula.
pub(crate) fn field(rec: &csv::StringRecord, col: Option<usize>) -> &str {
    crate::export::unguard(col.and_then(|i| rec.get(i)).unwrap_or("").trim())
}

/// Rows read and checked per batch of a purchase import.
const PURCHASE_BATCH: usize = 20_000;

/// The state of a purchase import as it reads the file: external ids seen (each may appear
/// once), customers and sellers looked up so far, and the rows rejected.
struct PurchaseCheck<'a> {
    file: CsvFile<'a>,
    cols: PurchaseColumns,
    today: jiff::civil::Date,
    seen: HashMap<Arc<str>, u32>,
    shared: Interner,
    /// External id -> (id, kind), or None where no such customer exists.
    customers: HashMap<Box<str>, Option<(i64, CustomerKind)>>,
    report: ImportReport,
}

impl PurchaseCheck<'_> {
    fn reject(&mut self, line: usize, rec: &csv::StringRecord, errors: Vec<RowError>) {
        self.report.rejected.extend(errors);
        self.report
            .rejected_rows
            .push((line, rec.iter().map(|f| f.trim().to_owned()).collect()));
    }

    /// The customer's and the seller's ids, an error naming the column, or None while either
    /// has not been looked up yet.
    fn refs(&self, line: usize, customer: &str, seller: &str) -> Option<Result<(i64, Option<i64>), RowError>> {
        let customer_id = match self.customers.get(customer)? {
            Some((id, _)) => *id,
            None => {
                return Some(Err(err(
                    line,
                    "customer_external_id",
                    format!("no customer {customer:?}"),
                )));
            }
        };
        if seller.is_empty() {
            return Some(Ok((customer_id, None)));
        }
        Some(match self.customers.get(seller)? {
            Some((id, CustomerKind::Intermediate)) => Ok((customer_id, Some(*id))),
            Some(_) => Err(err(
                line,
                "seller_external_id",
                "the seller must be an intermediate customer",
            )),
            None => Err(err(line, "seller_external_id", format!("unknown seller {seller:?}"))),
        })
    }

    /// The next batch of good rows: empty at the end of the file.
    async fn next_batch(&mut self, app: &App) -> AppResult<Vec<ImportPurchase>> {
        let c = self.cols;
        let mut good: Vec<ImportPurchase> = Vec::with_capacity(PURCHASE_BATCH);
        // Rows naming a customer or seller not looked up yet: (index in `good`, line, row).
        let mut pending: Vec<(usize, usize, csv::StringRecord)> = Vec::new();
        let mut rec = csv::StringRecord::new();
        while good.len() < PURCHASE_BATCH {
            let Some(line) = self.file.next(&mut rec).map_err(file_error)? else {
                break;
            };
            self.report.rows += 1;
            let mut errors = Vec::new();
            let ext = field(&rec, c.external_id);
            let mut external_id: Option<Arc<str>> = None;
            if ext.is_empty() {
                errors.push(err(line, "external_id", "external_id is required"));
            } else if let Some(first) = self.seen.get(ext) {
                errors.push(err(
                    line,
                    "external_id",
                    format!("external_id {ext:?} is also on row {first}"),
                ));
            } else {
                let e: Arc<str> = ext.into();
                self.seen.insert(e.clone(), u32::try_from(line).unwrap_or(u32::MAX));
                external_id = Some(e);
            }
            let customer = field(&rec, c.customer);
            if customer.is_empty() {
                errors.push(err(line, "customer_external_id", "customer_external_id is required"));
            }
            let date = field(&rec, c.date);
            match date.parse::<jiff::civil::Date>() {
                Ok(d) if d > self.today => errors.push(err(line, "date", format!("{d} is in the future"))),
                Ok(_) => {}
                Err(_) => errors.push(err(line, "date", format!("{date:?} is not a date YYYY-MM-DD"))),
            }
            let amount_minor = match kefu_core::customer::parse_amount(field(&rec, c.amount)) {
                Ok(a) => a,
                Err(inv) => {
                    errors.extend(inv.errors.into_iter().map(|e| err(line, "amount", e.message)));
                    0
                }
            };
            let currency = match field(&rec, c.currency) {
                "" => self.shared.get("CNY"),
                c if c.len() == 3 && c.chars().all(|x| x.is_ascii_uppercase()) => self.shared.get(c),
                c if c.len() == 3 && c.chars().all(|x| x.is_ascii_alphabetic()) => {
                    self.shared.get(&c.to_ascii_uppercase())
                }
                c => {
                    errors.push(err(
                        line,
                        "currency",
                        format!("{c:?} is not a currency code such as CNY"),
                    ));
                    self.shared.get("")
                }
            };
            let Some(external_id) = external_id.filter(|_| errors.is_empty()) else {
                self.reject(line, &rec, errors);
                continue;
            };
            let seller = field(&rec, c.seller);
            let (customer_id, seller_id) = match self.refs(line, customer, seller) {
                Some(Ok(ids)) => ids,
                Some(Err(e)) => {
                    self.reject(line, &rec, vec![e]);
                    continue;
                }
                None => {
                    pending.push((good.len(), line, rec.clone()));
                    (0, None)
                }
            };
            good.push(ImportPurchase {
                external_id,
                customer_id,
                purchased_on: self.shared.get(date),
                amount_minor,
                currency,
                sku: self.shared.get(clip(field(&rec, c.sku), 100)),
                product_name: self.shared.get(clip(field(&rec, c.product_name), 300)),
                category: self.shared.get(clip(field(&rec, c.category), 100)),
                serial: clip(field(&rec, c.serial), 100).into(),
                seller_id,
            });
        }
        if pending.is_empty() {
            return Ok(good);
        }
        // Look up the customers and sellers this batch names for the first time, in one go.
        let unknown: Vec<String> = pending
            .iter()
            .flat_map(|(_, _, rec)| [field(rec, c.customer), field(rec, c.seller)])
            .filter(|e| !e.is_empty() && !self.customers.contains_key(*e))
            .collect::<HashSet<_>>()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let found = app.store.existing_customer_external_ids(&unknown).await?;
        for e in &unknown {
            self.customers.insert(e.as_str().into(), None);
        }
        for (e, id, kind) in found {
            self.customers.insert(e.into(), Some((id, kind)));
        }
        let mut keep = vec![true; good.len()];
        for (i, line, rec) in pending {
            match self.refs(line, field(&rec, c.customer), field(&rec, c.seller)) {
                Some(Ok((customer_id, seller_id))) => {
                    (good[i].customer_id, good[i].seller_id) = (customer_id, seller_id)
                }
                // (None cannot happen: every customer and seller of the batch was just looked up.)
                other => {
                    keep[i] = false;
                    let e = other.and_then(Result::err).unwrap_or_else(|| {
                        err(
                            line,
                            "customer_external_id",
                            format!("no customer {:?}", field(&rec, c.customer)),
                        )
                    });
                    self.reject(line, &rec, vec![e]);
                }
            }
        }
        let mut keep = keep.into_iter();
        good.retain(|_| keep.next().unwrap_or(false));
        Ok(good)
    }
}

/// At most `n` characters of `s`.
fn clip(s: &str, n: usize) -> &str {
    if s.len() <= n {
        return s;
    }
    match s.char_indices().nth(n) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

/// Hands out one shared copy of values that repeat from row to row (dates, currencies, SKUs,
/// product names), so a million rows do not make a million copies of them. Remembers at most
/// `Interner::MAX` values; others are copied as they come.
#[derive(Default)]
struct Interner(HashSet<Arc<str>>);

impl Interner {
    const MAX: usize = 20_000;

    fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(a) = self.0.get(s) {
            return a.clone();
        }
        let a: Arc<str> = s.into();
        if self.0.len() < Self::MAX {
            self.0.insert(a.clone());
        }
        a
    }
}

pub(crate) fn file_error(e: RowError) -> AppError {
    let place = if e.row == 0 {
        String::new()
    } else if e.column.is_empty() {
        format!("row {}: ", e.row)
    } else {
        format!("row {}, column {}: ", e.row, e.column)
    };
    AppError::Invalid(kefu_core::Invalid::one(
        if e.column.is_empty() { "file" } else { "header" },
        "bad_file",
        format!("{place}{}", e.message),
    ))
}

/// Rows with their in-file parents first; rows on a loop, or under a rejected row, are errors.
fn order_parents_first(
    rows: &[(usize, ImportCustomer)],
    errors: &mut Vec<RowError>,
    rejected: &HashSet<String>,
) -> Vec<ImportCustomer> {
    let index: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (_, c))| (c.external_id.as_str(), i))
        .collect();
    let mut state = vec![0u8; rows.len()]; // 0 unseen, 1 on the path, 2 done (kept), 3 done (dropped)
    let mut out = Vec::with_capacity(rows.len());
    for start in 0..rows.len() {
        let mut path: Vec<usize> = vec![];
        let mut at = Some(start);
        // Walk up to a parent that is placed (or outside the file), then place the path top-down.
        while let Some(i) = at {
            match state[i] {
                2 | 3 => break,
                1 => {
                    for &j in &path {
                        state[j] = 3;
                        errors.push(err(rows[j].0, "parent_external_id", "the rows' parents make a loop"));
                    }
                    path.clear();
                    break;
                }
                _ => {
                    state[i] = 1;
                    path.push(i);
                    at = rows[i]
                        .1
                        .parent_external_id
                        .as_deref()
                        .and_then(|p| index.get(p).copied());
                }
            }
        }
        let top_dropped = at.is_some_and(|i| state[i] == 3);
        for &j in path.iter().rev() {
            let c = &rows[j].1;
            if rejected.contains(&c.external_id) || top_dropped || state[j] == 3 {
                state[j] = 3;
                if !rejected.contains(&c.external_id) {
                    errors.push(err(rows[j].0, "parent_external_id", "its parent row was rejected"));
                }
            } else {
                state[j] = 2;
                out.push(c.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_reads_as_lf_across_any_chunking() {
        /// Hands out at most `n` bytes a read.
        struct Drip<'a>(&'a [u8], usize);
        impl Read for Drip<'_> {
            fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(out.len()).min(self.0.len());
                out[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let input = b"a,b\r\n1,\"x\r\ny\"\r\n\r2,3\r\r\n4\r";
        for drip in 1..input.len() + 1 {
            for buf in [1usize, 2, 3, 64] {
                let mut r = LineEnds::new(Drip(input, drip));
                let (mut got, mut chunk) = (Vec::new(), vec![0u8; buf]);
                loop {
                    let n = r.read(&mut chunk).unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&chunk[..n]);
                }
                assert_eq!(got, b"a,b\n1,\"x\ny\"\n\r2,3\r\n4\r", "drip {drip}, buffer {buf}");
            }
        }
    }

    #[test]
    fn decodes_utf8_with_bom_and_gb18030() {
        assert_eq!(decode("\u{feff}name\n王芳\n".as_bytes()).unwrap(), "name\n王芳\n");
        let (gb, _, _) = encoding_rs::GB18030.encode("external_id,name\nC1,王芳\n");
        assert_eq!(decode(&gb).unwrap(), "external_id,name\nC1,王芳\n");
        assert!(decode(&[0x81, 0x20, 0xFF, 0xFF]).is_err());
    }

    fn table(text: &str, known: &[&str], required: &[&str]) -> Result<Table, RowError> {
        Table::read(std::io::Cursor::new(text.as_bytes()), known, required)
    }

    #[test]
    fn long_files_decode_across_buffer_boundaries() {
        // Multi-byte characters fall on every offset of the 64 KiB read buffers.
        let mut text = String::from("external_id,name\n");
        for i in 0..30_000 {
            text.push_str(&format!("C{i},王芳{}\n", "é".repeat(i % 3)));
        }
        let (gb, _, unmappable) = encoding_rs::GB18030.encode(&text);
        assert!(!unmappable);
        for bytes in [
            text.as_bytes(),
            &gb[..],
            &[b"\xEF\xBB\xBF", text.as_bytes()].concat()[..],
        ] {
            let (mut r, lines) = open_text(std::io::Cursor::new(bytes)).unwrap();
            let mut out = String::new();
            r.read_to_string(&mut out).unwrap();
            assert_eq!((out == text, lines), (true, 30_001));
        }
        // A byte that is neither UTF-8 nor GB18030 at the very end is still found first.
        let mut bad = gb.into_owned();
        bad.push(0xFF);
        assert!(open_text(std::io::Cursor::new(bad)).is_err());
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

    fn row(ext: &str, parent: Option<&str>) -> ImportCustomer {
        ImportCustomer {
            external_id: ext.into(),
            name: ext.into(),
            kind: CustomerKind::Intermediate,
            subkind: None,
            is_organisation: true,
            parent_external_id: parent.map(str::to_owned),
            region: String::new(),
            tags: vec![],
            account_manager_id: None,
            notes: String::new(),
            phone: None,
            email: None,
            social_style: None,
        }
    }

    #[test]
    fn parents_come_first_and_loops_are_rejected() {
        let rows = vec![
            (2, row("C", Some("B"))),
            (3, row("B", Some("A"))),
            (4, row("A", None)),
            (5, row("X", Some("Y"))),
            (6, row("Y", Some("X"))),
            (7, row("Z", Some("X"))),
        ];
        let mut errors = vec![];
        let out = order_parents_first(&rows, &mut errors, &HashSet::new());
        assert_eq!(
            out.iter().map(|c| c.external_id.as_str()).collect::<Vec<_>>(),
            vec!["A", "B", "C"]
        );
        let mut rows_in_error: Vec<usize> = errors.iter().map(|e| e.row).collect();
        rows_in_error.sort();
        assert_eq!(rows_in_error, vec![5, 6, 7]);
    }
}
