//! An agent's own desk on both databases, at chosen instants: their open tickets by quadrant, the
//! SLA risks as the clock passes the due instants, and their CSAT — "not enough data" below ten
//! ratings, then the share of satisfied answers about their tickets only.

mod common;

use kefu_app::clock::ManualClock;
use kefu_app::my_desk::MyRating;
use kefu_app::surveys::SurveyInput;
use kefu_app::tickets::{Addition, TicketInput};
use kefu_app::{Actor, App};
use kefu_core::Role;
use std::sync::Arc;

#[tokio::test]
async fn my_desk_on_sqlite() {
    common::on_sqlite(2, |app| async move { my_desk(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_desk_on_postgres() {
    common::on_postgres(4, |app| async move { my_desk(app).await }).await;
}

fn at(s: &str) -> i64 {
    s.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

async fn my_desk(app: App) {
    // Wednesday 16 September 2026, 10:00 in Shanghai: a working morning.
    let clock: Arc<ManualClock> = ManualClock::at(at("2026-09-16T02:00:00Z"));
    let app = app.with_clock(clock.clone());
    let agent = common::actor(&app, Role::Agent).await;
    let other = Actor::User {
        user: common::staff(&app, "other@example.com", "other", Role::Agent).await,
        ip: None,
    };
    let customer = common::end_customer(&app, "王芳").await;
    // A phone ticket stays with the agent who took the call.
    let call = |subject: &str| TicketInput {
        customer_id: customer.id,
        kind: "complaint".into(),
        subject: subject.into(),
        body: "热水器漏水".into(),
        channel: Some("phone".into()),
        ..Default::default()
    };
    let mut mine = vec![];
    for s in ["A", "B", "C"] {
        mine.push(app.create_ticket(&agent, call(s)).await.unwrap().ticket.id);
    }
    let theirs = app.create_ticket(&other, call("D")).await.unwrap().ticket.id;
    // A gets its first reply at once; B and C wait (their first reply is due at 12:00).
    let reply = Addition::Reply {
        body: "已安排师傅。".into(),
    };
    app.add_to_ticket(&agent, mine[0], reply.clone()).await.unwrap();

    let d = app.my_desk(&agent).await.unwrap();
    assert_eq!(d.open, 3);
    assert_eq!(d.quadrants.iter().map(|(_, n)| n).sum::<u64>(), 3);
    assert_eq!((d.breached, d.due_within_hour), (0, 0), "{d:?}");
    assert_eq!(d.rating, MyRating::NoSurvey);

    // 11:01: B's and C's first replies are due within the hour.
    clock.set(at("2026-09-16T03:01:00Z"));
    let d = app.my_desk(&agent).await.unwrap();
    assert_eq!((d.breached, d.due_within_hour), (0, 2), "{d:?}");
    // 12:05: both are past due; a late reply to C leaves it breached.
    clock.set(at("2026-09-16T04:05:00Z"));
    app.add_to_ticket(&agent, mine[2], reply).await.unwrap();
    let d = app.my_desk(&agent).await.unwrap();
    assert_eq!((d.breached, d.due_within_hour), (2, 0), "{d:?}");
    assert!(matches!(
        app.my_desk(&Actor::Cli).await,
        Err(kefu_app::AppError::Forbidden)
    ));

    // CSAT about the agent's tickets: nine answers are not enough; the tenth makes a figure. The
    // answer about the other agent's ticket is not theirs.
    let csat = app
        .create_survey(
            &Actor::Cli,
            SurveyInput {
                slug: Some("csat".into()),
                kind: "csat".into(),
                title: "满意度".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let answer = |ticket: i64, score: u8| {
        let app = app.clone();
        async move { common::answer_by_link(&app, csat.survey.id, customer.id, Some(ticket), score).await }
    };
    answer(theirs, 1).await;
    // Scores 5, 5, 2, 5, 5, 5, 2, 5, 5, 5: eight of ten satisfied.
    let scores = [5, 5, 2, 5, 5, 5, 2, 5, 5, 5];
    for (i, score) in scores.iter().enumerate() {
        if i == 9 {
            let d = app.my_desk(&agent).await.unwrap();
            assert_eq!(d.rating, MyRating::NotEnough { n: 9 });
        }
        answer(mine[i % 3], *score).await;
    }
    match app.my_desk(&agent).await.unwrap().rating {
        MyRating::Csat { n, csat, ci95, .. } => {
            assert_eq!(n, 10);
            assert!((csat - 0.8).abs() < 1e-12, "{csat}");
            let ci = ci95.unwrap();
            assert!(ci.lo < 0.8 && 0.8 < ci.hi, "{ci:?}");
        }
        r => panic!("{r:?}"),
    }
}
