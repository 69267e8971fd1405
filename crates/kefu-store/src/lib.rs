//! The storage boundary: row types, the `Store` traits every backend implements, the one
//! `StoreError` enum, and the conformance suite (`conformance`) that every backend passes.
//!
//! Backends (`kefu-store-sqlite`, `kefu-store-postgres`) import only this crate and `kefu-core`.
//! SQL that reads the same on both databases is written once, in `src/portable/`: not a module of
//! this crate, but source that each backend compiles as its own `portable` module over its own
//! `sqlx` database type (see `src/portable/mod.rs`). What differs (job claims, locks, backups,
//! search) each backend writes itself, behind the `portable::Backend` trait declared there.

pub mod conformance;
mod error;
mod surveys;
mod tickets;
mod types;

pub use error::{StoreError, StoreResult};
pub use surveys::*;
pub use tickets::*;
pub use types::*;

use async_trait::async_trait;
use kefu_core::time::Millis;

/// Everything a backend provides. Split by area so later capabilities add their own trait; a
/// backend declares it (`impl Store for SqliteStore {}`) once it implements them all.
pub trait Store:
    Customers
    + Tickets
    + Surveys
    + Admin
    + Accounts
    + Settings
    + Sessions
    + Tokens
    + Audit
    + RateLimits
    + Jobs
    + Webhooks
    + Send
    + Sync
    + 'static
{
}

/// Schema, health, backup and the facts operations need.
#[async_trait]
pub trait Admin {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Applies pending migrations. Refuses (`StoreError::SchemaTooNew`) a database migrated by a newer kefu.
    async fn migrate(&self) -> StoreResult<()>;
    /// Applied, pending and unknown (newer) migrations.
    async fn schema_status(&self) -> StoreResult<SchemaStatus>;
    /// One round trip to the database.
    async fn ping(&self) -> StoreResult<()>;
    fn pool_stats(&self) -> PoolStats;
    /// True when the database holds no data of ours beyond what migrations create.
    async fn is_empty(&self) -> StoreResult<bool>;
    /// Fresh planner statistics after a bulk load (the large demo) where the backend's plans use
    /// them.
    async fn refresh_statistics(&self) -> StoreResult<()>;
    /// Every row of every kefu table, read in one consistent snapshot, in an order that restores.
    async fn dump(&self) -> StoreResult<Dump>;
    /// Replaces every kefu table's rows with the dump's, in one transaction; all or nothing.
    async fn restore(&self, dump: &Dump) -> StoreResult<()>;
    /// Closes the pools, letting queries in flight finish.
    async fn close(&self);
}

#[async_trait]
pub trait Accounts {
    async fn create_department(&self, name: &str, now: Millis) -> StoreResult<Department>;
    async fn list_departments(&self) -> StoreResult<Vec<Department>>;
    async fn get_department(&self, id: i64) -> StoreResult<Department>;
    async fn rename_department(&self, id: i64, name: &str, now: Millis) -> StoreResult<Department>;
    /// Deletes a department that is not the default one; its members fall back to the default.
    async fn delete_department(&self, id: i64) -> StoreResult<()>;
    /// The department agents without one belong to and unrouted work goes to. Created by the migrations.
    async fn default_department(&self) -> StoreResult<Department>;
    /// Member counts per department id.
    async fn department_member_counts(&self) -> StoreResult<Vec<(i64, i64)>>;

    async fn create_user(&self, user: NewUser) -> StoreResult<User>;
    async fn get_user(&self, id: i64) -> StoreResult<User>;
    async fn get_user_by_email(&self, email: &str) -> StoreResult<User>;
    async fn list_users(&self, filter: UserFilter) -> StoreResult<Vec<User>>;
    async fn count_users(&self) -> StoreResult<i64>;
    async fn update_user(&self, id: i64, patch: UserPatch, now: Millis) -> StoreResult<User>;
    async fn set_user_departments(&self, id: i64, departments: &[i64]) -> StoreResult<()>;
    async fn user_departments(&self, id: i64) -> StoreResult<Vec<Department>>;
    /// Records a failed login and the lock, if the rule locks; returns the failure count.
    async fn record_login_failure(&self, id: i64, lock_until: Option<Millis>) -> StoreResult<u32>;
    async fn record_login_success(&self, id: i64, now: Millis) -> StoreResult<()>;
}

/// Organisation-wide settings, one JSON value per key.
#[async_trait]
pub trait Settings {
    async fn get_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>>;
    async fn set_setting(&self, key: &str, value: &serde_json::Value, now: Millis) -> StoreResult<()>;
}

