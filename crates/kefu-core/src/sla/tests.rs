use super::*;
use crate::ticket::EventKind::{AgentReply, CustomerMessage, StatusChanged};

const CHINA_2026: &str = include_str!("../../../../calendars/china-2026.toml");

fn china() -> BusinessCalendar {
    BusinessCalendar::from_toml(CHINA_2026).unwrap()
}

/// Local Beijing time, `2026-11-23 09:00`.
fn bj(s: &str) -> Timestamp {
    format!("{}:00+08:00", s.replace(' ', "T")).parse().unwrap()
}

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn targets(first: Option<i64>, next: Option<i64>, resolution: Option<i64>) -> SlaTargets {
    SlaTargets {
        first_response_minutes: first,
        next_response_minutes: next,
        resolution_minutes: resolution,
        warn_share: 0.8,
    }
}

/// First response 2 h, next response 4 h, resolution 16 h.
fn standard() -> SlaTargets {
    targets(Some(120), Some(240), Some(960))
}

fn events(list: &[(&str, EventKind)]) -> Vec<TicketEvent> {
    list.iter().map(|(t, k)| TicketEvent::new(bj(t), *k)).collect()
}

fn status_bj(t: &SlaTargets, created: &str, list: &[(&str, EventKind)], now: &str) -> SlaStatus {
    sla_status("standard", t, &china(), bj(created), &events(list), bj(now)).unwrap()
}

/// (state, due as local Beijing time, remaining minutes)
fn brief(t: &TargetStatus) -> (SlaState, Option<String>, Option<i64>) {
    let cal = china();
    (t.state, t.due_at.map(|d| cal.format(d)), t.remaining_business_minutes)
}

fn due(s: &str) -> Option<String> {
    Some(format!("{}:00+08:00", s.replace(' ', "T")))
}

#[test]
fn first_response_runs_in_business_time() {
    let s = status_bj(&standard(), "2026-11-23 09:00", &[], "2026-11-23 10:00");
    assert_eq!(
        brief(&s.first_response),
        (SlaState::Running, due("2026-11-23 11:00"), Some(60))
    );
    assert!(!s.first_response.warn);
    assert_eq!(s.first_response.warn_at, Some(bj("2026-11-23 10:36")));
    assert_eq!(brief(&s.next_response), (SlaState::Idle, None, None));
    assert_eq!(s.next_response.target_minutes, Some(240));
    // 960 business minutes from Monday 09:00: 450 a day → Wednesday 10:00.
    assert_eq!(
        brief(&s.resolution),
        (SlaState::Running, due("2026-11-25 10:00"), Some(900))
    );
}

#[test]
fn lunch_breaks_weekends_holidays_and_make_up_days() {
    let fr = |created: &str| status_bj(&standard(), created, &[], created).first_response.due_at;
    let cal = china();
    let f = |t: Option<Timestamp>| t.map(|t| cal.format(t));
    assert_eq!(f(fr("2026-11-23 11:00")), due("2026-11-23 14:30"), "lunch");
    assert_eq!(f(fr("2026-11-23 12:30")), due("2026-11-23 15:30"), "filed during lunch");
    assert_eq!(f(fr("2026-11-20 17:00")), due("2026-11-23 10:00"), "weekend");
    assert_eq!(f(fr("2026-11-21 10:00")), due("2026-11-23 11:00"), "filed on Saturday");
    assert_eq!(f(fr("2026-09-30 17:00")), due("2026-10-08 10:00"), "National Day");
    assert_eq!(f(fr("2026-10-09 17:00")), due("2026-10-10 10:00"), "调休 Saturday");
    assert_eq!(
        f(fr("2026-02-13 17:30")),
        due("2026-02-14 10:30"),
        "调休 before Spring Festival"
    );
}

