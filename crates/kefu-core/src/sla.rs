//! The SLA clock (docs/statistics.md#sla-clock; docs/tickets.md#service-levels-and-routing):
//! first-response, next-response and resolution targets in business minutes, replayed from a
//! ticket's history every time it is read, so a deadline never drifts from what happened. Also
//! which policy applies to a ticket, and which escalation steps fall due.
//!
//! The rules, after Zendesk's and Zammad's:
//! - **First response** runs from creation to the first thing the customer hears from us (a public
//!   reply or a logged call). It does not pause: waiting on the customer presupposes we spoke.
//! - **Next response** runs from a customer message that came after our first response to our next
//!   reply; messages before that reply join the same cycle (the oldest unanswered one counts).
//!   Each cycle is numbered from 1. A message on a resolved ticket starts a cycle only if the
//!   ticket is reopened, and from the reopening.
//! - **Resolution** runs from creation until the ticket is resolved.
//! - While the ticket is **pending** (waiting on the customer), next response and resolution are
//!   paused: paused time does not count, so their deadlines move later by the business time the
//!   pause covered. The customer's reply (which moves the ticket back to open) resumes them.
//! - **Resolving** (or closing) stops every target: the resolution answers whatever was unanswered.
//! - **Reopening** resumes the resolution clock where it stopped; the resolved interval does not
//!   count. It does not restart with a fresh target, which would let a premature "resolved" buy a
//!   new deadline. A reopened ticket whose budget is spent is breached at once.
//! - A target is **met** when it stopped at or before its due instant and **breached** once the
//!   wall-clock instant (now, or when it stopped) is after the due instant: a reply during lunch
//!   after a deadline at 12:00 is late. The due instant itself is computed in business time.
//! - Changing a ticket's priority selects another policy; the clock is replayed against the new
//!   targets from the start (as Zendesk does).

use crate::calendar::BusinessCalendar;
use crate::code::code_enum;
use crate::error::Invalid;
use crate::rfm::ValueTier;
use crate::ticket::{EventKind, Kind, Priority, Status, TicketEvent};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

code_enum! {
    /// The three promises a policy makes.
    pub enum Metric("metric") {
        FirstResponse = "first_response", "First response", "首次响应";
        NextResponse = "next_response", "Next response", "后续响应";
        Resolution = "resolution", "Resolution", "解决";
    }
}

code_enum! {
    /// A target's state as the ticket shows it.
    pub enum SlaState("state") {
        /// The clock is running and the due instant has not passed.
        Running = "running", "Running", "计时中";
        /// Waiting on the customer, not yet breached.
        Paused = "paused", "Paused", "已暂停";
        /// Stopped in time.
        Met = "met", "Met", "已达成";
        /// The due instant passed before the clock stopped (or it still runs).
        Breached = "breached", "Breached", "已超时";
        /// No target in the policy, or nothing to measure yet (no customer message awaiting a
        /// next response).
        Idle = "none", "None", "无";
    }
}

code_enum! {
    /// An escalation step.
    pub enum Step("step") {
        /// The clock passed the policy's warn share of the target.
        Warn = "warn", "Warning", "预警";
        /// The due instant passed.
        Breach = "breach", "Breach", "超时";
    }
}

/// The largest target, in business minutes (about 1.8 years of 7.5-hour working days); the
/// calendar looks about three years ahead for working time.
pub const MAX_TARGET_MINUTES: i64 = 200_000;

/// A policy's promises, in business minutes of its calendar; `None` promises nothing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    #[serde(default)]
    pub first_response_minutes: Option<i64>,
    #[serde(default)]
    pub next_response_minutes: Option<i64>,
    #[serde(default)]
    pub resolution_minutes: Option<i64>,
    /// The share of a target after which it warns (0.8: at 80 % of the time used).
    #[serde(default = "default_warn_share")]
    pub warn_share: f64,
}

