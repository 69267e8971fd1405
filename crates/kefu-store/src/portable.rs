//! SQL that reads the same on SQLite and PostgreSQL, written once.
//!
//! `portable_store!(Type, sqlx::Sqlite)` implements the portable traits for a backend type that has
//! `fn writer(&self) -> &Pool<DB>`, `fn reader(&self) -> &Pool<DB>`, and
//! `async fn write_tx(&self) -> Result<Transaction<'_, DB>, sqlx::Error>` (SQLite: `BEGIN IMMEDIATE`
//! on its single writer; Postgres: a pooled `BEGIN`). The calling crate depends on `sqlx` and
//! `async-trait`. Both databases take `$1` placeholders, `RETURNING`, `ON CONFLICT`, TRUE/FALSE.

/// "Customer `c` is the customer bound as `$2` or beneath it", or any customer when `$2` is NULL.
pub const WITHIN_SQL: &str =
    "$2 IS NULL OR EXISTS (SELECT 1 FROM customer_paths w WHERE w.ancestor_id = $2 AND w.descendant_id = c.id)";

/// Sets every tree path's copy of its descendant's kind and deleted mark from the customers (after
/// a restore, whose backup may come from before the paths carried them).
pub const REFRESH_PATH_DESCENDANTS_SQL: &str = "UPDATE customer_paths SET \
    descendant_kind = (SELECT c.kind FROM customers c WHERE c.id = customer_paths.descendant_id), \
    descendant_live = (SELECT c.deleted_at IS NULL FROM customers c WHERE c.id = customer_paths.descendant_id)";

/// The columns of a job row, in the order the portable decoder reads them.
pub const JOB_COLUMNS: &str = "id, kind, payload, status, attempts, max_attempts, run_at, locked_by, lease_until, last_error, unique_key, created_at, updated_at";

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

/// Maps a sqlx error to the store's: unique violations become `Conflict`, foreign-key and check
/// violations `Refused`, connection trouble `Unavailable`.
#[macro_export]
macro_rules! sqlx_error_mapper {
    () => {
        pub(crate) fn db_err(e: ::sqlx::Error) -> $crate::StoreError {
            use $crate::StoreError;
            match &e {
                ::sqlx::Error::RowNotFound => StoreError::NotFound,
                ::sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict {
                    what: d
                        .constraint()
                        .map(str::to_owned)
                        .unwrap_or_else(|| d.message().to_owned()),
                },
                ::sqlx::Error::Database(d) if d.is_foreign_key_violation() || d.is_check_violation() => {
                    StoreError::Refused(d.message().to_owned())
                }
                ::sqlx::Error::Io(_)
                | ::sqlx::Error::PoolTimedOut
                | ::sqlx::Error::PoolClosed
                | ::sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
                ::sqlx::Error::ColumnDecode { .. } | ::sqlx::Error::Decode(_) | ::sqlx::Error::ColumnNotFound(_) => {
                    StoreError::Data(e.to_string())
                }
                _ => StoreError::Database(e.to_string()),
            }
        }
    };
}

