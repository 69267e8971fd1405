//! SQL that reads the same on SQLite and PostgreSQL, written once and compiled by each backend.
//!
//! This folder is not a module of `kefu-store`: each backend mounts it as its own `portable`
//! module (`#[path = "../../kefu-store/src/portable/mod.rs"] mod portable;`) and declares, at its
//! crate root, `type Db` (its `sqlx` database) and `type DbStore` (its store type). The code here is
//! then ordinary code of that crate: rustfmt formats it, clippy lints it, and an error points at
//! one line of it. It implements every store trait but `Admin` for `DbStore`, on top of what the
//! backend provides through [`Backend`]: pools, the write transaction, job claims, locks, bulk
//! writes and search. [`backup`] holds what the backends' `Admin` halves share (schema status,
//! backups, restores). Both databases take `$1` placeholders, `RETURNING`, `ON CONFLICT`, TRUE/FALSE.

mod accounts;
mod backend;
pub(crate) mod backup;
mod customers;
mod error;
mod jobs;
mod rows;
mod run;
mod sessions;
pub(crate) mod surveys;
pub(crate) mod tickets;

pub(crate) use backend::Backend;
pub(crate) use error::db_err;
pub(crate) use run::{On, Run, Values};

/// "Customer `c` is the customer bound as `$2` or beneath it", or any customer when `$2` is NULL.
pub const WITHIN_SQL: &str =
    "$2 IS NULL OR EXISTS (SELECT 1 FROM customer_paths w WHERE w.ancestor_id = $2 AND w.descendant_id = c.id)";

/// Sets every tree path's copy of its descendant's kind and deleted mark from the customers (after
/// a restore, whose backup may come from before the paths carried them).
pub const REFRESH_PATH_DESCENDANTS_SQL: &str = "UPDATE customer_paths SET descendant_kind = (SELECT c.kind \
    FROM customers c WHERE c.id = customer_paths.descendant_id), descendant_live = (SELECT c.deleted_at IS NULL \
    FROM customers c WHERE c.id = customer_paths.descendant_id)";

/// The columns of a job row, in the order the portable decoder reads them.
pub const JOB_COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, locked_by, lease_until, \
    last_error, unique_key, created_at, updated_at";

/// A parenthesised list of `n` parameter marks numbered from `$first`: `($1, $2)` for PostgreSQL,
/// or positional `(?, ?)` for SQLite (`numbered` false), which binds `$N` parameters at a cost that
/// grows with the square of their number in a statement. Bind values in the order the marks appear.
pub fn mark_list(numbered: bool, first: usize, n: usize) -> String {
    value_rows(numbered, first, 1, &format!("({})", vec!["?"; n].join(", ")))
}

/// `count` comma-separated copies of `template`, a row such as `(?, ?, 'none', ?)` with `?` for each
/// parameter, the marks numbered from `$first` on when `numbered` (see [`mark_list`]).
pub fn value_rows(numbered: bool, first: usize, count: usize, template: &str) -> String {
    let mut out = String::with_capacity(count * (template.len() + 8));
    let mut n = first;
    for row in 0..count {
        if row > 0 {
            out.push_str(", ");
        }
        for c in template.chars() {
            if c == '?' && numbered {
                out.push('$');
                out.push_str(&n.to_string());
                n += 1;
            } else {
                out.push(c);
            }
        }
    }
    out
}
