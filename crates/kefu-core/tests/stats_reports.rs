//! The statistics reports against numpy / scipy (tests/fixtures/make_stats_fixtures.py), and the
//! incremental accumulator against the raw-data report.

use kefu_core::stats::descriptive::{nearest_rank, summarize_answered, wilson};
use kefu_core::stats::sampling::{SeededRng, invitations_needed, sample_size_mean, sample_size_proportion};
use kefu_core::stats::scales::{AnswerCounts, ces, csat, dissatisfaction_causes, nps, nps_from_counts, scale_item};
use kefu_core::stats::servqual::servqual_dissatisfaction;
use kefu_core::stats::{ServqualAccumulator, ServqualLayout, ServqualResponse, servqual_report};
use serde_json::Value;

mod common;
use common::fixtures;

/// Walks `want` (the reference) and compares every value it has with `got`: numbers to `tol`
/// relative (absolute 1e-12 around zero), everything else exactly. Returns the worst relative
/// error and the list of mismatches.
fn compare(path: &str, got: &Value, want: &Value, tol: f64, worst: &mut f64, bad: &mut Vec<String>) {
    match (got, want) {
        (Value::Number(g), Value::Number(w)) => {
            let (g, w) = (g.as_f64().expect("f64"), w.as_f64().expect("f64"));
            let err = (g - w).abs();
            let rel = if w == 0.0 { err } else { err / w.abs() };
            *worst = worst.max(rel);
            if err > tol * w.abs() + 1e-12 {
                bad.push(format!("{path}: got {g:e} want {w:e} (rel {rel:e})"));
            }
        }
        (Value::Object(g), Value::Object(w)) => {
            for (k, wv) in w {
                match g.get(k) {
                    Some(gv) => compare(&format!("{path}.{k}"), gv, wv, tol, worst, bad),
                    None => bad.push(format!("{path}.{k}: missing")),
                }
            }
        }
        (Value::Array(g), Value::Array(w)) if g.len() == w.len() => {
            for (i, (gv, wv)) in g.iter().zip(w).enumerate() {
                compare(&format!("{path}[{i}]"), gv, wv, tol, worst, bad);
            }
        }
        (g, w) if g == w => {}
        (g, w) => bad.push(format!("{path}: got {g} want {w}")),
    }
}

fn assert_matches(name: &str, got: &Value, want: &Value, tol: f64) {
    let mut worst = 0.0;
    let mut bad = Vec::new();
    compare(name, got, want, tol, &mut worst, &mut bad);
    println!("{name}: worst relative error {worst:e}");
    assert!(bad.is_empty(), "{name}: {} mismatches:\n{}", bad.len(), bad.join("\n"));
}

fn responses(case: &Value) -> Vec<ServqualResponse> {
    serde_json::from_value(case["responses"].clone()).expect("responses")
}

fn weights(case: &Value) -> Option<Vec<u32>> {
    serde_json::from_value(case["weights"].clone()).expect("weights")
}

#[test]
fn servqual_report_matches_numpy() {
    let v = fixtures();
    let layout = ServqualLayout::standard();
    for case in v["servqual"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let report = servqual_report(&layout, &responses(case), weights(case).as_deref()).expect("report");
        let got = serde_json::to_value(&report).expect("json");
        assert_matches(name, &got, &case["expected"], 1e-9);
        // Every null figure has a note saying why, and no number is NaN.
        let text = serde_json::to_string(&report).expect("json");
        assert!(!text.contains("NaN"));
    }
}

#[test]
fn accumulator_agrees_with_raw_report() {
    let v = fixtures();
    let layout = ServqualLayout::standard();
    for case in v["servqual"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let rs = responses(case);
        let w = weights(case);
        let raw = serde_json::to_value(servqual_report(&layout, &rs, w.as_deref()).expect("raw")).expect("json");
        // Two accumulators over the halves, merged, as per-period sums would be.
        let mut a = ServqualAccumulator::new(layout.clone()).expect("layout");
        let mut b = ServqualAccumulator::new(layout.clone()).expect("layout");
        for (i, r) in rs.iter().enumerate() {
            if i % 2 == 0 { a.add(r) } else { b.add(r) }.expect("valid response");
        }
        a.merge(&b).expect("same layout");
        let inc = serde_json::to_value(a.report(w.as_deref()).expect("report")).expect("json");
        assert_matches(&format!("incremental {name}"), &inc, &raw, 1e-12);
        // And against scipy directly.
        assert_matches(&format!("incremental vs numpy {name}"), &inc, &case["expected"], 1e-9);
        // The accumulator survives a JSON round trip (it is what a store keeps).
        let text = serde_json::to_string(&a).expect("serialize");
        let back: ServqualAccumulator = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back, a);
    }
}

