//! Bulk writes of customers and purchases: one transaction each, multi-row statements.

use crate::portable::{Backend, Run, Values, db_err};
use crate::{Db, DbStore};

/// A purchase import: one write transaction; the backend's `write_purchases` writes each batch.
struct PortablePurchaseImport {
    tx: sqlx::Transaction<'static, Db>,
    now: i64,
    before: i64,
    written: u64,
}

#[async_trait::async_trait]
impl kefu_store::PurchaseImport for PortablePurchaseImport {
    #[tracing::instrument(name = "purchase_import_write", skip_all)]
    async fn write(&mut self, rows: Vec<kefu_store::ImportPurchase>) -> kefu_store::StoreResult<()> {
        let n = rows.len() as u64;
        DbStore::write_purchases(&mut self.tx, rows, self.now).await?;
        self.written += n;
        Ok(())
    }
    #[tracing::instrument(name = "purchase_import_commit", skip_all)]
    async fn commit(self: Box<Self>) -> kefu_store::StoreResult<kefu_store::ImportCounts> {
        let mut tx = self.tx;
        let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM purchases")
            .value(&mut *tx)
            .await?;
        DbStore::bulk_write_ends(&mut tx).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(kefu_store::ImportCounts::from_totals(self.before, after, self.written))
    }
}

