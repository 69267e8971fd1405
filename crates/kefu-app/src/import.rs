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
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(s) = std::str::from_utf8(b) {
        return Ok(s.to_owned());
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(b) {
        Some(s) => Ok(s.into_owned()),
        None => Err(RowError {
            row: 0,
            column: String::new(),
            message: "the file is neither UTF-8 nor GB18030 text".into(),
        }),
    }
}

struct Table {
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    fn read(text: &str, known: &[&str], required: &[&str]) -> Result<Table, RowError> {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let header: Vec<String> = rdr
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
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| RowError {
                row: e.position().map(|p| p.line() as usize).unwrap_or(0),
                column: String::new(),
                message: format!("not a valid CSV row: {e}"),
            })?;
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(rows.len() + 2);
            rows.push((line, rec.iter().map(str::to_owned).collect()));
        }
        Ok(Table { header, rows })
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

fn err(row: usize, column: &str, message: impl Into<String>) -> RowError {
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
        let text = decode(bytes).map_err(file_error)?;
        let t = Table::read(&text, CUSTOMER_COLUMNS, &["external_id", "name"]).map_err(file_error)?;
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
        for id in ids {
            self.reindex_customer(id).await?;
        }
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
        let text = decode(bytes).map_err(file_error)?;
        let t = Table::read(
            &text,
            PURCHASE_COLUMNS,
            &["external_id", "customer_external_id", "date", "amount"],
        )
        .map_err(file_error)?;
        let total = t.rows.len() as u64;
        let today = jiff::Timestamp::now().to_zoned(self.time_zone().await).date();
        let mut errors = Vec::new();
        let mut good: Vec<(usize, ImportPurchase)> = Vec::with_capacity(t.rows.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, (line, row)) in t.rows.iter().enumerate() {
            let line = *line;
            let ext = cell(&t, row, "external_id");
            let customer = cell(&t, row, "customer_external_id");
            let row_errors_before = errors.len();
            if ext.is_empty() {
                errors.push(err(line, "external_id", "external_id is required"));
            } else if let Some(first) = seen.insert(ext.to_owned(), line) {
                errors.push(err(
                    line,
                    "external_id",
                    format!("external_id {ext:?} is also on row {first}"),
                ));
            }
            if customer.is_empty() {
                errors.push(err(line, "customer_external_id", "customer_external_id is required"));
            }
            let date = cell(&t, row, "date");
            match date.parse::<jiff::civil::Date>() {
                Ok(d) if d > today => errors.push(err(line, "date", format!("{d} is in the future"))),
                Ok(_) => {}
                Err(_) => errors.push(err(line, "date", format!("{date:?} is not a date YYYY-MM-DD"))),
            }
            let amount = match kefu_core::customer::parse_amount(cell(&t, row, "amount")) {
                Ok(a) => a,
                Err(inv) => {
                    errors.extend(inv.errors.into_iter().map(|e| err(line, "amount", e.message)));
                    0
                }
            };
            let currency = match cell(&t, row, "currency") {
                "" => "CNY".to_owned(),
                c if c.len() == 3 && c.chars().all(|x| x.is_ascii_alphabetic()) => c.to_ascii_uppercase(),
                c => {
                    errors.push(err(
                        line,
                        "currency",
                        format!("{c:?} is not a currency code such as CNY"),
                    ));
                    String::new()
                }
            };
            if errors.len() > row_errors_before {
                continue;
            }
            let clip = |s: &str, n: usize| s.chars().take(n).collect::<String>();
            good.push((
                line,
                ImportPurchase {
                    external_id: ext.to_owned(),
                    customer_external_id: customer.to_owned(),
                    purchased_on: date.to_owned(),
                    amount_minor: amount,
                    currency,
                    sku: clip(cell(&t, row, "sku"), 100),
                    product_name: clip(cell(&t, row, "product_name"), 300),
                    category: clip(cell(&t, row, "category"), 100),
                    serial: clip(cell(&t, row, "serial"), 100),
                    seller_external_id: Some(cell(&t, row, "seller_external_id").to_owned()).filter(|s| !s.is_empty()),
                },
            ));
            if (i + 1) % 10_000 == 0 {
                progress(i as u64 + 1, total);
            }
        }
        // Customers and sellers must exist; sellers must be intermediate customers.
        let mut refs: HashSet<String> = HashSet::new();
        for (_, p) in &good {
            refs.insert(p.customer_external_id.clone());
            if let Some(s) = &p.seller_external_id {
                refs.insert(s.clone());
            }
        }
        let known: HashMap<String, CustomerKind> = self
            .store
            .existing_customer_external_ids(&refs.into_iter().collect::<Vec<_>>())
            .await?
            .into_iter()
            .map(|(e, _, k)| (e, k))
            .collect();
        let mut keep = Vec::with_capacity(good.len());
        for (line, p) in good {
            if !known.contains_key(&p.customer_external_id) {
                errors.push(err(
                    line,
                    "customer_external_id",
                    format!("no customer {:?}", p.customer_external_id),
                ));
                continue;
            }
            match p.seller_external_id.as_ref().map(|s| known.get(s)) {
                Some(None) => errors.push(err(
                    line,
                    "seller_external_id",
                    format!("unknown seller {:?}", p.seller_external_id.clone().unwrap_or_default()),
                )),
                Some(Some(k)) if *k != CustomerKind::Intermediate => errors.push(err(
                    line,
                    "seller_external_id",
                    "the seller must be an intermediate customer",
                )),
                _ => keep.push(p),
            }
        }
        progress(total, total);
        errors.sort_by_key(|e| e.row);
        let mut report = ImportReport {
            rows: t.rows.len(),
            header: t.header.clone(),
            ..Default::default()
        };
        if !errors.is_empty() && !skip_bad_rows {
            report.aborted = true;
            report.reject(&t, errors);
            return Ok(report);
        }
        let ImportCounts { inserted, updated } = self.store.import_purchases(&keep, now_ms()).await?;
        self.enqueue(VALUE_TIERS_KIND, serde_json::json!({})).await?;
        report.inserted = inserted;
        report.updated = updated;
        report.reject(&t, errors);
        Ok(report)
    }
}

fn file_error(e: RowError) -> AppError {
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
    fn decodes_utf8_with_bom_and_gb18030() {
        assert_eq!(decode("\u{feff}name\n王芳\n".as_bytes()).unwrap(), "name\n王芳\n");
        let (gb, _, _) = encoding_rs::GB18030.encode("external_id,name\nC1,王芳\n");
        assert_eq!(decode(&gb).unwrap(), "external_id,name\nC1,王芳\n");
        assert!(decode(&[0x81, 0x20, 0xFF, 0xFF]).is_err());
    }

    #[test]
    fn headers_are_checked() {
        assert_eq!(
            Table::read("external_id,nmae\n", CUSTOMER_COLUMNS, &["external_id", "name"])
                .err()
                .unwrap()
                .column,
            "nmae"
        );
        assert_eq!(
            Table::read("external_id\n", CUSTOMER_COLUMNS, &["external_id", "name"])
                .err()
                .unwrap()
                .column,
            "name"
        );
        assert!(Table::read("name,name,external_id\n", CUSTOMER_COLUMNS, &[]).is_err());
        let t = Table::read(
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
            Table::read("external_id,name\nC1\n", CUSTOMER_COLUMNS, &[]).is_err(),
            "a short row is an error"
        );
    }

    #[test]
    fn the_export_formula_guard_comes_off() {
        let t = Table::read(
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
