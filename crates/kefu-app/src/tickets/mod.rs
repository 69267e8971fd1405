//! Tickets (docs/tickets.md): filing a ticket from any channel (routing, SLA policy, reference),
//! replies, notes and calls, status changes through the workflow, reading a ticket with its SLA
//! replayed from history, and search.
//!
//! Creation is the hot write path: concurrent creations are gathered by one writer task and
//! written in one transaction per batch ([`TicketWriter`]), so a burst costs one commit, not one
//! each, while every caller still gets its own ticket (or its own error) back.

use crate::notify::{Notice, status_is_news};
use crate::portal::CustomerScope;
use crate::{Actor, App, AppError, AppResult};
use kefu_core::calendar::BusinessCalendar;
use kefu_core::queue::{Quadrant, QueueRules};
use kefu_core::sla::{SlaStatus, sla_status};
use kefu_core::text::check_text;
use kefu_core::ticket::{Channel, Classification, EventKind, Reference, Status, TicketEvent, Workflow};
use kefu_core::{Invalid, Role};
use kefu_store::{
    ActivityActor, AuthorKind, MessageKind, NewMessage, NewTicket, SlaPolicy, Ticket, TicketChange, TicketFilter,
    TicketMessage,
};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

mod filing;
mod index;
mod setup;

pub(crate) use index::ticket_terms;
pub use setup::SlaSetup;
pub(crate) use setup::{Desk, Kept, fresh, fresh_within};

/// Most tickets written in one transaction.
const BATCH: usize = 64;

type Pending = (NewTicket, oneshot::Sender<AppResult<Ticket>>);

/// The one task that writes new tickets, in batches.
#[derive(Clone)]
pub struct TicketWriter {
    tx: mpsc::Sender<Pending>,
}

impl TicketWriter {
    fn start(store: Arc<dyn kefu_store::Store>) -> TicketWriter {
        let (tx, mut rx) = mpsc::channel::<Pending>(4 * BATCH);
        tokio::spawn(async move {
            let mut batch: Vec<Pending> = Vec::with_capacity(BATCH);
            while rx.recv_many(&mut batch, BATCH).await > 0 {
                let rows: Vec<NewTicket> = batch.iter().map(|(t, _)| t.clone()).collect();
                match store.create_tickets(&rows).await {
                    Ok(created) => {
                        for ((_, reply), t) in batch.drain(..).zip(created) {
                            let _ = reply.send(Ok(t));
                        }
                    }
                    // One bad row fails the batch: write the rest one by one so each caller gets
                    // its own answer.
                    Err(_) => {
                        for (t, reply) in batch.drain(..) {
                            let one = store
                                .create_tickets(std::slice::from_ref(&t))
                                .await
                                .map(|mut v| v.remove(0))
                                .map_err(AppError::from);
                            let _ = reply.send(one);
                        }
                    }
                }
            }
        });
        TicketWriter { tx }
    }

    async fn write(&self, t: NewTicket) -> AppResult<Ticket> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((t, reply))
            .await
            .map_err(|_| AppError::Refused("the ticket writer stopped".into()))?;
        answer
            .await
            .map_err(|_| AppError::Refused("the ticket writer stopped".into()))?
    }
}

/// A ticket to file, as a form, the portal, e-mail or the API gives it.
#[derive(Debug, Clone, Default)]
pub struct TicketInput {
    pub customer_id: i64,
    pub contact_id: Option<i64>,
    pub on_behalf_of_id: Option<i64>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    /// The sanitised HTML of the first message, when it came as HTML mail.
    pub body_html: Option<String>,
    pub channel: Option<String>,
    pub priority: Option<String>,
    pub language: Option<String>,
    pub category_id: Option<i64>,
    /// The customer's purchase the ticket is about (its product's name and category follow).
    pub purchase_id: Option<i64>,
    pub touchpoint: String,
    pub tags: Vec<String>,
    pub classification: Classification,
    /// The e-mail Message-ID of the first message.
    pub message_id: Option<String>,
    /// The public follow link's token (public form): stored hashed, mailed once in the confirmation.
    pub follow_token: Option<String>,
    /// The public form matched a known contact: the usual confirmation (with the filer's text and
    /// the follow link) is not mailed to that contact; the form asks them to confirm instead.
    pub requester_unconfirmed: bool,
}

