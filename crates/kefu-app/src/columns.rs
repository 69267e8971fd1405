//! The files kefu reads and writes for an ERP: the columns of a customer and a purchase file,
//! in the order an export writes them (an import takes them in any order), and the `'` a CSV
//! cell carries when Excel could run it as a formula. Imports and exports both use this, so a
//! file exported imports again.

use std::borrow::Cow;

/// The columns of a customer file.
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
/// The columns of a purchase file.
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

/// What a cell Excel would run as a formula starts with.
pub(crate) const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A plain number or phone number (`-12.50`, `+86 138-0013-8000`, `(010) 6552 9988`): digits with
/// only `+ - ( ) . /` and spaces. Excel may compute such a cell but cannot call a function or read
/// another cell from it, so it is written as it is.
pub(crate) fn is_plain_number(s: &str) -> bool {
    s.chars().any(|c| c.is_ascii_digit()) && s.chars().all(|c| c.is_ascii_digit() || " +-()./".contains(c))
}

/// The CSV text of a cell: with a `'` in front when Excel could take it as a formula (it starts with
/// `=`, `+`, `-`, `@`, tab or CR, possibly after `'`s, and is not a plain number), as OWASP's
/// "CSV injection" advice says. [`unguard`] undoes exactly this, so every text survives the round
/// trip, including one that really starts with `'=`.
pub fn guard(s: &str) -> Cow<'_, str> {
    if s.trim_start_matches('\'').starts_with(FORMULA_TRIGGERS) && !is_plain_number(s) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// An imported cell without the `'` that [`guard`] put in front: one `'` is dropped when the cell
/// starts with `'`s followed by `=`, `+`, `-`, `@`, tab or CR; any other cell is left as it is.
pub fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_TRIGGERS) => rest,
        _ => s,
    }
}
