//! Sufficient statistics for the SERVQUAL report, so that reports stay current as answers arrive
//! (docs/statistics.md#sufficient-statistics): a mergeable accumulator of exact integer sums from
//! which every figure of [`ServqualReport`] is computed without the raw answers.
//!
//! Which sums each figure needs (L = lcm(1..=k_max), so a respondent dimension score S/m times L
//! is an integer; all sums are integers, i64 for answers and i128 where squares of scaled scores
//! or n·Σ products could pass 2^63):
//! - item `e_mean`, `p_mean`: count and Σ of the answered E_ij, P_ij;
//! - item `n`, `gap_mean`, `gap_sd`, `gap_ci95`: count, Σ Q_ij, Σ Q_ij² over pairs;
//! - dimension `n`, `gap_*`: count, Σ L·Q_id, Σ (L·Q_id)²; `e_mean`, `p_mean`: count, Σ L·E_id, Σ L·P_id;
//! - `alpha_*`, `alpha_p_std`, Feldt CI, `item_total_p`, `alpha_if_deleted_p`: over the complete
//!   cases of the battery in the dimension, n_c, Σ x_j and the cross-products Σ x_j·x_l (the
//!   covariance matrix follows exactly: n_c·Σx_jx_l − Σx_j·Σx_l);
//! - `importance_stated`: count of allocations, Σ w_id; `importance_derived`: over respondents
//!   with P_id and overall O, n, Σ L·P_id, Σ (L·P_id)², Σ O, Σ O², Σ L·P_id·O;
//! - `weighted_respondent`: count and Σ_i Σ_d w_id·L·Q_id (divided by 100·L at the end).
//!
//! Merging two accumulators adds every sum, so per-period or per-segment accumulators combine.

use super::descriptive::{IntMoments, pearson_from_sums};
use super::reliability::{Reliability, reliability_from_cov};
use super::servqual::{
    DimensionParts, ReportParts, ServqualLayout, ServqualReport, ServqualResponse, assemble, validate_manager_weights,
};
use crate::error::Invalid;
use serde::{Deserialize, Serialize};

/// Complete-case sums of one battery in one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CrossProducts {
    pub n: u64,
    pub sums: Vec<i64>,
    /// Row-major k × k Σ x_j·x_l.
    pub cross: Vec<i64>,
}

impl CrossProducts {
    fn new(k: usize) -> CrossProducts {
        CrossProducts {
            n: 0,
            sums: vec![0; k],
            cross: vec![0; k * k],
        }
    }

    fn add(&mut self, x: &[i64]) {
        let k = x.len();
        self.n += 1;
        for j in 0..k {
            self.sums[j] += x[j];
            for l in 0..k {
                self.cross[j * k + l] += x[j] * x[l];
            }
        }
    }

    fn merge(&mut self, o: &CrossProducts) {
        self.n += o.n;
        self.sums.iter_mut().zip(&o.sums).for_each(|(a, b)| *a += b);
        self.cross.iter_mut().zip(&o.cross).for_each(|(a, b)| *a += b);
    }

    /// The reliability figures: the covariance numerators n·Σx_jx_l − Σx_j·Σx_l are exact.
    fn reliability(&self) -> Reliability {
        let k = self.sums.len();
        let n = i128::from(self.n);
        let num = |j: usize, l: usize| {
            n * i128::from(self.cross[j * k + l]) - i128::from(self.sums[j]) * i128::from(self.sums[l])
        };
        let total: i128 = (0..k).map(|j| (0..k).map(|l| num(j, l)).sum::<i128>()).sum();
        let denom = if self.n >= 2 { (n * (n - 1)) as f64 } else { 1.0 };
        let cov: Vec<Vec<f64>> = (0..k)
            .map(|j| (0..k).map(|l| num(j, l) as f64 / denom).collect())
            .collect();
        reliability_from_cov(self.n, &cov, total == 0)
    }
}

