//! The dashboard's ticket figures on the small demo, on both databases, checked against an
//! independent computation: the tickets read one by one with their SLA replayed now, summed by
//! the day each figure settled; percentiles against the exact nearest rank.

mod common;

use common::{day, settled};
use kefu_app::dashboard::Period;
use kefu_app::demo::DemoSize;
use kefu_app::{Actor, App, AppError};
use kefu_core::sla::ClockPhase;
use kefu_store::TicketFilter;
use std::collections::{BTreeMap, HashSet};

#[tokio::test]
async fn dashboard_figures_on_sqlite() {
    common::on_sqlite(2, |app| async move { dashboard_figures(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_figures_on_postgres() {
    common::on_postgres(4, |app| async move { dashboard_figures(app).await }).await;
}

fn nearest_rank(sorted: &[f64], pct: usize) -> f64 {
    sorted[(pct * sorted.len()).div_ceil(100).max(1) - 1]
}

async fn dashboard_figures(app: App) {
    app.load_demo(DemoSize::Small, &|_, _| {}).await.unwrap();
    let cli = Actor::Cli;
    let tickets = app
        .store()
        .list_tickets(&TicketFilter {
            limit: 1_000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tickets.len(), 400);
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let swept: HashSet<(i64, String)> = app
        .store()
        .escalations_of_tickets(&ids)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let views = app.view_tickets(tickets).await.unwrap();
    let today = day(jiff::Timestamp::now());
    for (from, to) in [
        (today.checked_sub(jiff::Span::new().days(180)).unwrap(), today),
        (today.checked_sub(jiff::Span::new().days(1000)).unwrap(), today),
        (
            today.checked_sub(jiff::Span::new().days(400)).unwrap(),
            today.checked_sub(jiff::Span::new().days(35)).unwrap(),
        ),
    ] {
        let period = Period::parse(&from.to_string(), &to.to_string()).unwrap();
        let inside = |d: jiff::civil::Date| d >= from && d <= to;
        let f = app.ticket_figures(&cli, period, "all").await.unwrap();
        // Created, by channel.
        let mut by_channel: BTreeMap<String, i64> = BTreeMap::new();
        for v in &views {
            if inside(day(jiff::Timestamp::from_millisecond(v.ticket.created_at).unwrap())) {
                *by_channel.entry(v.ticket.channel.as_str().to_owned()).or_default() += 1;
            }
        }
        assert_eq!(f.by_channel, by_channel, "{from}..{to}");
        assert_eq!(f.created, by_channel.values().sum::<i64>());
        assert!(f.created > 0);
        // SLA met and breached per policy and target, each on the day it settled.
        let mut sla: BTreeMap<(i64, String), (i64, i64)> = BTreeMap::new();
        let mut first_minutes = vec![];
        let mut resolution_minutes = vec![];
        for v in &views {
            let policy = v.ticket.sla_policy_id.unwrap();
            for t in [&v.sla.first_response, &v.sla.resolution] {
                let key = format!("{}#1:breach", t.metric);
                if let Some((d, met)) = settled(t, swept.contains(&(v.ticket.id, key)))
                    && inside(d)
                {
                    let e = sla.entry((policy, t.metric.as_str().to_owned())).or_default();
                    if met { e.0 += 1 } else { e.1 += 1 }
                }
                if t.phase == ClockPhase::Stopped && inside(day(t.stopped_at.unwrap())) {
                    let minutes = t.used.as_secs().div_euclid(60) as f64;
                    if t.metric == kefu_core::sla::Metric::FirstResponse {
                        first_minutes.push(minutes);
                    } else {
                        resolution_minutes.push(minutes);
                    }
                }
            }
        }
        let kept: BTreeMap<(i64, String), (i64, i64)> = f
            .sla
            .iter()
            .filter(|s| s.target != "next_response")
            .map(|s| ((s.policy_id, s.target.clone()), (s.met, s.breached)))
            .collect();
        assert_eq!(kept, sla, "{from}..{to}");
        // Durations: the histogram's percentiles within 1 % of the exact nearest rank.
        for (tail, mut exact) in [
            (&f.first_response_minutes, first_minutes),
            (&f.resolution_minutes, resolution_minutes),
        ] {
            exact.sort_by(f64::total_cmp);
            assert_eq!(tail.n, exact.len() as u64);
            for (pct, got) in [(50, tail.p50), (90, tail.p90), (99, tail.p99)] {
                let want = nearest_rank(&exact, pct);
                let got = got.unwrap();
                assert!((got - want).abs() <= 0.01 * want, "p{pct}: {got} vs {want}");
            }
        }
        assert_eq!(f.resolved, f.resolution_minutes.n as i64);
        // One segment at a time: the phone tickets.
        let phone = app.ticket_figures(&cli, period, "channel:phone").await.unwrap();
        assert_eq!(phone.created, by_channel.get("phone").copied().unwrap_or(0));
        assert_eq!(phone.by_channel.keys().collect::<Vec<_>>(), vec!["phone"]);
    }
    // Bad input is refused naming the parameter; customers may not read the figures.
    let p = Period::parse("2026-01-01", "2026-02-01").unwrap();
    match app.ticket_figures(&cli, p, "colour:red").await {
        Err(AppError::Invalid(e)) => assert_eq!(e.errors[0].field, "segment"),
        other => panic!("{other:?}"),
    }
    let customer = common::actor(&app, kefu_core::Role::Customer).await;
    assert!(matches!(
        app.ticket_figures(&customer, p, "all").await,
        Err(AppError::Forbidden)
    ));
}