/// A ticket's page, read with one access check ([`App::ticket_record`]).
#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub view: TicketView,
    pub messages: Vec<TicketMessage>,
    pub history: crate::ticket_history::TicketHistory,
    pub attachments: Vec<kefu_store::Attachment>,
    pub customer: kefu_store::Customer,
    pub requester_unconfirmed: bool,
    /// The names of the staff who wrote the messages, by user id.
    pub author_names: HashMap<i64, String>,
    /// Desk staff only (empty, `None` for others): the customer's newest purchases (at most
    /// [`RECORD_PURCHASES`]) and its archive in brief with its newest [`RECORD_RECENT`] tickets.
    pub purchases: Vec<kefu_store::Purchase>,
    pub brief: Option<crate::customers::CustomerBrief>,
}

/// The purchases a ticket's page offers to link.
pub const RECORD_PURCHASES: u32 = 100;
/// The customer's tickets a ticket's page lists beside it (the ticket itself may be one).
pub const RECORD_RECENT: u32 = 6;

/// The SLA events of one ticket from its messages and activity, as
/// [`kefu_store::Tickets::ticket_events`] gives them: `(ticket, at, what)` in the clock's order.
fn events_from(
    ticket_id: i64,
    messages: &[TicketMessage],
    activity: &[kefu_store::Activity],
) -> Vec<(i64, i64, String)> {
    let mut rows: Vec<(i64, u8, i64, String)> = messages
        .iter()
        .filter(|m| m.kind != MessageKind::Internal && m.author_kind != AuthorKind::System)
        .map(|m| {
            let what = if m.author_kind == AuthorKind::Customer {
                "customer"
            } else {
                "agent"
            };
            (m.created_at, 0, m.id, what.to_owned())
        })
        .collect();
    rows.extend(
        activity
            .iter()
            .filter(|a| a.field == "status")
            .filter_map(|a| Some((a.at, 1, a.id, format!("status:{}", a.new_value.as_deref()?)))),
    );
    rows.sort_unstable_by_key(|r| (r.0, r.1, r.2));
    rows.into_iter().map(|(at, _, _, what)| (ticket_id, at, what)).collect()
}

/// A ticket as it is read: the row, its reference, its SLA now, and its queue quadrant.
#[derive(Debug, Clone)]
pub struct TicketView {
    pub ticket: Ticket,
    pub reference: Reference,
    pub sla: SlaStatus,
    pub quadrant: Quadrant,
    /// Resolved at the first contact (`None` until resolved).
    pub first_contact_resolution: Option<bool>,
    pub reopen_count: u32,
}

/// What the caller adds to a ticket.
#[derive(Debug, Clone)]
pub enum Addition {
    Reply { body: String },
    Note { body: String },
    Call { body: String, inbound: bool, seconds: i64 },
}

const MAX_BODY_CHARS: usize = 100_000;

fn actor_of(actor: &Actor) -> ActivityActor {
    ActivityActor {
        id: actor.user_id(),
        label: actor.label(),
    }
}

pub(crate) fn events_of(rows: &[(i64, i64, String)], id: i64) -> Vec<TicketEvent> {
    rows.iter()
        .filter(|(t, _, _)| *t == id)
        .filter_map(|(_, at, what)| {
            let at = jiff::Timestamp::from_millisecond(*at).ok()?;
            let kind = match what.as_str() {
                "customer" => EventKind::CustomerMessage,
                "agent" => EventKind::AgentReply,
                s => EventKind::StatusChanged(Status::parse(s.strip_prefix("status:")?).ok()?),
            };
            Some(TicketEvent::new(at, kind))
        })
        .collect()
}

impl App {
    /// The SLA policies and calendars (cached; [`App::forget_sla_setup`] after an edit).
    pub async fn sla_setup(&self) -> AppResult<Arc<SlaSetup>> {
        if let Some(s) = fresh(&self.sla_cache).await {
            return Ok(s);
        }
        let policies = self.store.sla_policies().await?;
        let mut calendars = HashMap::new();
        let mut calendar_names = HashMap::new();
        for c in self.store.calendars().await? {
            calendars.insert(c.id, Arc::new(BusinessCalendar::from_toml(&c.toml)?));
            calendar_names.insert(c.id, c.name);
        }
        let setup = Arc::new(SlaSetup {
            policies,
            calendars,
            calendar_names,
        });
        *self.sla_cache.write().await = Some((std::time::Instant::now(), setup.clone()));
        Ok(setup)
    }

