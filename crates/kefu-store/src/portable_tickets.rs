//! Ticket SQL written once for both databases: `portable_tickets!(Type, sqlx::Sqlite)`.
//!
//! Besides what `portable_store!` needs, the backend provides
//! `async fn index_tickets_in(tx: &mut Transaction<'_, DB>, rows: &[(i64, &IndexTerms)])` and
//! `fn ticket_match_sql(query: &[QueryPart], first_param: usize) -> TicketMatch`: how a search
//! reads the index, with its text parameters numbered from `first_param`.

/// The columns of a ticket row, in the order the portable decoder reads them.
pub const TICKET_COLUMNS: &str = "t.id, t.kind, t.status, t.priority, t.channel, t.language, t.subject, t.customer_id, t.contact_id, t.on_behalf_of_id, t.department_id, t.assignee_id, t.created_by, t.category_id, t.product, t.touchpoint, t.phase, t.nature, t.place, t.fee, t.frequency, t.tags, t.customer_tier, t.sla_policy_id, t.sla_next_check_at, t.sla_urgent_at, t.root_cause, t.remedy, t.compensation_minor, t.merged_into, t.resolved_at, t.closed_at, t.created_at, t.updated_at";
/// The SLA events of ticket `t`, in order, as one column `events`: `at what,at what,…` (what:
/// `customer`, `agent`, `status:<code>`), so that a page of the queue is one row a ticket.
pub const EVENTS_COLUMN: &str = "(SELECT string_agg(e.at || ' ' || e.what, ',' ORDER BY e.at, e.src, e.seq) FROM (\
    SELECT m.created_at AS at, m.id AS seq, 0 AS src, CASE WHEN m.author_kind = 'customer' THEN 'customer' ELSE 'agent' END AS what FROM ticket_messages m WHERE m.ticket_id = t.id AND m.kind <> 'internal' AND m.author_kind <> 'system' \
    UNION ALL \
    SELECT a.at, a.id, 1, 'status:' || a.new_value FROM ticket_activity a WHERE a.ticket_id = t.id AND a.field = 'status') e) AS events";

/// Splits an [`EVENTS_COLUMN`] value into `(ticket_id, at, what)` rows.
pub fn split_events(ticket_id: i64, events: &str, out: &mut Vec<(i64, i64, String)>) -> crate::StoreResult<()> {
    for e in events.split(',').filter(|e| !e.is_empty()) {
        let (at, what) = e
            .split_once(' ')
            .ok_or_else(|| crate::StoreError::Data(format!("ticket {ticket_id}: event {e:?}")))?;
        let at = at
            .parse()
            .map_err(|_| crate::StoreError::Data(format!("ticket {ticket_id}: event time {at:?}")))?;
        out.push((ticket_id, at, what.to_owned()));
    }
    Ok(())
}

pub const MESSAGE_COLUMNS: &str = "id, ticket_id, kind, author_kind, author_user_id, author_contact_id, body, body_html, channel, call_direction, call_seconds, message_id, created_at";

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
pub fn filter_sql_on(f: &crate::TicketFilter, binds: &mut Vec<Bind>, id: &str) -> Vec<String> {
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
             OR EXISTS (SELECT 1 FROM customer_paths w WHERE w.ancestor_id = {r} AND w.descendant_id = t.on_behalf_of_id))"
        ));
    }
    conds.push("t.merged_into IS NULL".into());
    conds
}

