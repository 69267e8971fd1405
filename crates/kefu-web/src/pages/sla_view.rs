//! An SLA target as the pages show it: its state, its due time, and the business time left or
//! overdue in words (docs/tickets.md).

use super::fmt_time;
use kefu_core::Language;
use kefu_core::sla::{SlaState, TargetStatus};

/// One SLA target as a page shows it.
pub struct TargetView {
    pub label: &'static str,
    pub state: &'static str,
    pub state_code: &'static str,
    pub due: String,
    pub left: String,
    pub warn: bool,
}

pub(crate) fn target_view(
    label: &'static str,
    t: &TargetStatus,
    lang: Language,
    tz: &jiff::tz::TimeZone,
) -> TargetView {
    TargetView {
        label,
        state: t.state.label(lang),
        state_code: t.state.as_str(),
        due: t.due_at.map(|d| fmt_time(d.as_millisecond(), tz)).unwrap_or_default(),
        left: time_left(t.state, t.remaining_business_minutes, lang),
        warn: nearly_due(t.state, t.warn),
    }
}

/// The "nearly due" badge: a breached target is past it.
fn nearly_due(state: SlaState, warn: bool) -> bool {
    warn && state != SlaState::Breached
}

/// "2 h 5 min left (business time)", or "overdue 32 min" once breached; empty when neither applies.
fn time_left(state: SlaState, remaining: Option<i64>, lang: Language) -> String {
    let tr = kefu_core::i18n::Tr::new(lang);
    match remaining {
        Some(m) if matches!(state, SlaState::Running | SlaState::Paused) => {
            tr.f("tickets.time_left", &[("time", &duration_words(m, lang))])
        }
        Some(m) if state == SlaState::Breached => {
            tr.f("tickets.overdue_by", &[("time", &duration_words(m.abs(), lang))])
        }
        _ => String::new(),
    }
}

/// Minutes in words: "32 min", "2 h 5 min", "32 分钟", "2 小时 5 分钟".
fn duration_words(minutes: i64, lang: Language) -> String {
    let (h, min) = (minutes / 60, minutes % 60);
    match (lang, h, min) {
        (Language::ZhCn, 0, _) => format!("{min} 分钟"),
        (Language::ZhCn, _, 0) => format!("{h} 小时"),
        (Language::ZhCn, _, _) => format!("{h} 小时 {min} 分钟"),
        (Language::En, 0, _) => format!("{min} min"),
        (Language::En, _, 0) => format!("{h} h"),
        (Language::En, _, _) => format!("{h} h {min} min"),
    }
}

#[cfg(test)]
mod tests {
    use super::{duration_words, nearly_due, time_left};
    use kefu_core::Language;
    use kefu_core::sla::SlaState;

    /// An overdue target says "overdue 32 min" (not "-0 h 32 min"), and a
    /// breached one is not also "nearly due".
    #[test]
    fn overdue_time_reads_as_words() {
        assert_eq!(time_left(SlaState::Breached, Some(-32), Language::ZhCn), "超时 32 分钟");
        assert_eq!(time_left(SlaState::Breached, Some(-32), Language::En), "overdue 32 min");
        assert_eq!(
            time_left(SlaState::Running, Some(125), Language::En),
            "2 h 5 min left (business time)"
        );
        assert_eq!(time_left(SlaState::Met, Some(5), Language::En), "");
        assert!(!nearly_due(SlaState::Breached, true), "breached, not nearly due");
        assert!(nearly_due(SlaState::Running, true));
        assert_eq!(duration_words(60, Language::ZhCn), "1 小时");
    }
}