    pub async fn forget_sla_setup(&self) {
        *self.sla_cache.write().await = None;
    }

    /// The routing rules, default department and time zone (kept for [`setup::DESK_TTL`]).
    pub(crate) async fn desk(&self) -> AppResult<Arc<Desk>> {
        if let Some(d) = fresh(&self.desk_cache).await {
            return Ok(d);
        }
        let desk = Arc::new(Desk {
            rules: self
                .store
                .routing_rules()
                .await?
                .into_iter()
                .filter_map(|(_, json)| serde_json::from_str(&json).ok())
                .collect(),
            default_department: self.store.default_department().await?.id,
            time_zone: self.read_time_zone().await,
        });
        *self.desk_cache.write().await = Some((std::time::Instant::now(), desk.clone()));
        Ok(desk)
    }

    /// Clears the kept desk after an edit of routing rules, departments or the organisation.
    pub async fn forget_desk(&self) {
        *self.desk_cache.write().await = None;
    }

    fn ticket_writer(&self) -> TicketWriter {
        self.ticket_writer
            .get_or_init(|| TicketWriter::start(self.store.clone()))
            .clone()
    }

    /// The ticket's SLA and quadrant now, from its history.
    pub async fn view_tickets(&self, tickets: Vec<Ticket>) -> AppResult<Vec<TicketView>> {
        let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
        let rows = self.store.ticket_events(&ids).await?;
        self.view_tickets_with(tickets, &rows).await
    }

    /// [`App::view_tickets`] with their events already read (`ticket_events` rows).
    async fn view_tickets_with(&self, tickets: Vec<Ticket>, rows: &[(i64, i64, String)]) -> AppResult<Vec<TicketView>> {
        let setup = self.sla_setup().await?;
        let tz = self.desk().await?.time_zone.clone();
        let now = self.now_ts();
        let rules = QueueRules::default();
        let mut out = Vec::with_capacity(tickets.len());
        for t in tickets {
            let policy = setup.policy(t.sla_policy_id)?;
            let created =
                jiff::Timestamp::from_millisecond(t.created_at).map_err(|e| AppError::Refused(e.to_string()))?;
            let events = events_of(rows, t.id);
            let sla = sla_status(
                &policy.name,
                &policy.targets,
                setup.calendar(policy)?,
                created,
                &events,
                now,
            )?;
            out.push(TicketView {
                first_contact_resolution: kefu_core::ticket::first_contact_resolution(&events),
                reopen_count: kefu_core::ticket::reopen_count(&events),
                reference: Reference::for_ticket(t.id, created, &tz),
                quadrant: rules.quadrant(t.kind, t.customer_tier, &sla),
                sla,
                ticket: t,
            });
        }
        Ok(out)
    }

    /// The derived instants the sweep and the queue index: next escalation check, urgent from.
    fn sla_marks(&self, setup: &SlaSetup, policy: &SlaPolicy, sla: &SlaStatus) -> AppResult<kefu_store::SlaMarks> {
        sla_marks(sla, setup.calendar(policy)?)
    }

    /// Who may read this ticket: staff by role and department, a customer by its scope.
    pub async fn visible_ticket(&self, actor: &Actor, id: i64) -> AppResult<Ticket> {
        let t = self.store.get_ticket(id).await?;
        let ok = match actor.role() {
            Role::Admin | Role::Manager => true,
            Role::Agent => {
                let uid = actor.user_id();
                t.assignee_id == uid
                    || t.created_by == uid
                    || match uid {
                        Some(u) => self
                            .store
                            .user_departments(u)
                            .await?
                            .iter()
                            .any(|d| d.id == t.department_id),
                        None => false,
                    }
            }
            Role::Technician => false,
            // An unconfirmed requester's ticket is not the customer's yet (docs/roles.md).
            Role::Customer if self.store.requester_unconfirmed(t.id).await? => false,
            Role::Customer => match self.customer_scope(actor).await? {
                CustomerScope::Within(root) => {
                    self.store.is_within(root, t.customer_id).await?
                        || match t.on_behalf_of_id {
                            Some(b) => self.store.is_within(root, b).await?,
                            None => false,
                        }
                }
                _ => false,
            },
        };
        if !ok {
            return Err(AppError::NotFound);
        }
        Ok(t)
    }

