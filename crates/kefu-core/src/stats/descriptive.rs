//! Means, standard deviations and intervals (docs/statistics.md#means-and-intervals), both from raw
//! values (two-pass) and from exact integer sums (the incremental path), plus Pearson's r, the
//! Wilson interval and nearest-rank percentiles (docs/statistics.md#wilson-interval,
//! #tail-percentiles).

use super::distributions::{Z95, t_quantile};
use serde::Serialize;

/// A two-sided interval, `[lo, hi]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

/// n, mean, sample sd (n − 1) and the 95 % t-interval x̄ ± t_{0.975,n−1}·s/√n. `mean` is `None`
/// for n = 0, `sd` and `ci95` for n < 2.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSummary {
    pub n: u64,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub ci95: Option<Interval>,
}

impl MeanSummary {
    pub const EMPTY: MeanSummary = MeanSummary {
        n: 0,
        mean: None,
        sd: None,
        ci95: None,
    };

    /// From n, the mean and the sample variance (already computed).
    fn from_parts(n: u64, mean: f64, var: Option<f64>) -> MeanSummary {
        let sd = var.map(|v| v.max(0.0).sqrt());
        MeanSummary {
            n,
            mean: Some(mean),
            sd,
            ci95: sd.and_then(|s| t_interval(mean, s, n)),
        }
    }
}

/// The arithmetic mean; `None` for no values.
pub fn mean(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(values.iter().sum::<f64>() / values.len() as f64)
}

/// The sample standard deviation with n − 1 (two-pass); `None` for n < 2.
pub fn sample_sd(values: &[f64]) -> Option<f64> {
    if values.len() < 2 {
        return None;
    }
    let m = mean(values)?;
    let ss: f64 = values.iter().map(|x| (x - m) * (x - m)).sum();
    Some((ss / (values.len() - 1) as f64).sqrt())
}

/// The 95 % t-interval of a mean, x̄ ± t_{0.975,n−1}·s/√n; `None` for n < 2.
pub fn t_interval(mean: f64, sd: f64, n: u64) -> Option<Interval> {
    if n < 2 {
        return None;
    }
    let half = t_quantile(0.975, (n - 1) as f64) * sd / (n as f64).sqrt();
    Some(Interval {
        lo: mean - half,
        hi: mean + half,
    })
}

/// The difference of two independent means a − b with its 95 % Welch interval
/// (docs/statistics.md#five-gaps): (x̄_a − x̄_b) ± t_{0.975,ν}·√(s_a²/n_a + s_b²/n_b), ν by
/// Welch–Satterthwaite. The difference is `None` when either mean is; the interval when either
/// side has n < 2 or both have no variance.
pub fn welch_difference(a: &MeanSummary, b: &MeanSummary) -> (Option<f64>, Option<Interval>) {
    let (Some(ma), Some(mb)) = (a.mean, b.mean) else {
        return (None, None);
    };
    let d = ma - mb;
    let interval = match (a.sd, b.sd) {
        (Some(sa), Some(sb)) if a.n >= 2 && b.n >= 2 => {
            let (va, vb) = (sa * sa / a.n as f64, sb * sb / b.n as f64);
            let v = va + vb;
            (v > 0.0).then(|| {
                let df = v * v / (va * va / (a.n - 1) as f64 + vb * vb / (b.n - 1) as f64);
                let half = t_quantile(0.975, df) * v.sqrt();
                Interval {
                    lo: d - half,
                    hi: d + half,
                }
            })
        }
        _ => None,
    };
    (Some(d), interval)
}

/// n, mean, sd and t-interval of raw values.
pub fn summarize(values: &[f64]) -> MeanSummary {
    let Some(m) = mean(values) else {
        return MeanSummary::EMPTY;
    };
    let n = values.len() as u64;
    let var = (n >= 2).then(|| values.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1) as f64);
    MeanSummary::from_parts(n, m, var)
}

/// The same over answers that may be missing (an unanswered item counts in no n).
pub fn summarize_answered(values: &[Option<f64>]) -> MeanSummary {
    let answered: Vec<f64> = values.iter().flatten().copied().collect();
    summarize(&answered)
}

/// Exact integer sums of values `x = v / scale` for integer v: n, Σv, Σv². The incremental path
/// keeps these and computes the same figures as [`summarize`] without the values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct IntMoments {
    pub n: u64,
    pub sum: i128,
    pub sum_sq: i128,
}

impl IntMoments {
    pub fn add(&mut self, v: i128) {
        self.n += 1;
        self.sum += v;
        self.sum_sq += v * v;
    }