fn default_warn_share() -> f64 {
    0.8
}

impl SlaTargets {
    pub fn target(&self, m: Metric) -> Option<i64> {
        match m {
            Metric::FirstResponse => self.first_response_minutes,
            Metric::NextResponse => self.next_response_minutes,
            Metric::Resolution => self.resolution_minutes,
        }
    }

    /// Every target between 1 and [`MAX_TARGET_MINUTES`], the warn share strictly between 0 and 1.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut errors = Vec::new();
        for m in Metric::ALL {
            if let Some(v) = self.target(*m)
                && !(1..=MAX_TARGET_MINUTES).contains(&v)
            {
                errors.extend(
                    Invalid::one(
                        &format!("{}_minutes", m.as_str()),
                        "out_of_range",
                        format!("a target must be 1 to {MAX_TARGET_MINUTES} business minutes, not {v}"),
                    )
                    .errors,
                );
            }
        }
        if !(self.warn_share > 0.0 && self.warn_share < 1.0) {
            errors.extend(
                Invalid::one(
                    "warn_share",
                    "out_of_range",
                    format!(
                        "the warn share must be between 0 and 1 (such as 0.8), not {}",
                        self.warn_share
                    ),
                )
                .errors,
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Invalid { errors })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The clock

/// The active stretches of one target: closed `[start, end)` ones and maybe one still running.
#[derive(Debug, Clone, Default, PartialEq)]
struct Track {
    done: Vec<(Timestamp, Timestamp)>,
    open: Option<Timestamp>,
    settled: Option<Timestamp>,
}

impl Track {
    fn run(&mut self, at: Timestamp, running: bool) {
        match (self.open, running) {
            (None, true) => self.open = Some(at),
            (Some(s), false) => {
                if at > s {
                    self.done.push((s, at));
                }
                self.open = None;
            }
            _ => {}
        }
    }

    fn settle(&mut self, at: Timestamp) {
        if self.settled.is_none() {
            self.run(at, false);
            self.settled = Some(at);
        }
    }
}

/// A ticket's history replayed up to `now`: which stretches of time each target ran. Pure
/// bookkeeping; [`SlaClock::status`] turns it into due instants with a calendar and a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaClock {
    now: Timestamp,
    first: Track,
    /// The latest next-response cycle and its number (from 1).
    next: Option<(u32, Track)>,
    /// The next-response cycles before the latest, settled, in order.
    past_next: Vec<(u32, Track)>,
    resolution: Track,
}

impl SlaClock {
    /// Replays `events` (in the order they happened; ties keep their order) of a ticket created
    /// at `created_at` in status `new`. Events after `now` are ignored; events before creation
    /// count as at creation.
    pub fn replay(created_at: Timestamp, events: &[TicketEvent], now: Timestamp) -> SlaClock {
        let now = now.max(created_at);
        let mut evs: Vec<&TicketEvent> = events.iter().filter(|e| e.at <= now).collect();
        evs.sort_by_key(|e| e.at);
        let mut first = Track::default();
        let mut resolution = Track::default();
        let mut next: Option<(u32, Track)> = None;
        let mut past_next = Vec::new();
        first.run(created_at, true);
        resolution.run(created_at, true);
        let mut status = Status::New;
        let mut awaiting = false;
        for e in evs {
            let t = e.at.max(created_at);
            match e.kind {
                EventKind::CustomerMessage => awaiting = true,
                EventKind::AgentReply => {
                    first.settle(t);
                    awaiting = false;
                    if let Some((_, c)) = next.as_mut() {
                        c.settle(t);
                    }
                }
                EventKind::StatusChanged(to) => {
                    status = to;
                    if to.is_done() {
                        first.settle(t);
                        awaiting = false;
                        if let Some((_, c)) = next.as_mut() {
                            c.settle(t);
                        }
                        resolution.settle(t);
                    } else {
                        // Reopened: the resolution clock goes on from where it stopped.
                        resolution.settled = None;
                    }
                }
            }
            if awaiting
                && first.settled.is_some()
                && !status.is_done()
                && next.as_ref().is_none_or(|(_, c)| c.settled.is_some())
            {
                let n = next.as_ref().map_or(1, |(n, _)| n + 1);
                past_next.extend(next.replace((n, Track::default())));
            }
            if resolution.settled.is_none() {
                resolution.run(t, status.is_active());
            }
            if let Some((_, c)) = next.as_mut()
                && c.settled.is_none()
            {
                c.run(t, status.is_active());
            }
        }
        SlaClock {
            now,
            first,
            next,
            past_next,
            resolution,
        }
    }