#[test]
fn met_exactly_at_due_and_breached_one_moment_later() {
    let on_time = status_bj(
        &standard(),
        "2026-11-23 09:00",
        &[("2026-11-23 11:00", AgentReply)],
        "2026-11-23 15:00",
    );
    assert_eq!(
        brief(&on_time.first_response),
        (SlaState::Met, due("2026-11-23 11:00"), Some(0))
    );
    assert!(!on_time.first_response.warn);
    // At the due instant a running target is not yet breached.
    let at_due = status_bj(&standard(), "2026-11-23 09:00", &[], "2026-11-23 11:00");
    assert_eq!(at_due.first_response.state, SlaState::Running);
    assert_eq!(at_due.first_response.remaining_business_minutes, Some(0));
    let c = china();
    let late = sla_status(
        "standard",
        &standard(),
        &c,
        bj("2026-11-23 09:00"),
        &[TicketEvent::new(at("2026-11-23T03:00:00.001Z"), AgentReply)],
        bj("2026-11-23 15:00"),
    )
    .unwrap();
    assert_eq!(
        brief(&late.first_response),
        (SlaState::Breached, due("2026-11-23 11:00"), Some(-1))
    );
}

#[test]
fn a_running_breach_counts_down_into_the_negative() {
    let s = status_bj(&standard(), "2026-11-23 09:00", &[], "2026-11-23 11:30");
    assert_eq!(
        brief(&s.first_response),
        (SlaState::Breached, due("2026-11-23 11:00"), Some(-30))
    );
    assert!(s.first_response.warn);
    // Overdue at 12:00, looked at during lunch: no business minute has passed since, still breached.
    let s = status_bj(&standard(), "2026-11-23 10:00", &[], "2026-11-23 12:45");
    assert_eq!(
        brief(&s.first_response),
        (SlaState::Breached, due("2026-11-23 12:00"), Some(-1))
    );
    // Answered during lunch after a 12:00 deadline: late.
    let s = status_bj(
        &standard(),
        "2026-11-23 10:00",
        &[("2026-11-23 12:30", AgentReply)],
        "2026-11-23 16:00",
    );
    assert_eq!(s.first_response.state, SlaState::Breached);
}

#[test]
fn the_due_instant_does_not_drift_as_time_passes() {
    let created = "2026-11-20 16:00";
    let mut seen = Vec::new();
    for now in [
        "2026-11-20 16:00",
        "2026-11-20 17:59",
        "2026-11-21 10:00",
        "2026-11-23 09:00",
        "2026-11-23 12:10",
        "2026-11-25 10:00",
    ] {
        let s = status_bj(&standard(), created, &[], now);
        seen.push((s.first_response.due_at, s.resolution.due_at));
    }
    seen.dedup();
    assert_eq!(seen.len(), 1, "{seen:?}");
}

#[test]
fn pending_pauses_resolution_over_a_weekend_and_the_reply_resumes_it() {
    let list = [
        ("2026-11-19 09:30", AgentReply),
        ("2026-11-19 09:30", StatusChanged(Status::Pending)),
        ("2026-11-23 10:00", CustomerMessage),
        ("2026-11-23 10:00", StatusChanged(Status::Open)),
    ];
    let t = standard();
    // Saturday, while pending.
    let s = status_bj(&t, "2026-11-19 09:00", &list[..2], "2026-11-21 12:00");
    assert_eq!(
        brief(&s.first_response),
        (SlaState::Met, due("2026-11-19 11:00"), Some(90))
    );
    assert_eq!(brief(&s.resolution), (SlaState::Paused, None, Some(930)));
    assert_eq!(brief(&s.next_response), (SlaState::Idle, None, None));
    assert_eq!(s.next_check_at(), None, "nothing runs towards a deadline while pending");
    // After the customer's Monday reply: 960 + the 930 paused business minutes from Thursday 09:00.
    let s = status_bj(&t, "2026-11-19 09:00", &list, "2026-11-23 11:00");
    assert_eq!(
        brief(&s.resolution),
        (SlaState::Running, due("2026-11-25 10:30"), Some(960 - 30 - 60))
    );
    assert_eq!(
        brief(&s.next_response),
        (SlaState::Running, due("2026-11-23 15:30"), Some(180))
    );
    assert_eq!(s.next_response.cycle, 1);
}

