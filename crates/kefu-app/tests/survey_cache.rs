//! The survey statistics of the months long past are parsed once and kept (docs/statistics.md,
//! "Read fast"): on both databases, an answer given with a clock set in such a month, and a
//! rebuild, bump the survey statistics' epoch and show at once; an answer today leaves the epoch
//! alone and shows too, read fresh beside the kept months.

mod common;

use kefu_app::clock::ManualClock;
use kefu_app::surveys::SurveyInput;
use kefu_app::{Actor, App};
use std::sync::Arc;

#[tokio::test]
async fn kept_months_on_sqlite() {
    common::on_sqlite(2, |app| async move { kept_months(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_months_on_postgres() {
    common::on_postgres(4, |app| async move { kept_months(app).await }).await;
}

async fn kept_months(app: App) {
    let now = jiff::Timestamp::now();
    // The middle of the month three months ago: kept by any reader today.
    let past = now
        .checked_sub(jiff::Span::new().hours(24 * 92))
        .unwrap()
        .as_millisecond();
    let clock: Arc<ManualClock> = ManualClock::at(past);
    let app = app.with_clock(clock.clone());
    let cli = Actor::Cli;
    let customer = common::end_customer(&app, "李雷").await;
    let csat = app
        .create_survey(
            &cli,
            SurveyInput {
                slug: Some("csat".into()),
                kind: "csat".into(),
                title: "满意度".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let answer = |score: u8| {
        let app = app.clone();
        async move { common::answer_by_link(&app, csat.survey.id, customer.id, None, score).await }
    };
    let tz = app.time_zone().await;
    let month = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .unwrap()
            .to_zoned(tz.clone())
            .strftime("%Y-%m")
            .to_string()
    };
    let past_month = month(past);
    let report = |from: Option<String>, to: Option<String>| {
        let app = app.clone();
        async move {
            let r = app
                .survey_report(&Actor::Cli, csat.survey.id, None, from.as_deref(), to.as_deref())
                .await
                .unwrap();
            (r.n_responses, r.csat.and_then(|c| c.csat))
        }
    };
    let epoch = || async { app.store().survey_stats_epoch().await.unwrap() };

    for s in [5, 5, 1] {
        answer(s).await;
    }
    assert_eq!(report(None, None).await.0, 3);
    assert_eq!(report(Some(past_month.clone()), Some(past_month.clone())).await.0, 3);
    // Read again: the same, from what was kept.
    assert_eq!(report(None, None).await, (3, Some(2.0 / 3.0)));

    // A fourth answer into that month bumps the epoch, and shows at once.
    let e = epoch().await;
    answer(4).await;
    assert!(epoch().await > e, "an answer into a kept month bumps the epoch");
    assert_eq!(report(None, None).await, (4, Some(0.75)));
    assert_eq!(report(Some(past_month.clone()), Some(past_month.clone())).await.0, 4);

    // An answer today leaves it alone, and shows beside the kept months.
    clock.set(now.as_millisecond());
    let e = epoch().await;
    answer(2).await;
    assert_eq!(epoch().await, e, "an answer today does not bump the epoch");
    assert_eq!(report(None, None).await, (5, Some(0.6)));
    assert_eq!(report(Some(past_month.clone()), None).await.0, 5);
    assert_eq!(report(Some(past_month.clone()), Some(past_month.clone())).await.0, 4);
    assert_eq!(report(Some(month(now.as_millisecond())), None).await.0, 1);

    // A rebuild bumps it and changes nothing.
    let e = epoch().await;
    assert_eq!(app.rebuild_survey_stats(&cli, "csat").await.unwrap(), 5);
    assert!(epoch().await > e, "a rebuild bumps the epoch");
    assert_eq!(report(None, None).await, (5, Some(0.6)));
}
