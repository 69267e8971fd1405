//! Distribution functions the reports need (docs/statistics.md#quantiles): Student's t and Fisher's
//! F (CDF and quantile), the normal quantile, and the regularized incomplete beta function they
//! rest on, with its inverse.
//!
//! The t and F quantiles agree with scipy's `stats.t.ppf` / `stats.f.ppf` to 1e-12 relative for
//! 1 to 10^7 degrees of freedom. Two things make that work:
//! - The incomplete beta takes both `x` and `y = 1 − x` (as TOMS 708's `bratio` does), so a
//!   caller that knows the small one exactly (the t tail `t²/(ν + t²)`) never loses it to `1 − x`.
//!   Its prefactor `x^a·y^b / B(a, b)` is computed in Temme's form, `√(ab / 2π(a+b))` times
//!   `exp(a·log1pmx(d/x0) + b·log1pmx(−d/y0))` times the Stirling corrections, with
//!   `x0 = a/(a+b)`: nothing of size `a·ln x` or `ln Γ(a)` is ever subtracted, which is what
//!   costs the naive `exp(a ln x + b ln y − ln B)` eight digits at a = 5·10^6.
//! - For a large and b small (the t distribution at ν ≳ 10^4, F with one small ν) the continued
//!   fraction converges slowly and loses up to 1e-10; there the asymptotic series of DiDonato &
//!   Morris (TOMS 708 `bgrat`) is used, with b first stepped down into (0, 1] by a recurrence of
//!   positive terms.
//! - The quantiles are found by a bracketed Newton iteration on the logarithm of the tail
//!   probability on the side the answer lies, against that tail computed directly (never as
//!   `1 − cdf`), so the result is as accurate as the tail itself.

use std::f64::consts::PI;

/// The two-sided 95 % normal quantile every interval uses: z = Φ⁻¹(0.975)
/// (docs/statistics.md#conventions).
pub const Z95: f64 = 1.959963984540054;

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling's correction μ(z) = ln Γ(z) − ((z − ½) ln z − z + ½ ln 2π), for z ≥ 10 by its
/// asymptotic series (the last term used is below 1e-17 of the first at z = 10).
fn stirling_series(z: f64) -> f64 {
    // B_2k / (2k (2k − 1)), k = 1..8
    const C: [f64; 8] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
        -3617.0 / 122_400.0,
    ];
    let r = 1.0 / z;
    let r2 = r * r;
    let mut s = 0.0;
    for c in C.iter().rev() {
        s = s * r2 + c;
    }
    s * r
}

/// ln Γ(z) for z > 0.
pub fn ln_gamma(z: f64) -> f64 {
    if z.is_nan() || z <= 0.0 {
        return f64::NAN;
    }
    if z >= 10.0 {
        return (z - 0.5) * z.ln() - z + LN_SQRT_2PI + stirling_series(z);
    }
    // Shift up: Γ(z) = Γ(z + n) / (z (z + 1) … (z + n − 1)).
    let mut prod = 1.0;
    let mut w = z;
    while w < 10.0 {
        prod *= w;
        w += 1.0;
    }
    (w - 0.5) * w.ln() - w + LN_SQRT_2PI + stirling_series(w) - prod.ln()
}

/// μ(z), Stirling's correction, for any z > 0.
fn stirling_correction(z: f64) -> f64 {
    if z >= 10.0 {
        stirling_series(z)
    } else {
        ln_gamma(z) - ((z - 0.5) * z.ln() - z + LN_SQRT_2PI)
    }
}

/// ln(1 + u) − u without cancellation for small u.
fn log1pmx(u: f64) -> f64 {
    if u.abs() >= 0.5 {
        return u.ln_1p() - u;
    }
    // ln(1 + u) = 2 atanh(w), w = u / (2 + u); 2w − u = −u·w.
    let w = u / (2.0 + u);
    let w2 = w * w;
    let mut term = w * w2;
    let mut sum = 0.0;
    let mut k = 3.0;
    loop {
        let add = term / k;
        sum += add;
        if add.abs() <= 1e-17 * sum.abs() {
            break;
        }
        term *= w2;
        k += 2.0;
    }
    -u * w + 2.0 * sum
}

/// a·ln(x/x0) − a·u with u = d/x0 = x/x0 − 1: one half of Temme's exponent.
fn temme_term(a: f64, x: f64, x0: f64, d: f64) -> f64 {
    let u = d / x0;
    if u.abs() < 0.5 {
        a * log1pmx(u)
    } else {
        a * ((x / x0).ln() - u)
    }
}

