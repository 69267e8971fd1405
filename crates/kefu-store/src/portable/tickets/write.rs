//! The ticket helpers the store methods share: the list query, a change inside a write transaction, messages, activity.

use super::rows;
use crate::portable::run::DbQuery;
use crate::portable::{Backend, On, Run, db_err};
use crate::{Db, DbStore};

impl DbStore {
    /// The rows of a ticket list, or of a search with `query` (not empty), newest first;
    /// with the `events` column when `events`.
    pub(crate) async fn ticket_rows(
        &self,
        query: Option<&[kefu_core::search::QueryPart]>,
        f: &kefu_store::TicketFilter,
        events: bool,
    ) -> kefu_store::StoreResult<Vec<<Db as sqlx::Database>::Row>> {
        let cols = if events {
            format!(
                "{}, {}",
                crate::portable::tickets::TICKET_COLUMNS,
                crate::portable::tickets::EVENTS_COLUMN
            )
        } else {
            crate::portable::tickets::TICKET_COLUMNS.to_owned()
        };
        let mut binds = Vec::new();
        if query.is_none() && f.statuses.len() > 1 {
            // Several statuses: the newest of each, by its (status, id) index, then the
            // newest of those. As one `status IN (…)`, PostgreSQL walked the primary key
            // back from the cursor and read every ticket below it when none was active there.
            let limit = i64::from(f.limit);
            let mut branches = Vec::with_capacity(f.statuses.len());
            for status in &f.statuses {
                let one = kefu_store::TicketFilter {
                    statuses: vec![*status],
                    ..f.clone()
                };
                let conds = crate::portable::tickets::filter_sql_on(&one, &mut binds, "t.id");
                branches.push(format!(
                    "SELECT id FROM (SELECT t.id FROM tickets t WHERE {} ORDER BY t.id DESC LIMIT {limit}) b{}",
                    conds.join(" AND "),
                    branches.len()
                ));
            }
            let sql = format!(
                "SELECT {cols} FROM tickets t WHERE t.id IN ({}) ORDER BY t.id DESC LIMIT {limit}",
                branches.join(" UNION ALL ")
            );
            return Self::bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &binds)
                .fetch_all(self.reader())
                .await
                .map_err(db_err);
        }
        let (from, id, mut conds) = match query {
            None => ("tickets t", "t.id", vec![]),
            Some(q) => {
                // The match is numbered first: the backend names its parameters before the filter's.
                let m = Self::ticket_match_sql(q, 1);
                binds.extend(m.texts.into_iter().map(crate::portable::tickets::Bind::Text));
                (m.from, m.id, vec![m.cond])
            }
        };
        conds.extend(crate::portable::tickets::filter_sql_on(f, &mut binds, id));
        binds.push(crate::portable::tickets::Bind::I64(i64::from(f.limit)));
        let sql = format!(
            "SELECT {cols} FROM {from} WHERE {} ORDER BY {id} DESC LIMIT ${}",
            conds.join(" AND "),
            binds.len()
        );
        Self::bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), &binds)
            .fetch_all(self.reader())
            .await
            .map_err(db_err)
    }

    /// A ticket change inside a write transaction: the activity log, the row, the message,
    /// the search terms. Refused (`Conflict`) when `expect_status` no longer holds.
    pub(crate) async fn change_ticket_in(
        tx: &mut sqlx::Transaction<'static, Db>,
        id: i64,
        c: kefu_store::TicketChange,
        message: Option<kefu_store::NewMessage>,
        actor: &kefu_store::ActivityActor,
        now: i64,
    ) -> kefu_store::StoreResult<Option<kefu_store::TicketMessage>> {
        let old = Self::ticket_in(&mut **tx, id).await?;
        if let Some(expected) = c.expect_status
            && old.status != expected
        {
            return Err(kefu_store::StoreError::Conflict {
                what: format!("the ticket is {} now, not {}", old.status.as_str(), expected.as_str()),
            });
        }
        let mut log: Vec<(&str, Option<String>, Option<String>)> = Vec::new();
        let s = |v: Option<&str>| v.map(str::to_owned);
        let n = |v: Option<i64>| v.map(|x| x.to_string());
        if let Some(v) = c.status.filter(|v| *v != old.status) {
            log.push(("status", s(Some(old.status.as_str())), s(Some(v.as_str()))));
        }
        if let Some(v) = c.priority.filter(|v| *v != old.priority) {
            log.push(("priority", s(Some(old.priority.as_str())), s(Some(v.as_str()))));
        }
        if let Some(v) = c.department_id.filter(|v| *v != old.department_id) {
            log.push(("department_id", n(Some(old.department_id)), n(Some(v))));
        }
        if let Some(v) = c.assignee_id.filter(|v| *v != old.assignee_id) {
            log.push(("assignee_id", n(old.assignee_id), n(v)));
        }
        if let Some(v) = c.kind.filter(|v| *v != old.kind) {
            log.push(("kind", s(Some(old.kind.as_str())), s(Some(v.as_str()))));
        }
        if let Some(v) = c.category_id.filter(|v| *v != old.category_id) {
            log.push(("category_id", n(old.category_id), n(v)));
        }
        if let Some((v, _)) = c.purchase.as_ref().filter(|(v, _)| *v != old.purchase_id) {
            log.push(("purchase_id", n(old.purchase_id), n(*v)));
        }
        if let Some(v) = c.subject.as_ref().filter(|v| **v != old.subject) {
            log.push(("subject", Some(old.subject.clone()), Some(v.clone())));
        }
        if let Some(v) = c.touchpoint.as_ref().filter(|v| **v != old.touchpoint) {
            log.push(("touchpoint", Some(old.touchpoint.clone()), Some(v.clone())));
        }
        if let Some(v) = c.tags.as_ref().filter(|v| **v != old.tags) {
            log.push(("tags", Some(old.tags.join(", ")), Some(v.join(", "))));
        }
        if let Some(v) = c.classification.filter(|v| *v != old.classification) {
            log.push((
                "classification",
                serde_json::to_string(&old.classification).ok(),
                serde_json::to_string(&v).ok(),
            ));
        }
        if let Some(v) = c.root_cause.as_ref().filter(|v| **v != old.root_cause) {
            log.push(("root_cause", old.root_cause.clone(), v.clone()));
        }
        if let Some(v) = c.remedy.filter(|v| *v != old.remedy) {
            log.push((
                "remedy",
                old.remedy.map(|r| r.as_str().to_owned()),
                v.map(|r| r.as_str().to_owned()),
            ));
        }
        if let Some(v) = c.compensation_minor.filter(|v| *v != old.compensation_minor) {
            log.push(("compensation_minor", n(old.compensation_minor), n(v)));
        }
        if let Some(v) = c.sla_policy_id.filter(|v| *v != old.sla_policy_id) {
            log.push(("sla_policy_id", n(old.sla_policy_id), n(v)));
        }
        for (field, o, nv) in log {
            Self::activity_in(tx, id, actor, field, o, nv, now).await?;
        }
        let status = c.status.unwrap_or(old.status);
        let resolved_at = match status {
            kefu_core::ticket::Status::Resolved if old.status != status => Some(now),
            kefu_core::ticket::Status::Resolved | kefu_core::ticket::Status::Closed => old.resolved_at,
            _ => None,
        };
        let closed_at = match status {
            kefu_core::ticket::Status::Closed if old.status != status => Some(now),
            kefu_core::ticket::Status::Closed => old.closed_at,
            _ => None,
        };
        let cl = c.classification.unwrap_or(old.classification);
        let tags = serde_json::to_string(c.tags.as_ref().unwrap_or(&old.tags))
            .map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
        let marks = c.sla_marks.unwrap_or(kefu_store::SlaMarks {
            next_check_at: old.sla_next_check_at,
            urgent_at: old.sla_urgent_at,
            due_at: old.sla_due_at,
        });
        sqlx::query(
            "UPDATE tickets SET status = $2, priority = $3, department_id = $4, assignee_id = $5, kind = $6, \
                category_id = $7, product = $8, subject = $9, tags = $10, phase = $11, nature = $12, place = $13, \
                fee = $14, frequency = $15, root_cause = $16, remedy = $17, compensation_minor = $18, \
                sla_policy_id = $19, sla_next_check_at = $20, sla_urgent_at = $21, resolved_at = $22, \
                closed_at = $23, updated_at = $24, purchase_id = $25, touchpoint = $26, sla_due_at = $27 WHERE id = $1",
        )
        .bind(id)
        .bind(status.as_str())
        .bind(c.priority.unwrap_or(old.priority).as_str())
        .bind(c.department_id.unwrap_or(old.department_id))
        .bind(c.assignee_id.unwrap_or(old.assignee_id))
        .bind(c.kind.unwrap_or(old.kind).as_str())
        .bind(c.category_id.unwrap_or(old.category_id))
        .bind(
            c.purchase
                .as_ref()
                .map_or(old.product.clone(), |(_, name)| name.clone()),
        )
        .bind(c.subject.unwrap_or(old.subject))
        .bind(tags)
        .bind(cl.phase.map(|v| v.as_str()))
        .bind(cl.nature.map(|v| v.as_str()))
        .bind(cl.place.map(|v| v.as_str()))
        .bind(cl.fee.map(|v| v.as_str()))
        .bind(cl.frequency.map(|v| v.as_str()))
        .bind(c.root_cause.unwrap_or(old.root_cause))
        .bind(c.remedy.unwrap_or(old.remedy).map(|r| r.as_str()))
        .bind(c.compensation_minor.unwrap_or(old.compensation_minor))
        .bind(c.sla_policy_id.unwrap_or(old.sla_policy_id))
        .bind(marks.next_check_at)
        .bind(marks.urgent_at)
        .bind(resolved_at)
        .bind(closed_at)
        .bind(now)
        .bind(c.purchase.as_ref().map_or(old.purchase_id, |(p, _)| *p))
        .bind(c.touchpoint.unwrap_or(old.touchpoint))
        .bind(marks.due_at)
        .run(&mut **tx)
        .await?;
        if let Some(f) = &c.facts {
            Self::fold_facts_in(tx, &[(id, f)]).await?;
        }
        let msg = match &message {
            Some(m) => Some(Self::message_in(tx, id, m, now).await?),
            None => None,
        };
        if let Some(terms) = &c.terms {
            Self::index_tickets_in(tx, &[(id, terms)]).await?;
        }
        Ok(msg)
    }

    pub(crate) fn bind_all<'q>(
        mut q: sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments>,
        binds: &'q [crate::portable::tickets::Bind],
    ) -> sqlx::query::Query<'q, Db, <Db as sqlx::Database>::Arguments> {
        for b in binds {
            q = match b {
                crate::portable::tickets::Bind::I64(v) => q.bind(*v),
                crate::portable::tickets::Bind::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }

    pub(crate) async fn attachments_where(
        &self,
        cond: &str,
        v: i64,
    ) -> kefu_store::StoreResult<Vec<kefu_store::Attachment>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT id, ticket_id, message_id, filename, content_type, size, sha256, content_id, inline, \
                data IS NOT NULL, uploaded_by, created_at, shared FROM attachments WHERE {cond} ORDER BY id"
        )))
        .bind(v)
        .all(self.reader(), rows::attachment)
        .await
    }

    pub(crate) async fn activity_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        ticket_id: i64,
        actor: &kefu_store::ActivityActor,
        field: &str,
        old: Option<String>,
        new: Option<String>,
        now: i64,
    ) -> kefu_store::StoreResult<()> {
        sqlx::query(
            "INSERT INTO ticket_activity (ticket_id, at, actor_id, actor, field, old_value, new_value) \
                VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(ticket_id)
        .bind(now)
        .bind(actor.id)
        .bind(&actor.label)
        .bind(field)
        .bind(old)
        .bind(new)
        .run(&mut **tx)
        .await?;
        Ok(())
    }

    pub(crate) async fn message_in(
        tx: &mut sqlx::Transaction<'_, Db>,
        ticket_id: i64,
        m: &kefu_store::NewMessage,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::TicketMessage> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ticket_messages (ticket_id, kind, author_kind, author_user_id, author_contact_id, body, \
                body_html, channel, call_direction, call_seconds, message_id, created_at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {}",
            crate::portable::tickets::MESSAGE_COLUMNS
        )))
        .bind_message(ticket_id, m, now)
        .one(&mut **tx, rows::message)
        .await
    }

    pub(crate) async fn ticket_in<'e>(ex: impl On<'e>, id: i64) -> kefu_store::StoreResult<kefu_store::Ticket> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM tickets t WHERE t.id = $1",
            crate::portable::tickets::TICKET_COLUMNS
        )))
        .bind(id)
        .one(ex, rows::ticket)
        .await
    }
}

/// Binds a message's values in the order of the columns of `ticket_messages` that every insert of
/// a message names: ticket, kind, author kind, author user and contact, body, HTML body, channel,
/// call direction and seconds, message id, created at.
pub(crate) trait BindMessage<'q> {
    fn bind_message(self, ticket_id: i64, m: &'q kefu_store::NewMessage, at: i64) -> Self;
}

impl<'q> BindMessage<'q> for DbQuery<'q> {
    fn bind_message(self, ticket_id: i64, m: &'q kefu_store::NewMessage, at: i64) -> Self {
        self.bind(ticket_id)
            .bind(m.kind.as_str())
            .bind(m.author_kind.as_str())
            .bind(m.author_user_id)
            .bind(m.author_contact_id)
            .bind(&m.body)
            .bind(&m.body_html)
            .bind(m.channel.as_str())
            .bind(&m.call_direction)
            .bind(m.call_seconds)
            .bind(&m.message_id)
            .bind(at)
    }
}
