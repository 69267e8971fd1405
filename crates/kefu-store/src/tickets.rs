//! Tickets: row types and the `Tickets` trait. The SLA clock is replayed by the app from
//! [`Tickets::ticket_events`]; the store keeps only the two derived instants its indexes need.

use crate::StoreResult;
use async_trait::async_trait;
use kefu_core::Language;
use kefu_core::facts::{Contribution, Grain};
use kefu_core::rfm::ValueTier;
use kefu_core::search::{IndexTerms, QueryPart};
use kefu_core::ticket::{Channel, Classification, Kind, Priority, Remedy, Status};
use kefu_core::time::Millis;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub id: i64,
    pub kind: Kind,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub language: Language,
    pub subject: String,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    /// The end customer an intermediate customer filed this for.
    pub on_behalf_of_id: Option<i64>,
    pub department_id: i64,
    pub assignee_id: Option<i64>,
    pub created_by: Option<i64>,
    pub category_id: Option<i64>,
    /// The customer's purchase the ticket is about.
    pub purchase_id: Option<i64>,
    /// The name of the purchase's product (copied from it; read-only).
    pub product: String,
    pub touchpoint: String,
    pub classification: Classification,
    pub tags: Vec<String>,
    /// The customer's value tier when the ticket was filed (selects the SLA policy).
    pub customer_tier: ValueTier,
    pub sla_policy_id: Option<i64>,
    pub sla_next_check_at: Option<Millis>,
    pub sla_urgent_at: Option<Millis>,
    /// The earliest due instant of a running target ([`kefu_core::queue::due_at`]).
    pub sla_due_at: Option<Millis>,
    pub root_cause: Option<String>,
    pub remedy: Option<Remedy>,
    pub compensation_minor: Option<i64>,
    pub merged_into: Option<i64>,
    pub resolved_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// A reply the customer sees (or the customer's own message).
    Public,
    /// An internal note: never shown to the customer.
    Internal,
    /// A logged phone call.
    Call,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Public => "public",
            MessageKind::Internal => "internal",
            MessageKind::Call => "call",
        }
    }
    pub fn parse(s: &str) -> Option<MessageKind> {
        [MessageKind::Public, MessageKind::Internal, MessageKind::Call]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Agent,
    Customer,
    System,
}

impl AuthorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorKind::Agent => "agent",
            AuthorKind::Customer => "customer",
            AuthorKind::System => "system",
        }
    }
    pub fn parse(s: &str) -> Option<AuthorKind> {
        [AuthorKind::Agent, AuthorKind::Customer, AuthorKind::System]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TicketMessage {
    pub id: i64,
    pub ticket_id: i64,
    pub kind: MessageKind,
    pub author_kind: AuthorKind,
    pub author_user_id: Option<i64>,
    pub author_contact_id: Option<i64>,
    pub body: String,
    /// Sanitised HTML (from e-mail), shown instead of `body` where HTML is wanted.
    pub body_html: Option<String>,
    pub channel: Channel,
    /// `inbound` or `outbound`, for calls.
    pub call_direction: Option<String>,
    pub call_seconds: Option<i64>,
    /// The e-mail Message-ID, for threading.
    pub message_id: Option<String>,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: MessageKind,
    pub author_kind: AuthorKind,
    pub author_user_id: Option<i64>,
    pub author_contact_id: Option<i64>,
    pub body: String,
    pub body_html: Option<String>,
    pub channel: Channel,
    pub call_direction: Option<String>,
    pub call_seconds: Option<i64>,
    pub message_id: Option<String>,
}

/// One line of a ticket's append-only activity log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Activity {
    pub id: i64,
    pub ticket_id: i64,
    pub at: Millis,
    pub actor_id: Option<i64>,
    pub actor: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// Mail kefu sent, failed to send or skipped (no address): the ticket's notification log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub ticket_id: Option<i64>,
    /// What it tells: `ticket.created`, `ticket.reply`, `ticket.status`, `sla.breach`, `invitation`.
    pub event: String,
    pub recipient: String,
    pub language: Language,
    pub subject: String,
    /// Its Message-ID without `<>` (none when skipped).
    pub message_id: Option<String>,
    /// `sent`, `failed` (for good) or `skipped`.
    pub status: String,
    /// Why it failed or was skipped.
    pub detail: String,
    pub created_at: Millis,
}