#[macro_export]
macro_rules! portable_store {
    ($store:ty, $db:ty) => {
        mod __portable_rows {
            use ::sqlx::Row;
            use $crate::*;
            pub type DbRow = <$db as ::sqlx::Database>::Row;

            fn data<E: ::std::fmt::Display>(e: E) -> StoreError {
                StoreError::Data(e.to_string())
            }
            pub fn get<'r, T>(row: &'r DbRow, col: &str) -> StoreResult<T>
            where
                T: ::sqlx::Decode<'r, $db> + ::sqlx::Type<$db>,
            {
                row.try_get::<T, _>(col).map_err(super::db_err)
            }
            fn u32_of(v: i64) -> u32 {
                u32::try_from(v.max(0)).unwrap_or(u32::MAX)
            }

            pub const USER_COLS: &str = "u.id, u.email, u.name, u.role, u.language, u.password_hash, u.disabled, u.failed_logins, u.locked_until, u.last_login_at, u.created_at, u.updated_at";
            pub const USER_COLS_BARE: &str = "id, email, name, role, language, password_hash, disabled, failed_logins, locked_until, last_login_at, created_at, updated_at";
            pub const JOB_COLS: &str = $crate::portable::JOB_COLUMNS;

            pub const CUSTOMER_COLS: &str = "c.id, c.external_id, c.name, c.kind, c.subkind, c.is_organisation, c.parent_id, c.region, c.tags, c.account_manager_id, c.notes, c.value_tier, c.deleted_at, c.merged_into, c.created_at, c.updated_at";
            pub const CONTACT_COLS: &str = "id, customer_id, name, phone, phone_norm, email, role, language, preferred_channel, social_style, is_primary, created_at, updated_at";
            pub const PURCHASE_COLS: &str = "id, external_id, customer_id, purchased_on, amount_minor, currency, sku, product_name, category, serial, seller_id, created_at";

            pub fn customer(row: &DbRow) -> StoreResult<Customer> {
                let kind: String = get(row, "kind")?;
                let subkind: Option<String> = get(row, "subkind")?;
                let tags: String = get(row, "tags")?;
                let tier: String = get(row, "value_tier")?;
                Ok(Customer {
                    id: get(row, "id")?,
                    external_id: get(row, "external_id")?,
                    name: get(row, "name")?,
                    kind: ::kefu_core::customer::CustomerKind::parse(&kind).map_err(data)?,
                    subkind: subkind.as_deref().map(::kefu_core::customer::Subkind::parse).transpose().map_err(data)?,
                    is_organisation: get(row, "is_organisation")?,
                    parent_id: get(row, "parent_id")?,
                    region: get(row, "region")?,
                    tags: ::serde_json::from_str(&tags).map_err(data)?,
                    account_manager_id: get(row, "account_manager_id")?,
                    notes: get(row, "notes")?,
                    value_tier: ::kefu_core::rfm::ValueTier::parse(&tier).ok_or_else(|| data(format!("value tier {tier:?}")))?,
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
                    language: language.as_deref().and_then(::kefu_core::Language::parse),
                    preferred_channel: get(row, "preferred_channel")?,
                    social_style: style.as_deref().map(::kefu_core::customer::SocialStyle::parse).transpose().map_err(data)?,
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

            pub const EXPORT_CUSTOMER_SQL: &str = "SELECT c.id, c.external_id, c.name, c.kind, c.subkind, c.is_organisation, c.parent_id, c.region, c.tags, \
                c.account_manager_id, c.notes, c.value_tier, c.deleted_at, c.merged_into, c.created_at, c.updated_at, p.external_id AS parent_external_id, \
                k.phone, k.email, k.social_style, u.email AS account_manager_email \
                FROM customers c LEFT JOIN customers p ON p.id = c.parent_id \
                LEFT JOIN contacts k ON k.id = (SELECT MIN(x.id) FROM contacts x WHERE x.customer_id = c.id AND x.is_primary = TRUE AND x.deleted_at IS NULL) \
                LEFT JOIN users u ON u.id = c.account_manager_id \
                WHERE c.id > $1 AND c.deleted_at IS NULL ORDER BY c.id LIMIT $2";
            pub const EXPORT_PURCHASE_SQL: &str = "SELECT p.id, p.external_id, p.customer_id, p.purchased_on, p.amount_minor, p.currency, p.sku, p.product_name, \
                p.category, p.serial, p.seller_id, p.created_at, c.external_id AS customer_external_id, s.external_id AS seller_external_id \
                FROM purchases p JOIN customers c ON c.id = p.customer_id LEFT JOIN customers s ON s.id = p.seller_id \
                WHERE p.id > $1 AND c.deleted_at IS NULL AND p.deleted_at IS NULL ORDER BY p.id LIMIT $2";

            pub fn export_customer(row: &DbRow) -> StoreResult<ExportCustomer> {
                let style: Option<String> = get(row, "social_style")?;
                Ok(ExportCustomer {
                    customer: customer(row)?,
                    parent_external_id: get(row, "parent_external_id")?,
                    phone: get::<Option<String>>(row, "phone")?.unwrap_or_default(),
                    email: get::<Option<String>>(row, "email")?.unwrap_or_default(),
                    social_style: style.as_deref().map(::kefu_core::customer::SocialStyle::parse).transpose().map_err(data)?,
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
                    language: language.as_deref().and_then(::kefu_core::Language::parse),
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
                    detail: ::serde_json::from_str(&detail).map_err(data)?,
                    ip: get(row, "ip")?,
                })
            }
            pub fn job(row: &DbRow) -> StoreResult<Job> {
                let payload: String = get(row, "payload")?;
                let status: String = get(row, "status")?;
                Ok(Job {
                    id: get(row, "id")?,
                    kind: get(row, "kind")?,
                    payload: ::serde_json::from_str(&payload).map_err(data)?,
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
                    events: ::serde_json::from_str(&events).map_err(data)?,
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
        }

        #[::async_trait::async_trait]
        impl $crate::Accounts for $store {
            async fn create_department(&self, name: &str, now: i64) -> $crate::StoreResult<$crate::Department> {
                let row = ::sqlx::query("INSERT INTO departments (name, is_default, created_at, updated_at) VALUES ($1, FALSE, $2, $2) RETURNING id, name, is_default, created_at, updated_at")
                    .bind(name).bind(now).fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_rows::department(&row)
            }
            async fn list_departments(&self) -> $crate::StoreResult<Vec<$crate::Department>> {
                let rows = ::sqlx::query("SELECT id, name, is_default, created_at, updated_at FROM departments ORDER BY is_default DESC, name, id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::department).collect()
            }
            async fn get_department(&self, id: i64) -> $crate::StoreResult<$crate::Department> {
                let row = ::sqlx::query("SELECT id, name, is_default, created_at, updated_at FROM departments WHERE id = $1")
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::department(&row)
            }
            async fn rename_department(&self, id: i64, name: &str, now: i64) -> $crate::StoreResult<$crate::Department> {
                let row = ::sqlx::query("UPDATE departments SET name = $2, updated_at = $3 WHERE id = $1 RETURNING id, name, is_default, created_at, updated_at")
                    .bind(id).bind(name).bind(now).fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_rows::department(&row)
            }
            async fn delete_department(&self, id: i64) -> $crate::StoreResult<()> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let is_default: bool = ::sqlx::query_scalar("SELECT is_default FROM departments WHERE id = $1")
                    .bind(id).fetch_one(&mut *tx).await.map_err(db_err)?;
                if is_default {
                    return Err($crate::StoreError::Refused("the default department cannot be deleted".into()));
                }
                // Members left without any department fall back to the default one.
                ::sqlx::query("INSERT INTO user_departments (user_id, department_id) SELECT ud.user_id, (SELECT id FROM departments WHERE is_default = TRUE) FROM user_departments ud WHERE ud.department_id = $1 AND NOT EXISTS (SELECT 1 FROM user_departments o WHERE o.user_id = ud.user_id AND o.department_id <> $1)")
                    .bind(id).execute(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("DELETE FROM user_departments WHERE department_id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("DELETE FROM departments WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }
            async fn default_department(&self) -> $crate::StoreResult<$crate::Department> {
                let row = ::sqlx::query("SELECT id, name, is_default, created_at, updated_at FROM departments WHERE is_default = TRUE")
                    .fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::department(&row)
            }
            async fn department_member_counts(&self) -> $crate::StoreResult<Vec<(i64, i64)>> {
                ::sqlx::query_as("SELECT department_id, COUNT(*) FROM user_departments GROUP BY department_id")
                    .fetch_all(self.reader()).await.map_err(db_err)
            }

            async fn create_user(&self, u: $crate::NewUser) -> $crate::StoreResult<$crate::User> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let user = Self::insert_user_in(&mut tx, &u).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(user)
            }
            async fn get_user(&self, id: i64) -> $crate::StoreResult<$crate::User> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM users u WHERE u.id = $1", __portable_rows::USER_COLS)))
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::user(&row)
            }
            async fn get_user_by_email(&self, email: &str) -> $crate::StoreResult<$crate::User> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM users u WHERE u.email = $1", __portable_rows::USER_COLS)))
                    .bind(email).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::user(&row)
            }
            async fn list_users(&self, f: $crate::UserFilter) -> $crate::StoreResult<Vec<$crate::User>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM users u WHERE u.id > $1 AND ($2 IS NULL OR u.role = $2) ORDER BY u.id LIMIT $3", __portable_rows::USER_COLS)))
                    .bind(f.after).bind(f.role.map(|r| r.as_str())).bind(i64::from(f.limit))
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::user).collect()
            }
            async fn count_users(&self) -> $crate::StoreResult<i64> {
                ::sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(self.reader()).await.map_err(db_err)
            }
            async fn update_user(&self, id: i64, p: $crate::UserPatch, now: i64) -> $crate::StoreResult<$crate::User> {
                let set_language = p.language.is_some();
                let language = p.language.flatten().map(|l| l.code());
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!(
                    "UPDATE users SET name = COALESCE($2, name), role = COALESCE($3, role), language = CASE WHEN $4 THEN $5 ELSE language END, password_hash = COALESCE($6, password_hash), disabled = COALESCE($7, disabled), failed_logins = CASE WHEN $6 IS NULL THEN failed_logins ELSE 0 END, locked_until = CASE WHEN $6 IS NULL THEN locked_until ELSE NULL END, updated_at = $8 WHERE id = $1 RETURNING {}",
                    __portable_rows::USER_COLS_BARE
                )))
                .bind(id).bind(p.name).bind(p.role.map(|r| r.as_str())).bind(set_language).bind(language).bind(p.password_hash).bind(p.disabled).bind(now)
                .fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_rows::user(&row)
            }
            async fn set_user_departments(&self, id: i64, departments: &[i64]) -> $crate::StoreResult<()> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                ::sqlx::query("SELECT id FROM users WHERE id = $1").bind(id).fetch_one(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("DELETE FROM user_departments WHERE user_id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
                for d in departments {
                    ::sqlx::query("INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id).bind(*d).execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }
            async fn user_departments(&self, id: i64) -> $crate::StoreResult<Vec<$crate::Department>> {
                let rows = ::sqlx::query("SELECT d.id, d.name, d.is_default, d.created_at, d.updated_at FROM departments d JOIN user_departments ud ON ud.department_id = d.id WHERE ud.user_id = $1 ORDER BY d.is_default DESC, d.name")
                    .bind(id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::department).collect()
            }
            async fn record_login_failure(&self, id: i64, lock_until: Option<i64>) -> $crate::StoreResult<u32> {
                let n: i64 = ::sqlx::query_scalar("UPDATE users SET failed_logins = failed_logins + 1, locked_until = COALESCE($2, locked_until) WHERE id = $1 RETURNING failed_logins")
                    .bind(id).bind(lock_until).fetch_one(self.writer()).await.map_err(db_err)?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }
            async fn record_login_success(&self, id: i64, now: i64) -> $crate::StoreResult<()> {
                ::sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1")
                    .bind(id).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Settings for $store {
            async fn get_setting(&self, key: &str) -> $crate::StoreResult<Option<::serde_json::Value>> {
                let v: Option<String> = ::sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                    .bind(key).fetch_optional(self.reader()).await.map_err(db_err)?;
                v.map(|s| ::serde_json::from_str(&s).map_err(|e| $crate::StoreError::Data(e.to_string()))).transpose()
            }
            async fn set_setting(&self, key: &str, value: &::serde_json::Value, now: i64) -> $crate::StoreResult<()> {
                ::sqlx::query("INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at")
                    .bind(key).bind(value.to_string()).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Sessions for $store {
            async fn create_session(&self, s: $crate::NewSession) -> $crate::StoreResult<()> {
                ::sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_secret, ip, user_agent, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)")
                    .bind(s.token_hash).bind(s.user_id).bind(s.csrf_secret).bind(s.ip).bind(s.user_agent).bind(s.created_at).bind(s.expires_at)
                    .execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
            async fn get_session(&self, token_hash: &str, now: i64) -> $crate::StoreResult<($crate::Session, $crate::User)> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT s.token_hash AS s_token_hash, s.user_id AS s_user_id, s.csrf_secret AS s_csrf_secret, s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at, s.expires_at AS s_expires_at, {} FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2", __portable_rows::USER_COLS)))
                    .bind(token_hash).bind(now).fetch_one(self.reader()).await.map_err(db_err)?;
                Ok((__portable_rows::session(&row)?, __portable_rows::user(&row)?))
            }
            async fn touch_session(&self, token_hash: &str, last_seen: i64, expires_at: i64) -> $crate::StoreResult<()> {
                ::sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1")
                    .bind(token_hash).bind(last_seen).bind(expires_at).execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
            async fn delete_session(&self, token_hash: &str) -> $crate::StoreResult<()> {
                ::sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
            async fn delete_user_sessions(&self, user_id: i64, except_hash: Option<&str>) -> $crate::StoreResult<u64> {
                let r = ::sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
                    .bind(user_id).bind(except_hash).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected())
            }
            async fn purge_expired_sessions(&self, now: i64) -> $crate::StoreResult<u64> {
                let r = ::sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Tokens for $store {
            async fn create_token(&self, user_id: i64, name: &str, token_hash: &str, now: i64) -> $crate::StoreResult<$crate::ApiToken> {
                let row = ::sqlx::query("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id AS t_id, user_id AS t_user_id, name AS t_name, created_at AS t_created_at, last_used_at AS t_last_used_at, revoked_at AS t_revoked_at")
                    .bind(user_id).bind(name).bind(token_hash).bind(now).fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_rows::token(&row)
            }
            async fn find_token(&self, token_hash: &str) -> $crate::StoreResult<($crate::ApiToken, $crate::User)> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT t.id AS t_id, t.user_id AS t_user_id, t.name AS t_name, t.created_at AS t_created_at, t.last_used_at AS t_last_used_at, t.revoked_at AS t_revoked_at, {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL", __portable_rows::USER_COLS)))
                    .bind(token_hash).fetch_one(self.reader()).await.map_err(db_err)?;
                Ok((__portable_rows::token(&row)?, __portable_rows::user(&row)?))
            }
            async fn touch_token(&self, id: i64, now: i64) -> $crate::StoreResult<()> {
                ::sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1").bind(id).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
            async fn list_tokens(&self, user_id: i64) -> $crate::StoreResult<Vec<$crate::ApiToken>> {
                let rows = ::sqlx::query("SELECT id AS t_id, user_id AS t_user_id, name AS t_name, created_at AS t_created_at, last_used_at AS t_last_used_at, revoked_at AS t_revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id")
                    .bind(user_id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::token).collect()
            }
            async fn revoke_token(&self, id: i64, now: i64) -> $crate::StoreResult<()> {
                let r = ::sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL").bind(id).bind(now).execute(self.writer()).await.map_err(db_err)?;
                if r.rows_affected() == 0 { return Err($crate::StoreError::NotFound); }
                Ok(())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Audit for $store {
            async fn append_audit(&self, e: $crate::NewAudit) -> $crate::StoreResult<i64> {
                ::sqlx::query_scalar("INSERT INTO audit_log (at, actor_id, actor, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                    .bind(e.at).bind(e.actor_id).bind(e.actor).bind(e.action).bind(e.target).bind(e.detail.to_string()).bind(e.ip)
                    .fetch_one(self.writer()).await.map_err(db_err)
            }
            async fn list_audit(&self, before: i64, limit: u32) -> $crate::StoreResult<Vec<$crate::AuditEntry>> {
                let rows = ::sqlx::query("SELECT id, at, actor_id, actor, action, target, detail, ip FROM audit_log WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2")
                    .bind(before).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::audit).collect()
            }
        }

        #[::async_trait::async_trait]
        impl $crate::RateLimits for $store {
            async fn rate_limit_hit(&self, key: &str, window_start: i64) -> $crate::StoreResult<u32> {
                let n: i64 = ::sqlx::query_scalar("INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits")
                    .bind(key).bind(window_start).fetch_one(self.writer()).await.map_err(db_err)?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }
            async fn purge_rate_limits(&self, before: i64) -> $crate::StoreResult<u64> {
                let r = ::sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Jobs for $store {
            async fn claim_job(&self, worker: &str, now: i64, lease_ms: i64) -> $crate::StoreResult<Option<$crate::Job>> {
                let row = self.claim_job_row(worker, now, lease_ms).await?;
                row.as_ref().map(__portable_rows::job).transpose()
            }
            async fn enqueue(&self, j: $crate::NewJob) -> $crate::StoreResult<Option<i64>> {
                ::sqlx::query_scalar("INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, unique_key, created_at, updated_at) VALUES ($1, $2, 'queued', 0, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id")
                    .bind(j.kind).bind(j.payload.to_string()).bind(i64::from(j.max_attempts)).bind(j.run_at).bind(j.unique_key).bind(j.now)
                    .fetch_optional(self.writer()).await.map_err(db_err)
            }
            async fn heartbeat_job(&self, id: i64, worker: &str, lease_until: i64) -> $crate::StoreResult<bool> {
                let r = ::sqlx::query("UPDATE jobs SET lease_until = $3 WHERE id = $1 AND locked_by = $2 AND status = 'running'")
                    .bind(id).bind(worker).bind(lease_until).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected() == 1)
            }
            async fn complete_job(&self, id: i64, worker: &str, now: i64) -> $crate::StoreResult<bool> {
                let r = ::sqlx::query("UPDATE jobs SET status = 'done', locked_by = NULL, lease_until = NULL, updated_at = $3 WHERE id = $1 AND locked_by = $2 AND status = 'running'")
                    .bind(id).bind(worker).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected() == 1)
            }
            async fn fail_job(&self, id: i64, worker: &str, error: &str, retry_at: Option<i64>, now: i64) -> $crate::StoreResult<bool> {
                let r = ::sqlx::query("UPDATE jobs SET status = CASE WHEN $4 IS NULL THEN 'dead' ELSE 'queued' END, run_at = COALESCE($4, run_at), last_error = $3, locked_by = NULL, lease_until = NULL, updated_at = $5 WHERE id = $1 AND locked_by = $2 AND status = 'running'")
                    .bind(id).bind(worker).bind(error).bind(retry_at).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected() == 1)
            }
            async fn get_job(&self, id: i64) -> $crate::StoreResult<$crate::Job> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM jobs WHERE id = $1", __portable_rows::JOB_COLS)))
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::job(&row)
            }
            async fn list_jobs(&self, status: Option<$crate::JobStatus>, limit: u32) -> $crate::StoreResult<Vec<$crate::Job>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM jobs WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2", __portable_rows::JOB_COLS)))
                    .bind(status.map(|s| s.as_str())).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::job).collect()
            }
            async fn job_counts(&self) -> $crate::StoreResult<Vec<($crate::JobStatus, i64)>> {
                let rows: Vec<(String, i64)> = ::sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().filter_map(|(s, n)| $crate::JobStatus::parse(&s).map(|s| (s, n))).collect())
            }
            async fn purge_jobs(&self, before: i64) -> $crate::StoreResult<u64> {
                let r = ::sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1").bind(before).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Webhooks for $store {
            async fn create_webhook(&self, w: $crate::NewWebhook) -> $crate::StoreResult<$crate::Webhook> {
                let events = ::serde_json::to_string(&w.events).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                let row = ::sqlx::query("INSERT INTO webhooks (url, secret, events, description, active, created_at, updated_at) VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id, url, secret, events, description, active, created_at, updated_at")
                    .bind(w.url).bind(w.secret).bind(events).bind(w.description).bind(w.now).fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_rows::webhook(&row)
            }
            async fn list_webhooks(&self) -> $crate::StoreResult<Vec<$crate::Webhook>> {
                let rows = ::sqlx::query("SELECT id, url, secret, events, description, active, created_at, updated_at FROM webhooks ORDER BY id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::webhook).collect()
            }
            async fn get_webhook(&self, id: i64) -> $crate::StoreResult<$crate::Webhook> {
                let row = ::sqlx::query("SELECT id, url, secret, events, description, active, created_at, updated_at FROM webhooks WHERE id = $1")
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::webhook(&row)
            }
            async fn set_webhook_active(&self, id: i64, active: bool, now: i64) -> $crate::StoreResult<$crate::Webhook> {
                let row = ::sqlx::query("UPDATE webhooks SET active = $2, updated_at = $3 WHERE id = $1 RETURNING id, url, secret, events, description, active, created_at, updated_at")
                    .bind(id).bind(active).bind(now).fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_rows::webhook(&row)
            }
            async fn delete_webhook(&self, id: i64) -> $crate::StoreResult<()> {
                let r = ::sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(self.writer()).await.map_err(db_err)?;
                if r.rows_affected() == 0 { return Err($crate::StoreError::NotFound); }
                Ok(())
            }
            async fn webhooks_for_event(&self, event: &str) -> $crate::StoreResult<Vec<$crate::Webhook>> {
                // Few endpoints exist; filtering the JSON list here keeps the SQL portable.
                let all = self.list_webhooks().await?;
                Ok(all.into_iter().filter(|w| w.active && w.events.iter().any(|e| e == event || e == "*")).collect())
            }
            async fn record_delivery(&self, d: $crate::NewDelivery) -> $crate::StoreResult<i64> {
                ::sqlx::query_scalar("INSERT INTO webhook_deliveries (webhook_id, job_id, event, attempt, status_code, error, duration_ms, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                    .bind(d.webhook_id).bind(d.job_id).bind(d.event).bind(i64::from(d.attempt)).bind(d.status_code.map(i64::from)).bind(d.error).bind(d.duration_ms).bind(d.at)
                    .fetch_one(self.writer()).await.map_err(db_err)
            }
            async fn list_deliveries(&self, webhook_id: i64, limit: u32) -> $crate::StoreResult<Vec<$crate::Delivery>> {
                let rows = ::sqlx::query("SELECT id, webhook_id, job_id, event, attempt, status_code, error, duration_ms, at FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2")
                    .bind(webhook_id).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::delivery).collect()
            }
        }

        /// A purchase import: one write transaction; the backend's `write_purchases` writes each batch.
        struct PortablePurchaseImport {
            tx: ::sqlx::Transaction<'static, $db>,
            now: i64,
            before: i64,
            written: u64,
        }

        #[::async_trait::async_trait]
        impl $crate::PurchaseImport for PortablePurchaseImport {
            async fn write(&mut self, rows: Vec<$crate::ImportPurchase>) -> $crate::StoreResult<()> {
                let n = rows.len() as u64;
                <$store>::write_purchases(&mut self.tx, rows, self.now).await?;
                self.written += n;
                Ok(())
            }
            async fn commit(self: Box<Self>) -> $crate::StoreResult<$crate::ImportCounts> {
                let mut tx = self.tx;
                let after: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM purchases").fetch_one(&mut *tx).await.map_err(db_err)?;
                <$store>::bulk_write_ends(&mut tx).await?;
                tx.commit().await.map_err(db_err)?;
                Ok($crate::ImportCounts::from_totals(self.before, after, self.written))
            }
        }

        impl $store {
            /// Inserts a user and its departments (the default one when none and the role has one).
            async fn insert_user_in(tx: &mut ::sqlx::Transaction<'_, $db>, u: &$crate::NewUser) -> $crate::StoreResult<$crate::User> {
                let id: i64 = ::sqlx::query_scalar("INSERT INTO users (email, name, role, language, password_hash, disabled, failed_logins, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, FALSE, 0, $6, $6) RETURNING id")
                    .bind(&u.email).bind(&u.name).bind(u.role.as_str()).bind(u.language.map(|l| l.code())).bind(&u.password_hash).bind(u.now)
                    .fetch_one(&mut **tx).await.map_err(db_err)?;
                let mut departments = u.departments.clone();
                if departments.is_empty() && u.role.belongs_to_departments() {
                    departments.push(::sqlx::query_scalar("SELECT id FROM departments WHERE is_default = TRUE").fetch_one(&mut **tx).await.map_err(db_err)?);
                }
                for d in departments {
                    ::sqlx::query("INSERT INTO user_departments (user_id, department_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id).bind(d).execute(&mut **tx).await.map_err(db_err)?;
                }
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM users u WHERE u.id = $1", __portable_rows::USER_COLS)))
                    .bind(id).fetch_one(&mut **tx).await.map_err(db_err)?;
                __portable_rows::user(&row)
            }
        }

        impl $store {
            async fn customer_in<'e, E>(ex: E, id: i64) -> $crate::StoreResult<$crate::Customer>
            where
                E: ::sqlx::Executor<'e, Database = $db>,
            {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM customers c WHERE c.id = $1", __portable_rows::CUSTOMER_COLS)))
                    .bind(id).fetch_one(ex).await.map_err(db_err)?;
                __portable_rows::customer(&row)
            }

            /// Moves a customer's subtree under `new_parent` inside a transaction (closure-table paths).
            async fn move_in(tx: &mut ::sqlx::Transaction<'_, $db>, id: i64, new_parent: Option<i64>, now: i64) -> $crate::StoreResult<()> {
                if let Some(p) = new_parent {
                    Self::customer_in(&mut **tx, p).await.map_err(|e| match e {
                        $crate::StoreError::NotFound => $crate::StoreError::Refused(format!("no customer {p} to buy through")),
                        other => other,
                    })?;
                    let inside: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_id = $2")
                        .bind(id).bind(p).fetch_one(&mut **tx).await.map_err(db_err)?;
                    if inside > 0 {
                        return Err($crate::StoreError::Cycle);
                    }
                }
                // Cut the subtree from its old ancestors, then hang it under the new parent's chain.
                ::sqlx::query("DELETE FROM customer_paths WHERE descendant_id IN (SELECT descendant_id FROM customer_paths WHERE ancestor_id = $1) AND ancestor_id NOT IN (SELECT descendant_id FROM customer_paths WHERE ancestor_id = $1)")
                    .bind(id).execute(&mut **tx).await.map_err(db_err)?;
                if let Some(p) = new_parent {
                    ::sqlx::query("INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) SELECT a.ancestor_id, d.descendant_id, a.depth + d.depth + 1, d.descendant_kind, d.descendant_live FROM customer_paths a, customer_paths d WHERE a.descendant_id = $1 AND d.ancestor_id = $2")
                        .bind(p).bind(id).execute(&mut **tx).await.map_err(db_err)?;
                }
                ::sqlx::query("UPDATE customers SET parent_id = $2, updated_at = $3 WHERE id = $1").bind(id).bind(new_parent).bind(now).execute(&mut **tx).await.map_err(db_err)?;
                Ok(())
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Customers for $store {
            async fn create_customer(&self, c: $crate::NewCustomer) -> $crate::StoreResult<$crate::Customer> {
                let tags = ::serde_json::to_string(&c.tags).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let id: i64 = ::sqlx::query_scalar("INSERT INTO customers (external_id, name, kind, subkind, is_organisation, parent_id, region, tags, account_manager_id, notes, value_tier, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'none', $11, $11) RETURNING id")
                    .bind(&c.external_id).bind(&c.name).bind(c.kind.as_str()).bind(c.subkind.map(|k| k.as_str())).bind(c.is_organisation)
                    .bind(c.parent_id).bind(&c.region).bind(tags).bind(c.account_manager_id).bind(&c.notes).bind(c.now)
                    .fetch_one(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) VALUES ($1, $1, 0, $2, TRUE)").bind(id).bind(c.kind.as_str()).execute(&mut *tx).await.map_err(db_err)?;
                if let Some(p) = c.parent_id {
                    ::sqlx::query("INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) SELECT ancestor_id, $1, depth + 1, $3, TRUE FROM customer_paths WHERE descendant_id = $2")
                        .bind(id).bind(p).bind(c.kind.as_str()).execute(&mut *tx).await.map_err(db_err)?;
                }
                let out = Self::customer_in(&mut *tx, id).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn get_customer(&self, id: i64) -> $crate::StoreResult<$crate::Customer> {
                Self::customer_in(self.reader(), id).await
            }
            async fn get_customer_by_external_id(&self, external_id: &str) -> $crate::StoreResult<$crate::Customer> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM customers c WHERE c.external_id = $1", __portable_rows::CUSTOMER_COLS)))
                    .bind(external_id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::customer(&row)
            }
            async fn update_customer(&self, id: i64, p: $crate::CustomerPatch, now: i64) -> $crate::StoreResult<$crate::Customer> {
                let tags = p.tags.as_ref().map(|t| ::serde_json::to_string(t)).transpose().map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                let mut tx = self.write_tx().await.map_err(db_err)?;
                if let Some(parent) = p.parent_id {
                    Self::customer_in(&mut *tx, id).await?;
                    Self::move_in(&mut tx, id, parent, now).await?;
                }
                let r = ::sqlx::query("UPDATE customers SET name = COALESCE($2, name), kind = COALESCE($3, kind), subkind = CASE WHEN $4 THEN $5 ELSE subkind END, is_organisation = COALESCE($6, is_organisation), region = COALESCE($7, region), tags = COALESCE($8, tags), account_manager_id = CASE WHEN $9 THEN $10 ELSE account_manager_id END, notes = COALESCE($11, notes), external_id = CASE WHEN $12 THEN $13 ELSE external_id END, updated_at = $14 WHERE id = $1")
                    .bind(id).bind(p.name).bind(p.kind.map(|k| k.as_str())).bind(p.subkind.is_some()).bind(p.subkind.flatten().map(|k| k.as_str()))
                    .bind(p.is_organisation).bind(p.region).bind(tags).bind(p.account_manager_id.is_some()).bind(p.account_manager_id.flatten())
                    .bind(p.notes).bind(p.external_id.is_some()).bind(p.external_id.flatten()).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                let out = Self::customer_in(&mut *tx, id).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn move_customer(&self, id: i64, new_parent: Option<i64>, now: i64) -> $crate::StoreResult<$crate::Customer> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                Self::customer_in(&mut *tx, id).await?;
                Self::move_in(&mut tx, id, new_parent, now).await?;
                let out = Self::customer_in(&mut *tx, id).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn set_customer_deleted(&self, id: i64, deleted_at: Option<i64>, now: i64) -> $crate::StoreResult<$crate::Customer> {
                let r = ::sqlx::query("UPDATE customers SET deleted_at = $2, updated_at = $3 WHERE id = $1").bind(id).bind(deleted_at).bind(now).execute(self.writer()).await.map_err(db_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Self::customer_in(self.writer(), id).await
            }
            async fn list_customers(&self, f: $crate::CustomerFilter) -> $crate::StoreResult<Vec<$crate::Customer>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM customers c WHERE c.id > $1 AND ($2 IS NULL OR c.kind = $2) AND ($3 IS NULL OR c.value_tier = $3) AND ($4 OR c.deleted_at IS NULL) AND ($6 IS NULL OR EXISTS (SELECT 1 FROM customer_paths w WHERE w.ancestor_id = $6 AND w.descendant_id = c.id)) ORDER BY c.id LIMIT $5", __portable_rows::CUSTOMER_COLS)))
                    .bind(f.after).bind(f.kind.map(|k| k.as_str())).bind(f.tier.map(|t| t.as_str())).bind(f.include_deleted).bind(i64::from(f.limit)).bind(f.within)
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::customer).collect()
            }
            async fn count_customers(&self) -> $crate::StoreResult<i64> {
                ::sqlx::query_scalar("SELECT COUNT(*) FROM customers WHERE deleted_at IS NULL").fetch_one(self.reader()).await.map_err(db_err)
            }
            async fn customer_ancestors(&self, id: i64) -> $crate::StoreResult<Vec<$crate::Customer>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM customer_paths p JOIN customers c ON c.id = p.ancestor_id WHERE p.descendant_id = $1 AND p.depth > 0 ORDER BY p.depth DESC", __portable_rows::CUSTOMER_COLS)))
                    .bind(id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::customer).collect()
            }
            async fn subtree_counts(&self, id: i64) -> $crate::StoreResult<Vec<(String, i64)>> {
                // The paths carry the descendant's kind and deleted mark (migration 0005): no join, and a
                // partial index whose WHERE this one repeats word for word (SQLite matches it so).
                ::sqlx::query_as("SELECT descendant_kind, COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_live AND depth > 0 GROUP BY descendant_kind ORDER BY descendant_kind")
                    .bind(id).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn subtree_customers(&self, id: i64, kind: Option<::kefu_core::customer::CustomerKind>, after: i64, limit: u32) -> $crate::StoreResult<Vec<$crate::Customer>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM customer_paths p JOIN customers c ON c.id = p.descendant_id WHERE p.ancestor_id = $1 AND p.descendant_live AND p.depth > 0 AND ($2 IS NULL OR p.descendant_kind = $2) AND p.descendant_id > $3 ORDER BY p.descendant_id LIMIT $4", __portable_rows::CUSTOMER_COLS)))
                    .bind(id).bind(kind.map(|k| k.as_str())).bind(after).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::customer).collect()
            }
            async fn index_customer(&self, id: i64, terms: &::kefu_core::search::IndexTerms) -> $crate::StoreResult<()> {
                self.backend_index_customers(&[(id, terms.clone())]).await
            }
            async fn search_customers(&self, query: &[::kefu_core::search::QueryPart], within: Option<i64>, limit: u32) -> $crate::StoreResult<Vec<$crate::Customer>> {
                if query.is_empty() {
                    return Ok(vec![]);
                }
                let rows = self.backend_search_customers(query, __portable_rows::CUSTOMER_COLS, within, limit).await?;
                rows.iter().map(__portable_rows::customer).collect()
            }

            async fn add_contact(&self, c: $crate::NewContact) -> $crate::StoreResult<$crate::Contact> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                if c.is_primary {
                    ::sqlx::query("UPDATE contacts SET is_primary = FALSE WHERE customer_id = $1").bind(c.customer_id).execute(&mut *tx).await.map_err(db_err)?;
                }
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("INSERT INTO contacts (customer_id, name, phone, phone_norm, email, role, language, preferred_channel, social_style, is_primary, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {}", __portable_rows::CONTACT_COLS)))
                    .bind(c.customer_id).bind(c.name).bind(c.phone).bind(c.phone_norm).bind(c.email).bind(c.role).bind(c.language.map(|l| l.code()))
                    .bind(c.preferred_channel).bind(c.social_style.map(|s| s.as_str())).bind(c.is_primary).bind(c.now)
                    .fetch_one(&mut *tx).await.map_err(db_err)?;
                let out = __portable_rows::contact(&row)?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn list_contacts(&self, customer_id: i64) -> $crate::StoreResult<Vec<$crate::Contact>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM contacts WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY is_primary DESC, id", __portable_rows::CONTACT_COLS)))
                    .bind(customer_id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::contact).collect()
            }
            async fn find_contacts(&self, phone_norm: &str, email: &str) -> $crate::StoreResult<Vec<$crate::Contact>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM contacts k WHERE (($1 <> '' AND k.phone_norm = $1) OR ($2 <> '' AND k.email = $2)) AND k.deleted_at IS NULL AND EXISTS (SELECT 1 FROM customers c WHERE c.id = k.customer_id AND c.deleted_at IS NULL) ORDER BY k.id", __portable_rows::CONTACT_COLS)))
                    .bind(phone_norm).bind(email).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::contact).collect()
            }

            async fn upsert_purchase(&self, p: $crate::NewPurchase) -> $crate::StoreResult<($crate::Purchase, bool)> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let existing: Option<i64> = ::sqlx::query_scalar("SELECT id FROM purchases WHERE external_id = $1").bind(&p.external_id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                let row = match existing {
                    Some(id) => ::sqlx::query(::sqlx::AssertSqlSafe(format!("UPDATE purchases SET customer_id = $2, purchased_on = $3, amount_minor = $4, currency = $5, sku = $6, product_name = $7, category = $8, serial = $9, seller_id = $10, deleted_at = NULL WHERE id = $1 RETURNING {}", __portable_rows::PURCHASE_COLS)))
                        .bind(id),
                    None => ::sqlx::query(::sqlx::AssertSqlSafe(format!("INSERT INTO purchases (external_id, customer_id, purchased_on, amount_minor, currency, sku, product_name, category, serial, seller_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {}", __portable_rows::PURCHASE_COLS)))
                        .bind(&p.external_id),
                }
                .bind(p.customer_id).bind(&p.purchased_on).bind(p.amount_minor).bind(&p.currency).bind(&p.sku).bind(&p.product_name).bind(&p.category).bind(&p.serial).bind(p.seller_id);
                let row = if existing.is_none() { row.bind(p.now) } else { row }.fetch_one(&mut *tx).await.map_err(db_err)?;
                let out = __portable_rows::purchase(&row)?;
                tx.commit().await.map_err(db_err)?;
                Ok((out, existing.is_none()))
            }
            async fn list_purchases(&self, customer_id: i64, limit: u32) -> $crate::StoreResult<Vec<$crate::Purchase>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM purchases WHERE customer_id = $1 AND deleted_at IS NULL ORDER BY purchased_on DESC, id DESC LIMIT $2", __portable_rows::PURCHASE_COLS)))
                    .bind(customer_id).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::purchase).collect()
            }
            async fn rfm_rows(&self) -> $crate::StoreResult<Vec<$crate::RfmRow>> {
                let rows: Vec<(i64, String, i64, i64)> = ::sqlx::query_as("SELECT customer_id, MAX(purchased_on), COUNT(*), CAST(SUM(amount_minor) AS BIGINT) FROM purchases WHERE deleted_at IS NULL GROUP BY customer_id ORDER BY customer_id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(customer_id, last_purchased_on, purchases, amount_minor)| $crate::RfmRow { customer_id, last_purchased_on, purchases, amount_minor }).collect())
            }
            async fn existing_customer_external_ids(&self, ids: &[String]) -> $crate::StoreResult<Vec<(String, i64, ::kefu_core::customer::CustomerKind)>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let sql = format!("SELECT external_id, id, kind FROM customers WHERE external_id IN {}", $crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len()));
                    let mut q = ::sqlx::query_as::<_, (String, i64, String)>(::sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(id);
                    }
                    for (e, id, k) in q.fetch_all(self.reader()).await.map_err(db_err)? {
                        out.push((e, id, ::kefu_core::customer::CustomerKind::parse(&k).map_err(|e| $crate::StoreError::Data(e.to_string()))?));
                    }
                }
                Ok(out)
            }

            async fn import_customers(&self, rows: &[$crate::ImportCustomer], now: i64) -> $crate::StoreResult<(Vec<i64>, $crate::ImportCounts)> {
                use ::std::collections::HashMap;
                let numbered = Self::NUMBERED_PARAMS;
                let mut counts = $crate::ImportCounts::default();
                let mut tx = self.write_tx().await.map_err(db_err)?;
                Self::bulk_write_begins(&mut tx).await?;
                // Every row and parent already in the database: external id -> (id, parent id).
                let mut known: HashMap<String, (i64, Option<i64>)> = HashMap::new();
                let wanted: Vec<&str> = rows.iter().map(|r| r.external_id.as_str())
                    .chain(rows.iter().filter_map(|r| r.parent_external_id.as_deref()))
                    .collect::<::std::collections::HashSet<_>>().into_iter().collect();
                for chunk in wanted.chunks(500) {
                    let sql = format!("SELECT external_id, id, parent_id FROM customers WHERE external_id IN {}", $crate::portable::mark_list(numbered, 1, chunk.len()));
                    let mut q = ::sqlx::query_as::<_, (String, i64, Option<i64>)>(::sqlx::AssertSqlSafe(sql));
                    for e in chunk {
                        q = q.bind(*e);
                    }
                    for (e, id, parent) in q.fetch_all(&mut *tx).await.map_err(db_err)? {
                        known.insert(e, (id, parent));
                    }
                }
                // Rows by level: a row whose parent is an earlier row of the file comes one level below
                // it. A level's new rows go in multi-row statements once the level above is written.
                let position: HashMap<&str, usize> = rows.iter().enumerate().map(|(i, r)| (r.external_id.as_str(), i)).collect();
                let mut level = vec![0usize; rows.len()];
                let mut levels: Vec<Vec<usize>> = Vec::new();
                for (i, r) in rows.iter().enumerate() {
                    if let Some(&p) = r.parent_external_id.as_deref().and_then(|p| position.get(p)) {
                        if p >= i {
                            return Err($crate::StoreError::Refused(format!("customer {:?} comes before its parent in the import", r.external_id)));
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
                            Some(p) => Some(known.get(p).map(|k| k.0).ok_or_else(|| $crate::StoreError::Refused(format!("no customer with external_id {p:?}")))?),
                            None => None,
                        });
                    }
                    let (old, new): (Vec<(usize, Option<i64>)>, Vec<(usize, Option<i64>)>) =
                        members.iter().copied().zip(parents).partition(|(i, _)| known.contains_key(&rows[*i].external_id));
                    for chunk in new.chunks(500) {
                        let sql = format!(
                            "INSERT INTO customers (external_id, name, kind, subkind, is_organisation, parent_id, region, tags, account_manager_id, notes, value_tier, created_at, updated_at) VALUES {} RETURNING id, external_id",
                            $crate::portable::value_rows(numbered, 1, chunk.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'none', ?, ?)")
                        );
                        let mut q = ::sqlx::query_as::<_, (i64, String)>(::sqlx::AssertSqlSafe(sql));
                        for (i, parent) in chunk {
                            let r = &rows[*i];
                            let tags = ::serde_json::to_string(&r.tags).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                            q = q.bind(&r.external_id).bind(&r.name).bind(r.kind.as_str()).bind(r.subkind.map(|k| k.as_str())).bind(r.is_organisation)
                                .bind(*parent).bind(&r.region).bind(tags).bind(r.account_manager_id).bind(&r.notes).bind(now).bind(now);
                        }
                        let made = q.fetch_all(&mut *tx).await.map_err(db_err)?;
                        let made: HashMap<String, i64> = made.into_iter().map(|(id, e)| (e, id)).collect();
                        let mut new_ids = Vec::with_capacity(chunk.len());
                        for (i, parent) in chunk {
                            let id = *made.get(&rows[*i].external_id).ok_or_else(|| $crate::StoreError::Database("a new customer's id did not come back".into()))?;
                            ids[*i] = id;
                            new_ids.push(id);
                            known.insert(rows[*i].external_id.clone(), (id, *parent));
                        }
                        counts.inserted += chunk.len() as u64;
                        // Tree paths: each new row to itself, and to every ancestor of its parent.
                        let sql = format!(
                            "INSERT INTO customer_paths (ancestor_id, descendant_id, depth, descendant_kind, descendant_live) SELECT id, id, 0, kind, deleted_at IS NULL FROM customers WHERE id IN {} \
                             UNION ALL SELECT p.ancestor_id, c.id, p.depth + 1, c.kind, c.deleted_at IS NULL FROM customers c JOIN customer_paths p ON p.descendant_id = c.parent_id WHERE c.id IN {}",
                            $crate::portable::mark_list(numbered, 1, new_ids.len()),
                            $crate::portable::mark_list(numbered, new_ids.len() + 1, new_ids.len())
                        );
                        let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                        for id in new_ids.iter().chain(new_ids.iter()) {
                            q = q.bind(*id);
                        }
                        q.execute(&mut *tx).await.map_err(db_err)?;
                        let with_contact: Vec<(i64, &$crate::ImportCustomer)> = chunk.iter().map(|(i, _)| (ids[*i], &rows[*i]))
                            .filter(|(_, r)| r.phone.is_some() || r.email.is_some() || r.social_style.is_some()).collect();
                        if !with_contact.is_empty() {
                            let sql = format!(
                                "INSERT INTO contacts (customer_id, name, phone, phone_norm, email, role, language, preferred_channel, social_style, is_primary, created_at, updated_at) VALUES {}",
                                $crate::portable::value_rows(numbered, 1, with_contact.len(), "(?, ?, ?, ?, ?, '', NULL, '', ?, ?, ?, ?)")
                            );
                            let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                            for (id, r) in with_contact {
                                let (phone, phone_norm) = r.phone.clone().unwrap_or_default();
                                q = q.bind(id).bind(&r.name).bind(phone).bind(phone_norm).bind(r.email.clone().unwrap_or_default())
                                    .bind(r.social_style.map(|s| s.as_str())).bind(true).bind(now).bind(now);
                            }
                            q.execute(&mut *tx).await.map_err(db_err)?;
                        }
                    }
                    for (i, parent) in old {
                        let r = &rows[i];
                        let (id, old_parent) = known[&r.external_id];
                        let tags = ::serde_json::to_string(&r.tags).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                        ::sqlx::query("UPDATE customers SET name = $2, kind = $3, subkind = $4, is_organisation = $5, region = $6, tags = $7, account_manager_id = $8, notes = $9, deleted_at = NULL, updated_at = $10 WHERE id = $1")
                            .bind(id).bind(&r.name).bind(r.kind.as_str()).bind(r.subkind.map(|k| k.as_str())).bind(r.is_organisation).bind(&r.region).bind(&tags)
                            .bind(r.account_manager_id).bind(&r.notes).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                        if old_parent != parent {
                            Self::move_in(&mut tx, id, parent, now).await?;
                            known.insert(r.external_id.clone(), (id, parent));
                        }
                        if r.phone.is_some() || r.email.is_some() || r.social_style.is_some() {
                            let (phone, phone_norm) = r.phone.clone().unwrap_or_default();
                            let email = r.email.clone().unwrap_or_default();
                            let style = r.social_style.map(|s| s.as_str());
                            let primary: Option<i64> = ::sqlx::query_scalar("SELECT id FROM contacts WHERE customer_id = $1 AND is_primary = TRUE").bind(id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                            match primary {
                                Some(cid) => {
                                    ::sqlx::query("UPDATE contacts SET phone = $2, phone_norm = $3, email = $4, social_style = $5, updated_at = $6 WHERE id = $1")
                                        .bind(cid).bind(phone).bind(phone_norm).bind(email).bind(style).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                                }
                                None => {
                                    ::sqlx::query("INSERT INTO contacts (customer_id, name, phone, phone_norm, email, role, language, preferred_channel, social_style, is_primary, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, '', NULL, '', $6, TRUE, $7, $7)")
                                        .bind(id).bind(&r.name).bind(phone).bind(phone_norm).bind(email).bind(style).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                                }
                            }
                        }
                        ids[i] = id;
                        counts.updated += 1;
                    }
                }
                Self::bulk_write_ends(&mut tx).await?;
                tx.commit().await.map_err(db_err)?;
                Ok((ids, counts))
            }

            async fn begin_purchase_import(&self, now: i64) -> $crate::StoreResult<Box<dyn $crate::PurchaseImport>> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                Self::bulk_write_begins(&mut tx).await?;
                let before: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM purchases").fetch_one(&mut *tx).await.map_err(db_err)?;
                Ok(Box::new(PortablePurchaseImport { tx, now, before, written: 0 }))
            }

            async fn customers_by_ids(&self, ids: &[i64]) -> $crate::StoreResult<Vec<$crate::Customer>> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let sql = format!("SELECT {} FROM customers c WHERE c.id IN {} ORDER BY c.id", __portable_rows::CUSTOMER_COLS, $crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len()));
                    let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    for row in q.fetch_all(self.reader()).await.map_err(db_err)? {
                        out.push(__portable_rows::customer(&row)?);
                    }
                }
                Ok(out)
            }
            async fn contacts_of_customers(&self, ids: &[i64]) -> $crate::StoreResult<Vec<$crate::Contact>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let sql = format!("SELECT {} FROM contacts WHERE customer_id IN {} AND deleted_at IS NULL ORDER BY customer_id, is_primary DESC, id", __portable_rows::CONTACT_COLS, $crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len()));
                    let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    for row in q.fetch_all(self.reader()).await.map_err(db_err)? {
                        out.push(__portable_rows::contact(&row)?);
                    }
                }
                Ok(out)
            }
            async fn index_customers(&self, rows: &[(i64, ::kefu_core::search::IndexTerms)]) -> $crate::StoreResult<()> {
                self.backend_index_customers(rows).await
            }

            async fn is_within(&self, root: i64, id: i64) -> $crate::StoreResult<bool> {
                let n: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_id = $2")
                    .bind(root).bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                Ok(n > 0)
            }
            async fn tree_children(&self, parent: Option<i64>, offset: u32, limit: u32) -> $crate::StoreResult<Vec<$crate::TreeNode>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {}, (SELECT COUNT(*) FROM customer_paths p WHERE p.ancestor_id = c.id AND p.descendant_live AND p.depth > 0) AS beneath FROM customers c WHERE c.deleted_at IS NULL AND (($1 IS NULL AND c.parent_id IS NULL) OR c.parent_id = $1) ORDER BY c.id LIMIT $2 OFFSET $3", __portable_rows::CUSTOMER_COLS)))
                    .bind(parent).bind(i64::from(limit)).bind(i64::from(offset)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(|r| Ok($crate::TreeNode { customer: __portable_rows::customer(r)?, beneath: __portable_rows::get(r, "beneath")? })).collect()
            }
            async fn merge_customers(&self, from: i64, into: i64, now: i64) -> $crate::StoreResult<$crate::Customer> {
                if from == into {
                    return Err($crate::StoreError::Refused("a customer cannot be merged into itself".into()));
                }
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let a = Self::customer_in(&mut *tx, from).await?;
                let b = Self::customer_in(&mut *tx, into).await?;
                if a.deleted_at.is_some() || b.deleted_at.is_some() {
                    return Err($crate::StoreError::Refused("only live (not deleted) customers can be merged".into()));
                }
                if a.kind != b.kind {
                    return Err($crate::StoreError::Refused(format!("a customer of kind {} cannot be merged into one of kind {}", a.kind.as_str(), b.kind.as_str())));
                }
                let beneath: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM customer_paths WHERE ancestor_id = $1 AND descendant_id = $2")
                    .bind(from).bind(into).fetch_one(&mut *tx).await.map_err(db_err)?;
                if beneath > 0 {
                    return Err($crate::StoreError::Cycle);
                }
                // Every table that names a customer moves its rows here (tickets, visits, answers as they land).
                let children: Vec<i64> = ::sqlx::query_scalar("SELECT id FROM customers WHERE parent_id = $1 ORDER BY id").bind(from).fetch_all(&mut *tx).await.map_err(db_err)?;
                for child in children {
                    Self::move_in(&mut tx, child, Some(into), now).await?;
                }
                ::sqlx::query("UPDATE contacts SET customer_id = $2, is_primary = FALSE, updated_at = $3 WHERE customer_id = $1").bind(from).bind(into).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("UPDATE purchases SET customer_id = $2 WHERE customer_id = $1").bind(from).bind(into).execute(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("UPDATE purchases SET seller_id = $2 WHERE seller_id = $1").bind(from).bind(into).execute(&mut *tx).await.map_err(db_err)?;
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
                let region = if b.region.is_empty() { a.region.clone() } else { b.region.clone() };
                let manager = b.account_manager_id.or(a.account_manager_id);
                let external_id = b.external_id.clone().or(a.external_id.clone());
                if b.external_id.is_none() && a.external_id.is_some() {
                    ::sqlx::query("UPDATE customers SET external_id = NULL WHERE id = $1").bind(from).execute(&mut *tx).await.map_err(db_err)?;
                }
                let tags = ::serde_json::to_string(&tags).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                ::sqlx::query("UPDATE customers SET tags = $2, notes = $3, region = $4, account_manager_id = $5, external_id = $6, updated_at = $7 WHERE id = $1")
                    .bind(into).bind(tags).bind(notes).bind(region).bind(manager).bind(external_id).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("UPDATE customers SET deleted_at = $2, merged_into = $3, updated_at = $2 WHERE id = $1").bind(from).bind(now).bind(into).execute(&mut *tx).await.map_err(db_err)?;
                let out = Self::customer_in(&mut *tx, into).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn duplicate_pairs(&self, limit: u32) -> $crate::StoreResult<Vec<$crate::DuplicatePair>> {
                let rows: Vec<(i64, i64, String, String)> = ::sqlx::query_as("SELECT first_id, second_id, MIN(reason), MIN(value) FROM (\
                        SELECT a.customer_id AS first_id, b.customer_id AS second_id, 'phone' AS reason, a.phone_norm AS value FROM contacts a JOIN contacts b ON b.phone_norm = a.phone_norm AND b.customer_id > a.customer_id WHERE a.phone_norm <> '' AND a.deleted_at IS NULL AND b.deleted_at IS NULL \
                        UNION ALL \
                        SELECT a.customer_id, b.customer_id, 'email', a.email FROM contacts a JOIN contacts b ON b.email = a.email AND b.customer_id > a.customer_id WHERE a.email <> '' AND a.deleted_at IS NULL AND b.deleted_at IS NULL\
                    ) d WHERE EXISTS (SELECT 1 FROM customers c WHERE c.id = d.first_id AND c.deleted_at IS NULL) AND EXISTS (SELECT 1 FROM customers c WHERE c.id = d.second_id AND c.deleted_at IS NULL) \
                    GROUP BY first_id, second_id ORDER BY second_id DESC, first_id DESC LIMIT $1")
                    .bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(first_id, second_id, reason, value)| $crate::DuplicatePair { first_id, second_id, reason, value }).collect())
            }

            async fn get_contact(&self, id: i64) -> $crate::StoreResult<$crate::Contact> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM contacts WHERE id = $1 AND deleted_at IS NULL", __portable_rows::CONTACT_COLS)))
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::contact(&row)
            }
            async fn update_contact(&self, id: i64, p: $crate::ContactPatch, now: i64) -> $crate::StoreResult<$crate::Contact> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let customer_id: i64 = ::sqlx::query_scalar("SELECT customer_id FROM contacts WHERE id = $1 AND deleted_at IS NULL").bind(id).fetch_one(&mut *tx).await.map_err(db_err)?;
                if p.is_primary == Some(true) {
                    ::sqlx::query("UPDATE contacts SET is_primary = FALSE WHERE customer_id = $1").bind(customer_id).execute(&mut *tx).await.map_err(db_err)?;
                }
                let (phone, phone_norm) = p.phone.map_or((None, None), |(a, b)| (Some(a), Some(b)));
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("UPDATE contacts SET name = COALESCE($2, name), phone = COALESCE($3, phone), phone_norm = COALESCE($4, phone_norm), email = COALESCE($5, email), role = COALESCE($6, role), language = CASE WHEN $7 THEN $8 ELSE language END, preferred_channel = COALESCE($9, preferred_channel), social_style = CASE WHEN $10 THEN $11 ELSE social_style END, is_primary = COALESCE($12, is_primary), updated_at = $13 WHERE id = $1 RETURNING {}", __portable_rows::CONTACT_COLS)))
                    .bind(id).bind(p.name).bind(phone).bind(phone_norm).bind(p.email).bind(p.role)
                    .bind(p.language.is_some()).bind(p.language.flatten().map(|l| l.code()))
                    .bind(p.preferred_channel).bind(p.social_style.is_some()).bind(p.social_style.flatten().map(|s| s.as_str()))
                    .bind(p.is_primary).bind(now)
                    .fetch_one(&mut *tx).await.map_err(db_err)?;
                let out = __portable_rows::contact(&row)?;
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn delete_contact(&self, id: i64, now: i64) -> $crate::StoreResult<()> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let linked: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM portal_accounts a JOIN users u ON u.id = a.user_id WHERE a.contact_id = $1 AND u.disabled = FALSE").bind(id).fetch_one(&mut *tx).await.map_err(db_err)?;
                if linked > 0 {
                    return Err($crate::StoreError::Refused("this contact has a portal account: disable the account first".into()));
                }
                let r = ::sqlx::query("UPDATE contacts SET deleted_at = $2, is_primary = FALSE, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL").bind(id).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                tx.commit().await.map_err(db_err)
            }
            async fn get_purchase(&self, id: i64) -> $crate::StoreResult<$crate::Purchase> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM purchases WHERE id = $1 AND deleted_at IS NULL", __portable_rows::PURCHASE_COLS)))
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_rows::purchase(&row)
            }
            async fn replace_purchase(&self, id: i64, p: $crate::NewPurchase) -> $crate::StoreResult<$crate::Purchase> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("UPDATE purchases SET external_id = $2, customer_id = $3, purchased_on = $4, amount_minor = $5, currency = $6, sku = $7, product_name = $8, category = $9, serial = $10, seller_id = $11 WHERE id = $1 AND deleted_at IS NULL RETURNING {}", __portable_rows::PURCHASE_COLS)))
                    .bind(id).bind(&p.external_id).bind(p.customer_id).bind(&p.purchased_on).bind(p.amount_minor).bind(&p.currency).bind(&p.sku).bind(&p.product_name).bind(&p.category).bind(&p.serial).bind(p.seller_id)
                    .fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_rows::purchase(&row)
            }
            async fn delete_purchase(&self, id: i64, now: i64) -> $crate::StoreResult<()> {
                let r = ::sqlx::query("UPDATE purchases SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL").bind(id).bind(now).execute(self.writer()).await.map_err(db_err)?;
                if r.rows_affected() == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                Ok(())
            }

            async fn create_portal_user(&self, u: $crate::NewUser, contact_id: i64) -> $crate::StoreResult<$crate::PortalAccount> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let customer_id: i64 = ::sqlx::query_scalar("SELECT k.customer_id FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE k.id = $1 AND k.deleted_at IS NULL AND c.deleted_at IS NULL")
                    .bind(contact_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                let user = Self::insert_user_in(&mut tx, &u).await?;
                ::sqlx::query("INSERT INTO portal_accounts (user_id, contact_id, created_at) VALUES ($1, $2, $3)").bind(user.id).bind(contact_id).bind(u.now).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok($crate::PortalAccount { user, contact_id, customer_id })
            }
            async fn portal_account(&self, user_id: i64) -> $crate::StoreResult<Option<$crate::PortalAccount>> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {}, a.contact_id, k.customer_id FROM portal_accounts a JOIN users u ON u.id = a.user_id JOIN contacts k ON k.id = a.contact_id WHERE a.user_id = $1", __portable_rows::USER_COLS)))
                    .bind(user_id).fetch_optional(self.reader()).await.map_err(db_err)?;
                row.map(|r| Ok($crate::PortalAccount { user: __portable_rows::user(&r)?, contact_id: __portable_rows::get(&r, "contact_id")?, customer_id: __portable_rows::get(&r, "customer_id")? })).transpose()
            }
            async fn portal_accounts_of(&self, customer_id: i64) -> $crate::StoreResult<Vec<$crate::PortalAccount>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {}, a.contact_id, k.customer_id FROM portal_accounts a JOIN users u ON u.id = a.user_id JOIN contacts k ON k.id = a.contact_id WHERE k.customer_id = $1 ORDER BY u.id", __portable_rows::USER_COLS)))
                    .bind(customer_id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(|r| Ok($crate::PortalAccount { user: __portable_rows::user(r)?, contact_id: __portable_rows::get(r, "contact_id")?, customer_id: __portable_rows::get(r, "customer_id")? })).collect()
            }
            async fn create_invitation(&self, user_id: i64, token_hash: &str, expires_at: i64, now: i64) -> $crate::StoreResult<()> {
                ::sqlx::query("INSERT INTO invitations (token_hash, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(token_hash).bind(user_id).bind(expires_at).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
            async fn accept_invitation(&self, token_hash: &str, password_hash: &str, now: i64) -> $crate::StoreResult<$crate::User> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let user_id: i64 = ::sqlx::query_scalar("UPDATE invitations SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id")
                    .bind(token_hash).bind(now).fetch_one(&mut *tx).await.map_err(db_err)?;
                ::sqlx::query("UPDATE users SET password_hash = $2, failed_logins = 0, locked_until = NULL, updated_at = $3 WHERE id = $1 AND disabled = FALSE")
                    .bind(user_id).bind(password_hash).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM users u WHERE u.id = $1 AND u.disabled = FALSE", __portable_rows::USER_COLS)))
                    .bind(user_id).fetch_one(&mut *tx).await.map_err(db_err)?;
                let user = __portable_rows::user(&row)?;
                tx.commit().await.map_err(db_err)?;
                Ok(user)
            }
            async fn invitation_is_live(&self, token_hash: &str, now: i64) -> $crate::StoreResult<bool> {
                let n: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM invitations i JOIN users u ON u.id = i.user_id WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2 AND u.disabled = FALSE")
                    .bind(token_hash).bind(now).fetch_one(self.reader()).await.map_err(db_err)?;
                Ok(n > 0)
            }

            async fn set_value_tiers(&self, tiers: &[(i64, ::kefu_core::rfm::ValueTier)]) -> $crate::StoreResult<()> {
                // One statement per tier and 500 customers, not one per customer.
                let mut by_tier: ::std::collections::BTreeMap<&str, Vec<i64>> = ::std::collections::BTreeMap::new();
                for (id, tier) in tiers {
                    by_tier.entry(tier.as_str()).or_default().push(*id);
                }
                let mut tx = self.write_tx().await.map_err(db_err)?;
                // Customers whose purchases are gone (deleted, merged away) have no tier any more.
                ::sqlx::query("UPDATE customers SET value_tier = 'none' WHERE value_tier <> 'none' AND NOT EXISTS (SELECT 1 FROM purchases p WHERE p.customer_id = customers.id AND p.deleted_at IS NULL)").execute(&mut *tx).await.map_err(db_err)?;
                for (tier, ids) in &by_tier {
                    for chunk in ids.chunks(500) {
                        let sql = format!("UPDATE customers SET value_tier = {} WHERE id IN {}", $crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, 1), $crate::portable::mark_list(Self::NUMBERED_PARAMS, 2, chunk.len()));
                        let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql)).bind(*tier);
                        for id in chunk {
                            q = q.bind(*id);
                        }
                        q.execute(&mut *tx).await.map_err(db_err)?;
                    }
                }
                tx.commit().await.map_err(db_err)
            }

            async fn assign_external_ids(&self, prefix: &str, now: i64) -> $crate::StoreResult<Vec<i64>> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let ids: Vec<i64> = ::sqlx::query_scalar("UPDATE customers SET external_id = $1 || CAST(id AS TEXT), updated_at = $2 WHERE external_id IS NULL RETURNING id")
                    .bind(prefix).bind(now).fetch_all(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(ids)
            }
            async fn export_customers(&self, after: i64, limit: u32) -> $crate::StoreResult<Vec<$crate::ExportCustomer>> {
                let rows = ::sqlx::query(__portable_rows::EXPORT_CUSTOMER_SQL).bind(after).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::export_customer).collect()
            }
            async fn export_purchases(&self, after: i64, limit: u32) -> $crate::StoreResult<Vec<$crate::ExportPurchase>> {
                let rows = ::sqlx::query(__portable_rows::EXPORT_PURCHASE_SQL).bind(after).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_rows::export_purchase).collect()
            }
            async fn count_export_purchases(&self) -> $crate::StoreResult<i64> {
                ::sqlx::query_scalar("SELECT COUNT(*) FROM purchases p JOIN customers c ON c.id = p.customer_id WHERE c.deleted_at IS NULL AND p.deleted_at IS NULL")
                    .fetch_one(self.reader()).await.map_err(db_err)
            }
        }
    };
}