/// The sums for one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DimensionSums {
    pub gap: IntMoments,
    pub perception: IntMoments,
    pub expectation: IntMoments,
    pub complete_p: CrossProducts,
    pub complete_e: CrossProducts,
    pub allocation: IntMoments,
    /// Respondents with P_id and overall satisfaction: x = L·P_id, y = overall.
    pub derived: IntMoments,
    pub derived_y: IntMoments,
    pub derived_xy: i128,
}

/// The mergeable accumulator; `add` one response at a time, `merge` others, `report` any time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServqualAccumulator {
    pub layout: ServqualLayout,
    /// L = lcm(1..=k_max).
    pub scale: i128,
    pub n_respondents: u64,
    pub item_e: Vec<IntMoments>,
    pub item_p: Vec<IntMoments>,
    pub item_gap: Vec<IntMoments>,
    pub dimensions: Vec<DimensionSums>,
    pub weighted_n: u64,
    /// Σ_i Σ_d w_id·L·Q_id.
    pub weighted_sum: i128,
    /// Per dimension, respondents dissatisfied on it (Q_id < 0;
    /// docs/statistics.md#dissatisfaction-causes). Absent from statistics kept before it was
    /// counted: `rebuild-stats` fills it in.
    #[serde(default)]
    pub dissatisfied: Vec<u64>,
}

impl ServqualAccumulator {
    pub fn new(layout: ServqualLayout) -> Result<ServqualAccumulator, Invalid> {
        layout.validate()?;
        let k = layout.items.len();
        let layout_dimensions = layout.dimensions.len();
        let dimensions = layout
            .dimensions
            .iter()
            .map(|d| DimensionSums {
                complete_p: CrossProducts::new(d.items.len()),
                complete_e: CrossProducts::new(d.items.len()),
                ..DimensionSums::default()
            })
            .collect();
        Ok(ServqualAccumulator {
            scale: layout.score_scale(),
            layout,
            n_respondents: 0,
            item_e: vec![IntMoments::default(); k],
            item_p: vec![IntMoments::default(); k],
            item_gap: vec![IntMoments::default(); k],
            dimensions,
            weighted_n: 0,
            weighted_sum: 0,
            dissatisfied: vec![0; layout_dimensions],
        })
    }

    /// Adds one response (checked first; a bad one changes nothing).
    pub fn add(&mut self, r: &ServqualResponse) -> Result<(), Invalid> {
        r.validate(&self.layout)?;
        self.n_respondents += 1;
        for j in 0..self.layout.items.len() {
            if let Some(e) = r.expectation[j] {
                self.item_e[j].add(i128::from(e));
            }
            if let Some(p) = r.perception[j] {
                self.item_p[j].add(i128::from(p));
            }
            if let (Some(e), Some(p)) = (r.expectation[j], r.perception[j]) {
                self.item_gap[j].add(i128::from(p) - i128::from(e));
            }
        }
        let l = self.scale;
        let scaled = |(sum, m): (i64, usize)| (m > 0).then(|| i128::from(sum) * (l / m as i128));
        let mut weighted = Some(0i128);
        for (di, d) in self.layout.dimensions.iter().enumerate() {
            let sums = &mut self.dimensions[di];
            let q = scaled(r.dimension_gap_sum(&d.items));
            let p = scaled(ServqualResponse::dimension_sum(&r.perception, &d.items));
            let e = scaled(ServqualResponse::dimension_sum(&r.expectation, &d.items));
            if let Some(q) = q {
                sums.gap.add(q);
                if q < 0 {
                    if self.dissatisfied.len() <= di {
                        self.dissatisfied.resize(di + 1, 0);
                    }
                    self.dissatisfied[di] += 1;
                }
            }
            if let Some(p) = p {
                sums.perception.add(p);
            }
            if let Some(e) = e {
                sums.expectation.add(e);
            }
            let complete = |v: &[Option<u8>]| {
                d.items
                    .iter()
                    .map(|&j| v[j].map(i64::from))
                    .collect::<Option<Vec<i64>>>()
            };
            if let Some(x) = complete(&r.perception) {
                sums.complete_p.add(&x);
            }
            if let Some(x) = complete(&r.expectation) {
                sums.complete_e.add(&x);
            }
            if let Some(w) = &r.allocation {
                sums.allocation.add(i128::from(w[di]));
                weighted = match (weighted, q) {
                    (Some(acc), Some(q)) => Some(acc + i128::from(w[di]) * q),
                    _ => None,
                };
            }
            if let (Some(p), Some(o)) = (p, r.overall) {
                let o = i128::from(o);
                sums.derived.add(p);
                sums.derived_y.add(o);
                sums.derived_xy += p * o;
            }
        }
        if let (Some(_), Some(w)) = (&r.allocation, weighted) {
            self.weighted_n += 1;
            self.weighted_sum += w;
        }
        Ok(())
    }