    pub fn merge(&mut self, other: &IntMoments) {
        self.n += other.n;
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// n, mean, sd, t-interval of v / `scale`: the variance numerator n·Σv² − (Σv)² is exact.
    pub fn summary(&self, scale: i128) -> MeanSummary {
        if self.n == 0 {
            return MeanSummary::EMPTY;
        }
        let n = self.n as i128;
        let s = scale as f64;
        let mean = self.sum as f64 / (self.n as f64 * s);
        let var = (self.n >= 2).then(|| {
            let num = n * self.sum_sq - self.sum * self.sum;
            num as f64 / ((n * (n - 1)) as f64 * s * s)
        });
        MeanSummary::from_parts(self.n, mean, var)
    }

    /// The mean of v / `scale`, `None` for n = 0.
    pub fn mean(&self, scale: i128) -> Option<f64> {
        (self.n > 0).then(|| self.sum as f64 / (self.n as f64 * scale as f64))
    }
}

/// Pearson's r of paired values (two-pass); `None` for n < 2 or a variable without variance.
pub fn pearson(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let mx = mean(x)?;
    let my = mean(y)?;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx <= 0.0 || syy <= 0.0 {
        return None;
    }
    Some((sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0))
}

/// Pearson's r from exact integer sums: n, Σx, Σy, Σx², Σy², Σxy.
pub fn pearson_from_sums(n: i128, sx: i128, sy: i128, sxx: i128, syy: i128, sxy: i128) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let cxy = n * sxy - sx * sy;
    let cxx = n * sxx - sx * sx;
    let cyy = n * syy - sy * sy;
    if cxx <= 0 || cyy <= 0 {
        return None;
    }
    Some((cxy as f64 / ((cxx as f64).sqrt() * (cyy as f64).sqrt())).clamp(-1.0, 1.0))
}

/// A share k/n with its Wilson score interval at z = [`Z95`], as proportions
/// (docs/statistics.md#wilson-interval).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub count: u64,
    pub n: u64,
    pub share: Option<f64>,
    pub ci95: Option<Interval>,
}

/// k of n with the Wilson interval; n = 0 gives `None`s.
pub fn wilson(count: u64, n: u64) -> Share {
    if n == 0 {
        return Share {
            count,
            n,
            share: None,
            ci95: None,
        };
    }
    let nf = n as f64;
    let p = count as f64 / nf;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = Z95 / denom * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt();
    Share {
        count,
        n,
        share: Some(p),
        ci95: Some(Interval {
            lo: (centre - half).max(0.0),
            hi: (centre + half).min(1.0),
        }),
    }
}

/// The nearest-rank percentile (docs/statistics.md#tail-percentiles): the ⌈pct·n/100⌉-th smallest
/// value (the smallest for pct = 0), with the rank in exact integer arithmetic (p50, p90, p99 are
/// whole percents, and 0.9·n in floating point can land above an integer). `None` for no values
/// or pct > 100.
pub fn nearest_rank(values: &[f64], pct: u32) -> Option<f64> {
    if values.is_empty() || pct > 100 {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len() as u64;
    let rank = (u64::from(pct) * n).div_ceil(100) as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The ratio between consecutive [`TailHistogram`] bin edges.
const TAIL_GAMMA: f64 = 1.02;

/// A mergeable histogram of non-negative values (response and resolution times) whose percentiles
/// are within 1 % relative of the exact nearest-rank ones (docs/statistics.md#tail-percentiles):
/// bins are [γ^i, γ^(i+1)) with γ = 1.02, and a bin answers with 2γ^(i+1)/(1 + γ), which is within
/// (γ − 1)/(γ + 1) < 0.99 % of every value in it. Zero has its own bin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct TailHistogram {
    pub zero: u64,
    pub bins: std::collections::BTreeMap<i32, u64>,
}

impl TailHistogram {
    /// Counts a value; negative or non-finite values are refused (false) and change nothing.
    pub fn add(&mut self, v: f64) -> bool {
        if !(v >= 0.0 && v.is_finite()) {
            return false;
        }
        self.add_to_bin(Self::bin_of(v), 1);
        true
    }

    /// The bin a non-negative value falls in: `None` for zero (its own bin), else `i` for
    /// [γ^i, γ^(i+1)).
    pub fn bin_of(v: f64) -> Option<i32> {
        (v > 0.0).then(|| (v.ln() / TAIL_GAMMA.ln()).floor() as i32)
    }

    /// Counts `count` values in `bin` (as [`TailHistogram::bin_of`] names it): how a histogram
    /// kept as counts per bin (the ticket facts) is read back.
    pub fn add_to_bin(&mut self, bin: Option<i32>, count: u64) {
        match bin {
            None => self.zero += count,
            Some(i) => *self.bins.entry(i).or_insert(0) += count,
        }
    }

    pub fn merge(&mut self, other: &TailHistogram) {
        self.zero += other.zero;
        for (&i, &c) in &other.bins {
            *self.bins.entry(i).or_insert(0) += c;
        }
    }

    pub fn n(&self) -> u64 {
        self.zero + self.bins.values().sum::<u64>()
    }

    /// How many values are at most `v`, as the histogram knows it: every value of the bins below
    /// `v`'s, and those of `v`'s own bin (which may hold values up to 2 % above `v`).
    pub fn at_most(&self, v: f64) -> u64 {
        // NaN and negatives count nothing.
        if v.is_nan() || v < 0.0 {
            return 0;
        }
        match Self::bin_of(v) {
            None => self.zero,
            Some(b) => self.zero + self.bins.range(..=b).map(|(_, c)| c).sum::<u64>(),
        }
    }

    /// The nearest-rank percentile as the histogram knows it; `None` when empty or pct > 100.
    pub fn percentile(&self, pct: u32) -> Option<f64> {
        let n = self.n();
        if n == 0 || pct > 100 {
            return None;
        }
        let rank = (u64::from(pct) * n).div_ceil(100).max(1);
        if rank <= self.zero {
            return Some(0.0);
        }
        let mut seen = self.zero;
        for (&i, &c) in &self.bins {
            seen += c;
            if seen >= rank {
                return Some(2.0 * TAIL_GAMMA.powi(i + 1) / (1.0 + TAIL_GAMMA));
            }
        }
        None
    }
}