#[test]
fn a_pause_over_national_day_and_its_make_up_days() {
    // Filed Wednesday 30 Sep 16:00, pending from 17:00 to Sunday 11 Oct 10:00 (a normal Sunday);
    // 1–7 Oct are holidays; 8, 9 and the make-up Saturday 10 Oct are worked: the pause covers
    // 60 + 3 × 450 business minutes.
    let list = [
        ("2026-09-30 17:00", AgentReply),
        ("2026-09-30 17:00", StatusChanged(Status::Pending)),
        ("2026-10-11 10:00", CustomerMessage),
        ("2026-10-11 10:00", StatusChanged(Status::Open)),
    ];
    let s = status_bj(&standard(), "2026-09-30 16:00", &list, "2026-10-11 10:00");
    // 900 minutes left from Monday 12 Oct 09:00: Monday 450, Tuesday 450 → Tuesday 18:00.
    assert_eq!(
        brief(&s.resolution),
        (SlaState::Running, due("2026-10-13 18:00"), Some(900))
    );
    let cal = china();
    assert_eq!(
        cal.business_duration(bj("2026-09-30 17:00"), bj("2026-10-11 10:00"))
            .unwrap()
            .as_mins(),
        60 + 3 * 450
    );
}

#[test]
fn a_customer_message_while_pending_starts_a_paused_next_response() {
    let s = status_bj(
        &standard(),
        "2026-11-23 09:00",
        &[
            ("2026-11-23 09:10", AgentReply),
            ("2026-11-23 09:20", StatusChanged(Status::Pending)),
            ("2026-11-23 10:00", CustomerMessage),
        ],
        "2026-11-23 17:00",
    );
    assert_eq!(brief(&s.next_response), (SlaState::Paused, None, Some(240)));
    assert_eq!(s.next_response.cycle, 1);
}

#[test]
fn next_response_cycles_are_numbered_and_messages_before_the_first_reply_join_it() {
    let t = standard();
    let list = [
        ("2026-11-23 09:05", CustomerMessage),
        ("2026-11-23 09:10", CustomerMessage),
        ("2026-11-23 09:30", AgentReply),
        ("2026-11-23 10:00", CustomerMessage),
        ("2026-11-23 10:30", CustomerMessage),
        ("2026-11-23 11:00", AgentReply),
        ("2026-11-24 09:00", CustomerMessage),
    ];
    let s = status_bj(&t, "2026-11-23 09:00", &list[..3], "2026-11-23 09:40");
    assert_eq!(s.next_response.state, SlaState::Idle, "messages before the first reply");
    let s = status_bj(&t, "2026-11-23 09:00", &list[..6], "2026-11-23 11:05");
    assert_eq!(
        brief(&s.next_response),
        (SlaState::Met, due("2026-11-23 15:30"), Some(180))
    );
    assert_eq!(s.next_response.cycle, 1, "the oldest unanswered message counts");
    let s = status_bj(&t, "2026-11-23 09:00", &list, "2026-11-24 09:00");
    assert_eq!(
        brief(&s.next_response),
        (SlaState::Running, due("2026-11-24 14:30"), Some(240))
    );
    assert_eq!(s.next_response.cycle, 2);
}

