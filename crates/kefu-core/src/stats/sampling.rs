//! Sample sizes (docs/statistics.md#sample-size), at 95 % (z = [`Z95`]) with the finite-population
//! correction n = n0 / (1 + (n0 − 1)/N), rounded up.

use super::distributions::Z95;
use crate::error::Invalid;

/// Rounds up, forgiving the last bits of floating-point noise (384.00000000000006 → 384).
fn ceil_tolerant(x: f64) -> u64 {
    let r = x.round();
    if (x - r).abs() <= 1e-9 * x.abs().max(1.0) {
        r as u64
    } else {
        x.ceil() as u64
    }
}

fn finite(n0: f64, population: Option<u64>) -> Result<u64, Invalid> {
    let n = match population {
        Some(0) => return Err(Invalid::one("population", "out_of_range", "the population is empty")),
        Some(big_n) => n0 / (1.0 + (n0 - 1.0) / big_n as f64),
        None => n0,
    };
    Ok(ceil_tolerant(n).max(1))
}

/// The sample size for a proportion at margin `e` (0 < e < 1): n0 = z²·p(1 − p)/e², p = 0.5
/// unless given, with the finite-population correction when N is known.
pub fn sample_size_proportion(e: f64, p: Option<f64>, population: Option<u64>) -> Result<u64, Invalid> {
    if !(e > 0.0 && e < 1.0) {
        return Err(Invalid::one(
            "margin",
            "out_of_range",
            "the margin must be between 0 and 1",
        ));
    }
    let p = p.unwrap_or(0.5);
    if !(p > 0.0 && p < 1.0) {
        return Err(Invalid::one(
            "p",
            "out_of_range",
            "the expected proportion must be between 0 and 1",
        ));
    }
    finite(Z95 * Z95 * p * (1.0 - p) / (e * e), population)
}

/// The sample size for a mean with expected sd σ at margin `e`: n0 = (z·σ/e)².
pub fn sample_size_mean(sd: f64, e: f64, population: Option<u64>) -> Result<u64, Invalid> {
    if !(e > 0.0 && e.is_finite() && sd > 0.0 && sd.is_finite()) {
        return Err(Invalid::one(
            "margin",
            "out_of_range",
            "the margin and sd must be positive",
        ));
    }
    let r = Z95 * sd / e;
    finite(r * r, population)
}

/// Invitations needed: ⌈n / expected response rate⌉.
pub fn invitations_needed(n: u64, response_rate: f64) -> Result<u64, Invalid> {
    if !(response_rate > 0.0 && response_rate <= 1.0) {
        return Err(Invalid::one(
            "response_rate",
            "out_of_range",
            "the response rate must be in (0, 1]",
        ));
    }
    Ok(ceil_tolerant(n as f64 / response_rate))
}

/// splitmix64 (Steele, Lea & Flood 2014): small, fast and fully specified, so a draw made with a
/// stored seed replays identically in any later version. Do not change it: stored campaign seeds
/// depend on it.
#[derive(Debug, Clone)]
pub struct SeededRng(u64);

impl SeededRng {
    pub fn new(seed: u64) -> SeededRng {
        SeededRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0) without modulo bias (Lemire's multiply-and-reject).
    pub fn below(&mut self, n: u64) -> u64 {
        let threshold = n.wrapping_neg() % n;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(n);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

/// A simple random sample of `n` distinct indexes of a frame of `population`
/// (docs/statistics.md#random-sampling: the seed is stored with the campaign so the draw can be
/// replayed), in draw order; the whole frame (shuffled) when n ≥ population. A partial Fisher–Yates
/// shuffle.
pub fn sample_indices(population: usize, n: usize, seed: u64) -> Vec<usize> {
    let mut rng = SeededRng::new(seed);
    let mut frame: Vec<usize> = (0..population).collect();
    let take = n.min(population);
    for i in 0..take {
        let j = i + rng.below((population - i) as u64) as usize;
        frame.swap(i, j);
    }
    frame.truncate(take);
    frame
}
