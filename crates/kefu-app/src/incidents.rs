//! Incidents: a failure found internally is filed as a ticket of kind `incident`, and every step
//! taken to recover is written into its recovery log — when it was done, what was done. The log can
//! be shared with the affected customer as a read-only page behind a private link (the token is
//! stored hashed; links can be revoked).

use crate::auth::{random_secret, sha256_hex};
use crate::{Actor, App, AppError, AppResult};
use kefu_core::Invalid;
use kefu_core::ticket::Kind;
use kefu_store::{IncidentStep, StoreError};

const MAX_STEP_CHARS: usize = 5_000;

impl App {
    async fn incident(&self, actor: &Actor, id: i64) -> AppResult<kefu_store::Ticket> {
        let t = self.visible_ticket(actor, id).await?;
        if t.kind != Kind::Incident {
            return Err(Invalid::one("kind", "not_an_incident", "only incidents have a recovery log").into());
        }
        Ok(t)
    }

    /// Writes a step into an incident's recovery log (staff). `at` (UTC milliseconds) is when it
    /// was done, now when not given; never in the future, never before the incident was filed.
    pub async fn add_incident_step(
        &self,
        actor: &Actor,
        id: i64,
        body: &str,
        at: Option<i64>,
    ) -> AppResult<IncidentStep> {
        actor.require(kefu_core::roles::DESK)?;
        let t = self.incident(actor, id).await?;
        let body = kefu_core::text::check_text("body", body, MAX_STEP_CHARS)?;
        let body = body.as_str();
        let now = self.now();
        let at = at.unwrap_or(now);
        if at > now + 60_000 || at < t.created_at - 86_400_000 {
            return Err(Invalid::one(
                "at",
                "out_of_range",
                "a step is taken between the day before the incident was filed and now",
            )
            .into());
        }
        Ok(self
            .store
            .add_incident_step(t.id, at, body, actor.user_id(), now)
            .await?)
    }

    /// The recovery log, in the order the steps were taken (staff, or a customer who sees the ticket).
    pub async fn incident_steps(&self, actor: &Actor, id: i64) -> AppResult<Vec<IncidentStep>> {
        let t = self.incident(actor, id).await?;
        Ok(self.store.incident_steps(t.id).await?)
    }

    /// A new private link to the recovery log; the plain token is returned once.
    pub async fn share_incident(&self, actor: &Actor, id: i64) -> AppResult<String> {
        actor.require(kefu_core::roles::DESK)?;
        let t = self.incident(actor, id).await?;
        let token = random_secret();
        self.store
            .add_incident_share(t.id, &sha256_hex(&token), self.now())
            .await?;
        self.audit(
            actor,
            "incident.share",
            format!("ticket:{}", t.id),
            serde_json::json!({}),
        )
        .await?;
        Ok(token)
    }

    /// Revokes every link to the recovery log; the number revoked.
    pub async fn revoke_incident_shares(&self, actor: &Actor, id: i64) -> AppResult<u64> {
        actor.require(kefu_core::roles::DESK)?;
        let t = self.incident(actor, id).await?;
        let n = self.store.revoke_incident_shares(t.id, self.now()).await?;
        self.audit(
            actor,
            "incident.unshare",
            format!("ticket:{}", t.id),
            serde_json::json!({"revoked": n}),
        )
        .await?;
        Ok(n)
    }

    /// What a share link shows: the incident and its steps (no conversation, no notes).
    pub async fn shared_incident(&self, token: &str) -> AppResult<(crate::tickets::TicketView, Vec<IncidentStep>)> {
        if token.is_empty() || token.len() > 100 {
            return Err(AppError::NotFound);
        }
        let id = match self.store.incident_by_share(&sha256_hex(token)).await {
            Ok(id) => id,
            Err(StoreError::NotFound) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let t = self.store.get_ticket(id).await?;
        let steps = self.store.incident_steps(id).await?;
        Ok((self.view_tickets(vec![t]).await?.remove(0), steps))
    }
}
