//! The demo's tickets: every kind and many channels, two years of lives played out (replies,
//! waits, resolutions with root causes, closing), open ones with SLA marks, all searchable.

use kefu_app::demo::DemoSize;
mod common;

use kefu_app::AppConfig;
use kefu_core::sla::SlaState;
use kefu_core::ticket::{Kind, Status};
use kefu_store::TicketFilter;
use std::collections::HashSet;

#[tokio::test]
async fn demo_tickets_look_like_two_years_of_service() {
    let db = common::TestDb::sqlite(2).await;
    let app = db.app(AppConfig::default());
    let summary = app.load_demo(DemoSize::Small, &|_, _| {}).await.unwrap();
    assert_eq!(summary.tickets, 400);
    let all = app
        .store()
        .list_tickets(&TicketFilter {
            limit: 1_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 400);
    let kinds: HashSet<Kind> = all.iter().map(|t| t.kind).collect();
    assert_eq!(kinds.len(), Kind::ALL.len(), "every kind: {kinds:?}");
    let channels: HashSet<_> = all.iter().map(|t| t.channel).collect();
    assert!(channels.len() >= 6, "{channels:?}");
    let now = kefu_app::now_ms();
    let oldest = all.iter().map(|t| t.created_at).min().unwrap();
    assert!(now - oldest > 365 * 86_400_000, "spread over the years");
    let closed = all.iter().filter(|t| t.status == Status::Closed).count();
    assert!(closed > 300, "most are done: {closed}");
    let open: Vec<_> = all.iter().filter(|t| t.status.is_active()).collect();
    assert!(!open.is_empty(), "the queue has work");
    assert!(
        open.iter()
            .all(|t| t.sla_next_check_at.is_none_or(|m| m > now - 60_000)),
        "the sweep left no open ticket overdue for a check"
    );
    let complaints_with_cause = all
        .iter()
        .filter(|t| t.kind == Kind::Complaint && t.status == Status::Closed && t.root_cause.is_some())
        .count();
    assert!(complaints_with_cause > 50, "{complaints_with_cause}");
    // A closed ticket's history: filed, answered, resolved, closed — and its SLA clock stopped.
    let t = all.iter().find(|t| t.status == Status::Closed).unwrap();
    let view = app.view_tickets(vec![t.clone()]).await.unwrap().remove(0);
    // The first reply stopped the clock: met when it came by the due instant, else breached.
    let due = view
        .sla
        .first_response
        .due_at
        .expect("a closed ticket's first reply was due");
    let first_reply = app
        .store()
        .ticket_messages(t.id)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.author_kind == kefu_store::AuthorKind::Agent && m.kind != kefu_store::MessageKind::Internal)
        .expect("a closed ticket was answered")
        .created_at;
    let expected = if first_reply <= due.as_millisecond() {
        "met"
    } else {
        "breached"
    };
    assert_eq!(view.sla.first_response.state.as_str(), expected);
    assert_ne!(
        view.sla.resolution.state.as_str(),
        "running",
        "resolved: the clock stopped"
    );
    assert!(view.first_contact_resolution.is_some());
    let found = app
        .store()
        .search_tickets(
            &kefu_core::search::parse_query("空调"),
            &TicketFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!found.is_empty(), "searchable in Chinese");
    db.finish().await;
}

#[tokio::test]
async fn bulk_demo_tickets_on_postgres() {
    let db = common::TestDb::postgres(4).await;
    let app = db.app(AppConfig::default());
    // A few end customers to file for.
    for n in ["王芳", "李雷", "John Smith"] {
        app.create_customer(
            &kefu_app::Actor::Cli,
            kefu_app::customers::CustomerInput {
                name: n.into(),
                kind: "end".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(7);
    let now = kefu_app::now_ms();
    let n = app
        .load_demo_tickets_bulk(&mut rng, 2_500, now, &|_, _| {})
        .await
        .unwrap();
    assert_eq!(n, 2_500);
    let all = app
        .store()
        .list_tickets(&TicketFilter {
            limit: 3_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 2_500);
    assert!(
        all.windows(2).all(|w| w[0].created_at >= w[1].created_at),
        "ids follow filing times"
    );
    assert!(all.iter().any(|t| t.status == Status::New) && all.iter().any(|t| t.status == Status::Closed));
    let found = app
        .store()
        .search_tickets(
            &kefu_core::search::parse_query("王芳"),
            &TicketFilter {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!found.is_empty(), "found by the customer's name");
    // A closed one carries its history: the reply, resolution and closing, so its SLA is settled.
    let closed: Vec<_> = all
        .iter()
        .filter(|t| t.status == Status::Closed)
        .take(20)
        .cloned()
        .collect();
    for t in &closed {
        assert!(t.resolved_at.is_some() && t.closed_at >= t.resolved_at, "{t:?}");
    }
    let views = app.view_tickets(closed).await.unwrap();
    for v in &views {
        for target in [&v.sla.first_response, &v.sla.resolution] {
            assert!(
                matches!(target.state, SlaState::Met | SlaState::Breached),
                "{}: {:?}",
                v.reference,
                target.state
            );
        }
        assert_eq!(app.store().ticket_messages(v.ticket.id).await.unwrap().len(), 2);
    }
    db.finish().await;
}