/// x^a·y^b / B(a, b) with y = 1 − x supplied by the caller (the incomplete beta's prefactor and,
/// divided by x·y, the beta density).
pub fn beta_power_terms(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if x <= 0.0 || y <= 0.0 {
        return 0.0;
    }
    let c = a + b;
    let x0 = a / c;
    let y0 = b / c;
    // d = x − x0 = y0 − y, from whichever of x, y is the smaller (and so the more exact).
    let d = if x <= y { x - x0 } else { y0 - y };
    let e = temme_term(a, x, x0, d) + temme_term(b, y, y0, -d) + stirling_correction(c)
        - stirling_correction(a)
        - stirling_correction(b);
    (a * b / (2.0 * PI * c)).sqrt() * e.exp()
}

/// The continued fraction of I_x(a, b) (modified Lentz), converging for x < (a + 1)/(a + b + 2).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-16;
    let qab = a + b;
    let qap = a + 1.0;
    let qam = a - 1.0;
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..=2_000_000u32 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularized incomplete beta I_x(a, b) and its complement 1 − I_x(a, b) = I_y(b, a), each
/// computed directly where it is the smaller, so both keep their relative accuracy. `y` must be
/// `1 − x`, passed separately so a caller that knows the small one exactly keeps it.
pub fn beta_inc_pair(a: f64, b: f64, x: f64, y: f64) -> (f64, f64) {
    if a.is_nan() || b.is_nan() || x.is_nan() || y.is_nan() || a <= 0.0 || b <= 0.0 || x < 0.0 || y < 0.0 {
        return (f64::NAN, f64::NAN);
    }
    if x == 0.0 {
        return (0.0, 1.0);
    }
    if y == 0.0 {
        return (1.0, 0.0);
    }
    if x < (a + 1.0) / (a + b + 2.0) {
        let i = beta_inc_lower(a, b, x, y);
        (i, 1.0 - i)
    } else {
        let j = beta_inc_lower(b, a, y, x);
        (1.0 - j, j)
    }
}

/// I_x(a, b) on the side where it is the tail to be computed directly: the continued fraction,
/// except when a is large and b small (the t distribution at large ν, F with one small ν), where
/// the fraction converges slowly and loses digits and DiDonato & Morris's asymptotic series
/// (TOMS 708 `bgrat`) is used instead, after stepping b down into (0, 1] by the recurrence
/// I_x(a, b + 1) = I_x(a, b) + x^a y^b / (b B(a, b)), whose terms are all positive.
fn beta_inc_lower(a: f64, b: f64, x: f64, y: f64) -> f64 {
    if a >= 15.0 && b <= 40.0 && a >= 20.0 * b && y < 0.3 {
        let steps = (b.ceil() - 1.0).max(0.0);
        let b0 = b - steps;
        let mut sum = bgrat(a, b0, x, y);
        let mut k = 0.0;
        while k < steps {
            let bk = b0 + k;
            sum += beta_power_terms(a, bk, x, y) / bk;
            k += 1.0;
        }
        sum
    } else {
        beta_power_terms(a, b, x, y) * beta_cf(a, b, x) / a
    }
}

