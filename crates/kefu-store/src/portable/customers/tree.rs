//! The channel tree: its closure-table paths, moves and merges.

use crate::portable::{Backend, On, Run, Values, db_err, rows};
use crate::{Db, DbStore};

impl DbStore {
    pub(crate) async fn customer_in<'e>(ex: impl On<'e>, id: i64) -> kefu_store::StoreResult<kefu_store::Customer> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM customers c WHERE c.id = $1",
            rows::CUSTOMER_COLS
        )))
        .bind(id)
        .one(ex, rows::customer)
        .await
    }

    /// Moves a customer's subtree under `new_parent` inside a transaction (closure-table paths).
    pub(crate) async fn move_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        id: i64,
        new_parent: Option<i64>,
        now: i64,
    ) -> kefu_store::StoreResult<()> {
        if let Some(p) = new_parent {
            Self::customer_in(&mut **tx, p).await.map_err(|e| match e {
                kefu_store::StoreError::NotFound => {
                    kefu_store::StoreError::Refused(format!("no customer {p} to buy through"))
                }
                other => other,
            })?;
            let inside: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_id = $2")
                    .bind(id)
                    .bind(p)
                    .value(&mut **tx)
                    .await?;
            if inside > 0 {
                return Err(kefu_store::StoreError::Cycle);
            }
        }
        // Cut the subtree from its old ancestors, then hang it under the new parent's chain.
        sqlx::query(
            "DELETE FROM customer_paths WHERE descendant_id IN (SELECT descendant_id FROM customer_paths \
                WHERE ancestor_id = $1) AND ancestor_id NOT IN (SELECT descendant_id FROM customer_paths \
                WHERE ancestor_id = $1)",
        )
        .bind(id)
        .run(&mut **tx)
        .await?;
        if let Some(p) = new_parent {
            sqlx::query(
                "INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) \
                    SELECT a.ancestor_id, d.descendant_id, a.depth + d.depth + 1, d.descendant_kind, \
                    d.descendant_live FROM customer_paths a, customer_paths d WHERE a.descendant_id = $1 \
                    AND d.ancestor_id = $2",
            )
            .bind(p)
            .bind(id)
            .run(&mut **tx)
            .await?;
        }
        sqlx::query("UPDATE customers SET parent_id = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(new_parent)
            .bind(now)
            .run(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Every column that names a customer, besides the tree (`parent_id`, moved above) and contacts
/// (which also lose their primary flag): a merge moves what they hold to the record that stays.
/// Survey answers follow their links. A new table that names a customer adds its column here.
const CUSTOMER_REFERENCES: [(&str, &str); 5] = [
    ("purchases", "customer_id"),
    ("purchases", "seller_id"),
    ("tickets", "customer_id"),
    ("tickets", "on_behalf_of_id"),
    ("survey_links", "customer_id"),
];

pub(crate) async fn merge_customers(
    store: &DbStore,
    from: i64,
    into: i64,
    now: i64,
) -> kefu_store::StoreResult<kefu_store::Customer> {
    if from == into {
        return Err(kefu_store::StoreError::Refused(
            "a customer cannot be merged into itself".into(),
        ));
    }
    let mut tx = store.write_tx().await.map_err(db_err)?;
    let a = DbStore::customer_in(&mut *tx, from).await?;
    let b = DbStore::customer_in(&mut *tx, into).await?;
    if a.deleted_at.is_some() || b.deleted_at.is_some() {
        return Err(kefu_store::StoreError::Refused(
            "only live (not deleted) customers can be merged".into(),
        ));
    }
    if a.kind != b.kind {
        return Err(kefu_store::StoreError::Refused(format!(
            "a customer of kind {} cannot be merged into one of kind {}",
            a.kind.as_str(),
            b.kind.as_str()
        )));
    }
    let beneath: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_id = $2")
            .bind(from)
            .bind(into)
            .value(&mut *tx)
            .await?;
    if beneath > 0 {
        return Err(kefu_store::StoreError::Cycle);
    }
    let children: Vec<i64> = sqlx::query_scalar("SELECT id FROM customers WHERE parent_id = $1 ORDER BY id")
        .bind(from)
        .values(&mut *tx)
        .await?;
    for child in children {
        DbStore::move_in(&mut tx, child, Some(into), now).await?;
    }
    sqlx::query("UPDATE contacts SET customer_id = $2, is_primary = FALSE, updated_at = $3 WHERE customer_id = $1")
        .bind(from)
        .bind(into)
        .bind(now)
        .run(&mut *tx)
        .await?;
    for (table, column) in CUSTOMER_REFERENCES {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET {column} = $2 WHERE {column} = $1"
        )))
        .bind(from)
        .bind(into)
        .run(&mut *tx)
        .await?;
    }
    let mut tags = b.tags.clone();
    for t in a.tags.iter() {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let notes = match (a.notes.trim().is_empty(), b.notes.trim().is_empty()) {
        (true, _) => b.notes.clone(),
        (false, true) => a.notes.clone(),
        (false, false) => format!("{}\n\n{}", b.notes, a.notes),
    };
    let region = if b.region.is_empty() {
        a.region.clone()
    } else {
        b.region.clone()
    };
    let manager = b.account_manager_id.or(a.account_manager_id);
    let external_id = b.external_id.clone().or(a.external_id.clone());
    if b.external_id.is_none() && a.external_id.is_some() {
        sqlx::query("UPDATE customers SET external_id = NULL WHERE id = $1")
            .bind(from)
            .run(&mut *tx)
            .await?;
    }
    let tags = serde_json::to_string(&tags).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
    sqlx::query(
        "UPDATE customers SET tags = $2, notes = $3, region = $4, account_manager_id = $5, external_id = $6, \
            updated_at = $7 WHERE id = $1",
    )
    .bind(into)
    .bind(tags)
    .bind(notes)
    .bind(region)
    .bind(manager)
    .bind(external_id)
    .bind(now)
    .run(&mut *tx)
    .await?;
    sqlx::query("UPDATE customers SET deleted_at = $2, merged_into = $3, updated_at = $2 WHERE id = $1")
        .bind(from)
        .bind(now)
        .bind(into)
        .run(&mut *tx)
        .await?;
    let out = DbStore::customer_in(&mut *tx, into).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(out)
}