#[test]
fn resolving_stops_every_clock_and_reopening_resumes_resolution() {
    let t = standard();
    let resolved = [("2026-11-23 10:00", StatusChanged(Status::Resolved))];
    let s = status_bj(&t, "2026-11-23 09:00", &resolved, "2026-11-24 12:00");
    assert_eq!(
        brief(&s.first_response),
        (SlaState::Met, due("2026-11-23 11:00"), Some(60)),
        "resolved without a reply: the resolution answered"
    );
    assert_eq!(
        brief(&s.resolution),
        (SlaState::Met, due("2026-11-25 10:00"), Some(900))
    );
    // A thank-you without reopening starts nothing.
    let s = status_bj(
        &t,
        "2026-11-23 09:00",
        &[resolved[0], ("2026-11-24 09:00", CustomerMessage)],
        "2026-11-24 12:00",
    );
    assert_eq!(s.next_response.state, SlaState::Idle);
    // Reopened on Wednesday: 900 minutes left from Wednesday 09:00 → Thursday 18:00, the end of a range.
    let reopened = [
        resolved[0],
        ("2026-11-25 09:00", CustomerMessage),
        ("2026-11-25 09:00", StatusChanged(Status::Open)),
    ];
    let s = status_bj(&t, "2026-11-23 09:00", &reopened, "2026-11-25 10:00");
    assert_eq!(
        brief(&s.resolution),
        (SlaState::Running, due("2026-11-26 18:00"), Some(840))
    );
    assert_eq!(
        brief(&s.next_response),
        (SlaState::Running, due("2026-11-25 14:30"), Some(180))
    );
    assert_eq!(
        s.first_response.state,
        SlaState::Met,
        "first response is not measured again"
    );
    // Reopened after the budget was spent: breached at once, and counting on.
    let spent = [
        ("2026-11-23 09:30", StatusChanged(Status::Resolved)),
        ("2026-11-23 10:00", StatusChanged(Status::Open)),
    ];
    for (now, remaining) in [("2026-11-23 10:00", -1), ("2026-11-23 10:05", -5)] {
        let s = status_bj(&targets(None, None, Some(30)), "2026-11-23 09:00", &spent, now);
        assert_eq!(
            brief(&s.resolution),
            (SlaState::Breached, due("2026-11-23 09:30"), Some(remaining)),
            "{now}"
        );
    }
}

#[test]
fn resolved_from_pending_and_closed() {
    let s = status_bj(
        &standard(),
        "2026-11-23 09:00",
        &[
            ("2026-11-23 09:10", AgentReply),
            ("2026-11-23 09:20", StatusChanged(Status::Pending)),
            ("2026-11-27 09:00", StatusChanged(Status::Resolved)),
            ("2026-11-30 09:00", StatusChanged(Status::Closed)),
        ],
        "2026-12-01 09:00",
    );
    assert_eq!(s.resolution.state, SlaState::Met);
    assert_eq!(s.resolution.remaining_business_minutes, Some(940));
    assert_eq!(
        s.resolution.due_at,
        Some(bj("2026-12-01 09:40")),
        "counted on from the resolution"
    );
    assert!(s.escalations_due(&[]).is_empty());
    assert_eq!(s.next_check_at(), None);
}

#[test]
fn a_ticket_created_resolved_and_odd_histories() {
    // Filed already resolved (a call solved on the spot).
    let s = status_bj(
        &standard(),
        "2026-11-23 09:00",
        &[("2026-11-23 09:00", StatusChanged(Status::Resolved))],
        "2026-11-23 10:00",
    );
    assert_eq!(s.first_response.state, SlaState::Met);
    assert_eq!(s.resolution.remaining_business_minutes, Some(960));
    // Events given out of order, one before creation and one after now.
    let list = [
        ("2026-11-23 10:00", AgentReply),
        ("2026-11-23 08:00", CustomerMessage),
        ("2026-11-23 16:00", StatusChanged(Status::Resolved)),
    ];
    let s = status_bj(&standard(), "2026-11-23 09:00", &list, "2026-11-23 11:00");
    assert_eq!(
        brief(&s.first_response),
        (SlaState::Met, due("2026-11-23 11:00"), Some(60))
    );
    assert_eq!(s.resolution.state, SlaState::Running);
    assert_eq!(s.next_response.state, SlaState::Idle);
    // `now` before creation (clock skew) counts as the creation instant.
    let s = status_bj(&standard(), "2026-11-23 09:00", &[], "2026-11-23 08:00");
    assert_eq!(
        brief(&s.first_response),
        (SlaState::Running, due("2026-11-23 11:00"), Some(120))
    );
}