/// Q(s, u) / (u^s e^(−u) / Γ(s)) and that prefix: the upper regularized incomplete gamma, as the
/// ratio to its prefix (what [`bgrat`] starts from) and the prefix itself.
fn gamma_q_ratio(s: f64, u: f64) -> (f64, f64) {
    let prefix = (s * u.ln() - u - ln_gamma(s)).exp();
    if u < s + 1.0 {
        // P(s, u) = prefix · Σ u^n / (s (s+1) … (s+n)).
        let mut ap = s;
        let mut del = 1.0 / s;
        let mut sum = del;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= u / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        let q = 1.0 - prefix * sum;
        (q / prefix, prefix)
    } else {
        const TINY: f64 = 1e-300;
        let mut bb = u + 1.0 - s;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / bb;
        let mut h = d;
        for i in 1..10_000u32 {
            let i = f64::from(i);
            let an = -i * (i - s);
            bb += 2.0;
            d = an * d + bb;
            if d.abs() < TINY {
                d = TINY;
            }
            c = bb + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (h, prefix)
    }
}

/// I_x(a, b) for a ≥ 15 and 0 < b ≤ 1 by the asymptotic expansion of DiDonato & Morris (1992,
/// eq. 9), as TOMS 708's `bgrat` and Boost's `beta_small_b_large_a_series` evaluate it.
fn bgrat(a: f64, b: f64, x: f64, y: f64) -> f64 {
    let bm1 = b - 1.0;
    let t = a + bm1 / 2.0;
    let lx = if y < 0.35 { (-y).ln_1p() } else { x.ln() };
    let u = -t * lx;
    if u <= 0.0 {
        return 0.0;
    }
    let (j0, h) = gamma_q_ratio(b, u);
    // Γ(a + b) / (Γ(a) t^b), without forming ln Γ of a large a.
    let ln_ratio = ((a - 0.5) * (b / a).ln_1p() - b) + b * ((b + 1.0) / (2.0 * t)).ln_1p() + stirling_correction(a + b)
        - stirling_correction(a);
    let prefix = h * ln_ratio.exp();
    if prefix == 0.0 {
        return 0.0;
    }
    let mut fact = [1.0f64; 64];
    for k in 1..64 {
        fact[k] = fact[k - 1] * k as f64;
    }
    let mut p = [0.0f64; 30];
    p[0] = 1.0;
    let mut j = j0;
    let mut sum = prefix * j;
    let mut tnp1 = 1usize;
    let lx2 = (lx / 2.0) * (lx / 2.0);
    let mut lxp = 1.0;
    let t4 = 4.0 * t * t;
    let mut b2n = b;
    for n in 1..30usize {
        tnp1 += 2;
        let mut pn = 0.0;
        let mut tmp1 = 3usize;
        for m in 1..n {
            let mbn = m as f64 * b - n as f64;
            pn += mbn * p[n - m] / fact[tmp1];
            tmp1 += 2;
        }
        pn /= n as f64;
        pn += bm1 / fact[tnp1];
        p[n] = pn;
        j = (b2n * (b2n + 1.0) * j + (u + b2n + 1.0) * lxp) / t4;
        lxp *= lx2;
        b2n += 2.0;
        let r = prefix * pn * j;
        sum += r;
        if r.abs() <= f64::EPSILON * sum.abs() / 4.0 {
            break;
        }
    }
    sum
}

/// The regularized incomplete beta function I_x(a, b).
pub fn beta_inc(a: f64, b: f64, x: f64) -> f64 {
    beta_inc_pair(a, b, x, 1.0 - x).0
}

/// A monotone tail G(s) on a log-scale variable s, for [`solve_log_tail`]: returns
/// (G(s) − target relative residual as ln(G/target), d ln G / ds).
type TailEval<'a> = dyn Fn(f64) -> (f64, f64) + 'a;

/// Solves ln G(s) = ln target for s by Newton's method on ln G, kept inside a bracket that
/// bisects when a step leaves it. `increasing` says whether G grows with s.
fn solve_log_tail(eval: &TailEval<'_>, s0: f64, increasing: bool) -> f64 {
    let mut lo = f64::NEG_INFINITY;
    let mut hi = f64::INFINITY;
    let mut s = s0;
    let mut last_step = f64::INFINITY;
    for _ in 0..200 {
        let (r, slope) = eval(s);
        if r == 0.0 {
            return s;
        }
        // The root lies above s when G(s) is below target and G increases, or above target and
        // G decreases.
        if (r < 0.0) == increasing {
            lo = s;
        } else {
            hi = s;
        }
        let mut next = if slope.is_finite() && slope != 0.0 && r.is_finite() {
            s - r / slope
        } else {
            f64::NAN
        };
        if !(next > lo && next < hi) {
            next = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => 0.5 * (lo + hi),
                (true, false) => lo + 2.0 * (1.0 + (s - lo).abs()).min(8.0),
                (false, true) => hi - 2.0 * (1.0 + (hi - s).abs()).min(8.0),
                (false, false) => s,
            };
        }
        let step = (next - s).abs();
        s = next;
        if step <= 1e-15 * s.abs().max(1.0) || (step <= 4e-16 * s.abs().max(1.0) && last_step <= 1e-13) {
            return s;
        }
        if lo.is_finite() && hi.is_finite() && (hi - lo) <= 2e-16 * lo.abs().max(hi.abs()).max(1.0) {
            return s;
        }
        last_step = step;
    }
    s
}