#[async_trait]
pub trait Sessions {
    async fn create_session(&self, s: NewSession) -> StoreResult<()>;
    /// A live session (not expired at `now`) by the hash of its cookie token, with its user.
    async fn get_session(&self, token_hash: &str, now: Millis) -> StoreResult<(Session, User)>;
    async fn touch_session(&self, token_hash: &str, last_seen: Millis, expires_at: Millis) -> StoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// Ends every session of a user but, optionally, one (the one that changed the password).
    async fn delete_user_sessions(&self, user_id: i64, except_hash: Option<&str>) -> StoreResult<u64>;
    async fn purge_expired_sessions(&self, now: Millis) -> StoreResult<u64>;
}

#[async_trait]
pub trait Tokens {
    async fn create_token(&self, user_id: i64, name: &str, token_hash: &str, now: Millis) -> StoreResult<ApiToken>;
    /// A token that is not revoked, with its (enabled or disabled) user.
    async fn find_token(&self, token_hash: &str) -> StoreResult<(ApiToken, User)>;
    async fn touch_token(&self, id: i64, now: Millis) -> StoreResult<()>;
    async fn list_tokens(&self, user_id: i64) -> StoreResult<Vec<ApiToken>>;
    async fn revoke_token(&self, id: i64, now: Millis) -> StoreResult<()>;
}