/// A file on a ticket (its bytes are read separately).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: i64,
    /// The message it came with, if any.
    pub message_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// The Content-ID an e-mail's HTML refers to it by (`cid:`).
    pub content_id: Option<String>,
    pub inline: bool,
    /// Shown to the customer; otherwise internal, the staff's only (docs/roles.md).
    pub shared: bool,
    /// The bytes are in the database (else in the attachments directory).
    pub in_database: bool,
    pub uploaded_by: Option<i64>,
    pub created_at: Millis,
}

/// A checked file to store; `data_base64` `None` when the bytes went to the attachments directory.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub ticket_id: i64,
    pub message_id: Option<i64>,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub content_id: Option<String>,
    pub inline: bool,
    pub shared: bool,
    pub data_base64: Option<String>,
    pub uploaded_by: Option<i64>,
    pub now: Millis,
}

/// A node of the category tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name_en: String,
    pub name_zh: String,
    pub created_at: Millis,
}

/// One step of an incident's recovery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncidentStep {
    pub id: i64,
    pub ticket_id: i64,
    /// When the step was taken (may be before it was written down).
    pub at: Millis,
    pub body: String,
    pub author_user_id: Option<i64>,
    pub created_at: Millis,
}

/// A public service commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Commitment {
    pub id: i64,
    pub title_en: String,
    pub title_zh: String,
    pub metric: kefu_core::commitment::CommitmentMetric,
    /// Only tickets of this kind; all kinds when `None`.
    pub kind: Option<Kind>,
    pub within_minutes: i64,
    pub target_percent: i64,
    /// The SERVQUAL dimension the promise serves; `None`: the metric's default
    /// ([`kefu_core::commitment::CommitmentMetric::default_dimension`]).
    pub dimension: Option<String>,
    pub published: bool,
    pub position: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A canned reply in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Macro {
    pub id: i64,
    pub title_en: String,
    pub title_zh: String,
    pub body_en: String,
    pub body_zh: String,
    /// `{"status": "pending", "tags": ["..."]}`, applied with the reply.
    pub actions: serde_json::Value,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A saved queue view: a name and the queue's query string; `user_id` `None` is shared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedView {
    pub id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    pub query: String,
    pub created_at: Millis,
}

/// Who made a change, for the activity log.
#[derive(Debug, Clone, Default)]
pub struct ActivityActor {
    pub id: Option<i64>,
    pub label: String,
}

/// The SLA instants kept on a ticket for indexes: when the escalation sweep must next look at
/// it, when the queue treats it as urgent, and when its earliest running target falls due
/// (docs/statistics.md#queue-now).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlaMarks {
    pub next_check_at: Option<Millis>,
    pub urgent_at: Option<Millis>,
    pub due_at: Option<Millis>,
}

/// Open tickets (new, open, pending) of one status, kind and value tier, counted by their kept
/// marks at an instant: `(kind, tier, open, urgent_at <= now, due_at <= now, now < due_at <= soon)`.
pub type MarkRow = (String, String, i64, i64, i64, i64);

/// What one escalation sweep changes on a ticket: its next marks, and on a breach its priority
/// and assignee (each given with the value the sweep read, and applied only while it still holds).
#[derive(Debug, Clone, PartialEq)]
pub struct SweepChange {
    pub id: i64,
    pub old_priority: Priority,
    pub priority: Priority,
    pub old_assignee: Option<i64>,
    pub assignee: Option<i64>,
    pub next_check_at: Option<Millis>,
    pub urgent_at: Option<Millis>,
    pub due_at: Option<Millis>,
    /// The ticket's facts after the sweep's steps (a breach it logged settles a target).
    pub facts: Option<Contribution>,
}