pub(crate) async fn import_customers(
    store: &DbStore,
    rows: &[kefu_store::ImportCustomer],
    now: i64,
) -> kefu_store::StoreResult<(Vec<i64>, kefu_store::ImportCounts)> {
    use std::collections::HashMap;
    let numbered = DbStore::NUMBERED_PARAMS;
    let mut counts = kefu_store::ImportCounts::default();
    let mut tx = store.write_tx().await.map_err(db_err)?;
    DbStore::bulk_write_begins(&mut tx).await?;
    // Every row and parent already in the database: external id -> (id, parent id).
    let mut known: HashMap<String, (i64, Option<i64>)> = HashMap::new();
    let wanted: Vec<&str> = rows
        .iter()
        .map(|r| r.external_id.as_str())
        .chain(rows.iter().filter_map(|r| r.parent_external_id.as_deref()))
        .collect::<std::collections::HashSet<_>>()
        .into_iter()
        .collect();
    for chunk in wanted.chunks(500) {
        let sql = format!(
            "SELECT external_id, id, parent_id FROM customers WHERE external_id IN {}",
            crate::portable::mark_list(numbered, 1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (String, i64, Option<i64>)>(sqlx::AssertSqlSafe(sql));
        for e in chunk {
            q = q.bind(*e);
        }
        for (e, id, parent) in q.fetch_all(&mut *tx).await.map_err(db_err)? {
            known.insert(e, (id, parent));
        }
    }
    // Rows by level: a row whose parent is an earlier row of the file comes one level below
    // it. A level's new rows go in multi-row statements once the level above is written.
    let position: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.external_id.as_str(), i))
        .collect();
    let mut level = vec![0usize; rows.len()];
    let mut levels: Vec<Vec<usize>> = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        if let Some(&p) = r.parent_external_id.as_deref().and_then(|p| position.get(p)) {
            if p >= i {
                return Err(kefu_store::StoreError::Refused(format!(
                    "customer {:?} comes before its parent in the import",
                    r.external_id
                )));
            }
            level[i] = level[p] + 1;
        }
        if levels.len() <= level[i] {
            levels.push(Vec::new());
        }
        levels[level[i]].push(i);
    }
    let mut ids = vec![0i64; rows.len()];
    for members in &levels {
        let mut parents: Vec<Option<i64>> = Vec::with_capacity(members.len());
        for &i in members {
            parents.push(match &rows[i].parent_external_id {
                Some(p) => {
                    Some(known.get(p).map(|k| k.0).ok_or_else(|| {
                        kefu_store::StoreError::Refused(format!("no customer with external_id {p:?}"))
                    })?)
                }
                None => None,
            });
        }
        let (old, new): (Vec<_>, Vec<_>) = members
            .iter()
            .copied()
            .zip(parents)
            .partition(|(i, _)| known.contains_key(&rows[*i].external_id));
        for chunk in new.chunks(500) {
            let sql = format!(
                "INSERT INTO customers (external_id, name, kind, subkind, is_organisation, parent_id, region, tags, \
                    account_manager_id, notes, value_tier, created_at, updated_at) VALUES {} \
                    RETURNING id, external_id",
                crate::portable::value_rows(numbered, 1, chunk.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'none', ?, ?)")
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
            for (i, parent) in chunk {
                let r = &rows[*i];
                let tags = serde_json::to_string(&r.tags).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
                q = q
                    .bind(&r.external_id)
                    .bind(&r.name)
                    .bind(r.kind.as_str())
                    .bind(r.subkind.map(|k| k.as_str()))
                    .bind(r.is_organisation)
                    .bind(*parent)
                    .bind(&r.region)
                    .bind(tags)
                    .bind(r.account_manager_id)
                    .bind(&r.notes)
                    .bind(now)
                    .bind(now);
            }
            let made = q.fetch_all(&mut *tx).await.map_err(db_err)?;
            let made: HashMap<String, i64> = made.into_iter().map(|(id, e)| (e, id)).collect();
            let mut new_ids = Vec::with_capacity(chunk.len());
            for (i, parent) in chunk {
                let id = *made
                    .get(&rows[*i].external_id)
                    .ok_or_else(|| kefu_store::StoreError::Database("a new customer's id did not come back".into()))?;
                ids[*i] = id;
                new_ids.push(id);
                known.insert(rows[*i].external_id.clone(), (id, *parent));
            }
            counts.inserted += chunk.len() as u64;
            // Tree paths: each new row to itself, and to every ancestor of its parent.
            let sql = format!(
                "INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) \
                    SELECT id, id, 0, kind, deleted_at IS NULL FROM customers WHERE id IN {} UNION ALL \
                    SELECT p.ancestor_id, c.id, p.depth + 1, c.kind, c.deleted_at IS NULL FROM customers c \
                    JOIN customer_paths p ON p.descendant_id = c.parent_id WHERE c.id IN {}",
                crate::portable::mark_list(numbered, 1, new_ids.len()),
                crate::portable::mark_list(numbered, new_ids.len() + 1, new_ids.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in new_ids.iter().chain(new_ids.iter()) {
                q = q.bind(*id);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
            let with_contact: Vec<(i64, &kefu_store::ImportCustomer)> = chunk
                .iter()
                .map(|(i, _)| (ids[*i], &rows[*i]))
                .filter(|(_, r)| r.phone.is_some() || r.email.is_some() || r.social_style.is_some())
                .collect();
            if !with_contact.is_empty() {
                let sql = format!(
                    "INSERT INTO contacts (customer_id, name, phone, phone_norm, email, role, language, \
                        preferred_channel, social_style, is_primary, created_at, updated_at) VALUES {}",
                    crate::portable::value_rows(
                        numbered,
                        1,
                        with_contact.len(),
                        "(?, ?, ?, ?, ?, '', NULL, '', ?, ?, ?, ?)"
                    )
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (id, r) in with_contact {
                    let (phone, phone_norm) = r.phone.clone().unwrap_or_default();
                    q = q
                        .bind(id)
                        .bind(&r.name)
                        .bind(phone)
                        .bind(phone_norm)
                        .bind(r.email.clone().unwrap_or_default())
                        .bind(r.social_style.map(|s| s.as_str()))
                        .bind(true)
                        .bind(now)
                        .bind(now);
                }
                q.execute(&mut *tx).await.map_err(db_err)?;
            }
        }
        for (i, parent) in old {
            let r = &rows[i];
            let (id, old_parent) = known[&r.external_id];
            let tags = serde_json::to_string(&r.tags).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
            sqlx::query(
                "UPDATE customers SET name = $2, kind = $3, subkind = $4, is_organisation = $5, region = $6, \
                    tags = $7, account_manager_id = $8, notes = $9, deleted_at = NULL, updated_at = $10 \
                    WHERE id = $1",
            )
            .bind(id)
            .bind(&r.name)
            .bind(r.kind.as_str())
            .bind(r.subkind.map(|k| k.as_str()))
            .bind(r.is_organisation)
            .bind(&r.region)
            .bind(&tags)
            .bind(r.account_manager_id)
            .bind(&r.notes)
            .bind(now)
            .run(&mut *tx)
            .await?;
            if old_parent != parent {
                DbStore::move_in(&mut tx, id, parent, now).await?;
                known.insert(r.external_id.clone(), (id, parent));
            }
            if r.phone.is_some() || r.email.is_some() || r.social_style.is_some() {
                let (phone, phone_norm) = r.phone.clone().unwrap_or_default();
                let email = r.email.clone().unwrap_or_default();
                let style = r.social_style.map(|s| s.as_str());
                let primary: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM contacts WHERE customer_id = $1 AND is_primary = TRUE")
                        .bind(id)
                        .value_if_any(&mut *tx)
                        .await?;
                // Both statements take the contact's values in the same order, after whom they are of.
                let save = match primary {
                    Some(cid) => sqlx::query(
                        "UPDATE contacts SET phone = $2, phone_norm = $3, email = $4, social_style = $5, \
                                updated_at = $6 WHERE id = $1",
                    )
                    .bind(cid),
                    None => sqlx::query(
                        "INSERT INTO contacts (customer_id, name, phone, phone_norm, email, role, language, \
                                preferred_channel, social_style, is_primary, created_at, updated_at) \
                                VALUES ($1, $2, $3, $4, $5, '', NULL, '', $6, TRUE, $7, $7)",
                    )
                    .bind(id)
                    .bind(&r.name),
                };
                save.bind(phone)
                    .bind(phone_norm)
                    .bind(email)
                    .bind(style)
                    .bind(now)
                    .run(&mut *tx)
                    .await?;
            }
            ids[i] = id;
            counts.updated += 1;
        }
    }
    DbStore::bulk_write_ends(&mut tx).await?;
    tx.commit().await.map_err(db_err)?;
    Ok((ids, counts))
}

pub(crate) async fn begin_purchase_import(
    store: &DbStore,
    now: i64,
) -> kefu_store::StoreResult<Box<dyn kefu_store::PurchaseImport>> {
    let mut tx = store.write_tx().await.map_err(db_err)?;
    DbStore::bulk_write_begins(&mut tx).await?;
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM purchases")
        .value(&mut *tx)
        .await?;
    Ok(Box::new(PortablePurchaseImport {
        tx,
        now,
        before,
        written: 0,
    }))
}