#[test]
fn servqual_edge_cases_give_nulls_with_notes() {
    let v = fixtures();
    let layout = ServqualLayout::standard();
    let case = &v["servqual"].as_array().expect("cases")[3];
    assert_eq!(case["name"], "one respondent");
    let report = servqual_report(&layout, &responses(case), None).expect("report");
    assert!(
        report
            .items
            .iter()
            .all(|i| i.gap_sd.is_none() && i.gap_ci95.is_none() && i.gap_mean.is_some())
    );
    assert!(report.dimensions.iter().all(|d| d.alpha_p.is_none()));
    let note = report
        .notes
        .iter()
        .find(|n| n.field == "dimensions[reliability].alpha_p")
        .expect("alpha note");
    assert_eq!(note.reason, "fewer than 2 complete cases");
    assert!(report.notes.iter().any(|n| n.field == "servqual.weighted_manager"));
    assert_eq!(ServqualLayout::standard().score_scale(), 60);

    // The edge case: respondent 3 answered no E in tangibles, so has no gap there but a P score.
    let case = &v["servqual"].as_array().expect("cases")[2];
    let rs = responses(case);
    assert!(rs[3].expectation[0..4].iter().all(Option::is_none));
    let report = servqual_report(&layout, &rs, None).expect("report");
    let with_pair = |r: &&ServqualResponse| (0..4).any(|j| r.expectation[j].zip(r.perception[j]).is_some());
    assert_eq!(report.dimensions[0].n, rs.iter().filter(with_pair).count() as u64);
    assert!(report.dimensions[0].n < rs.len() as u64);
    // Q10 has E = P = 5 for everyone: gap 0 with sd 0 and the point interval.
    let q10 = &report.items[9];
    assert_eq!((q10.gap_mean, q10.gap_sd), (Some(0.0), Some(0.0)));
    assert_eq!(report.dimensions[2].item_total_p.get("Q10"), Some(None));

    let empty = servqual_report(&layout, &[], None).expect("no answers");
    assert_eq!(empty.n_respondents, 0);
    assert!(empty.servqual.unweighted.is_none() && empty.ipa.basis.is_none());
    assert!(empty.notes.iter().any(|n| n.field == "servqual.unweighted"));
}

#[test]
fn bad_input_is_rejected_and_changes_nothing() {
    let layout = ServqualLayout::standard();
    let good = ServqualResponse {
        expectation: vec![Some(5); 22],
        perception: vec![Some(4); 22],
        allocation: Some(vec![20; 5]),
        overall: Some(6),
    };
    let mut out_of_range = good.clone();
    out_of_range.perception[3] = Some(8);
    let mut short = good.clone();
    short.expectation.pop();
    let mut bad_alloc = good.clone();
    bad_alloc.allocation = Some(vec![20, 20, 20, 20, 21]);
    let mut acc = ServqualAccumulator::new(layout.clone()).expect("layout");
    acc.add(&good).expect("good");
    let before = acc.clone();
    for bad in [&out_of_range, &short, &bad_alloc] {
        assert!(acc.add(bad).is_err());
        assert!(servqual_report(&layout, &[good.clone(), bad.clone()], None).is_err());
    }
    assert_eq!(acc, before);
    assert!(servqual_report(&layout, std::slice::from_ref(&good), Some(&[50, 50, 0, 0, 1])).is_err());
    assert!(acc.report(Some(&[100])).is_err());
    let mut other = ServqualLayout::standard();
    other.dimensions.pop();
    assert!(acc.merge(&ServqualAccumulator::new(other).expect("layout")).is_err());
    let mut too_big = ServqualLayout::standard();
    too_big.dimensions[0].items.push(4);
    assert!(ServqualAccumulator::new(too_big).is_err());
}