/// The standard normal quantile Φ⁻¹(p) (Wichura's AS 241, PPND16; about 1e-16 relative).
// The coefficients are AS 241's, digit for digit as published.
#[allow(clippy::excessive_precision)]
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        let num =
            (((((((2.509_080_928_730_122_7e3 * r + 3.343_057_558_358_812_8e4) * r + 6.726_577_092_700_870_1e4) * r
                + 4.592_195_393_154_987_1e4)
                * r
                + 1.373_169_376_550_946_1e4)
                * r
                + 1.971_590_950_306_551_4e3)
                * r
                + 1.331_416_678_917_843_8e2)
                * r
                + 3.387_132_872_796_366_6)
                * q;
        let den = ((((((5.226_495_278_852_854_6e3 * r + 2.872_908_573_572_194_3e4) * r + 3.930_789_580_009_271e4)
            * r
            + 2.121_379_430_158_659_7e4)
            * r
            + 5.394_196_021_424_751e3)
            * r
            + 6.871_870_074_920_579e2)
            * r
            + 4.231_333_070_160_091e1)
            * r
            + 1.0;
        return num / den;
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let val = if r <= 5.0 {
        r -= 1.6;
        let num =
            ((((((7.745_450_142_783_414e-4 * r + 2.272_384_498_926_918_4e-2) * r + 2.417_807_251_774_506_2e-1) * r
                + 1.270_458_252_452_368_4)
                * r
                + 3.647_848_324_763_204_5)
                * r
                + 5.769_497_221_460_691)
                * r
                + 4.630_337_846_156_545)
                * r
                + 1.423_437_110_749_683_6;
        let den =
            ((((((1.050_750_071_644_416_8e-9 * r + 5.475_938_084_995_345e-4) * r + 1.519_866_656_361_645_7e-2) * r
                + 1.481_039_764_274_800_7e-1)
                * r
                + 6.897_673_349_851e-1)
                * r
                + 1.676_384_830_183_803_8)
                * r
                + 2.053_191_626_637_758_8)
                * r
                + 1.0;
        num / den
    } else {
        r -= 5.0;
        let num = ((((((2.010_334_399_292_288_1e-7 * r + 2.711_555_568_743_487_6e-5) * r
            + 1.242_660_947_388_078_4e-3)
            * r
            + 2.653_218_952_657_612_3e-2)
            * r
            + 2.965_605_718_285_048_7e-1)
            * r
            + 1.784_826_539_917_291_3)
            * r
            + 5.463_784_911_164_114)
            * r
            + 6.657_904_643_501_103;
        let den = ((((((2.044_263_103_389_939_7e-15 * r + 1.421_511_758_316_445_9e-7) * r
            + 1.846_318_317_510_054_8e-5)
            * r
            + 7.868_691_311_456_132_6e-4)
            * r
            + 1.487_536_129_085_061_5e-2)
            * r
            + 1.369_298_809_227_358e-1)
            * r
            + 5.998_322_065_558_879e-1)
            * r
            + 1.0;
        num / den
    };
    if q < 0.0 { -val } else { val }
}

/// x = ν/(ν + t²) and y = t²/(ν + t²), each from the form that keeps it exact (and without
/// overflow when t² would exceed the f64 range, as it does in far tails at ν < 1).
fn t_beta_args(t: f64, df: f64) -> (f64, f64) {
    let t2 = t * t;
    if t2 > 1e300 || t2.is_nan() {
        let w = df.sqrt() / t.abs();
        let w2 = w * w;
        (w2 / (1.0 + w2), 1.0 / (1.0 + w2))
    } else if t2 > df {
        (df / (df + t2), t2 / (df + t2))
    } else {
        let r = t2 / df;
        (1.0 / (1.0 + r), r / (1.0 + r))
    }
}

/// Student's t: (P(T ≤ t), P(T > t)), each computed directly.
fn t_tails(t: f64, df: f64) -> (f64, f64) {
    if t == 0.0 {
        return (0.5, 0.5);
    }
    if t.is_infinite() {
        return if t > 0.0 { (1.0, 0.0) } else { (0.0, 1.0) };
    }
    let (x, y) = t_beta_args(t, df);
    // P(|T| > |t|) = I_x(ν/2, 1/2).
    let (outer, inner) = beta_inc_pair(df / 2.0, 0.5, x, y);
    let tail = 0.5 * outer;
    let body = 0.5 + 0.5 * inner;
    if t > 0.0 { (body, tail) } else { (tail, body) }
}