    /// Every target cycle measured at the replay's `now`: first response, each next-response
    /// cycle in order (the settled ones and the latest), resolution. What the ticket facts count
    /// (docs/statistics.md#ticket-facts); [`SlaClock::status`] shows only the latest cycle.
    pub fn cycles(&self, targets: &SlaTargets, calendar: &BusinessCalendar) -> Result<Vec<TargetStatus>, Invalid> {
        let one = |m: Metric, track: &Track, cycle: u32| {
            TargetStatus::measure(
                m,
                Some(track),
                cycle,
                targets.target(m),
                targets.warn_share,
                calendar,
                self.now,
            )
        };
        let mut out = vec![one(Metric::FirstResponse, &self.first, 1)?];
        for (n, track) in self.past_next.iter().chain(&self.next) {
            out.push(one(Metric::NextResponse, track, *n)?);
        }
        out.push(one(Metric::Resolution, &self.resolution, 1)?);
        Ok(out)
    }

    /// Each target's state at the replay's `now` under `targets`, measured in `calendar`'s
    /// business time. Errors only when the calendar has no working time to place a deadline in.
    pub fn status(
        &self,
        policy: &str,
        targets: &SlaTargets,
        calendar: &BusinessCalendar,
    ) -> Result<SlaStatus, Invalid> {
        let one = |m: Metric, track: Option<&Track>, cycle: u32| {
            TargetStatus::measure(
                m,
                track,
                cycle,
                targets.target(m),
                targets.warn_share,
                calendar,
                self.now,
            )
        };
        Ok(SlaStatus {
            policy: policy.to_owned(),
            first_response: one(Metric::FirstResponse, Some(&self.first), 1)?,
            next_response: match &self.next {
                Some((n, c)) => one(Metric::NextResponse, Some(c), *n)?,
                None => one(Metric::NextResponse, None, 0)?,
            },
            resolution: one(Metric::Resolution, Some(&self.resolution), 1)?,
            now: self.now,
        })
    }
}

/// [`SlaClock::replay`] then [`SlaClock::status`].
pub fn sla_status(
    policy: &str,
    targets: &SlaTargets,
    calendar: &BusinessCalendar,
    created_at: Timestamp,
    events: &[TicketEvent],
    now: Timestamp,
) -> Result<SlaStatus, Invalid> {
    SlaClock::replay(created_at, events, now).status(policy, targets, calendar)
}

/// Where a target's clock is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockPhase {
    /// No target, or nothing to measure yet.
    Idle,
    Running,
    Paused,
    /// Stopped for good (answered, resolved).
    Stopped,
}