#[test]
fn daylight_saving_time_zones() {
    // Round the clock in Berlin: 24 business hours from Saturday noon before the spring change are
    // 24 real hours, Sunday 13:00 summer time.
    let berlin = BusinessCalendar::from_toml(
        "time_zone = \"Europe/Berlin\"\n[week]\nmon = [\"00:00-24:00\"]\ntue = [\"00:00-24:00\"]\nwed = [\"00:00-24:00\"]\nthu = [\"00:00-24:00\"]\nfri = [\"00:00-24:00\"]\nsat = [\"00:00-24:00\"]\nsun = [\"00:00-24:00\"]\n",
    )
    .unwrap();
    let t = targets(None, None, Some(1440));
    let s = sla_status(
        "24x7",
        &t,
        &berlin,
        at("2026-03-28T12:00:00+01:00"),
        &[],
        at("2026-03-28T12:00:00+01:00"),
    )
    .unwrap();
    assert_eq!(berlin.format(s.resolution.due_at.unwrap()), "2026-03-29T13:00:00+02:00");
    // Office hours in Berlin across the change: Friday 16:00 CET + 4 h → Monday 12:00 CEST.
    let office = BusinessCalendar::from_toml(
        "time_zone = \"Europe/Berlin\"\n[week]\nmon = [\"09:00-17:00\"]\ntue = [\"09:00-17:00\"]\nwed = [\"09:00-17:00\"]\nthu = [\"09:00-17:00\"]\nfri = [\"09:00-17:00\"]\n",
    )
    .unwrap();
    let s = sla_status(
        "office",
        &targets(Some(240), None, None),
        &office,
        at("2026-03-27T16:00:00+01:00"),
        &[],
        at("2026-03-30T11:00:00+02:00"),
    )
    .unwrap();
    assert_eq!(
        office.format(s.first_response.due_at.unwrap()),
        "2026-03-30T12:00:00+02:00"
    );
    assert_eq!(s.first_response.remaining_business_minutes, Some(60));
    // New York falls back on 1 Nov 2026: 24 hours round the clock are 24 real hours, Sunday 11:00 EST.
    let ny = BusinessCalendar::from_toml(
        "time_zone = \"America/New_York\"\n[week]\nsat = [\"00:00-24:00\"]\nsun = [\"00:00-24:00\"]\nmon = [\"00:00-24:00\"]\n",
    )
    .unwrap();
    let created = at("2026-10-31T12:00:00-04:00");
    let s = sla_status("24x7", &t, &ny, created, &[], created).unwrap();
    assert_eq!(ny.format(s.resolution.due_at.unwrap()), "2026-11-01T11:00:00-05:00");
    // A pause across the change: pending Saturday 12:00 to Sunday 12:00 local is 25 real hours.
    let s = sla_status(
        "24x7",
        &t,
        &ny,
        created,
        &[
            TicketEvent::new(at("2026-10-31T12:00:00-04:00"), StatusChanged(Status::Pending)),
            TicketEvent::new(at("2026-11-01T12:00:00-05:00"), StatusChanged(Status::Open)),
        ],
        at("2026-11-01T12:00:00-05:00"),
    )
    .unwrap();
    assert_eq!(ny.format(s.resolution.due_at.unwrap()), "2026-11-02T12:00:00-05:00");
}

