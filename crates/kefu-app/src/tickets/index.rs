//! The ticket search index: what a ticket is found by, and rebuilding the index.

use crate::{App, AppResult};
use kefu_core::search::analyze;
use kefu_store::{Ticket, TicketFilter};

/// What a ticket is found by: its subject, every message, and its customer's name.
pub(crate) fn ticket_terms(subject: &str, bodies: &[String], customer: &str) -> kefu_core::search::IndexTerms {
    analyze(&format!("{subject} {} {customer}", bodies.join(" ")))
}

impl App {
    /// What `t` will be found by once its subject is `subject` and `new_body` (a message being
    /// added) is among its messages.
    pub(crate) async fn terms_of(
        &self,
        t: &Ticket,
        subject: &str,
        new_body: Option<&str>,
    ) -> AppResult<kefu_core::search::IndexTerms> {
        let mut bodies: Vec<String> = self
            .store
            .ticket_messages(t.id)
            .await?
            .into_iter()
            .map(|m| m.body)
            .collect();
        bodies.extend(new_body.map(str::to_owned));
        let customer = self
            .store
            .get_customer(t.customer_id)
            .await
            .map(|c| c.name)
            .unwrap_or_default();
        Ok(ticket_terms(subject, &bodies, &customer))
    }

    /// Rebuilds the ticket search index (after a restore): 500 tickets a transaction.
    pub async fn reindex_all_tickets(&self) -> AppResult<u64> {
        let mut before = 0;
        let mut n = 0;
        loop {
            let page = self
                .store
                .list_tickets(&TicketFilter {
                    before,
                    limit: 500,
                    ..Default::default()
                })
                .await?;
            let Some(last) = page.last() else { break };
            before = last.id;
            let mut terms = Vec::with_capacity(page.len());
            for t in &page {
                terms.push((t.id, self.terms_of(t, &t.subject, None).await?));
            }
            n += terms.len() as u64;
            self.store.index_tickets(&terms).await?;
        }
        Ok(n)
    }
}
