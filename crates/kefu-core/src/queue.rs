//! Urgency × importance for the agent queue (第二象限管理法: the four quadrants of time management;
//! docs/statistics.md#queue-quadrants). Urgency comes from the SLA time left, importance from the
//! customer's value tier and the ticket's kind. It is computed for display and sorting only: it
//! never changes a ticket's priority or its SLA.

use crate::calendar::BusinessCalendar;
use crate::code::code_enum;
use crate::error::Invalid;
use crate::lang::Language;
use crate::rfm::ValueTier;
use crate::sla::{ClockPhase, SlaState, SlaStatus, TargetStatus};
use crate::ticket::Kind;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

code_enum! {
    /// The four quadrants, in the order the queue works them.
    pub enum Quadrant("quadrant") {
        /// 第一象限：紧急又重要
        UrgentImportant = "urgent_important", "Urgent and important", "紧急又重要";
        /// 第二象限：不紧急但重要 — the quadrant to manage on purpose, before it
        /// turns urgent.
        ImportantNotUrgent = "important_not_urgent", "Important, not urgent", "不紧急但重要";
        /// 第三象限：紧急但不重要
        UrgentNotImportant = "urgent_not_important", "Urgent, not important", "紧急但不重要";
        /// 第四象限：不紧急也不重要
        Neither = "neither", "Neither urgent nor important", "不紧急也不重要";
    }
}

impl Quadrant {
    pub fn of(urgent: bool, important: bool) -> Quadrant {
        match (urgent, important) {
            (true, true) => Quadrant::UrgentImportant,
            (false, true) => Quadrant::ImportantNotUrgent,
            (true, false) => Quadrant::UrgentNotImportant,
            (false, false) => Quadrant::Neither,
        }
    }

    /// 1 to 4, as the seed numbers them.
    pub fn number(self) -> u8 {
        match self {
            Quadrant::UrgentImportant => 1,
            Quadrant::ImportantNotUrgent => 2,
            Quadrant::UrgentNotImportant => 3,
            Quadrant::Neither => 4,
        }
    }

    /// What to do with the quadrant's tickets, for the four-quadrant view.
    pub fn advice(self, lang: Language) -> &'static str {
        match (self, lang) {
            (Quadrant::UrgentImportant, Language::En) => "Do now",
            (Quadrant::UrgentImportant, Language::ZhCn) => "立即处理",
            (Quadrant::ImportantNotUrgent, Language::En) => "Plan it before it turns urgent",
            (Quadrant::ImportantNotUrgent, Language::ZhCn) => "提前安排，别等它变紧急",
            (Quadrant::UrgentNotImportant, Language::En) => "Handle quickly or hand on",
            (Quadrant::UrgentNotImportant, Language::ZhCn) => "快速处理或转交",
            (Quadrant::Neither, Language::En) => "When time allows",
            (Quadrant::Neither, Language::ZhCn) => "有空再处理",
        }
    }
}

/// The thresholds; by default, urgent when a running SLA target has breached
/// or has at most a quarter of its time left; important for the best two value tiers, and for
/// complaints and incidents (one unhappy customer tells many).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueRules {
    #[serde(default = "default_share")]
    pub urgent_share_left: f64,
    #[serde(default = "default_tiers")]
    pub important_tiers: Vec<ValueTier>,
    #[serde(default = "default_kinds")]
    pub important_kinds: Vec<Kind>,
}

fn default_share() -> f64 {
    0.25
}
fn default_tiers() -> Vec<ValueTier> {
    vec![ValueTier::A, ValueTier::B]
}
fn default_kinds() -> Vec<Kind> {
    vec![Kind::Complaint, Kind::Incident]
}

impl Default for QueueRules {
    fn default() -> Self {
        QueueRules {
            urgent_share_left: default_share(),
            important_tiers: default_tiers(),
            important_kinds: default_kinds(),
        }
    }
}

