//! The escalation sweep (docs/statistics.md#sla-clock): every minute, one node (the jobs table
//! makes it one) looks at the tickets whose SLA mark has come due, logs each warn and breach step
//! once per target cycle (the ticket's escalation log, shown with its activity), and on a breach
//! applies the policy: raise the priority, reassign (those changes go to the activity log as
//! escalation's). The ticket's next mark is recomputed from its history.

use crate::notify::Notice;
use crate::tickets::events_of;
use crate::{Actor, App, AppError, AppResult};
use kefu_core::sla::{Escalation, Step, sla_status};
use kefu_core::time::Millis;
use kefu_store::{ActivityActor, SweepChange};
use std::collections::HashMap;

/// The periodic job that runs [`App::sweep_escalations`].
pub const ESCALATE_KIND: &str = "tickets.escalate";

/// Tickets looked at per sweep (the rest wait for the next minute, oldest mark first).
const SWEEP_LIMIT: u32 = 10_000;
/// Tickets read, planned and written together: one read of each kind and two write
/// transactions (the steps, then the changes) per chunk.
const SWEEP_CHUNK: usize = 1_000;

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
        for chunk in ids.chunks(SWEEP_CHUNK) {
            self.sweep_chunk(chunk, &setup, now, &mut report).await?;
        }
        Ok(report)
    }

    /// One chunk of a sweep: reads the tickets, their events and logged steps at once, logs every
    /// due step in one transaction (logged first: a second node, or a retry, finds them and does
    /// nothing more), then applies the changes of the steps it logged and the moved marks in one
    /// more.
    async fn sweep_chunk(
        &self,
        ids: &[i64],
        setup: &crate::tickets::SlaSetup,
        now: Millis,
        report: &mut SweepReport,
    ) -> AppResult<()> {
        let at = jiff::Timestamp::from_millisecond(now).map_err(|e| AppError::Refused(e.to_string()))?;
        let tickets = self.store.tickets_by_ids(ids).await?;
        let events = self.store.ticket_events(ids).await?;
        let mut logged: HashMap<i64, Vec<Escalation>> = HashMap::new();
        for (id, key) in self.store.escalations_of_tickets(ids).await? {
            if let Some(e) = Escalation::parse_key(&key) {
                logged.entry(id).or_default().push(e);
            }
        }
        // Each ticket's due steps and next mark.
        let mut plans = Vec::with_capacity(tickets.len());
        let mut keys = Vec::new();
        for t in tickets {
            let policy = setup.policy(t.sla_policy_id)?;
            let calendar = setup.calendar(policy)?;
            let created =
                jiff::Timestamp::from_millisecond(t.created_at).map_err(|e| AppError::Refused(e.to_string()))?;
            let sla = sla_status(
                &policy.name,
                &policy.targets,
                calendar,
                created,
                &events_of(&events, t.id),
                at,
            )?;
            let due = sla.escalations_due(logged.get(&t.id).map(Vec::as_slice).unwrap_or_default());
            keys.extend(due.iter().map(|e| (t.id, e.key())));
            let marks = crate::tickets::sla_marks(&sla, calendar)?;
            plans.push((t, policy, due, marks));
        }
        let mut fresh = self.store.log_escalations(&keys, now).await?.into_iter();
        let system = ActivityActor {
            id: None,
            label: "escalation".into(),
        };
        let mut changes = Vec::new();
        let mut escalated = Vec::new();
        // Tickets whose priority or assignee the sweep changes, as they were (`ticket.updated`).
        let mut reprioritised = Vec::new();
        // Tickets with a breach logged now, by the place of their change: a breach settles its
        // target, so their facts change with it.
        let mut breached: Vec<(usize, kefu_store::Ticket)> = Vec::new();
        for (t, policy, due, marks) in plans {
            let mut change = SweepChange {
                id: t.id,
                old_priority: t.priority,
                priority: t.priority,
                old_assignee: t.assignee_id,
                assignee: t.assignee_id,
                next_check_at: marks.next_check_at.filter(|m| *m > now),
                urgent_at: marks.urgent_at,
                due_at: marks.due_at,
                facts: None,
            };
            let mut steps = Vec::new();
            for e in due {
                if !fresh.next().unwrap_or(false) {
                    continue;
                }
                steps.push(e);
                match e.step {
                    Step::Warn => report.warnings += 1,
                    Step::Breach => {
                        report.breaches += 1;
                        if policy.escalation["raise_priority_on_breach"].as_bool().unwrap_or(false) {
                            change.priority = change.priority.raised();
                        }
                        if let Some(u) = policy.escalation["reassign_to"].as_i64() {
                            change.assignee = Some(u);
                        }
                    }
                }
            }
            if steps.is_empty()
                && change.next_check_at == t.sla_next_check_at
                && (change.urgent_at, change.due_at) == (t.sla_urgent_at, t.sla_due_at)
            {
                continue;
            }
            let moved = change.priority != t.priority || change.assignee != t.assignee_id;
            if steps.iter().any(|e| e.step == Step::Breach) {
                breached.push((changes.len(), t.clone()));
            }
            changes.push(change);
            escalated.extend(steps.into_iter().map(|e| (t.id, e)));
            if moved {
                reprioritised.push(t);
            }
        }
        if !breached.is_empty() {
            // The events and steps read above, with the steps just logged: only the assignees
            // and segments are read again.
            for (id, e) in &escalated {
                logged.entry(*id).or_default().push(*e);
            }
            let ids: Vec<i64> = breached.iter().map(|(_, t)| t.id).collect();
            let history = self.stored_history_with(&ids, events, logged).await?;
            let tz = self.desk().await?.time_zone.clone();
            for (i, t) in &breached {
                changes[*i].facts = Some(history.contribution_of(setup, &tz, t, &[], None, at)?);
            }
        }
        self.store.apply_sweep(&changes, &system, now).await?;
        if !reprioritised.is_empty() {
            self.emit_tickets_updated(reprioritised).await;
        }
        for (id, e) in escalated {
            tracing::info!(ticket = id, step = %e.key(), "escalated");
            if e.step == Step::Breach {
                self.notify(Notice::Breach {
                    ticket_id: id,
                    metric: e.metric,
                })
                .await;
            }
        }
        Ok(())
    }

    /// For tests and operators: the escalation steps logged on a ticket.
    pub async fn ticket_escalations(&self, actor: &Actor, id: i64) -> AppResult<Vec<String>> {
        self.visible_ticket(actor, id).await?;
        Ok(self.store.escalations_of(id).await?)
    }
}
