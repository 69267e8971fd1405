//! Decoding the rows of the accounts, customers, jobs and webhooks tables, and their column lists.

use crate::Db;
pub(crate) use crate::portable::backend::DbRow;
use crate::portable::db_err;
use kefu_store::*;
use sqlx::Row;

pub(crate) fn data<E: std::fmt::Display>(e: E) -> StoreError {
    StoreError::Data(e.to_string())
}
pub fn get<'r, T>(row: &'r DbRow, col: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get::<T, _>(col).map_err(db_err)
}
/// Column `i` (from 0) of a row, for columns that are expressions without a name of their own.
pub fn at<'r, T>(row: &'r DbRow, i: usize) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get::<T, _>(i).map_err(db_err)
}
pub(crate) fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

pub const USER_COLS: &str = "u.id, u.email, u.name, u.role, u.language, u.password_hash, u.disabled, u.failed_logins, \
    u.locked_until, u.last_login_at, u.created_at, u.updated_at";
pub const USER_COLS_BARE: &str = "id, email, name, role, language, password_hash, disabled, failed_logins, \
    locked_until, last_login_at, created_at, updated_at";
pub const JOB_COLS: &str = crate::portable::JOB_COLUMNS;

pub const CUSTOMER_COLS: &str = "c.id, c.external_id, c.name, c.kind, c.subkind, c.is_organisation, c.parent_id, \
    c.region, c.tags, c.account_manager_id, c.notes, c.value_tier, c.deleted_at, c.merged_into, c.created_at, \
    c.updated_at";
pub const CONTACT_COLS: &str = "id, customer_id, name, phone, phone_norm, email, role, language, preferred_channel, \
    social_style, is_primary, created_at, updated_at";
pub const PURCHASE_COLS: &str = "id, external_id, customer_id, purchased_on, amount_minor, currency, sku, \
    product_name, category, serial, seller_id, created_at";