/// The queue's order: quadrant 1 to 4, then the earliest due instant of a running target
/// (none last), then the oldest ticket (smallest id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct QueueKey {
    pub quadrant: Quadrant,
    /// Milliseconds since the epoch; `i64::MAX` when no clock runs.
    pub next_due_ms: i64,
    pub ticket_id: i64,
}

/// Targets the agent is racing: running, or breached and still running. Paused targets wait
/// on the customer and make nothing urgent.
fn racing(sla: &SlaStatus) -> impl Iterator<Item = &TargetStatus> {
    sla.targets().into_iter().filter(|t| t.phase == ClockPhase::Running)
}

impl QueueRules {
    pub fn is_important(&self, kind: Kind, tier: ValueTier) -> bool {
        self.important_kinds.contains(&kind) || self.important_tiers.contains(&tier)
    }

    pub fn is_urgent(&self, sla: &SlaStatus) -> bool {
        // At most the share left, to the second: urgent from the instant `urgent_at` names on.
        let used = 1.0 - self.urgent_share_left;
        racing(sla).any(|t| t.state == SlaState::Breached || t.has_used_share(used))
    }

    pub fn quadrant(&self, kind: Kind, tier: ValueTier, sla: &SlaStatus) -> Quadrant {
        Quadrant::of(self.is_urgent(sla), self.is_important(kind, tier))
    }

    /// The instant the ticket turns urgent if nothing happens (in the past when it already is),
    /// so a queue can store it and sort by `now >= urgent_at` without replaying every ticket.
    /// `None` when no target runs.
    pub fn urgent_at(&self, sla: &SlaStatus, cal: &BusinessCalendar) -> Result<Option<Timestamp>, Invalid> {
        let used = 1.0 - self.urgent_share_left;
        let mut best: Option<Timestamp> = None;
        for t in racing(sla) {
            if let Some(i) = t.instant_at_share(used, cal)? {
                best = Some(best.map_or(i, |b| b.min(i)));
            }
        }
        Ok(best)
    }

    pub fn sort_key(&self, ticket_id: i64, kind: Kind, tier: ValueTier, sla: &SlaStatus) -> QueueKey {
        QueueKey {
            quadrant: self.quadrant(kind, tier, sla),
            next_due_ms: racing(sla)
                .filter_map(|t| t.due_at)
                .map(|d| d.as_millisecond())
                .min()
                .unwrap_or(i64::MAX),
            ticket_id,
        }
    }
}

/// The due mark kept on a ticket: the earliest due instant of a target that has breached (in
/// the past) or still runs, so that the queue-now figures count the tickets with a breached
/// target (`mark <= now`) and those due within the hour (`now < mark <= now + 1 h`) from an
/// index, without replaying a clock (docs/statistics.md#queue-now). A met or paused target due
/// later makes nothing due; `None` when no target is breached or running.
pub fn due_at(sla: &SlaStatus) -> Option<Timestamp> {
    sla.targets()
        .into_iter()
        .filter(|t| matches!(t.state, SlaState::Breached | SlaState::Running))
        .filter_map(|t| t.due_at)
        .min()
}

/// The queue now, counted from the kept marks of the open tickets (docs/statistics.md#queue-now).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueNow {
    /// Open tickets (new, open, pending).
    pub open: u64,
    /// Those per quadrant, all four in the queue's order.
    pub quadrants: Vec<(Quadrant, u64)>,
    /// Open tickets with a target past due.
    pub breached: u64,
    /// Open tickets with none past due and a running target due within the next hour.
    pub due_within_hour: u64,
}

/// Open tickets of one kind and value tier counted by their marks at an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkCount {
    pub kind: Kind,
    pub tier: ValueTier,
    pub open: u64,
    /// Turned urgent by then (`urgent_at <= now`).
    pub urgent: u64,
    /// A target past due (`due_at <= now`).
    pub breached: u64,
    /// Due within the hour (`now < due_at <= now + 1 h`).
    pub due_soon: u64,
}

