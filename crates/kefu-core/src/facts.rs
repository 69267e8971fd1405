//! Ticket facts (docs/statistics.md#ticket-facts): what one ticket adds to the kept figures the
//! dashboard reads, as a pure function of its history, and the bins of the duration histograms.
//!
//! A ticket's [`Contribution`] is a short list of items — `(day, figure, agent, value)` — and the
//! segments it belongs to. The store keeps each ticket's last contribution beside it and adds
//! the difference between the old and the new one ([`delta`]) to the fact rows in the transaction
//! that changes the ticket, so the rows are always the sum of the kept contributions, and a
//! rebuild (every contribution recomputed from history) gives the same rows.
//!
//! When a figure belongs:
//! - `created`, `category:<id>`, `channel:<c>`, `touchpoint:<t>`, `product_category:<p>`: the day
//!   the ticket was created;
//! - `sla:<policy>:<target>:met`: the day the target's clock stopped in time;
//! - `sla:<policy>:<target>:breached`: the day of the due instant, once the breach is settled —
//!   the clock stopped late, or the SLA sweep logged the breach (so an unswept breach counts when
//!   the sweep marks it, in the sweep's transaction);
//! - `frt:<bin>`: the first response's business minutes, the day it was answered;
//! - `resolved`, `rt:<bin>`, `reopened`, `fcr`: the day of the (latest) resolution — a reopened
//!   ticket leaves them until it is resolved again.
//!
//! `agent:<id>` is the assignee at the instant the figure settled.

use crate::Invalid;
use crate::calendar::BusinessCalendar;
use crate::rfm::ValueTier;
use crate::sla::{ClockPhase, Escalation, Metric, SlaClock, SlaState, SlaTargets, Step};
use crate::stats::descriptive::TailHistogram;
use crate::ticket::{Channel, Kind, TicketEvent, first_contact_resolution, reopen_count};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const CREATED: &str = "created";
pub const RESOLVED: &str = "resolved";
pub const REOPENED: &str = "reopened";
pub const FCR: &str = "fcr";
/// The first-response histogram's figures are `frt:<bin>`.
pub const FIRST_RESPONSE_BINS: &str = "frt";
/// The resolution histogram's figures are `rt:<bin>`.
pub const RESOLUTION_BINS: &str = "rt";

/// The fields whose value counts as a figure too (`channel:phone`, …) on the day of filing, so that
/// every segment's figures break down by them.
pub const BREAKDOWNS: [&str; 3] = ["channel", "touchpoint", "product_category"];

/// The two grains the facts are kept at: a row per day, and its month's rollup beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grain {
    Day,
    Month,
}

impl Grain {
    pub fn as_str(self) -> &'static str {
        match self {
            Grain::Day => "day",
            Grain::Month => "month",
        }
    }
}

/// One fact row's key: `(grain, period, kind, segment, figure)`; the period is `YYYY-MM-DD` or
/// `YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FactKey {
    pub grain: Grain,
    pub period: String,
    pub kind: String,
    pub segment: String,
    pub figure: String,
}

/// What a ticket adds to the facts (kept with the ticket as JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution {
    #[serde(rename = "k")]
    pub kind: String,
    /// The segments every item counts in (`all`, `tier:A`, …), the agent's aside.
    #[serde(rename = "s")]
    pub segments: Vec<String>,
    /// `(day, figure, agent, value)`.
    #[serde(rename = "i")]
    pub items: Vec<(String, String, Option<i64>, i64)>,
}

impl Contribution {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a contribution serialises")
    }

    pub fn from_json(s: &str) -> Result<Contribution, serde_json::Error> {
        serde_json::from_str(s)
    }

    /// Every fact row this contribution adds to, with the amount (`sign` times its value).
    fn add_to(&self, out: &mut BTreeMap<FactKey, i64>, sign: i64) {
        for (day, figure, agent, value) in &self.items {
            let agent_segment = agent.map(|a| format!("agent:{a}"));
            let month = day.get(..7).unwrap_or(day);
            for segment in self.segments.iter().chain(agent_segment.as_ref()) {
                for (grain, period) in [(Grain::Day, day.as_str()), (Grain::Month, month)] {
                    let key = FactKey {
                        grain,
                        period: period.to_owned(),
                        kind: self.kind.clone(),
                        segment: segment.clone(),
                        figure: figure.clone(),
                    };
                    *out.entry(key).or_default() += sign * value;
                }
            }
        }
    }
}

