//! Public service commitments (服务承诺, docs/statistics.md#commitment-attainment): a promise bound to
//! an SLA metric and a target, such as "90 % of complaints get a first reply within 2 working
//! hours", and how well it was kept over a window (the public page shows the last 30 days).
//!
//! Attainment counts the tickets filed in the window: **met** when the metric's event (the first
//! agent reply, or the resolution) came within the promised business minutes of filing, **missed**
//! when it came later or has not come and the promise has run out, **running** when it has not
//! come and there is still time (left out of the share, which is met / (met + missed)).

use crate::calendar::BusinessCalendar;
use crate::code::code_enum;
use crate::error::Invalid;
use jiff::Timestamp;
use serde::Serialize;

code_enum! {
    /// What a commitment promises.
    pub enum CommitmentMetric("metric") {
        FirstResponse = "first_response", "First reply", "首次答复";
        Resolution = "resolution", "Resolution", "解决";
    }
}

impl CommitmentMetric {
    /// The SERVQUAL dimension a promise on this metric serves unless it names another: a first
    /// reply serves responsiveness, a resolution reliability.
    pub fn default_dimension(self) -> &'static str {
        match self {
            CommitmentMetric::FirstResponse => "responsiveness",
            CommitmentMetric::Resolution => "reliability",
        }
    }
}

/// How well a promise was kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Attainment {
    pub met: u64,
    pub missed: u64,
    pub running: u64,
    /// met / (met + missed), `None` when nothing has been decided yet.
    pub share: Option<f64>,
}

impl Attainment {
    /// Whether the share reaches `target_percent` (`None` when nothing was decided).
    pub fn keeps(&self, target_percent: u8) -> Option<bool> {
        self.share.map(|s| s * 100.0 + 1e-9 >= f64::from(target_percent))
    }
}

/// Checks a commitment's promise: within 1 minute to 30 days of business time, a target of 1–100 %.
pub fn check_promise(within_minutes: i64, target_percent: i64) -> Result<(), Invalid> {
    if !(1..=43_200).contains(&within_minutes) {
        return Err(Invalid::one(
            "within_minutes",
            "out_of_range",
            "a promise is kept within 1 to 43200 business minutes",
        ));
    }
    if !(1..=100).contains(&target_percent) {
        return Err(Invalid::one(
            "target_percent",
            "out_of_range",
            "the target is 1 to 100 %",
        ));
    }
    Ok(())
}

/// Counts, for tickets `(filed, done)`, whether `done` came within `within_minutes` business minutes
/// of filing on `calendar`, at `now`.
pub fn attainment(
    calendar: &BusinessCalendar,
    within_minutes: i64,
    tickets: impl IntoIterator<Item = (Timestamp, Option<Timestamp>)>,
    now: Timestamp,
) -> Result<Attainment, Invalid> {
    let mut a = Attainment::default();
    for (filed, done) in tickets {
        let due = calendar.add_business_minutes(filed, within_minutes)?;
        match done {
            Some(d) if d <= due => a.met += 1,
            Some(_) => a.missed += 1,
            None if now > due => a.missed += 1,
            None => a.running += 1,
        }
    }
    let decided = a.met + a.missed;
    a.share = (decided > 0).then(|| a.met as f64 / decided as f64);
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> BusinessCalendar {
        BusinessCalendar::from_toml(
            r#"
time_zone = "Asia/Shanghai"
[week]
mon = ["09:00-12:00", "13:30-18:00"]
tue = ["09:00-12:00", "13:30-18:00"]
wed = ["09:00-12:00", "13:30-18:00"]
thu = ["09:00-12:00", "13:30-18:00"]
fri = ["09:00-12:00", "13:30-18:00"]
"#,
        )
        .unwrap()
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn met_missed_and_running_in_business_time() {
        // Filed Friday 17:00 Shanghai (09:00Z): two working hours run to Monday 10:00.
        let filed = at("2026-11-20T09:00:00Z");
        let tickets = vec![
            (filed, Some(at("2026-11-23T01:59:00Z"))), // Monday 09:59: met
            (filed, Some(at("2026-11-23T02:01:00Z"))), // Monday 10:01: missed
            (filed, None),                             // not answered, and late by now
            (at("2026-11-23T01:30:00Z"), None),        // Monday 09:30, not answered, still time
        ];
        let a = attainment(&cal(), 120, tickets, at("2026-11-23T02:30:00Z")).unwrap();
        assert_eq!((a.met, a.missed, a.running), (1, 2, 1));
        assert!((a.share.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(a.keeps(90), Some(false));
        assert_eq!(a.keeps(33), Some(true));
        assert_eq!(Attainment::default().keeps(90), None, "nothing decided");
    }

    #[test]
    fn promises_are_checked() {
        assert!(check_promise(120, 90).is_ok());
        assert!(check_promise(0, 90).is_err());
        assert!(check_promise(120, 0).is_err());
        assert!(check_promise(120, 101).is_err());
    }
}
