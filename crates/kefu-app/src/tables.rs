//! The record tables pages download (CSV or XLSX, through the export's sinks and their formula
//! guard): the ticket queue and its search results — every ticket the filter finds that the caller
//! may see, newest first —, the users and the audit log; a page at a time, so that a download of a
//! million rows streams. Each download is audited (`<table>.download`).

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

/// The columns of the user table.
pub const USER_COLUMNS: &[&str] = &[
    "id",
    "email",
    "name",
    "role",
    "language",
    "disabled",
    "last_login_at",
    "created_at",
];

/// The columns of the audit table.
pub const AUDIT_COLUMNS: &[&str] = &["id", "at", "actor", "action", "target", "ip", "detail"];

/// Rows per page of a download.
pub const TICKET_PAGE: u32 = 1_000;

/// An instant as the organisation's `YYYY-MM-DD HH:MM`.
fn local(ms: i64, tz: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|x| x.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn cells(v: &TicketView, tz: &jiff::tz::TimeZone) -> Vec<Cell> {
    let t = &v.ticket;
    let text = |s: &str| Cell::Text(s.to_owned());
    let at = local(t.created_at, tz);
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

    /// Records that the actor downloaded `table` (`tickets`, `users`, `audit`): what it asked for,
    /// in which format.
    pub async fn audit_download(&self, actor: &Actor, table: &str, query: &str, format: &str) -> AppResult<()> {
        self.audit(
            actor,
            &format!("{table}.download"),
            table.to_owned(),
            serde_json::json!({"query": query, "format": format}),
        )
        .await
    }

    /// One page of the user table: users above id `after`, by id (who may read the user list).
    pub async fn user_table_page(&self, actor: &Actor, after: i64) -> AppResult<(Vec<Vec<Cell>>, Option<i64>)> {
        let users = self
            .list_users(
                actor,
                kefu_store::UserFilter {
                    after,
                    limit: TICKET_PAGE,
                    role: None,
                },
            )
            .await?;
        let tz = self.time_zone().await;
        let next = (users.len() == TICKET_PAGE as usize)
            .then(|| users.last().map(|u| u.id))
            .flatten();
        let rows = users
            .iter()
            .map(|u| {
                vec![
                    Cell::Text(u.id.to_string()),
                    Cell::Text(u.email.clone()),
                    Cell::Text(u.name.clone()),
                    Cell::Text(u.role.to_string()),
                    Cell::Text(u.language.map(|l| l.code().to_owned()).unwrap_or_default()),
                    Cell::Text(if u.disabled { "yes" } else { "no" }.to_owned()),
                    Cell::Text(u.last_login_at.map(|t| local(t, &tz)).unwrap_or_default()),
                    Cell::Text(local(u.created_at, &tz)),
                ]
            })
            .collect();
        Ok((rows, next))
    }

    /// One page of the audit table: entries below id `before` (0: from the newest), newest first
    /// (admins).
    pub async fn audit_table_page(&self, actor: &Actor, before: i64) -> AppResult<(Vec<Vec<Cell>>, Option<i64>)> {
        let entries = self.audit_log(actor, before, TICKET_PAGE).await?;
        let tz = self.time_zone().await;
        let next = (entries.len() == TICKET_PAGE as usize)
            .then(|| entries.last().map(|e| e.id))
            .flatten();
        let rows = entries
            .iter()
            .map(|e| {
                vec![
                    Cell::Text(e.id.to_string()),
                    Cell::Text(local(e.at, &tz)),
                    Cell::Text(e.actor.clone()),
                    Cell::Text(e.action.clone()),
                    Cell::Text(e.target.clone()),
                    Cell::Text(e.ip.clone().unwrap_or_default()),
                    Cell::Text(e.detail.to_string()),
                ]
            })
            .collect();
        Ok((rows, next))
    }
}
