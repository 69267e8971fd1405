//! A ticket's history: what changed (activity), when it escalated, and the mail kefu sent about
//! it. The rule "customers see no notifications" is written here once, for the ticket page and
//! the API alike.

use crate::{Actor, App, AppError, AppResult};
use kefu_core::Role;
use kefu_store::{Activity, Notification};
use std::collections::HashMap;

/// Everything a ticket page shows besides the thread.
#[derive(Debug, Clone, Default)]
pub struct TicketHistory {
    /// The append-only activity log, oldest first.
    pub activity: Vec<Activity>,
    /// The escalation steps taken, as the sweep logged them.
    pub escalations: Vec<String>,
    /// The mail sent about the ticket; always empty for a customer.
    pub notifications: Vec<Notification>,
}

impl App {
    /// The history of a ticket the actor may see (`NotFound` otherwise).
    pub async fn ticket_history(&self, actor: &Actor, id: i64) -> AppResult<TicketHistory> {
        self.visible_ticket(actor, id).await?;
        self.history_of(actor, id).await
    }

    /// [`Self::ticket_history`] of a ticket already checked to be visible to the actor.
    pub(crate) async fn history_of(&self, actor: &Actor, id: i64) -> AppResult<TicketHistory> {
        let (activity, escalations) = tokio::try_join!(self.store.ticket_activity(id), self.store.escalations_of(id))?;
        let notifications = if actor.role() == Role::Customer {
            vec![]
        } else {
            self.store.notifications_of(id).await?
        };
        Ok(TicketHistory {
            activity,
            escalations,
            notifications,
        })
    }

    /// The activity log of a ticket the actor may see.
    pub async fn ticket_activity(&self, actor: &Actor, id: i64) -> AppResult<Vec<Activity>> {
        self.visible_ticket(actor, id).await?;
        Ok(self.store.ticket_activity(id).await?)
    }

    /// The mail kefu sent about a ticket: staff only (a customer who may see the ticket is
    /// `Forbidden`, one who may not `NotFound`).
    pub async fn ticket_notifications(&self, actor: &Actor, id: i64) -> AppResult<Vec<Notification>> {
        self.visible_ticket(actor, id).await?;
        if actor.role() == Role::Customer {
            return Err(AppError::Forbidden);
        }
        Ok(self.store.notifications_of(id).await?)
    }

    /// The customer record a ticket the actor may see is filed under (deleted or merged ones
    /// included: the ticket still belongs to them).
    pub async fn ticket_customer(&self, actor: &Actor, ticket_id: i64) -> AppResult<kefu_store::Customer> {
        let t = self.visible_ticket(actor, ticket_id).await?;
        Ok(self.store.get_customer(t.customer_id).await?)
    }

    /// The names of the staff who wrote on a ticket the actor may see, by user id (an id that no
    /// longer names a user is left out).
    pub async fn message_author_names(
        &self,
        actor: &Actor,
        ticket_id: i64,
        ids: &[i64],
    ) -> AppResult<HashMap<i64, String>> {
        self.visible_ticket(actor, ticket_id).await?;
        self.author_names(ids).await
    }

    /// The names of these users (once each); a user that no longer exists has none.
    pub(crate) async fn author_names(&self, ids: &[i64]) -> AppResult<HashMap<i64, String>> {
        let mut names = HashMap::new();
        for &id in ids {
            if names.contains_key(&id) {
                continue;
            }
            match self.store.get_user(id).await {
                Ok(u) => {
                    names.insert(id, u.name);
                }
                Err(kefu_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(names)
    }
}