/// A checked ticket to create, with its first message and search terms.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub kind: Kind,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub language: Language,
    pub subject: String,
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub on_behalf_of_id: Option<i64>,
    pub department_id: i64,
    pub assignee_id: Option<i64>,
    pub created_by: Option<i64>,
    pub category_id: Option<i64>,
    pub purchase_id: Option<i64>,
    pub product: String,
    pub touchpoint: String,
    pub classification: Classification,
    pub tags: Vec<String>,
    pub customer_tier: ValueTier,
    pub sla_policy_id: Option<i64>,
    pub sla_next_check_at: Option<Millis>,
    pub sla_urgent_at: Option<Millis>,
    /// The earliest due instant of a running target ([`kefu_core::queue::due_at`]).
    pub sla_due_at: Option<Millis>,
    pub follow_token_hash: Option<String>,
    pub first_message: NewMessage,
    /// What happened to the ticket after it was filed, when it is written after the fact (the
    /// demo, imports): in order, each at its instant, logged as the actor did it. `status` is the
    /// status after the last step; the first status step's `from` is the status it was filed in.
    pub history: Vec<(Millis, PastStep)>,
    pub terms: IndexTerms,
    /// What the ticket adds to the ticket facts (docs/statistics.md#ticket-facts); `None` leaves
    /// it to be folded in later.
    pub facts: Option<Contribution>,
    pub actor: ActivityActor,
    pub now: Millis,
}

/// Tickets with their SLA events, as [`Tickets::ticket_page`] reads them.
#[derive(Debug, Clone, Default)]
pub struct TicketPage {
    pub tickets: Vec<Ticket>,
    /// `(ticket_id, at, what)`, as [`Tickets::ticket_events`] gives them.
    pub events: Vec<(i64, Millis, String)>,
}

/// A step of a ticket's history written with it (see [`NewTicket::history`]).
#[derive(Debug, Clone)]
pub enum PastStep {
    Message(NewMessage),
    Status { from: Status, to: Status },
}

impl NewTicket {
    /// The status it was filed in.
    pub fn filed_status(&self) -> Status {
        self.history
            .iter()
            .find_map(|(_, s)| match s {
                PastStep::Status { from, .. } => Some(*from),
                PastStep::Message(_) => None,
            })
            .unwrap_or(self.status)
    }

    /// When its history last moved it to `to`.
    pub fn last_moved_to(&self, to: Status) -> Option<Millis> {
        self.history.iter().rev().find_map(|(at, s)| match s {
            PastStep::Status { to: t, .. } if *t == to => Some(*at),
            _ => None,
        })
    }

    /// Its last change: filing or the last step of its history.
    pub fn updated_at(&self) -> Millis {
        self.history.iter().map(|(at, _)| *at).fold(self.now, Millis::max)
    }
}

/// Changes to a ticket; each one that changes a value is logged `field: old -> new`.
/// `expect_status` makes the change conditional: another writer's status change in between is a
/// `Conflict`, so two agents cannot both resolve, or resolve and reopen, on stale pages.
#[derive(Debug, Clone, Default)]
pub struct TicketChange {
    pub expect_status: Option<Status>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<Option<i64>>,
    pub kind: Option<Kind>,
    pub category_id: Option<Option<i64>>,
    /// The purchase, with the product's name that goes with it.
    pub purchase: Option<(Option<i64>, String)>,
    pub classification: Option<Classification>,
    pub tags: Option<Vec<String>>,
    pub subject: Option<String>,
    /// Where the customer met the service (free text; empty clears it).
    pub touchpoint: Option<String>,
    pub root_cause: Option<Option<String>>,
    pub remedy: Option<Option<Remedy>>,
    pub compensation_minor: Option<Option<i64>>,
    pub sla_policy_id: Option<Option<i64>>,
    /// The derived SLA instants, recomputed by the app after the change (not logged).
    pub sla_marks: Option<SlaMarks>,
    /// New search terms when the subject or messages changed (not logged).
    pub terms: Option<IndexTerms>,
    /// The ticket's facts after the change (not logged): the difference from the kept ones is
    /// added to the fact rows in the change's transaction.
    pub facts: Option<Contribution>,
}

/// Which tickets a list shows, newest first (keyset on id).
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    /// Only ids below this (0: from the newest).
    pub before: i64,
    pub limit: u32,
    pub statuses: Vec<Status>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub kind: Option<Kind>,
    pub priority: Option<Priority>,
    /// An agent's scope: tickets of these departments, or created by or assigned to this user.
    pub agent_scope: Option<(i64, Vec<i64>)>,
    /// A customer's scope: tickets of this customer or of customers beneath it (filed by it, or
    /// for it, or on behalf of one beneath it).
    pub customer_within: Option<i64>,
    /// Tickets whose kept facts hold this figure on one of these days: `(figure, days)`, a day
    /// `YYYY-MM-DD` or a month's `YYYY-MM-__` (the drill-down from a dashboard or gap figure).
    pub fact_on: Option<(String, Vec<String>)>,
}

