//! The ticket queue and its search results as a table to download (CSV or XLSX, through the
//! export's sinks and their formula guard): every ticket the filter finds that the caller may see,
//! newest first, a page at a time so that a download of a million tickets streams.

use crate::export::Cell;
use crate::model::TicketFilter;
use crate::tickets::TicketView;
use crate::{Actor, App, AppResult};

/// The columns of a ticket table, in order.
pub const TICKET_COLUMNS: &[&str] = &[
    "reference",
    "subject",
    "kind",
    "status",
    "priority",
    "channel",
    "touchpoint",
    "customer_id",
    "department_id",
    "assignee_id",
    "created_at",
    "first_response",
    "resolution",
    "reopen_count",
];

/// Tickets per page of a download.
pub const TICKET_PAGE: u32 = 1_000;

fn cells(v: &TicketView, tz: &jiff::tz::TimeZone) -> Vec<Cell> {
    let t = &v.ticket;
    let text = |s: &str| Cell::Text(s.to_owned());
    let at = jiff::Timestamp::from_millisecond(t.created_at)
        .map(|x| x.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    vec![
        text(&v.reference.to_string()),
        text(&t.subject),
        text(t.kind.as_str()),
        text(t.status.as_str()),
        text(t.priority.as_str()),
        text(t.channel.as_str()),
        text(&t.touchpoint),
        text(&t.customer_id.to_string()),
        text(&t.department_id.to_string()),
        text(&t.assignee_id.map(|a| a.to_string()).unwrap_or_default()),
        text(&at),
        text(v.sla.first_response.state.as_str()),
        text(v.sla.resolution.state.as_str()),
        text(&v.reopen_count.to_string()),
    ]
}

impl App {
    /// One page of the ticket table: the tickets below id `before` (0: from the newest) that
    /// `filter` (and `text`, a search, when not blank) finds and the actor may see, as rows, and
    /// the id to continue below (`None`: this was the last page).
    pub async fn ticket_table_page(
        &self,
        actor: &Actor,
        text: &str,
        filter: &TicketFilter,
        before: i64,
    ) -> AppResult<(Vec<Vec<Cell>>, Option<i64>)> {
        let f = TicketFilter {
            before,
            limit: TICKET_PAGE,
            ..filter.clone()
        };
        let views = if text.trim().is_empty() {
            self.list_tickets(actor, f).await?
        } else {
            self.search_tickets(actor, text, f).await?
        };
        let tz = self.time_zone().await;
        let next = (views.len() == TICKET_PAGE as usize)
            .then(|| views.last().map(|v| v.ticket.id))
            .flatten();
        Ok((views.iter().map(|v| cells(v, &tz)).collect(), next))
    }

    /// Records that the actor downloaded a ticket table (what it asked for, in which format).
    pub async fn audit_ticket_download(&self, actor: &Actor, query: &str, format: &str) -> AppResult<()> {
        self.audit(
            actor,
            "tickets.download",
            "tickets".to_owned(),
            serde_json::json!({"query": query, "format": format}),
        )
        .await
    }
}
