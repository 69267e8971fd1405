//! Customers, contacts, purchases, the channel tree, imports, exports and portal accounts.

mod import;
mod portal;
mod tree;

use crate::DbStore;
use crate::portable::rows::at;
use crate::portable::{Backend, Run, Values, db_err, rows};

#[async_trait::async_trait]
impl kefu_store::Customers for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_customer(&self, c: kefu_store::NewCustomer) -> kefu_store::StoreResult<kefu_store::Customer> {
        let tags = serde_json::to_string(&c.tags).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO customers (external_id, name, kind, subkind, is_organisation, parent_id, region, tags, \
                account_manager_id, notes, value_tier, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'none', $11, $11) RETURNING id",
        )
        .bind(&c.external_id)
        .bind(&c.name)
        .bind(c.kind.as_str())
        .bind(c.subkind.map(|k| k.as_str()))
        .bind(c.is_organisation)
        .bind(c.parent_id)
        .bind(&c.region)
        .bind(tags)
        .bind(c.account_manager_id)
        .bind(&c.notes)
        .bind(c.now)
        .value(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) \
                VALUES ($1, $1, 0, $2, TRUE)",
        )
        .bind(id)
        .bind(c.kind.as_str())
        .run(&mut *tx)
        .await?;
        if let Some(p) = c.parent_id {
            sqlx::query(
                "INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) \
                    SELECT ancestor_id, $1, depth + 1, $3, TRUE FROM customer_paths WHERE descendant_id = $2",
            )
            .bind(id)
            .bind(p)
            .bind(c.kind.as_str())
            .run(&mut *tx)
            .await?;
        }
        let out = Self::customer_in(&mut *tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_customer(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Customer> {
        Self::customer_in(self.reader(), id).await
    }
    #[tracing::instrument(skip_all)]
    async fn get_customer_by_external_id(&self, external_id: &str) -> kefu_store::StoreResult<kefu_store::Customer> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM customers c WHERE c.external_id = $1",
            rows::CUSTOMER_COLS
        )))
        .bind(external_id)
        .one(self.reader(), rows::customer)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn update_customer(
        &self,
        id: i64,
        p: kefu_store::CustomerPatch,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Customer> {
        let tags = p
            .tags
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
        let mut tx = self.write_tx().await.map_err(db_err)?;
        if let Some(parent) = p.parent_id {
            Self::customer_in(&mut *tx, id).await?;
            Self::move_in(&mut tx, id, parent, now).await?;
        }
        sqlx::query(
            "UPDATE customers SET name = COALESCE($2, name), kind = COALESCE($3, kind), subkind = CASE \
                WHEN $4 THEN $5 ELSE subkind END, is_organisation = COALESCE($6, is_organisation), \
                region = COALESCE($7, region), tags = COALESCE($8, tags), account_manager_id = CASE \
                WHEN $9 THEN $10 ELSE account_manager_id END, notes = COALESCE($11, notes), external_id = CASE \
                WHEN $12 THEN $13 ELSE external_id END, updated_at = $14 WHERE id = $1",
        )
        .bind(id)
        .bind(p.name)
        .bind(p.kind.map(|k| k.as_str()))
        .bind(p.subkind.is_some())
        .bind(p.subkind.flatten().map(|k| k.as_str()))
        .bind(p.is_organisation)
        .bind(p.region)
        .bind(tags)
        .bind(p.account_manager_id.is_some())
        .bind(p.account_manager_id.flatten())
        .bind(p.notes)
        .bind(p.external_id.is_some())
        .bind(p.external_id.flatten())
        .bind(now)
        .found(&mut *tx)
        .await?;
        let out = Self::customer_in(&mut *tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn move_customer(
        &self,
        id: i64,
        new_parent: Option<i64>,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Customer> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        Self::customer_in(&mut *tx, id).await?;
        Self::move_in(&mut tx, id, new_parent, now).await?;
        let out = Self::customer_in(&mut *tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn set_customer_deleted(
        &self,
        id: i64,
        deleted_at: Option<i64>,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Customer> {
        sqlx::query("UPDATE customers SET deleted_at = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(deleted_at)
            .bind(now)
            .found(self.writer())
            .await?;
        Self::customer_in(self.writer(), id).await
    }
    #[tracing::instrument(skip_all)]
    async fn list_customers(
        &self,
        f: kefu_store::CustomerFilter,
    ) -> kefu_store::StoreResult<Vec<kefu_store::Customer>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM customers c WHERE c.id > $1 AND ($2 IS NULL OR c.kind = $2) AND ($3 IS NULL \
                OR c.value_tier = $3) AND ($4 OR $7 OR c.deleted_at IS NULL) AND (NOT $7 OR c.deleted_at IS NOT NULL) \
                AND ($6 IS NULL OR EXISTS (SELECT 1 FROM customer_paths w WHERE w.ancestor_id = $6 \
                AND w.descendant_id = c.id)) ORDER BY c.id LIMIT $5",
            rows::CUSTOMER_COLS
        )))
        .bind(f.after)
        .bind(f.kind.map(|k| k.as_str()))
        .bind(f.tier.map(|t| t.as_str()))
        .bind(f.include_deleted)
        .bind(i64::from(f.limit))
        .bind(f.within)
        .bind(f.deleted_only)
        .all(self.reader(), rows::customer)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn count_customers(&self) -> kefu_store::StoreResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE deleted_at IS NULL")
            .value(self.reader())
            .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn customer_ancestors(&self, id: i64) -> kefu_store::StoreResult<Vec<kefu_store::Customer>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM customer_paths p JOIN customers c ON c.id = p.ancestor_id WHERE p.descendant_id = $1 \
                AND p.depth > 0 ORDER BY p.depth DESC",
            rows::CUSTOMER_COLS
        )))
        .bind(id)
        .all(self.reader(), rows::customer)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn subtree_counts(&self, id: i64) -> kefu_store::StoreResult<Vec<(String, i64)>> {
        // The paths carry the descendant's kind and deleted mark (migration 0005): no join, and a
        // partial index whose WHERE this one repeats word for word (SQLite matches it so).
        sqlx::query_as(
            "SELECT descendant_kind, COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_live \
                AND depth > 0 GROUP BY descendant_kind ORDER BY descendant_kind",
        )
        .bind(id)
        .values(self.reader())
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn subtree_customers(
        &self,
        id: i64,
        kind: Option<kefu_core::customer::CustomerKind>,
        after: i64,
        limit: u32,
    ) -> kefu_store::StoreResult<Vec<kefu_store::Customer>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM customer_paths p JOIN customers c ON c.id = p.descendant_id WHERE p.ancestor_id = $1 \
                AND p.descendant_live AND p.depth > 0 AND ($2 IS NULL OR p.descendant_kind = $2) \
                AND p.descendant_id > $3 ORDER BY p.descendant_id LIMIT $4",
            rows::CUSTOMER_COLS
        )))
        .bind(id)
        .bind(kind.map(|k| k.as_str()))
        .bind(after)
        .bind(i64::from(limit))
        .all(self.reader(), rows::customer)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn index_customer(&self, id: i64, terms: &kefu_core::search::IndexTerms) -> kefu_store::StoreResult<()> {
        self.backend_index_customers(&[(id, terms.clone())]).await
    }
    #[tracing::instrument(skip_all)]
    async fn search_customers(
        &self,
        query: &[kefu_core::search::QueryPart],
        within: Option<i64>,
        limit: u32,
    ) -> kefu_store::StoreResult<Vec<kefu_store::Customer>> {
        if query.is_empty() {
            return Ok(vec![]);
        }
        let rows = self
            .backend_search_customers(query, rows::CUSTOMER_COLS, within, limit)
            .await?;
        rows.iter().map(rows::customer).collect()
    }

    #[tracing::instrument(skip_all)]
    async fn add_contact(&self, c: kefu_store::NewContact) -> kefu_store::StoreResult<kefu_store::Contact> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        if c.is_primary {
            sqlx::query("UPDATE contacts SET is_primary = FALSE WHERE customer_id = $1")
                .bind(c.customer_id)
                .run(&mut *tx)
                .await?;
        }
        let out = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO contacts (customer_id, name, phone, phone_norm, email, role, language, preferred_channel, \
                social_style, is_primary, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
                $10, $11, $11) RETURNING {}",
            rows::CONTACT_COLS
        )))
        .bind(c.customer_id)
        .bind(c.name)
        .bind(c.phone)
        .bind(c.phone_norm)
        .bind(c.email)
        .bind(c.role)
        .bind(c.language.map(|l| l.code()))
        .bind(c.preferred_channel)
        .bind(c.social_style.map(|s| s.as_str()))
        .bind(c.is_primary)
        .bind(c.now)
        .one(&mut *tx, rows::contact)
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all, fields(customer_id = customer_id))]
    async fn list_contacts(&self, customer_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::Contact>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM contacts WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY is_primary DESC, id",
            rows::CONTACT_COLS
        )))
        .bind(customer_id)
        .all(self.reader(), rows::contact)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn find_contacts(&self, phone_norm: &str, email: &str) -> kefu_store::StoreResult<Vec<kefu_store::Contact>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM contacts k WHERE (($1 <> '' AND k.phone_norm = $1) OR ($2 <> '' AND k.email = $2)) \
                AND k.deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = k.customer_id \
                AND c.deleted_at IS NULL) ORDER BY k.id",
            rows::CONTACT_COLS
        )))
        .bind(phone_norm)
        .bind(email)
        .all(self.reader(), rows::contact)
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn upsert_purchase(
        &self,
        p: kefu_store::NewPurchase,
    ) -> kefu_store::StoreResult<(kefu_store::Purchase, bool)> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM purchases WHERE external_id = $1")
            .bind(&p.external_id)
            .value_if_any(&mut *tx)
            .await?;
        let row = match existing {
            Some(id) => sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE purchases SET customer_id = $2, purchased_on = $3, amount_minor = $4, currency = $5, \
                    sku = $6, product_name = $7, category = $8, serial = $9, seller_id = $10, deleted_at = NULL \
                    WHERE id = $1 RETURNING {}",
                rows::PURCHASE_COLS
            )))
            .bind(id),
            None => sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO purchases (external_id, customer_id, purchased_on, amount_minor, currency, sku, \
                    product_name, category, serial, seller_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
                    $8, $9, $10, $11) RETURNING {}",
                rows::PURCHASE_COLS
            )))
            .bind(&p.external_id),
        }
        .bind(p.customer_id)
        .bind(&p.purchased_on)
        .bind(p.amount_minor)
        .bind(&p.currency)
        .bind(&p.sku)
        .bind(&p.product_name)
        .bind(&p.category)
        .bind(&p.serial)
        .bind(p.seller_id);
        let out = if existing.is_none() { row.bind(p.now) } else { row }
            .one(&mut *tx, rows::purchase)
            .await?;
        tx.commit().await.map_err(db_err)?;
        Ok((out, existing.is_none()))
    }
    #[tracing::instrument(skip_all, fields(customer_id = customer_id))]
    async fn list_purchases(&self, customer_id: i64, limit: u32) -> kefu_store::StoreResult<Vec<kefu_store::Purchase>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM purchases WHERE customer_id = $1 AND deleted_at IS NULL \
                ORDER BY purchased_on DESC, id DESC LIMIT $2",
            rows::PURCHASE_COLS
        )))
        .bind(customer_id)
        .bind(i64::from(limit))
        .all(self.reader(), rows::purchase)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn rfm_rows(&self) -> kefu_store::StoreResult<Vec<kefu_store::RfmRow>> {
        sqlx::query(
            "SELECT customer_id, MAX(purchased_on), COUNT(*), CAST(SUM(amount_minor) AS BIGINT) FROM purchases \
                WHERE deleted_at IS NULL GROUP BY customer_id ORDER BY customer_id",
        )
        .all(self.reader(), |r| {
            Ok(kefu_store::RfmRow {
                customer_id: at(r, 0)?,
                last_purchased_on: at(r, 1)?,
                purchases: at(r, 2)?,
                amount_minor: at(r, 3)?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn existing_customer_external_ids(
        &self,
        ids: &[String],
    ) -> kefu_store::StoreResult<Vec<(String, i64, kefu_core::customer::CustomerKind)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT external_id, id, kind FROM customers WHERE external_id IN {}",
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, i64, String)>(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(id);
            }
            for (e, id, k) in q.fetch_all(self.reader()).await.map_err(db_err)? {
                out.push((
                    e,
                    id,
                    kefu_core::customer::CustomerKind::parse(&k)
                        .map_err(|e| kefu_store::StoreError::Data(e.to_string()))?,
                ));
            }
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn import_customers(
        &self,
        rows: &[kefu_store::ImportCustomer],
        now: i64,
    ) -> kefu_store::StoreResult<(Vec<i64>, kefu_store::ImportCounts)> {
        import::import_customers(self, rows, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn begin_purchase_import(&self, now: i64) -> kefu_store::StoreResult<Box<dyn kefu_store::PurchaseImport>> {
        import::begin_purchase_import(self, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn customers_by_ids(&self, ids: &[i64]) -> kefu_store::StoreResult<Vec<kefu_store::Customer>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {} FROM customers c WHERE c.id IN {} ORDER BY c.id",
                rows::CUSTOMER_COLS,
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(self.reader()).await.map_err(db_err)? {
                out.push(rows::customer(&row)?);
            }
        }
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn contacts_of_customers(&self, ids: &[i64]) -> kefu_store::StoreResult<Vec<kefu_store::Contact>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {} FROM contacts WHERE customer_id IN {} AND deleted_at IS NULL \
                    ORDER BY customer_id, is_primary DESC, id",
                rows::CONTACT_COLS,
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(self.reader()).await.map_err(db_err)? {
                out.push(rows::contact(&row)?);
            }
        }
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn index_customers(&self, rows: &[(i64, kefu_core::search::IndexTerms)]) -> kefu_store::StoreResult<()> {
        self.backend_index_customers(rows).await
    }

    #[tracing::instrument(skip_all, fields(root = root, id = id))]
    async fn is_within(&self, root: i64, id: i64) -> kefu_store::StoreResult<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_id = $2")
                .bind(root)
                .bind(id)
                .value(self.reader())
                .await?;
        Ok(n > 0)
    }
    #[tracing::instrument(skip_all)]
    async fn tree_children(
        &self,
        parent: Option<i64>,
        offset: u32,
        limit: u32,
    ) -> kefu_store::StoreResult<Vec<kefu_store::TreeNode>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {}, (SELECT COUNT(*) FROM customer_paths p WHERE p.ancestor_id = c.id AND p.descendant_live \
                AND p.depth > 0) AS beneath FROM customers c WHERE c.deleted_at IS NULL AND (($1 IS NULL \
                AND c.parent_id IS NULL) OR c.parent_id = $1) ORDER BY c.id LIMIT $2 OFFSET $3",
            rows::CUSTOMER_COLS
        )))
        .bind(parent)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.reader())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(kefu_store::TreeNode {
                    customer: rows::customer(r)?,
                    beneath: rows::get(r, "beneath")?,
                })
            })
            .collect()
    }
    #[tracing::instrument(skip_all, fields(from = from, into = into))]
    async fn merge_customers(&self, from: i64, into: i64, now: i64) -> kefu_store::StoreResult<kefu_store::Customer> {
        tree::merge_customers(self, from, into, now).await
    }
    #[tracing::instrument(skip_all)]
    async fn duplicate_pairs(&self, limit: u32) -> kefu_store::StoreResult<Vec<kefu_store::DuplicatePair>> {
        sqlx::query(
            "SELECT first_id, second_id, MIN(reason), MIN(value) FROM (SELECT a.customer_id AS first_id, \
                b.customer_id AS second_id, 'phone' AS reason, a.phone_norm AS value FROM contacts a \
                JOIN contacts b ON b.phone_norm = a.phone_norm AND b.customer_id > a.customer_id \
                WHERE a.phone_norm <> '' AND a.deleted_at IS NULL AND b.deleted_at IS NULL UNION ALL \
                SELECT a.customer_id, b.customer_id, 'email', a.email FROM contacts a \
                JOIN contacts b ON b.email = a.email AND b.customer_id > a.customer_id WHERE a.email <> '' \
                AND a.deleted_at IS NULL AND b.deleted_at IS NULL) d WHERE EXISTS (SELECT 1 FROM customers c \
                WHERE c.id = d.first_id AND c.deleted_at IS NULL) AND EXISTS (SELECT 1 FROM customers c \
                WHERE c.id = d.second_id AND c.deleted_at IS NULL) GROUP BY first_id, second_id \
                ORDER BY second_id DESC, first_id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
        .all(self.reader(), |r| {
            Ok(kefu_store::DuplicatePair {
                first_id: at(r, 0)?,
                second_id: at(r, 1)?,
                reason: at(r, 2)?,
                value: at(r, 3)?,
            })
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_contact(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Contact> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM contacts WHERE id = $1 AND deleted_at IS NULL",
            rows::CONTACT_COLS
        )))
        .bind(id)
        .one(self.reader(), rows::contact)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn update_contact(
        &self,
        id: i64,
        p: kefu_store::ContactPatch,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Contact> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let customer_id: i64 =
            sqlx::query_scalar("SELECT customer_id FROM contacts WHERE id = $1 AND deleted_at IS NULL")
                .bind(id)
                .value(&mut *tx)
                .await?;
        if p.is_primary == Some(true) {
            sqlx::query("UPDATE contacts SET is_primary = FALSE WHERE customer_id = $1")
                .bind(customer_id)
                .run(&mut *tx)
                .await?;
        }
        let (phone, phone_norm) = p.phone.map_or((None, None), |(a, b)| (Some(a), Some(b)));
        let out = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE contacts SET name = COALESCE($2, name), phone = COALESCE($3, phone), phone_norm = COALESCE($4, \
                phone_norm), email = COALESCE($5, email), role = COALESCE($6, role), language = CASE \
                WHEN $7 THEN $8 ELSE language END, preferred_channel = COALESCE($9, preferred_channel), \
                social_style = CASE WHEN $10 THEN $11 ELSE social_style END, is_primary = COALESCE($12, \
                is_primary), updated_at = $13 WHERE id = $1 RETURNING {}",
            rows::CONTACT_COLS
        )))
        .bind(id)
        .bind(p.name)
        .bind(phone)
        .bind(phone_norm)
        .bind(p.email)
        .bind(p.role)
        .bind(p.language.is_some())
        .bind(p.language.flatten().map(|l| l.code()))
        .bind(p.preferred_channel)
        .bind(p.social_style.is_some())
        .bind(p.social_style.flatten().map(|s| s.as_str()))
        .bind(p.is_primary)
        .bind(now)
        .one(&mut *tx, rows::contact)
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn delete_contact(&self, id: i64, now: i64) -> kefu_store::StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let linked: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_accounts a JOIN users u ON u.id = a.user_id WHERE a.contact_id = $1 \
                AND u.disabled = FALSE",
        )
        .bind(id)
        .value(&mut *tx)
        .await?;
        if linked > 0 {
            return Err(kefu_store::StoreError::Refused(
                "this contact has a portal account: disable the account first".into(),
            ));
        }
        sqlx::query(
            "UPDATE contacts SET deleted_at = $2, is_primary = FALSE, updated_at = $2 WHERE id = $1 \
                AND deleted_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .found(&mut *tx)
        .await?;
        tx.commit().await.map_err(db_err)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_purchase(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Purchase> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM purchases WHERE id = $1 AND deleted_at IS NULL",
            rows::PURCHASE_COLS
        )))
        .bind(id)
        .one(self.reader(), rows::purchase)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn replace_purchase(
        &self,
        id: i64,
        p: kefu_store::NewPurchase,
    ) -> kefu_store::StoreResult<kefu_store::Purchase> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE purchases SET external_id = $2, customer_id = $3, purchased_on = $4, amount_minor = $5, \
                currency = $6, sku = $7, product_name = $8, category = $9, serial = $10, seller_id = $11 \
                WHERE id = $1 AND deleted_at IS NULL RETURNING {}",
            rows::PURCHASE_COLS
        )))
        .bind(id)
        .bind(&p.external_id)
        .bind(p.customer_id)
        .bind(&p.purchased_on)
        .bind(p.amount_minor)
        .bind(&p.currency)
        .bind(&p.sku)
        .bind(&p.product_name)
        .bind(&p.category)
        .bind(&p.serial)
        .bind(p.seller_id)
        .one(self.writer(), rows::purchase)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn delete_purchase(&self, id: i64, now: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("UPDATE purchases SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .bind(now)
            .found(self.writer())
            .await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_portal_user(
        &self,
        u: kefu_store::NewUser,
        contact_id: i64,
    ) -> kefu_store::StoreResult<kefu_store::PortalAccount> {
        portal::create_portal_user(self, u, contact_id).await
    }
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    async fn portal_account(&self, user_id: i64) -> kefu_store::StoreResult<Option<kefu_store::PortalAccount>> {
        portal::portal_account(self, user_id).await
    }
    #[tracing::instrument(skip_all, fields(customer_id = customer_id))]
    async fn portal_accounts_of(&self, customer_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::PortalAccount>> {
        portal::portal_accounts_of(self, customer_id).await
    }
    #[tracing::instrument(skip_all)]
    async fn create_invitation(
        &self,
        user_id: i64,
        token_hash: &str,
        expires_at: i64,
        now: i64,
    ) -> kefu_store::StoreResult<()> {
        portal::create_invitation(self, user_id, token_hash, expires_at, now).await
    }
    #[tracing::instrument(skip_all)]
    async fn accept_invitation(
        &self,
        token_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::User> {
        portal::accept_invitation(self, token_hash, password_hash, now).await
    }
    #[tracing::instrument(skip_all)]
    async fn invitation_is_live(&self, token_hash: &str, now: i64) -> kefu_store::StoreResult<bool> {
        portal::invitation_is_live(self, token_hash, now).await
    }

    #[tracing::instrument(skip_all)]
    async fn set_value_tiers(&self, tiers: &[(i64, kefu_core::rfm::ValueTier)]) -> kefu_store::StoreResult<()> {
        // One statement per tier and 500 customers, not one per customer.
        let mut by_tier: std::collections::BTreeMap<&str, Vec<i64>> = std::collections::BTreeMap::new();
        for (id, tier) in tiers {
            by_tier.entry(tier.as_str()).or_default().push(*id);
        }
        let mut tx = self.write_tx().await.map_err(db_err)?;
        // Customers whose purchases are gone (deleted, merged away) have no tier any more.
        sqlx::query(
            "UPDATE customers SET value_tier = 'none' WHERE value_tier <> 'none' AND NOT EXISTS (SELECT 1 \
                FROM purchases p WHERE p.customer_id = customers.id AND p.deleted_at IS NULL)",
        )
        .run(&mut *tx)
        .await?;
        for (tier, ids) in &by_tier {
            for chunk in ids.chunks(500) {
                let sql = format!(
                    "UPDATE customers SET value_tier = {} WHERE id IN {}",
                    crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, 1),
                    crate::portable::mark_list(Self::NUMBERED_PARAMS, 2, chunk.len())
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(*tier);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await.map_err(db_err)?;
            }
        }
        tx.commit().await.map_err(db_err)
    }

    #[tracing::instrument(skip_all)]
    async fn assign_external_ids(&self, prefix: &str, now: i64) -> kefu_store::StoreResult<Vec<i64>> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let ids: Vec<i64> = sqlx::query_scalar(
            "UPDATE customers SET external_id = $1 || CAST(id AS TEXT), updated_at = $2 WHERE external_id IS NULL \
                RETURNING id",
        )
        .bind(prefix)
        .bind(now)
        .values(&mut *tx)
        .await?;
        tx.commit().await.map_err(db_err)?;
        Ok(ids)
    }
    #[tracing::instrument(skip_all)]
    async fn export_customers(
        &self,
        after: i64,
        limit: u32,
    ) -> kefu_store::StoreResult<Vec<kefu_store::ExportCustomer>> {
        sqlx::query(rows::EXPORT_CUSTOMER_SQL)
            .bind(after)
            .bind(i64::from(limit))
            .all(self.reader(), rows::export_customer)
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn export_purchases(
        &self,
        after: i64,
        limit: u32,
    ) -> kefu_store::StoreResult<Vec<kefu_store::ExportPurchase>> {
        sqlx::query(rows::EXPORT_PURCHASE_SQL)
            .bind(after)
            .bind(i64::from(limit))
            .all(self.reader(), rows::export_purchase)
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn count_export_purchases(&self) -> kefu_store::StoreResult<i64> {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM purchases p JOIN customers c ON c.id = p.customer_id WHERE c.deleted_at IS NULL \
                AND p.deleted_at IS NULL",
        )
        .value(self.reader())
        .await
    }
}
