//! Ticket facts (docs/statistics.md#ticket-facts): each ticket's contribution to the dashboard's
//! kept figures, computed from its history (kefu-core::facts) and handed to the store with the
//! write that changes it; the fold of tickets not yet counted (after the migration, after
//! `kefu stats rebuild`, after a bulk load); and the rebuild.

use crate::tickets::{SlaSetup, events_of};
use crate::{App, AppError, AppResult};
use kefu_core::facts::{Contribution, Segments, TicketHistory};
use kefu_core::sla::Escalation;
use kefu_core::ticket::TicketEvent;
use kefu_store::Ticket;
use std::collections::HashMap;

/// Tickets read, counted and folded together.
const FOLD_CHUNK: usize = 1_000;

/// What a ticket's contribution reads beyond its row.
pub(crate) struct FactContext<'a> {
    pub events: &'a [TicketEvent],
    /// The assignee when filed.
    pub first_assignee: Option<i64>,
    /// `(at, new assignee)` since, in order.
    pub assignee_changes: &'a [(jiff::Timestamp, Option<i64>)],
    pub logged: &'a [Escalation],
    pub region: &'a str,
    pub product_category: &'a str,
}

fn ts(ms: i64) -> AppResult<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(ms).map_err(|e| AppError::Refused(e.to_string()))
}

/// The fields of a ticket's row its facts read.
pub(crate) struct FactRow<'a> {
    pub kind: kefu_core::ticket::Kind,
    pub tier: kefu_core::rfm::ValueTier,
    pub channel: kefu_core::ticket::Channel,
    pub department_id: i64,
    pub touchpoint: &'a str,
    pub category_id: Option<i64>,
    pub sla_policy_id: Option<i64>,
    pub created_at: i64,
}

impl<'a> From<&'a Ticket> for FactRow<'a> {
    fn from(t: &'a Ticket) -> FactRow<'a> {
        FactRow {
            kind: t.kind,
            tier: t.customer_tier,
            channel: t.channel,
            department_id: t.department_id,
            touchpoint: &t.touchpoint,
            category_id: t.category_id,
            sla_policy_id: t.sla_policy_id,
            created_at: t.created_at,
        }
    }
}

impl<'a> From<&'a kefu_store::NewTicket> for FactRow<'a> {
    fn from(t: &'a kefu_store::NewTicket) -> FactRow<'a> {
        FactRow {
            kind: t.kind,
            tier: t.customer_tier,
            channel: t.channel,
            department_id: t.department_id,
            touchpoint: &t.touchpoint,
            category_id: t.category_id,
            sla_policy_id: t.sla_policy_id,
            created_at: t.now,
        }
    }
}

/// The contribution of a ticket being filed now: its first message alone, its assignee from the
/// start, nothing logged yet.
pub(crate) fn at_filing(
    setup: &SlaSetup,
    time_zone: &jiff::tz::TimeZone,
    t: &kefu_store::NewTicket,
    region: &str,
    product_category: &str,
) -> AppResult<Contribution> {
    let created = ts(t.now)?;
    let cx = FactContext {
        events: &[TicketEvent::new(created, kefu_core::ticket::EventKind::CustomerMessage)],
        first_assignee: t.assignee_id,
        assignee_changes: &[],
        logged: &[],
        region,
        product_category,
    };
    contribution(setup, time_zone, &t.into(), &cx, created)
}

/// The contribution of a ticket (as it is, or will be after the write at hand) at `now`.
pub(crate) fn contribution(
    setup: &SlaSetup,
    time_zone: &jiff::tz::TimeZone,
    t: &FactRow,
    cx: &FactContext,
    now: jiff::Timestamp,
) -> AppResult<Contribution> {
    let policy = setup.policy(t.sla_policy_id)?;
    let segments = Segments {
        tier: t.tier,
        region: cx.region,
        channel: t.channel,
        department_id: t.department_id,
        product_category: cx.product_category,
        touchpoint: t.touchpoint,
    }
    .list();
    Ok(TicketHistory {
        kind: t.kind,
        segments,
        category_id: t.category_id,
        created_at: ts(t.created_at)?,
        events: cx.events,
        first_assignee: cx.first_assignee,
        assignee_changes: cx.assignee_changes,
        policy_id: Some(policy.id),
        targets: &policy.targets,
        calendar: setup.calendar(policy)?,
        logged: cx.logged,
        time_zone,
        now,
    }
    .contribution()?)
}

/// A stored assignee change: `(at, old assignee, new assignee)`.
type AssigneeChange = (i64, Option<i64>, Option<i64>);

/// What the stored history of several tickets gives their contributions.
pub(crate) struct StoredHistory {
    events: Vec<(i64, i64, String)>,
    assignees: HashMap<i64, Vec<AssigneeChange>>,
    logged: HashMap<i64, Vec<Escalation>>,
    segments: HashMap<i64, (String, String)>,
}

impl StoredHistory {
    /// The SLA events of ticket `id` as stored.
    pub(crate) fn events(&self, id: i64) -> Vec<TicketEvent> {
        events_of(&self.events, id)
    }

    /// The product category the ticket's purchase will have after the write at hand.
    pub(crate) fn set_product_category(&mut self, id: i64, category: String) {
        self.segments.entry(id).or_default().1 = category;
    }