/// A target's state: the JSON the API shows is `{target_minutes, due_at, state,
/// remaining_business_minutes, warn}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetStatus {
    pub target_minutes: Option<i64>,
    /// When the target is (or was) due. `None` when idle, and when paused before the budget ran
    /// out (the deadline depends on when the clock resumes).
    pub due_at: Option<Timestamp>,
    pub state: SlaState,
    /// Business minutes left, rounded down; negative when breached (at least one minute over,
    /// even when the deadline passed outside business hours), `None` when idle.
    pub remaining_business_minutes: Option<i64>,
    /// Past the policy's warn share and not met.
    pub warn: bool,
    #[serde(skip)]
    pub metric: Metric,
    /// The cycle measured: 1 for first response and resolution, 1, 2, … for next response.
    #[serde(skip)]
    pub cycle: u32,
    #[serde(skip)]
    pub phase: ClockPhase,
    /// When a running target reaches its warn share, if still ahead.
    #[serde(skip)]
    pub warn_at: Option<Timestamp>,
    /// Business time used so far.
    #[serde(skip)]
    pub used: SignedDuration,
    /// When the clock stopped for good (answered, resolved).
    #[serde(skip)]
    pub stopped_at: Option<Timestamp>,
    #[serde(skip)]
    timeline: Timeline,
}

/// The active stretches with their business time, kept to place later instants (warn, urgency).
#[derive(Debug, Clone, Default, PartialEq)]
struct Timeline {
    done: Vec<(Timestamp, SignedDuration)>,
    /// Where to count on from once the stretches are used up: the running stretch's start, or
    /// the instant the clock stopped (for the due instant of a met target). `None` when paused.
    extend_from: Option<Timestamp>,
    /// Business time of the stretches before `extend_from` (all the done ones).
    done_total: SignedDuration,
}

impl Timeline {
    /// The instant the clock has used `budget` business time; `None` if paused before that.
    fn instant_at(&self, budget: SignedDuration, cal: &BusinessCalendar) -> Result<Option<Timestamp>, Invalid> {
        let mut used = SignedDuration::ZERO;
        for &(s, d) in &self.done {
            if used + d >= budget {
                return cal.add_business_duration(s, budget - used).map(Some);
            }
            used += d;
        }
        match self.extend_from {
            Some(from) => cal.add_business_duration(from, budget - used).map(Some),
            None => Ok(None),
        }
    }
}

/// Whole minutes, rounded towards negative infinity.
fn floor_minutes(d: SignedDuration) -> i64 {
    let n = d.as_nanos().div_euclid(60_000_000_000);
    i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX })
}

fn share_of(minutes: i64, share: f64) -> SignedDuration {
    SignedDuration::from_secs(((minutes * 60) as f64 * share.clamp(0.0, 1.0)).round() as i64)
}

impl TargetStatus {
    fn idle(metric: Metric, target_minutes: Option<i64>, cycle: u32) -> TargetStatus {
        TargetStatus {
            target_minutes,
            due_at: None,
            state: SlaState::Idle,
            remaining_business_minutes: None,
            warn: false,
            metric,
            cycle,
            phase: ClockPhase::Idle,
            warn_at: None,
            used: SignedDuration::ZERO,
            stopped_at: None,
            timeline: Timeline::default(),
        }
    }