#[test]
fn escalations_are_due_once_and_the_next_check_follows_the_clock() {
    let t = standard();
    let created = "2026-11-23 09:00";
    // 10:00: nothing due; the next check is the first response's warn at 80 % (96 minutes).
    let s = status_bj(&t, created, &[], "2026-11-23 10:00");
    assert!(s.escalations_due(&[]).is_empty());
    assert_eq!(s.next_check_at(), Some(bj("2026-11-23 10:36")));
    // 10:40: the warning is due, until logged; then the check moves to just after the due instant.
    let s = status_bj(&t, created, &[], "2026-11-23 10:40");
    let warn = Escalation {
        metric: Metric::FirstResponse,
        cycle: 1,
        step: Step::Warn,
    };
    assert_eq!(s.escalations_due(&[]), vec![warn]);
    assert!(s.escalations_due(&[warn]).is_empty());
    assert_eq!(
        s.next_check_at(),
        Some(bj("2026-11-23 11:00") + SignedDuration::from_millis(1))
    );
    // 11:01: the breach (the warning is moot); the resolution's warn at 768 minutes is next.
    let s = status_bj(&t, created, &[], "2026-11-23 11:01");
    let breach = Escalation {
        step: Step::Breach,
        ..warn
    };
    assert_eq!(s.escalations_due(&[warn]), vec![breach]);
    assert_eq!(s.escalations_due(&[breach]), vec![]);
    assert_eq!(s.next_check_at(), Some(bj("2026-11-24 15:48")));
    // Answered late: a stopped clock escalates no more.
    let s = status_bj(&t, created, &[("2026-11-23 11:30", AgentReply)], "2026-11-23 11:31");
    assert_eq!(s.first_response.state, SlaState::Breached);
    assert!(s.escalations_due(&[]).is_empty());
    // Next-response steps carry their cycle in the key.
    let s = status_bj(
        &t,
        created,
        &[
            ("2026-11-23 09:10", AgentReply),
            ("2026-11-23 09:20", CustomerMessage),
            ("2026-11-23 09:30", AgentReply),
            ("2026-11-23 10:00", CustomerMessage),
        ],
        "2026-11-23 16:00",
    );
    let due_now = s.escalations_due(&[]);
    assert_eq!(
        due_now.iter().map(Escalation::key).collect::<Vec<_>>(),
        vec!["next_response#2:breach"]
    );
    for e in [warn, breach, due_now[0]] {
        assert_eq!(Escalation::parse_key(&e.key()), Some(e));
    }
    for bad in [
        "",
        "first_response",
        "first_response#0:warn",
        "first_response#+1:warn",
        "x#1:warn",
        "resolution#1:panic",
    ] {
        assert_eq!(Escalation::parse_key(bad), None, "{bad}");
    }
    // A breach while paused (the budget ran out before the customer was asked) still escalates.
    let s = status_bj(
        &targets(None, None, Some(30)),
        created,
        &[("2026-11-23 10:00", StatusChanged(Status::Pending))],
        "2026-11-24 10:00",
    );
    assert_eq!(
        brief(&s.resolution),
        (SlaState::Breached, due("2026-11-23 09:30"), Some(-30))
    );
    assert_eq!(s.escalations_due(&[]).len(), 1);
    assert_eq!(s.next_check_at(), None);
}

#[test]
fn the_json_is_the_documented_shape() {
    let s = status_bj(
        &targets(Some(120), None, Some(960)),
        "2026-11-23 09:00",
        &[],
        "2026-11-23 10:00",
    );
    let v = serde_json::to_value(&s).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>().join(",");
    assert_eq!(keys(&v), "first_response,next_response,policy,resolution");
    assert_eq!(
        keys(&v["first_response"]),
        "due_at,remaining_business_minutes,state,target_minutes,warn"
    );
    assert_eq!(v["policy"], "standard");
    assert_eq!(v["first_response"]["state"], "running");
    assert_eq!(v["first_response"]["due_at"], "2026-11-23T03:00:00Z");
    assert_eq!(v["first_response"]["remaining_business_minutes"], 60);
    assert_eq!(v["next_response"]["state"], "none");
    assert_eq!(v["next_response"]["target_minutes"], serde_json::Value::Null);
    assert_eq!(v["next_response"]["due_at"], serde_json::Value::Null);
}

#[test]
fn shares_left_and_instants_at_a_share() {
    let c = china();
    let s = status_bj(&standard(), "2026-11-23 09:00", &[], "2026-11-23 10:00");
    assert_eq!(s.first_response.share_left(), Some(0.5));
    assert_eq!(
        s.first_response.instant_at_share(0.75, &c).unwrap(),
        Some(bj("2026-11-23 10:30"))
    );
    assert_eq!(s.next_response.share_left(), None);
    assert_eq!(s.next_response.instant_at_share(0.75, &c).unwrap(), None);
}