/// How many days back sums of the fact rows may be kept (`kefu-app`'s fact cache): the days
/// before `today (UTC) − SETTLED_LAG_DAYS`. A write that changes a day before yesterday (UTC)
/// bumps the facts' epoch ([`settled_before`]), so every kept day is covered in any time zone
/// (a day string is at most one day off the UTC date) and across a day of clock skew.
pub const SETTLED_LAG_DAYS: i64 = 2;

/// The UTC date `days` before the instant `now_ms`, `YYYY-MM-DD`.
pub fn utc_day_before(now_ms: i64, days: i64) -> String {
    Timestamp::from_millisecond(now_ms)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::UTC)
        .date()
        .checked_sub(jiff::Span::new().days(days))
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// The first day (`YYYY-MM-DD`) a write at `now_ms` may change without bumping the facts' epoch:
/// yesterday, UTC. Every day a reader keeps ([`SETTLED_LAG_DAYS`]) lies before it.
pub fn settled_before(now_ms: i64) -> String {
    utc_day_before(now_ms, 1)
}

/// The first month (`YYYY-MM`) a survey-statistics write at `now_ms` may change without bumping
/// the survey statistics' epoch: the UTC month of the day before. An answer folds into its month in
/// the organisation's time zone, less than a day off UTC, so a live answer never bumps it; a
/// rebuild, or an answer written into a month long past, does (docs/statistics.md, "Read fast").
pub fn month_settled_before(now_ms: i64) -> String {
    utc_day_before(now_ms, 1).chars().take(7).collect()
}

/// The first month whose survey statistics a reader may not keep between requests: the UTC month
/// of [`SETTLED_LAG_DAYS`] days before `now_ms`. Every month before it lies before
/// [`month_settled_before`] of any later write, and of a write up to a day earlier.
pub fn month_kept_before(now_ms: i64) -> String {
    utc_day_before(now_ms, SETTLED_LAG_DAYS).chars().take(7).collect()
}

/// Adds to `out` what replacing `old` with `new` changes in the fact rows (rows may net to zero:
/// skip those when writing).
pub fn add_delta(out: &mut BTreeMap<FactKey, i64>, old: Option<&Contribution>, new: Option<&Contribution>) {
    if old == new {
        return;
    }
    if let Some(o) = old {
        o.add_to(out, -1);
    }
    if let Some(n) = new {
        n.add_to(out, 1);
    }
}

/// What replacing `old` with `new` changes in the fact rows, the rows that change only.
pub fn delta(old: Option<&Contribution>, new: Option<&Contribution>) -> BTreeMap<FactKey, i64> {
    let mut out = BTreeMap::new();
    add_delta(&mut out, old, new);
    out.retain(|_, v| *v != 0);
    out
}

/// The segments a ticket counts in besides `agent:` (the survey report's `field:value` syntax).
pub struct Segments<'a> {
    pub tier: ValueTier,
    pub region: &'a str,
    pub channel: Channel,
    pub department_id: i64,
    pub product_category: &'a str,
    pub touchpoint: &'a str,
}

impl Segments<'_> {
    pub fn list(&self) -> Vec<String> {
        let mut out = vec![
            "all".to_owned(),
            format!("tier:{}", self.tier.as_str()),
            format!("channel:{}", self.channel.as_str()),
            format!("department:{}", self.department_id),
        ];
        for (field, value) in [
            ("region", self.region),
            ("product_category", self.product_category),
            ("touchpoint", self.touchpoint),
        ] {
            let v = value.trim();
            if !v.is_empty() {
                out.push(format!("{field}:{v}"));
            }
        }
        out
    }
}

/// A ticket's history as the facts read it.
pub struct TicketHistory<'a> {
    pub kind: Kind,
    pub segments: Vec<String>,
    pub category_id: Option<i64>,
    pub created_at: Timestamp,
    pub events: &'a [TicketEvent],
    /// The assignee when the ticket was filed.
    pub first_assignee: Option<i64>,
    /// Each change of assignee since, `(at, new assignee)`, in order.
    pub assignee_changes: &'a [(Timestamp, Option<i64>)],
    pub policy_id: Option<i64>,
    pub targets: &'a SlaTargets,
    pub calendar: &'a BusinessCalendar,
    /// The escalation steps the sweep logged on the ticket.
    pub logged: &'a [Escalation],
    /// Days are counted in this zone (the organisation's).
    pub time_zone: &'a TimeZone,
    pub now: Timestamp,
}