#[macro_export]
macro_rules! portable_tickets {
    ($store:ty, $db:ty) => {
        mod __portable_ticket_rows {
            use ::sqlx::Row;
            use $crate::*;
            pub type DbRow = <$db as ::sqlx::Database>::Row;

            fn data<E: ::std::fmt::Display>(e: E) -> StoreError {
                StoreError::Data(e.to_string())
            }
            fn get<'r, T>(row: &'r DbRow, col: &str) -> StoreResult<T>
            where
                T: ::sqlx::Decode<'r, $db> + ::sqlx::Type<$db>,
            {
                row.try_get::<T, _>(col).map_err(super::db_err)
            }
            fn code<T>(row: &DbRow, col: &str, parse: fn(&str) -> Result<T, ::kefu_core::Invalid>) -> StoreResult<Option<T>> {
                let v: Option<String> = get(row, col)?;
                v.as_deref().map(parse).transpose().map_err(data)
            }
            fn req<T>(row: &DbRow, col: &str, parse: fn(&str) -> Result<T, ::kefu_core::Invalid>) -> StoreResult<T> {
                code(row, col, parse)?.ok_or_else(|| data(format!("{col} is empty")))
            }

            pub fn ticket(row: &DbRow) -> StoreResult<Ticket> {
                use ::kefu_core::ticket::*;
                let language: String = get(row, "language")?;
                let tags: String = get(row, "tags")?;
                let tier: String = get(row, "customer_tier")?;
                Ok(Ticket {
                    id: get(row, "id")?,
                    kind: req(row, "kind", Kind::parse)?,
                    status: req(row, "status", Status::parse)?,
                    priority: req(row, "priority", Priority::parse)?,
                    channel: req(row, "channel", Channel::parse)?,
                    language: ::kefu_core::Language::parse(&language).ok_or_else(|| data(format!("language {language:?}")))?,
                    subject: get(row, "subject")?,
                    customer_id: get(row, "customer_id")?,
                    contact_id: get(row, "contact_id")?,
                    on_behalf_of_id: get(row, "on_behalf_of_id")?,
                    department_id: get(row, "department_id")?,
                    assignee_id: get(row, "assignee_id")?,
                    created_by: get(row, "created_by")?,
                    category_id: get(row, "category_id")?,
                    product: get(row, "product")?,
                    touchpoint: get(row, "touchpoint")?,
                    classification: Classification {
                        phase: code(row, "phase", Phase::parse)?,
                        nature: code(row, "nature", Nature::parse)?,
                        place: code(row, "place", Place::parse)?,
                        fee: code(row, "fee", Fee::parse)?,
                        frequency: code(row, "frequency", Frequency::parse)?,
                    },
                    tags: ::serde_json::from_str(&tags).map_err(data)?,
                    customer_tier: ::kefu_core::rfm::ValueTier::parse(&tier).ok_or_else(|| data(format!("tier {tier:?}")))?,
                    sla_policy_id: get(row, "sla_policy_id")?,
                    sla_next_check_at: get(row, "sla_next_check_at")?,
                    sla_urgent_at: get(row, "sla_urgent_at")?,
                    root_cause: get(row, "root_cause")?,
                    remedy: code(row, "remedy", Remedy::parse)?,
                    compensation_minor: get(row, "compensation_minor")?,
                    merged_into: get(row, "merged_into")?,
                    resolved_at: get(row, "resolved_at")?,
                    closed_at: get(row, "closed_at")?,
                    created_at: get(row, "created_at")?,
                    updated_at: get(row, "updated_at")?,
                })
            }

            pub fn message(row: &DbRow) -> StoreResult<TicketMessage> {
                let kind: String = get(row, "kind")?;
                let author: String = get(row, "author_kind")?;
                Ok(TicketMessage {
                    id: get(row, "id")?,
                    ticket_id: get(row, "ticket_id")?,
                    kind: MessageKind::parse(&kind).ok_or_else(|| data(format!("message kind {kind:?}")))?,
                    author_kind: AuthorKind::parse(&author).ok_or_else(|| data(format!("author {author:?}")))?,
                    author_user_id: get(row, "author_user_id")?,
                    author_contact_id: get(row, "author_contact_id")?,
                    body: get(row, "body")?,
                    body_html: get(row, "body_html")?,
                    channel: req(row, "channel", ::kefu_core::ticket::Channel::parse)?,
                    call_direction: get(row, "call_direction")?,
                    call_seconds: get(row, "call_seconds")?,
                    message_id: get(row, "message_id")?,
                    created_at: get(row, "created_at")?,
                })
            }

            pub fn policy(row: &DbRow) -> StoreResult<SlaPolicy> {
                use ::kefu_core::ticket::*;
                let tier: Option<String> = get(row, "tier")?;
                let escalation: String = get(row, "escalation")?;
                Ok(SlaPolicy {
                    id: get(row, "id")?,
                    name: get(row, "name")?,
                    scope: ::kefu_core::sla::PolicyScope {
                        kind: code(row, "kind", Kind::parse)?,
                        priority: code(row, "priority", Priority::parse)?,
                        tier: tier.as_deref().map(|t| ::kefu_core::rfm::ValueTier::parse(t).ok_or_else(|| data(format!("tier {t:?}")))).transpose()?,
                    },
                    targets: ::kefu_core::sla::SlaTargets {
                        first_response_minutes: get(row, "first_response_minutes")?,
                        next_response_minutes: get(row, "next_response_minutes")?,
                        resolution_minutes: get(row, "resolution_minutes")?,
                        warn_share: get(row, "warn_share")?,
                    },
                    dimension: get(row, "dimension")?,
                    calendar_id: get(row, "calendar_id")?,
                    escalation: ::serde_json::from_str(&escalation).map_err(data)?,
                    is_default: get(row, "is_default")?,
                })
            }
        }

        impl $store {
            /// The rows of a ticket list, or of a search with `query` (not empty), newest first;
            /// with the `events` column when `events`.
            async fn ticket_rows(&self, query: Option<&[::kefu_core::search::QueryPart]>, f: &$crate::TicketFilter, events: bool) -> $crate::StoreResult<Vec<<$db as ::sqlx::Database>::Row>> {
                let cols = if events {
                    format!("{}, {}", $crate::portable_tickets::TICKET_COLUMNS, $crate::portable_tickets::EVENTS_COLUMN)
                } else {
                    $crate::portable_tickets::TICKET_COLUMNS.to_owned()
                };
                let mut binds = Vec::new();
                if query.is_none() && f.statuses.len() > 1 {
                    // Several statuses: the newest of each, by its (status, id) index, then the
                    // newest of those. As one `status IN (…)`, PostgreSQL walked the primary key
                    // back from the cursor and read every ticket below it when none was active there.
                    let limit = i64::from(f.limit);
                    let mut branches = Vec::with_capacity(f.statuses.len());
                    for status in &f.statuses {
                        let one = $crate::TicketFilter { statuses: vec![*status], ..f.clone() };
                        let conds = $crate::portable_tickets::filter_sql_on(&one, &mut binds, "t.id");
                        branches.push(format!("SELECT id FROM (SELECT t.id FROM tickets t WHERE {} ORDER BY t.id DESC LIMIT {limit}) b{}", conds.join(" AND "), branches.len()));
                    }
                    let sql = format!("SELECT {cols} FROM tickets t WHERE t.id IN ({}) ORDER BY t.id DESC LIMIT {limit}", branches.join(" UNION ALL "));
                    return Self::bind_all(::sqlx::query(::sqlx::AssertSqlSafe(sql)), &binds).fetch_all(self.reader()).await.map_err(db_err);
                }
                let (from, id, mut conds) = match query {
                    None => ("tickets t", "t.id", vec![]),
                    Some(q) => {
                        // The match is numbered first: the backend names its parameters before the filter's.
                        let m = Self::ticket_match_sql(q, 1);
                        binds.extend(m.texts.into_iter().map($crate::portable_tickets::Bind::Text));
                        (m.from, m.id, vec![m.cond])
                    }
                };
                conds.extend($crate::portable_tickets::filter_sql_on(f, &mut binds, id));
                binds.push($crate::portable_tickets::Bind::I64(i64::from(f.limit)));
                let sql = format!("SELECT {cols} FROM {from} WHERE {} ORDER BY {id} DESC LIMIT ${}", conds.join(" AND "), binds.len());
                Self::bind_all(::sqlx::query(::sqlx::AssertSqlSafe(sql)), &binds).fetch_all(self.reader()).await.map_err(db_err)
            }

            /// A ticket change inside a write transaction: the activity log, the row, the message,
            /// the search terms. Refused (`Conflict`) when `expect_status` no longer holds.
            async fn change_ticket_in(tx: &mut ::sqlx::Transaction<'static, $db>, id: i64, c: $crate::TicketChange, message: Option<$crate::NewMessage>, actor: &$crate::ActivityActor, now: i64) -> $crate::StoreResult<Option<$crate::TicketMessage>> {
                let old = Self::ticket_in(&mut **tx, id).await?;
                if let Some(expected) = c.expect_status {
                    if old.status != expected {
                        return Err($crate::StoreError::Conflict { what: format!("the ticket is {} now, not {}", old.status.as_str(), expected.as_str()) });
                    }
                }
                let mut log: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
                let s = |v: Option<&str>| v.map(str::to_owned);
                let n = |v: Option<i64>| v.map(|x| x.to_string());
                if let Some(v) = c.status.filter(|v| *v != old.status) { log.push(("status", s(Some(old.status.as_str())), s(Some(v.as_str())))); }
                if let Some(v) = c.priority.filter(|v| *v != old.priority) { log.push(("priority", s(Some(old.priority.as_str())), s(Some(v.as_str())))); }
                if let Some(v) = c.department_id.filter(|v| *v != old.department_id) { log.push(("department_id", n(Some(old.department_id)), n(Some(v)))); }
                if let Some(v) = c.assignee_id.filter(|v| *v != old.assignee_id) { log.push(("assignee_id", n(old.assignee_id), n(v))); }
                if let Some(v) = c.kind.filter(|v| *v != old.kind) { log.push(("kind", s(Some(old.kind.as_str())), s(Some(v.as_str())))); }
                if let Some(v) = c.category_id.filter(|v| *v != old.category_id) { log.push(("category_id", n(old.category_id), n(v))); }
                if let Some(v) = c.product.as_ref().filter(|v| **v != old.product) { log.push(("product", Some(old.product.clone()), Some(v.clone()))); }
                if let Some(v) = c.subject.as_ref().filter(|v| **v != old.subject) { log.push(("subject", Some(old.subject.clone()), Some(v.clone()))); }
                if let Some(v) = c.tags.as_ref().filter(|v| **v != old.tags) { log.push(("tags", Some(old.tags.join(", ")), Some(v.join(", ")))); }
                if let Some(v) = c.classification.filter(|v| *v != old.classification) { log.push(("classification", ::serde_json::to_string(&old.classification).ok(), ::serde_json::to_string(&v).ok())); }
                if let Some(v) = c.root_cause.as_ref().filter(|v| **v != old.root_cause) { log.push(("root_cause", old.root_cause.clone(), v.clone())); }
                if let Some(v) = c.remedy.filter(|v| *v != old.remedy) { log.push(("remedy", old.remedy.map(|r| r.as_str().to_owned()), v.map(|r| r.as_str().to_owned()))); }
                if let Some(v) = c.compensation_minor.filter(|v| *v != old.compensation_minor) { log.push(("compensation_minor", n(old.compensation_minor), n(v))); }
                if let Some(v) = c.sla_policy_id.filter(|v| *v != old.sla_policy_id) { log.push(("sla_policy_id", n(old.sla_policy_id), n(v))); }
                for (field, o, nv) in log {
                    Self::activity_in(tx, id, actor, field, o, nv, now).await?;
                }
                let status = c.status.unwrap_or(old.status);
                let resolved_at = match status {
                    ::kefu_core::ticket::Status::Resolved if old.status != status => Some(now),
                    ::kefu_core::ticket::Status::Resolved | ::kefu_core::ticket::Status::Closed => old.resolved_at,
                    _ => None,
                };
                let closed_at = match status {
                    ::kefu_core::ticket::Status::Closed if old.status != status => Some(now),
                    ::kefu_core::ticket::Status::Closed => old.closed_at,
                    _ => None,
                };
                let cl = c.classification.unwrap_or(old.classification);
                let tags = ::serde_json::to_string(c.tags.as_ref().unwrap_or(&old.tags)).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                let (next_check, urgent) = c.sla_marks.unwrap_or((old.sla_next_check_at, old.sla_urgent_at));
                ::sqlx::query("UPDATE tickets SET status = $2, priority = $3, department_id = $4, assignee_id = $5, kind = $6, category_id = $7, product = $8, subject = $9, tags = $10, phase = $11, nature = $12, place = $13, fee = $14, frequency = $15, root_cause = $16, remedy = $17, compensation_minor = $18, sla_policy_id = $19, sla_next_check_at = $20, sla_urgent_at = $21, resolved_at = $22, closed_at = $23, updated_at = $24 WHERE id = $1")
                    .bind(id).bind(status.as_str()).bind(c.priority.unwrap_or(old.priority).as_str()).bind(c.department_id.unwrap_or(old.department_id))
                    .bind(c.assignee_id.unwrap_or(old.assignee_id)).bind(c.kind.unwrap_or(old.kind).as_str()).bind(c.category_id.unwrap_or(old.category_id))
                    .bind(c.product.unwrap_or(old.product)).bind(c.subject.unwrap_or(old.subject)).bind(tags)
                    .bind(cl.phase.map(|v| v.as_str())).bind(cl.nature.map(|v| v.as_str())).bind(cl.place.map(|v| v.as_str())).bind(cl.fee.map(|v| v.as_str())).bind(cl.frequency.map(|v| v.as_str()))
                    .bind(c.root_cause.unwrap_or(old.root_cause)).bind(c.remedy.unwrap_or(old.remedy).map(|r| r.as_str())).bind(c.compensation_minor.unwrap_or(old.compensation_minor))
                    .bind(c.sla_policy_id.unwrap_or(old.sla_policy_id)).bind(next_check).bind(urgent).bind(resolved_at).bind(closed_at).bind(now)
                    .execute(&mut **tx).await.map_err(db_err)?;
                let msg = match &message {
                    Some(m) => Some(Self::message_in(tx, id, m, now).await?),
                    None => None,
                };
                if let Some(terms) = &c.terms {
                    Self::index_tickets_in(tx, &[(id, terms)]).await?;
                }
                Ok(msg)
            }

            fn bind_all<'q>(
                mut q: ::sqlx::query::Query<'q, $db, <$db as ::sqlx::Database>::Arguments>,
                binds: &'q [$crate::portable_tickets::Bind],
            ) -> ::sqlx::query::Query<'q, $db, <$db as ::sqlx::Database>::Arguments> {
                for b in binds {
                    q = match b {
                        $crate::portable_tickets::Bind::I64(v) => q.bind(*v),
                        $crate::portable_tickets::Bind::Text(v) => q.bind(v.as_str()),
                    };
                }
                q
            }

            async fn attachments_where(&self, cond: &str, v: i64) -> $crate::StoreResult<Vec<$crate::Attachment>> {
                let rows: Vec<(i64, i64, Option<i64>, String, String, i64, String, Option<String>, bool, bool, Option<i64>, i64)> = ::sqlx::query_as(::sqlx::AssertSqlSafe(format!(
                    "SELECT id, ticket_id, message_id, filename, content_type, size, sha256, content_id, inline, data IS NOT NULL, uploaded_by, created_at FROM attachments WHERE {cond} ORDER BY id")))
                    .bind(v).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, ticket_id, message_id, filename, content_type, size, sha256, content_id, inline, in_database, uploaded_by, created_at)| $crate::Attachment {
                    id, ticket_id, message_id, filename, content_type, size, sha256, content_id, inline, in_database, uploaded_by, created_at,
                }).collect())
            }

            async fn activity_in(tx: &mut ::sqlx::Transaction<'_, $db>, ticket_id: i64, actor: &$crate::ActivityActor, field: &str, old: Option<String>, new: Option<String>, now: i64) -> $crate::StoreResult<()> {
                ::sqlx::query("INSERT INTO ticket_activity (ticket_id, at, actor_id, actor, field, old_value, new_value) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(ticket_id).bind(now).bind(actor.id).bind(&actor.label).bind(field).bind(old).bind(new)
                    .execute(&mut **tx).await.map_err(db_err)?;
                Ok(())
            }

            async fn message_in(tx: &mut ::sqlx::Transaction<'_, $db>, ticket_id: i64, m: &$crate::NewMessage, now: i64) -> $crate::StoreResult<$crate::TicketMessage> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("INSERT INTO ticket_messages (ticket_id, kind, author_kind, author_user_id, author_contact_id, body, body_html, channel, call_direction, call_seconds, message_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {}", $crate::portable_tickets::MESSAGE_COLUMNS)))
                    .bind(ticket_id).bind(m.kind.as_str()).bind(m.author_kind.as_str()).bind(m.author_user_id).bind(m.author_contact_id)
                    .bind(&m.body).bind(&m.body_html).bind(m.channel.as_str()).bind(&m.call_direction).bind(m.call_seconds).bind(&m.message_id).bind(now)
                    .fetch_one(&mut **tx).await.map_err(db_err)?;
                __portable_ticket_rows::message(&row)
            }

            async fn ticket_in<'e, E>(ex: E, id: i64) -> $crate::StoreResult<$crate::Ticket>
            where
                E: ::sqlx::Executor<'e, Database = $db>,
            {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM tickets t WHERE t.id = $1", $crate::portable_tickets::TICKET_COLUMNS)))
                    .bind(id).fetch_one(ex).await.map_err(db_err)?;
                __portable_ticket_rows::ticket(&row)
            }
        }

        #[::async_trait::async_trait]
        impl $crate::Tickets for $store {
            async fn create_tickets(&self, tickets: &[$crate::NewTicket]) -> $crate::StoreResult<Vec<$crate::Ticket>> {
                if tickets.is_empty() {
                    return Ok(vec![]);
                }
                // A batch is a handful of multi-row statements, whatever its size: on SQLite every
                // statement is a hand-off to the connection's thread and back.
                let returning = $crate::portable_tickets::TICKET_COLUMNS.replace("t.", "");
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let mut out = Vec::with_capacity(tickets.len());
                for chunk in tickets.chunks(500) {
                    let sql = format!("INSERT INTO tickets (kind, status, priority, channel, language, subject, customer_id, contact_id, on_behalf_of_id, department_id, assignee_id, created_by, category_id, product, touchpoint, phase, nature, place, fee, frequency, tags, customer_tier, sla_policy_id, sla_next_check_at, sla_urgent_at, follow_token_hash, resolved_at, closed_at, created_at, updated_at) VALUES {} RETURNING {returning}",
                        $crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, chunk.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
                    let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                    for t in chunk {
                        let c = &t.classification;
                        let tags = ::serde_json::to_string(&t.tags).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                        let closed_at = (t.status == ::kefu_core::ticket::Status::Closed).then(|| t.last_moved_to(::kefu_core::ticket::Status::Closed).unwrap_or(t.now));
                        let resolved_at = match t.status {
                            ::kefu_core::ticket::Status::Resolved => Some(t.last_moved_to(t.status).unwrap_or(t.now)),
                            ::kefu_core::ticket::Status::Closed => t.last_moved_to(::kefu_core::ticket::Status::Resolved),
                            _ => None,
                        };
                        q = q.bind(t.kind.as_str()).bind(t.status.as_str()).bind(t.priority.as_str()).bind(t.channel.as_str()).bind(t.language.code()).bind(&t.subject)
                            .bind(t.customer_id).bind(t.contact_id).bind(t.on_behalf_of_id).bind(t.department_id).bind(t.assignee_id).bind(t.created_by).bind(t.category_id)
                            .bind(&t.product).bind(&t.touchpoint)
                            .bind(c.phase.map(|v| v.as_str())).bind(c.nature.map(|v| v.as_str())).bind(c.place.map(|v| v.as_str())).bind(c.fee.map(|v| v.as_str())).bind(c.frequency.map(|v| v.as_str()))
                            .bind(tags).bind(t.customer_tier.as_str()).bind(t.sla_policy_id).bind(t.sla_next_check_at).bind(t.sla_urgent_at).bind(&t.follow_token_hash)
                            .bind(resolved_at).bind(closed_at).bind(t.now).bind(t.updated_at());
                    }
                    let mut created = q.fetch_all(&mut *tx).await.map_err(db_err)?.iter().map(__portable_ticket_rows::ticket).collect::<$crate::StoreResult<Vec<_>>>()?;
                    // The ids follow the rows' order; RETURNING need not.
                    created.sort_by_key(|t| t.id);
                    if created.len() != chunk.len() {
                        return Err($crate::StoreError::Data(format!("{} tickets written of {}", created.len(), chunk.len())));
                    }
                    let mut messages: Vec<(i64, &$crate::NewMessage, i64)> = Vec::new();
                    let mut activity: Vec<(i64, &$crate::ActivityActor, &str, Option<&str>, &str, i64)> = Vec::new();
                    for (row, t) in created.iter().zip(chunk) {
                        messages.push((row.id, &t.first_message, t.now));
                        activity.push((row.id, &t.actor, "created", None, t.filed_status().as_str(), t.now));
                        for (at, step) in &t.history {
                            match step {
                                $crate::PastStep::Message(m) => messages.push((row.id, m, *at)),
                                $crate::PastStep::Status { from, to } => activity.push((row.id, &t.actor, "status", Some(from.as_str()), to.as_str(), *at)),
                            }
                        }
                    }
                    for part in messages.chunks(500) {
                        let sql = format!("INSERT INTO ticket_messages (ticket_id, kind, author_kind, author_user_id, author_contact_id, body, body_html, channel, call_direction, call_seconds, message_id, created_at) VALUES {}",
                            $crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, part.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
                        let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                        for (id, m, at) in part {
                            q = q.bind(*id).bind(m.kind.as_str()).bind(m.author_kind.as_str()).bind(m.author_user_id).bind(m.author_contact_id)
                                .bind(&m.body).bind(&m.body_html).bind(m.channel.as_str()).bind(&m.call_direction).bind(m.call_seconds).bind(&m.message_id).bind(*at);
                        }
                        q.execute(&mut *tx).await.map_err(db_err)?;
                    }
                    for part in activity.chunks(500) {
                        let sql = format!("INSERT INTO ticket_activity (ticket_id, at, actor_id, actor, field, old_value, new_value) VALUES {}",
                            $crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, part.len(), "(?, ?, ?, ?, ?, ?, ?)"));
                        let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                        for (id, actor, field, old, new, at) in part {
                            q = q.bind(*id).bind(*at).bind(actor.id).bind(&actor.label).bind(*field).bind(*old).bind(*new);
                        }
                        q.execute(&mut *tx).await.map_err(db_err)?;
                    }
                    let terms: Vec<(i64, &::kefu_core::search::IndexTerms)> = created.iter().zip(chunk).map(|(row, t)| (row.id, &t.terms)).collect();
                    Self::index_tickets_in(&mut tx, &terms).await?;
                    out.extend(created);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn get_ticket(&self, id: i64) -> $crate::StoreResult<$crate::Ticket> {
                Self::ticket_in(self.reader(), id).await
            }
            async fn ticket_by_follow_token(&self, token_hash: &str) -> $crate::StoreResult<$crate::Ticket> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM tickets t WHERE t.follow_token_hash = $1", $crate::portable_tickets::TICKET_COLUMNS)))
                    .bind(token_hash).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_ticket_rows::ticket(&row)
            }
            async fn list_tickets(&self, f: &$crate::TicketFilter) -> $crate::StoreResult<Vec<$crate::Ticket>> {
                Self::ticket_rows(self, None, f, false).await?.iter().map(__portable_ticket_rows::ticket).collect()
            }
            async fn search_tickets(&self, query: &[::kefu_core::search::QueryPart], f: &$crate::TicketFilter) -> $crate::StoreResult<Vec<$crate::Ticket>> {
                if query.is_empty() {
                    return Ok(vec![]);
                }
                Self::ticket_rows(self, Some(query), f, false).await?.iter().map(__portable_ticket_rows::ticket).collect()
            }
            async fn ticket_page(&self, query: Option<&[::kefu_core::search::QueryPart]>, f: &$crate::TicketFilter) -> $crate::StoreResult<$crate::TicketPage> {
                if query.is_some_and(|q| q.is_empty()) {
                    return Ok($crate::TicketPage::default());
                }
                let mut page = $crate::TicketPage::default();
                for row in Self::ticket_rows(self, query, f, true).await? {
                    let t = __portable_ticket_rows::ticket(&row)?;
                    let events: Option<String> = ::sqlx::Row::try_get(&row, "events").map_err(db_err)?;
                    $crate::portable_tickets::split_events(t.id, events.as_deref().unwrap_or(""), &mut page.events)?;
                    page.tickets.push(t);
                }
                Ok(page)
            }
            async fn change_ticket(&self, id: i64, c: $crate::TicketChange, message: Option<$crate::NewMessage>, actor: &$crate::ActivityActor, now: i64) -> $crate::StoreResult<($crate::Ticket, Option<$crate::TicketMessage>)> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let msg = Self::change_ticket_in(&mut tx, id, c, message, actor, now).await?;
                let out = Self::ticket_in(&mut *tx, id).await?;
                tx.commit().await.map_err(db_err)?;
                Ok((out, msg))
            }
            async fn apply_sweep(&self, changes: &[$crate::SweepChange], actor: &$crate::ActivityActor, now: i64) -> $crate::StoreResult<()> {
                if changes.is_empty() {
                    return Ok(());
                }
                let mut tx = self.write_tx().await.map_err(db_err)?;
                // Which priority and assignee changes still apply: read back in the transaction.
                let mut applied: Vec<(i64, &'static str, Option<String>, Option<String>)> = Vec::new();
                for chunk in changes.chunks(300) {
                    // Led by the ids (primary key), each value looked up in v: an UPDATE … FROM
                    // (VALUES …) made SQLite scan every ticket for each chunk.
                    let sql = format!("WITH v (id, old_priority, new_priority, old_assignee, new_assignee, next_check, urgent) AS (VALUES {}) \
                        UPDATE tickets SET \
                        priority = CASE WHEN priority = (SELECT old_priority FROM v WHERE v.id = tickets.id) THEN (SELECT new_priority FROM v WHERE v.id = tickets.id) ELSE priority END, \
                        assignee_id = CASE WHEN assignee_id IS NOT DISTINCT FROM (SELECT old_assignee FROM v WHERE v.id = tickets.id) THEN (SELECT new_assignee FROM v WHERE v.id = tickets.id) ELSE assignee_id END, \
                        sla_next_check_at = (SELECT next_check FROM v WHERE v.id = tickets.id), sla_urgent_at = (SELECT urgent FROM v WHERE v.id = tickets.id), updated_at = {now} \
                        WHERE id IN (SELECT id FROM v) \
                        RETURNING id, priority, assignee_id",
                        $crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, chunk.len(), "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))"));
                    let mut q = ::sqlx::query_as::<_, (i64, String, Option<i64>)>(::sqlx::AssertSqlSafe(sql));
                    for c in chunk {
                        q = q.bind(c.id).bind(c.old_priority.as_str()).bind(c.priority.as_str()).bind(c.old_assignee).bind(c.assignee).bind(c.next_check_at).bind(c.urgent_at);
                    }
                    let after: ::std::collections::HashMap<i64, (String, Option<i64>)> = q.fetch_all(&mut *tx).await.map_err(db_err)?
                        .into_iter().map(|(id, p, a)| (id, (p, a))).collect();
                    for c in chunk {
                        let Some((p, a)) = after.get(&c.id) else { continue };
                        if c.priority != c.old_priority && *p == c.priority.as_str() {
                            applied.push((c.id, "priority", Some(c.old_priority.as_str().to_owned()), Some(p.clone())));
                        }
                        if c.assignee != c.old_assignee && *a == c.assignee {
                            applied.push((c.id, "assignee_id", c.old_assignee.map(|x| x.to_string()), a.map(|x| x.to_string())));
                        }
                    }
                }
                for chunk in applied.chunks(200) {
                    let sql = format!("INSERT INTO ticket_activity (ticket_id, at, actor_id, actor, field, old_value, new_value) VALUES {}",
                        $crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, chunk.len(), "(?, ?, ?, ?, ?, ?, ?)"));
                    let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                    for (id, field, old, new) in chunk {
                        q = q.bind(*id).bind(now).bind(actor.id).bind(&actor.label).bind(*field).bind(old).bind(new);
                    }
                    q.execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }
            async fn tickets_by_ids(&self, ids: &[i64]) -> $crate::StoreResult<Vec<$crate::Ticket>> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(500) {
                    let sql = format!("SELECT {} FROM tickets t WHERE t.id IN {} ORDER BY t.id", $crate::portable_tickets::TICKET_COLUMNS, $crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len()));
                    let mut q = ::sqlx::query(::sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    for row in q.fetch_all(self.reader()).await.map_err(db_err)? {
                        out.push(__portable_ticket_rows::ticket(&row)?);
                    }
                }
                Ok(out)
            }
            async fn ticket_messages(&self, id: i64) -> $crate::StoreResult<Vec<$crate::TicketMessage>> {
                let rows = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM ticket_messages WHERE ticket_id = $1 ORDER BY id", $crate::portable_tickets::MESSAGE_COLUMNS)))
                    .bind(id).fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_ticket_rows::message).collect()
            }
            async fn ticket_by_message_id(&self, message_id: &str) -> $crate::StoreResult<$crate::Ticket> {
                let row = ::sqlx::query(::sqlx::AssertSqlSafe(format!("SELECT {} FROM tickets t WHERE t.id = (SELECT ticket_id FROM ticket_messages WHERE message_id = $1 UNION ALL SELECT ticket_id FROM notifications WHERE message_id = $1 AND ticket_id IS NOT NULL LIMIT 1)", $crate::portable_tickets::TICKET_COLUMNS)))
                    .bind(message_id).fetch_one(self.reader()).await.map_err(db_err)?;
                __portable_ticket_rows::ticket(&row)
            }
            async fn record_notification(&self, n: &$crate::Notification) -> $crate::StoreResult<i64> {
                ::sqlx::query_scalar("INSERT INTO notifications (ticket_id, event, recipient, language, subject, message_id, status, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                    .bind(n.ticket_id).bind(&n.event).bind(&n.recipient).bind(n.language.code()).bind(&n.subject).bind(&n.message_id).bind(&n.status).bind(&n.detail).bind(n.created_at)
                    .fetch_one(self.writer()).await.map_err(db_err)
            }
            async fn add_attachments(&self, files: &[$crate::NewAttachment]) -> $crate::StoreResult<Vec<$crate::Attachment>> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let mut ids = Vec::with_capacity(files.len());
                for f in files {
                    let id: i64 = ::sqlx::query_scalar("INSERT INTO attachments (ticket_id, message_id, filename, content_type, size, sha256, content_id, inline, data, uploaded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
                        .bind(f.ticket_id).bind(f.message_id).bind(&f.filename).bind(&f.content_type).bind(f.size).bind(&f.sha256).bind(&f.content_id).bind(f.inline).bind(&f.data_base64).bind(f.uploaded_by).bind(f.now)
                        .fetch_one(&mut *tx).await.map_err(db_err)?;
                    ids.push(id);
                }
                tx.commit().await.map_err(db_err)?;
                let mut out = Vec::with_capacity(ids.len());
                for id in ids {
                    out.push(self.attachment(id).await?);
                }
                Ok(out)
            }
            async fn attachment(&self, id: i64) -> $crate::StoreResult<$crate::Attachment> {
                let rows = self.attachments_where("id = $1", id).await?;
                rows.into_iter().next().ok_or($crate::StoreError::NotFound)
            }
            async fn attachment_data(&self, id: i64) -> $crate::StoreResult<Option<String>> {
                ::sqlx::query_scalar("SELECT data FROM attachments WHERE id = $1")
                    .bind(id).fetch_one(self.reader()).await.map_err(db_err)
            }
            async fn attachments_of(&self, ticket_id: i64) -> $crate::StoreResult<Vec<$crate::Attachment>> {
                self.attachments_where("ticket_id = $1", ticket_id).await
            }
            async fn categories(&self) -> $crate::StoreResult<Vec<$crate::Category>> {
                let rows: Vec<(i64, Option<i64>, String, String, i64)> = ::sqlx::query_as("SELECT id, parent_id, name_en, name_zh, created_at FROM categories ORDER BY id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, parent_id, name_en, name_zh, created_at)| $crate::Category { id, parent_id, name_en, name_zh, created_at }).collect())
            }
            async fn create_category(&self, parent_id: Option<i64>, name_en: &str, name_zh: &str, now: i64) -> $crate::StoreResult<$crate::Category> {
                let id: i64 = ::sqlx::query_scalar("INSERT INTO categories (parent_id, name_en, name_zh, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(parent_id).bind(name_en).bind(name_zh).bind(now).fetch_one(self.writer()).await.map_err(db_err)?;
                Ok($crate::Category { id, parent_id, name_en: name_en.to_owned(), name_zh: name_zh.to_owned(), created_at: now })
            }
            async fn add_incident_step(&self, ticket_id: i64, at: i64, body: &str, author: Option<i64>, now: i64) -> $crate::StoreResult<$crate::IncidentStep> {
                let id: i64 = ::sqlx::query_scalar("INSERT INTO incident_steps (ticket_id, at, body, author_user_id, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                    .bind(ticket_id).bind(at).bind(body).bind(author).bind(now).fetch_one(self.writer()).await.map_err(db_err)?;
                Ok($crate::IncidentStep { id, ticket_id, at, body: body.to_owned(), author_user_id: author, created_at: now })
            }
            async fn incident_steps(&self, ticket_id: i64) -> $crate::StoreResult<Vec<$crate::IncidentStep>> {
                let rows: Vec<(i64, i64, i64, String, Option<i64>, i64)> = ::sqlx::query_as("SELECT id, ticket_id, at, body, author_user_id, created_at FROM incident_steps WHERE ticket_id = $1 ORDER BY at, id")
                    .bind(ticket_id).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, ticket_id, at, body, author_user_id, created_at)| $crate::IncidentStep { id, ticket_id, at, body, author_user_id, created_at }).collect())
            }
            async fn add_incident_share(&self, ticket_id: i64, token_hash: &str, now: i64) -> $crate::StoreResult<()> {
                ::sqlx::query("INSERT INTO incident_shares (token_hash, ticket_id, created_at) VALUES ($1, $2, $3)")
                    .bind(token_hash).bind(ticket_id).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(())
            }
            async fn incident_by_share(&self, token_hash: &str) -> $crate::StoreResult<i64> {
                ::sqlx::query_scalar("SELECT ticket_id FROM incident_shares WHERE token_hash = $1 AND revoked_at IS NULL")
                    .bind(token_hash).fetch_one(self.reader()).await.map_err(db_err)
            }
            async fn revoke_incident_shares(&self, ticket_id: i64, now: i64) -> $crate::StoreResult<u64> {
                let r = ::sqlx::query("UPDATE incident_shares SET revoked_at = $2 WHERE ticket_id = $1 AND revoked_at IS NULL")
                    .bind(ticket_id).bind(now).execute(self.writer()).await.map_err(db_err)?;
                Ok(r.rows_affected())
            }
            async fn commitments(&self) -> $crate::StoreResult<Vec<$crate::Commitment>> {
                let rows: Vec<(i64, String, String, String, Option<String>, i64, i64, bool, i64, i64, i64)> = ::sqlx::query_as("SELECT id, title_en, title_zh, metric, kind, within_minutes, target_percent, published, position, created_at, updated_at FROM commitments ORDER BY position, id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.into_iter().map(|(id, title_en, title_zh, metric, kind, within_minutes, target_percent, published, position, created_at, updated_at)| {
                    Ok($crate::Commitment {
                        id, title_en, title_zh,
                        metric: ::kefu_core::commitment::CommitmentMetric::parse(&metric).map_err(|e| $crate::StoreError::Data(e.to_string()))?,
                        kind: kind.as_deref().map(::kefu_core::ticket::Kind::parse).transpose().map_err(|e| $crate::StoreError::Data(e.to_string()))?,
                        within_minutes, target_percent, published, position, created_at, updated_at,
                    })
                }).collect()
            }
            async fn save_commitment(&self, c: &$crate::Commitment) -> $crate::StoreResult<$crate::Commitment> {
                let id: i64 = if c.id == 0 {
                    ::sqlx::query_scalar("INSERT INTO commitments (title_en, title_zh, metric, kind, within_minutes, target_percent, published, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id")
                        .bind(&c.title_en).bind(&c.title_zh).bind(c.metric.as_str()).bind(c.kind.map(|k| k.as_str())).bind(c.within_minutes).bind(c.target_percent).bind(c.published).bind(c.position).bind(c.updated_at)
                        .fetch_one(self.writer()).await.map_err(db_err)?
                } else {
                    ::sqlx::query_scalar("UPDATE commitments SET title_en = $2, title_zh = $3, metric = $4, kind = $5, within_minutes = $6, target_percent = $7, published = $8, position = $9, updated_at = $10 WHERE id = $1 RETURNING id")
                        .bind(c.id).bind(&c.title_en).bind(&c.title_zh).bind(c.metric.as_str()).bind(c.kind.map(|k| k.as_str())).bind(c.within_minutes).bind(c.target_percent).bind(c.published).bind(c.position).bind(c.updated_at)
                        .fetch_one(self.writer()).await.map_err(db_err)?
                };
                self.commitments().await?.into_iter().find(|x| x.id == id).ok_or($crate::StoreError::NotFound)
            }
            async fn delete_commitment(&self, id: i64) -> $crate::StoreResult<()> {
                let r = ::sqlx::query("DELETE FROM commitments WHERE id = $1").bind(id).execute(self.writer()).await.map_err(db_err)?;
                if r.rows_affected() == 0 { Err($crate::StoreError::NotFound) } else { Ok(()) }
            }
            async fn commitment_facts(&self, since: i64, kind: Option<::kefu_core::ticket::Kind>, metric: ::kefu_core::commitment::CommitmentMetric) -> $crate::StoreResult<Vec<(i64, Option<i64>, Option<i64>)>> {
                let done = match metric {
                    ::kefu_core::commitment::CommitmentMetric::FirstResponse => "(SELECT MIN(m.created_at) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.author_kind = 'agent' AND m.kind IN ('public', 'call'))",
                    ::kefu_core::commitment::CommitmentMetric::Resolution => "(SELECT MIN(a.at) FROM ticket_activity a WHERE a.ticket_id = t.id AND a.field = 'status' AND a.new_value = 'resolved')",
                };
                let sql = format!("SELECT t.created_at, {done}, t.sla_policy_id FROM tickets t WHERE t.created_at >= $1 AND ($2 IS NULL OR t.kind = $2) AND t.merged_into IS NULL");
                ::sqlx::query_as(::sqlx::AssertSqlSafe(sql))
                    .bind(since).bind(kind.map(|k| k.as_str())).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn index_tickets(&self, terms: &[(i64, ::kefu_core::search::IndexTerms)]) -> $crate::StoreResult<()> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let rows: Vec<(i64, &::kefu_core::search::IndexTerms)> = terms.iter().map(|(id, t)| (*id, t)).collect();
                Self::index_tickets_in(&mut tx, &rows).await?;
                tx.commit().await.map_err(db_err)
            }
            async fn macros(&self) -> $crate::StoreResult<Vec<$crate::Macro>> {
                let rows: Vec<(i64, String, String, String, String, String, Option<i64>, i64, i64)> = ::sqlx::query_as("SELECT id, title_en, title_zh, body_en, body_zh, actions, created_by, created_at, updated_at FROM macros ORDER BY title_en, id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.into_iter().map(|(id, title_en, title_zh, body_en, body_zh, actions, created_by, created_at, updated_at)| Ok($crate::Macro {
                    id, title_en, title_zh, body_en, body_zh,
                    actions: ::serde_json::from_str(&actions).map_err(|e| $crate::StoreError::Data(e.to_string()))?,
                    created_by, created_at, updated_at,
                })).collect()
            }
            async fn save_macro(&self, m: &$crate::Macro) -> $crate::StoreResult<$crate::Macro> {
                let actions = m.actions.to_string();
                let id: i64 = if m.id == 0 {
                    ::sqlx::query_scalar("INSERT INTO macros (title_en, title_zh, body_en, body_zh, actions, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id")
                        .bind(&m.title_en).bind(&m.title_zh).bind(&m.body_en).bind(&m.body_zh).bind(&actions).bind(m.created_by).bind(m.updated_at)
                        .fetch_one(self.writer()).await.map_err(db_err)?
                } else {
                    ::sqlx::query_scalar("UPDATE macros SET title_en = $2, title_zh = $3, body_en = $4, body_zh = $5, actions = $6, updated_at = $7 WHERE id = $1 RETURNING id")
                        .bind(m.id).bind(&m.title_en).bind(&m.title_zh).bind(&m.body_en).bind(&m.body_zh).bind(&actions).bind(m.updated_at)
                        .fetch_one(self.writer()).await.map_err(db_err)?
                };
                self.macros().await?.into_iter().find(|x| x.id == id).ok_or($crate::StoreError::NotFound)
            }
            async fn delete_macro(&self, id: i64) -> $crate::StoreResult<()> {
                let r = ::sqlx::query("DELETE FROM macros WHERE id = $1").bind(id).execute(self.writer()).await.map_err(db_err)?;
                if r.rows_affected() == 0 { Err($crate::StoreError::NotFound) } else { Ok(()) }
            }
            async fn saved_views(&self, user_id: i64) -> $crate::StoreResult<Vec<$crate::SavedView>> {
                let rows: Vec<(i64, Option<i64>, String, String, i64)> = ::sqlx::query_as("SELECT id, user_id, name, query, created_at FROM saved_views WHERE user_id = $1 OR user_id IS NULL ORDER BY name, id")
                    .bind(user_id).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, user_id, name, query, created_at)| $crate::SavedView { id, user_id, name, query, created_at }).collect())
            }
            async fn create_saved_view(&self, v: &$crate::SavedView) -> $crate::StoreResult<$crate::SavedView> {
                let id: i64 = ::sqlx::query_scalar("INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                    .bind(v.user_id).bind(&v.name).bind(&v.query).bind(v.created_at).fetch_one(self.writer()).await.map_err(db_err)?;
                Ok($crate::SavedView { id, ..v.clone() })
            }
            async fn delete_saved_view(&self, id: i64, user_id: Option<i64>) -> $crate::StoreResult<()> {
                let r = ::sqlx::query("DELETE FROM saved_views WHERE id = $1 AND (user_id = $2 OR ($2 IS NULL AND user_id IS NULL))")
                    .bind(id).bind(user_id).execute(self.writer()).await.map_err(db_err)?;
                if r.rows_affected() == 0 { Err($crate::StoreError::NotFound) } else { Ok(()) }
            }
            async fn notifications_of(&self, ticket_id: i64) -> $crate::StoreResult<Vec<$crate::Notification>> {
                let rows: Vec<(i64, Option<i64>, String, String, String, String, Option<String>, String, String, i64)> = ::sqlx::query_as("SELECT id, ticket_id, event, recipient, language, subject, message_id, status, detail, created_at FROM notifications WHERE ticket_id = $1 ORDER BY id")
                    .bind(ticket_id).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, ticket_id, event, recipient, language, subject, message_id, status, detail, created_at)| $crate::Notification {
                    id, ticket_id, event, recipient, language: ::kefu_core::Language::parse(&language).unwrap_or(::kefu_core::Language::ZhCn), subject, message_id, status, detail, created_at,
                }).collect())
            }
            async fn ticket_activity(&self, id: i64) -> $crate::StoreResult<Vec<$crate::Activity>> {
                let rows: Vec<(i64, i64, i64, Option<i64>, String, String, Option<String>, Option<String>)> = ::sqlx::query_as("SELECT id, ticket_id, at, actor_id, actor, field, old_value, new_value FROM ticket_activity WHERE ticket_id = $1 ORDER BY id")
                    .bind(id).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, ticket_id, at, actor_id, actor, field, old_value, new_value)| $crate::Activity { id, ticket_id, at, actor_id, actor, field, old_value, new_value }).collect())
            }
            async fn ticket_events(&self, ids: &[i64]) -> $crate::StoreResult<Vec<(i64, i64, String)>> {
                if ids.is_empty() {
                    return Ok(vec![]);
                }
                let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
                let list = list.join(", ");
                let sql = format!("SELECT ticket_id, at, what FROM (\
                    SELECT ticket_id, created_at AS at, id AS seq, 0 AS src, CASE WHEN author_kind = 'customer' THEN 'customer' ELSE 'agent' END AS what FROM ticket_messages WHERE ticket_id IN ({list}) AND kind <> 'internal' AND author_kind <> 'system' \
                    UNION ALL \
                    SELECT ticket_id, at, id AS seq, 1 AS src, 'status:' || new_value AS what FROM ticket_activity WHERE ticket_id IN ({list}) AND field = 'status'\
                    ) e ORDER BY ticket_id, at, src, seq");
                let mut q = ::sqlx::query_as::<_, (i64, i64, String)>(::sqlx::AssertSqlSafe(sql));
                for id in ids {
                    q = q.bind(*id);
                }
                q.fetch_all(self.reader()).await.map_err(db_err)
            }

            async fn calendars(&self) -> $crate::StoreResult<Vec<$crate::StoredCalendar>> {
                let rows: Vec<(i64, String, String, bool)> = ::sqlx::query_as("SELECT id, name, toml, is_default FROM calendars ORDER BY id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, name, toml, is_default)| $crate::StoredCalendar { id, name, toml, is_default }).collect())
            }
            async fn sla_policies(&self) -> $crate::StoreResult<Vec<$crate::SlaPolicy>> {
                let rows = ::sqlx::query("SELECT id, name, kind, priority, tier, first_response_minutes, next_response_minutes, resolution_minutes, warn_share, dimension, calendar_id, escalation, is_default FROM sla_policies ORDER BY id")
                    .fetch_all(self.reader()).await.map_err(db_err)?;
                rows.iter().map(__portable_ticket_rows::policy).collect()
            }
            async fn tickets_due_for_check(&self, now: i64, limit: u32) -> $crate::StoreResult<Vec<i64>> {
                ::sqlx::query_scalar("SELECT id FROM tickets WHERE sla_next_check_at IS NOT NULL AND sla_next_check_at <= $1 ORDER BY sla_next_check_at LIMIT $2")
                    .bind(now).bind(i64::from(limit)).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn log_escalations(&self, steps: &[(i64, String)], now: i64) -> $crate::StoreResult<Vec<bool>> {
                let mut out = Vec::with_capacity(steps.len());
                if steps.is_empty() {
                    return Ok(out);
                }
                let mut tx = self.write_tx().await.map_err(db_err)?;
                for chunk in steps.chunks(300) {
                    let sql = format!("INSERT INTO ticket_escalations (ticket_id, step_key, at) VALUES {} ON CONFLICT DO NOTHING RETURNING ticket_id, step_key",
                        $crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, chunk.len(), "(?, ?, ?)"));
                    let mut q = ::sqlx::query_as::<_, (i64, String)>(::sqlx::AssertSqlSafe(sql));
                    for (ticket_id, key) in chunk {
                        q = q.bind(ticket_id).bind(key).bind(now);
                    }
                    let new: ::std::collections::HashSet<(i64, String)> = q.fetch_all(&mut *tx).await.map_err(db_err)?.into_iter().collect();
                    out.extend(chunk.iter().map(|s| new.contains(s)));
                }
                tx.commit().await.map_err(db_err)?;
                Ok(out)
            }
            async fn escalations_of_tickets(&self, ids: &[i64]) -> $crate::StoreResult<Vec<(i64, String)>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let sql = format!("SELECT ticket_id, step_key FROM ticket_escalations WHERE ticket_id IN {} ORDER BY ticket_id, at, step_key", $crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len()));
                    let mut q = ::sqlx::query_as(::sqlx::AssertSqlSafe(sql));
                    for id in chunk {
                        q = q.bind(*id);
                    }
                    out.extend(q.fetch_all(self.reader()).await.map_err(db_err)?);
                }
                Ok(out)
            }
            async fn escalations_of(&self, ticket_id: i64) -> $crate::StoreResult<Vec<String>> {
                ::sqlx::query_scalar("SELECT step_key FROM ticket_escalations WHERE ticket_id = $1 ORDER BY at, step_key")
                    .bind(ticket_id).fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn department_agent_loads(&self, department_id: i64) -> $crate::StoreResult<Vec<(i64, u32)>> {
                let rows: Vec<(i64, i64)> = ::sqlx::query_as("SELECT u.id, (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id AND t.status IN ('new', 'open', 'pending')) FROM users u JOIN user_departments d ON d.user_id = u.id WHERE d.department_id = $1 AND u.role = 'agent' AND u.disabled = FALSE ORDER BY u.id")
                    .bind(department_id).fetch_all(self.reader()).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(id, n)| (id, u32::try_from(n.max(0)).unwrap_or(u32::MAX))).collect())
            }
            async fn save_calendar(&self, name: &str, toml: &str, now: i64) -> $crate::StoreResult<$crate::StoredCalendar> {
                let (id, name, toml, is_default): (i64, String, String, bool) = ::sqlx::query_as("INSERT INTO calendars (name, toml, is_default, created_at, updated_at) VALUES ($1, $2, FALSE, $3, $3) \
                    ON CONFLICT (name) DO UPDATE SET toml = excluded.toml, updated_at = excluded.updated_at RETURNING id, name, toml, is_default")
                    .bind(name).bind(toml).bind(now).fetch_one(self.writer()).await.map_err(db_err)?;
                Ok($crate::StoredCalendar { id, name, toml, is_default })
            }
            async fn save_sla_policy(&self, p: &$crate::SlaPolicy, now: i64) -> $crate::StoreResult<$crate::SlaPolicy> {
                let escalation = ::serde_json::to_string(&p.escalation).map_err(|e| $crate::StoreError::Data(e.to_string()))?;
                let t = &p.targets;
                let sql = if p.id == 0 {
                    "INSERT INTO sla_policies (name, kind, priority, tier, first_response_minutes, next_response_minutes, resolution_minutes, warn_share, dimension, calendar_id, escalation, is_default, created_at, updated_at) \
                     VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, FALSE, $13, $13) RETURNING id"
                } else {
                    "UPDATE sla_policies SET name = $2, kind = $3, priority = $4, tier = $5, first_response_minutes = $6, next_response_minutes = $7, resolution_minutes = $8, \
                     warn_share = $9, dimension = $10, calendar_id = $11, escalation = $12, updated_at = $13 WHERE id = $1 RETURNING id"
                };
                let id: i64 = ::sqlx::query_scalar(sql)
                    .bind(p.id).bind(&p.name).bind(p.scope.kind.map(|k| k.as_str())).bind(p.scope.priority.map(|k| k.as_str())).bind(p.scope.tier.map(|k| k.as_str()))
                    .bind(t.first_response_minutes).bind(t.next_response_minutes).bind(t.resolution_minutes).bind(t.warn_share)
                    .bind(&p.dimension).bind(p.calendar_id).bind(escalation).bind(now)
                    .fetch_optional(self.writer()).await.map_err(db_err)?.ok_or($crate::StoreError::NotFound)?;
                let row = ::sqlx::query("SELECT id, name, kind, priority, tier, first_response_minutes, next_response_minutes, resolution_minutes, warn_share, dimension, calendar_id, escalation, is_default FROM sla_policies WHERE id = $1")
                    .bind(id).fetch_one(self.writer()).await.map_err(db_err)?;
                __portable_ticket_rows::policy(&row)
            }
            async fn delete_sla_policy(&self, id: i64) -> $crate::StoreResult<()> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                let is_default: Option<bool> = ::sqlx::query_scalar("SELECT is_default FROM sla_policies WHERE id = $1").bind(id).fetch_optional(&mut *tx).await.map_err(db_err)?;
                match is_default {
                    None => return Err($crate::StoreError::NotFound),
                    Some(true) => return Err($crate::StoreError::Refused("the default policy stays: every ticket needs one to fall back on".into())),
                    Some(false) => {}
                }
                let used: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE sla_policy_id = $1").bind(id).fetch_one(&mut *tx).await.map_err(db_err)?;
                if used > 0 {
                    return Err($crate::StoreError::Refused(format!("{used} tickets are measured by this policy; change it instead")));
                }
                ::sqlx::query("DELETE FROM sla_policies WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }
            async fn routing_rules(&self) -> $crate::StoreResult<Vec<(i64, String)>> {
                ::sqlx::query_as("SELECT id, rule FROM routing_rules WHERE active = TRUE ORDER BY position, id")
                    .fetch_all(self.reader()).await.map_err(db_err)
            }
            async fn replace_routing_rules(&self, rules: &[String], now: i64) -> $crate::StoreResult<()> {
                let mut tx = self.write_tx().await.map_err(db_err)?;
                ::sqlx::query("DELETE FROM routing_rules").execute(&mut *tx).await.map_err(db_err)?;
                for (i, r) in rules.iter().enumerate() {
                    ::sqlx::query("INSERT INTO routing_rules (position, rule, active, created_at, updated_at) VALUES ($1, $2, TRUE, $3, $3)")
                        .bind(i as i64).bind(r).bind(now).execute(&mut *tx).await.map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }
        }
    };
}
