//! Reading a customer's place in the channel tree and its records, within the caller's scope: a
//! customer user sees the chain only from its own record down (docs/roles.md#scope).

use crate::portal::CustomerScope;
use crate::{Actor, App, AppResult};
use kefu_core::customer::CustomerKind;
use kefu_store::{Contact, Customer, Purchase};

/// A customer's archive in brief ([`App::customer_brief`]).
#[derive(Debug, Clone)]
pub struct CustomerBrief {
    /// The chain above it, the top first.
    pub upstream: Vec<Customer>,
    pub contacts: Vec<Contact>,
    /// Its newest tickets the actor may see, newest first, with their references.
    pub tickets: Vec<(crate::model::Ticket, kefu_core::ticket::Reference)>,
    pub last_answer: Option<crate::surveys::AnswerSummary>,
}

/// Where a customer stands: the customers above it (the top first) that the caller may see, and
/// how many of each kind are beneath it.
#[derive(Debug, Clone)]
pub struct CustomerChain {
    pub upstream: Vec<Customer>,
    pub downstream_counts: Vec<(String, i64)>,
}

impl App {
    /// The chain above a customer the actor may see, trimmed to the actor's scope, and the counts
    /// beneath it.
    pub async fn customer_chain(&self, actor: &Actor, id: i64) -> AppResult<CustomerChain> {
        self.visible_customer(actor, id).await?;
        self.chain_of(actor, id).await
    }

    /// [`Self::customer_chain`] of a customer already checked to be in the actor's scope.
    pub(super) async fn chain_of(&self, actor: &Actor, id: i64) -> AppResult<CustomerChain> {
        let (upstream, downstream_counts) = tokio::try_join!(self.upstream_of(actor, id), async {
            Ok(self.store.subtree_counts(id).await?)
        })?;
        Ok(CustomerChain {
            upstream,
            downstream_counts,
        })
    }

    /// The chain above a customer already checked to be in the actor's scope, the top first,
    /// trimmed to that scope.
    async fn upstream_of(&self, actor: &Actor, id: i64) -> AppResult<Vec<Customer>> {
        let mut upstream = self.store.customer_ancestors(id).await?;
        if let CustomerScope::Within(root) = self.customer_scope(actor).await? {
            match upstream.iter().position(|c| c.id == root) {
                Some(i) => {
                    upstream.drain(..i);
                }
                None => upstream.clear(),
            }
        }
        Ok(upstream)
    }

    /// A customer's archive in brief, beside one of its tickets (the agent's workspace): the chain
    /// above it, its contacts, its newest `recent` tickets the actor may see and its last final
    /// answer. Desk staff only (they read customers' answers); one scope check for all of it.
    pub async fn customer_brief(&self, actor: &Actor, id: i64, recent: u32) -> AppResult<CustomerBrief> {
        actor.require(kefu_core::roles::DESK)?;
        // A deleted or merged customer's tickets are still theirs: the brief reads it all the same.
        self.customer_in_scope(actor, id, true).await?;
        self.brief_of(actor, id, recent).await
    }

    /// [`Self::customer_brief`] of a customer already checked to be in the desk actor's scope.
    pub(crate) async fn brief_of(&self, actor: &Actor, id: i64, recent: u32) -> AppResult<CustomerBrief> {
        let tickets = self.list_ticket_rows(
            actor,
            crate::model::TicketFilter {
                limit: recent,
                customer_id: Some(id),
                ..Default::default()
            },
        );
        let (upstream, contacts, tickets, answers) = tokio::try_join!(
            self.upstream_of(actor, id),
            async { Ok(self.store.list_contacts(id).await?) },
            tickets,
            self.answers_of(id, 1),
        )?;
        Ok(CustomerBrief {
            upstream,
            contacts,
            tickets,
            last_answer: answers.into_iter().next(),
        })
    }

    /// Customers beneath one the actor may see, at any depth, by id after `after`.
    pub async fn downstream_customers(
        &self,
        actor: &Actor,
        id: i64,
        kind: Option<CustomerKind>,
        after: i64,
        limit: u32,
    ) -> AppResult<Vec<Customer>> {
        self.visible_customer(actor, id).await?;
        Ok(self.store.subtree_customers(id, kind, after, limit).await?)
    }

    /// The contacts of a customer the actor may see.
    pub async fn contacts_of(&self, actor: &Actor, customer_id: i64) -> AppResult<Vec<Contact>> {
        self.visible_customer(actor, customer_id).await?;
        Ok(self.store.list_contacts(customer_id).await?)
    }

    /// The newest `limit` purchases of a customer the actor may see.
    pub async fn purchases_of(&self, actor: &Actor, customer_id: i64, limit: u32) -> AppResult<Vec<Purchase>> {
        self.visible_customer(actor, customer_id).await?;
        Ok(self.store.list_purchases(customer_id, limit).await?)
    }

    /// A contact of a customer the actor may see (`NotFound` otherwise).
    pub async fn contact(&self, actor: &Actor, id: i64) -> AppResult<Contact> {
        let c = self.store.get_contact(id).await?;
        self.visible_customer(actor, c.customer_id).await?;
        Ok(c)
    }

    /// A purchase of a customer the actor may see (`NotFound` otherwise).
    pub async fn purchase(&self, actor: &Actor, id: i64) -> AppResult<Purchase> {
        let p = self.store.get_purchase(id).await?;
        self.visible_customer(actor, p.customer_id).await?;
        Ok(p)
    }
}
