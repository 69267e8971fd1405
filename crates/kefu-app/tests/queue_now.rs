//! The queue now (docs/statistics.md#queue-now) on the small demo, on both databases: the
//! dashboard's open tickets by quadrant, breached and due within the hour, counted from the kept
//! marks, equal the tickets read one by one with their SLA replayed — at the load's instant and
//! as the clock runs on with no write, after writes, per segment, and after the escalation sweep
//! gives marks back to tickets that lost them (an installation that migrates).

mod common;

use kefu_app::clock::ManualClock;
use kefu_app::demo::DemoSize;
use kefu_app::tickets::{Addition, TicketView};
use kefu_app::{Actor, App};
use kefu_core::queue::{Quadrant, QueueNow};
use kefu_core::sla::SlaState;
use kefu_core::ticket::Status;
use std::sync::Arc;

#[tokio::test]
async fn queue_now_on_sqlite() {
    common::on_sqlite(2, |app| async move { queue_now(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_now_on_postgres() {
    common::on_postgres(4, |app| async move { queue_now(app).await }).await;
}

const HOUR: i64 = 3_600_000;

/// The queue now of `views` at `now`, from each ticket's replayed clock.
fn replayed(views: &[&TicketView], now: i64) -> QueueNow {
    let in_an_hour = jiff::Timestamp::from_millisecond(now + HOUR).unwrap();
    let open: Vec<&&TicketView> = views
        .iter()
        .filter(|v| matches!(v.ticket.status, Status::New | Status::Open | Status::Pending))
        .collect();
    let quadrants = Quadrant::ALL
        .iter()
        .map(|q| (*q, open.iter().filter(|v| v.quadrant == *q).count() as u64))
        .collect();
    let (mut breached, mut due_within_hour) = (0, 0);
    for v in &open {
        let targets = [&v.sla.first_response, &v.sla.next_response, &v.sla.resolution];
        if targets.iter().any(|t| t.state == SlaState::Breached) {
            breached += 1;
        } else if (targets.iter()).any(|t| t.state == SlaState::Running && t.due_at.is_some_and(|d| d <= in_an_hour)) {
            due_within_hour += 1;
        }
    }
    QueueNow {
        open: open.len() as u64,
        quadrants,
        breached,
        due_within_hour,
    }
}

/// Whether a ticket is in a segment, as the test reads it.
type Holds = Box<dyn Fn(&TicketView) -> bool>;

/// Every segment checked: all, a tier, a channel, the busiest department and assignee.
async fn check(app: &App, now: i64, seen: &mut QueueNow) {
    let (views, _) = common::tickets_and_sweeps(app).await;
    let busiest = |key: &dyn Fn(&TicketView) -> Option<i64>| {
        let mut n = std::collections::BTreeMap::new();
        for v in views.iter().filter(|v| !v.ticket.status.is_done()) {
            if let Some(k) = key(v) {
                *n.entry(k).or_insert(0) += 1;
            }
        }
        n.into_iter().max_by_key(|(_, c)| *c).map(|(k, _)| k).unwrap()
    };
    let department = busiest(&|v| Some(v.ticket.department_id));
    let agent = busiest(&|v| v.ticket.assignee_id);
    let segments: [(String, Holds); 6] = [
        ("all".into(), Box::new(|_| true)),
        ("tier:A".into(), Box::new(|v| v.ticket.customer_tier.as_str() == "A")),
        ("tier:E".into(), Box::new(|v| v.ticket.customer_tier.as_str() == "E")),
        (
            "channel:phone".into(),
            Box::new(|v| v.ticket.channel.as_str() == "phone"),
        ),
        (
            format!("department:{department}"),
            Box::new(move |v| v.ticket.department_id == department),
        ),
        (
            format!("agent:{agent}"),
            Box::new(move |v| v.ticket.assignee_id == Some(agent)),
        ),
    ];
    let period = app.default_period().await;
    for (segment, holds) in &segments {
        let want = replayed(&views.iter().filter(|v| holds(v)).collect::<Vec<_>>(), now);
        let got = app.manager_dashboard(&Actor::Cli, period, segment).await.unwrap().queue;
        assert_eq!(got, want, "{segment} at {now}");
        if segment == "all" {
            assert!(got.open > 0, "the demo has open tickets");
            seen.breached += got.breached;
            seen.due_within_hour += got.due_within_hour;
        }
    }
}

async fn queue_now(app: App) {
    app.load_demo(DemoSize::Small, &|_, _| {}).await.unwrap();
    let start = jiff::Timestamp::now().as_millisecond();
    let clock: Arc<ManualClock> = ManualClock::at(start);
    let app = app.with_clock(clock.clone());
    let mut seen = QueueNow {
        open: 0,
        quadrants: vec![],
        breached: 0,
        due_within_hour: 0,
    };
    // The clock runs on and nothing is written: the kept instants still count right — half an
    // hour before each running target falls due, just after it, and a week on.
    let (views, _) = common::tickets_and_sweeps(&app).await;
    let mut instants: Vec<i64> = (views.iter())
        .filter(|v| !v.ticket.status.is_done())
        .flat_map(|v| {
            [
                v.sla.first_response.clone(),
                v.sla.next_response.clone(),
                v.sla.resolution.clone(),
            ]
        })
        .filter(|t| t.state == SlaState::Running)
        .filter_map(|t| t.due_at)
        .flat_map(|d| [d.as_millisecond() - HOUR / 2, d.as_millisecond() + 1])
        .collect();
    assert!(!instants.is_empty(), "the demo has running targets");
    instants.extend([start, start + 24 * 7 * HOUR]);
    instants.sort_unstable();
    instants.dedup();
    for at in instants {
        clock.set(at);
        check(&app, at, &mut seen).await;
    }
    assert!(seen.breached > 0 && seen.due_within_hour > 0, "{seen:?}");

    // Writes move the marks: a reply to the oldest open tickets, one put on hold.
    clock.set(start + 2 * HOUR);
    let (views, _) = common::tickets_and_sweeps(&app).await;
    let open: Vec<i64> = (views.iter())
        .filter(|v| matches!(v.ticket.status, Status::New | Status::Open))
        .map(|v| v.ticket.id)
        .take(3)
        .collect();
    assert_eq!(open.len(), 3);
    let manager = common::actor(&app, kefu_core::Role::Manager).await;
    for id in &open[..2] {
        let reply = Addition::Reply {
            body: "已安排师傅上门。".into(),
        };
        app.add_to_ticket(&manager, *id, reply).await.unwrap();
    }
    app.set_ticket_status(&manager, open[2], "pending").await.unwrap();
    check(&app, start + 2 * HOUR, &mut seen).await;

    // An installation that migrates: the open tickets have no marks yet, and migration 0019 asks
    // the sweep to look at each. Until it has, they count as neither urgent nor due; after it,
    // the counts are right again.
    let active: Vec<kefu_store::Ticket> = (common::tickets_and_sweeps(&app).await.0)
        .into_iter()
        .map(|v| v.ticket)
        .filter(|t| !t.status.is_done())
        .collect();
    let wiped: Vec<kefu_store::SweepChange> = active
        .iter()
        .map(|t| kefu_store::SweepChange {
            id: t.id,
            old_priority: t.priority,
            priority: t.priority,
            old_assignee: t.assignee_id,
            assignee: t.assignee_id,
            next_check_at: Some(t.created_at),
            urgent_at: None,
            due_at: None,
            facts: None,
        })
        .collect();
    let system = kefu_store::ActivityActor {
        id: None,
        label: "migration".into(),
    };
    app.store()
        .apply_sweep(&wiped, &system, start + 2 * HOUR)
        .await
        .unwrap();
    let period = app.default_period().await;
    let bare = app.manager_dashboard(&Actor::Cli, period, "all").await.unwrap().queue;
    assert_eq!((bare.breached, bare.due_within_hour), (0, 0), "no marks, nothing due");
    app.sweep_escalations(start + 2 * HOUR).await.unwrap();
    check(&app, start + 2 * HOUR, &mut seen).await;
}
