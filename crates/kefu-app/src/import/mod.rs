//! CSV imports of customers and purchases from an ERP (docs/import.md). Files are UTF-8 (with or
//! without a BOM) or GB18030, as Excel in China saves them; a header row is required and column
//! order is free. Every row is checked before anything is written; then all rows are written in one
//! transaction (all or nothing), or — with `skip_bad_rows` — exactly the good rows, the bad ones
//! returned with their reasons. A re-import updates rows by `external_id`.
//!
//! Here: what an import reports and how a row's problem is named; `decode` reads the file's
//! text, `table` its rows and columns, `customers` and `purchases` check and write each kind.

mod customers;
mod decode;
mod purchases;
mod table;

pub use crate::columns::{CUSTOMER_COLUMNS, PURCHASE_COLUMNS};
pub use decode::decode;
pub(crate) use table::{CsvFile, field};

use crate::AppError;
use serde::Serialize;

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

pub(crate) fn err(row: usize, column: &str, message: impl Into<String>) -> RowError {
    RowError {
        row,
        column: column.into(),
        message: message.into(),
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