/// A business calendar as stored: its TOML (kefu-core::calendar reads it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredCalendar {
    pub id: i64,
    pub name: String,
    pub toml: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaPolicy {
    pub id: i64,
    pub name: String,
    pub scope: kefu_core::sla::PolicyScope,
    pub targets: kefu_core::sla::SlaTargets,
    /// The SERVQUAL dimension its first and next response targets serve (the gap page), default
    /// `responsiveness`.
    pub dimension: String,
    /// The dimension its resolution target serves, default `reliability`.
    pub resolution_dimension: String,
    pub calendar_id: i64,
    /// What happens on breach: `{"raise_priority_on_breach": bool, "reassign_to": user id}`.
    pub escalation: serde_json::Value,
    pub is_default: bool,
}

/// Ticket storage.
#[async_trait]
pub trait Tickets {
    /// Creates every ticket with its first message, its activity line and its search terms, in one
    /// transaction (the app batches concurrent creations into one call). Returns them in order.
    async fn create_tickets(&self, tickets: &[NewTicket]) -> StoreResult<Vec<Ticket>>;
    async fn get_ticket(&self, id: i64) -> StoreResult<Ticket>;
    /// The tickets with these ids (those that exist), by id.
    async fn tickets_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Ticket>>;
    /// The ticket a public follow link names (by the hash of its token).
    async fn ticket_by_follow_token(&self, token_hash: &str) -> StoreResult<Ticket>;
    /// Marks a ticket's requester unconfirmed, with the hash of the link that confirms it (none:
    /// only an agent can).
    async fn open_requester_confirmation(
        &self,
        ticket_id: i64,
        token_hash: Option<&str>,
        now: Millis,
    ) -> StoreResult<()>;
    /// Whether the ticket's requester is still unconfirmed.
    async fn requester_unconfirmed(&self, ticket_id: i64) -> StoreResult<bool>;
    /// Confirms the requester behind a link's token hash; the ticket, if it was waiting.
    async fn confirm_requester_by_token(&self, token_hash: &str, now: Millis) -> StoreResult<Option<i64>>;
    /// Confirms a ticket's requester (an agent, after a call); whether it was waiting.
    async fn confirm_requester(&self, ticket_id: i64, by: Option<i64>, now: Millis) -> StoreResult<bool>;
    async fn list_tickets(&self, filter: &TicketFilter) -> StoreResult<Vec<Ticket>>;
    async fn search_tickets(&self, query: &[QueryPart], filter: &TicketFilter) -> StoreResult<Vec<Ticket>>;
    /// A page of the queue ([`Tickets::list_tickets`], or [`Tickets::search_tickets`] with a
    /// query) with each ticket's SLA events ([`Tickets::ticket_events`]) read in the same
    /// statement: one row a ticket.
    async fn ticket_page(&self, query: Option<&[QueryPart]>, filter: &TicketFilter) -> StoreResult<TicketPage>;
    /// Applies a change (logging each changed field) and, with `message`, adds it, in one transaction.
    async fn change_ticket(
        &self,
        id: i64,
        change: TicketChange,
        message: Option<NewMessage>,
        actor: &ActivityActor,
        now: Millis,
    ) -> StoreResult<(Ticket, Option<TicketMessage>)>;
    /// An escalation sweep's changes in one transaction, a few statements for all of them: the
    /// marks always, a priority or assignee only where the ticket still has the value the sweep
    /// read (an agent's change in between wins), each such change in the activity log.
    async fn apply_sweep(&self, changes: &[SweepChange], actor: &ActivityActor, now: Millis) -> StoreResult<()>;
    async fn ticket_messages(&self, id: i64) -> StoreResult<Vec<TicketMessage>>;
    /// The ticket whose message, or notification sent about it, carries this e-mail Message-ID.
    async fn ticket_by_message_id(&self, message_id: &str) -> StoreResult<Ticket>;
    /// Records a finished notification (its `id` is ignored); returns the new id.
    async fn record_notification(&self, n: &Notification) -> StoreResult<i64>;
    /// A ticket's notifications, oldest first.
    async fn notifications_of(&self, ticket_id: i64) -> StoreResult<Vec<Notification>>;
    /// Stores files of one ticket in one transaction (all or none).
    async fn add_attachments(&self, files: &[NewAttachment]) -> StoreResult<Vec<Attachment>>;
    async fn attachment(&self, id: i64) -> StoreResult<Attachment>;
    /// The base64 bytes of an attachment kept in the database (`None` when in the directory).
    async fn attachment_data(&self, id: i64) -> StoreResult<Option<String>>;
    /// A ticket's attachments, oldest first.
    async fn attachments_of(&self, ticket_id: i64) -> StoreResult<Vec<Attachment>>;
    /// The whole category tree (it is small), by id.
    async fn categories(&self) -> StoreResult<Vec<Category>>;
    async fn create_category(
        &self,
        parent_id: Option<i64>,
        name_en: &str,
        name_zh: &str,
        now: Millis,
    ) -> StoreResult<Category>;
    async fn add_incident_step(
        &self,
        ticket_id: i64,
        at: Millis,
        body: &str,
        author: Option<i64>,
        now: Millis,
    ) -> StoreResult<IncidentStep>;
    /// The recovery log in the order the steps were taken.
    async fn incident_steps(&self, ticket_id: i64) -> StoreResult<Vec<IncidentStep>>;
    async fn add_incident_share(&self, ticket_id: i64, token_hash: &str, now: Millis) -> StoreResult<()>;
    /// The incident a live share link names.
    async fn incident_by_share(&self, token_hash: &str) -> StoreResult<i64>;
    /// Revokes every share link of an incident; the number revoked.
    async fn revoke_incident_shares(&self, ticket_id: i64, now: Millis) -> StoreResult<u64>;
    /// Every commitment, in page order.
    async fn commitments(&self) -> StoreResult<Vec<Commitment>>;
    /// Creates (`c.id == 0`) or replaces a commitment; `NotFound` for an unknown id.
    async fn save_commitment(&self, c: &Commitment) -> StoreResult<Commitment>;
    async fn delete_commitment(&self, id: i64) -> StoreResult<()>;
    /// Replaces the search terms of these tickets, in one transaction (a rebuild after a restore).
    async fn index_tickets(&self, terms: &[(i64, IndexTerms)]) -> StoreResult<()>;
    async fn macros(&self) -> StoreResult<Vec<Macro>>;
    /// Creates (`m.id == 0`) or replaces a macro; `NotFound` for an unknown id.
    async fn save_macro(&self, m: &Macro) -> StoreResult<Macro>;
    async fn delete_macro(&self, id: i64) -> StoreResult<()>;
    /// A user's own views and the shared ones, by name.
    async fn saved_views(&self, user_id: i64) -> StoreResult<Vec<SavedView>>;
    async fn create_saved_view(&self, v: &SavedView) -> StoreResult<SavedView>;
    /// Deletes a view of `user_id` (or a shared one when `user_id` is `None`).
    async fn delete_saved_view(&self, id: i64, user_id: Option<i64>) -> StoreResult<()>;
    /// For tickets filed since `since` (of `kind`, if given): when each was filed, when the
    /// metric's event first happened (the first agent reply or call; the first move to resolved),
    /// and its SLA policy.
    async fn commitment_facts(
        &self,
        since: Millis,
        kind: Option<Kind>,
        metric: kefu_core::commitment::CommitmentMetric,
    ) -> StoreResult<Vec<(Millis, Option<Millis>, Option<i64>)>>;
    async fn ticket_activity(&self, id: i64) -> StoreResult<Vec<Activity>>;
    /// The messages and status changes the SLA clock replays, for each of these tickets, in order:
    /// `(ticket_id, at, what)` with `what` = `customer`, `agent` or `status:<code>`.
    async fn ticket_events(&self, ids: &[i64]) -> StoreResult<Vec<(i64, Millis, String)>>;