#[async_trait]
pub trait Audit {
    async fn append_audit(&self, entry: NewAudit) -> StoreResult<i64>;
    /// Newest first: entries with id below `before` (0 = from the newest).
    async fn list_audit(&self, before: i64, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}

#[async_trait]
pub trait RateLimits {
    /// Counts one hit for `key` in the fixed window starting at `window_start`; returns the hits
    /// in that window including this one. Old windows are purged by `purge_rate_limits`.
    async fn rate_limit_hit(&self, key: &str, window_start: Millis) -> StoreResult<u32>;
    /// Purges rate-limit windows that started before `before`, and failed sign-ins last seen then.
    async fn purge_rate_limits(&self, before: Millis) -> StoreResult<u64>;
    /// The latest `blocked_until` among these sign-in failure keys, if any.
    async fn login_blocked_until(&self, keys: &[String]) -> StoreResult<Option<Millis>>;
    /// Counts a failed sign-in under `key` at `now` (a count last touched before `forget_before`
    /// starts again at one); returns the failures counted.
    async fn add_login_failure(&self, key: &str, now: Millis, forget_before: Millis) -> StoreResult<u32>;
    async fn block_login(&self, key: &str, until: Millis) -> StoreResult<()>;
    /// Forgets the failures of `key` (a successful sign-in).
    async fn clear_login_failures(&self, key: &str) -> StoreResult<()>;
}

#[async_trait]
pub trait Jobs {
    /// Enqueues a job. With a `unique_key` already present, enqueues nothing and returns `None`:
    /// that is how a periodic tick is enqueued once across nodes.
    async fn enqueue(&self, job: NewJob) -> StoreResult<Option<i64>>;
    /// Claims the oldest due job (queued, or running with an expired lease) for `worker` until
    /// `now + lease_ms`. Two workers never hold the same job.
    async fn claim_job(&self, worker: &str, now: Millis, lease_ms: i64) -> StoreResult<Option<Job>>;
    /// Extends a lease; false when the worker no longer holds the job.
    async fn heartbeat_job(&self, id: i64, worker: &str, lease_until: Millis) -> StoreResult<bool>;
    async fn complete_job(&self, id: i64, worker: &str, now: Millis) -> StoreResult<bool>;
    /// Records a failure: retried at `retry_at`, or dead-lettered when `None`.
    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> StoreResult<bool>;
    async fn get_job(&self, id: i64) -> StoreResult<Job>;
    async fn list_jobs(&self, status: Option<JobStatus>, limit: u32) -> StoreResult<Vec<Job>>;
    /// Jobs per status.
    async fn job_counts(&self) -> StoreResult<Vec<(JobStatus, i64)>>;
    /// Deletes finished jobs older than `before`.
    async fn purge_jobs(&self, before: Millis) -> StoreResult<u64>;
}

#[async_trait]
pub trait Webhooks {
    async fn create_webhook(&self, w: NewWebhook) -> StoreResult<Webhook>;
    async fn list_webhooks(&self) -> StoreResult<Vec<Webhook>>;
    async fn get_webhook(&self, id: i64) -> StoreResult<Webhook>;
    async fn set_webhook_active(&self, id: i64, active: bool, now: Millis) -> StoreResult<Webhook>;
    async fn delete_webhook(&self, id: i64) -> StoreResult<()>;
    /// Active endpoints subscribed to `event`.
    async fn webhooks_for_event(&self, event: &str) -> StoreResult<Vec<Webhook>>;
    async fn record_delivery(&self, d: NewDelivery) -> StoreResult<i64>;
    async fn list_deliveries(&self, webhook_id: i64, limit: u32) -> StoreResult<Vec<Delivery>>;
}

/// Customers, contacts, purchases and the channel tree.
#[async_trait]
pub trait Customers {
    /// Creates a customer under `parent_id` (which must exist), with its tree paths.
    async fn create_customer(&self, c: NewCustomer) -> StoreResult<Customer>;
    async fn get_customer(&self, id: i64) -> StoreResult<Customer>;
    async fn get_customer_by_external_id(&self, external_id: &str) -> StoreResult<Customer>;
    /// Changes fields and, with `patch.parent_id`, the place in the tree, in one transaction.
    /// A move under itself or its own subtree is refused with `StoreError::Cycle` and changes nothing.
    async fn update_customer(&self, id: i64, patch: CustomerPatch, now: Millis) -> StoreResult<Customer>;
    /// Moves a customer (and everything beneath it) under a new parent, or to the top.
    /// A move under itself or its own subtree is refused with `StoreError::Cycle`.
    async fn move_customer(&self, id: i64, new_parent: Option<i64>, now: Millis) -> StoreResult<Customer>;
    /// Soft delete (`Some(at)`) or restore (`None`).
    async fn set_customer_deleted(&self, id: i64, deleted_at: Option<Millis>, now: Millis) -> StoreResult<Customer>;
    async fn list_customers(&self, filter: CustomerFilter) -> StoreResult<Vec<Customer>>;
    async fn count_customers(&self) -> StoreResult<i64>;
    /// The upstream chain, from the top of the tree down to the direct parent.
    async fn customer_ancestors(&self, id: i64) -> StoreResult<Vec<Customer>>;
    /// Customers (not deleted) beneath `id` at any depth, counted by kind.
    async fn subtree_counts(&self, id: i64) -> StoreResult<Vec<(String, i64)>>;
    /// Customers (not deleted) beneath `id` at any depth, by id, optionally of one kind.
    async fn subtree_customers(
        &self,
        id: i64,
        kind: Option<kefu_core::customer::CustomerKind>,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Customer>>;
    /// True when `id` is `root` or beneath it.
    async fn is_within(&self, root: i64, id: i64) -> StoreResult<bool>;
    /// The direct children of `parent` (or the top of the tree) with how many are beneath each,
    /// oldest first, from position `offset`; deleted customers left out.
    async fn tree_children(&self, parent: Option<i64>, offset: u32, limit: u32) -> StoreResult<Vec<TreeNode>>;
    /// Merges `from` into `into` in one transaction: contacts, purchases (bought and sold) and the
    /// customers beneath move to `into`, tags are joined, and `from` is soft-deleted with
    /// `merged_into` set. Refused (`Refused`) for two kinds, a deleted record or itself; a merge into
    /// a record beneath `from` is `Cycle`.
    async fn merge_customers(&self, from: i64, into: i64, now: Millis) -> StoreResult<Customer>;
    /// Pairs of live customers sharing a contact's normalised phone or e-mail, newest pairs first.
    async fn duplicate_pairs(&self, limit: u32) -> StoreResult<Vec<DuplicatePair>>;
    /// Replaces a customer's search terms (kefu-core::search::analyze of its name, contacts, ...).
    async fn index_customer(&self, id: i64, terms: &kefu_core::search::IndexTerms) -> StoreResult<()>;
    /// Customers (not deleted) matching every part of the query, by id.
    /// With `within`, only that customer and those beneath it.
    async fn search_customers(
        &self,
        query: &[kefu_core::search::QueryPart],
        within: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Customer>>;

    async fn add_contact(&self, c: NewContact) -> StoreResult<Contact>;
    /// A live (not deleted) contact.
    async fn get_contact(&self, id: i64) -> StoreResult<Contact>;
    async fn update_contact(&self, id: i64, patch: ContactPatch, now: Millis) -> StoreResult<Contact>;
    /// Soft delete; a contact with a portal account is refused (`Refused`): disable the account first.
    async fn delete_contact(&self, id: i64, now: Millis) -> StoreResult<()>;
    async fn list_contacts(&self, customer_id: i64) -> StoreResult<Vec<Contact>>;
    /// Contacts with this normalised phone or e-mail (duplicate detection); empty values match nothing.
    async fn find_contacts(&self, phone_norm: &str, email: &str) -> StoreResult<Vec<Contact>>;

    /// Inserts a purchase, or updates the one with the same `external_id`; true when inserted.
    async fn upsert_purchase(&self, p: NewPurchase) -> StoreResult<(Purchase, bool)>;
    /// A live (not deleted) purchase.
    async fn get_purchase(&self, id: i64) -> StoreResult<Purchase>;
    /// Replaces every field of a live purchase but its id and creation time.
    async fn replace_purchase(&self, id: i64, p: NewPurchase) -> StoreResult<Purchase>;
    async fn delete_purchase(&self, id: i64, now: Millis) -> StoreResult<()>;
    async fn list_purchases(&self, customer_id: i64, limit: u32) -> StoreResult<Vec<Purchase>>;
    /// Per customer with purchases: last date, count, sum.
    async fn rfm_rows(&self) -> StoreResult<Vec<RfmRow>>;
    async fn set_value_tiers(&self, tiers: &[(i64, kefu_core::rfm::ValueTier)]) -> StoreResult<()>;

    /// Creates or updates (by external id) every row in one transaction, parents before children;
    /// all or nothing. New rows are written in bulk (multi-row statements), so 100,000 take seconds.
    /// Returns the ids of the rows, in order, and the counts. The search index is left to the caller.
    async fn import_customers(&self, rows: &[ImportCustomer], now: Millis) -> StoreResult<(Vec<i64>, ImportCounts)>;
    /// External ids of these that exist already (to check references before an import).
    async fn existing_customer_external_ids(
        &self,
        ids: &[String],
    ) -> StoreResult<Vec<(String, i64, kefu_core::customer::CustomerKind)>>;
    /// Starts a bulk write of purchases in one transaction: see [`PurchaseImport`].
    async fn begin_purchase_import(&self, now: Millis) -> StoreResult<Box<dyn PurchaseImport>>;
    /// Inserts or updates (by external id) every purchase in one transaction; all or nothing.
    #[tracing::instrument(skip_all)]
    async fn import_purchases(&self, rows: Vec<ImportPurchase>, now: Millis) -> StoreResult<ImportCounts> {
        let mut w = self.begin_purchase_import(now).await?;
        w.write(rows).await?;
        w.commit().await
    }

    /// Creates a customer-role user and links it to a live contact, in one transaction. A contact
    /// with an account already is `Conflict`.
    async fn create_portal_user(&self, user: NewUser, contact_id: i64) -> StoreResult<PortalAccount>;
    /// The portal link of a user, if it has one.
    async fn portal_account(&self, user_id: i64) -> StoreResult<Option<PortalAccount>>;
    /// The portal accounts of a customer's contacts.
    async fn portal_accounts_of(&self, customer_id: i64) -> StoreResult<Vec<PortalAccount>>;
    async fn create_invitation(
        &self,
        user_id: i64,
        token_hash: &str,
        expires_at: Millis,
        now: Millis,
    ) -> StoreResult<()>;
    /// Uses an unused, unexpired invitation: sets the user's password and marks it used, in one
    /// transaction. Any other token is `NotFound`.
    async fn accept_invitation(&self, token_hash: &str, password_hash: &str, now: Millis) -> StoreResult<User>;
    /// Whether `accept_invitation` would take this token now (unused, unexpired, its user enabled),
    /// without using it.
    async fn invitation_is_live(&self, token_hash: &str, now: Millis) -> StoreResult<bool>;

    /// Gives every customer without an external id the id `prefix` followed by its id (so an
    /// export re-imports onto the same rows); returns the ids of the customers changed. Refused
    /// with `Conflict` when such an id is taken by another customer.
    async fn assign_external_ids(&self, prefix: &str, now: Millis) -> StoreResult<Vec<i64>>;
    /// Customers not deleted with an id above `after`, by id, as the import's columns (export pages).
    async fn export_customers(&self, after: i64, limit: u32) -> StoreResult<Vec<ExportCustomer>>;
    /// Purchases of customers not deleted with an id above `after`, by id (export pages).
    async fn export_purchases(&self, after: i64, limit: u32) -> StoreResult<Vec<ExportPurchase>>;
    /// The number of purchases `export_purchases` pages through.
    async fn count_export_purchases(&self) -> StoreResult<i64>;
    /// These customers (deleted ones too), by id; unknown ids are left out.
    async fn customers_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Customer>>;
    /// The contacts of these customers, by customer and then as `list_contacts` orders them.
    async fn contacts_of_customers(&self, ids: &[i64]) -> StoreResult<Vec<Contact>>;
    /// Replaces the search terms of many customers in one transaction.
    async fn index_customers(&self, rows: &[(i64, kefu_core::search::IndexTerms)]) -> StoreResult<()>;
}

/// A bulk write of purchases inside one database transaction, each row inserted or updated by
/// its external id (the backends use their fastest multi-row statements). Rows go in batches of
/// any size; nothing is visible to others until `commit`, and dropping it uncommitted writes
/// nothing. A row naming a customer or seller that does not exist fails the write.
#[async_trait]
pub trait PurchaseImport: Send {
    async fn write(&mut self, rows: Vec<ImportPurchase>) -> StoreResult<()>;
    /// Commits, and counts the rows written as inserted (new external ids) or updated.
    async fn commit(self: Box<Self>) -> StoreResult<ImportCounts>;
}
