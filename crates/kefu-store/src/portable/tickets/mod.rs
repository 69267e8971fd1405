//! Ticket SQL written once for both databases: tickets, messages, activity, attachments, SLA
//! policies and calendars, escalations, routing rules, macros and saved views.
//!
//! How a search reads the index differs per backend:
//! [`Backend::ticket_match_sql`](crate::portable::Backend::ticket_match_sql) gives the FROM clause
//! and the match condition; everything else here is the same on both.

mod batch;
mod commitments;
mod facts;
mod queue;
mod rows;
mod store;
mod write;

/// The columns of a ticket row, in the order the portable decoder reads them.
pub const TICKET_COLUMNS: &str = "t.id, t.kind, t.status, t.priority, t.channel, t.language, t.subject, \
    t.customer_id, t.contact_id, t.on_behalf_of_id, t.department_id, t.assignee_id, t.created_by, t.category_id, \
    t.purchase_id, t.product, t.touchpoint, t.phase, t.nature, t.place, t.fee, t.frequency, t.tags, t.customer_tier, \
    t.sla_policy_id, t.sla_next_check_at, t.sla_urgent_at, t.root_cause, t.remedy, t.compensation_minor, \
    t.merged_into, t.resolved_at, t.closed_at, t.created_at, t.updated_at, t.sla_due_at";
/// The SLA events of ticket `t`, in order, as one column `events`: `at what,at what,…` (what:
/// `customer`, `agent`, `status:<code>`), so that a page of the queue is one row a ticket.
pub const EVENTS_COLUMN: &str = "(SELECT string_agg(e.at || ' ' || e.what, ',' ORDER BY e.at, e.src, e.seq) \
    FROM (SELECT m.created_at AS at, m.id AS seq, 0 AS src, CASE WHEN m.author_kind = 'customer' THEN 'customer' \
    ELSE 'agent' END AS what FROM ticket_messages m WHERE m.ticket_id = t.id AND m.kind <> 'internal' \
    AND m.author_kind <> 'system' UNION ALL SELECT a.at, a.id, 1, 'status:' || a.new_value FROM ticket_activity a \
    WHERE a.ticket_id = t.id AND a.field = 'status') e) AS events";

/// Splits an [`EVENTS_COLUMN`] value into `(ticket_id, at, what)` rows.
pub fn split_events(ticket_id: i64, events: &str, out: &mut Vec<(i64, i64, String)>) -> kefu_store::StoreResult<()> {
    for e in events.split(',').filter(|e| !e.is_empty()) {
        let (at, what) = e
            .split_once(' ')
            .ok_or_else(|| kefu_store::StoreError::Data(format!("ticket {ticket_id}: event {e:?}")))?;
        let at = at
            .parse()
            .map_err(|_| kefu_store::StoreError::Data(format!("ticket {ticket_id}: event time {at:?}")))?;
        out.push((ticket_id, at, what.to_owned()));
    }
    Ok(())
}

pub const MESSAGE_COLUMNS: &str = "id, ticket_id, kind, author_kind, author_user_id, author_contact_id, body, \
    body_html, channel, call_direction, call_seconds, message_id, created_at";

/// A value bound to a dynamically built query.
#[derive(Debug, Clone)]
pub enum Bind {
    I64(i64),
    Text(String),
}

/// How a ticket search reads the search index: the FROM clause (the tickets as `t` and the
/// index), the column the newest-first order and the keyset cursor go by, and the match condition
/// with its text parameters.
pub struct TicketMatch {
    pub from: &'static str,
    pub id: &'static str,
    pub cond: String,
    pub texts: Vec<String>,
}

/// Builds the WHERE conditions of a ticket list after the parameters already in `binds`, with
/// the keyset cursor on column `id` (`t.id`, or an index's row id equal to it).
pub fn filter_sql_on(f: &kefu_store::TicketFilter, binds: &mut Vec<Bind>, id: &str) -> Vec<String> {
    let mut conds = Vec::new();
    let p = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if f.before > 0 {
        conds.push(format!("{id} < {}", p(Bind::I64(f.before), binds)));
    }
    if !f.statuses.is_empty() {
        let list: Vec<String> = f
            .statuses
            .iter()
            .map(|s| p(Bind::Text(s.as_str().into()), binds))
            .collect();
        conds.push(format!("t.status IN ({})", list.join(", ")));
    }
    if let Some(d) = f.department_id {
        conds.push(format!("t.department_id = {}", p(Bind::I64(d), binds)));
    }
    if let Some(a) = f.assignee_id {
        conds.push(format!("t.assignee_id = {}", p(Bind::I64(a), binds)));
    }
    if let Some(c) = f.customer_id {
        conds.push(format!("t.customer_id = {}", p(Bind::I64(c), binds)));
    }
    if let Some(k) = f.kind {
        conds.push(format!("t.kind = {}", p(Bind::Text(k.as_str().into()), binds)));
    }
    if let Some(pr) = f.priority {
        conds.push(format!("t.priority = {}", p(Bind::Text(pr.as_str().into()), binds)));
    }
    if let Some((user, departments)) = &f.agent_scope {
        let u = p(Bind::I64(*user), binds);
        let mut alts = vec![format!("t.assignee_id = {u}"), format!("t.created_by = {u}")];
        if !departments.is_empty() {
            let list: Vec<String> = departments.iter().map(|d| p(Bind::I64(*d), binds)).collect();
            alts.push(format!("t.department_id IN ({})", list.join(", ")));
        }
        conds.push(format!("({})", alts.join(" OR ")));
    }
    if let Some(root) = f.customer_within {
        let r = p(Bind::I64(root), binds);
        conds.push(format!(
            "(EXISTS (SELECT 1 FROM customer_paths w WHERE w.ancestor_id = {r} AND w.descendant_id = t.customer_id) \
                OR EXISTS (SELECT 1 FROM customer_paths w WHERE w.ancestor_id = {r} \
                AND w.descendant_id = t.on_behalf_of_id))"
        ));
    }
    // A ticket whose requester is unconfirmed is nobody's yet: it is in the queue, not under
    // the customer whose contact details were typed (docs/tickets.md#the-public-form).
    if f.customer_id.is_some() || f.customer_within.is_some() {
        conds.push(
            "NOT EXISTS (SELECT 1 FROM requester_confirmations rc WHERE rc.ticket_id = t.id \
                AND rc.confirmed_at IS NULL)"
                .into(),
        );
    }
    if let Some((figure, days)) = &f.fact_on {
        // A contribution keeps its items as `["day","figure",agent,value]` (kefu_core::facts).
        let figure: String = figure
            .chars()
            .flat_map(|c| match c {
                '%' | '_' | '\\' => vec!['\\', c],
                c => vec![c],
            })
            .collect();
        let alts: Vec<String> = days
            .iter()
            .map(|d| {
                let pattern = format!("%[\"{d}\",\"{figure}\",%");
                format!("t.facts LIKE {} ESCAPE '\\'", p(Bind::Text(pattern), binds))
            })
            .collect();
        conds.push(if alts.is_empty() {
            "1 = 0".into()
        } else {
            format!("({})", alts.join(" OR "))
        });
    }
    conds.push("t.merged_into IS NULL".into());
    conds
}