    async fn calendars(&self) -> StoreResult<Vec<StoredCalendar>>;
    async fn sla_policies(&self) -> StoreResult<Vec<SlaPolicy>>;
    /// Creates a calendar, or replaces the TOML of the one with this name.
    async fn save_calendar(&self, name: &str, toml: &str, now: Millis) -> StoreResult<StoredCalendar>;
    /// Creates a policy (`id` 0) or changes one; a name in use is `Conflict`, a missing id `NotFound`.
    async fn save_sla_policy(&self, policy: &SlaPolicy, now: Millis) -> StoreResult<SlaPolicy>;
    /// Deletes a policy no ticket is measured by; the default one stays (`Refused`).
    async fn delete_sla_policy(&self, id: i64) -> StoreResult<()>;
    /// Ids of open tickets whose SLA must be looked at by `now`, oldest mark first.
    async fn tickets_due_for_check(&self, now: Millis, limit: u32) -> StoreResult<Vec<i64>>;
    async fn escalations_of(&self, ticket_id: i64) -> StoreResult<Vec<String>>;
    /// Logs escalation steps `(ticket, key)` in one transaction; for each, whether it was new (a
    /// step logged already, by another node or an earlier try, is `false`).
    async fn log_escalations(&self, steps: &[(i64, String)], now: Millis) -> StoreResult<Vec<bool>>;
    /// The escalation steps logged on these tickets: `(ticket, key)`, by ticket, oldest first.
    async fn escalations_of_tickets(&self, ids: &[i64]) -> StoreResult<Vec<(i64, String)>>;
    /// Enabled agents of a department with their open (not resolved or closed) ticket counts.
    async fn department_agent_loads(&self, department_id: i64) -> StoreResult<Vec<(i64, u32)>>;
    /// The routing rules (JSON, kefu-core::routing) in order, active ones only.
    async fn routing_rules(&self) -> StoreResult<Vec<(i64, String)>>;
    /// Each assignee change of these tickets, `(ticket, at, old assignee, new assignee)`, in order.
    async fn assignee_changes(&self, ids: &[i64]) -> StoreResult<Vec<(i64, Millis, Option<i64>, Option<i64>)>>;
    /// What the facts segment these tickets by beyond the row: `(ticket, customer's region,
    /// purchase's product category)`.
    async fn ticket_segment_values(&self, ids: &[i64]) -> StoreResult<Vec<(i64, String, String)>>;
    /// Replaces the kept facts of these tickets, adding the differences to the fact rows, in one
    /// transaction.
    /// The ticket facts' epoch: a number that changes whenever a write changes a day of the
    /// fact rows before yesterday (UTC), or the rows are reset; sums of the days before
    /// [`kefu_core::facts::SETTLED_LAG_DAYS`] may be kept while it stays the same.
    async fn ticket_facts_epoch(&self) -> StoreResult<i64>;
    async fn fold_ticket_facts(&self, facts: &[(i64, Contribution)]) -> StoreResult<()>;
    /// Up to `limit` tickets above `after` whose facts are not folded in, by id.
    async fn unfolded_tickets(&self, after: i64, limit: u32) -> StoreResult<Vec<i64>>;
    /// Empties the fact rows and marks every ticket unfolded (`kefu stats rebuild`); returns the
    /// tickets marked.
    async fn reset_ticket_facts(&self) -> StoreResult<u64>;
    /// The fact rows of one segment summed over `ranges` (`grain`, first period, last period,
    /// both included): `(kind, figure, sum)`.
    async fn ticket_fact_sums(
        &self,
        segment: &str,
        ranges: &[(Grain, String, String)],
    ) -> StoreResult<Vec<(String, String, i64)>>;
    async fn replace_routing_rules(&self, rules: &[String], now: Millis) -> StoreResult<()>;
    /// The daily fact rows of one segment from day `from` to day `to` (`YYYY-MM-DD`, both
    /// included), unsummed: `(day, kind, figure, value)`.
    async fn ticket_fact_days(
        &self,
        segment: &str,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<(String, String, String, i64)>>;
    /// The open tickets of one segment (`all` or `field:value`, the facts' fields; `agent:` is
    /// the assignee now) counted by their kept marks at `now`, by status, kind and value tier (a
    /// kind and tier comes once per open status it has).
    async fn queue_marks(&self, segment: &str, now: Millis, soon: Millis) -> StoreResult<Vec<MarkRow>>;
}
