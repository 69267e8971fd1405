//! The five gaps of the small demo's SERVQUAL survey, on both databases, checked against an
//! independent computation (docs/statistics.md#five-gaps): Gap 1 from the raw final answers split
//! into staff and customers, Gap 3 and Gap 4 from the tickets read one by one with their SLA
//! replayed, Gap 5 against the survey report of the same months; and the checklist kept per
//! period, refused whole when one cause is bad.

mod common;

use common::{day, settled};
use kefu_app::dashboard::Period;
use kefu_app::demo::DemoSize;
use kefu_app::gaps::CauseInput;
use kefu_app::{Actor, App, AppError};
use kefu_core::sla::{ClockPhase, Metric};
use kefu_core::stats::descriptive::{MeanSummary, summarize, welch_difference};
use serde_json::Value;
use std::collections::BTreeMap;

#[tokio::test]
async fn gaps_on_sqlite() {
    common::on_sqlite(2, |app| async move { five_gaps(app).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gaps_on_postgres() {
    common::on_postgres(4, |app| async move { five_gaps(app).await }).await;
}

fn close(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (Some(a), Some(b)) => assert!((a - b).abs() < 1e-9, "{what}: {a} vs {b}"),
        (None, None) => {}
        other => panic!("{what}: {other:?}"),
    }
}

fn same_summary(got: &MeanSummary, want: &MeanSummary, what: &str) {
    assert_eq!(got.n, want.n, "{what}: n");
    close(got.mean, want.mean, what);
    close(got.sd, want.sd, what);
}

/// Per item and per dimension, the E answers of one group: item → values, dimension → each
/// respondent's mean over the dimension's items they answered.
struct Expectations {
    items: BTreeMap<String, Vec<f64>>,
    dimensions: BTreeMap<String, Vec<f64>>,
}

fn expectations(answers: &[&Value], item_dimension: &BTreeMap<String, String>) -> Expectations {
    let mut out = Expectations {
        items: BTreeMap::new(),
        dimensions: BTreeMap::new(),
    };
    for a in answers {
        let mut per_dim: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for (code, v) in a["expectation"].as_object().into_iter().flatten() {
            let v = v.as_f64().unwrap();
            out.items.entry(code.clone()).or_default().push(v);
            per_dim.entry(item_dimension[code].as_str()).or_default().push(v);
        }
        for (dim, vs) in per_dim {
            let m = vs.iter().sum::<f64>() / vs.len() as f64;
            out.dimensions.entry(dim.to_owned()).or_default().push(m);
        }
    }
    out
}

async fn five_gaps(app: App) {
    app.load_demo(DemoSize::Small, &|_, _| {}).await.unwrap();
    let cli = Actor::Cli;
    let view = app
        .gap_survey(&cli, None)
        .await
        .unwrap()
        .expect("the demo has a SERVQUAL survey");
    let survey_id = view.survey.id;
    let item_dimension: BTreeMap<String, String> = view
        .items
        .iter()
        .map(|i| (i.code.clone(), i.dimension.clone()))
        .collect();

    // The raw material: final answers with their frozen segments; the tickets with their SLA.
    let responses = app.store().final_responses(survey_id).await.unwrap();
    let answers: Vec<(Value, Value)> = responses
        .iter()
        .map(|r| {
            (
                serde_json::from_str(&r.answers).unwrap(),
                serde_json::from_str(&r.segment).unwrap(),
            )
        })
        .collect();
    let (views, swept) = common::tickets_and_sweeps(&app).await;
    let policies = app.store().sla_policies().await.unwrap();
    let commitments = app.store().commitments().await.unwrap();
    assert!(!commitments.is_empty());

    let today = day(jiff::Timestamp::now());
    let ago = |days: i64| today.checked_sub(jiff::Span::new().days(days)).unwrap();
    for period in [
        None,
        Some(Period::parse(&ago(180).to_string(), &today.to_string()).unwrap()),
        Some(Period::parse(&ago(400).to_string(), &ago(35).to_string()).unwrap()),
    ] {
        let label = format!("{period:?}");
        let r = app.gaps(&cli, view.clone(), period).await.unwrap();
        let months = period.map(|p| (p.from.strftime("%Y-%m").to_string(), p.to.strftime("%Y-%m").to_string()));
        assert_eq!(r.survey_months, months);
        let in_months = |seg: &Value| {
            let m = seg["period"].as_str().unwrap();
            months.as_ref().is_none_or(|(f, t)| m >= f.as_str() && m <= t.as_str())
        };

        // Gap 1: management (staff answers) against customers, per item and per dimension.
        let staff = |seg: &Value| seg["role"].as_str().is_some_and(|r| !r.is_empty());
        let group = |want_staff: bool| -> Vec<&Value> {
            (answers.iter())
                .filter(|(_, seg)| staff(seg) == want_staff && in_months(seg))
                .map(|(a, _)| a)
                .collect()
        };
        let (management, customers) = (group(true), group(false));
        assert_eq!(r.gap1.n_management, management.len() as u64, "{label}");
        assert_eq!(r.gap1.n_customers, customers.len() as u64, "{label}");
        if period.is_none() {
            assert!(r.gap1.n_management >= 5, "the department heads answered");
        }
        let (m, c) = (
            expectations(&management, &item_dimension),
            expectations(&customers, &item_dimension),
        );
        let empty = Vec::new();
        for (rows, mine, theirs) in [
            (&r.gap1.items, &m.items, &c.items),
            (&r.gap1.dimensions, &m.dimensions, &c.dimensions),
        ] {
            assert!(!rows.is_empty());
            for row in rows {
                let what = format!("{label} gap 1 {}", row.code);
                let want_m = summarize(mine.get(&row.code).unwrap_or(&empty));
                let want_c = summarize(theirs.get(&row.code).unwrap_or(&empty));
                same_summary(&row.management, &want_m, &what);
                same_summary(&row.customers, &want_c, &what);
                let (d, ci) = welch_difference(&want_m, &want_c);
                close(row.difference, d, &what);
                close(row.ci95.map(|i| i.lo), ci.map(|i| i.lo), &what);
                close(row.ci95.map(|i| i.hi), ci.map(|i| i.hi), &what);
            }
        }

        // Gap 5: the report's P − E of the same months, customers only.
        let (from, to) = (
            months.as_ref().map(|m| m.0.as_str()),
            months.as_ref().map(|m| m.1.as_str()),
        );
        let report = app.survey_report(&cli, survey_id, None, from, to).await.unwrap();
        let servqual = report.servqual.unwrap();
        assert_eq!(r.gap5.len(), servqual.dimensions.len());
        for (g, d) in r.gap5.iter().zip(&servqual.dimensions) {
            assert_eq!(g.dimension, d.dimension);
            close(g.gap_mean, d.gap_mean, &format!("{label} gap 5 {}", g.dimension));
        }

        // Gap 2: a dimension is flagged when customers weigh it highly and no standard serves it.
        for g in &r.gap2 {
            assert_eq!(
                g.flagged,
                g.weighted_highly && g.standards.is_empty(),
                "{label} {}",
                g.dimension
            );
            for s in &g.standards {
                let serves = match s.source {
                    "sla" => policies.iter().any(|p| {
                        p.id == s.id
                            && &g.dimension
                                == if s.target == "resolution" {
                                    &p.resolution_dimension
                                } else {
                                    &p.dimension
                                }
                    }),
                    _ => commitments.iter().any(|c| {
                        c.id == s.id
                            && g.dimension
                                == c.dimension
                                    .clone()
                                    .unwrap_or_else(|| c.metric.default_dimension().to_owned())
                    }),
                };
                assert!(serves, "{label}: {s:?} does not serve {}", g.dimension);
            }
        }

        // Gap 3: each dimension's met and breached, from the tickets' SLA replayed, on the day
        // each target settled.
        let inside = |d: jiff::civil::Date| period.is_none_or(|p| d >= p.from && d <= p.to);
        let mut want3: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        let mut durations: Vec<(kefu_core::ticket::Kind, Metric, f64)> = Vec::new();
        for v in &views {
            let policy = policies.iter().find(|p| Some(p.id) == v.ticket.sla_policy_id).unwrap();
            for t in [&v.sla.first_response, &v.sla.resolution] {
                let dim = if t.metric == Metric::Resolution {
                    &policy.resolution_dimension
                } else {
                    &policy.dimension
                };
                let key = format!("{}#1:breach", t.metric);
                if let Some((d, met)) = settled(t, swept.contains(&(v.ticket.id, key)))
                    && inside(d)
                {
                    let e = want3.entry(dim.clone()).or_default();
                    if met { e.0 += 1 } else { e.1 += 1 }
                }
                if t.phase == ClockPhase::Stopped && inside(day(t.stopped_at.unwrap())) {
                    durations.push((v.ticket.kind, t.metric, t.used.as_secs().div_euclid(60) as f64));
                }
            }
        }
        for g in &r.gap3 {
            // Next response is not replayed here: only first reply and resolution.
            let (met, breached): (i64, i64) = (g.targets.iter())
                .filter(|t| t.target != "next_response")
                .fold((0, 0), |(m, b), t| (m + t.met, b + t.breached));
            let want = want3.get(&g.dimension).copied().unwrap_or_default();
            assert_eq!((met, breached), want, "{label} gap 3 {}", g.dimension);
        }
        assert!(r.gap3.iter().any(|g| g.met + g.breached > 0), "{label}");

        // Gap 4: each commitment's replies or resolutions in the period, and of those within the
        // promise as the histogram knows it (its bin of the bound may hold values 2 % above).
        for g in &r.gap4 {
            for k in &g.commitments {
                let c = commitments.iter().find(|c| c.id == k.commitment_id).unwrap();
                let metric = match c.metric {
                    kefu_core::commitment::CommitmentMetric::FirstResponse => Metric::FirstResponse,
                    kefu_core::commitment::CommitmentMetric::Resolution => Metric::Resolution,
                };
                let mine: Vec<f64> = (durations.iter())
                    .filter(|(kind, m, _)| *m == metric && c.kind.is_none_or(|want| want == *kind))
                    .map(|(.., v)| *v)
                    .collect();
                let what = format!("{label} gap 4 {}", c.title_en);
                assert_eq!(k.n, mine.len() as u64, "{what}");
                let bound = c.within_minutes as f64;
                let at_most = |b: f64| mine.iter().filter(|v| **v <= b).count() as u64;
                assert!(
                    k.within >= at_most(bound) && k.within <= at_most(bound * 1.02),
                    "{what}"
                );
                assert_eq!(
                    k.kept,
                    k.attainment.map(|a| a * 100.0 + 1e-9 >= c.target_percent as f64)
                );
            }
        }
    }

    // The checklist: kept per period, replaced whole, refused whole on a bad cause.
    let manager = common::actor(&app, kefu_core::Role::Manager).await;
    let half_year = Some(Period::parse(&ago(180).to_string(), &today.to_string()).unwrap());
    let cause = |gap: i64, code: &str, checked: bool, note: &str| CauseInput {
        gap,
        cause: code.to_owned(),
        checked,
        note: note.to_owned(),
    };
    let first = kefu_core::gaps::CAUSES.iter().find(|c| c.gap == 1).unwrap().code;
    let third = kefu_core::gaps::CAUSES.iter().find(|c| c.gap == 3).unwrap().code;
    let kept = app
        .save_gap_diagnosis(
            &manager,
            survey_id,
            half_year,
            vec![
                cause(1, first, true, "区域经理很少接触一线 <b>"),
                cause(3, third, false, ""),
            ],
        )
        .await
        .unwrap();
    assert_eq!(kept.len(), 1, "an unticked cause without a note is not kept");
    let r = app.gaps(&cli, view.clone(), half_year).await.unwrap();
    assert_eq!(r.checklist.len(), 1);
    assert_eq!(r.checklist[0].note, "区域经理很少接触一线 <b>");
    assert!(
        app.gaps(&cli, view.clone(), None).await.unwrap().checklist.is_empty(),
        "another period"
    );
    for bad in [
        vec![cause(1, first, true, ""), cause(2, "no_such_cause", true, "")],
        vec![cause(6, first, true, "")],
        vec![cause(1, first, true, ""), cause(1, first, false, "again")],
        vec![cause(1, first, true, &"长".repeat(2001))],
    ] {
        match app.save_gap_diagnosis(&manager, survey_id, half_year, bad).await {
            Err(AppError::Invalid(_)) => {}
            other => panic!("{other:?}"),
        }
    }
    let r = app.gaps(&cli, view.clone(), half_year).await.unwrap();
    assert_eq!(r.checklist.len(), 1, "a refused checklist changes nothing");
    assert_eq!(r.checklist[0].cause, first);

    // Who may: every staff role reads; only managers and admins diagnose; customers neither.
    let agent = common::actor(&app, kefu_core::Role::Agent).await;
    assert!(app.gaps(&agent, view.clone(), None).await.is_ok());
    assert!(matches!(
        app.save_gap_diagnosis(&agent, survey_id, None, vec![]).await,
        Err(AppError::Forbidden)
    ));
    let customer = common::actor(&app, kefu_core::Role::Customer).await;
    assert!(matches!(
        app.gaps(&customer, view, None).await,
        Err(AppError::Forbidden)
    ));
    // An unknown survey is refused naming the parameter.
    match app.gap_survey(&cli, Some("no-such-survey")).await {
        Err(AppError::Invalid(e)) => assert_eq!(e.errors[0].field, "survey"),
        other => panic!("{other:?}"),
    }
    let (nps, _) = (app.list_surveys(&cli).await.unwrap().into_iter())
        .find(|(s, _)| s.kind != kefu_core::SurveyKind::Servqual)
        .unwrap();
    match app.gap_survey(&cli, Some(&nps.id.to_string())).await {
        Err(AppError::Invalid(e)) => assert_eq!(
            (e.errors[0].field.as_str(), e.errors[0].code),
            ("survey", "not_servqual")
        ),
        other => panic!("{other:?}"),
    }
}
