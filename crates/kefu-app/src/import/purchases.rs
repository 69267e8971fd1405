//! A purchase import, streamed: rows read, checked and written in batches in one transaction,
//! committed only if no row was bad (or bad rows are skipped); only the bad rows stay in memory.

use super::table::{CsvFile, field};
use super::{ImportReport, RowError, err, file_error};
use crate::columns::PURCHASE_COLUMNS;
use crate::customers::VALUE_TIERS_KIND;
use crate::{App, AppResult};
use kefu_core::customer::CustomerKind;
use kefu_store::{ImportCounts, ImportPurchase};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};
use std::sync::Arc;

impl App {
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
            today: self.now_ts().to_zoned(self.time_zone().await).date(),
            seen: HashMap::with_capacity(usize::try_from(file_lines).unwrap_or(0).min(10_000_000)),
            customers: HashMap::new(),
            shared: Interner::default(),
            report: ImportReport::default(),
        };
        let total = check.file.lines;
        let mut writer = Some(self.store.begin_purchase_import(self.now()).await?);
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