#[test]
fn nps_csat_ces_match_scipy() {
    let v = fixtures();
    for case in v["nps"].as_array().expect("nps") {
        let a: Vec<u8> = serde_json::from_value(case["answers"].clone()).expect("answers");
        let got = serde_json::to_value(nps(&a).expect("valid")).expect("json");
        assert_matches("nps", &got, &case["expected"], 1e-9);
    }
    for case in v["csat"].as_array().expect("csat") {
        let a: Vec<u8> = serde_json::from_value(case["answers"].clone()).expect("answers");
        let got = serde_json::to_value(csat(&a).expect("valid")).expect("json");
        assert_matches("csat", &got, &case["expected"], 1e-9);
    }
    for case in v["ces"].as_array().expect("ces") {
        let a: Vec<u8> = serde_json::from_value(case["answers"].clone()).expect("answers");
        let got = serde_json::to_value(ces(&a).expect("valid")).expect("json");
        assert_matches("ces", &got, &case["expected"], 1e-9);
    }
    for case in v["scale_items"].as_array().expect("scale items") {
        let a: Vec<Option<i64>> = serde_json::from_value(case["answers"].clone()).expect("answers");
        let got = serde_json::to_value(scale_item(&a)).expect("json");
        assert_matches("scale item", &got, &case["expected"], 1e-9);
        let mut counts = AnswerCounts::default();
        a.iter().flatten().for_each(|&x| counts.add(x));
        let from_counts = serde_json::to_value(counts.scale_item()).expect("json");
        assert_matches("scale item from counts", &from_counts, &got, 1e-12);
        // summarize_answered over the same answers as f64.
        let f: Vec<Option<f64>> = a.iter().map(|x| x.map(|x| x as f64)).collect();
        let s = serde_json::to_value(summarize_answered(&f)).expect("json");
        assert_matches("summarize_answered", &s, &case["expected"]["summary"], 1e-9);
    }
    for row in v["wilson"].as_array().expect("wilson") {
        let (k, n) = (row[0].as_u64().expect("k"), row[1].as_u64().expect("n"));
        let got = serde_json::to_value(wilson(k, n)).expect("json");
        assert_matches("wilson", &got, &row[2], 1e-9);
    }
    // The answer counts (the incremental form) give the same figures, merged from two halves.
    let halves = |a: &[u8]| {
        let (mut x, mut y) = (AnswerCounts::default(), AnswerCounts::default());
        for (i, &v) in a.iter().enumerate() {
            if i % 2 == 0 { &mut x } else { &mut y }.add(i64::from(v));
        }
        x.merge(&y);
        x
    };
    for case in v["nps"].as_array().expect("nps") {
        let a: Vec<u8> = serde_json::from_value(case["answers"].clone()).expect("answers");
        let got = serde_json::to_value(halves(&a).nps().expect("valid")).expect("json");
        assert_matches("nps from counts", &got, &case["expected"], 1e-12);
    }
    for case in v["csat"].as_array().expect("csat") {
        let a: Vec<u8> = serde_json::from_value(case["answers"].clone()).expect("answers");
        let got = serde_json::to_value(halves(&a).csat().expect("valid")).expect("json");
        assert_matches("csat from counts", &got, &case["expected"], 1e-12);
    }
    for case in v["ces"].as_array().expect("ces") {
        let a: Vec<u8> = serde_json::from_value(case["answers"].clone()).expect("answers");
        let raw = serde_json::to_value(ces(&a).expect("valid")).expect("json");
        let got = serde_json::to_value(halves(&a).ces().expect("valid")).expect("json");
        assert_matches("ces from counts vs raw", &got, &raw, 1e-12);
        assert_matches("ces from counts", &got, &case["expected"], 1e-9);
    }
    assert!(halves(&[11]).nps().is_err() && halves(&[0]).csat().is_err() && halves(&[8]).ces().is_err());
    assert!(nps(&[11]).is_err());
    assert!(csat(&[0]).is_err());
    assert!(ces(&[8]).is_err());
    // All promoters: NPS 100 with a zero standard error.
    let all = nps_from_counts(20, 0, 0);
    assert_eq!((all.nps, all.nps_se), (Some(100.0), Some(0.0)));
}