pub fn customer(row: &DbRow) -> StoreResult<Customer> {
    let kind: String = get(row, "kind")?;
    let subkind: Option<String> = get(row, "subkind")?;
    let tags: String = get(row, "tags")?;
    let tier: String = get(row, "value_tier")?;
    Ok(Customer {
        id: get(row, "id")?,
        external_id: get(row, "external_id")?,
        name: get(row, "name")?,
        kind: kefu_core::customer::CustomerKind::parse(&kind).map_err(data)?,
        subkind: subkind
            .as_deref()
            .map(kefu_core::customer::Subkind::parse)
            .transpose()
            .map_err(data)?,
        is_organisation: get(row, "is_organisation")?,
        parent_id: get(row, "parent_id")?,
        region: get(row, "region")?,
        tags: serde_json::from_str(&tags).map_err(data)?,
        account_manager_id: get(row, "account_manager_id")?,
        notes: get(row, "notes")?,
        value_tier: kefu_core::rfm::ValueTier::parse(&tier).ok_or_else(|| data(format!("value tier {tier:?}")))?,
        deleted_at: get(row, "deleted_at")?,
        merged_into: get(row, "merged_into")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}
pub fn contact(row: &DbRow) -> StoreResult<Contact> {
    let language: Option<String> = get(row, "language")?;
    let style: Option<String> = get(row, "social_style")?;
    Ok(Contact {
        id: get(row, "id")?,
        customer_id: get(row, "customer_id")?,
        name: get(row, "name")?,
        phone: get(row, "phone")?,
        phone_norm: get(row, "phone_norm")?,
        email: get(row, "email")?,
        role: get(row, "role")?,
        language: language.as_deref().and_then(kefu_core::Language::parse),
        preferred_channel: get(row, "preferred_channel")?,
        social_style: style
            .as_deref()
            .map(kefu_core::customer::SocialStyle::parse)
            .transpose()
            .map_err(data)?,
        is_primary: get(row, "is_primary")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}
pub fn purchase(row: &DbRow) -> StoreResult<Purchase> {
    Ok(Purchase {
        id: get(row, "id")?,
        external_id: get(row, "external_id")?,
        customer_id: get(row, "customer_id")?,
        purchased_on: get(row, "purchased_on")?,
        amount_minor: get(row, "amount_minor")?,
        currency: get(row, "currency")?,
        sku: get(row, "sku")?,
        product_name: get(row, "product_name")?,
        category: get(row, "category")?,
        serial: get(row, "serial")?,
        seller_id: get(row, "seller_id")?,
        created_at: get(row, "created_at")?,
    })
}

pub const EXPORT_CUSTOMER_SQL: &str = "SELECT c.id, c.external_id, c.name, c.kind, c.subkind, c.is_organisation, \
    c.parent_id, c.region, c.tags, c.account_manager_id, c.notes, c.value_tier, c.deleted_at, c.merged_into, \
    c.created_at, c.updated_at, p.external_id AS parent_external_id, k.phone, k.email, k.social_style, \
    u.email AS account_manager_email FROM customers c LEFT JOIN customers p ON p.id = c.parent_id LEFT \
    JOIN contacts k ON k.id = (SELECT MIN(x.id) FROM contacts x WHERE x.customer_id = c.id \
    AND x.is_primary = TRUE AND x.deleted_at IS NULL) LEFT JOIN users u ON u.id = c.account_manager_id \
    WHERE c.id > $1 AND c.deleted_at IS NULL ORDER BY c.id LIMIT $2";
pub const EXPORT_PURCHASE_SQL: &str = "SELECT p.id, p.external_id, p.customer_id, p.purchased_on, p.amount_minor, \
    p.currency, p.sku, p.product_name, p.category, p.serial, p.seller_id, p.created_at, \
    c.external_id AS customer_external_id, s.external_id AS seller_external_id FROM purchases p \
    JOIN customers c ON c.id = p.customer_id LEFT JOIN customers s ON s.id = p.seller_id WHERE p.id > $1 \
    AND c.deleted_at IS NULL AND p.deleted_at IS NULL ORDER BY p.id LIMIT $2";

pub fn export_customer(row: &DbRow) -> StoreResult<ExportCustomer> {
    let style: Option<String> = get(row, "social_style")?;
    Ok(ExportCustomer {
        customer: customer(row)?,
        parent_external_id: get(row, "parent_external_id")?,
        phone: get::<Option<String>>(row, "phone")?.unwrap_or_default(),
        email: get::<Option<String>>(row, "email")?.unwrap_or_default(),
        social_style: style
            .as_deref()
            .map(kefu_core::customer::SocialStyle::parse)
            .transpose()
            .map_err(data)?,
        account_manager_email: get(row, "account_manager_email")?,
    })
}
pub fn export_purchase(row: &DbRow) -> StoreResult<ExportPurchase> {
    Ok(ExportPurchase {
        purchase: purchase(row)?,
        customer_external_id: get(row, "customer_external_id")?,
        seller_external_id: get(row, "seller_external_id")?,
    })
}

pub fn department(row: &DbRow) -> StoreResult<Department> {
    Ok(Department {
        id: get(row, "id")?,
        name: get(row, "name")?,
        is_default: get(row, "is_default")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}
pub fn user(row: &DbRow) -> StoreResult<User> {
    let role: String = get(row, "role")?;
    let language: Option<String> = get(row, "language")?;
    Ok(User {
        id: get(row, "id")?,
        email: get(row, "email")?,
        name: get(row, "name")?,
        role: role.parse().map_err(data)?,
        language: language.as_deref().and_then(kefu_core::Language::parse),
        password_hash: get(row, "password_hash")?,
        disabled: get(row, "disabled")?,
        failed_logins: u32_of(get(row, "failed_logins")?),
        locked_until: get(row, "locked_until")?,
        last_login_at: get(row, "last_login_at")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}
pub fn session(row: &DbRow) -> StoreResult<Session> {
    Ok(Session {
        token_hash: get(row, "s_token_hash")?,
        user_id: get(row, "s_user_id")?,
        csrf_secret: get(row, "s_csrf_secret")?,
        created_at: get(row, "s_created_at")?,
        last_seen_at: get(row, "s_last_seen_at")?,
        expires_at: get(row, "s_expires_at")?,
    })
}
pub fn token(row: &DbRow) -> StoreResult<ApiToken> {
    Ok(ApiToken {
        id: get(row, "t_id")?,
        user_id: get(row, "t_user_id")?,
        name: get(row, "t_name")?,
        created_at: get(row, "t_created_at")?,
        last_used_at: get(row, "t_last_used_at")?,
        revoked_at: get(row, "t_revoked_at")?,
    })
}
pub fn audit(row: &DbRow) -> StoreResult<AuditEntry> {
    let detail: String = get(row, "detail")?;
    Ok(AuditEntry {
        id: get(row, "id")?,
        at: get(row, "at")?,
        actor_id: get(row, "actor_id")?,
        actor: get(row, "actor")?,
        action: get(row, "action")?,
        target: get(row, "target")?,
        detail: serde_json::from_str(&detail).map_err(data)?,
        ip: get(row, "ip")?,
    })
}
pub fn job(row: &DbRow) -> StoreResult<Job> {
    let payload: String = get(row, "payload")?;
    let status: String = get(row, "status")?;
    Ok(Job {
        id: get(row, "id")?,
        kind: get(row, "kind")?,
        payload: serde_json::from_str(&payload).map_err(data)?,
        status: JobStatus::parse(&status).ok_or_else(|| data(format!("job status {status:?}")))?,
        attempts: u32_of(get(row, "attempts")?),
        max_attempts: u32_of(get(row, "max_attempts")?),
        run_at: get(row, "run_at")?,
        locked_by: get(row, "locked_by")?,
        lease_until: get(row, "lease_until")?,
        last_error: get(row, "last_error")?,
        unique_key: get(row, "unique_key")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}
pub fn webhook(row: &DbRow) -> StoreResult<Webhook> {
    let events: String = get(row, "events")?;
    Ok(Webhook {
        id: get(row, "id")?,
        url: get(row, "url")?,
        secret: get(row, "secret")?,
        events: serde_json::from_str(&events).map_err(data)?,
        description: get(row, "description")?,
        active: get(row, "active")?,
        created_at: get(row, "created_at")?,
        updated_at: get(row, "updated_at")?,
    })
}
pub fn delivery(row: &DbRow) -> StoreResult<Delivery> {
    let code: Option<i64> = get(row, "status_code")?;
    Ok(Delivery {
        id: get(row, "id")?,
        webhook_id: get(row, "webhook_id")?,
        job_id: get(row, "job_id")?,
        event: get(row, "event")?,
        attempt: u32_of(get(row, "attempt")?),
        status_code: code.and_then(|c| u16::try_from(c).ok()),
        error: get(row, "error")?,
        duration_ms: get(row, "duration_ms")?,
        at: get(row, "at")?,
    })
}