/// Quantiles solved already, by (which, p, ν1, ν2) as bits. Each is a pure function of its
/// arguments, so a kept one is bit for bit what solving again gives; a report asks the same few
/// (0.975 at each respondent count) hundreds of times, and at a hundred thousand degrees of freedom
/// each solve evaluates the incomplete beta dozens of times. Past [`QUANTILE_MEMO`] entries the
/// memo starts afresh.
static QUANTILES: std::sync::LazyLock<std::sync::Mutex<QuantileMemo>> = std::sync::LazyLock::new(Default::default);

/// (which quantile, p, ν1, ν2) as bits → the quantile.
type QuantileMemo = std::collections::HashMap<(u8, u64, u64, u64), f64>;

const QUANTILE_MEMO: usize = 16_384;

fn memo(which: u8, p: f64, a: f64, b: f64, solve: impl FnOnce() -> f64) -> f64 {
    let key = (which, p.to_bits(), a.to_bits(), b.to_bits());
    if let Some(v) = QUANTILES.lock().ok().and_then(|m| m.get(&key).copied()) {
        return v;
    }
    let v = solve();
    if let Ok(mut m) = QUANTILES.lock() {
        if m.len() >= QUANTILE_MEMO {
            m.clear();
        }
        m.insert(key, v);
    }
    v
}

/// Student's t CDF P(T ≤ t) with `df` > 0 degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    if t.is_nan() || df.is_nan() || df <= 0.0 {
        return f64::NAN;
    }
    t_tails(t, df).0
}

/// The q-quantile t_{q,ν} of Student's t (docs/statistics.md#quantiles): agrees with scipy's
/// `stats.t.ppf` to 1e-12 relative for ν from 1 to 10^7 (tested to 10^15 and for non-integer ν).
/// Not accurate where |t| passes about 1e150 (p below about 1e-150 at ν = 1), where
/// ν/(ν + t²) underflows; the reports never ask for such tails.
pub fn t_quantile(p: f64, df: f64) -> f64 {
    memo(0, p, df, 0.0, || t_quantile_solved(p, df))
}

/// [`t_quantile`], solved each time.
fn t_quantile_solved(p: f64, df: f64) -> f64 {
    if p.is_nan() || df.is_nan() || df <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    // Solve for the upper tail q = min(p, 1 − p) ≤ ½ at t > 0 (1 − p is exact for p ≥ ½).
    let (q, sign) = if p < 0.5 { (p, -1.0) } else { (1.0 - p, 1.0) };
    let half_minus_q = 0.5 - q;
    let a = df / 2.0;
    let eval = |s: f64| -> (f64, f64) {
        let (x, y) = t_beta_args(s.exp(), df);
        let (outer, inner) = beta_inc_pair(a, 0.5, x, y);
        let tail = 0.5 * outer;
        // G = P(T > t); G − q from whichever side keeps its digits.
        let diff = if q < 0.25 { tail - q } else { half_minus_q - 0.5 * inner };
        let r = (diff / q).ln_1p();
        // dG/d ln t = −x^a y^b / B(a, ½).
        let slope = -beta_power_terms(a, 0.5, x, y) / tail;
        (r, slope)
    };
    let s0 = t_start(q, df).ln();
    sign * solve_log_tail(&eval, s0, false).exp()
}

/// A starting point for the upper-tail t quantile: the better (by residual) of Cornish–Fisher
/// from the normal quantile and the power-law tail.
fn t_start(q: f64, df: f64) -> f64 {
    let z = -normal_quantile(q);
    let z2 = z * z;
    let g1 = (z2 + 1.0) * z / 4.0;
    let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
    let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
    let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
    let cf = z + g1 / df + g2 / (df * df) + g3 / (df * df * df) + g4 / (df * df * df * df);
    // P(T > t) ≈ x^a / (2 a B(a, ½)) for small x = ν/(ν + t²).
    let a = df / 2.0;
    let ln_b = ln_gamma(a) + ln_gamma(0.5) - ln_gamma(a + 0.5);
    let x = ((2.0 * q * a).ln() + ln_b) / a;
    let x = x.exp().min(0.999_999);
    let tail = (df * (1.0 - x) / x).sqrt();
    let candidates = [cf, tail, z];
    let mut best = z.max(1e-8);
    let mut best_err = f64::INFINITY;
    for c in candidates {
        if c.is_finite() && c > 0.0 {
            let err = (t_tails(c, df).1.ln() - q.ln()).abs();
            if err < best_err {
                best_err = err;
                best = c;
            }
        }
    }
    best
}