#[test]
fn sampling_and_percentiles_match_python() {
    let v = fixtures();
    for row in v["sample_size_proportion"].as_array().expect("rows") {
        let got = sample_size_proportion(row[0].as_f64().expect("e"), row[1].as_f64(), row[2].as_u64()).expect("ok");
        assert_eq!(got, row[3].as_u64().expect("n"), "{row}");
    }
    for row in v["sample_size_mean"].as_array().expect("rows") {
        let got = sample_size_mean(
            row[0].as_f64().expect("sd"),
            row[1].as_f64().expect("e"),
            row[2].as_u64(),
        )
        .expect("ok");
        assert_eq!(got, row[3].as_u64().expect("n"), "{row}");
    }
    assert_eq!(invitations_needed(385, 0.2).expect("ok"), 1925);
    assert_eq!(invitations_needed(100, 0.3).expect("ok"), 334);
    assert!(sample_size_proportion(0.0, None, None).is_err());
    assert!(sample_size_proportion(0.05, None, Some(0)).is_err());
    assert!(invitations_needed(10, 0.0).is_err());

    let values: Vec<f64> = serde_json::from_value(v["percentiles"]["values"].clone()).expect("values");
    for (q, want) in v["percentiles"]["expected"].as_object().expect("expected") {
        let q: u32 = q.parse().expect("q");
        assert_eq!(nearest_rank(&values, q), want.as_f64(), "p{q}");
    }
    assert_eq!(nearest_rank(&[], 50), None);
}

#[test]
fn dissatisfaction_causes_split_by_sla() {
    // 5 respondents dissatisfied: 3 whose ticket met every SLA target, 2 with a breach.
    let r = [
        (true, true),
        (true, true),
        (true, true),
        (true, false),
        (true, false),
        (false, true),
    ];
    let c = dissatisfaction_causes(&r);
    assert_eq!(c.n_dissatisfied, 5);
    assert_eq!(c.value_not_perceived.count, 3);
    assert_eq!(c.value_below_expectation.count, 2);
    // scipy.stats.binomtest(3, 5).proportion_ci(method="wilson")
    let ci = c.value_not_perceived.ci95.expect("ci");
    let (lo, hi) = (0.23072428127601297, 0.8823792257673521);
    assert!(
        (ci.lo - lo).abs() < 1e-9 * lo && (ci.hi - hi).abs() < 1e-9 * hi,
        "{ci:?}"
    );
    assert_eq!(c.value_not_perceived.share, Some(0.6));
    // Per SERVQUAL dimension: dissatisfied where the respondent's gap is negative.
    let layout = ServqualLayout::standard();
    let resp = |e: u8, p: u8| ServqualResponse {
        expectation: vec![Some(e); 22],
        perception: vec![Some(p); 22],
        allocation: None,
        overall: None,
    };
    let rs = [resp(6, 4), resp(6, 5), resp(5, 5), resp(4, 6), resp(7, 1)];
    let met = [Some(true), Some(false), Some(true), Some(true), None];
    let by_dim = servqual_dissatisfaction(&layout, &rs, &met).expect("valid");
    assert_eq!(by_dim.len(), 5);
    for (_, c) in &by_dim {
        assert_eq!(
            (
                c.n_dissatisfied,
                c.value_not_perceived.count,
                c.value_below_expectation.count
            ),
            (2, 1, 1)
        );
    }
    assert!(servqual_dissatisfaction(&layout, &rs, &met[..4]).is_err());
    let none = dissatisfaction_causes(&[(false, true)]);
    assert_eq!((none.n_dissatisfied, none.value_not_perceived.share), (0, None));
}

#[test]
fn accumulator_agrees_with_raw_report_at_scale() {
    let layout = ServqualLayout::standard();
    let mut g = SeededRng::new(7);
    let answer = |g: &mut SeededRng| (g.below(10) > 0).then(|| 1 + g.below(7) as u8);
    let rs: Vec<ServqualResponse> = (0..30_000)
        .map(|_| {
            let expectation = (0..22).map(|_| answer(&mut g)).collect();
            let perception = (0..22).map(|_| answer(&mut g)).collect();
            let allocation = (g.below(3) > 0).then(|| {
                let mut w = [0u32; 5];
                for _ in 0..100 {
                    w[g.below(5) as usize] += 1;
                }
                w.to_vec()
            });
            let overall = answer(&mut g);
            ServqualResponse {
                expectation,
                perception,
                allocation,
                overall,
            }
        })
        .collect();
    let weights = [10, 25, 25, 20, 20];
    let raw = serde_json::to_value(servqual_report(&layout, &rs, Some(&weights)).expect("raw")).expect("json");
    let mut total = ServqualAccumulator::new(layout.clone()).expect("layout");
    for chunk in rs.chunks(4_099) {
        let mut part = ServqualAccumulator::new(layout.clone()).expect("layout");
        for r in chunk {
            part.add(r).expect("valid");
        }
        total.merge(&part).expect("same layout");
    }
    let inc = serde_json::to_value(total.report(Some(&weights)).expect("report")).expect("json");
    assert_matches("30 000 respondents, incremental vs raw", &inc, &raw, 1e-12);
}