    /// What a ticket's page shows besides the customer's archive, read after one access check:
    /// the ticket with its SLA, the thread, the history, the files, the customer it is filed
    /// under (deleted or merged ones included) and whether its requester is unconfirmed.
    pub async fn ticket_record(&self, actor: &Actor, id: i64) -> AppResult<TicketRecord> {
        let t = self.visible_ticket(actor, id).await?;
        // The ticket is the customer's: a desk actor who may read it may read its customer's brief.
        let desk = actor.require(kefu_core::roles::DESK).is_ok();
        let customer_id = t.customer_id;
        let (mut messages, history, attachments, customer, requester_unconfirmed, purchases, brief) = tokio::try_join!(
            async { Ok(self.store.ticket_messages(id).await?) },
            self.history_of(actor, id),
            self.attachments_for(actor, &t),
            async { Ok(self.store.get_customer(customer_id).await?) },
            async { Ok(self.store.requester_unconfirmed(id).await?) },
            async {
                Ok(match desk {
                    true => self.store.list_purchases(customer_id, RECORD_PURCHASES).await?,
                    false => vec![],
                })
            },
            async {
                match desk {
                    true => self.brief_of(actor, customer_id, RECORD_RECENT).await.map(Some),
                    false => Ok(None),
                }
            },
        )?;
        // The clock replays what was read, not a second read of it.
        let events = events_from(id, &messages, &history.activity);
        if !actor.role().works_the_desk() {
            messages.retain(|m| m.kind != MessageKind::Internal);
        }
        let authors: Vec<i64> = messages.iter().filter_map(|m| m.author_user_id).collect();
        let author_names = self.author_names(&authors).await?;
        let view = self.view_tickets_with(vec![t], &events).await?.remove(0);
        Ok(TicketRecord {
            view,
            messages,
            history,
            attachments,
            customer,
            requester_unconfirmed,
            author_names,
            purchases,
            brief,
        })
    }

    pub async fn get_ticket(&self, actor: &Actor, id: i64) -> AppResult<TicketView> {
        let t = self.visible_ticket(actor, id).await?;
        Ok(self.view_tickets(vec![t]).await?.remove(0))
    }

    /// The conversation; a customer never sees internal notes.
    pub async fn ticket_messages(&self, actor: &Actor, id: i64) -> AppResult<Vec<TicketMessage>> {
        self.visible_ticket(actor, id).await?;
        self.messages_of(actor, id).await
    }

    /// [`Self::ticket_messages`] of a ticket already checked to be visible to the actor.
    pub(crate) async fn messages_of(&self, actor: &Actor, id: i64) -> AppResult<Vec<TicketMessage>> {
        let mut m = self.store.ticket_messages(id).await?;
        if !actor.role().works_the_desk() {
            m.retain(|m| m.kind != MessageKind::Internal);
        }
        Ok(m)
    }

    /// The filter an actor's scope puts on every ticket list.
    async fn scoped(&self, actor: &Actor, mut f: TicketFilter) -> AppResult<Option<TicketFilter>> {
        match actor.role() {
            Role::Admin | Role::Manager => {}
            Role::Agent => {
                let uid = actor.user_id().unwrap_or_default();
                let deps = self
                    .store
                    .user_departments(uid)
                    .await?
                    .into_iter()
                    .map(|d| d.id)
                    .collect();
                f.agent_scope = Some((uid, deps));
            }
            Role::Technician => return Ok(None),
            Role::Customer => match self.customer_scope(actor).await? {
                CustomerScope::Within(root) => f.customer_within = Some(root),
                _ => return Ok(None),
            },
        }
        Ok(Some(f))
    }

