//! Writes of many tickets at once: a batch of new tickets, and the changes of an SLA sweep.

use super::rows;
use super::write::BindMessage;
use crate::DbStore;
use crate::portable::{Backend, db_err};

pub(crate) async fn create_tickets(
    store: &DbStore,
    tickets: &[kefu_store::NewTicket],
) -> kefu_store::StoreResult<Vec<kefu_store::Ticket>> {
    if tickets.is_empty() {
        return Ok(vec![]);
    }
    // A batch is a handful of multi-row statements, whatever its size: on SQLite every
    // statement is a hand-off to the connection's thread and back.
    let returning = crate::portable::tickets::TICKET_COLUMNS.replace("t.", "");
    let mut tx = store.write_tx().await.map_err(db_err)?;
    let mut out = Vec::with_capacity(tickets.len());
    // What the whole batch adds to the ticket facts: one upsert at the end.
    let mut facts = std::collections::BTreeMap::new();
    for chunk in tickets.chunks(500) {
        let sql = format!(
            "INSERT INTO tickets (kind, status, priority, channel, language, subject, customer_id, contact_id, \
                on_behalf_of_id, department_id, assignee_id, created_by, category_id, purchase_id, product, touchpoint, phase, \
                nature, place, fee, frequency, tags, customer_tier, sla_policy_id, sla_next_check_at, \
                sla_urgent_at, follow_token_hash, resolved_at, closed_at, created_at, updated_at, facts, sla_due_at) VALUES {} \
                RETURNING {returning}",
            crate::portable::value_rows(
                DbStore::NUMBERED_PARAMS,
                1,
                chunk.len(),
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            )
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for t in chunk {
            let c = &t.classification;
            let tags = serde_json::to_string(&t.tags).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
            let closed_at = (t.status == kefu_core::ticket::Status::Closed)
                .then(|| t.last_moved_to(kefu_core::ticket::Status::Closed).unwrap_or(t.now));
            let resolved_at = match t.status {
                kefu_core::ticket::Status::Resolved => Some(t.last_moved_to(t.status).unwrap_or(t.now)),
                kefu_core::ticket::Status::Closed => t.last_moved_to(kefu_core::ticket::Status::Resolved),
                _ => None,
            };
            q = q
                .bind(t.kind.as_str())
                .bind(t.status.as_str())
                .bind(t.priority.as_str())
                .bind(t.channel.as_str())
                .bind(t.language.code())
                .bind(&t.subject)
                .bind(t.customer_id)
                .bind(t.contact_id)
                .bind(t.on_behalf_of_id)
                .bind(t.department_id)
                .bind(t.assignee_id)
                .bind(t.created_by)
                .bind(t.category_id)
                .bind(t.purchase_id)
                .bind(&t.product)
                .bind(&t.touchpoint)
                .bind(c.phase.map(|v| v.as_str()))
                .bind(c.nature.map(|v| v.as_str()))
                .bind(c.place.map(|v| v.as_str()))
                .bind(c.fee.map(|v| v.as_str()))
                .bind(c.frequency.map(|v| v.as_str()))
                .bind(tags)
                .bind(t.customer_tier.as_str())
                .bind(t.sla_policy_id)
                .bind(t.sla_next_check_at)
                .bind(t.sla_urgent_at)
                .bind(&t.follow_token_hash)
                .bind(resolved_at)
                .bind(closed_at)
                .bind(t.now)
                .bind(t.updated_at())
                .bind(t.facts.as_ref().map(kefu_core::facts::Contribution::to_json))
                .bind(t.sla_due_at);
            kefu_core::facts::add_delta(&mut facts, None, t.facts.as_ref());
        }
        let mut created = q
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(rows::ticket)
            .collect::<kefu_store::StoreResult<Vec<_>>>()?;
        // The ids follow the rows' order; RETURNING need not.
        created.sort_by_key(|t| t.id);
        if created.len() != chunk.len() {
            return Err(kefu_store::StoreError::Data(format!(
                "{} tickets written of {}",
                created.len(),
                chunk.len()
            )));
        }
        let mut messages: Vec<(i64, &kefu_store::NewMessage, i64)> = Vec::new();
        // (ticket, actor, field, old value, new value, at)
        type ActivityRow<'a> = (
            i64,
            &'a kefu_store::ActivityActor,
            &'a str,
            Option<&'a str>,
            &'a str,
            i64,
        );
        let mut activity: Vec<ActivityRow> = Vec::new();
        for (row, t) in created.iter().zip(chunk) {
            messages.push((row.id, &t.first_message, t.now));
            activity.push((row.id, &t.actor, "created", None, t.filed_status().as_str(), t.now));
            for (at, step) in &t.history {
                match step {
                    kefu_store::PastStep::Message(m) => messages.push((row.id, m, *at)),
                    kefu_store::PastStep::Status { from, to } => {
                        activity.push((row.id, &t.actor, "status", Some(from.as_str()), to.as_str(), *at))
                    }
                }
            }
        }
        for part in messages.chunks(500) {
            let sql = format!(
                "INSERT INTO ticket_messages (ticket_id, kind, author_kind, author_user_id, author_contact_id, body, \
                    body_html, channel, call_direction, call_seconds, message_id, created_at) VALUES {}",
                crate::portable::value_rows(
                    DbStore::NUMBERED_PARAMS,
                    1,
                    part.len(),
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                )
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, m, at) in part {
                q = q.bind_message(*id, m, *at);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        for part in activity.chunks(500) {
            let sql = format!(
                "INSERT INTO ticket_activity (ticket_id, at, actor_id, actor, field, old_value, new_value) VALUES {}",
                crate::portable::value_rows(DbStore::NUMBERED_PARAMS, 1, part.len(), "(?, ?, ?, ?, ?, ?, ?)")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, actor, field, old, new, at) in part {
                q = q
                    .bind(*id)
                    .bind(*at)
                    .bind(actor.id)
                    .bind(&actor.label)
                    .bind(*field)
                    .bind(*old)
                    .bind(*new);
            }
            q.execute(&mut *tx).await.map_err(db_err)?;
        }
        let terms: Vec<(i64, &kefu_core::search::IndexTerms)> =
            created.iter().zip(chunk).map(|(row, t)| (row.id, &t.terms)).collect();
        DbStore::index_tickets_in(&mut tx, &terms).await?;
        out.extend(created);
    }
    DbStore::add_facts_in(&mut tx, &facts).await?;
    tx.commit().await.map_err(db_err)?;
    Ok(out)
}

pub(crate) async fn apply_sweep(
    store: &DbStore,
    changes: &[kefu_store::SweepChange],
    actor: &kefu_store::ActivityActor,
    now: i64,
) -> kefu_store::StoreResult<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut tx = store.write_tx().await.map_err(db_err)?;
    // Which priority and assignee changes still apply: read back in the transaction.
    let mut applied: Vec<(i64, &'static str, Option<String>, Option<String>)> = Vec::new();
    for chunk in changes.chunks(300) {
        // Led by the ids (primary key), each value looked up in v: an UPDATE … FROM
        // (VALUES …) made SQLite scan every ticket for each chunk.
        let sql = format!(
            "WITH v (id, old_priority, new_priority, old_assignee, new_assignee, next_check, \
                urgent, due) AS (VALUES {}) UPDATE tickets SET priority = CASE WHEN priority = (SELECT old_priority \
                FROM v WHERE v.id = tickets.id) THEN (SELECT new_priority FROM v WHERE v.id = tickets.id) \
                ELSE priority END, assignee_id = CASE WHEN assignee_id IS NOT DISTINCT FROM (SELECT old_assignee \
                FROM v WHERE v.id = tickets.id) THEN (SELECT new_assignee FROM v WHERE v.id = tickets.id) \
                ELSE assignee_id END, sla_next_check_at = (SELECT next_check FROM v \
                WHERE v.id = tickets.id), sla_urgent_at = (SELECT urgent FROM v \
                WHERE v.id = tickets.id), sla_due_at = (SELECT due FROM v WHERE v.id = tickets.id), updated_at = {now} WHERE id IN (SELECT id FROM v) \
                RETURNING id, priority, assignee_id",
            crate::portable::value_rows(
                DbStore::NUMBERED_PARAMS,
                1,
                chunk.len(),
                "(CAST(? AS BIGINT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BIGINT), \
                    CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))"
            )
        );
        let mut q = sqlx::query_as::<_, (i64, String, Option<i64>)>(sqlx::AssertSqlSafe(sql));
        for c in chunk {
            q = q
                .bind(c.id)
                .bind(c.old_priority.as_str())
                .bind(c.priority.as_str())
                .bind(c.old_assignee)
                .bind(c.assignee)
                .bind(c.next_check_at)
                .bind(c.urgent_at)
                .bind(c.due_at);
        }
        let after: std::collections::HashMap<i64, (String, Option<i64>)> = q
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(|(id, p, a)| (id, (p, a)))
            .collect();
        for c in chunk {
            let Some((p, a)) = after.get(&c.id) else { continue };
            if c.priority != c.old_priority && *p == c.priority.as_str() {
                applied.push((
                    c.id,
                    "priority",
                    Some(c.old_priority.as_str().to_owned()),
                    Some(p.clone()),
                ));
            }
            if c.assignee != c.old_assignee && *a == c.assignee {
                applied.push((
                    c.id,
                    "assignee_id",
                    c.old_assignee.map(|x| x.to_string()),
                    a.map(|x| x.to_string()),
                ));
            }
        }
    }
    for chunk in applied.chunks(200) {
        let sql = format!(
            "INSERT INTO ticket_activity (ticket_id, at, actor_id, actor, field, old_value, new_value) VALUES {}",
            crate::portable::value_rows(DbStore::NUMBERED_PARAMS, 1, chunk.len(), "(?, ?, ?, ?, ?, ?, ?)")
        );
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (id, field, old, new) in chunk {
            q = q
                .bind(*id)
                .bind(now)
                .bind(actor.id)
                .bind(&actor.label)
                .bind(*field)
                .bind(old)
                .bind(new);
        }
        q.execute(&mut *tx).await.map_err(db_err)?;
    }
    // The facts of the tickets whose targets the sweep settled (their rows are locked above).
    let facts: Vec<(i64, &kefu_core::facts::Contribution)> = changes
        .iter()
        .filter_map(|c| c.facts.as_ref().map(|f| (c.id, f)))
        .collect();
    DbStore::fold_facts_in(&mut tx, &facts).await?;
    tx.commit().await.map_err(db_err)
}
