//! Cronbach's alpha and its companions (docs/statistics.md#reliability, `alpha_p` …): all of
//! them are functions of the complete cases' count n_c and the k × k sample covariance matrix of
//! the items, so the raw path (two-pass covariances of the complete cases) and the incremental
//! path (exact integer sums and cross-products) share this code.

use super::descriptive::Interval;
use super::distributions::f_quantile;

/// What the complete cases of one battery in one dimension say about its reliability. Each figure
/// is `None` when docs/statistics.md#reliability says it is null; `reason` says why alpha is.
#[derive(Debug, Clone, PartialEq)]
pub struct Reliability {
    pub n_complete: u64,
    pub alpha: Option<f64>,
    pub alpha_std: Option<f64>,
    pub alpha_ci95: Option<Interval>,
    /// Corrected item–total r per item (x_j against the sum of the others).
    pub item_total: Vec<Option<f64>>,
    /// Alpha of the other k − 1 items per item.
    pub alpha_if_deleted: Vec<Option<f64>>,
    pub reason: Option<&'static str>,
}

/// The covariance matrix of complete cases, two-pass, variances with n − 1. `cases` are rows of
/// k answers.
pub fn covariance_matrix(cases: &[Vec<f64>], k: usize) -> Vec<Vec<f64>> {
    let n = cases.len();
    let mut cov = vec![vec![0.0; k]; k];
    if n < 2 {
        return cov;
    }
    let means: Vec<f64> = (0..k)
        .map(|j| cases.iter().map(|c| c[j]).sum::<f64>() / n as f64)
        .collect();
    for c in cases {
        for (j, row) in cov.iter_mut().enumerate() {
            let dj = c[j] - means[j];
            for (l, cell) in row.iter_mut().enumerate().skip(j) {
                *cell += dj * (c[l] - means[l]);
            }
        }
    }
    let d = (n - 1) as f64;
    // Divide the upper triangle, then mirror it.
    (0..k)
        .map(|j| {
            (0..k)
                .map(|l| if l >= j { cov[j][l] / d } else { cov[l][j] / d })
                .collect()
        })
        .collect()
}

/// α = k/(k−1)·(1 − Σ var_j / var_total) of the items `keep` of `cov`; `None` for fewer than two
/// items or a total without variance.
fn alpha_of(cov: &[Vec<f64>], keep: &[usize]) -> Option<f64> {
    let k = keep.len();
    if k < 2 {
        return None;
    }
    let item_var: f64 = keep.iter().map(|&j| cov[j][j]).sum();
    let total_var: f64 = keep.iter().map(|&j| keep.iter().map(|&l| cov[j][l]).sum::<f64>()).sum();
    if total_var <= 0.0 {
        return None;
    }
    Some(k as f64 / (k - 1) as f64 * (1.0 - item_var / total_var))
}

/// Feldt's 95 % interval: ν1 = n_c − 1, ν2 = (n_c − 1)(k − 1),
/// [1 − (1 − α)·F_{0.975,ν1,ν2}, 1 − (1 − α)·F_{0.025,ν1,ν2}].
pub fn feldt_ci95(alpha: f64, n_complete: u64, k: usize) -> Option<Interval> {
    if n_complete < 2 || k < 2 {
        return None;
    }
    let v1 = (n_complete - 1) as f64;
    let v2 = v1 * (k - 1) as f64;
    Some(Interval {
        lo: 1.0 - (1.0 - alpha) * f_quantile(0.975, v1, v2),
        hi: 1.0 - (1.0 - alpha) * f_quantile(0.025, v1, v2),
    })
}

/// Every reliability figure from n_c and the covariance matrix (`total_var_zero` tells, exactly
/// where the caller knows it, that the row totals have no variance).
pub fn reliability_from_cov(n_complete: u64, cov: &[Vec<f64>], total_var_zero: bool) -> Reliability {
    let k = cov.len();
    let mut out = Reliability {
        n_complete,
        alpha: None,
        alpha_std: None,
        alpha_ci95: None,
        item_total: vec![None; k],
        alpha_if_deleted: vec![None; k],
        reason: None,
    };
    if k < 2 {
        out.reason = Some("fewer than 2 items");
        return out;
    }
    if n_complete < 2 {
        out.reason = Some("fewer than 2 complete cases");
        return out;
    }
    let all: Vec<usize> = (0..k).collect();
    out.alpha = if total_var_zero { None } else { alpha_of(cov, &all) };
    if out.alpha.is_none() {
        out.reason = Some("the total has zero variance");
    }
    out.alpha_ci95 = out.alpha.and_then(|a| feldt_ci95(a, n_complete, k));
    // Standardised alpha from the mean off-diagonal correlation.
    if (0..k).all(|j| cov[j][j] > 0.0) {
        let mut sum = 0.0;
        for j in 0..k {
            for l in 0..k {
                if j != l {
                    sum += cov[j][l] / (cov[j][j].sqrt() * cov[l][l].sqrt());
                }
            }
        }
        let r = sum / (k * (k - 1)) as f64;
        let denom = 1.0 + (k - 1) as f64 * r;
        if denom != 0.0 {
            out.alpha_std = Some(k as f64 * r / denom);
        }
    }
    for j in 0..k {
        let rest: Vec<usize> = (0..k).filter(|&l| l != j).collect();
        let cov_rest: f64 = rest.iter().map(|&l| cov[j][l]).sum();
        let var_rest: f64 = rest.iter().map(|&l| rest.iter().map(|&m| cov[l][m]).sum::<f64>()).sum();
        if cov[j][j] > 0.0 && var_rest > 0.0 {
            out.item_total[j] = Some((cov_rest / (cov[j][j].sqrt() * var_rest.sqrt())).clamp(-1.0, 1.0));
        }
        out.alpha_if_deleted[j] = alpha_of(cov, &rest);
    }
    out
}

/// Reliability of raw complete cases (rows of k answers).
pub fn reliability(cases: &[Vec<f64>], k: usize) -> Reliability {
    let cov = covariance_matrix(cases, k);
    let totals: Vec<f64> = cases.iter().map(|c| c.iter().sum()).collect();
    let zero = totals.windows(2).all(|w| w[0] == w[1]);
    reliability_from_cov(cases.len() as u64, &cov, zero)
}