    fn measure(
        metric: Metric,
        track: Option<&Track>,
        cycle: u32,
        target: Option<i64>,
        warn_share: f64,
        cal: &BusinessCalendar,
        now: Timestamp,
    ) -> Result<TargetStatus, Invalid> {
        let (Some(minutes), Some(track)) = (target, track) else {
            return Ok(TargetStatus::idle(metric, target, cycle));
        };
        let minutes = minutes.clamp(0, MAX_TARGET_MINUTES);
        let budget = SignedDuration::from_mins(minutes);
        let mut tl = Timeline::default();
        for &(s, e) in &track.done {
            let d = cal.business_duration(s, e)?;
            tl.done.push((s, d));
            tl.done_total += d;
        }
        tl.extend_from = track.open.or(track.settled);
        let used = tl.done_total
            + match track.open {
                Some(s) => cal.business_duration(s, now)?,
                None => SignedDuration::ZERO,
            };
        let phase = if track.settled.is_some() {
            ClockPhase::Stopped
        } else if track.open.is_some() {
            ClockPhase::Running
        } else {
            ClockPhase::Paused
        };
        let due_at = tl.instant_at(budget, cal)?;
        // The instant the verdict is taken at: now while running, else when the clock stopped.
        let reference = match phase {
            ClockPhase::Running => Some(now),
            ClockPhase::Stopped => track.settled,
            _ => track.done.last().map(|&(_, e)| e),
        };
        let breached = matches!((due_at, reference), (Some(d), Some(r)) if r > d);
        let state = match (phase, breached) {
            (_, true) => SlaState::Breached,
            (ClockPhase::Stopped, false) => SlaState::Met,
            (ClockPhase::Paused, false) => SlaState::Paused,
            _ => SlaState::Running,
        };
        let mut remaining = floor_minutes(budget - used);
        if breached {
            remaining = remaining.min(-1);
        }
        let warn_budget = share_of(minutes, warn_share);
        let warn = state != SlaState::Met && used >= warn_budget;
        let warn_at = if phase == ClockPhase::Running && !warn {
            tl.instant_at(warn_budget, cal)?
        } else {
            None
        };
        Ok(TargetStatus {
            target_minutes: Some(minutes),
            due_at,
            state,
            remaining_business_minutes: Some(remaining),
            warn,
            metric,
            cycle,
            phase,
            warn_at,
            used,
            stopped_at: track.settled,
            timeline: tl,
        })
    }

    /// The share of the target still left (1.0 untouched, 0 at the due instant, negative past
    /// it); `None` when idle.
    pub fn share_left(&self) -> Option<f64> {
        let t = self.target_minutes.filter(|&t| t > 0)?;
        if self.phase == ClockPhase::Idle {
            return None;
        }
        let budget = SignedDuration::from_mins(t);
        Some((budget - self.used).as_secs_f64() / budget.as_secs_f64())
    }

    /// Whether a running or paused target has used at least `share` of its time, counted to the
    /// second as [`Self::instant_at_share`] places that instant, so the two agree at the instant
    /// itself (the queue's urgency and its kept `urgent_at` mark: docs/statistics.md#queue-now).
    pub fn has_used_share(&self, share: f64) -> bool {
        match self.target_minutes.filter(|&t| t > 0) {
            Some(t) if self.phase != ClockPhase::Idle => self.used >= share_of(t, share),
            _ => false,
        }
    }

    /// The instant a running target uses (or used) `share` of its time: `0.75` is when a quarter
    /// is left. `None` unless the target is running.
    pub fn instant_at_share(&self, share: f64, cal: &BusinessCalendar) -> Result<Option<Timestamp>, Invalid> {
        match (self.phase, self.target_minutes) {
            (ClockPhase::Running, Some(t)) => self.timeline.instant_at(share_of(t, share), cal),
            _ => Ok(None),
        }
    }

    fn live(&self) -> bool {
        matches!(self.phase, ClockPhase::Running | ClockPhase::Paused)
    }
}

/// A ticket's SLA: `{policy, first_response, next_response, resolution}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaStatus {
    /// The policy's name.
    pub policy: String,
    pub first_response: TargetStatus,
    pub next_response: TargetStatus,
    pub resolution: TargetStatus,
    /// The instant this was computed for.
    #[serde(skip)]
    pub now: Timestamp,
}

/// One escalation step of one target's cycle. Its [`Escalation::key`] is what the ticket's log
/// records, so a sweep that runs twice (or on two nodes) logs each step once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Escalation {
    pub metric: Metric,
    pub cycle: u32,
    pub step: Step,
}

impl Escalation {
    /// `first_response#1:warn`, `next_response#3:breach`.
    pub fn key(&self) -> String {
        format!("{}#{}:{}", self.metric, self.cycle, self.step)
    }