    /// The contribution of `t` at `now`; `extra` events and `assigned` (a change of assignee at
    /// `now`) are those of the write at hand, not stored yet.
    pub(crate) fn contribution_of(
        &self,
        setup: &SlaSetup,
        time_zone: &jiff::tz::TimeZone,
        t: &Ticket,
        extra: &[TicketEvent],
        assigned: Option<Option<i64>>,
        now: jiff::Timestamp,
    ) -> AppResult<Contribution> {
        let mut events = events_of(&self.events, t.id);
        events.extend_from_slice(extra);
        let changes = self.assignees.get(&t.id).map(Vec::as_slice).unwrap_or_default();
        let first_assignee = match changes.first() {
            Some((_, old, _)) => *old,
            None => t.assignee_id,
        };
        let mut timeline = changes
            .iter()
            .map(|(at, _, new)| Ok((ts(*at)?, *new)))
            .collect::<AppResult<Vec<_>>>()?;
        if let Some(a) = assigned.filter(|a| *a != t.assignee_id) {
            timeline.push((now, a));
        }
        let (region, product_category) = self.segments.get(&t.id).cloned().unwrap_or_default();
        let cx = FactContext {
            events: &events,
            first_assignee,
            assignee_changes: &timeline,
            logged: self.logged.get(&t.id).map(Vec::as_slice).unwrap_or_default(),
            region: &region,
            product_category: &product_category,
        };
        contribution(setup, time_zone, &t.into(), &cx, now)
    }
}

impl App {
    /// Reads what the contributions of these tickets need from the store, in one read of each kind.
    pub(crate) async fn stored_history(&self, ids: &[i64]) -> AppResult<StoredHistory> {
        let events = self.store.ticket_events(ids).await?;
        let mut logged: HashMap<i64, Vec<Escalation>> = HashMap::new();
        for (id, key) in self.store.escalations_of_tickets(ids).await? {
            if let Some(e) = Escalation::parse_key(&key) {
                logged.entry(id).or_default().push(e);
            }
        }
        self.stored_history_with(ids, events, logged).await
    }

    /// [`App::stored_history`] for a caller that has read the events (`ticket_events` rows) and
    /// the logged escalation steps already (the sweep): the rest only.
    pub(crate) async fn stored_history_with(
        &self,
        ids: &[i64],
        events: Vec<(i64, i64, String)>,
        logged: HashMap<i64, Vec<Escalation>>,
    ) -> AppResult<StoredHistory> {
        let mut assignees: HashMap<i64, Vec<_>> = HashMap::new();
        for (id, at, old, new) in self.store.assignee_changes(ids).await? {
            assignees.entry(id).or_default().push((at, old, new));
        }
        let segments = self
            .store
            .ticket_segment_values(ids)
            .await?
            .into_iter()
            .map(|(id, r, p)| (id, (r, p)))
            .collect();
        Ok(StoredHistory {
            events,
            assignees,
            logged,
            segments,
        })
    }

    /// Counts every ticket whose facts are not folded in yet (after the migration that added
    /// them, a rebuild, a bulk load), in chunks; `progress` hears the tickets done so far.
    /// Returns how many were folded.
    pub async fn fold_ticket_facts(&self, mut progress: impl FnMut(u64)) -> AppResult<u64> {
        let setup = self.sla_setup().await?;
        let tz = self.desk().await?.time_zone.clone();
        let now = self.now_ts();
        let mut after = 0;
        let mut done = 0u64;
        loop {
            let ids = self.store.unfolded_tickets(after, FOLD_CHUNK as u32).await?;
            let Some(&last) = ids.last() else { break };
            after = last;
            let tickets = self.store.tickets_by_ids(&ids).await?;
            let history = self.stored_history(&ids).await?;
            let facts = tickets
                .iter()
                .map(|t| Ok((t.id, history.contribution_of(&setup, &tz, t, &[], None, now)?)))
                .collect::<AppResult<Vec<_>>>()?;
            self.store.fold_ticket_facts(&facts).await?;
            done += facts.len() as u64;
            progress(done);
        }
        Ok(done)
    }

    /// `kefu stats rebuild`: empties the ticket facts and counts every ticket again from its
    /// history. The result equals the incremental figures (a test says so).
    pub async fn rebuild_ticket_facts(&self, progress: impl FnMut(u64)) -> AppResult<u64> {
        self.reset_ticket_facts().await?;
        self.fold_ticket_facts(progress).await
    }

    /// The first half of a rebuild: no facts, every ticket waiting to be folded; returns how many.
    pub async fn reset_ticket_facts(&self) -> AppResult<u64> {
        Ok(self.store.reset_ticket_facts().await?)
    }

    /// How many tickets are not folded into the facts yet (the length of the CLI's progress bar).
    pub async fn unfolded_ticket_count(&self) -> AppResult<u64> {
        let mut n = 0u64;
        let mut after = 0;
        loop {
            let ids = self.store.unfolded_tickets(after, 10_000).await?;
            let Some(&last) = ids.last() else { break };
            n += ids.len() as u64;
            after = last;
        }
        Ok(n)
    }
}
