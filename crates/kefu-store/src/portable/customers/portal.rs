//! Portal accounts of contacts and their invitations.

use crate::DbStore;
use crate::portable::{Backend, Run, Values, db_err, rows};

pub(crate) async fn create_portal_user(
    store: &DbStore,
    u: kefu_store::NewUser,
    contact_id: i64,
) -> kefu_store::StoreResult<kefu_store::PortalAccount> {
    let mut tx = store.write_tx().await.map_err(db_err)?;
    let customer_id: i64 = sqlx::query_scalar(
        "SELECT k.customer_id FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE k.id = $1 \
            AND k.deleted_at IS NULL AND c.deleted_at IS NULL",
    )
    .bind(contact_id)
    .value(&mut *tx)
    .await?;
    let user = DbStore::insert_user_in(&mut tx, &u).await?;
    sqlx::query("INSERT INTO portal_accounts (user_id, contact_id, created_at) VALUES ($1, $2, $3)")
        .bind(user.id)
        .bind(contact_id)
        .bind(u.now)
        .run(&mut *tx)
        .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(kefu_store::PortalAccount {
        user,
        contact_id,
        customer_id,
        live: true,
    })
}

pub(crate) async fn portal_account(
    store: &DbStore,
    user_id: i64,
) -> kefu_store::StoreResult<Option<kefu_store::PortalAccount>> {
    sqlx::query(sqlx::AssertSqlSafe(portal_accounts_where("a.user_id = $1")))
        .bind(user_id)
        .maybe(store.reader(), portal_account_row)
        .await
}

pub(crate) async fn portal_accounts_of(
    store: &DbStore,
    customer_id: i64,
) -> kefu_store::StoreResult<Vec<kefu_store::PortalAccount>> {
    sqlx::query(sqlx::AssertSqlSafe(portal_accounts_where(
        "k.customer_id = $1 ORDER BY u.id",
    )))
    .bind(customer_id)
    .all(store.reader(), portal_account_row)
    .await
}

/// The portal accounts (rows for [`portal_account_row`]) that meet `cond`.
fn portal_accounts_where(cond: &str) -> String {
    format!(
        "SELECT {}, a.contact_id, k.customer_id, (k.deleted_at IS NULL AND c.deleted_at IS NULL) AS live \
            FROM portal_accounts a JOIN users u ON u.id = a.user_id JOIN contacts k ON k.id = a.contact_id \
            JOIN customers c ON c.id = k.customer_id WHERE {cond}",
        rows::USER_COLS
    )
}

/// A portal account row: the user's columns, then its contact and the contact's customer.
fn portal_account_row(r: &rows::DbRow) -> kefu_store::StoreResult<kefu_store::PortalAccount> {
    Ok(kefu_store::PortalAccount {
        user: rows::user(r)?,
        contact_id: rows::get(r, "contact_id")?,
        customer_id: rows::get(r, "customer_id")?,
        live: rows::get(r, "live")?,
    })
}

pub(crate) async fn create_invitation(
    store: &DbStore,
    user_id: i64,
    token_hash: &str,
    expires_at: i64,
    now: i64,
) -> kefu_store::StoreResult<()> {
    sqlx::query("INSERT INTO invitations (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash)
        .bind(user_id)
        .bind(expires_at)
        .bind(now)
        .run(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn accept_invitation(
    store: &DbStore,
    token_hash: &str,
    password_hash: &str,
    now: i64,
) -> kefu_store::StoreResult<kefu_store::User> {
    let mut tx = store.write_tx().await.map_err(db_err)?;
    let user_id: i64 = sqlx::query_scalar(
        "UPDATE invitations SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
            RETURNING user_id",
    )
    .bind(token_hash)
    .bind(now)
    .value(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1 \
            AND disabled = FALSE",
    )
    .bind(user_id)
    .bind(password_hash)
    .bind(now)
    .run(&mut *tx)
    .await?;
    let user = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM users u WHERE u.id = $1 AND u.disabled = FALSE",
        rows::USER_COLS
    )))
    .bind(user_id)
    .one(&mut *tx, rows::user)
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(user)
}

pub(crate) async fn invitation_is_live(store: &DbStore, token_hash: &str, now: i64) -> kefu_store::StoreResult<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.token_hash = $1 \
            AND i.used_at IS NULL AND i.expires_at > $2 AND u.disabled = FALSE",
    )
    .bind(token_hash)
    .bind(now)
    .value(store.reader())
    .await?;
    Ok(n > 0)
}