    pub async fn list_tickets(&self, actor: &Actor, filter: TicketFilter) -> AppResult<Vec<TicketView>> {
        let Some(f) = self.scoped(actor, filter).await? else {
            return Ok(vec![]);
        };
        let page = self.store.ticket_page(None, &f).await?;
        self.view_tickets_with(page.tickets, &page.events).await
    }

    /// The tickets `filter` finds that the actor may see, with their references, without their
    /// SLA replayed: for lists that show no service level (the ticket workspace's recent tickets).
    pub async fn list_ticket_rows(&self, actor: &Actor, filter: TicketFilter) -> AppResult<Vec<(Ticket, Reference)>> {
        let Some(f) = self.scoped(actor, filter).await? else {
            return Ok(vec![]);
        };
        let tz = self.desk().await?.time_zone.clone();
        let tickets = self.store.list_tickets(&f).await?;
        Ok(tickets
            .into_iter()
            .map(|t| {
                let created = jiff::Timestamp::from_millisecond(t.created_at).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                let r = Reference::for_ticket(t.id, created, &tz);
                (t, r)
            })
            .collect())
    }

    pub async fn search_tickets(&self, actor: &Actor, text: &str, filter: TicketFilter) -> AppResult<Vec<TicketView>> {
        let Some(f) = self.scoped(actor, filter).await? else {
            return Ok(vec![]);
        };
        let q = kefu_core::search::parse_query(text);
        let page = self.store.ticket_page(Some(&q), &f).await?;
        self.view_tickets_with(page.tickets, &page.events).await
    }

    /// Re-derives the SLA marks and search terms after a change, and writes change and message
    /// in one transaction.
    pub(crate) async fn apply(
        &self,
        actor: &Actor,
        t: &Ticket,
        mut change: TicketChange,
        message: Option<NewMessage>,
    ) -> AppResult<(TicketView, Option<TicketMessage>)> {
        let setup = self.sla_setup().await?;
        let policy = setup.policy(change.sla_policy_id.flatten().or(t.sla_policy_id))?;
        let now = self.now();
        let at = jiff::Timestamp::from_millisecond(now).map_err(|e| AppError::Refused(e.to_string()))?;
        let mut history = self.stored_history(&[t.id]).await?;
        let stored = history.events(t.id);
        let mut events = stored.clone();
        if let Some(m) = &message
            && m.kind != MessageKind::Internal
        {
            let kind = if m.author_kind == AuthorKind::Customer {
                EventKind::CustomerMessage
            } else {
                EventKind::AgentReply
            };
            events.push(TicketEvent::new(at, kind));
        }
        if let Some(s) = change.status.filter(|s| *s != t.status) {
            events.push(TicketEvent::new(at, EventKind::StatusChanged(s)));
        }
        let created = jiff::Timestamp::from_millisecond(t.created_at).map_err(|e| AppError::Refused(e.to_string()))?;
        let sla = sla_status(
            &policy.name,
            &policy.targets,
            setup.calendar(policy)?,
            created,
            &events,
            at,
        )?;
        change.sla_marks = Some(self.sla_marks(&setup, policy, &sla)?);
        // The ticket's facts after the change, from the row as it will be.
        let mut after = t.clone();
        after.kind = change.kind.unwrap_or(t.kind);
        after.department_id = change.department_id.unwrap_or(t.department_id);
        after.category_id = change.category_id.unwrap_or(t.category_id);
        after.sla_policy_id = change.sla_policy_id.unwrap_or(t.sla_policy_id);
        if let Some(tp) = &change.touchpoint {
            after.touchpoint = tp.clone();
        }
        if let Some((p, _)) = &change.purchase {
            after.purchase_id = *p;
            let category = match p {
                Some(p) => self.store.get_purchase(*p).await?.category,
                None => String::new(),
            };
            history.set_product_category(t.id, category);
        }
        let tz = self.desk().await?.time_zone.clone();
        change.facts =
            Some(history.contribution_of(&setup, &tz, &after, &events[stored.len()..], change.assignee_id, at)?);
        if message.is_some() || change.subject.is_some() {
            let subject = change.subject.as_deref().unwrap_or(&t.subject);
            change.terms = Some(
                self.terms_of(t, subject, message.as_ref().map(|m| m.body.as_str()))
                    .await?,
            );
        }
        let (ticket, msg) = self
            .store
            .change_ticket(t.id, change, message, &actor_of(actor), now)
            .await?;
        let view = self.view_tickets(vec![ticket]).await?.remove(0);
        self.emit_ticket_updated(t, &view).await;
        Ok((view, msg))
    }

