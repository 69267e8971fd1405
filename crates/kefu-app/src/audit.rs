//! The audit log of admin actions: who, what, when, from where. Append-only.

use crate::{Actor, App, AppResult};
use kefu_store::{AuditEntry, NewAudit};

impl App {
    pub async fn audit(&self, actor: &Actor, action: &str, target: String, detail: serde_json::Value) -> AppResult<()> {
        self.store
            .append_audit(NewAudit {
                at: self.now(),
                actor_id: actor.user_id(),
                actor: actor.label(),
                action: action.to_owned(),
                target,
                detail,
                ip: actor.ip(),
            })
            .await?;
        Ok(())
    }

    /// The audit log, newest first, below the entry id `before` (0: from the newest): admins only.
    pub async fn audit_log(&self, actor: &Actor, before: i64, limit: u32) -> AppResult<Vec<AuditEntry>> {
        actor.require_admin()?;
        Ok(self.store.list_audit(before, limit).await?)
    }
}
