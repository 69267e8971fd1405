//! The `Tickets` store methods.

use super::{batch, commitments, rows};
use crate::DbStore;
use crate::portable::rows::{at, get};
use crate::portable::{Backend, Run, Values, db_err};

#[async_trait::async_trait]
impl kefu_store::Tickets for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_tickets(
        &self,
        tickets: &[kefu_store::NewTicket],
    ) -> kefu_store::StoreResult<Vec<kefu_store::Ticket>> {
        batch::create_tickets(self, tickets).await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_ticket(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Ticket> {
        Self::ticket_in(self.reader(), id).await
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn open_requester_confirmation(
        &self,
        ticket_id: i64,
        token_hash: Option<&str>,
        now: i64,
    ) -> kefu_store::StoreResult<()> {
        sqlx::query("INSERT INTO requester_confirmations (ticket_id, token_hash, created_at) VALUES ($1, $2, $3)")
            .bind(ticket_id)
            .bind(token_hash)
            .bind(now)
            .run(self.writer())
            .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn requester_unconfirmed(&self, ticket_id: i64) -> kefu_store::StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM requester_confirmations WHERE ticket_id = $1 AND confirmed_at IS NULL",
        )
        .bind(ticket_id)
        .value(self.reader())
        .await?;
        Ok(n > 0)
    }
    #[tracing::instrument(skip_all)]
    async fn confirm_requester_by_token(&self, token_hash: &str, now: i64) -> kefu_store::StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "UPDATE requester_confirmations SET confirmed_at = $2 WHERE token_hash = $1 AND confirmed_at IS NULL \
                RETURNING ticket_id",
        )
        .bind(token_hash)
        .bind(now)
        .value_if_any(self.writer())
        .await
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn confirm_requester(&self, ticket_id: i64, by: Option<i64>, now: i64) -> kefu_store::StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE requester_confirmations SET confirmed_at = $2, confirmed_by = $3 \
                WHERE ticket_id = $1 AND confirmed_at IS NULL",
        )
        .bind(ticket_id)
        .bind(now)
        .bind(by)
        .run(self.writer())
        .await?;
        Ok(n > 0)
    }
    #[tracing::instrument(skip_all)]
    async fn ticket_by_follow_token(&self, token_hash: &str) -> kefu_store::StoreResult<kefu_store::Ticket> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM tickets t WHERE t.follow_token_hash = $1",
            crate::portable::tickets::TICKET_COLUMNS
        )))
        .bind(token_hash)
        .one(self.reader(), rows::ticket)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn list_tickets(&self, f: &kefu_store::TicketFilter) -> kefu_store::StoreResult<Vec<kefu_store::Ticket>> {
        Self::ticket_rows(self, None, f, false)
            .await?
            .iter()
            .map(rows::ticket)
            .collect()
    }
    #[tracing::instrument(skip_all)]
    async fn search_tickets(
        &self,
        query: &[kefu_core::search::QueryPart],
        f: &kefu_store::TicketFilter,
    ) -> kefu_store::StoreResult<Vec<kefu_store::Ticket>> {
        if query.is_empty() {
            return Ok(vec![]);
        }
        Self::ticket_rows(self, Some(query), f, false)
            .await?
            .iter()
            .map(rows::ticket)
            .collect()
    }
    #[tracing::instrument(skip_all)]
    async fn ticket_page(
        &self,
        query: Option<&[kefu_core::search::QueryPart]>,
        f: &kefu_store::TicketFilter,
    ) -> kefu_store::StoreResult<kefu_store::TicketPage> {
        if query.is_some_and(|q| q.is_empty()) {
            return Ok(kefu_store::TicketPage::default());
        }
        let mut page = kefu_store::TicketPage::default();
        for row in Self::ticket_rows(self, query, f, true).await? {
            let t = rows::ticket(&row)?;
            let events: Option<String> = sqlx::Row::try_get(&row, "events").map_err(db_err)?;
            crate::portable::tickets::split_events(t.id, events.as_deref().unwrap_or(""), &mut page.events)?;
            page.tickets.push(t);
        }
        Ok(page)
    }
    #[tracing::instrument(skip_all)]
    async fn change_ticket(
        &self,
        id: i64,
        c: kefu_store::TicketChange,
        message: Option<kefu_store::NewMessage>,
        actor: &kefu_store::ActivityActor,
        now: i64,
    ) -> kefu_store::StoreResult<(kefu_store::Ticket, Option<kefu_store::TicketMessage>)> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let msg = Self::change_ticket_in(&mut tx, id, c, message, actor, now).await?;
        let out = Self::ticket_in(&mut *tx, id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok((out, msg))
    }
    #[tracing::instrument(skip_all)]
    async fn apply_sweep(
        &self,
        changes: &[kefu_store::SweepChange],
        actor: &kefu_store::ActivityActor,
        now: i64,
    ) -> kefu_store::StoreResult<()> {
        batch::apply_sweep(self, changes, actor, now).await
    }
    #[tracing::instrument(skip_all)]
    async fn tickets_by_ids(&self, ids: &[i64]) -> kefu_store::StoreResult<Vec<kefu_store::Ticket>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT {} FROM tickets t WHERE t.id IN {} ORDER BY t.id",
                crate::portable::tickets::TICKET_COLUMNS,
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            for row in q.fetch_all(self.reader()).await.map_err(db_err)? {
                out.push(rows::ticket(&row)?);
            }
        }
        Ok(out)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn ticket_messages(&self, id: i64) -> kefu_store::StoreResult<Vec<kefu_store::TicketMessage>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM ticket_messages WHERE ticket_id = $1 ORDER BY id",
            crate::portable::tickets::MESSAGE_COLUMNS
        )))
        .bind(id)
        .all(self.reader(), rows::message)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn ticket_by_message_id(&self, message_id: &str) -> kefu_store::StoreResult<kefu_store::Ticket> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM tickets t WHERE t.id = (SELECT ticket_id FROM ticket_messages WHERE message_id = $1 \
                UNION ALL SELECT ticket_id FROM notifications WHERE message_id = $1 AND ticket_id IS NOT NULL \
                LIMIT 1)",
            crate::portable::tickets::TICKET_COLUMNS
        )))
        .bind(message_id)
        .one(self.reader(), rows::ticket)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn record_notification(&self, n: &kefu_store::Notification) -> kefu_store::StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO notifications (ticket_id, event, recipient, language, subject, message_id, status, detail, \
                created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(n.ticket_id)
        .bind(&n.event)
        .bind(&n.recipient)
        .bind(n.language.code())
        .bind(&n.subject)
        .bind(&n.message_id)
        .bind(&n.status)
        .bind(&n.detail)
        .bind(n.created_at)
        .value(self.writer())
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn add_attachments(
        &self,
        files: &[kefu_store::NewAttachment],
    ) -> kefu_store::StoreResult<Vec<kefu_store::Attachment>> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let mut ids = Vec::with_capacity(files.len());
        for f in files {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO attachments (ticket_id, message_id, filename, content_type, size, sha256, content_id, \
                    inline, data, uploaded_by, created_at, shared) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                    RETURNING id",
            )
            .bind(f.ticket_id)
            .bind(f.message_id)
            .bind(&f.filename)
            .bind(&f.content_type)
            .bind(f.size)
            .bind(&f.sha256)
            .bind(&f.content_id)
            .bind(f.inline)
            .bind(&f.data_base64)
            .bind(f.uploaded_by)
            .bind(f.now)
            .bind(f.shared)
            .value(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await.map_err(db_err)?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.attachment(id).await?);
        }
        Ok(out)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn attachment(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Attachment> {
        let rows = self.attachments_where("id = $1", id).await?;
        rows.into_iter().next().ok_or(kefu_store::StoreError::NotFound)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn attachment_data(&self, id: i64) -> kefu_store::StoreResult<Option<String>> {
        sqlx::query_scalar("SELECT data FROM attachments WHERE id = $1")
            .bind(id)
            .value(self.reader())
            .await
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn attachments_of(&self, ticket_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::Attachment>> {
        self.attachments_where("ticket_id = $1", ticket_id).await
    }
    #[tracing::instrument(skip_all)]
    async fn categories(&self) -> kefu_store::StoreResult<Vec<kefu_store::Category>> {
        sqlx::query("SELECT id, parent_id, name_en, name_zh, created_at FROM categories ORDER BY id")
            .all(self.reader(), |r| {
                Ok(kefu_store::Category {
                    id: get(r, "id")?,
                    parent_id: get(r, "parent_id")?,
                    name_en: get(r, "name_en")?,
                    name_zh: get(r, "name_zh")?,
                    created_at: get(r, "created_at")?,
                })
            })
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn create_category(
        &self,
        parent_id: Option<i64>,
        name_en: &str,
        name_zh: &str,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Category> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO categories (parent_id, name_en, name_zh, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(parent_id)
        .bind(name_en)
        .bind(name_zh)
        .bind(now)
        .value(self.writer())
        .await?;
        Ok(kefu_store::Category {
            id,
            parent_id,
            name_en: name_en.to_owned(),
            name_zh: name_zh.to_owned(),
            created_at: now,
        })
    }
    #[tracing::instrument(skip_all)]
    async fn add_incident_step(
        &self,
        ticket_id: i64,
        at: i64,
        body: &str,
        author: Option<i64>,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::IncidentStep> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO incident_steps (ticket_id, at, body, author_user_id, created_at) VALUES ($1, $2, $3, $4, $5) \
                RETURNING id",
        )
        .bind(ticket_id)
        .bind(at)
        .bind(body)
        .bind(author)
        .bind(now)
        .value(self.writer())
        .await?;
        Ok(kefu_store::IncidentStep {
            id,
            ticket_id,
            at,
            body: body.to_owned(),
            author_user_id: author,
            created_at: now,
        })
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn incident_steps(&self, ticket_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::IncidentStep>> {
        sqlx::query(
            "SELECT id, ticket_id, at, body, author_user_id, created_at FROM incident_steps WHERE ticket_id = $1 \
                ORDER BY at, id",
        )
        .bind(ticket_id)
        .all(self.reader(), |r| {
            Ok(kefu_store::IncidentStep {
                id: get(r, "id")?,
                ticket_id: get(r, "ticket_id")?,
                at: get(r, "at")?,
                body: get(r, "body")?,
                author_user_id: get(r, "author_user_id")?,
                created_at: get(r, "created_at")?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn add_incident_share(&self, ticket_id: i64, token_hash: &str, now: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("INSERT INTO incident_shares (token_hash, ticket_id, created_at) VALUES ($1, $2, $3)")
            .bind(token_hash)
            .bind(ticket_id)
            .bind(now)
            .run(self.writer())
            .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all)]
    async fn incident_by_share(&self, token_hash: &str) -> kefu_store::StoreResult<i64> {
        sqlx::query_scalar("SELECT ticket_id FROM incident_shares WHERE token_hash = $1 AND revoked_at IS NULL")
            .bind(token_hash)
            .value(self.reader())
            .await
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn revoke_incident_shares(&self, ticket_id: i64, now: i64) -> kefu_store::StoreResult<u64> {
        let r = sqlx::query("UPDATE incident_shares SET revoked_at = $2 WHERE ticket_id = $1 AND revoked_at IS NULL")
            .bind(ticket_id)
            .bind(now)
            .run(self.writer())
            .await?;
        Ok(r)
    }
    #[tracing::instrument(skip_all)]
    async fn commitments(&self) -> kefu_store::StoreResult<Vec<kefu_store::Commitment>> {
        commitments::commitments(self).await
    }
    #[tracing::instrument(skip_all)]
    async fn save_commitment(&self, c: &kefu_store::Commitment) -> kefu_store::StoreResult<kefu_store::Commitment> {
        commitments::save_commitment(self, c).await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn delete_commitment(&self, id: i64) -> kefu_store::StoreResult<()> {
        commitments::delete_commitment(self, id).await
    }
    #[tracing::instrument(skip_all)]
    async fn commitment_facts(
        &self,
        since: i64,
        kind: Option<kefu_core::ticket::Kind>,
        metric: kefu_core::commitment::CommitmentMetric,
    ) -> kefu_store::StoreResult<Vec<(i64, Option<i64>, Option<i64>)>> {
        commitments::commitment_facts(self, since, kind, metric).await
    }
    #[tracing::instrument(skip_all)]
    async fn index_tickets(&self, terms: &[(i64, kefu_core::search::IndexTerms)]) -> kefu_store::StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let rows: Vec<(i64, &kefu_core::search::IndexTerms)> = terms.iter().map(|(id, t)| (*id, t)).collect();
        Self::index_tickets_in(&mut tx, &rows).await?;
        tx.commit().await.map_err(db_err)
    }
    #[tracing::instrument(skip_all)]
    async fn macros(&self) -> kefu_store::StoreResult<Vec<kefu_store::Macro>> {
        sqlx::query(
            "SELECT id, title_en, title_zh, body_en, body_zh, actions, created_by, created_at, updated_at FROM macros \
                ORDER BY title_en, id",
        )
        .all(self.reader(), |r| {
            let actions: String = at(r, 5)?;
            Ok(kefu_store::Macro {
                id: at(r, 0)?,
                title_en: at(r, 1)?,
                title_zh: at(r, 2)?,
                body_en: at(r, 3)?,
                body_zh: at(r, 4)?,
                actions: serde_json::from_str(&actions).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?,
                created_by: at(r, 6)?,
                created_at: at(r, 7)?,
                updated_at: at(r, 8)?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn save_macro(&self, m: &kefu_store::Macro) -> kefu_store::StoreResult<kefu_store::Macro> {
        let actions = m.actions.to_string();
        let id: i64 = if m.id == 0 {
            sqlx::query_scalar(
                "INSERT INTO macros (title_en, title_zh, body_en, body_zh, actions, created_by, created_at, \
                    updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(&m.title_en)
            .bind(&m.title_zh)
            .bind(&m.body_en)
            .bind(&m.body_zh)
            .bind(&actions)
            .bind(m.created_by)
            .bind(m.updated_at)
            .value(self.writer())
            .await?
        } else {
            sqlx::query_scalar(
                "UPDATE macros SET title_en = $2, title_zh = $3, body_en = $4, body_zh = $5, actions = $6, \
                    updated_at = $7 WHERE id = $1 RETURNING id",
            )
            .bind(m.id)
            .bind(&m.title_en)
            .bind(&m.title_zh)
            .bind(&m.body_en)
            .bind(&m.body_zh)
            .bind(&actions)
            .bind(m.updated_at)
            .value(self.writer())
            .await?
        };
        self.macros()
            .await?
            .into_iter()
            .find(|x| x.id == id)
            .ok_or(kefu_store::StoreError::NotFound)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn delete_macro(&self, id: i64) -> kefu_store::StoreResult<()> {
        let r = sqlx::query("DELETE FROM macros WHERE id = $1")
            .bind(id)
            .run(self.writer())
            .await?;
        if r == 0 {
            Err(kefu_store::StoreError::NotFound)
        } else {
            Ok(())
        }
    }
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    async fn saved_views(&self, user_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::SavedView>> {
        sqlx::query(
            "SELECT id, user_id, name, query, created_at FROM saved_views WHERE user_id = $1 OR user_id IS NULL \
                ORDER BY name, id",
        )
        .bind(user_id)
        .all(self.reader(), |r| {
            Ok(kefu_store::SavedView {
                id: get(r, "id")?,
                user_id: get(r, "user_id")?,
                name: get(r, "name")?,
                query: get(r, "query")?,
                created_at: get(r, "created_at")?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn create_saved_view(&self, v: &kefu_store::SavedView) -> kefu_store::StoreResult<kefu_store::SavedView> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO saved_views (user_id, name, query, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(v.user_id)
        .bind(&v.name)
        .bind(&v.query)
        .bind(v.created_at)
        .value(self.writer())
        .await?;
        Ok(kefu_store::SavedView { id, ..v.clone() })
    }
    #[tracing::instrument(skip_all, fields(id = id, user_id = user_id))]
    async fn delete_saved_view(&self, id: i64, user_id: Option<i64>) -> kefu_store::StoreResult<()> {
        sqlx::query("DELETE FROM saved_views WHERE id = $1 AND (user_id = $2 OR ($2 IS NULL AND user_id IS NULL))")
            .bind(id)
            .bind(user_id)
            .found(self.writer())
            .await
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn notifications_of(&self, ticket_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::Notification>> {
        sqlx::query(
            "SELECT id, ticket_id, event, recipient, language, subject, message_id, status, detail, created_at \
                FROM notifications WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket_id)
        .all(self.reader(), |r| {
            let language: String = at(r, 4)?;
            Ok(kefu_store::Notification {
                id: at(r, 0)?,
                ticket_id: at(r, 1)?,
                event: at(r, 2)?,
                recipient: at(r, 3)?,
                language: kefu_core::Language::parse(&language).unwrap_or(kefu_core::Language::ZhCn),
                subject: at(r, 5)?,
                message_id: at(r, 6)?,
                status: at(r, 7)?,
                detail: at(r, 8)?,
                created_at: at(r, 9)?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn ticket_activity(&self, id: i64) -> kefu_store::StoreResult<Vec<kefu_store::Activity>> {
        sqlx::query(
            "SELECT id, ticket_id, at, actor_id, actor, field, old_value, new_value FROM ticket_activity \
                WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(id)
        .all(self.reader(), |r| {
            Ok(kefu_store::Activity {
                id: get(r, "id")?,
                ticket_id: get(r, "ticket_id")?,
                at: get(r, "at")?,
                actor_id: get(r, "actor_id")?,
                actor: get(r, "actor")?,
                field: get(r, "field")?,
                old_value: get(r, "old_value")?,
                new_value: get(r, "new_value")?,
            })
        })
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn ticket_events(&self, ids: &[i64]) -> kefu_store::StoreResult<Vec<(i64, i64, String)>> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let list = list.join(", ");
        let sql = format!(
            "SELECT ticket_id, at, what FROM (SELECT ticket_id, created_at AS at, id AS seq, 0 AS src, CASE \
                WHEN author_kind = 'customer' THEN 'customer' ELSE 'agent' END AS what FROM ticket_messages \
                WHERE ticket_id IN ({list}) AND kind <> 'internal' AND author_kind <> 'system' UNION ALL \
                SELECT ticket_id, at, id AS seq, 1 AS src, 'status:' || new_value AS what FROM ticket_activity \
                WHERE ticket_id IN ({list}) AND field = 'status') e ORDER BY ticket_id, at, src, seq"
        );
        let mut q = sqlx::query_as::<_, (i64, i64, String)>(sqlx::AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        q.fetch_all(self.reader()).await.map_err(db_err)
    }

    #[tracing::instrument(skip_all)]
    async fn calendars(&self) -> kefu_store::StoreResult<Vec<kefu_store::StoredCalendar>> {
        sqlx::query("SELECT id, name, toml, is_default FROM calendars ORDER BY id")
            .all(self.reader(), |r| {
                Ok(kefu_store::StoredCalendar {
                    id: get(r, "id")?,
                    name: get(r, "name")?,
                    toml: get(r, "toml")?,
                    is_default: get(r, "is_default")?,
                })
            })
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn sla_policies(&self) -> kefu_store::StoreResult<Vec<kefu_store::SlaPolicy>> {
        sqlx::query(
            "SELECT id, name, kind, priority, tier, first_response_minutes, next_response_minutes, \
                resolution_minutes, warn_share, dimension, resolution_dimension, calendar_id, escalation, is_default FROM sla_policies \
                ORDER BY id",
        )
        .all(self.reader(), rows::policy)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn tickets_due_for_check(&self, now: i64, limit: u32) -> kefu_store::StoreResult<Vec<i64>> {
        sqlx::query_scalar(
            "SELECT id FROM tickets WHERE sla_next_check_at IS NOT NULL AND sla_next_check_at <= $1 \
                ORDER BY sla_next_check_at LIMIT $2",
        )
        .bind(now)
        .bind(i64::from(limit))
        .values(self.reader())
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn log_escalations(&self, steps: &[(i64, String)], now: i64) -> kefu_store::StoreResult<Vec<bool>> {
        let mut out = Vec::with_capacity(steps.len());
        if steps.is_empty() {
            return Ok(out);
        }
        let mut tx = self.write_tx().await.map_err(db_err)?;
        for chunk in steps.chunks(300) {
            let sql = format!(
                "INSERT INTO ticket_escalations (ticket_id, step_key, at) VALUES {} ON CONFLICT DO NOTHING \
                    RETURNING ticket_id, step_key",
                crate::portable::value_rows(Self::NUMBERED_PARAMS, 1, chunk.len(), "(?, ?, ?)")
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
            for (ticket_id, key) in chunk {
                q = q.bind(ticket_id).bind(key).bind(now);
            }
            let new: std::collections::HashSet<(i64, String)> =
                q.fetch_all(&mut *tx).await.map_err(db_err)?.into_iter().collect();
            out.extend(chunk.iter().map(|s| new.contains(s)));
        }
        tx.commit().await.map_err(db_err)?;
        Ok(out)
    }
    #[tracing::instrument(skip_all)]
    async fn escalations_of_tickets(&self, ids: &[i64]) -> kefu_store::StoreResult<Vec<(i64, String)>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let sql = format!(
                "SELECT ticket_id, step_key FROM ticket_escalations WHERE ticket_id IN {} \
                    ORDER BY ticket_id, at, step_key",
                crate::portable::mark_list(Self::NUMBERED_PARAMS, 1, chunk.len())
            );
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(self.reader()).await.map_err(db_err)?);
        }
        Ok(out)
    }
    #[tracing::instrument(skip_all, fields(ticket_id = ticket_id))]
    async fn escalations_of(&self, ticket_id: i64) -> kefu_store::StoreResult<Vec<String>> {
        sqlx::query_scalar("SELECT step_key FROM ticket_escalations WHERE ticket_id = $1 ORDER BY at, step_key")
            .bind(ticket_id)
            .values(self.reader())
            .await
    }
    #[tracing::instrument(skip_all, fields(department_id = department_id))]
    async fn department_agent_loads(&self, department_id: i64) -> kefu_store::StoreResult<Vec<(i64, u32)>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT u.id, (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = u.id \
                AND t.status IN ('new', 'open', 'pending')) FROM users u JOIN user_departments d ON d.user_id = \
                u.id WHERE d.department_id = $1 AND u.role = 'agent' AND u.disabled = FALSE ORDER BY u.id",
        )
        .bind(department_id)
        .values(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, u32::try_from(n.max(0)).unwrap_or(u32::MAX)))
            .collect())
    }
    #[tracing::instrument(skip_all)]
    async fn save_calendar(
        &self,
        name: &str,
        toml: &str,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::StoredCalendar> {
        let (id, name, toml, is_default): (i64, String, String, bool) = sqlx::query_as(
            "INSERT INTO calendars (name, toml, is_default, created_at, updated_at) VALUES ($1, $2, FALSE, $3, $3) \
                ON CONFLICT (name) DO UPDATE SET toml = excluded.toml, updated_at = excluded.updated_at \
                RETURNING id, name, toml, is_default",
        )
        .bind(name)
        .bind(toml)
        .bind(now)
        .value(self.writer())
        .await?;
        Ok(kefu_store::StoredCalendar {
            id,
            name,
            toml,
            is_default,
        })
    }
    #[tracing::instrument(skip_all)]
    async fn save_sla_policy(
        &self,
        p: &kefu_store::SlaPolicy,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::SlaPolicy> {
        let escalation =
            serde_json::to_string(&p.escalation).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
        let t = &p.targets;
        let sql = if p.id == 0 {
            "INSERT INTO sla_policies (name, kind, priority, tier, first_response_minutes, next_response_minutes, \
                resolution_minutes, warn_share, dimension, resolution_dimension, calendar_id, escalation, is_default, \
                created_at, updated_at) VALUES ($2, $3, $4, $5, $6, $7, $8, $9, $10, $14, $11, $12, FALSE, $13, $13) \
                RETURNING id"
        } else {
            "UPDATE sla_policies SET name = $2, kind = $3, priority = $4, tier = $5, first_response_minutes = $6, \
                next_response_minutes = $7, resolution_minutes = $8, warn_share = $9, dimension = $10, \
                resolution_dimension = $14, calendar_id = $11, escalation = $12, updated_at = $13 WHERE id = $1 \
                RETURNING id"
        };
        let id: i64 = sqlx::query_scalar(sql)
            .bind(p.id)
            .bind(&p.name)
            .bind(p.scope.kind.map(|k| k.as_str()))
            .bind(p.scope.priority.map(|k| k.as_str()))
            .bind(p.scope.tier.map(|k| k.as_str()))
            .bind(t.first_response_minutes)
            .bind(t.next_response_minutes)
            .bind(t.resolution_minutes)
            .bind(t.warn_share)
            .bind(&p.dimension)
            .bind(p.calendar_id)
            .bind(escalation)
            .bind(now)
            .bind(&p.resolution_dimension)
            .value_if_any(self.writer())
            .await?
            .ok_or(kefu_store::StoreError::NotFound)?;
        sqlx::query(
            "SELECT id, name, kind, priority, tier, first_response_minutes, next_response_minutes, \
                resolution_minutes, warn_share, dimension, resolution_dimension, calendar_id, escalation, is_default FROM sla_policies \
                WHERE id = $1",
        )
        .bind(id)
        .one(self.writer(), rows::policy)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn delete_sla_policy(&self, id: i64) -> kefu_store::StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        let is_default: Option<bool> = sqlx::query_scalar("SELECT is_default FROM sla_policies WHERE id = $1")
            .bind(id)
            .value_if_any(&mut *tx)
            .await?;
        match is_default {
            None => return Err(kefu_store::StoreError::NotFound),
            Some(true) => {
                return Err(kefu_store::StoreError::Refused(
                    "the default policy stays: every ticket needs one to fall back on".into(),
                ));
            }
            Some(false) => {}
        }
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM tickets WHERE sla_policy_id = $1")
            .bind(id)
            .value(&mut *tx)
            .await?;
        if used > 0 {
            return Err(kefu_store::StoreError::Refused(format!(
                "{used} tickets are measured by this policy; change it instead"
            )));
        }
        sqlx::query("DELETE FROM sla_policies WHERE id = $1")
            .bind(id)
            .run(&mut *tx)
            .await?;
        tx.commit().await.map_err(db_err)
    }
    #[tracing::instrument(skip_all)]
    async fn routing_rules(&self) -> kefu_store::StoreResult<Vec<(i64, String)>> {
        sqlx::query_as("SELECT id, rule FROM routing_rules WHERE active = TRUE ORDER BY position, id")
            .values(self.reader())
            .await
    }
    #[tracing::instrument(skip_all)]
    async fn assignee_changes(
        &self,
        ids: &[i64],
    ) -> kefu_store::StoreResult<Vec<(i64, i64, Option<i64>, Option<i64>)>> {
        self.assignee_changes_of(ids).await
    }
    #[tracing::instrument(skip_all)]
    async fn ticket_segment_values(&self, ids: &[i64]) -> kefu_store::StoreResult<Vec<(i64, String, String)>> {
        self.segment_values_of(ids).await
    }
    #[tracing::instrument(skip_all, fields(n = facts.len()))]
    async fn fold_ticket_facts(&self, facts: &[(i64, kefu_core::facts::Contribution)]) -> kefu_store::StoreResult<()> {
        self.fold_ticket_facts_tx(facts).await
    }
    #[tracing::instrument(skip_all)]
    async fn unfolded_tickets(&self, after: i64, limit: u32) -> kefu_store::StoreResult<Vec<i64>> {
        self.unfolded_ticket_ids(after, limit).await
    }
    #[tracing::instrument(skip_all)]
    async fn reset_ticket_facts(&self) -> kefu_store::StoreResult<u64> {
        self.reset_facts().await
    }
    #[tracing::instrument(skip_all)]
    async fn ticket_facts_epoch(&self) -> kefu_store::StoreResult<i64> {
        self.epoch("ticket_facts").await
    }
    #[tracing::instrument(skip_all, fields(segment = segment))]
    async fn ticket_fact_sums(
        &self,
        segment: &str,
        ranges: &[(kefu_core::facts::Grain, String, String)],
    ) -> kefu_store::StoreResult<Vec<(String, String, i64)>> {
        self.fact_sums(segment, ranges).await
    }
    #[tracing::instrument(skip_all, fields(segment = segment))]
    async fn ticket_fact_days(
        &self,
        segment: &str,
        from: &str,
        to: &str,
    ) -> kefu_store::StoreResult<Vec<(String, String, String, i64)>> {
        self.fact_days(segment, from, to).await
    }
    #[tracing::instrument(skip_all, fields(segment = segment))]
    async fn queue_marks(
        &self,
        segment: &str,
        now: i64,
        soon: i64,
    ) -> kefu_store::StoreResult<Vec<kefu_store::MarkRow>> {
        self.queue_marks_of(segment, now, soon).await
    }
    #[tracing::instrument(skip_all)]
    async fn replace_routing_rules(&self, rules: &[String], now: i64) -> kefu_store::StoreResult<()> {
        let mut tx = self.write_tx().await.map_err(db_err)?;
        sqlx::query("DELETE FROM routing_rules").run(&mut *tx).await?;
        for (i, r) in rules.iter().enumerate() {
            sqlx::query(
                "INSERT INTO routing_rules (position, rule, active, created_at, updated_at) \
                    VALUES ($1, $2, TRUE, $3, $3)",
            )
            .bind(i as i64)
            .bind(r)
            .bind(now)
            .run(&mut *tx)
            .await?;
        }
        tx.commit().await.map_err(db_err)
    }
}