/// Fisher's F: (P(F ≤ f), P(F > f)) with (ν1, ν2) degrees of freedom, each computed directly.
fn f_tails(f: f64, df1: f64, df2: f64) -> (f64, f64) {
    if f <= 0.0 {
        return (0.0, 1.0);
    }
    if f.is_infinite() {
        return (1.0, 0.0);
    }
    let u = df1 * f;
    let x = u / (u + df2);
    let y = df2 / (u + df2);
    beta_inc_pair(df1 / 2.0, df2 / 2.0, x, y)
}

/// Fisher's F CDF P(F ≤ f) with (`df1`, `df2`) degrees of freedom.
pub fn f_cdf(f: f64, df1: f64, df2: f64) -> f64 {
    if f.is_nan() || df1.is_nan() || df2.is_nan() || df1 <= 0.0 || df2 <= 0.0 {
        return f64::NAN;
    }
    f_tails(f, df1, df2).0
}

/// Fisher's F survival function P(F > f), computed directly (not as 1 − cdf).
pub fn f_sf(f: f64, df1: f64, df2: f64) -> f64 {
    if f.is_nan() || df1.is_nan() || df2.is_nan() || df1 <= 0.0 || df2 <= 0.0 {
        return f64::NAN;
    }
    f_tails(f, df1, df2).1
}

/// The q-quantile F_{q,ν1,ν2} of Fisher's F (docs/statistics.md#quantiles): agrees with scipy's
/// `stats.f.ppf` to 1e-12 relative for ν up to 10^7.
pub fn f_quantile(p: f64, df1: f64, df2: f64) -> f64 {
    memo(1, p, df1, df2, || f_quantile_solved(p, df1, df2))
}

/// [`f_quantile`], solved each time.
fn f_quantile_solved(p: f64, df1: f64, df2: f64) -> f64 {
    if p.is_nan() || df1.is_nan() || df2.is_nan() || df1 <= 0.0 || df2 <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    let a = df1 / 2.0;
    let b = df2 / 2.0;
    // Below the median solve on the CDF, above it on the survival function (1 − p is exact).
    let lower = p <= 0.5;
    let target = if lower { p } else { 1.0 - p };
    let eval = |s: f64| -> (f64, f64) {
        let u = df1 * s.exp();
        let x = u / (u + df2);
        let y = df2 / (u + df2);
        let (cdf, sf) = beta_inc_pair(a, b, x, y);
        let g = if lower { cdf } else { sf };
        // dCDF/d ln f = x^a y^b / B(a, b).
        let d = beta_power_terms(a, b, x, y) / g;
        ((g / target).ln(), if lower { d } else { -d })
    };
    // ln F is roughly normal with variance 2/ν1 + 2/ν2 for large ν.
    let s0 = normal_quantile(p) * (2.0 / df1 + 2.0 / df2).sqrt() + (1.0 / df2 - 1.0 / df1);
    solve_log_tail(&eval, s0, lower).exp()
}

/// The inverse of the regularized incomplete beta: x with I_x(a, b) = p.
pub fn beta_inc_inv(a: f64, b: f64, p: f64) -> f64 {
    if p.is_nan() || a.is_nan() || b.is_nan() || a <= 0.0 || b <= 0.0 || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return 0.0;
    }
    if p == 1.0 {
        return 1.0;
    }
    // I_x(a, b) is the CDF of F(2a, 2b) at f = b·x / (a·(1 − x)): x = a f / (a f + b).
    let f = f_quantile(p, 2.0 * a, 2.0 * b);
    if f.is_infinite() {
        return 1.0;
    }
    let u = a * f;
    u / (u + b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_quantile_is_bit_for_bit_a_solved_one() {
        for df in [1.0, 2.5, 29.0, 1_000.0, 99_999.0, 123_456.789] {
            for p in [0.025, 0.5, 0.975, 1e-9] {
                let solved = t_quantile_solved(p, df);
                assert_eq!(t_quantile(p, df).to_bits(), solved.to_bits(), "t {p} {df}");
                assert_eq!(t_quantile(p, df).to_bits(), solved.to_bits(), "t {p} {df}, kept");
                let f = f_quantile_solved(p, df, df + 3.0);
                assert_eq!(f_quantile(p, df, df + 3.0).to_bits(), f.to_bits(), "f {p} {df}");
                assert_eq!(f_quantile(p, df, df + 3.0).to_bits(), f.to_bits(), "f {p} {df}, kept");
            }
        }
        // NaN arguments are not kept apart from each other wrongly: still NaN.
        assert!(t_quantile(f64::NAN, 3.0).is_nan() && t_quantile(0.975, -1.0).is_nan());
    }
}
