//! The escalation sweep (issue 4): every minute, one node (the jobs table makes it one) looks at
//! the tickets whose SLA mark has come due, logs each warn and breach step once per target
//! cycle (the ticket's escalation log, shown with its activity), and on a breach applies the
//! policy: raise the priority, reassign (those changes go to the activity log as escalation's).
//! The ticket's next mark is recomputed from its history.

use crate::notify::Notice;
use crate::tickets::events_of;
use crate::{Actor, App, AppError, AppResult};
use kefu_core::sla::{Escalation, Step, sla_status};
use kefu_core::time::Millis;
use kefu_store::{ActivityActor, TicketChange};

/// The periodic job that runs [`App::sweep_escalations`].
pub const ESCALATE_KIND: &str = "tickets.escalate";

/// Tickets looked at per sweep (the rest wait for the next minute, oldest mark first).
const SWEEP_LIMIT: u32 = 2_000;

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub tickets: usize,
    pub warnings: usize,
    pub breaches: usize,
}

impl App {
    /// Escalates the tickets whose mark is due at `now` (milliseconds); idempotent across nodes.
    pub async fn sweep_escalations(&self, now: Millis) -> AppResult<SweepReport> {
        let ids = self.store.tickets_due_for_check(now, SWEEP_LIMIT).await?;
        let mut report = SweepReport {
            tickets: ids.len(),
            ..Default::default()
        };
        if ids.is_empty() {
            return Ok(report);
        }
        let setup = self.sla_setup().await?;
        let events = self.store.ticket_events(&ids).await?;
        let at = jiff::Timestamp::from_millisecond(now).map_err(|e| AppError::Refused(e.to_string()))?;
        let system = ActivityActor {
            id: None,
            label: "escalation".into(),
        };
        for id in ids {
            let t = self.store.get_ticket(id).await?;
            let policy = setup.policy(t.sla_policy_id)?;
            let calendar = setup.calendar(policy)?;
            let created =
                jiff::Timestamp::from_millisecond(t.created_at).map_err(|e| AppError::Refused(e.to_string()))?;
            let sla = sla_status(
                &policy.name,
                &policy.targets,
                calendar,
                created,
                &events_of(&events, id),
                at,
            )?;
            let logged: Vec<Escalation> = self
                .store
                .escalations_of(id)
                .await?
                .iter()
                .filter_map(|k| Escalation::parse_key(k))
                .collect();
            let mut change = TicketChange::default();
            let mut steps = Vec::new();
            for e in sla.escalations_due(&logged) {
                // Logged first: a second node (or a retry) finds it and does nothing more.
                if !self.store.log_escalation(id, &e.key(), now).await? {
                    continue;
                }
                steps.push(e);
                match e.step {
                    Step::Warn => report.warnings += 1,
                    Step::Breach => {
                        report.breaches += 1;
                        if policy.escalation["raise_priority_on_breach"].as_bool().unwrap_or(false) {
                            change.priority = Some(change.priority.unwrap_or(t.priority).raised());
                        }
                        if let Some(u) = policy.escalation["reassign_to"].as_i64() {
                            change.assignee_id = Some(Some(u));
                        }
                    }
                }
            }
            let marks = sla.next_check_at().map(|x| x.as_millisecond());
            change.sla_marks = Some((marks.filter(|m| *m > now), t.sla_urgent_at));
            if steps.is_empty() && change.sla_marks == Some((t.sla_next_check_at, t.sla_urgent_at)) {
                continue;
            }
            self.store.change_ticket(id, change, None, &system, now).await?;
            for e in steps {
                tracing::info!(ticket = id, step = %e.key(), "escalated");
                if e.step == Step::Breach {
                    self.notify(Notice::Breach {
                        ticket_id: id,
                        metric: e.metric,
                    })
                    .await;
                }
            }
        }
        Ok(report)
    }

    /// For tests and operators: the escalation steps logged on a ticket.
    pub async fn ticket_escalations(&self, actor: &Actor, id: i64) -> AppResult<Vec<String>> {
        self.visible_ticket(actor, id).await?;
        Ok(self.store.escalations_of(id).await?)
    }
}