    /// Adds another accumulator over the same layout.
    pub fn merge(&mut self, o: &ServqualAccumulator) -> Result<(), Invalid> {
        if o.layout != self.layout {
            return Err(Invalid::one(
                "layout",
                "mismatch",
                "accumulators over different layouts",
            ));
        }
        self.n_respondents += o.n_respondents;
        for (a, b) in [
            (&mut self.item_e, &o.item_e),
            (&mut self.item_p, &o.item_p),
            (&mut self.item_gap, &o.item_gap),
        ] {
            a.iter_mut().zip(b).for_each(|(a, b)| a.merge(b));
        }
        for (a, b) in self.dimensions.iter_mut().zip(&o.dimensions) {
            a.gap.merge(&b.gap);
            a.perception.merge(&b.perception);
            a.expectation.merge(&b.expectation);
            a.complete_p.merge(&b.complete_p);
            a.complete_e.merge(&b.complete_e);
            a.allocation.merge(&b.allocation);
            a.derived.merge(&b.derived);
            a.derived_y.merge(&b.derived_y);
            a.derived_xy += b.derived_xy;
        }
        self.weighted_n += o.weighted_n;
        self.weighted_sum += o.weighted_sum;
        if self.dissatisfied.len() < o.dissatisfied.len() {
            self.dissatisfied.resize(o.dissatisfied.len(), 0);
        }
        self.dissatisfied
            .iter_mut()
            .zip(&o.dissatisfied)
            .for_each(|(a, b)| *a += b);
        Ok(())
    }

    /// The report from the sums alone.
    pub fn report(&self, manager_weights: Option<&[u32]>) -> Result<ServqualReport, Invalid> {
        if let Some(w) = manager_weights {
            validate_manager_weights(&self.layout, w)?;
        }
        let l = self.scale;
        let items = (0..self.layout.items.len())
            .map(|j| {
                (
                    self.item_e[j].n,
                    self.item_e[j].mean(1),
                    self.item_p[j].n,
                    self.item_p[j].mean(1),
                    self.item_gap[j].summary(1),
                )
            })
            .collect();
        let dimensions = self
            .dimensions
            .iter()
            .map(|s| DimensionParts {
                gap: s.gap.summary(l),
                e_mean: s.expectation.mean(l),
                p_mean: s.perception.mean(l),
                rel_p: s.complete_p.reliability(),
                rel_e: s.complete_e.reliability(),
                importance_stated: s.allocation.mean(1),
                importance_derived: pearson_from_sums(
                    i128::from(s.derived.n),
                    s.derived.sum,
                    s.derived_y.sum,
                    s.derived.sum_sq,
                    s.derived_y.sum_sq,
                    s.derived_xy,
                ),
            })
            .collect();
        let parts = ReportParts {
            n_respondents: self.n_respondents,
            items,
            dimensions,
            weighted_respondent: (self.weighted_n > 0)
                .then(|| self.weighted_sum as f64 / (self.weighted_n as f64 * 100.0 * l as f64)),
            n_weighted_respondent: self.weighted_n,
        };
        Ok(assemble(&self.layout, parts, manager_weights))
    }
}