    /// An agent replies (the customer sees it), writes an internal note, or logs a call; a
    /// customer adds a message. Status follows the workflow: an agent's reply opens a new ticket,
    /// a customer's message reopens a resolved one (or answers a pending one).
    pub async fn add_to_ticket(
        &self,
        actor: &Actor,
        id: i64,
        addition: Addition,
    ) -> AppResult<(TicketView, TicketMessage)> {
        let t = self.visible_ticket(actor, id).await?;
        let staff = actor.role().works_the_desk();
        let mut change = TicketChange {
            expect_status: Some(t.status),
            ..Default::default()
        };
        let message = match (&addition, staff) {
            (Addition::Reply { body }, true) => {
                change.status = Some(t.status.after_agent_reply());
                NewMessage {
                    kind: MessageKind::Public,
                    author_kind: AuthorKind::Agent,
                    author_user_id: actor.user_id(),
                    author_contact_id: None,
                    body: check_text("body", body, MAX_BODY_CHARS)?,
                    body_html: None,
                    channel: Channel::Agent,
                    call_direction: None,
                    call_seconds: None,
                    message_id: None,
                }
            }
            (Addition::Note { body }, true) => NewMessage {
                kind: MessageKind::Internal,
                author_kind: AuthorKind::Agent,
                author_user_id: actor.user_id(),
                author_contact_id: None,
                body: check_text("body", body, MAX_BODY_CHARS)?,
                body_html: None,
                channel: Channel::Agent,
                call_direction: None,
                call_seconds: None,
                message_id: None,
            },
            (Addition::Call { body, inbound, seconds }, true) => {
                if !(0..=86_400).contains(seconds) {
                    return Err(
                        Invalid::one("duration_seconds", "out_of_range", "a call lasts 0 to 86400 seconds").into(),
                    );
                }
                change.status = Some(t.status.after_agent_reply());
                NewMessage {
                    kind: MessageKind::Call,
                    author_kind: AuthorKind::Agent,
                    author_user_id: actor.user_id(),
                    author_contact_id: None,
                    body: check_text("summary", body, MAX_BODY_CHARS)?,
                    body_html: None,
                    channel: Channel::Phone,
                    call_direction: Some(if *inbound { "inbound" } else { "outbound" }.into()),
                    call_seconds: Some(*seconds),
                    message_id: None,
                }
            }
            (Addition::Reply { body }, false) => {
                return self.customer_message(actor, &t, body, Channel::Portal, None).await;
            }
            (_, false) => return Err(AppError::Forbidden),
        };
        if change.status == Some(t.status) {
            change.status = None;
        }
        let (view, msg) = self.apply(actor, &t, change, Some(message)).await.map_err(stale)?;
        let msg = msg.expect("a message was added");
        if msg.kind == MessageKind::Public {
            self.notify(Notice::Reply {
                ticket_id: t.id,
                message_id: msg.id,
            })
            .await;
        }
        Ok((view, msg))
    }

    /// The customer adds a message to a ticket the caller has already found: the workflow
    /// reopens a resolved ticket or answers a pending one; a ticket closed for good wants a new one.
    pub(crate) async fn customer_message(
        &self,
        actor: &Actor,
        t: &Ticket,
        body: &str,
        channel: Channel,
        contact_id: Option<i64>,
    ) -> AppResult<(TicketView, TicketMessage)> {
        let mut change = TicketChange {
            expect_status: Some(t.status),
            ..Default::default()
        };
        let closed_at = t.closed_at.and_then(|c| jiff::Timestamp::from_millisecond(c).ok());
        match Workflow::default().on_customer_message(t.status, closed_at, self.now_ts()) {
            kefu_core::ticket::OnCustomerMessage::Keep => {}
            kefu_core::ticket::OnCustomerMessage::MoveTo(s, _) => {
                change.status = Some(s).filter(|s| *s != t.status);
            }
            kefu_core::ticket::OnCustomerMessage::FollowUp => {
                return Err(Invalid::one(
                    "status",
                    "closed_for_good",
                    "this ticket is closed: please file a new one",
                )
                .into());
            }
        }
        let message = NewMessage {
            kind: MessageKind::Public,
            author_kind: AuthorKind::Customer,
            author_user_id: actor.user_id(),
            author_contact_id: contact_id,
            body: check_text("body", body, MAX_BODY_CHARS)?,
            body_html: None,
            channel,
            call_direction: None,
            call_seconds: None,
            message_id: None,
        };
        let (view, msg) = self.apply(actor, t, change, Some(message)).await.map_err(stale)?;
        Ok((view, msg.expect("a message was added")))
    }

