//! A customer import: every row checked (its fields, its account manager, its parent in the
//! file or the database) before anything is written, then the rows written parents first in one
//! transaction and indexed for search.

use super::table::{Table, cell};
use super::{ImportReport, RowError, err, file_error};
use crate::columns::CUSTOMER_COLUMNS;
use crate::customers::{CustomerInput, check};
use crate::{App, AppError, AppResult};
use kefu_core::customer::CustomerKind;
use kefu_store::ImportCustomer;
use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek};

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
                .import_customers(&ordered, self.now())
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
}

fn column_of(field: &str) -> &str {
    match field {
        "parent_id" => "parent_external_id",
        "seller_id" => "seller_external_id",
        "date" | "amount" | "currency" | "external_id" => field,
        other => other,
    }
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
