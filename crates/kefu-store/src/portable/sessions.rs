//! Sessions, API tokens, the audit log and the rate-limit windows.

use crate::DbStore;
use crate::portable::{Backend, Run, Values, db_err, rows};

#[async_trait::async_trait]
impl kefu_store::Sessions for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_session(&self, s: kefu_store::NewSession) -> kefu_store::StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_secret, ip, user_agent, created_at, last_seen_at, \
                expires_at) VALUES ($1, $2, $3, $4, $5, $6, $6, $7)",
        )
        .bind(s.token_hash)
        .bind(s.user_id)
        .bind(s.csrf_secret)
        .bind(s.ip)
        .bind(s.user_agent)
        .bind(s.created_at)
        .bind(s.expires_at)
        .run(self.writer())
        .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all)]
    async fn get_session(
        &self,
        token_hash: &str,
        now: i64,
    ) -> kefu_store::StoreResult<(kefu_store::Session, kefu_store::User)> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT s.token_hash AS s_token_hash, s.user_id AS s_user_id, s.csrf_secret AS s_csrf_secret, \
                s.created_at AS s_created_at, s.last_seen_at AS s_last_seen_at, s.expires_at AS s_expires_at, {} \
                FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
            rows::USER_COLS
        )))
        .bind(token_hash)
        .bind(now)
        .fetch_one(self.reader())
        .await
        .map_err(db_err)?;
        Ok((rows::session(&row)?, rows::user(&row)?))
    }
    #[tracing::instrument(skip_all)]
    async fn touch_session(&self, token_hash: &str, last_seen: i64, expires_at: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(last_seen)
            .bind(expires_at)
            .run(self.writer())
            .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, token_hash: &str) -> kefu_store::StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .run(self.writer())
            .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    async fn delete_user_sessions(&self, user_id: i64, except_hash: Option<&str>) -> kefu_store::StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND ($2 IS NULL OR token_hash <> $2)")
            .bind(user_id)
            .bind(except_hash)
            .run(self.writer())
            .await?;
        Ok(r)
    }
    #[tracing::instrument(skip_all)]
    async fn purge_expired_sessions(&self, now: i64) -> kefu_store::StoreResult<u64> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now)
            .run(self.writer())
            .await?;
        Ok(r)
    }
}

#[async_trait::async_trait]
impl kefu_store::Tokens for DbStore {
    #[tracing::instrument(skip_all)]
    async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        now: i64,
    ) -> kefu_store::StoreResult<kefu_store::ApiToken> {
        sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
                RETURNING id AS t_id, user_id AS t_user_id, name AS t_name, created_at AS t_created_at, \
                last_used_at AS t_last_used_at, revoked_at AS t_revoked_at",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(now)
        .one(self.writer(), rows::token)
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn find_token(&self, token_hash: &str) -> kefu_store::StoreResult<(kefu_store::ApiToken, kefu_store::User)> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT t.id AS t_id, t.user_id AS t_user_id, t.name AS t_name, t.created_at AS t_created_at, \
                t.last_used_at AS t_last_used_at, t.revoked_at AS t_revoked_at, {} FROM api_tokens t \
                JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL",
            rows::USER_COLS
        )))
        .bind(token_hash)
        .fetch_one(self.reader())
        .await
        .map_err(db_err)?;
        Ok((rows::token(&row)?, rows::user(&row)?))
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn touch_token(&self, id: i64, now: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
            .bind(id)
            .bind(now)
            .run(self.writer())
            .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all, fields(user_id = user_id))]
    async fn list_tokens(&self, user_id: i64) -> kefu_store::StoreResult<Vec<kefu_store::ApiToken>> {
        sqlx::query(
            "SELECT id AS t_id, user_id AS t_user_id, name AS t_name, created_at AS t_created_at, \
                last_used_at AS t_last_used_at, revoked_at AS t_revoked_at FROM api_tokens WHERE user_id = $1 \
                ORDER BY id",
        )
        .bind(user_id)
        .all(self.reader(), rows::token)
        .await
    }
    #[tracing::instrument(skip_all, fields(id = id))]
    async fn revoke_token(&self, id: i64, now: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
            .bind(id)
            .bind(now)
            .found(self.writer())
            .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl kefu_store::Audit for DbStore {
    #[tracing::instrument(skip_all)]
    async fn append_audit(&self, e: kefu_store::NewAudit) -> kefu_store::StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO audit_log (at, actor_id, actor, action, target, detail, ip) \
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(e.at)
        .bind(e.actor_id)
        .bind(e.actor)
        .bind(e.action)
        .bind(e.target)
        .bind(e.detail.to_string())
        .bind(e.ip)
        .value(self.writer())
        .await
    }
    #[tracing::instrument(skip_all)]
    async fn list_audit(&self, before: i64, limit: u32) -> kefu_store::StoreResult<Vec<kefu_store::AuditEntry>> {
        sqlx::query(
            "SELECT id, at, actor_id, actor, action, target, detail, ip FROM audit_log WHERE ($1 = 0 OR id < $1) \
                ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(i64::from(limit))
        .all(self.reader(), rows::audit)
        .await
    }
}

#[async_trait::async_trait]
impl kefu_store::RateLimits for DbStore {
    #[tracing::instrument(skip_all)]
    async fn rate_limit_hit(&self, key: &str, window_start: i64) -> kefu_store::StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1) ON CONFLICT (key, window_start) \
                DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
        )
        .bind(key)
        .bind(window_start)
        .value(self.writer())
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
    #[tracing::instrument(skip_all)]
    async fn purge_rate_limits(&self, before: i64) -> kefu_store::StoreResult<u64> {
        let r = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
            .bind(before)
            .run(self.writer())
            .await?;
        let f = sqlx::query("DELETE FROM login_failures WHERE last_failure_at < $1")
            .bind(before)
            .run(self.writer())
            .await?;
        Ok(r + f)
    }
    #[tracing::instrument(skip_all, fields(keys = keys.len()))]
    async fn login_blocked_until(&self, keys: &[String]) -> kefu_store::StoreResult<Option<i64>> {
        let mut latest = None;
        for key in keys {
            let until: Option<Option<i64>> =
                sqlx::query_scalar("SELECT blocked_until FROM login_failures WHERE key = $1")
                    .bind(key)
                    .value_if_any(self.reader())
                    .await?;
            latest = latest.max(until.flatten());
        }
        Ok(latest)
    }
    #[tracing::instrument(skip_all)]
    async fn add_login_failure(&self, key: &str, now: i64, forget_before: i64) -> kefu_store::StoreResult<u32> {
        let n: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2) ON CONFLICT (key) \
                DO UPDATE SET failures = CASE WHEN login_failures.last_failure_at < $3 THEN 1 \
                ELSE login_failures.failures + 1 END, last_failure_at = $2 RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(forget_before)
        .value(self.writer())
        .await?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
    #[tracing::instrument(skip_all)]
    async fn block_login(&self, key: &str, until: i64) -> kefu_store::StoreResult<()> {
        sqlx::query("UPDATE login_failures SET blocked_until = $2 WHERE key = $1")
            .bind(key)
            .bind(until)
            .run(self.writer())
            .await?;
        Ok(())
    }
    #[tracing::instrument(skip_all)]
    async fn clear_login_failures(&self, key: &str) -> kefu_store::StoreResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .run(self.writer())
            .await?;
        Ok(())
    }
}