impl QueueRules {
    /// The queue now from counts by kind and tier: importance from the two, urgency from the marks.
    pub fn queue_now(&self, counts: &[MarkCount]) -> QueueNow {
        let mut quadrants: Vec<(Quadrant, u64)> = Quadrant::ALL.iter().map(|q| (*q, 0)).collect();
        let mut add = |q: Quadrant, n: u64| {
            if let Some(slot) = quadrants.iter_mut().find(|(k, _)| *k == q) {
                slot.1 += n;
            }
        };
        let (mut open, mut breached, mut due_within_hour) = (0, 0, 0);
        for c in counts {
            let important = self.is_important(c.kind, c.tier);
            let urgent = c.urgent.min(c.open);
            add(Quadrant::of(true, important), urgent);
            add(Quadrant::of(false, important), c.open - urgent);
            open += c.open;
            breached += c.breached;
            due_within_hour += c.due_soon;
        }
        QueueNow {
            open,
            quadrants,
            breached,
            due_within_hour,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::{SlaTargets, sla_status};
    use crate::ticket::{EventKind, Status, TicketEvent};

    const CHINA_2026: &str = include_str!("../../../calendars/china-2026.toml");

    fn bj(s: &str) -> Timestamp {
        format!("{}:00+08:00", s.replace(' ', "T")).parse().unwrap()
    }

    fn sla(created: &str, events: &[(&str, EventKind)], now: &str) -> SlaStatus {
        let cal = BusinessCalendar::from_toml(CHINA_2026).unwrap();
        let t = SlaTargets {
            first_response_minutes: Some(120),
            next_response_minutes: None,
            resolution_minutes: Some(960),
            warn_share: 0.8,
        };
        let ev: Vec<TicketEvent> = events.iter().map(|(t, k)| TicketEvent::new(bj(t), *k)).collect();
        sla_status("p", &t, &cal, bj(created), &ev, bj(now)).unwrap()
    }

    #[test]
    fn urgency_comes_from_time_left_and_importance_from_tier_and_kind() {
        let r = QueueRules::default();
        let fresh = sla("2026-11-23 09:00", &[], "2026-11-23 10:00");
        // First response 2 h: at 10:31 less than a quarter is left.
        let close = sla("2026-11-23 09:00", &[], "2026-11-23 10:31");
        let breached = sla("2026-11-23 09:00", &[], "2026-11-23 11:01");
        assert!(!r.is_urgent(&fresh));
        assert!(r.is_urgent(&close));
        assert!(r.is_urgent(&breached));
        assert_eq!(
            r.quadrant(Kind::Complaint, ValueTier::E, &close),
            Quadrant::UrgentImportant
        );
        assert_eq!(
            r.quadrant(Kind::Inquiry, ValueTier::A, &fresh),
            Quadrant::ImportantNotUrgent
        );
        assert_eq!(
            r.quadrant(Kind::Inquiry, ValueTier::C, &breached),
            Quadrant::UrgentNotImportant
        );
        assert_eq!(r.quadrant(Kind::Praise, ValueTier::None, &fresh), Quadrant::Neither);
        // Waiting on the customer after our reply: nothing runs, nothing is urgent.
        let waiting = sla(
            "2026-11-23 09:00",
            &[
                ("2026-11-23 09:10", EventKind::AgentReply),
                ("2026-11-23 09:10", EventKind::StatusChanged(Status::Pending)),
            ],
            "2026-12-20 10:00",
        );
        assert!(!r.is_urgent(&waiting));
        let cal = BusinessCalendar::from_toml(CHINA_2026).unwrap();
        assert_eq!(r.urgent_at(&waiting, &cal).unwrap(), None);
        assert_eq!(r.urgent_at(&fresh, &cal).unwrap(), Some(bj("2026-11-23 10:30")));
        assert_eq!(r.urgent_at(&breached, &cal).unwrap(), Some(bj("2026-11-23 10:30")));
        // At the instant urgent_at names (a quarter of the two hours left) the ticket is urgent,
        // as the queue-now count of the kept marks says; a minute before it is not.
        assert!(r.is_urgent(&sla("2026-11-23 09:00", &[], "2026-11-23 10:30")));
        assert!(!r.is_urgent(&sla("2026-11-23 09:00", &[], "2026-11-23 10:29")));
    }

    #[test]
    fn the_queue_sorts_by_quadrant_then_due() {
        let r = QueueRules::default();
        let fresh = sla("2026-11-23 09:00", &[], "2026-11-23 10:00");
        let later = sla("2026-11-23 09:30", &[], "2026-11-23 10:00");
        let close = sla("2026-11-23 09:00", &[], "2026-11-23 10:31");
        let mut keys = [
            r.sort_key(1, Kind::Praise, ValueTier::C, &fresh),
            r.sort_key(2, Kind::Complaint, ValueTier::C, &later),
            r.sort_key(3, Kind::Complaint, ValueTier::C, &fresh),
            r.sort_key(4, Kind::Inquiry, ValueTier::C, &close),
            r.sort_key(5, Kind::Inquiry, ValueTier::A, &close),
        ];
        keys.sort();
        assert_eq!(keys.map(|k| k.ticket_id), [5, 3, 2, 4, 1]);
        assert_eq!(keys[0].quadrant.number(), 1);
    }

    #[test]
    fn labels_in_both_languages_and_rules_from_config() {
        for &q in Quadrant::ALL {
            for lang in Language::ALL {
                assert!(!q.label(lang).is_empty() && !q.advice(lang).is_empty());
            }
        }
        assert_eq!(Quadrant::ImportantNotUrgent.label(Language::ZhCn), "不紧急但重要");
        assert_eq!(Quadrant::of(false, true).number(), 2);
        let r: QueueRules = serde_json::from_str(r#"{"important_tiers": ["A"]}"#).unwrap();
        assert_eq!(r.urgent_share_left, 0.25);
        assert!(!r.is_important(Kind::Inquiry, ValueTier::B));
        assert!(serde_json::from_str::<QueueRules>(r#"{"important_tier": ["A"]}"#).is_err());
    }

    #[test]
    fn the_queue_now_splits_each_kind_and_tier_by_its_urgent_marks() {
        let r = QueueRules::default();
        let c = |kind, tier, open, urgent, breached, due_soon| MarkCount {
            kind,
            tier,
            open,
            urgent,
            breached,
            due_soon,
        };
        let q = r.queue_now(&[
            c(Kind::Complaint, ValueTier::E, 5, 2, 1, 1),
            c(Kind::Inquiry, ValueTier::A, 3, 0, 0, 2),
            c(Kind::Inquiry, ValueTier::D, 4, 3, 2, 0),
        ]);
        assert_eq!(q.open, 12);
        assert_eq!(
            q.quadrants,
            vec![
                (Quadrant::UrgentImportant, 2),
                (Quadrant::ImportantNotUrgent, 6),
                (Quadrant::UrgentNotImportant, 3),
                (Quadrant::Neither, 1),
            ]
        );
        assert_eq!((q.breached, q.due_within_hour), (3, 3));
        let fresh = sla("2026-11-23 09:00", &[], "2026-11-23 10:00");
        assert_eq!(due_at(&fresh), Some(bj("2026-11-23 11:00")));
        let paused = sla(
            "2026-11-23 09:00",
            &[
                ("2026-11-23 09:30", EventKind::AgentReply),
                ("2026-11-23 09:30", EventKind::StatusChanged(Status::Pending)),
            ],
            "2026-11-23 10:00",
        );
        assert_eq!(due_at(&paused), None, "a paused clock makes nothing due");
    }
}