impl TicketHistory<'_> {
    fn day(&self, at: Timestamp) -> String {
        at.to_zoned(self.time_zone.clone()).date().to_string()
    }

    fn agent_at(&self, at: Timestamp) -> Option<i64> {
        self.assignee_changes
            .iter()
            .take_while(|(t, _)| *t <= at)
            .last()
            .map_or(self.first_assignee, |(_, a)| *a)
    }

    /// The ticket's contribution at `now`.
    pub fn contribution(&self) -> Result<Contribution, Invalid> {
        let mut items = Vec::new();
        let mut add = |at: Timestamp, figure: String, value: i64| {
            items.push((self.day(at), figure, self.agent_at(at), value));
        };
        add(self.created_at, CREATED.to_owned(), 1);
        if let Some(c) = self.category_id {
            add(self.created_at, format!("category:{c}"), 1);
        }
        // The breakdowns a segment's figures show (by channel, touchpoint, product): the
        // ticket's own segments of those fields, counted as figures.
        for s in &self.segments {
            if BREAKDOWNS
                .iter()
                .any(|b| s.strip_prefix(b).is_some_and(|r| r.starts_with(':')))
            {
                add(self.created_at, s.clone(), 1);
            }
        }
        let clock = SlaClock::replay(self.created_at, self.events, self.now);
        for c in clock.cycles(self.targets, self.calendar)? {
            if c.target_minutes.is_none() {
                continue;
            }
            if let Some(policy) = self.policy_id {
                let swept = self.logged.contains(&Escalation {
                    metric: c.metric,
                    cycle: c.cycle,
                    step: Step::Breach,
                });
                match (c.state, c.stopped_at, c.due_at) {
                    (SlaState::Met, Some(at), _) => add(at, format!("sla:{policy}:{}:met", c.metric), 1),
                    (SlaState::Breached, stopped, Some(due)) if stopped.is_some() || swept => {
                        add(due, format!("sla:{policy}:{}:breached", c.metric), 1)
                    }
                    _ => {}
                }
            }
            let (ClockPhase::Stopped, Some(at)) = (c.phase, c.stopped_at) else {
                continue;
            };
            let minutes = c.used.as_secs().div_euclid(60);
            match c.metric {
                Metric::FirstResponse => add(at, bin_figure(FIRST_RESPONSE_BINS, minutes), 1),
                Metric::Resolution => {
                    add(at, RESOLVED.to_owned(), 1);
                    add(at, bin_figure(RESOLUTION_BINS, minutes), 1);
                    if reopen_count(self.events) > 0 {
                        add(at, REOPENED.to_owned(), 1);
                    }
                    if first_contact_resolution(self.events) == Some(true) {
                        add(at, FCR.to_owned(), 1);
                    }
                }
                Metric::NextResponse => {}
            }
        }
        Ok(Contribution {
            kind: self.kind.as_str().to_owned(),
            segments: self.segments.clone(),
            items,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Duration histograms (docs/statistics.md#tail-percentiles)

/// The figure that counts a duration of `minutes` in histogram `prefix`: its
/// [`TailHistogram`] bin, `frt:zero` or `frt:<i>`.
pub fn bin_figure(prefix: &str, minutes: i64) -> String {
    match TailHistogram::bin_of(minutes.max(0) as f64) {
        None => format!("{prefix}:zero"),
        Some(i) => format!("{prefix}:{i}"),
    }
}

/// Histogram `prefix` read back from summed fact figures `(figure, count)`; other figures and
/// non-positive counts are passed over.
pub fn histogram<'a>(prefix: &str, figures: impl IntoIterator<Item = (&'a str, i64)>) -> TailHistogram {
    let mut h = TailHistogram::default();
    for (figure, count) in figures {
        let Some(bin) = figure.strip_prefix(prefix).and_then(|r| r.strip_prefix(':')) else {
            continue;
        };
        let Ok(count) = u64::try_from(count) else { continue };
        match bin {
            "zero" => h.add_to_bin(None, count),
            b => {
                if let Ok(i) = b.parse() {
                    h.add_to_bin(Some(i), count)
                }
            }
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::{EventKind, Status};

    fn calendar() -> BusinessCalendar {
        BusinessCalendar::from_toml(
            "time_zone = \"Asia/Shanghai\"\nworkday_hours = [\"09:00-12:00\", \"13:30-18:00\"]\n[week]\nmon = [\"09:00-12:00\", \"13:30-18:00\"]\ntue = [\"09:00-12:00\", \"13:30-18:00\"]\nwed = [\"09:00-12:00\", \"13:30-18:00\"]\nthu = [\"09:00-12:00\", \"13:30-18:00\"]\nfri = [\"09:00-12:00\", \"13:30-18:00\"]\nsat = []\nsun = []\n",
        )
        .unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn histograms_read_back_from_fact_figures_are_within_one_percent_of_nearest_rank() {
        // A spread of durations from none to months, uneven on purpose, kept as fact figures.
        let mut values: Vec<i64> = (0..5000).map(|i| (i * i * 7 + i * 13) % 400_000 + i % 3).collect();
        values.extend([0, 0, 1]);
        values.sort();
        let mut figures: BTreeMap<String, i64> = BTreeMap::new();
        for v in &values {
            *figures.entry(bin_figure("rt", *v)).or_default() += 1;
        }
        figures.insert("created".into(), 7);
        let h = histogram("rt", figures.iter().map(|(f, c)| (f.as_str(), *c)));
        assert_eq!(h.n(), values.len() as u64);
        for pct in [1, 50, 90, 99, 100] {
            let rank = (pct * values.len()).div_ceil(100).max(1);
            let exact = values[rank - 1] as f64;
            let got = h.percentile(pct as u32).unwrap();
            assert!((got - exact).abs() <= 0.01 * exact, "p{pct}: {got} vs {exact}");
        }
    }

    fn history<'a>(
        events: &'a [TicketEvent],
        changes: &'a [(Timestamp, Option<i64>)],
        logged: &'a [Escalation],
        cal: &'a BusinessCalendar,
        targets: &'a SlaTargets,
        now: &str,
    ) -> TicketHistory<'a> {
        TicketHistory {
            kind: Kind::Complaint,
            segments: vec!["all".into(), "tier:A".into(), "channel:phone".into()],
            category_id: Some(7),
            created_at: ts("2026-03-02T01:00:00Z"), // Monday 09:00 Shanghai
            events,
            first_assignee: None,
            assignee_changes: changes,
            policy_id: Some(1),
            targets,
            calendar: cal,
            logged,
            time_zone: &cal.time_zone,
            now: ts(now),
        }
    }

    #[test]
    fn a_ticket_counts_where_its_figures_settled() {
        let cal = calendar();
        let targets = SlaTargets {
            first_response_minutes: Some(60),
            next_response_minutes: Some(60),
            resolution_minutes: Some(600),
            warn_share: 0.8,
        };
        let events = [
            TicketEvent::new(ts("2026-03-02T01:00:00Z"), EventKind::CustomerMessage),
            // Answered after 30 business minutes, by agent 5 (assigned at 09:10).
            TicketEvent::new(ts("2026-03-02T01:30:00Z"), EventKind::AgentReply),
            TicketEvent::new(ts("2026-03-02T01:30:00Z"), EventKind::StatusChanged(Status::Open)),
            // Resolved on Tuesday 10:00 Shanghai: 7.5 h Monday + 1 h = 510 business minutes, in time.
            TicketEvent::new(ts("2026-03-03T02:00:00Z"), EventKind::StatusChanged(Status::Resolved)),
        ];
        let changes = [(ts("2026-03-02T01:10:00Z"), Some(5))];
        let c = history(&events, &changes, &[], &cal, &targets, "2026-03-05T00:00:00Z")
            .contribution()
            .unwrap();
        let item = |day: &str, f: &str, a: Option<i64>| (day.to_owned(), f.to_owned(), a, 1);
        assert_eq!(
            c.items,
            vec![
                item("2026-03-02", "created", None),
                item("2026-03-02", "category:7", None),
                item("2026-03-02", "channel:phone", None),
                item("2026-03-02", "sla:1:first_response:met", Some(5)),
                item("2026-03-02", &bin_figure("frt", 30), Some(5)),
                item("2026-03-03", "sla:1:resolution:met", Some(5)),
                item("2026-03-03", "resolved", Some(5)),
                item("2026-03-03", &bin_figure("rt", 510), Some(5)),
                item("2026-03-03", "fcr", Some(5)),
            ]
        );
        // Each item counts in each segment and the agent's, by day and by month.
        let rows = delta(None, Some(&c));
        let created_all_month = FactKey {
            grain: Grain::Month,
            period: "2026-03".into(),
            kind: "complaint".into(),
            segment: "all".into(),
            figure: "created".into(),
        };
        assert_eq!(rows.get(&created_all_month), Some(&1));
        assert_eq!(rows.len(), 3 * 3 * 2 + 6 * 4 * 2);
        // Unchanged: no delta; replaced: the difference only.
        assert!(delta(Some(&c), Some(&c)).is_empty());
        let mut reopened = events.to_vec();
        reopened.push(TicketEvent::new(ts("2026-03-04T02:00:00Z"), EventKind::CustomerMessage));
        reopened.push(TicketEvent::new(
            ts("2026-03-04T02:00:00Z"),
            EventKind::StatusChanged(Status::Open),
        ));
        let c2 = history(&reopened, &changes, &[], &cal, &targets, "2026-03-04T03:00:00Z")
            .contribution()
            .unwrap();
        let d = delta(Some(&c), Some(&c2));
        assert!(d.keys().all(|k| k.figure != "created"), "{d:?}");
        assert!(d.iter().any(|(k, v)| k.figure == "resolved" && *v == -1));
    }

    #[test]
    fn a_live_breach_counts_once_the_sweep_marked_it() {
        let cal = calendar();
        let targets = SlaTargets {
            first_response_minutes: Some(60),
            next_response_minutes: None,
            resolution_minutes: None,
            warn_share: 0.8,
        };
        let events = [TicketEvent::new(ts("2026-03-02T01:00:00Z"), EventKind::CustomerMessage)];
        let unswept = history(&events, &[], &[], &cal, &targets, "2026-03-02T05:00:00Z")
            .contribution()
            .unwrap();
        assert!(unswept.items.iter().all(|i| !i.1.starts_with("sla:")));
        let logged = [Escalation {
            metric: Metric::FirstResponse,
            cycle: 1,
            step: Step::Breach,
        }];
        let swept = history(&events, &[], &logged, &cal, &targets, "2026-03-02T05:00:00Z")
            .contribution()
            .unwrap();
        assert!(
            swept
                .items
                .contains(&("2026-03-02".into(), "sla:1:first_response:breached".into(), None, 1))
        );
        let back = Contribution::from_json(&swept.to_json()).unwrap();
        assert_eq!(back, swept);
    }

    #[test]
    fn survey_months_are_kept_only_once_no_live_answer_can_reach_them() {
        let at = |s: &str| ts(s).as_millisecond();
        // Two days into December (UTC) November is kept; on the first and second it is not yet.
        assert_eq!(month_kept_before(at("2026-12-03T00:00:00Z")), "2026-12");
        assert_eq!(month_kept_before(at("2026-12-02T23:59:59Z")), "2026-11");
        assert_eq!(month_settled_before(at("2026-12-02T00:00:00Z")), "2026-12");
        assert_eq!(month_settled_before(at("2026-12-01T23:59:59Z")), "2026-11");
        // An answer at the first instant of December in Kiribati (UTC+14) is still November in
        // UTC; it folds into December, which no reader keeps until the third.
        let first = at("2026-11-30T10:00:00Z");
        assert!("2026-12" >= month_settled_before(first).as_str());
        // A reader keeps a month only after every writer from a day before stopped bumping for it.
        for now in ["2026-12-03T00:00:00Z", "2027-01-02T12:00:00Z", "2027-03-01T00:00:00Z"] {
            let reader = at(now);
            let writer = reader - crate::time::DAY_MS;
            assert!(month_kept_before(reader) <= month_settled_before(writer), "{now}");
        }
    }
}