#[test]
fn a_calendar_without_working_time_is_an_error_not_a_panic() {
    let none = BusinessCalendar::from_toml("time_zone = \"UTC\"").unwrap();
    let e = sla_status(
        "p",
        &standard(),
        &none,
        at("2026-01-01T00:00:00Z"),
        &[],
        at("2026-01-02T00:00:00Z"),
    )
    .unwrap_err();
    assert_eq!(e.errors[0].code, "no_working_time");
}

#[test]
fn targets_are_validated() {
    assert!(standard().validate().is_ok());
    let e = SlaTargets {
        first_response_minutes: Some(0),
        next_response_minutes: Some(-5),
        resolution_minutes: Some(MAX_TARGET_MINUTES + 1),
        warn_share: 1.0,
    }
    .validate()
    .unwrap_err();
    let fields: Vec<&str> = e.errors.iter().map(|f| f.field.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "first_response_minutes",
            "next_response_minutes",
            "resolution_minutes",
            "warn_share"
        ]
    );
    assert!(targets(None, None, None).validate().is_ok());
    for share in [0.0, f64::NAN, -0.5, 2.0] {
        assert!(
            SlaTargets {
                warn_share: share,
                ..standard()
            }
            .validate()
            .is_err(),
            "{share}"
        );
    }
    let parsed: SlaTargets = serde_json::from_str(r#"{"first_response_minutes": 120}"#).unwrap();
    assert_eq!(parsed.warn_share, 0.8);
    assert!(serde_json::from_str::<SlaTargets>(r#"{"first_response": 120}"#).is_err());
}

#[test]
fn the_most_specific_policy_wins() {
    use crate::ticket::{Kind, Priority};
    let scope =
        |kind: Option<Kind>, priority: Option<Priority>, tier: Option<ValueTier>| PolicyScope { kind, priority, tier };
    let policies = vec![
        ("tier A", scope(None, None, Some(ValueTier::A))),
        ("urgent", scope(None, Some(Priority::Urgent), None)),
        ("complaints", scope(Some(Kind::Complaint), None, None)),
        (
            "urgent complaints",
            scope(Some(Kind::Complaint), Some(Priority::Urgent), None),
        ),
        ("urgent A", scope(None, Some(Priority::Urgent), Some(ValueTier::A))),
        (
            "urgent A twice",
            scope(None, Some(Priority::Urgent), Some(ValueTier::A)),
        ),
        (
            "exact",
            scope(Some(Kind::Inquiry), Some(Priority::Low), Some(ValueTier::E)),
        ),
    ];
    let default = ("default", PolicyScope::default());
    let pick = |k, p, t| select_policy(&policies, &default, |x| x.1, k, p, t).0;
    use Kind::*;
    use Priority::*;
    assert_eq!(
        pick(Complaint, Urgent, ValueTier::A),
        "urgent complaints",
        "two named, kind first"
    );
    assert_eq!(
        pick(Inquiry, Urgent, ValueTier::A),
        "urgent A",
        "two beat one; the first listed of equals"
    );
    assert_eq!(pick(Complaint, Low, ValueTier::A), "complaints", "kind outranks tier");
    assert_eq!(
        pick(Inquiry, Urgent, ValueTier::C),
        "urgent",
        "priority outranks nothing"
    );
    assert_eq!(pick(Inquiry, Normal, ValueTier::A), "tier A");
    assert_eq!(pick(Inquiry, Low, ValueTier::E), "exact");
    assert_eq!(pick(Praise, Normal, ValueTier::None), "default");
    assert_eq!(
        select_policy(&[], &default, |x: &(&str, PolicyScope)| x.1, Praise, Low, ValueTier::A).0,
        "default"
    );
    let parsed: PolicyScope = serde_json::from_str(r#"{"kind":"complaint","tier":"A"}"#).unwrap();
    assert_eq!(parsed, scope(Some(Complaint), None, Some(ValueTier::A)));
    assert!(serde_json::from_str::<PolicyScope>(r#"{"kind":"complaints"}"#).is_err());
}