    /// A resolved ticket's customer may be asked for a survey: a job does it (after the change
    /// committed; a failure to enqueue is logged, never undoes the resolution).
    async fn after_resolution(&self, ticket_id: i64) {
        let wanted = match self.store.list_campaigns(None).await {
            Ok(cs) => cs
                .iter()
                .any(|c| c.recurrence == "ticket_resolved" && c.status == "active"),
            Err(e) => {
                tracing::error!(error = %e, "survey campaigns not read after a resolution");
                false
            }
        };
        if wanted
            && let Err(e) = self
                .enqueue(
                    crate::survey_campaigns::TICKET_RESOLVED_KIND,
                    serde_json::json!({"ticket_id": ticket_id}),
                )
                .await
        {
            tracing::error!(error = %e, "survey after a resolution not enqueued");
        }
    }

    /// Moves a ticket through the workflow (staff only).
    pub async fn set_ticket_status(&self, actor: &Actor, id: i64, status: &str) -> AppResult<TicketView> {
        if !actor.role().works_the_desk() {
            return Err(AppError::Forbidden);
        }
        let t = self.visible_ticket(actor, id).await?;
        let to = Status::parse(status)?;
        let closed_at = t.closed_at.and_then(|c| jiff::Timestamp::from_millisecond(c).ok());
        Workflow::default()
            .transition(t.status, to, closed_at, self.now_ts())
            .map_err(Invalid::from)?;
        let change = TicketChange {
            expect_status: Some(t.status),
            status: Some(to),
            ..Default::default()
        };
        let view = self.apply(actor, &t, change, None).await.map_err(stale)?.0;
        if status_is_news(t.status, to) {
            self.notify(Notice::Status {
                ticket_id: t.id,
                status: to,
            })
            .await;
        }
        if to == Status::Resolved {
            self.after_resolution(t.id).await;
        }
        Ok(view)
    }

    /// Assigns a ticket (or unassigns it), moves it to another department and/or changes its
    /// priority (staff only): [`App::edit_ticket`] with those fields.
    pub async fn assign_ticket(
        &self,
        actor: &Actor,
        id: i64,
        assignee_id: Option<Option<i64>>,
        department_id: Option<i64>,
        priority: Option<&str>,
    ) -> AppResult<TicketView> {
        let edit = crate::ticket_edit::TicketEdit {
            assignee_id,
            department_id,
            priority: priority.map(str::to_owned),
            ..Default::default()
        };
        self.edit_ticket(actor, id, edit).await
    }
}

/// A change that lost a race with another writer's status change.
pub(crate) fn stale(e: AppError) -> AppError {
    match e {
        AppError::Conflict(m) => AppError::Conflict(format!("the ticket changed meanwhile ({m}); reload it")),
        other => other,
    }
}

/// The SLA instants kept on a ticket for its indexes (docs/statistics.md#queue-now), from its
/// replayed clock: the sweep's next look, the instant it turns urgent, its earliest due instant.
pub(crate) fn sla_marks(
    sla: &SlaStatus,
    calendar: &kefu_core::calendar::BusinessCalendar,
) -> AppResult<kefu_store::SlaMarks> {
    Ok(kefu_store::SlaMarks {
        next_check_at: sla.next_check_at().map(|t| t.as_millisecond()),
        urgent_at: QueueRules::default()
            .urgent_at(sla, calendar)?
            .map(|t| t.as_millisecond()),
        due_at: kefu_core::queue::due_at(sla).map(|t| t.as_millisecond()),
    })
}
