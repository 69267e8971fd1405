//! Row types: what the store reads and writes. Instants are UTC milliseconds (`Millis`).

use kefu_core::time::Millis;
use kefu_core::{Language, Role};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaStatus {
    pub applied: Vec<i64>,
    pub pending: Vec<i64>,
    /// Applied in the database but unknown to this build: the database is newer.
    pub unknown: Vec<i64>,
}

impl SchemaStatus {
    pub fn is_current(&self) -> bool {
        self.pending.is_empty() && self.unknown.is_empty()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Department {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// The language the user chose; `None` follows the browser.
    pub language: Option<Language>,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub failed_logins: u32,
    pub locked_until: Option<Millis>,
    pub last_login_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: Role,
    pub language: Option<Language>,
    pub password_hash: Option<String>,
    /// Departments to join; empty means the default department for roles that belong to one.
    pub departments: Vec<i64>,
    pub now: Millis,
}

/// Fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub language: Option<Option<Language>>,
    pub password_hash: Option<String>,
    pub disabled: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct UserFilter {
    pub after: i64,
    pub limit: u32,
    pub role: Option<Role>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_secret: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Millis,
    pub expires_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_secret: String,
    pub created_at: Millis,
    pub last_seen_at: Millis,
    pub expires_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub created_at: Millis,
    pub last_used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct NewAudit {
    pub at: Millis,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Millis,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Done,
    Dead,
}

impl JobStatus {
    pub const ALL: [JobStatus; 4] = [JobStatus::Queued, JobStatus::Running, JobStatus::Done, JobStatus::Dead];
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }
    pub fn parse(s: &str) -> Option<JobStatus> {
        JobStatus::ALL.into_iter().find(|j| j.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: Millis,
    pub max_attempts: u32,
    pub unique_key: Option<String>,
    pub now: Millis,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub status: JobStatus,
    pub attempts: u32,
    pub max_attempts: u32,
    pub run_at: Millis,
    pub locked_by: Option<String>,
    pub lease_until: Option<Millis>,
    pub last_error: Option<String>,
    pub unique_key: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub secret: String,
    pub events: Vec<String>,
    pub description: String,
    pub now: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    #[serde(skip)]
    pub secret: String,
    pub events: Vec<String>,
    pub description: String,
    pub active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

impl Webhook {
    /// Whether this endpoint subscribed to `event` (or to every event, `*`).
    pub fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event || e == "*")
    }
}

#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub webhook_id: i64,
    pub job_id: Option<i64>,
    pub event: String,
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub job_id: Option<i64>,
    pub event: String,
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: Millis,
}

/// A logical backup: every row of every table, as JSON values, with the schema it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Dump {
    pub format: String,
    pub kefu_version: String,
    pub backend: String,
    /// The newest migration applied when the dump was taken.
    pub schema_version: i64,
    pub created_at: Millis,
    pub tables: Vec<DumpTable>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DumpTable {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

/// Tables in dependency order (parents first): the order a restore inserts and the reverse of the
/// order it deletes. Every migration that adds a table adds it here.
pub const TABLES: &[&str] = &[
    "departments",
    "users",
    "user_departments",
    "sessions",
    "api_tokens",
    "audit_log",
    "rate_limits",
    "login_failures",
    "jobs",
    "webhooks",
    "webhook_deliveries",
    "settings",
    "customers",
    "customer_paths",
    "contacts",
    "purchases",
    "portal_accounts",
    "invitations",
    "calendars",
    "sla_policies",
    "categories",
    "tickets",
    "ticket_messages",
    "ticket_activity",
    "ticket_escalations",
    "ticket_facts",
    "stats_epochs",
    "routing_rules",
    "notifications",
    "attachments",
    "requester_confirmations",
    "incident_steps",
    "incident_shares",
    "commitments",
    "macros",
    "saved_views",
    "survey_dimensions",
    "survey_bank_items",
    "surveys",
    "survey_items",
    "survey_campaigns",
    "survey_links",
    "survey_responses",
    "survey_stats",
    "gap_diagnoses",
];

/// A customer: a person or organisation, end customer, intermediate (channel) or internal department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub id: i64,
    pub external_id: Option<String>,
    pub name: String,
    pub kind: kefu_core::customer::CustomerKind,
    pub subkind: Option<kefu_core::customer::Subkind>,
    pub is_organisation: bool,
    /// The intermediate customer this one buys through (channel tree).
    pub parent_id: Option<i64>,
    pub region: String,
    pub tags: Vec<String>,
    pub account_manager_id: Option<i64>,
    pub notes: String,
    pub value_tier: kefu_core::rfm::ValueTier,
    pub deleted_at: Option<Millis>,
    /// Set when this record was merged into another (and soft-deleted): the one that kept its data.
    pub merged_into: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewCustomer {
    pub external_id: Option<String>,
    pub name: String,
    pub kind: kefu_core::customer::CustomerKind,
    pub subkind: Option<kefu_core::customer::Subkind>,
    pub is_organisation: bool,
    pub parent_id: Option<i64>,
    pub region: String,
    pub tags: Vec<String>,
    pub account_manager_id: Option<i64>,
    pub notes: String,
    pub now: Millis,
}

/// Fields to change; `None` leaves a field as it is. A new parent (`Some(None)`: the top of the tree)
/// moves the customer and its subtree in the same transaction as the other changes.
#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub parent_id: Option<Option<i64>>,
    pub name: Option<String>,
    pub kind: Option<kefu_core::customer::CustomerKind>,
    pub subkind: Option<Option<kefu_core::customer::Subkind>>,
    pub is_organisation: Option<bool>,
    pub region: Option<String>,
    pub tags: Option<Vec<String>>,
    pub account_manager_id: Option<Option<i64>>,
    pub notes: Option<String>,
    pub external_id: Option<Option<String>>,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerFilter {
    pub after: i64,
    pub limit: u32,
    pub kind: Option<kefu_core::customer::CustomerKind>,
    pub tier: Option<kefu_core::rfm::ValueTier>,
    pub include_deleted: bool,
    /// Only deleted customers (the managers' "deleted" list, from which they restore).
    pub deleted_only: bool,
    /// Only this customer and those beneath it (a customer's portal scope).
    pub within: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub phone: String,
    pub phone_norm: String,
    pub email: String,
    pub role: String,
    pub language: Option<Language>,
    pub preferred_channel: String,
    pub social_style: Option<kefu_core::customer::SocialStyle>,
    pub is_primary: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewContact {
    pub customer_id: i64,
    pub name: String,
    pub phone: String,
    pub phone_norm: String,
    pub email: String,
    pub role: String,
    pub language: Option<Language>,
    pub preferred_channel: String,
    pub social_style: Option<kefu_core::customer::SocialStyle>,
    pub is_primary: bool,
    pub now: Millis,
}

/// Contact fields to change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ContactPatch {
    pub name: Option<String>,
    /// As given and normalised.
    pub phone: Option<(String, String)>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub language: Option<Option<Language>>,
    pub preferred_channel: Option<String>,
    pub social_style: Option<Option<kefu_core::customer::SocialStyle>>,
    /// `Some(true)` makes this the primary contact (and no other).
    pub is_primary: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Purchase {
    pub id: i64,
    pub external_id: String,
    pub customer_id: i64,
    /// YYYY-MM-DD
    pub purchased_on: String,
    /// In the currency's minor unit (fen, cents).
    pub amount_minor: i64,
    pub currency: String,
    pub sku: String,
    pub product_name: String,
    pub category: String,
    pub serial: String,
    pub seller_id: Option<i64>,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewPurchase {
    pub external_id: String,
    pub customer_id: i64,
    pub purchased_on: String,
    pub amount_minor: i64,
    pub currency: String,
    pub sku: String,
    pub product_name: String,
    pub category: String,
    pub serial: String,
    pub seller_id: Option<i64>,
    pub now: Millis,
}

/// A customer's purchases summed up, for value tiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RfmRow {
    pub customer_id: i64,
    pub last_purchased_on: String,
    pub purchases: i64,
    pub amount_minor: i64,
}

/// A customer row of an import, checked by the app; its parent named by external id.
#[derive(Debug, Clone)]
pub struct ImportCustomer {
    pub external_id: String,
    pub name: String,
    pub kind: kefu_core::customer::CustomerKind,
    pub subkind: Option<kefu_core::customer::Subkind>,
    pub is_organisation: bool,
    pub parent_external_id: Option<String>,
    pub region: String,
    pub tags: Vec<String>,
    pub account_manager_id: Option<i64>,
    pub notes: String,
    /// The primary contact's phone (as given, normalised), e-mail and social style, if any given.
    pub phone: Option<(String, String)>,
    pub email: Option<String>,
    pub social_style: Option<kefu_core::customer::SocialStyle>,
}

/// A purchase row of an import, checked by the app, its customer and seller resolved to ids.
/// Text is shared (`Arc<str>`): an importer hands the same date, SKU or currency to many rows
/// without copying it, and the SQLite backend binds it without copying either.
#[derive(Debug, Clone)]
pub struct ImportPurchase {
    pub external_id: Arc<str>,
    pub customer_id: i64,
    pub purchased_on: Arc<str>,
    pub amount_minor: i64,
    pub currency: Arc<str>,
    pub sku: Arc<str>,
    pub product_name: Arc<str>,
    pub category: Arc<str>,
    pub serial: Arc<str>,
    pub seller_id: Option<i64>,
}

/// What an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    pub inserted: u64,
    pub updated: u64,
}

impl ImportCounts {
    /// `written` rows upserted by external id into a table that held `before` rows and now `after`.
    pub fn from_totals(before: i64, after: i64, written: u64) -> ImportCounts {
        let inserted = u64::try_from(after - before).unwrap_or(0).min(written);
        ImportCounts {
            inserted,
            updated: written - inserted,
        }
    }
}

/// Two customers that share a contact's normalised phone or e-mail: probably one customer twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicatePair {
    /// The older record (lower id) and the newer one.
    pub first_id: i64,
    pub second_id: i64,
    /// `phone` or `email`.
    pub reason: String,
    pub value: String,
}

/// A node of the channel tree as a manager browses it: the customer and how many are beneath it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    pub customer: Customer,
    /// Customers (not deleted) at any depth beneath this one.
    pub beneath: i64,
}

/// A portal account: a customer-role user speaking for one contact of a customer record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortalAccount {
    pub user: User,
    pub contact_id: i64,
    pub customer_id: i64,
    /// Neither the contact nor its customer record is deleted: the account works. Deleting either
    /// cuts the account off, restoring it restores the account (docs/roles.md#scope).
    pub live: bool,
}

/// A customer with what the CSV import's columns name by reference, for an export: the parent's
/// external id, the primary contact's phone, e-mail and social style, the account manager's e-mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCustomer {
    pub customer: Customer,
    pub parent_external_id: Option<String>,
    pub phone: String,
    pub email: String,
    pub social_style: Option<kefu_core::customer::SocialStyle>,
    pub account_manager_email: Option<String>,
}

/// A purchase with its customer's and seller's external ids, for an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportPurchase {
    pub purchase: Purchase,
    pub customer_external_id: Option<String>,
    pub seller_external_id: Option<String>,
}
