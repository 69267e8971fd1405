//! Filing a ticket ([`App::create_ticket`]): the checks, routing (first matching rule, else the
//! default department), the SLA policy and its first marks, the ticket's first facts, and the write
//! through the batching [`TicketWriter`](super::TicketWriter).

use super::{MAX_BODY_CHARS, TicketInput, TicketView, actor_of, ticket_terms};
use crate::notify::Notice;
use crate::{Actor, App, AppError, AppResult};
use kefu_core::routing::{TicketFacts, first_match};
use kefu_core::sla::sla_status;
use kefu_core::text::check_text;
use kefu_core::ticket::{Channel, Classification, EventKind, Kind, Priority, Status, TicketEvent};
use kefu_core::{Invalid, Language, Role};
use kefu_store::{AuthorKind, MessageKind, NewMessage, NewTicket};

impl App {
    /// Files a ticket: checks it, routes it (first matching rule, else the default department),
    /// picks its SLA policy, and writes it with its first message and search terms.
    pub async fn create_ticket(&self, actor: &Actor, input: TicketInput) -> AppResult<TicketView> {
        let role = actor.role();
        if !actor.sees_staff_fields() {
            refuse_staff_fields(&input)?;
        }
        let subject = check_text("subject", &input.subject, 300)?;
        let body = check_text("body", &input.body, MAX_BODY_CHARS)?;
        let kind = Kind::parse(&input.kind)?;
        let channel = match input.channel.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(c) => Channel::parse(c)?,
            None if role == Role::Customer => Channel::Portal,
            None => Channel::Api,
        };
        let priority_given = input
            .priority
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(Priority::parse)
            .transpose()?;
        let language = match input.language.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(l) => Language::parse(l)
                .ok_or_else(|| Invalid::one("language", "unknown_language", "language must be zh-CN or en"))?,
            None => Language::ZhCn,
        };
        let tags = crate::customers::clean_tags(&input.tags)?;
        // The customer must be one the caller may file for.
        let customer = match role {
            Role::Admin | Role::Manager | Role::Agent | Role::Customer => self
                .visible_customer(actor, input.customer_id)
                .await
                .map_err(|e| match e {
                    AppError::NotFound => Invalid::one(
                        "customer_id",
                        "unknown_customer",
                        format!("no customer {}", input.customer_id),
                    )
                    .into(),
                    other => other,
                })?,
            Role::Technician => return Err(AppError::Forbidden),
        };
        if customer.deleted_at.is_some() {
            return Err(Invalid::one("customer_id", "deleted_customer", "this customer is deleted").into());
        }
        if let Some(c) = input.contact_id {
            let k = self
                .store
                .get_contact(c)
                .await
                .map_err(|_| Invalid::one("contact_id", "unknown_contact", format!("no contact {c}")))?;
            if k.customer_id != customer.id {
                return Err(Invalid::one(
                    "contact_id",
                    "contact_of_another_customer",
                    "the contact belongs to another customer",
                )
                .into());
            }
        }
        if let Some(b) = input.on_behalf_of_id
            && !self.store.is_within(customer.id, b).await?
        {
            return Err(Invalid::one(
                "on_behalf_of_id",
                "not_beneath",
                "on behalf of: the end customer must buy through this customer",
            )
            .into());
        }
        // Routing: the first matching rule, else the default department.
        let desk = self.desk().await?;
        let category_path = match input.category_id {
            None => vec![],
            Some(c) => {
                let path = crate::categories::path_of(&self.store.categories().await?, c);
                if path.is_empty() {
                    return Err(Invalid::one("category_id", "unknown_category", format!("no category {c}")).into());
                }
                path
            }
        };
        let purchase = match input.purchase_id {
            Some(p) => Some(self.purchase_for(p, customer.id, input.on_behalf_of_id).await?),
            None => None,
        };
        let facts = TicketFacts {
            kind,
            category_path: &category_path,
            product_category: purchase.as_ref().map(|p| p.category.as_str()).filter(|c| !c.is_empty()),
            channel,
            language,
            tier: customer.value_tier,
            customer_kind: customer.kind,
        };
        let mut department_id = desk.default_department;
        let mut assignee_id = None;
        let mut priority = priority_given.unwrap_or_default();
        let mut tags = tags;
        if let Some((_, rule)) = first_match(&desk.rules, &facts) {
            if let Some(d) = rule.actions.department {
                department_id = d;
            }
            if priority_given.is_none()
                && let Some(p) = rule.actions.priority
            {
                priority = p;
            }
            for t in &rule.actions.tags {
                if !tags.contains(t) {
                    tags.push(t.clone());
                }
            }
            if let Some(assign) = rule.actions.assign {
                let loads = self.store.department_agent_loads(department_id).await?;
                assignee_id = assign.pick(&loads, None);
            }
        }
        if role == Role::Agent && assignee_id.is_none() && channel == Channel::Phone {
            // The agent who took the call keeps it.
            assignee_id = actor.user_id();
        }
        // The SLA policy and the clock's first marks.
        let setup = self.sla_setup().await?;
        let policy = setup.select(kind, priority, customer.value_tier)?;
        let now = self.now();
        let created = jiff::Timestamp::from_millisecond(now).map_err(|e| AppError::Refused(e.to_string()))?;
        // The first message is the customer's request, whoever typed it in (an agent taking a
        // call records the customer's words): it starts the first-response clock, never stops it.
        let first_events = [TicketEvent::new(created, EventKind::CustomerMessage)];
        let sla = sla_status(
            &policy.name,
            &policy.targets,
            setup.calendar(policy)?,
            created,
            &first_events,
            created,
        )?;
        let marks = self.sla_marks(&setup, policy, &sla)?;
        let product_category = purchase.as_ref().map(|p| p.category.clone()).unwrap_or_default();
        let mut new = NewTicket {
            kind,
            status: Status::New,
            priority,
            channel,
            language,
            subject: subject.clone(),
            customer_id: customer.id,
            contact_id: input.contact_id,
            on_behalf_of_id: input.on_behalf_of_id,
            department_id,
            assignee_id,
            created_by: actor.user_id().filter(|_| role.works_the_desk()),
            category_id: input.category_id,
            purchase_id: purchase.as_ref().map(|p| p.id),
            product: purchase.map(|p| p.product_name).unwrap_or_default(),
            touchpoint: input.touchpoint.trim().chars().take(200).collect(),
            classification: input.classification,
            tags,
            customer_tier: customer.value_tier,
            sla_policy_id: Some(policy.id),
            sla_next_check_at: marks.next_check_at,
            sla_urgent_at: marks.urgent_at,
            sla_due_at: marks.due_at,
            follow_token_hash: input.follow_token.as_deref().map(crate::auth::sha256_hex),
            first_message: NewMessage {
                kind: MessageKind::Public,
                author_kind: AuthorKind::Customer,
                // Who typed it in: the customer's own user, or the agent who took it down.
                author_user_id: actor.user_id(),
                author_contact_id: input.contact_id,
                body: body.clone(),
                body_html: input.body_html,
                channel,
                call_direction: None,
                call_seconds: None,
                message_id: input.message_id,
            },
            history: vec![],
            terms: ticket_terms(&subject, std::slice::from_ref(&body), &customer.name),
            facts: None,
            actor: actor_of(actor),
            now,
        };
        new.facts = Some(crate::ticket_facts::at_filing(
            &setup,
            &desk.time_zone,
            &new,
            &customer.region,
            &product_category,
        )?);
        let ticket = self.ticket_writer().write(new).await?;
        if !input.requester_unconfirmed {
            self.notify(Notice::Created {
                ticket_id: ticket.id,
                follow_token: input.follow_token,
            })
            .await;
        }
        // Its history is the first message alone: viewed without reading it back.
        let rows = [(ticket.id, now, "customer".to_owned())];
        let view = self.view_tickets_with(vec![ticket], &rows).await?.remove(0);
        self.emit_ticket_created(&view).await;
        Ok(view)
    }

    /// The purchase `id` when it is the ticket's customer's (or that of the end customer it is
    /// filed for); a clear refusal otherwise.
    pub(crate) async fn purchase_for(
        &self,
        id: i64,
        customer_id: i64,
        on_behalf_of: Option<i64>,
    ) -> AppResult<kefu_store::Purchase> {
        let p = match self.store.get_purchase(id).await {
            Ok(p) => p,
            Err(kefu_store::StoreError::NotFound) => {
                return Err(Invalid::one("purchase_id", "unknown_purchase", format!("no purchase {id}")).into());
            }
            Err(e) => return Err(e.into()),
        };
        if p.customer_id != customer_id && Some(p.customer_id) != on_behalf_of {
            return Err(Invalid::one(
                "purchase_id",
                "not_this_customers",
                format!("purchase {id} is not this customer's"),
            )
            .into());
        }
        Ok(p)
    }
}

/// What a customer user may not choose when filing (docs/roles.md): the staff set priority,
/// channel, tags and classification, and only they declare an incident, which picks its own SLA.
fn refuse_staff_fields(input: &TicketInput) -> AppResult<()> {
    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let refused = if given(&input.priority) {
        Some("priority")
    } else if given(&input.channel) && input.channel.as_deref().map(str::trim) != Some(Channel::Portal.as_str()) {
        Some("channel")
    } else if !input.tags.is_empty() {
        Some("tags")
    } else if input.classification != Classification::default() {
        Some("classification")
    } else if input.kind.trim() == Kind::Incident.as_str() {
        Some("kind")
    } else {
        None
    };
    match refused {
        Some(field) => Err(Invalid::one(field, "staff_only", format!("{field} is set by the service staff")).into()),
        None => Ok(()),
    }
}
