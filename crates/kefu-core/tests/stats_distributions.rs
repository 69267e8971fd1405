//! The distribution functions against scipy (tests/fixtures/make_stats_fixtures.py).

use kefu_core::stats::distributions::{
    beta_inc, beta_inc_inv, f_cdf, f_quantile, f_sf, normal_quantile, t_cdf, t_quantile,
};
use serde_json::Value;

mod common;
use common::fixtures;

fn rows(v: &Value, key: &str) -> Vec<Vec<f64>> {
    v[key]
        .as_array()
        .expect(key)
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

fn rel(got: f64, want: f64) -> f64 {
    if got == want {
        0.0
    } else if want == 0.0 {
        got.abs()
    } else {
        ((got - want) / want).abs()
    }
}

/// Checks every row, printing the worst error, and fails listing every row over `tol`.
fn check(name: &str, rows: &[Vec<f64>], tol: f64, f: impl Fn(&[f64]) -> (f64, f64)) {
    let mut worst = 0.0f64;
    let mut bad = Vec::new();
    for r in rows {
        let (got, want) = f(r);
        let e = rel(got, want);
        if !e.is_finite() || e > tol {
            bad.push(format!("{r:?}: got {got:e} want {want:e} rel {e:e}"));
        }
        if e.is_finite() {
            worst = worst.max(e);
        }
    }
    println!("{name}: {} cases, worst relative error {worst:e}", rows.len());
    assert!(
        bad.is_empty(),
        "{name}: {} of {} over {tol:e}:\n{}",
        bad.len(),
        rows.len(),
        bad.join("\n")
    );
}

#[test]
fn t_quantile_matches_scipy_to_1e_12() {
    let v = fixtures();
    // [p, ν, reference, source, scipy]: the reference is scipy's value unless mpmath showed it off.
    let rows = rows(&v, "t_ppf");
    check("t_ppf", &rows, 1e-12, |r| (t_quantile(r[0], r[1]), r[2]));
    let mpmath_rows = v["t_ppf"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r[3] == "mpmath")
        .count();
    println!("t_ppf: {mpmath_rows} rows where scipy was off by more than 1e-14 and mpmath is the reference");
}

#[test]
fn t_cdf_matches_scipy() {
    let v = fixtures();
    check("t_cdf", &rows(&v, "t_cdf"), 1e-12, |r| (t_cdf(r[0], r[1]), r[2]));
}

#[test]
fn f_quantile_matches_scipy_to_1e_12() {
    let v = fixtures();
    // [p, ν1, ν2, reference, source, scipy], as for t.
    check("f_ppf", &rows(&v, "f_ppf"), 1e-12, |r| {
        (f_quantile(r[0], r[1], r[2]), r[3])
    });
}

#[test]
fn f_cdf_matches_scipy() {
    let v = fixtures();
    let rows = rows(&v, "f_cdf");
    // The smaller of cdf / sf is the one with full relative accuracy in both libraries.
    // Far in a tail (below 1e-6) the exponent of x^a·y^b (hundreds at ν = 10^7) amplifies the
    // last-bit error of x in both libraries: there 1e-10.
    for (name, col, get) in [("f_cdf", 3, f_cdf as fn(f64, f64, f64) -> f64), ("f_sf", 4, f_sf)] {
        let (deep, body): (Vec<_>, Vec<_>) = rows.iter().cloned().partition(|r| r[col] < 1e-6);
        check(name, &body, 1e-12, |r| (get(r[0], r[1], r[2]), r[col]));
        check(&format!("{name} below 1e-6"), &deep, 1e-10, |r| {
            (get(r[0], r[1], r[2]), r[col])
        });
    }
}

#[test]
fn normal_quantile_matches_scipy() {
    let v = fixtures();
    check("norm_ppf", &rows(&v, "norm_ppf"), 1e-14, |r| {
        (normal_quantile(r[0]), r[1])
    });
}

#[test]
fn beta_inc_matches_scipy() {
    let v = fixtures();
    check("beta_inc", &rows(&v, "beta_inc"), 1e-12, |r| {
        (beta_inc(r[0], r[1], r[2]), r[3])
    });
}

#[test]
fn beta_inc_inv_matches_scipy() {
    let v = fixtures();
    check("beta_inc_inv", &rows(&v, "beta_inc_inv"), 1e-12, |r| {
        (beta_inc_inv(r[0], r[1], r[2]), r[3])
    });
}

#[test]
fn edge_values() {
    assert_eq!(t_quantile(0.5, 7.0), 0.0);
    assert_eq!(t_quantile(0.0, 7.0), f64::NEG_INFINITY);
    assert_eq!(t_quantile(1.0, 7.0), f64::INFINITY);
    assert!(t_quantile(1.5, 7.0).is_nan());
    assert!(t_quantile(0.5, 0.0).is_nan());
    assert_eq!(f_quantile(0.0, 3.0, 4.0), 0.0);
    assert_eq!(f_quantile(1.0, 3.0, 4.0), f64::INFINITY);
    assert!(f_quantile(0.5, -1.0, 4.0).is_nan());
    assert_eq!(t_cdf(0.0, 3.0), 0.5);
}

#[test]
fn quantiles_beyond_the_required_range() {
    // Non-integer ν, ν up to 10^15 and tails to 1e-100, against scipy (tolerance 1e-11: outside
    // the normative range nothing is promised beyond good accuracy).
    let v = fixtures();
    check("t_ppf_extra", &rows(&v, "t_ppf_extra"), 1e-11, |r| {
        (t_quantile(r[0], r[1]), r[2])
    });
    check("f_ppf_extra", &rows(&v, "f_ppf_extra"), 1e-11, |r| {
        (f_quantile(r[0], r[1], r[2]), r[3])
    });
}