    /// Reads a [`Escalation::key`] back.
    pub fn parse_key(s: &str) -> Option<Escalation> {
        let (metric, rest) = s.split_once('#')?;
        let (cycle, step) = rest.split_once(':')?;
        Some(Escalation {
            metric: Metric::parse(metric).ok()?,
            cycle: cycle.parse().ok().filter(|&c: &u32| c > 0 && !cycle.starts_with('+'))?,
            step: Step::parse(step).ok()?,
        })
    }
}

impl SlaStatus {
    pub fn targets(&self) -> [&TargetStatus; 3] {
        [&self.first_response, &self.next_response, &self.resolution]
    }

    /// The escalation steps due now that `logged` does not hold yet, in metric order: `breach`
    /// for a live (running or paused) target past its due instant, else `warn` for one past its
    /// warn share. A target that already stopped escalates no more, and a breach makes its
    /// warning moot.
    pub fn escalations_due(&self, logged: &[Escalation]) -> Vec<Escalation> {
        self.targets()
            .into_iter()
            .filter(|t| t.live())
            .filter_map(|t| {
                let step = if t.state == SlaState::Breached {
                    Step::Breach
                } else if t.warn {
                    Step::Warn
                } else {
                    return None;
                };
                Some(Escalation {
                    metric: t.metric,
                    cycle: t.cycle,
                    step,
                })
            })
            .filter(|e| !logged.contains(e))
            .collect()
    }

    /// The next instant after `now` at which a step can fall due without anything happening on
    /// the ticket (a warn share reached, or the first millisecond past a due instant), for the
    /// escalation sweep's index. Steps already due are [`SlaStatus::escalations_due`]'s; `None`
    /// when no clock runs towards one.
    pub fn next_check_at(&self) -> Option<Timestamp> {
        self.targets()
            .into_iter()
            .filter(|t| t.phase == ClockPhase::Running && t.state == SlaState::Running)
            .filter_map(|t| {
                if t.warn {
                    t.due_at
                        .and_then(|d| d.checked_add(SignedDuration::from_millis(1)).ok())
                } else {
                    t.warn_at
                }
            })
            .min()
    }
}

// ---------------------------------------------------------------------------------------------
// Policy selection

/// How many of kind, priority and tier a scope names, then which.
type Specificity = (u8, bool, bool, bool);

/// Which tickets a policy covers; `None` is a wildcard.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyScope {
    #[serde(default)]
    pub kind: Option<Kind>,
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub tier: Option<ValueTier>,
}

impl PolicyScope {
    fn matches(&self, kind: Kind, priority: Priority, tier: ValueTier) -> bool {
        self.kind.is_none_or(|k| k == kind)
            && self.priority.is_none_or(|p| p == priority)
            && self.tier.is_none_or(|t| t == tier)
    }

    /// More named fields first; between equally many, kind outranks priority outranks tier.
    fn specificity(&self) -> Specificity {
        let (k, p, t) = (self.kind.is_some(), self.priority.is_some(), self.tier.is_some());
        (u8::from(k) + u8::from(p) + u8::from(t), k, p, t)
    }
}

/// The policy for a ticket of `kind` and `priority` from a customer of value `tier`: among the
/// policies whose scope matches, the most specific wins — the one naming more of kind, priority
/// and tier; between two naming equally many, the one naming the kind, then the priority (so
/// `complaint × *` beats `* × urgent`, which beats `* × * × A`). Two policies with the same scope
/// should not exist (make it unique); the first listed wins. No match: `default`.
pub fn select_policy<'a, P>(
    policies: &'a [P],
    default: &'a P,
    scope: impl Fn(&P) -> PolicyScope,
    kind: Kind,
    priority: Priority,
    tier: ValueTier,
) -> &'a P {
    let mut best: Option<(&P, Specificity)> = None;
    for p in policies {
        let s = scope(p);
        if s.matches(kind, priority, tier) && best.is_none_or(|(_, b)| s.specificity() > b) {
            best = Some((p, s.specificity()));
        }
    }
    best.map_or(default, |(p, _)| p)
}

#[cfg(test)]
mod tests;
