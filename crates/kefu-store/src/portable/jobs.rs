//! The job queue (claims come from the backend) and the webhook endpoints and deliveries.

use crate::DbStore;
use crate::portable::{Backend, Run, Values, rows};

#[async_trait::async_trait]
impl kefu_store::Jobs for DbStore {
    #[tracing::instrument(skip_all)]
    async fn claim_job(
        &self,
        worker: &str,
        now: i64,
        lease_ms: i64,
    ) -> kefu_store::StoreResult<Option<kefu_store::Job>> {
        let row = self.claim_job_row(worker, now, lease_ms).await?;
        row.as_ref().map(rows::job).transpose()
    }
    #[tracing::instrument(skip_all)]
    async fn enqueue(&self, j: kefu_store::NewJob) -> kefu_store::StoreResult<Option<i64>> {
        sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, unique_key, created_at, \
                updated_at) VALUES ($1, $2, 'queued', 0, $3, $4, $5, $6, $6) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(j.kind)
        .bind(j.payload.to_string())
        .bind(i64::from(j.max_attempts))
        .bind(j.run_at)
        .bind(j.unique_key)
        .bind(j.now)
        .value_if_any(self.writer())
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn heartbeat_job(&self, id: i64, worker: &str, lease_until: i64) -> kefu_store::StoreResult<bool> {
        let r = sqlx::query("UPDATE jobs SET lease_until = $3 WHERE id = $1 AND locked_by = $2 AND status = 'running'")
            .bind(id)
            .bind(worker)
            .bind(lease_until)
            .run(self.writer())
            .await?;
        Ok(r == 1)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn complete_job(&self, id: i64, worker: &str, now: i64) -> kefu_store::StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE jobs SET status = 'done', locked_by = NULL, lease_until = NULL, updated_at = $3 WHERE id = $1 \
                AND locked_by = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(now)
        .run(self.writer())
        .await?;
        Ok(r == 1)
    }
    #[tracing::instrument(skip_all)]
    async fn fail_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<i64>,
        now: i64,
    ) -> kefu_store::StoreResult<bool> {
        let r = sqlx::query(
            "UPDATE jobs SET status = CASE WHEN $4 IS NULL THEN 'dead' ELSE 'queued' END, run_at = COALESCE($4, \
                run_at), last_error = $3, locked_by = NULL, lease_until = NULL, updated_at = $5 WHERE id = $1 \
                AND locked_by = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(worker)
        .bind(error)
        .bind(retry_at)
        .bind(now)
        .run(self.writer())
        .await?;
        Ok(r == 1)
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_job(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Job> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM jobs WHERE id = $1",
            rows::JOB_COLS
        )))
        .bind(id)
        .one(self.reader(), rows::job)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn list_jobs(
        &self,
        status: Option<kefu_store::JobStatus>,
        limit: u32,
    ) -> kefu_store::StoreResult<Vec<kefu_store::Job>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM jobs WHERE ($1 IS NULL OR status = $1) ORDER BY id DESC LIMIT $2",
            rows::JOB_COLS
        )))
        .bind(status.map(|s| s.as_str()))
        .bind(i64::from(limit))
        .all(self.reader(), rows::job)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn job_counts(&self) -> kefu_store::StoreResult<Vec<(kefu_store::JobStatus, i64)>> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status")
            .values(self.reader())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(s, n)| kefu_store::JobStatus::parse(&s).map(|s| (s, n)))
            .collect())
    }
    #[tracing::instrument(skip_all)]
    async fn purge_jobs(&self, before: i64) -> kefu_store::StoreResult<u64> {
        let r = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND updated_at < $1")
            .bind(before)
            .run(self.writer())
            .await?;
        Ok(r)
    }
}

#[async_trait::async_trait]
impl kefu_store::Webhooks for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_webhook(&self, w: kefu_store::NewWebhook) -> kefu_store::StoreResult<kefu_store::Webhook> {
        let events = serde_json::to_string(&w.events).map_err(|e| kefu_store::StoreError::Data(e.to_string()))?;
        sqlx::query(
            "INSERT INTO webhooks (url, secret, events, description, active, created_at, updated_at) \
                VALUES ($1, $2, $3, $4, TRUE, $5, $5) RETURNING id, url, secret, events, description, active, \
                created_at, updated_at",
        )
        .bind(w.url)
        .bind(w.secret)
        .bind(events)
        .bind(w.description)
        .bind(w.now)
        .one(self.writer(), rows::webhook)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn list_webhooks(&self) -> kefu_store::StoreResult<Vec<kefu_store::Webhook>> {
        sqlx::query(
            "SELECT id, url, secret, events, description, active, created_at, updated_at FROM webhooks ORDER BY id",
        )
        .all(self.reader(), rows::webhook)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn get_webhook(&self, id: i64) -> kefu_store::StoreResult<kefu_store::Webhook> {
        sqlx::query(
            "SELECT id, url, secret, events, description, active, created_at, updated_at FROM webhooks WHERE id = $1",
        )
        .bind(id)
        .one(self.reader(), rows::webhook)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn set_webhook_active(
        &self,
        id: i64,
        active: bool,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::Webhook> {
        sqlx::query(
            "UPDATE webhooks SET active = $2, updated_at = $3 WHERE id = $1 RETURNING id, url, secret, events, \
                description, active, created_at, updated_at",
        )
        .bind(id)
        .bind(active)
        .bind(now)
        .one(self.writer(), rows::webhook)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn delete_webhook(&self, id: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .found(self.writer())
            .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all)]
    async fn webhooks_for_event(&self, event: &str) -> kefu_store::StoreResult<Vec<kefu_store::Webhook>> {
        // Few endpoints exist; filtering the JSON list here keeps the SQL portable.
        let all = self.list_webhooks().await?;
        Ok(all.into_iter().filter(|w| w.active && w.wants(event)).collect())
    }
    #[tracing::instrument(skip_all)]
    async fn record_delivery(&self, d: kefu_store::NewDelivery) -> kefu_store::StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO webhook_deliveries (webhook_id, job_id, event, attempt, status_code, error, duration_ms, at) \
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(d.webhook_id)
        .bind(d.job_id)
        .bind(d.event)
        .bind(i64::from(d.attempt))
        .bind(d.status_code.map(i64::from))
        .bind(d.error)
        .bind(d.duration_ms)
        .bind(d.at)
        .value(self.writer())
        .await
    }
    #[tracing::instrument(skip_all, fields(webhook_id = webhook_id))]
    async fn list_deliveries(&self, webhook_id: i64, limit: u32) -> kefu_store::StoreResult<Vec<kefu_store::Delivery>> {
        sqlx::query(
            "SELECT id, webhook_id, job_id, event, attempt, status_code, error, duration_ms, at \
                FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(webhook_id)
        .bind(i64::from(limit))
        .all(self.reader(), rows::delivery)
        .await
    }
}
