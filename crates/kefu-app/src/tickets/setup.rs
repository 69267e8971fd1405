//! What ticket creation and the queue read besides the tickets, kept for a few seconds: the SLA
//! policies with their calendars, and the desk (routing rules, default department, time zone).

use crate::{AppError, AppResult};
use kefu_core::calendar::BusinessCalendar;
use kefu_core::routing::RoutingRule;
use kefu_core::sla::select_policy;
use kefu_core::ticket::{Kind, Priority};
use kefu_store::SlaPolicy;
use std::collections::HashMap;
use std::sync::Arc;

/// Policies and their parsed calendars, loaded once (they change rarely; an edit clears it).
#[derive(Clone)]
pub struct SlaSetup {
    pub policies: Vec<SlaPolicy>,
    pub calendars: HashMap<i64, Arc<BusinessCalendar>>,
    /// Each calendar's name.
    pub calendar_names: HashMap<i64, String>,
}

/// How long the SLA setup and the [`Desk`] are kept before they are read again: an edit on this
/// node clears them at once, one on another node (PostgreSQL) is seen within this.
pub(crate) const DESK_TTL: std::time::Duration = std::time::Duration::from_secs(5);

/// What every new ticket and every queue page reads besides the tickets themselves: the routing
/// rules, the default department and the organisation's time zone. Kept for [`DESK_TTL`], so a
/// burst of requests reads them once instead of once each.
pub(crate) struct Desk {
    pub rules: Vec<RoutingRule>,
    pub default_department: i64,
    pub time_zone: jiff::tz::TimeZone,
}

/// A value kept for [`DESK_TTL`].
pub(crate) type Kept<T> = Arc<tokio::sync::RwLock<Option<(std::time::Instant, Arc<T>)>>>;

/// The kept value while it is fresh (younger than [`DESK_TTL`]).
pub(crate) async fn fresh<T>(kept: &Kept<T>) -> Option<Arc<T>> {
    fresh_within(kept, DESK_TTL).await
}

/// The kept value while it is younger than `ttl`.
pub(crate) async fn fresh_within<T>(kept: &Kept<T>, ttl: std::time::Duration) -> Option<Arc<T>> {
    match kept.read().await.as_ref() {
        Some((at, v)) if at.elapsed() < ttl => Some(v.clone()),
        _ => None,
    }
}

impl SlaSetup {
    fn default_policy(&self) -> AppResult<&SlaPolicy> {
        self.policies
            .iter()
            .find(|p| p.is_default)
            .ok_or_else(|| AppError::Refused("no default SLA policy".into()))
    }
    pub fn policy(&self, id: Option<i64>) -> AppResult<&SlaPolicy> {
        match id.and_then(|id| self.policies.iter().find(|p| p.id == id)) {
            Some(p) => Ok(p),
            None => self.default_policy(),
        }
    }
    /// The policy for a ticket of `kind` × `priority` from a customer of `tier` (most specific
    /// scope wins; the default policy when none matches).
    pub fn select(&self, kind: Kind, priority: Priority, tier: kefu_core::rfm::ValueTier) -> AppResult<&SlaPolicy> {
        let default = self.default_policy()?;
        let scoped: Vec<&SlaPolicy> = self.policies.iter().filter(|p| !p.is_default).collect();
        Ok(*select_policy(
            &scoped,
            &default,
            |p: &&SlaPolicy| p.scope,
            kind,
            priority,
            tier,
        ))
    }

    pub fn calendar(&self, p: &SlaPolicy) -> AppResult<&BusinessCalendar> {
        self.calendars
            .get(&p.calendar_id)
            .map(|c| c.as_ref())
            .ok_or_else(|| AppError::Refused(format!("policy {} has no calendar", p.name)))
    }
}
