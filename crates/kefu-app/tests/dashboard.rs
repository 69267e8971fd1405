//! The dashboard's ticket figures on the small demo, on both databases, checked against an
//! independent computation: the tickets read one by one with their SLA replayed now, summed by
//! the day each figure settled; percentiles against the exact nearest rank.

mod common;

use common::{day, settled};
use kefu_app::dashboard::Period;
use kefu_app::demo::DemoSize;
use kefu_app::{Actor, App, AppError};
use kefu_core::sla::ClockPhase;
use std::collections::BTreeMap;

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
    let (views, swept) = common::tickets_and_sweeps(&app).await;
    assert_eq!(views.len(), 400);
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
    // The settled past's sums are kept between reads, and a change to that past shows at once:
    // a ticket filed months ago is moved to another category, on the day it was filed.
    let past = Period::parse(
        &today.checked_sub(jiff::Span::new().days(400)).unwrap().to_string(),
        &today.checked_sub(jiff::Span::new().days(35)).unwrap().to_string(),
    )
    .unwrap();
    let first = app.ticket_figures(&cli, past, "all").await.unwrap();
    assert_eq!(
        app.ticket_figures(&cli, past, "all").await.unwrap(),
        first,
        "kept, the same"
    );
    let categories = app.categories().await.unwrap();
    let then = views
        .iter()
        .find(|v| {
            let d = day(jiff::Timestamp::from_millisecond(v.ticket.created_at).unwrap());
            d >= past.from && d <= past.to && v.ticket.category_id.is_some()
        })
        .expect("a ticket filed in the period, in a category");
    let (old, new) = (
        then.ticket.category_id.unwrap(),
        categories
            .iter()
            .find(|c| Some(c.id) != then.ticket.category_id)
            .unwrap()
            .id,
    );
    let epoch = app.store().ticket_facts_epoch().await.unwrap();
    app.edit_ticket(
        &cli,
        then.ticket.id,
        kefu_app::ticket_edit::TicketEdit {
            category_id: Some(Some(new)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(
        app.store().ticket_facts_epoch().await.unwrap() > epoch,
        "a change to the settled past bumps the epoch"
    );
    let after = app.ticket_figures(&cli, past, "all").await.unwrap();
    let count =
        |f: &kefu_app::dashboard::TicketFigures, c: i64| f.by_category.get(&c.to_string()).copied().unwrap_or(0);
    assert_eq!(count(&after, old), count(&first, old) - 1, "moved out of its category");
    assert_eq!(count(&after, new), count(&first, new) + 1, "into the other");
    assert_eq!(after.created, first.created);
    let resolved_then = then;

    // A change today leaves the epoch alone, and today's figures are read fresh beside the kept.
    let half_year = Period::parse(
        &today.checked_sub(jiff::Span::new().days(180)).unwrap().to_string(),
        &today.to_string(),
    )
    .unwrap();
    let before = app.ticket_figures(&cli, half_year, "all").await.unwrap();
    let epoch = app.store().ticket_facts_epoch().await.unwrap();
    app.create_ticket(
        &cli,
        kefu_app::tickets::TicketInput {
            customer_id: resolved_then.ticket.customer_id,
            kind: "inquiry".into(),
            subject: "今天的咨询".into(),
            body: "今天".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(app.store().ticket_facts_epoch().await.unwrap(), epoch);
    let after = app.ticket_figures(&cli, half_year, "all").await.unwrap();
    assert_eq!(after.created, before.created + 1);

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