#[test]
fn seeded_sampling_replays_and_is_uniform() {
    use kefu_core::stats::sampling::sample_indices;
    let a = sample_indices(1000, 50, 42);
    assert_eq!(a, sample_indices(1000, 50, 42), "same seed, same draw");
    assert_ne!(a, sample_indices(1000, 50, 43));
    let mut d = a.clone();
    d.sort_unstable();
    d.dedup();
    assert_eq!(d.len(), 50, "distinct");
    assert!(a.iter().all(|&i| i < 1000));
    let mut all = sample_indices(7, 10, 1);
    all.sort_unstable();
    assert_eq!(all, (0..7).collect::<Vec<_>>());
    assert!(sample_indices(0, 5, 1).is_empty());
    // Every unit of a frame of 10 is drawn about equally often in 20 000 draws of 3
    // (expected 6 000 each; the bound is more than 10 standard deviations).
    let mut hits = [0u32; 10];
    for seed in 0..20_000 {
        for i in sample_indices(10, 3, seed) {
            hits[i] += 1;
        }
    }
    assert!(hits.iter().all(|&h| (5_300..=6_700).contains(&h)), "{hits:?}");
}

#[test]
fn tail_histogram_is_within_one_percent_of_exact_nearest_rank() {
    use kefu_core::stats::descriptive::TailHistogram;
    let mut g = SeededRng::new(99);
    // Response times in seconds over six orders of magnitude, some zero.
    let values: Vec<f64> = (0..20_000)
        .map(|i| {
            if i % 97 == 0 {
                0.0
            } else {
                (g.below(1_000_000) + 1) as f64 / (1 + g.below(1000)) as f64
            }
        })
        .collect();
    let (mut h1, mut h2) = (TailHistogram::default(), TailHistogram::default());
    for (i, &v) in values.iter().enumerate() {
        assert!(if i % 2 == 0 { &mut h1 } else { &mut h2 }.add(v));
    }
    h1.merge(&h2);
    assert_eq!(h1.n(), 20_000);
    for pct in [0, 1, 10, 50, 90, 99, 100] {
        let exact = nearest_rank(&values, pct).expect("values");
        let approx = h1.percentile(pct).expect("values");
        let rel = if exact == 0.0 {
            approx
        } else {
            (approx - exact).abs() / exact
        };
        assert!(rel < 0.01, "p{pct}: {approx} vs {exact}");
    }
    assert!(!h1.add(-1.0) && !h1.add(f64::NAN));
    assert_eq!(TailHistogram::default().percentile(50), None);
}

#[test]
fn competitor_figures_match_numpy() {
    use kefu_core::stats::competitor::CompetitorSums;
    let v = fixtures();
    let layout = ServqualLayout::standard();
    for case in v["competitor"].as_array().expect("cases") {
        let name = case["name"].as_str().expect("name");
        let p: Vec<Vec<Option<u8>>> = serde_json::from_value(case["perception"].clone()).expect("P");
        let c: Vec<Vec<Option<u8>>> = serde_json::from_value(case["competitor"].clone()).expect("C");
        // Two halves merged, as per-period sums would be.
        let (mut a, mut b) = (CompetitorSums::new(&layout), CompetitorSums::new(&layout));
        for (i, (p, c)) in p.iter().zip(&c).enumerate() {
            if i % 2 == 0 { &mut a } else { &mut b }
                .add(&layout, p, c)
                .expect("valid");
        }
        a.merge(&b);
        let got = serde_json::to_value(a.report(&layout)).expect("json");
        assert_matches(name, &got, &case["expected"], 1e-9);
    }
}
